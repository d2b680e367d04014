//! The built-in problem: a base accelerator config with some keys set by the design point,
//! simulated on one or more workloads, with metrics aggregated across them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accel_sim::{workload::Workload, ArchFile, Mode};

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
    (
        "accuracy_proxy",
        "model's accuracy proxy, 0..1, maximise (ReRAM: share of column sums the ADC \
         resolves without clipping; 1 for digital models), MAC-weighted over the workloads",
    ),
];

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
        // A model may size itself to the workload (the ReRAM chip without `tiles`): take the
        // largest run's area.
        let mut area = acc.area().total_mm2();
        let (mut lat, mut energy, mut cycles, mut stalls, mut dram, mut macs, mut busy) =
            (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let (mut accuracy, mut accuracy_macs) = (0.0f64, 0.0f64);
        for w in &self.workloads {
            let s = acc.simulate(&w.workload).map_err(|e| e.to_string())?;
            area = area.max(s.area.total_mm2());
            let proxy = acc
                .extra_metrics(&w.workload)
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|(k, _)| k == "accuracy_proxy")
                .map_or(1.0, |(_, v)| v);
            accuracy += proxy * s.macs as f64;
            accuracy_macs += s.macs as f64;
            let bytes: u64 = s
                .layers
                .iter()
                .map(|l| l.dram.read_bytes() + l.dram.write_bytes)
                .sum();
            let vals = [
                s.latency_s,
                s.energy.total_pj() * 1e-12,
                s.cycles as f64,
                s.stall_cycles as f64,
                bytes as f64,
                s.macs as f64,
                s.utilization * s.macs as f64,
            ];
            let acc_vals = [
                &mut lat,
                &mut energy,
                &mut cycles,
                &mut stalls,
                &mut dram,
                &mut macs,
                &mut busy,
            ];
            for (a, v) in acc_vals.into_iter().zip(vals) {
                *a = match self.aggregate {
                    Aggregate::Sum => *a + v,
                    Aggregate::WeightedSum => *a + w.weight * v,
                    Aggregate::Max => a.max(v),
                };
            }
        }
        let power = energy / lat;
        let throughput = 1.0 / lat;
        Ok(BTreeMap::from([
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
                if accuracy_macs > 0.0 {
                    accuracy / accuracy_macs
                } else {
                    1.0
                },
            ),
        ]))
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
