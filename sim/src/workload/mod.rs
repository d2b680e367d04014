//! Workloads: the IR and its loaders.
//!
//! [`load`] takes a path (`.toml` in our format, `.csv` in SCALE-Sim's topology format) or the
//! name of a shipped model (see [`shipped::NAMES`]). [`load_any`] also accepts LLM models
//! (`[llm]` files and [`shipped::LLM_NAMES`]), which become workloads only with a serving
//! scenario (see [`llm`]).

pub mod ir;
pub mod llm;
pub mod scalesim_csv;
pub mod shipped;
pub mod toml;

pub use ir::*;

use std::path::Path;

use crate::error::InputError;

/// A loaded workload file: a layer list, or an LLM's hyperparameters.
#[derive(Debug, Clone)]
pub enum AnyWorkload {
    /// A network as layers.
    Layers(Workload),
    /// A decoder-only LLM (phases are built per scenario).
    Llm(llm::LlmModel),
}

/// Whether TOML text describes an LLM (a top-level `[llm]` table; a sweep's `[[llm]]` list of
/// scenarios is not one).
pub fn is_llm_text(text: &str) -> bool {
    text.parse::<::toml::Table>()
        .is_ok_and(|t| t.get("llm").is_some_and(::toml::Value::is_table))
}

/// Loads a layer workload or an LLM from a file path or a shipped name.
pub fn load_any(spec: &str) -> Result<AnyWorkload, InputError> {
    let path = Path::new(spec);
    let ext = path.extension().and_then(|e| e.to_str());
    if path.exists() || matches!(ext, Some("toml" | "csv")) {
        let text = InputError::read(path)?;
        return Ok(match ext {
            Some("csv") => AnyWorkload::Layers(scalesim_csv::parse(path, &text)?),
            _ if is_llm_text(&text) => AnyWorkload::Llm(llm::LlmModel::parse(path, &text)?),
            _ => AnyWorkload::Layers(toml::parse(path, &text)?),
        });
    }
    shipped::load_any(spec)
}

/// Loads a layer workload from a file path or a shipped model's name; an LLM is an error
/// that says how to run it.
pub fn load(spec: &str) -> Result<Workload, InputError> {
    match load_any(spec)? {
        AnyWorkload::Layers(w) => Ok(w),
        AnyWorkload::Llm(m) => Err(InputError::Invalid {
            file: m.file.clone(),
            message: format!(
                "`{}` is an LLM model: it needs a serving scenario (accel sim --prompt/--gen/\
                 --tp, or an [[llm]] entry in a sweep file)",
                m.name
            ),
        }),
    }
}
