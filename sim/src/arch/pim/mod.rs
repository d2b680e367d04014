//! Processing-in-memory models: compute placed inside the memory arrays.
//!
//! - [`dram`]: DRAM with processing units at its banks (`[arch.pim.dram]`).
//! - [`reram`]: analog ReRAM crossbars holding the weights (`[arch.pim.reram]`).

pub mod dram;
pub mod reram;

use serde::{Deserialize, Serialize};

/// `[arch.pim.dram]` or `[arch.pim.reram]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PimConfig {
    /// DRAM with processing units at its banks (HBM-PIM, AiM, AttAcc).
    Dram(dram::DramPimConfig),
    /// Analog ReRAM crossbar compute-in-memory chip.
    Reram(reram::ReramConfig),
}
