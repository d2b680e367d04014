//! Processing-in-memory models: DRAM bank-level PIM ([`dram`]).

pub mod dram;

use serde::{Deserialize, Serialize};

/// `[arch.pim.dram]` or `[arch.pim.reram]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PimConfig {
    /// DRAM with processing units at its banks (HBM-PIM, AiM, AttAcc).
    Dram(dram::DramPimConfig),
}
