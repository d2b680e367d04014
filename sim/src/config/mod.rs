//! Accelerator configs: raw serde structs as written in TOML, then `build()` validates ranges
//! and returns a ready model.
//!
//! ```toml
//! [arch.systolic]   # or [arch.tensor_core] (see [`tensor_core`]), [arch.pim.dram],
//!                   # [arch.pim.reram], [arch.hetero] (host + PIM)
//! rows = 32
//! cols = 32
//! dataflow = "ws"   # os | ws | is
//! ```

pub mod scalesim_cfg;
pub mod tensor_core;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::arch::hetero::HeteroSystem;
use crate::arch::pim::dram::DramPim;
use crate::arch::pim::reram::ReramChip;
use crate::arch::pim::PimConfig;
use crate::arch::systolic::SystolicArray;
use crate::arch::tensor_core::TensorCore;
use crate::arch::Accelerator;
use crate::error::InputError;
use crate::workload::Precision;

pub use tensor_core::{
    AllReduceProtocol, MmaScope, MmaThroughput, TensorCoreConfig, TensorCoreMode,
};

/// An accelerator file: an optional name and one model section.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArchFile {
    /// Name shown in reports (defaults to the file stem).
    #[serde(default)]
    pub name: Option<String>,
    /// The model and its parameters.
    pub arch: ArchConfig,
}

/// Which model, externally tagged so TOML errors keep line and column.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchConfig {
    /// A 2-D systolic array of MAC PEs with three SRAM buffers.
    Systolic(SystolicConfig),
    /// A GPU-like device: SMs with tensor cores, shared memory, L2, HBM and links.
    TensorCore(TensorCoreConfig),
    /// Processing in memory: `[arch.pim.dram]` (bank-level units) or `[arch.pim.reram]`
    /// (analog crossbars).
    Pim(crate::arch::pim::PimConfig),
    /// A host accelerator plus DRAM-PIM devices with a partitioner (`[arch.hetero]`).
    Hetero(crate::arch::hetero::HeteroConfig),
}

/// How closely to simulate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Closed form at fold granularity: the default, microseconds per layer.
    #[default]
    Fast,
    /// Walk every fold and tile with explicit buffers: slow, for checking the fast model.
    Reference,
}

/// Which operand stays in the PEs while the others stream through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataflow {
    /// Output stationary: each PE accumulates one output.
    Os,
    /// Weight stationary: each PE holds one weight.
    #[default]
    Ws,
    /// Input stationary: each PE holds one activation.
    Is,
}

impl Dataflow {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Dataflow::Os => "os",
            Dataflow::Ws => "ws",
            Dataflow::Is => "is",
        }
    }
}

fn default_sram_kib() -> f64 {
    64.0
}
fn default_bandwidth_gbps() -> f64 {
    10.0
}
fn default_clock_mhz() -> f64 {
    1000.0
}
fn default_node_nm() -> u32 {
    45
}

/// `[arch.systolic]`: a rows x cols array of PEs, ifmap/filter/ofmap SRAMs (each double
/// buffered) and one DRAM interface.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SystolicConfig {
    /// PE rows (1..=4096).
    pub rows: u32,
    /// PE columns (1..=4096).
    pub cols: u32,
    /// Dataflow.
    #[serde(default)]
    pub dataflow: Dataflow,
    /// Activation buffer, KiB.
    #[serde(default = "default_sram_kib")]
    pub ifmap_sram_kib: f64,
    /// Weight buffer, KiB.
    #[serde(default = "default_sram_kib")]
    pub filter_sram_kib: f64,
    /// Output buffer, KiB.
    #[serde(default = "default_sram_kib")]
    pub ofmap_sram_kib: f64,
    /// DRAM bandwidth, GB/s (10^9 bytes per second).
    #[serde(default = "default_bandwidth_gbps")]
    pub dram_bandwidth_gbps: f64,
    /// Clock, MHz.
    #[serde(default = "default_clock_mhz")]
    pub clock_mhz: f64,
    /// Operand precision.
    #[serde(default)]
    pub precision: Precision,
    /// Accumulator precision (default: int32 for integer operands, fp32 for floats).
    #[serde(default)]
    pub accumulator: Option<Precision>,
    /// Technology node in nm for energy and area.
    #[serde(default = "default_node_nm")]
    pub tech_node_nm: u32,
    /// Vector-unit lanes (default: one per column).
    #[serde(default)]
    pub vector_lanes: Option<u32>,
}

impl SystolicConfig {
    /// The defaults with the given array shape.
    pub fn new(rows: u32, cols: u32, dataflow: Dataflow) -> Self {
        SystolicConfig {
            rows,
            cols,
            dataflow,
            ifmap_sram_kib: default_sram_kib(),
            filter_sram_kib: default_sram_kib(),
            ofmap_sram_kib: default_sram_kib(),
            dram_bandwidth_gbps: default_bandwidth_gbps(),
            clock_mhz: default_clock_mhz(),
            precision: Precision::Int8,
            accumulator: None,
            tech_node_nm: default_node_nm(),
            vector_lanes: None,
        }
    }
}

/// Range check of one key; `file` names where it came from.
pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    file: &Path,
    key: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), InputError> {
    if value < min || value > max || value.partial_cmp(&value).is_none() {
        return Err(InputError::OutOfRange {
            file: file.to_path_buf(),
            key: key.to_string(),
            value: value.to_string(),
            allowed: format!("{min}..={max}"),
        });
    }
    Ok(())
}

impl ArchFile {
    /// Parses TOML text; `file` is used in messages.
    pub fn parse(file: &Path, text: &str) -> Result<Self, InputError> {
        toml::from_str(text).map_err(|e| InputError::toml(file, e))
    }

    /// Reads an accelerator from a `.toml` file or a SCALE-Sim `.cfg` file.
    pub fn load(file: &Path) -> Result<Self, InputError> {
        let text = InputError::read(file)?;
        let mut arch = if file.extension().is_some_and(|e| e == "cfg") {
            scalesim_cfg::parse(file, &text)?
        } else {
            Self::parse(file, &text)?
        };
        if arch.name.is_none() {
            arch.name = file.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        Ok(arch)
    }

    /// Validates every key and builds the model; `file` names the source in errors.
    pub fn build(&self, file: &Path, mode: Mode) -> Result<Box<dyn Accelerator>, InputError> {
        let name = self.name.clone().unwrap_or_else(|| "accelerator".into());
        match &self.arch {
            ArchConfig::Systolic(c) => Ok(Box::new(SystolicArray::build(name, c, file, mode)?)),
            ArchConfig::TensorCore(c) => Ok(Box::new(TensorCore::build(name, c, file)?)),
            ArchConfig::Pim(PimConfig::Dram(c)) => Ok(Box::new(DramPim::build(name, c, file)?)),
            ArchConfig::Pim(PimConfig::Reram(c)) => Ok(Box::new(ReramChip::build(name, c, file)?)),
            ArchConfig::Hetero(c) => Ok(Box::new(HeteroSystem::build(name, c, file, mode)?)),
        }
    }

    /// Replaces the file references of an `[arch.hetero]` (relative to `file`) by the
    /// sections they hold, so the config stands alone (sweeps edit keys inside it); true if
    /// anything was replaced.
    pub fn inline_parts(&mut self, file: &Path) -> Result<bool, InputError> {
        match &mut self.arch {
            ArchConfig::Hetero(h) => h.inline_parts(file),
            _ => Ok(false),
        }
    }
}
