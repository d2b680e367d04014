//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Simulate deep-learning accelerators (systolic arrays) on DNN workloads: cycles, DRAM
/// traffic, energy and area per layer.
#[derive(Debug, Parser)]
#[command(name = "accel", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a workload on an accelerator and report per-layer and total results.
    Sim(SimArgs),
    /// Validate accelerator configs and workloads without running them.
    Check(CheckArgs),
}

/// Output format of results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// One row per layer and a `total` row.
    Csv,
    /// One JSON object.
    Json,
}

/// `accel sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Accelerator: a TOML file (`[arch.systolic]`) or a SCALE-Sim `.cfg` file.
    #[arg(long, value_name = "FILE")]
    pub arch: PathBuf,
    /// Workload: a TOML file, a SCALE-Sim topology `.csv`, or a shipped model's name
    /// (resnet50, mobilenet_v2, bert_base, ...).
    #[arg(long, value_name = "FILE|NAME")]
    pub workload: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Run the workload on N samples at once (multiplies every layer's batch).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch: u64,
    /// Use the exact fold-by-fold reference model instead of the closed form (slow; for
    /// checking).
    #[arg(long)]
    pub reference: bool,
}

/// `accel check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to validate (folders are searched for .toml, .csv and .cfg files).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}
