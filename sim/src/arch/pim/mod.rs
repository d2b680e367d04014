//! Processing-in-memory models: compute placed inside the memory arrays.
//!
//! - [`reram`]: analog ReRAM crossbars holding the weights (`[arch.pim.reram]`).

pub mod reram;

use serde::{Deserialize, Serialize};

/// `[arch.pim.dram]` or `[arch.pim.reram]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PimConfig {
    /// Analog ReRAM crossbar compute-in-memory chip.
    Reram(reram::ReramConfig),
}
