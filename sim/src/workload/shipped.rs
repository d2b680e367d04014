//! Shipped models, embedded in the binary (stub).

use crate::error::InputError;
use crate::workload::Workload;

/// Names of the shipped models.
pub const NAMES: &[&str] = &[];

/// Loads a shipped model by name.
pub fn load(name: &str) -> Result<Workload, InputError> {
    Err(InputError::UnknownWorkload { name: name.into(), allowed: NAMES.join(", ") })
}
