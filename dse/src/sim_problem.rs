//! The built-in problem: a base accelerator config with some keys set by the design point,
//! simulated on one or more workloads and LLM serving scenarios, with metrics aggregated
//! across them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accel_sim::workload::llm::{self, LlmModel, Scenario};
use accel_sim::{workload::Workload, ArchFile, Mode, RunStats};

use crate::error::DseError;
use crate::problem::{evaluation, Evaluation, Objective, Problem};
use crate::space::{DesignPoint, DesignSpace};

/// Metrics a simulated design reports (all per run of the workload set).
pub const METRICS: &[(&str, &str)] = &[
    ("latency_s", "seconds to run the workloads (aggregated)"),
    ("energy_j", "joules to run the workloads (aggregated)"),
    ("area_mm2", "accelerator area"),
    ("edp", "energy-delay product, J*s"),
    ("power_w", "average power, energy_j / latency_s"),
    ("throughput", "workload runs per second, 1 / latency_s"),
    ("perf_per_w", "throughput / power_w (runs per joule)"),
    ("perf_per_mm2", "throughput / area_mm2"),
    ("cycles", "clock cycles (aggregated)"),
    ("stall_cycles", "cycles waiting for DRAM (aggregated)"),
    ("dram_bytes", "DRAM bytes moved (aggregated)"),
    (
        "utilization",
        "MAC utilisation, MAC-weighted over the workloads",
    ),
    ("macs", "multiply-accumulates (aggregated)"),
    ("ttft_s", "LLM time to first token, seconds (aggregated)"),
    (
        "tpot_s",
        "LLM time per output token after the first, seconds (aggregated)",
    ),
    (
        "tokens_per_s",
        "LLM output tokens per second over whole requests (sum: total tokens / total time; \
         max: the slowest scenario)",
    ),
    (
        "memory_gb",
        "LLM weights + KV cache per device, GB (aggregated)",
    ),
    (
        "fits",
        "1 if every LLM scenario fits the device memory (or the model states no capacity), \
         else 0; constrain with fits = { min = 1 }",
    ),
    (
        "accuracy_proxy",
        "model's accuracy proxy, 0..1, maximise (ReRAM: share of column sums the ADC \
         resolves without clipping; 1 for digital models), MAC-weighted over the workloads",
    ),
    (
        "lut",
        "FPGA LUTs of the design's RTL (Xilinx 7-series, resource model calibrated on yosys; \
         integer systolic designs only)",
    ),
    ("ff", "FPGA flip-flops of the design's RTL (as lut)"),
    ("dsp", "FPGA DSP48E1 slices of the design's RTL (as lut)"),
    (
        "bram",
        "FPGA block RAMs of the design's RTL in 36-Kb units (as lut)",
    ),
];

/// The FPGA metrics, which only designs with an RTL generator have.
const FPGA_METRICS: [&str; 4] = ["lut", "ff", "dsp", "bram"];

/// The FPGA resources of a config's RTL ([`crate::rtl::resources::estimate`]), or why there
/// are none.
fn fpga_metrics(arch: &ArchFile) -> Result<[(&'static str, f64); 4], String> {
    let c = match &arch.arch {
        accel_sim::ArchConfig::Systolic(c) => c,
        _ => return Err("only [arch.systolic] designs have an FPGA resource model".into()),
    };
    let d =
        crate::rtl::Design::from_config(c, Path::new("design point")).map_err(|e| e.to_string())?;
    let r = crate::rtl::resources::estimate(&d)
        .ok_or_else(|| format!("no calibrated PE for {}", d.name()))?;
    Ok([
        ("lut", r.lut),
        ("ff", r.ff),
        ("dsp", r.dsp),
        ("bram", r.bram),
    ])
}

/// The metrics only LLM scenarios report.
pub const LLM_METRICS: &[&str] = &["ttft_s", "tpot_s", "tokens_per_s", "memory_gb", "fits"];

/// Names of [`METRICS`], comma separated, for error messages.
pub fn metric_names() -> String {
    METRICS.iter().map(|m| m.0).collect::<Vec<_>>().join(", ")
}

/// How per-workload results combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Run every workload once: add latencies, energies, cycles.
    Sum,
    /// Weighted sum with each workload's `weight`.
    WeightedSum,
    /// The worst workload for each metric.
    Max,
}

/// A workload and its weight.
#[derive(Debug, Clone)]
pub struct WeightedWorkload {
    /// The workload.
    pub workload: Workload,
    /// Weight (1 unless `weighted_sum`).
    pub weight: f64,
}

/// An LLM serving scenario and its weight.
#[derive(Debug, Clone)]
pub struct LlmScenario {
    /// The model.
    pub model: LlmModel,
    /// Batch, lengths and tensor parallelism.
    pub scenario: Scenario,
    /// Weight (1 unless `weighted_sum`).
    pub weight: f64,
}

/// Simulates design points of an accelerator config.
#[derive(Debug)]
pub struct SimProblem {
    /// Sweep file (for messages).
    pub file: PathBuf,
    /// The base accelerator config as TOML.
    pub base: toml::Value,
    /// Where the base config came from.
    pub base_file: PathBuf,
    /// Workloads and weights.
    pub workloads: Vec<WeightedWorkload>,
    /// LLM serving scenarios and weights.
    pub llms: Vec<LlmScenario>,
    /// Aggregation.
    pub aggregate: Aggregate,
    /// The space (dimension names are dotted key paths into the base config).
    pub space: DesignSpace,
    /// Objectives.
    pub objectives: Vec<Objective>,
    /// Constraint bounds: (metric, min, max); the constraint names are `metric<=max` or
    /// `metric>=min`.
    pub bounds: Vec<(String, Option<f64>, Option<f64>)>,
    /// Constraint names in order.
    pub constraint_names: Vec<String>,
}

/// Sets `value` at dotted `path` in `root`, creating tables on the way.
pub fn set_path(root: &mut toml::Value, path: &str, value: toml::Value) -> Result<(), String> {
    let mut node = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let table = node
            .as_table_mut()
            .ok_or_else(|| format!("`{part}` is below a value that is not a table"))?;
        if parts.peek().is_none() {
            table.insert(part.to_string(), value);
            return Ok(());
        }
        node = table
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    }
    Err("empty key path".into())
}

impl SimProblem {
    /// The accelerator config of a design point.
    pub fn config(&self, point: &DesignPoint) -> Result<ArchFile, String> {
        let mut v = self.base.clone();
        for (d, val) in self.space.dims.iter().zip(&point.values) {
            set_path(&mut v, &d.name, val.to_toml())?;
        }
        // Serde's message names the unknown field and lists the allowed ones.
        v.try_into::<ArchFile>().map_err(|e| e.to_string())
    }

    /// The config of a point as TOML text (for reports and RTL).
    pub fn config_toml(&self, point: &DesignPoint) -> Result<String, String> {
        let arch = self.config(point)?;
        toml::to_string_pretty(&arch).map_err(|e| e.to_string())
    }

    /// Metrics of one design, aggregated over the workloads; `Err` if the design is invalid.
    pub fn metrics(&self, point: &DesignPoint) -> Result<BTreeMap<String, f64>, String> {
        let arch = self.config(point)?;
        let acc = arch
            .build(Path::new("design point"), Mode::Fast)
            .map_err(|e| e.to_string())?;
        let mut t = Totals::new(self.aggregate);
        // A model may size itself to the workload (the ReRAM chip without `tiles`): take the
        // largest run's area.
        let mut area = acc.area().total_mm2();
        for w in &self.workloads {
            let s = acc.simulate(&w.workload).map_err(|e| e.to_string())?;
            area = area.max(s.area.total_mm2());
            t.add_accuracy(&s, s.macs);
            t.add_runs(w.weight, &[&s]);
        }
        for l in &self.llms {
            let r = llm::serve(acc.as_ref(), &l.model, &l.scenario).map_err(|e| e.to_string())?;
            let runs: Vec<&RunStats> = std::iter::once(&r.prefill).chain(&r.decode).collect();
            for s in &runs {
                area = area.max(s.area.total_mm2());
            }
            // The decode steps multiply by the same weights as the prefill: its proxy serves
            // the whole scenario.
            let macs = runs.iter().map(|r| r.macs).sum();
            t.add_accuracy(&r.prefill, macs);
            t.add_runs(l.weight, &runs);
            t.add_llm(l.weight, &r);
        }
        let [lat, energy, cycles, stalls, dram, macs, busy] = t.runs;
        let power = energy / lat;
        let throughput = 1.0 / lat;
        let mut m = BTreeMap::from([
            ("latency_s".into(), lat),
            ("energy_j".into(), energy),
            ("area_mm2".into(), area),
            ("edp".into(), energy * lat),
            ("power_w".into(), power),
            ("throughput".into(), throughput),
            ("perf_per_w".into(), throughput / power),
            ("perf_per_mm2".into(), throughput / area),
            ("cycles".into(), cycles),
            ("stall_cycles".into(), stalls),
            ("dram_bytes".into(), dram),
            (
                "utilization".into(),
                if macs > 0.0 { busy / macs } else { 0.0 },
            ),
            ("macs".into(), macs),
            (
                "accuracy_proxy".into(),
                if t.accuracy_macs > 0.0 {
                    t.accuracy / t.accuracy_macs
                } else {
                    1.0
                },
            ),
        ]);
        if !self.llms.is_empty() {
            let [ttft, tpot, memory] = t.llm;
            let tokens_per_s = match self.aggregate {
                Aggregate::Max => t.slowest_tokens_per_s,
                Aggregate::Sum | Aggregate::WeightedSum => t.tokens / t.request_s,
            };
            m.extend([
                ("ttft_s".into(), ttft),
                ("tpot_s".into(), tpot),
                ("tokens_per_s".into(), tokens_per_s),
                ("memory_gb".into(), memory),
                ("fits".into(), if t.fits { 1.0 } else { 0.0 }),
            ]);
        }
        // FPGA resources exist only for designs the RTL generator accepts; a sweep that uses
        // them makes the others infeasible with the reason.
        match fpga_metrics(&arch) {
            Ok(values) => m.extend(values.map(|(k, v)| (k.to_string(), v))),
            Err(why) if self.uses_fpga_metrics() => {
                return Err(format!("FPGA resources (lut, ff, dsp, bram): {why}"))
            }
            Err(_) => {}
        }
        Ok(m)
    }

    /// Whether an objective or constraint needs the FPGA metrics.
    fn uses_fpga_metrics(&self) -> bool {
        self.objectives
            .iter()
            .map(|o| o.metric.as_str())
            .chain(self.bounds.iter().map(|b| b.0.as_str()))
            .any(|m| FPGA_METRICS.contains(&m))
    }
}

/// Metrics summed (or maxed) over workloads and scenarios.
struct Totals {
    aggregate: Aggregate,
    /// latency, energy, cycles, stalls, DRAM bytes, MACs, busy MACs (utilisation x MACs).
    runs: [f64; 7],
    /// ttft, tpot, memory GB.
    llm: [f64; 3],
    /// Output tokens and request seconds (weighted), for tokens/s.
    tokens: f64,
    request_s: f64,
    slowest_tokens_per_s: f64,
    fits: bool,
    /// Accuracy proxy x MACs, and the MACs, for the MAC-weighted proxy.
    accuracy: f64,
    accuracy_macs: f64,
}

impl Totals {
    fn new(aggregate: Aggregate) -> Self {
        Totals {
            aggregate,
            runs: [0.0; 7],
            llm: [0.0; 3],
            tokens: 0.0,
            request_s: 0.0,
            slowest_tokens_per_s: f64::INFINITY,
            fits: true,
            accuracy: 0.0,
            accuracy_macs: 0.0,
        }
    }

    /// The accuracy proxy among a run's model metrics (1 when it has none), weighted by `macs`.
    fn add_accuracy(&mut self, run: &RunStats, macs: u64) {
        let proxy = run
            .model_metrics
            .iter()
            .find(|(k, _)| k == "accuracy_proxy")
            .map_or(1.0, |(_, v)| *v);
        self.accuracy += proxy * macs as f64;
        self.accuracy_macs += macs as f64;
    }

    fn combine(&self, acc: &mut f64, v: f64, weight: f64) {
        *acc = match self.aggregate {
            Aggregate::Sum => *acc + v,
            Aggregate::WeightedSum => *acc + weight * v,
            Aggregate::Max => acc.max(v),
        };
    }

    /// One workload (one run) or one LLM scenario (its phases, which run back to back).
    fn add_runs(&mut self, weight: f64, runs: &[&RunStats]) {
        let mut v = [0.0; 7];
        for s in runs {
            let bytes: u64 = s
                .layers
                .iter()
                .map(|l| l.dram.read_bytes() + l.dram.write_bytes)
                .sum();
            let one = [
                s.latency_s,
                s.energy.total_pj() * 1e-12,
                s.cycles as f64,
                s.stall_cycles as f64,
                bytes as f64,
                s.macs as f64,
                s.utilization * s.macs as f64,
            ];
            for (a, x) in v.iter_mut().zip(one) {
                *a += x;
            }
        }
        let mut runs_total = self.runs;
        for (a, x) in runs_total.iter_mut().zip(v) {
            self.combine(a, x, weight);
        }
        self.runs = runs_total;
    }

    fn add_llm(&mut self, weight: f64, r: &llm::ServingReport) {
        let v = [
            r.ttft_s,
            r.tpot_s.unwrap_or(0.0),
            r.memory.total_bytes / 1e9,
        ];
        let mut totals = self.llm;
        for (a, x) in totals.iter_mut().zip(v) {
            self.combine(a, x, weight);
        }
        self.llm = totals;
        let w = match self.aggregate {
            Aggregate::WeightedSum => weight,
            Aggregate::Sum | Aggregate::Max => 1.0,
        };
        let s = &r.scenario;
        self.tokens += w * (s.batch * s.gen) as f64;
        self.request_s += w * r.e2e_s;
        self.slowest_tokens_per_s = self.slowest_tokens_per_s.min(r.output_tokens_per_s);
        self.fits &= r.memory.fits != Some(false);
    }
}

/// Constraint values (`<= 0` satisfied) from bounds on metrics, relative to the bound.
pub fn constraint_values(
    bounds: &[(String, Option<f64>, Option<f64>)],
    metrics: &BTreeMap<String, f64>,
) -> Vec<f64> {
    let rel = |excess: f64, bound: f64| excess / bound.abs().max(1e-12);
    bounds
        .iter()
        .map(|(m, lo, hi)| {
            let v = metrics.get(m).copied().unwrap_or(f64::NAN);
            match (lo, hi) {
                (_, Some(hi)) => rel(v - hi, *hi),
                (Some(lo), None) => rel(lo - v, *lo),
                (None, None) => 0.0,
            }
        })
        .collect()
}

impl Problem for SimProblem {
    fn space(&self) -> &DesignSpace {
        &self.space
    }

    fn objectives(&self) -> &[Objective] {
        &self.objectives
    }

    fn constraints(&self) -> &[String] {
        &self.constraint_names
    }

    fn evaluate(&self, point: &DesignPoint) -> Result<Evaluation, DseError> {
        match self.metrics(point) {
            Ok(metrics) => {
                let values = self.objectives.iter().map(|o| metrics[&o.metric]).collect();
                let cons = constraint_values(&self.bounds, &metrics);
                Ok(evaluation(
                    point.clone(),
                    &self.objectives,
                    values,
                    cons,
                    metrics,
                ))
            }
            // A design the model rejects (e.g. an out-of-range combination) is infeasible,
            // not fatal: the sweep records why and goes on.
            Err(message) => Ok(Evaluation {
                point: point.clone(),
                objectives: vec![f64::NAN; self.objectives.len()],
                scores: vec![f64::NAN; self.objectives.len()],
                constraints: vec![f64::INFINITY; self.bounds.len()],
                feasible: false,
                metrics: BTreeMap::new(),
                error: Some(message),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_path_creates_tables() {
        let mut v: toml::Value = toml::from_str("[arch.systolic]\nrows = 8\n").unwrap();
        set_path(&mut v, "arch.systolic.rows", toml::Value::Integer(32)).unwrap();
        set_path(&mut v, "a.b", toml::Value::Boolean(true)).unwrap();
        assert_eq!(v["arch"]["systolic"]["rows"].as_integer(), Some(32));
        assert_eq!(v["a"]["b"].as_bool(), Some(true));
    }

    #[test]
    fn constraints_are_relative_excess() {
        // area 5 against max 4: (5-4)/4 = 0.25 > 0, violated; power 1 against max 2: -0.5.
        let m = BTreeMap::from([("area_mm2".into(), 5.0), ("power_w".into(), 1.0)]);
        let b = vec![
            ("area_mm2".to_string(), None, Some(4.0)),
            ("power_w".to_string(), None, Some(2.0)),
        ];
        let c = constraint_values(&b, &m);
        assert!((c[0] - 0.25).abs() < 1e-12 && (c[1] + 0.5).abs() < 1e-12);
    }
}
