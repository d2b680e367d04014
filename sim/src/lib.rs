//! # accel-sim: cycle-approximate models of deep-learning accelerators
//!
//! ```text
//! configs/accelerators/a.toml ─ArchFile::load─▶ ArchFile ─build()─▶ Box<dyn Accelerator>
//! workloads/w.{toml,csv} | shipped name ─workload::load─▶ Workload { layers: Vec<Layer> }
//! Accelerator::simulate(&Workload) ─▶ RunStats { layers: Vec<LayerStats>, energy, area }
//! ```
//!
//! - [`workload`]: the IR ([`Op::Gemm`], [`Op::Conv2d`], [`Op::Pool`], [`Op::Attention`],
//!   [`Op::Elementwise`]) and its loaders (our TOML, SCALE-Sim topology CSVs);
//!   [`workload::llm`] builds LLM prefill and decode phases and the serving report.
//! - [`arch`]: the [`Accelerator`] trait and the models; [`arch::systolic`] reproduces
//!   SCALE-Sim's compute cycles exactly and adds a double-buffered DRAM model.
//! - [`tech`]: per-action energy and per-component area tables by precision and node.
//! - [`stats`]: results by layer, energy and area by component.

pub mod arch;
pub mod config;
pub mod error;
pub mod memory;
pub mod stats;
pub mod tech;
pub mod workload;

pub use arch::Accelerator;
pub use config::{
    ArchConfig, ArchFile, Dataflow, Mode, SystolicConfig, TensorCoreConfig, TensorCoreMode,
};
pub use error::{InputError, SimError};
pub use stats::{AreaBreakdown, EnergyBreakdown, LayerStats, RunStats};
pub use workload::{Layer, Op, Precision, Workload};
