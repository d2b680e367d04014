//! Rendering results as a table, CSV or JSON. The JSON field names are a contract.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{json, Value};

use accel_sim::{ArchFile, LayerStats, RunStats};

use crate::cli::Format;

/// One layer as a JSON object (the contract's field names, plus breakdowns).
fn layer_json(l: &LayerStats) -> Value {
    json!({
        "name": l.name,
        "kind": l.kind,
        "count": l.count,
        "macs": l.macs,
        "compute_cycles": l.compute_cycles,
        "stall_cycles": l.stall_cycles,
        "total_cycles": l.total_cycles,
        "utilization": l.utilization,
        "sram_reads": l.sram.reads(),
        "sram_writes": l.sram.writes(),
        "dram_read_bytes": l.dram.read_bytes(),
        "dram_write_bytes": l.dram.write_bytes,
        "energy_pj": l.energy.total_pj(),
        "sram": l.sram,
        "dram": l.dram,
        "energy_breakdown_pj": l.energy,
    })
}

/// The whole result as one JSON object.
pub fn json(arch: &ArchFile, workload: &str, s: &RunStats) -> Value {
    let mut out = run_json(s);
    out["arch"] = json!(arch);
    out["workload"] = json!(workload);
    // Model-specific figures (e.g. the ReRAM model's accuracy proxy), only where a model has
    // them, so other models' output is unchanged.
    if !s.model_metrics.is_empty() {
        let m: serde_json::Map<String, Value> = s
            .model_metrics
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        out["total"]["model_metrics"] = Value::Object(m);
    }
    out
}

/// A run's layers and totals as one JSON object.
pub fn run_json(s: &RunStats) -> Value {
    let area: serde_json::Map<String, Value> = s
        .area
        .components
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({
        "layers": s.layers.iter().map(layer_json).collect::<Vec<_>>(),
        "total": {
            "cycles": s.cycles,
            "compute_cycles": s.compute_cycles,
            "stall_cycles": s.stall_cycles,
            "macs": s.macs,
            "latency_s": s.latency_s,
            "energy_pj": s.energy.total_pj(),
            "area_mm2": s.area.total_mm2(),
            "utilization": s.utilization,
            "energy_breakdown_pj": s.energy,
            "area_breakdown_mm2": area,
        }
    })
}

const CSV_HEADER: [&str; 14] = [
    "name",
    "kind",
    "count",
    "macs",
    "compute_cycles",
    "stall_cycles",
    "total_cycles",
    "utilization",
    "sram_reads",
    "sram_writes",
    "dram_read_bytes",
    "dram_write_bytes",
    "energy_pj",
    "latency_s",
];

fn csv(s: &RunStats, clock_hz: f64) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    let mut row = |l: &LayerStats| {
        w.write_record([
            l.name.clone(),
            l.kind.to_string(),
            l.count.to_string(),
            l.macs.to_string(),
            l.compute_cycles.to_string(),
            l.stall_cycles.to_string(),
            l.total_cycles.to_string(),
            format!("{:.6}", l.utilization),
            l.sram.reads().to_string(),
            l.sram.writes().to_string(),
            l.dram.read_bytes().to_string(),
            l.dram.write_bytes.to_string(),
            format!("{:.3}", l.energy.total_pj()),
            format!("{:.9e}", l.total_cycles as f64 / clock_hz),
        ])
    };
    for l in &s.layers {
        row(l)?;
    }
    let mut total = LayerStats {
        name: "total".into(),
        kind: "",
        count: 1,
        macs: s.macs,
        compute_cycles: s.compute_cycles,
        stall_cycles: s.stall_cycles,
        total_cycles: s.cycles,
        utilization: s.utilization,
        sram: Default::default(),
        dram: Default::default(),
        energy: s.energy,
    };
    for l in &s.layers {
        total.sram.add(&l.sram);
        total.dram.add(&l.dram);
    }
    row(&total)?;
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Engineering notation with an SI prefix (1.23 M, 4.56 m); zero stays `0.000`.
pub fn si(v: f64) -> String {
    const PREFIXES: [(f64, &str); 8] = [
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "u"),
        (1e-9, "n"),
    ];
    let (scaled, prefix) =
        PREFIXES
            .iter()
            .find(|(s, _)| v.abs() >= *s)
            .map_or(
                (v, ""),
                |(s, p)| if v == 0.0 { (v, "") } else { (v / s, *p) },
            );
    format!("{scaled:.3}{prefix}")
}

/// A model figure of any magnitude (seconds of a microsecond layer, joules, counts): four
/// significant digits, in scientific notation outside 0.001..1e6; whole numbers as they are.
fn plain(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if (1e-3..1e6).contains(&v.abs()) {
        let digits = (3 - v.abs().log10().floor().max(0.0) as i32).max(0) as usize;
        format!("{v:.digits$}")
    } else {
        format!("{v:.3e}")
    }
}

fn table(arch: &ArchFile, workload: &str, s: &RunStats) -> String {
    let mut out = String::new();
    let name = arch.name.as_deref().unwrap_or("accelerator");
    let _ = writeln!(out, "{workload} on {name}");
    let _ = writeln!(
        out,
        "{:<24} {:>11} {:>6} {:>9} {:>12} {:>12} {:>12} {:>6} {:>9} {:>9} {:>9}",
        "layer",
        "kind",
        "count",
        "MACs",
        "compute cyc",
        "stall cyc",
        "total cyc",
        "util%",
        "DRAM rd",
        "DRAM wr",
        "energy"
    );
    for l in &s.layers {
        let _ = writeln!(
            out,
            "{:<24} {:>11} {:>6} {:>9} {:>12} {:>12} {:>12} {:>6.1} {:>8}B {:>8}B {:>8}J",
            truncate(&l.name, 24),
            l.kind,
            l.count,
            si(l.macs as f64),
            l.compute_cycles,
            l.stall_cycles,
            l.total_cycles,
            100.0 * l.utilization,
            si(l.dram.read_bytes() as f64),
            si(l.dram.write_bytes as f64),
            si(l.energy.total_pj() * 1e-12),
        );
    }
    let e = &s.energy;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "total: {} cycles ({} compute + {} stall), {:.6} ms, {} MACs, utilization {:.1}%",
        s.cycles,
        s.compute_cycles,
        s.stall_cycles,
        s.latency_s * 1e3,
        si(s.macs as f64),
        100.0 * s.utilization
    );
    let _ = writeln!(
        out,
        "energy: {}J (MAC {}J, registers {}J, SRAM {}J, DRAM {}J, vector {}J)",
        si(e.total_pj() * 1e-12),
        si(e.mac_pj * 1e-12),
        si(e.register_pj * 1e-12),
        si(e.sram_pj * 1e-12),
        si(e.dram_pj * 1e-12),
        si(e.vector_pj * 1e-12),
    );
    let parts: Vec<String> = s
        .area
        .components
        .iter()
        .map(|(k, v)| format!("{k} {v:.4}"))
        .collect();
    let _ = writeln!(
        out,
        "area: {:.4} mm2 ({})",
        s.area.total_mm2(),
        parts.join(", ")
    );
    if !s.model_metrics.is_empty() {
        let parts: Vec<String> = s
            .model_metrics
            .iter()
            .map(|(k, v)| format!("{k} {}", plain(*v)))
            .collect();
        let _ = writeln!(out, "model: {}", parts.join(", "));
    }
    out
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Renders `stats` in `format` (model metrics included where the model has them).
pub fn render(format: Format, arch: &ArchFile, workload: &str, stats: &RunStats) -> Result<String> {
    Ok(match format {
        Format::Table => table(arch, workload, stats),
        Format::Csv => csv(stats, stats_clock_hz(stats))?,
        Format::Json => format!("{:#}\n", json(arch, workload, stats)),
    })
}

/// Clock implied by the run (cycles over seconds).
fn stats_clock_hz(s: &RunStats) -> f64 {
    if s.latency_s > 0.0 {
        s.cycles as f64 / s.latency_s
    } else {
        1.0
    }
}
