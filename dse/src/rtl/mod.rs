//! RTL for a chosen design point: plain Verilog-2005 whose cycle count equals the model's.
//!
//! ```text
//! SystolicConfig ─Design::from_config (validate)─▶ Design
//! Design + TestGemm ─systolic::emit─▶ Bundle { rtl/*.v, tb/*.v, tb/*.hex, run.sh, design.json }
//! Bundle::write(dir) ─lint (verilator -Wall) + simulate (iverilog, vvp)─▶ CheckReport
//! ```
//!
//! The model and the RTL share one cycle definition, [`cycle_contract`]: the RTL starts a fold
//! every [`FoldPlan::cycles_per_fold`] cycles (SCALE-Sim's per-fold count, nothing added) and
//! needs [`fill_drain_cycles`] more for the whole GEMM (buffer read latency, output drain
//! and register stages, each listed by [`fill_drain_terms`]). The
//! generated testbench measures both and fails on any difference, and checks every result
//! against the product computed here.
//!
//! - [`Design`]: a validated systolic design point (shape, dataflow, integer precision,
//!   accumulator, buffer depths) and its module-name prefix.
//! - [`systolic`]: the Verilog modules, the testbench and its vectors, the run script.
//! - [`Bundle`]: the emitted files; [`Bundle::lint`] and [`Bundle::simulate`] run the tools.

mod bench;
pub mod mma;
pub mod resources;
pub mod systolic;

use std::path::{Path, PathBuf};
use std::process::Command;

use accel_sim::arch::systolic::mapping::FoldPlan;
use accel_sim::workload::GemmShape;
use accel_sim::{Dataflow, InputError, Precision, SystolicConfig};
use serde::Serialize;

/// Why emitting or checking RTL failed (other than a bad design point, which is an
/// [`InputError`]).
#[derive(Debug, thiserror::Error)]
pub enum RtlError {
    /// Writing the output files failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A tool the check needs is not on `PATH`.
    #[error("`{tool}` is not installed (not found on PATH); install it (e.g. apt-get install {package})")]
    ToolMissing {
        /// The executable.
        tool: &'static str,
        /// The Debian/Ubuntu package that provides it.
        package: &'static str,
    },
    /// A tool could not be run or failed in a way that is not a check result.
    #[error("`{command}` failed: {message}")]
    Tool {
        /// The command line.
        command: String,
        /// What happened (its output's tail).
        message: String,
    },
}

/// Bits of the GEMM dimension inputs `cfg_m`, `cfg_n`, `cfg_k` of the generated top.
pub const DIM_BITS: u32 = 16;

/// A systolic design point the RTL generator accepts: integer operands, an integer
/// accumulator at least twice as wide, at least 2 x 2 PEs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Design {
    /// PE rows `R`.
    pub rows: u32,
    /// PE columns `C`.
    pub cols: u32,
    /// Dataflow (`is` runs on the `ws` hardware with the operands swapped).
    #[serde(serialize_with = "ser_dataflow")]
    pub dataflow: Dataflow,
    /// Operand precision.
    #[serde(serialize_with = "ser_precision")]
    pub precision: Precision,
    /// Operand bits.
    pub operand_bits: u32,
    /// Accumulator (partial-sum) bits; sums wrap modulo `2^accumulator_bits`.
    pub accumulator_bits: u32,
    /// Words of the west-operand buffer (`R` operands each).
    pub west_words: u64,
    /// Words of the north-operand buffer (`C` operands each).
    pub north_words: u64,
    /// Words of the output buffer (`C` accumulators each).
    pub out_words: u64,
}

fn ser_dataflow<S: serde::Serializer>(d: &Dataflow, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.name())
}

pub(crate) fn ser_precision<S: serde::Serializer>(p: &Precision, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.name())
}

/// Largest array side the generator accepts (the model's limit).
const MAX_SIDE: u32 = 4096;

impl Design {
    /// Validates `c` for RTL generation; `file` names the config in errors (exit code 2).
    pub fn from_config(c: &SystolicConfig, file: &Path) -> Result<Design, InputError> {
        let out_of_range = |key: &str, value: String, allowed: &str| InputError::OutOfRange {
            file: file.to_path_buf(),
            key: key.to_string(),
            value,
            allowed: allowed.to_string(),
        };
        for (key, side) in [
            ("arch.systolic.rows", c.rows),
            ("arch.systolic.cols", c.cols),
        ] {
            if !(2..=MAX_SIDE).contains(&side) {
                return Err(out_of_range(
                    key,
                    side.to_string(),
                    "2..=4096 for RTL generation (the skew and drain logic needs 2 x 2 PEs)",
                ));
            }
        }
        if !matches!(
            c.precision,
            Precision::Int4 | Precision::Int8 | Precision::Int16
        ) {
            return Err(out_of_range(
                "arch.systolic.precision",
                format!("\"{}\"", c.precision),
                "\"int4\", \"int8\" or \"int16\" for RTL generation (floating-point and int32 \
                 operands have no RTL yet)",
            ));
        }
        let operand_bits = c.precision.bits();
        let acc = c.accumulator.unwrap_or(c.precision.default_accumulator());
        let acc_ok = matches!(acc, Precision::Int8 | Precision::Int16 | Precision::Int32)
            && acc.bits() >= 2 * operand_bits;
        if !acc_ok {
            return Err(out_of_range(
                "arch.systolic.accumulator",
                format!("\"{acc}\""),
                &format!(
                    "an integer format of at least {} bits (twice precision \"{}\") for RTL \
                     generation",
                    2 * operand_bits,
                    c.precision
                ),
            ));
        }
        let (west_kib, west_key, north_kib, north_key) = match c.dataflow {
            Dataflow::Os | Dataflow::Ws => (
                c.ifmap_sram_kib,
                "arch.systolic.ifmap_sram_kib",
                c.filter_sram_kib,
                "arch.systolic.filter_sram_kib",
            ),
            Dataflow::Is => (
                c.filter_sram_kib,
                "arch.systolic.filter_sram_kib",
                c.ifmap_sram_kib,
                "arch.systolic.ifmap_sram_kib",
            ),
        };
        let words = |key: &str, kib: f64, word_bits: u64| -> Result<u64, InputError> {
            let w = (kib * 8192.0 / word_bits as f64).floor();
            if !(1.0..=(1u64 << 40) as f64).contains(&w) {
                return Err(out_of_range(
                    key,
                    kib.to_string(),
                    &format!("at least one {word_bits}-bit buffer word for RTL generation"),
                ));
            }
            Ok(w as u64)
        };
        let (r, cc) = (u64::from(c.rows), u64::from(c.cols));
        let out_words = words(
            "arch.systolic.ofmap_sram_kib",
            c.ofmap_sram_kib,
            cc * u64::from(acc.bits()),
        )?;
        // The output writer steps by up to 2R - 1 words (one OS tile ahead).
        if out_words < 2 * r {
            return Err(out_of_range(
                "arch.systolic.ofmap_sram_kib",
                c.ofmap_sram_kib.to_string(),
                &format!(
                    "at least {} bytes (2 x rows output words) for RTL generation",
                    2 * r * cc * u64::from(acc.bits()) / 8
                ),
            ));
        }
        Ok(Design {
            rows: c.rows,
            cols: c.cols,
            dataflow: c.dataflow,
            precision: c.precision,
            operand_bits,
            accumulator_bits: acc.bits(),
            west_words: words(west_key, west_kib, r * u64::from(operand_bits))?,
            north_words: words(north_key, north_kib, cc * u64::from(operand_bits))?,
            out_words,
        })
    }

    /// Design-point name, e.g. `sa16x16_ws_int8` (`_acc16` appended for a non-int32
    /// accumulator). Every module name starts with it and an underscore.
    pub fn name(&self) -> String {
        let mut name = format!(
            "sa{}x{}_{}_{}",
            self.rows,
            self.cols,
            self.dataflow.name(),
            self.precision.name()
        );
        if self.accumulator_bits != 32 {
            name.push_str(&format!("_acc{}", self.accumulator_bits));
        }
        name
    }

    /// The fold plan of GEMM `[m x k] x [k x n]` on this design point.
    pub fn plan(&self, m: u64, n: u64, k: u64) -> FoldPlan {
        FoldPlan::new(
            self.dataflow,
            u64::from(self.rows),
            u64::from(self.cols),
            &GemmShape::dense(m, n, k, 1),
        )
    }
}

/// The cycles the generated RTL takes for one GEMM, as the model defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CycleContract {
    /// Folds (`ceil(sr/R) * ceil(sc/C)`).
    pub folds: u64,
    /// Cycles from one fold's start to the next: [`FoldPlan::cycles_per_fold`] exactly (no
    /// register stage is added per fold; the RTL overlaps each fold's drain with the next
    /// fold, as SCALE-Sim assumes).
    pub fold_interval_cycles: u64,
    /// Cycles added once per GEMM: [`fill_drain_cycles`].
    pub fill_drain_cycles: u64,
    /// From the cycle `start` is high to the cycle `done` is high:
    /// `folds * fold_interval_cycles + fill_drain_cycles`.
    pub total_cycles: u64,
}

/// The one cycle definition shared by the model and the emitter: what the RTL of `plan`'s
/// design point takes for `plan`'s GEMM.
pub fn cycle_contract(plan: &FoldPlan) -> CycleContract {
    let fold_interval_cycles = plan.cycles_per_fold();
    let fill_drain = fill_drain_cycles(plan.dataflow, plan.rows);
    CycleContract {
        folds: plan.folds(),
        fold_interval_cycles,
        fill_drain_cycles: fill_drain,
        total_cycles: plan.folds() * fold_interval_cycles + fill_drain,
    }
}

/// Register stages outside the fold schedule, paid once per GEMM: the sum of
/// [`fill_drain_terms`].
pub fn fill_drain_cycles(dataflow: Dataflow, rows: u64) -> u64 {
    fill_drain_terms(dataflow, rows)
        .iter()
        .map(|(c, _)| c)
        .sum()
}

/// Each register stage the RTL adds to the model's fold schedule, with its cycles.
///
/// Cycles count from the one in which `start` is high (the sequencer starts the first fold
/// in the next cycle) to the one in which `done` is high. The model's fold runs from the
/// cycle of its first operand read to the cycle of its last MAC; the RTL adds, after the
/// last fold only (each fold's tail overlaps the next fold, as SCALE-Sim assumes):
/// the buffers' one-cycle read latency; the cycle in which the last sum sits in its PE
/// register (OS: the capture into the drain chain; WS/IS: the bottom PE's partial-sum
/// register, whose column the fold already de-skews); in OS the `R` cycles that shift the
/// last tile's `R` rows out of the columns; the output register stage (which also covers the
/// output buffer's read latency of the WS/IS read-modify-write); and the `done` register.
pub fn fill_drain_terms(dataflow: Dataflow, rows: u64) -> Vec<(u64, &'static str)> {
    let mut terms = vec![(1, "operand buffer read latency")];
    match dataflow {
        Dataflow::Os => {
            terms.push((1, "capture of the finished sums into the drain chain"));
            terms.push((rows, "drain of the last tile's R rows"));
        }
        Dataflow::Ws | Dataflow::Is => {
            terms.push((1, "bottom PE partial-sum register"));
        }
    }
    terms.push((1, "output register stage"));
    terms.push((1, "done register"));
    terms
}

/// One GEMM `[m x k] x [k x n]` with random operands, for the testbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TestGemm {
    /// GEMM rows.
    pub m: u64,
    /// GEMM columns.
    pub n: u64,
    /// GEMM reduction.
    pub k: u64,
    /// Seed of the operand generator (ChaCha8).
    pub seed: u64,
}

impl TestGemm {
    /// A GEMM of 2 x 2 folds, each second fold partial (`2R-1` spatial rows, `2C-1` spatial
    /// columns), with a temporal extent of 7.
    pub fn default_for(design: &Design) -> TestGemm {
        let (sr, sc, t) = (
            2 * u64::from(design.rows) - 1,
            2 * u64::from(design.cols) - 1,
            7,
        );
        let (m, n, k) = match design.dataflow {
            Dataflow::Os => (sr, sc, t),
            Dataflow::Ws => (t, sc, sr),
            Dataflow::Is => (sc, t, sr),
        };
        TestGemm { m, n, k, seed: 1 }
    }
}

/// One emitted file, relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmittedFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Contents.
    pub text: String,
}

/// Everything `accel rtl` writes for one design point and test GEMM.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Design-point name (module prefix without the trailing underscore).
    pub name: String,
    /// Module names, leaves first; module `x` is in `rtl/x.v`.
    pub modules: Vec<String>,
    /// Testbench module name; it is in `tb/<name>.v`.
    pub testbench: String,
    /// The cycle contract of each test GEMM, in the order the testbench runs them.
    pub contracts: Vec<CycleContract>,
    /// All files.
    pub files: Vec<EmittedFile>,
}

/// Lint result of one module.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    /// Module linted as the top.
    pub module: String,
    /// Verilator's `%Warning`/`%Error` lines (empty: clean).
    pub warnings: Vec<String>,
}

/// Simulation result of the testbench.
#[derive(Debug, Clone, Serialize)]
pub struct SimReport {
    /// The testbench printed `RESULT: PASS`.
    pub passed: bool,
    /// Cycles from start to done as the testbench measured them, if it got that far.
    pub measured_cycles: Option<u64>,
    /// The testbench's output.
    pub log: String,
}

impl Bundle {
    /// Cycles from the first GEMM's `start` to the last one's `done`: the GEMMs run back to
    /// back (the next starts in the cycle the previous is done), so the sum of the contracts.
    pub fn total_cycles(&self) -> u64 {
        self.contracts.iter().map(|c| c.total_cycles).sum()
    }

    /// RTL source paths relative to the output folder, leaves first.
    pub fn rtl_files(&self) -> Vec<String> {
        self.modules.iter().map(|m| format!("rtl/{m}.v")).collect()
    }

    /// Writes every file under `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> Result<(), RtlError> {
        for f in &self.files {
            let path = dir.join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| RtlError::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, &f.text).map_err(|source| RtlError::Io { path, source })?;
        }
        Ok(())
    }

    /// Lints every module with `verilator --lint-only -Wall` (each as the top, all sources
    /// given) in `dir`, where [`Bundle::write`] put the files.
    pub fn lint(&self, dir: &Path) -> Result<Vec<LintReport>, RtlError> {
        require("verilator", "verilator")?;
        let sources = self.rtl_files();
        let mut reports = Vec::new();
        for module in &self.modules {
            let mut cmd = Command::new("verilator");
            cmd.current_dir(dir)
                .args(["--lint-only", "-Wall", "--top-module", module])
                .args(&sources);
            let out = run_tool(&mut cmd)?;
            let text = format!("{}{}", out.stdout, out.stderr);
            let warnings: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error"))
                .map(str::to_string)
                .collect();
            if warnings.is_empty() && !out.success {
                return Err(RtlError::Tool {
                    command: format!("verilator --lint-only -Wall --top-module {module}"),
                    message: tail(&text),
                });
            }
            reports.push(LintReport {
                module: module.clone(),
                warnings,
            });
        }
        Ok(reports)
    }

    /// Compiles the RTL and testbench with `iverilog -g2005` into `dir/build/` and runs it with
    /// `vvp` in `dir`.
    pub fn simulate(&self, dir: &Path) -> Result<SimReport, RtlError> {
        require("iverilog", "iverilog")?;
        require("vvp", "iverilog")?;
        let build = dir.join("build");
        std::fs::create_dir_all(&build).map_err(|source| RtlError::Io {
            path: build.clone(),
            source,
        })?;
        let mut compile = Command::new("iverilog");
        compile
            .current_dir(dir)
            .args(["-g2005", "-o", "build/tb.vvp", "-s", &self.testbench])
            .args(self.rtl_files())
            .arg(format!("tb/{}.v", self.testbench));
        let out = run_tool(&mut compile)?;
        if !out.success {
            return Err(RtlError::Tool {
                command: "iverilog -g2005".into(),
                message: tail(&format!("{}{}", out.stdout, out.stderr)),
            });
        }
        let mut sim = Command::new("vvp");
        sim.current_dir(dir).args(["-n", "build/tb.vvp"]);
        let out = run_tool(&mut sim)?;
        let log = format!("{}{}", out.stdout, out.stderr);
        let passed = out.success
            && log.lines().any(|l| l.trim() == "RESULT: PASS")
            && !log.contains("RESULT: FAIL");
        let measured_cycles = log.lines().find_map(|l| {
            l.trim()
                .strip_prefix("cycles: measured ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        });
        Ok(SimReport {
            passed,
            measured_cycles,
            log,
        })
    }
}

/// Cells of one synthesized module.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SynthModule {
    /// Module name without yosys's `$paramod$<hash>\` prefix.
    pub name: String,
    /// Yosys's name (distinct per parameter set).
    pub yosys_name: String,
    /// Instances in the design.
    pub instances: u64,
    /// Cells of one instance (submodule instances count as cells).
    pub cells: u64,
    /// Cells by type, e.g. `DSP48E1`, `RAMB36E1`, `LUT6`, `FDRE`.
    pub cells_by_type: std::collections::BTreeMap<String, u64>,
}

/// Result of [`Bundle::synthesize`], also written to `synth.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SynthReport {
    /// The file written, relative to the output folder.
    pub file: String,
    /// The yosys flow.
    pub flow: String,
    /// The top module.
    pub top: String,
    /// Each module once, as synthesized (the PE once, whatever the array size).
    pub modules: Vec<SynthModule>,
    /// The whole design, instances expanded.
    pub total_cells_by_type: std::collections::BTreeMap<String, u64>,
    /// One line: LUTs, flip-flops, DSPs, block RAMs (36-Kb units) and CARRY4s of the whole
    /// design, counted as [`resources::Resources::from_cells`] does.
    pub summary: String,
}

impl Bundle {
    /// Synthesizes the RTL with `yosys` (`synth_xilinx`, hierarchy kept: each module,
    /// the PE included, is synthesized once per parameter set) in `dir`, writes
    /// `dir/synth.json` and the log to `dir/build/synth.log`.
    pub fn synthesize(&self, dir: &Path) -> Result<SynthReport, RtlError> {
        require("yosys", "yosys")?;
        let build = dir.join("build");
        std::fs::create_dir_all(&build).map_err(|source| RtlError::Io {
            path: build.clone(),
            source,
        })?;
        let top = format!("{}_top", self.name);
        let flow = format!("synth_xilinx -top {top}");
        let script = format!(
            "read_verilog {}; {flow}; tee -q -o build/synth_stat.txt stat",
            self.rtl_files().join(" ")
        );
        let mut cmd = Command::new("yosys");
        cmd.current_dir(dir)
            .args(["-q", "-l", "build/synth.log", "-p", &script]);
        let out = run_tool(&mut cmd)?;
        if !out.success {
            return Err(RtlError::Tool {
                command: format!("yosys -p \"{script}\""),
                message: tail(&format!("{}{}", out.stdout, out.stderr)),
            });
        }
        let stat_path = dir.join("build/synth_stat.txt");
        let stat = std::fs::read_to_string(&stat_path).map_err(|source| RtlError::Io {
            path: stat_path,
            source,
        })?;
        let (modules, total) = parse_yosys_stat(&stat);
        let r = resources::Resources::from_cells(&total);
        let summary = format!(
            "{:.0} LUT, {:.0} FF, {:.0} DSP48E1, {} BRAM36, {:.0} CARRY4",
            r.lut, r.ff, r.dsp, r.bram, r.carry
        );
        let report = SynthReport {
            file: "synth.json".into(),
            flow: format!("{flow} (yosys, hierarchy kept)"),
            top,
            modules,
            total_cells_by_type: total,
            summary,
        };
        let json = serde_json::to_string_pretty(&report).expect("synth report serializes");
        let path = dir.join(&report.file);
        std::fs::write(&path, json + "\n").map_err(|source| RtlError::Io { path, source })?;
        Ok(report)
    }
}

/// Parses yosys's `stat` text: one section per module (`=== name ===`, then `Number of
/// cells:` and one `type count` line per cell type) and a `design hierarchy` section
/// (instance counts, then the totals of the whole design).
fn parse_yosys_stat(text: &str) -> (Vec<SynthModule>, std::collections::BTreeMap<String, u64>) {
    use std::collections::BTreeMap;
    let mut modules: Vec<SynthModule> = Vec::new();
    let mut total = BTreeMap::new();
    let mut instances: BTreeMap<String, u64> = BTreeMap::new();
    let mut section: Option<String> = None;
    let mut in_cells = false;
    let mut in_hierarchy_list = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("=== ")
            .and_then(|l| l.strip_suffix(" ==="))
        {
            in_cells = false;
            in_hierarchy_list = name == "design hierarchy";
            section = Some(name.to_string());
            if name != "design hierarchy" {
                modules.push(SynthModule {
                    name: short_name(name),
                    yosys_name: name.to_string(),
                    instances: 0,
                    cells: 0,
                    cells_by_type: BTreeMap::new(),
                });
            }
            continue;
        }
        let Some(sec) = section.as_deref() else {
            continue;
        };
        if trimmed.is_empty() {
            in_cells = false;
            continue;
        }
        if let Some(n) = trimmed.strip_prefix("Number of cells:") {
            in_hierarchy_list = false;
            in_cells = true;
            if let (Some(m), Ok(n)) = (modules.last_mut(), n.trim().parse()) {
                if sec != "design hierarchy" {
                    m.cells = n;
                }
            }
            continue;
        }
        if trimmed.starts_with("Number of") {
            in_hierarchy_list = false;
            continue;
        }
        let mut parts = trimmed.rsplitn(2, char::is_whitespace);
        let (Some(count), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(count) = count.parse::<u64>() else {
            continue;
        };
        let name = name.trim().to_string();
        if in_hierarchy_list {
            *instances.entry(name).or_default() += count;
        } else if in_cells {
            if sec == "design hierarchy" {
                total.insert(name, count);
            } else if let Some(m) = modules.last_mut() {
                m.cells_by_type.insert(name, count);
            }
        }
    }
    for m in &mut modules {
        m.instances = instances.get(&m.yosys_name).copied().unwrap_or(1);
    }
    if total.is_empty() {
        // A design without submodules prints no hierarchy section: its top is the total.
        if let Some(m) = modules.last() {
            total = m.cells_by_type.clone();
        }
    }
    (modules, total)
}

/// `$paramod$<hash>\name` -> `name`.
fn short_name(yosys_name: &str) -> String {
    yosys_name
        .rsplit('\\')
        .next()
        .unwrap_or(yosys_name)
        .to_string()
}

/// Whether `tool` is an executable on `PATH`.
pub fn tool_available(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let p = dir.join(tool);
            p.is_file()
        })
    })
}

/// For tests that run the HDL tools: whether every one of `tools` is on `PATH`. A test
/// without them should report itself skipped (this prints that, naming `test`) and pass,
/// except under CI: with the environment variable `CI` set, a missing tool panics, so CI
/// cannot skip the checks.
pub fn tools_or_skip(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| !tool_available(t))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {} not installed and CI is set", missing.join(", "));
    }
    eprintln!("{test}: skipped: {} not installed", missing.join(", "));
    false
}

fn require(tool: &'static str, package: &'static str) -> Result<(), RtlError> {
    if tool_available(tool) {
        Ok(())
    } else {
        Err(RtlError::ToolMissing { tool, package })
    }
}

struct ToolOutput {
    success: bool,
    stdout: String,
    stderr: String,
}

fn run_tool(cmd: &mut Command) -> Result<ToolOutput, RtlError> {
    let line = format!("{cmd:?}");
    log::debug!("running {line}");
    let out = cmd.output().map_err(|e| RtlError::Tool {
        command: line,
        message: e.to_string(),
    })?;
    Ok(ToolOutput {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The last lines of a tool's output, for an error message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// What `accel sweep --rtl` found for one chosen design point.
#[derive(Debug, Clone, Serialize)]
pub struct PointCheck {
    /// The sweep record's id.
    pub id: u64,
    /// Design-point name, when RTL was emitted.
    pub name: Option<String>,
    /// Why no RTL was emitted, or which check was skipped (tools missing).
    pub note: Option<String>,
    /// Lint warnings over all modules (`None`: not linted).
    pub lint_warnings: Option<usize>,
    /// The testbench passed with the contract's cycles (`None`: not simulated).
    pub sim_passed: Option<bool>,
    /// Cycles the testbench measured.
    pub measured_cycles: Option<u64>,
    /// Cycles of the contract.
    pub contract_cycles: Option<u64>,
    /// yosys `synth_xilinx` resources (`None`: not synthesized).
    pub synth: Option<resources::Resources>,
    /// The analytical model's estimate ([`resources::estimate`]).
    pub model: Option<resources::Resources>,
}

impl PointCheck {
    /// A check of record `id` with nothing found yet.
    pub fn empty(id: u64) -> PointCheck {
        PointCheck {
            id,
            name: None,
            note: None,
            lint_warnings: None,
            sim_passed: None,
            measured_cycles: None,
            contract_cycles: None,
            synth: None,
            model: None,
        }
    }

    /// Whether a check that ran failed (lint warnings, or a failing or miscounting testbench).
    pub fn failed(&self) -> bool {
        self.lint_warnings.is_some_and(|w| w > 0) || self.sim_passed == Some(false)
    }
}

/// The design of a sweep record that has an RTL generator.
#[derive(Debug, Clone, Copy)]
pub enum PointConfig<'a> {
    /// A systolic array.
    Systolic(&'a SystolicConfig),
    /// A tensor core's MMA unit ([`mma::MmaDesign::from_tensor_core`]).
    TensorCore(&'a accel_sim::TensorCoreConfig),
}

/// Emits the RTL of sweep record `id` into `dir` with its default test GEMM, then lints and
/// simulates it when verilator and iverilog are installed and synthesizes it when yosys is.
/// A design the generator rejects (e.g. floating-point operands) gives a [`PointCheck`] with
/// a note, not an error.
pub fn check_point(id: u64, config: PointConfig, dir: &Path) -> Result<PointCheck, RtlError> {
    let mut out = PointCheck::empty(id);
    let label = PathBuf::from(format!("design #{id}"));
    let emitted = match config {
        PointConfig::Systolic(c) => Design::from_config(c, &label).and_then(|d| {
            let g = TestGemm::default_for(&d);
            systolic::check_test(&d, &g, &label)?;
            Ok((systolic::emit(&d, &g), resources::estimate(&d)))
        }),
        PointConfig::TensorCore(c) => mma::MmaDesign::from_tensor_core(c, &label).and_then(|d| {
            let g = mma::default_test(&d);
            mma::check_sequence(&d, std::slice::from_ref(&g), &label)?;
            Ok((mma::emit_sequence(&d, &[g]), resources::estimate_mma(&d)))
        }),
    };
    let (bundle, model) = match emitted {
        Ok(b) => b,
        Err(e) => {
            out.note = Some(format!("no RTL: {e}"));
            return Ok(out);
        }
    };
    bundle.write(dir)?;
    out.name = Some(bundle.name.clone());
    out.model = model;
    out.contract_cycles = Some(bundle.total_cycles());
    let missing: Vec<&str> = ["verilator", "iverilog", "vvp", "yosys"]
        .into_iter()
        .filter(|t| !tool_available(t))
        .collect();
    if tool_available("verilator") {
        let lint = bundle.lint(dir)?;
        out.lint_warnings = Some(lint.iter().map(|l| l.warnings.len()).sum());
    }
    if tool_available("iverilog") && tool_available("vvp") {
        let sim = bundle.simulate(dir)?;
        out.sim_passed = Some(sim.passed && sim.measured_cycles == Some(bundle.total_cycles()));
        out.measured_cycles = sim.measured_cycles;
    }
    if tool_available("yosys") {
        let report = bundle.synthesize(dir)?;
        out.synth = Some(resources::Resources::from_cells(
            &report.total_cells_by_type,
        ));
    }
    if !missing.is_empty() {
        out.note = Some(format!("not installed: {}", missing.join(", ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(df: Dataflow, r: u32, c: u32) -> Design {
        Design::from_config(&SystolicConfig::new(r, c, df), Path::new("a.toml")).unwrap()
    }

    #[test]
    fn contract_is_model_folds_plus_fill_drain() {
        // 4x4 WS, m=7, n=7, k=7: sr=k=7 -> 2 row folds, sc=n=7 -> 2 column folds;
        // per fold 2*4+4+7-2 = 17 (FoldPlan); fill/drain 4 (read, PE reg, output reg, done).
        let d = design(Dataflow::Ws, 4, 4);
        let c = cycle_contract(&d.plan(7, 7, 7));
        assert_eq!((c.folds, c.fold_interval_cycles), (4, 17));
        assert_eq!(c.fill_drain_cycles, 4);
        assert_eq!(c.total_cycles, 4 * 17 + 4);
        // 4x8 OS, m=7, n=15, k=7: 2 x 2 folds of 7+4+8-2 = 17; fill/drain R + 4 = 8.
        let d = design(Dataflow::Os, 4, 8);
        let c = cycle_contract(&d.plan(7, 15, 7));
        assert_eq!((c.folds, c.fold_interval_cycles), (4, 17));
        assert_eq!(c.total_cycles, 4 * 17 + 8);
    }

    #[test]
    fn contract_adds_fill_drain_to_the_model_compute_cycles() {
        // Whatever the shape: RTL cycles = FoldPlan::compute_cycles + a per-GEMM constant,
        // R + 4 for OS and 4 for WS/IS (terms in fill_drain_terms).
        for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
            for (r, c) in [(2, 2), (4, 8), (8, 4), (32, 32)] {
                for (m, n, k) in [(1, 1, 1), (7, 15, 7), (100, 3, 41)] {
                    let p = design(df, r, c).plan(m, n, k);
                    let got = cycle_contract(&p);
                    let fill = if df == Dataflow::Os {
                        u64::from(r) + 4
                    } else {
                        4
                    };
                    assert_eq!(got.total_cycles, p.compute_cycles() + fill);
                    assert_eq!(got.fold_interval_cycles, p.cycles_per_fold());
                }
            }
        }
    }

    #[test]
    fn rejects_float_operands() {
        let mut c = SystolicConfig::new(4, 4, Dataflow::Ws);
        c.precision = Precision::Fp16;
        let err = Design::from_config(&c, Path::new("a.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("arch.systolic.precision") && msg.contains("fp16"),
            "{msg}"
        );
    }

    #[test]
    fn rejects_narrow_accumulator() {
        // int16 operands need a 32-bit accumulator: int16 x int16 products are 32 bits.
        let mut c = SystolicConfig::new(4, 4, Dataflow::Os);
        c.precision = Precision::Int16;
        c.accumulator = Some(Precision::Int16);
        let msg = Design::from_config(&c, Path::new("a.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("arch.systolic.accumulator"), "{msg}");
    }

    #[test]
    fn names_the_design_point() {
        assert_eq!(design(Dataflow::Ws, 16, 16).name(), "sa16x16_ws_int8");
        let mut c = SystolicConfig::new(4, 8, Dataflow::Os);
        c.precision = Precision::Int4;
        c.accumulator = Some(Precision::Int16);
        let d = Design::from_config(&c, Path::new("a.toml")).unwrap();
        assert_eq!(d.name(), "sa4x8_os_int4_acc16");
    }

    #[test]
    fn buffer_words_follow_the_config() {
        // 64 KiB west buffer of 4 x int8 words: 65536 / 4 = 16384 words; the output buffer
        // holds 4 x int32 = 16-byte words: 4096.
        let d = design(Dataflow::Ws, 4, 4);
        assert_eq!((d.west_words, d.out_words), (16_384, 4096));
    }
}
