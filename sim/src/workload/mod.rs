//! Workloads: the IR and its loaders.
//!
//! [`load`] takes a path (`.toml` in our format, `.csv` in SCALE-Sim's topology format) or the
//! name of a shipped model (see [`shipped::NAMES`]).

pub mod ir;
pub mod scalesim_csv;
pub mod shipped;
pub mod toml;

pub use ir::*;

use std::path::Path;

use crate::error::InputError;

/// Loads a workload from a file path or a shipped model's name.
pub fn load(spec: &str) -> Result<Workload, InputError> {
    let path = Path::new(spec);
    let ext = path.extension().and_then(|e| e.to_str());
    if path.exists() || matches!(ext, Some("toml" | "csv")) {
        let text = InputError::read(path)?;
        return match ext {
            Some("csv") => scalesim_csv::parse(path, &text),
            _ => toml::parse(path, &text),
        };
    }
    shipped::load(spec)
}
