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
    /// Validate accelerator configs, workloads and sweep files without running them.
    Check(CheckArgs),
    /// Explore a design space: run a sweep file and write its Pareto front and reports.
    Sweep(SweepArgs),
    /// Join the outputs of sharded sweeps into what one run would give.
    Merge(MergeArgs),
    /// Emit Verilog, a self-checking testbench and vectors for a systolic design point; with
    /// --run, lint and simulate them and compare the cycles with the model.
    Rtl(RtlArgs),
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
    /// (resnet50, mobilenet_v2, bert_base, ...; LLMs: llama2_7b, llama2_70b, mixtral_8x7b, ...,
    /// or a workloads/llm/*.toml file, which print the serving report).
    #[arg(long, value_name = "FILE|NAME")]
    pub workload: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Run the workload on N samples at once (multiplies every layer's batch); for an LLM, the
    /// sequences served together.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch: u64,
    /// LLM only: prompt tokens per sequence [default: 512].
    #[arg(long, value_name = "TOKENS")]
    pub prompt: Option<u64>,
    /// LLM only: output tokens per sequence, the first from the prefill [default: 128].
    #[arg(long, value_name = "TOKENS")]
    pub gen: Option<u64>,
    /// LLM only: tensor-parallel degree, devices the model is split over [default: 1].
    #[arg(long, value_name = "N")]
    pub tp: Option<u64>,
    /// Use the exact fold-by-fold reference model instead of the closed form (slow; for
    /// checking).
    #[arg(long)]
    pub reference: bool,
}

/// `accel sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The sweep file (see configs/sweeps/).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output folder (default: reports/runs/<sweep name>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue from <out>/results.jsonl, spending only the remaining budget.
    #[arg(long)]
    pub resume: bool,
    /// Parallel evaluations (threads, or external evaluator processes); default: all cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Evaluate only shard K of N (0-based) of a grid or random sweep; join with `accel merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Run each of these searchers (comma separated) on the same problem and budget, and
    /// compare their hypervolume over --seeds seeds.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub compare: Vec<String>,
    /// Seeds per searcher with --compare (seeds 0..N).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub seeds: u64,
}

/// `accel merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The sweep file the shards ran.
    #[arg(long, value_name = "FILE")]
    pub sweep: PathBuf,
    /// Shard output folders.
    #[arg(required = true, value_name = "DIR")]
    pub inputs: Vec<PathBuf>,
    /// Output folder for the joined results and reports.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `accel check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to validate (folders are searched for .toml, .csv and .cfg files).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `accel rtl`.
#[derive(Debug, Args)]
pub struct RtlArgs {
    /// Accelerator: a TOML file (`[arch.systolic]`, integer precision) or a SCALE-Sim `.cfg`.
    #[arg(long, value_name = "FILE")]
    pub arch: PathBuf,
    /// Output folder: rtl/*.v, tb/ (testbench and vectors), run.sh, design.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Rows m of the test GEMM [m x k] x [k x n] (default: two folds per spatial dimension,
    /// the second one partial).
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u64).range(1..=65535))]
    pub test_m: Option<u64>,
    /// Columns n of the test GEMM.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=65535))]
    pub test_n: Option<u64>,
    /// Reduction k of the test GEMM.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=65535))]
    pub test_k: Option<u64>,
    /// Seed of the random test operands.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Lint every module (verilator --lint-only -Wall) and run the testbench (iverilog);
    /// exit 3 if a module warns, a result differs or the cycles differ from the model.
    #[arg(long)]
    pub run: bool,
    /// With --run: also synthesize with yosys for a Xilinx 7-series FPGA (`synth_xilinx`,
    /// hierarchy kept, so the PE is synthesized once) and write the cell counts to synth.json.
    #[arg(long, requires = "run")]
    pub synth: bool,
}
