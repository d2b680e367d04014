//! Rendering an LLM serving report as a table, CSV or JSON.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{json, Value};

use accel_sim::arch::hetero::split_totals;
use accel_sim::workload::llm::{LlmModel, ServingReport};
use accel_sim::{ArchFile, RunStats};

use crate::cli::Format;
use crate::output::{run_json, si};

/// One phase's figures, as every format shows them.
struct PhaseRow<'a> {
    phase: &'static str,
    tokens: u64,
    latency_s: f64,
    per_token_s: Option<f64>,
    tokens_per_s: Option<f64>,
    stats: Vec<&'a RunStats>,
}

impl PhaseRow<'_> {
    fn macs(&self) -> u64 {
        self.stats.iter().map(|s| s.macs).sum()
    }

    fn dram_bytes(&self) -> (u64, u64) {
        let layers = self.stats.iter().flat_map(|s| &s.layers);
        layers.fold((0, 0), |(r, w), l| {
            (r + l.dram.read_bytes(), w + l.dram.write_bytes)
        })
    }

    fn energy_pj(&self) -> f64 {
        self.stats.iter().map(|s| s.energy.total_pj()).sum()
    }

    /// MAC utilisation over the phase's cycles (cycle-weighted across runs).
    fn utilization(&self) -> f64 {
        let cycles: u64 = self.stats.iter().map(|s| s.cycles).sum();
        let busy: f64 = self
            .stats
            .iter()
            .map(|s| s.utilization * s.cycles as f64)
            .sum();
        if cycles == 0 {
            0.0
        } else {
            busy / cycles as f64
        }
    }
}

fn rows(r: &ServingReport) -> Vec<PhaseRow<'_>> {
    let s = &r.scenario;
    let mut rows = vec![PhaseRow {
        phase: "prefill",
        tokens: s.batch * s.prompt,
        latency_s: r.ttft_s,
        per_token_s: None,
        tokens_per_s: Some(r.prefill_tokens_per_s),
        stats: vec![&r.prefill],
    }];
    if let Some(d) = &r.decode {
        rows.push(PhaseRow {
            phase: "decode",
            tokens: s.batch * (s.gen - 1),
            latency_s: d.latency_s,
            per_token_s: r.tpot_s,
            tokens_per_s: r.decode_tokens_per_s,
            stats: vec![d],
        });
    }
    rows.push(PhaseRow {
        phase: "total",
        tokens: s.batch * s.gen,
        latency_s: r.e2e_s,
        per_token_s: None,
        tokens_per_s: Some(r.output_tokens_per_s),
        stats: std::iter::once(&r.prefill).chain(&r.decode).collect(),
    });
    rows
}

/// Seconds with a readable unit.
fn time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.3} us", s * 1e6)
    }
}

fn fits_word(r: &ServingReport) -> &'static str {
    match r.memory.fits {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn table(arch: &ArchFile, model: &LlmModel, r: &ServingReport) -> String {
    let mut out = String::new();
    let s = &r.scenario;
    let name = arch.name.as_deref().unwrap_or("accelerator");
    let p = model.params();
    let _ = writeln!(
        out,
        "{} ({} parameters, {} active) on {name}: batch {}, prompt {}, gen {}, tp {}, {}",
        r.model,
        si(p.total() as f64),
        si(p.active as f64),
        s.batch,
        s.prompt,
        s.gen,
        s.tp,
        r.dtype
    );
    let _ = writeln!(
        out,
        "{:<8} {:>8} {:>12} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9} {:>6}",
        "phase",
        "tokens",
        "time",
        "per token",
        "tokens/s",
        "MACs",
        "DRAM rd",
        "DRAM wr",
        "energy",
        "util%"
    );
    for row in rows(r) {
        let (rd, wr) = row.dram_bytes();
        let _ = writeln!(
            out,
            "{:<8} {:>8} {:>12} {:>12} {:>12} {:>9} {:>8}B {:>8}B {:>8}J {:>6.1}",
            row.phase,
            row.tokens,
            time(row.latency_s),
            row.per_token_s.map_or("-".into(), time),
            row.tokens_per_s.map_or("-".into(), |t| format!("{t:.1}")),
            si(row.macs() as f64),
            si(rd as f64),
            si(wr as f64),
            si(row.energy_pj() * 1e-12),
            100.0 * row.utilization(),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "time to first token    {}", time(r.ttft_s));
    let tpot = r.tpot_s.map_or("- (one output token)".into(), time);
    let _ = writeln!(out, "time per output token  {tpot}");
    let _ = writeln!(out, "end to end             {}", time(r.e2e_s));
    let _ = writeln!(
        out,
        "output tokens/s        {:.1} (batch {})",
        r.output_tokens_per_s, s.batch
    );
    let _ = writeln!(out, "memory per device      {}", r.memory.message);
    // A host + PIM system: where each phase's time and energy went.
    for (phase, stats) in [("prefill", Some(&r.prefill)), ("decode", r.decode.as_ref())] {
        let Some(split) = stats.and_then(split_totals) else {
            continue;
        };
        let parts: Vec<String> = split
            .iter()
            .map(|(side, s, j, n)| format!("{side} {} {}J ({n} layers)", time(*s), si(*j)))
            .collect();
        let _ = writeln!(out, "{phase:<8} split         {}", parts.join(", "));
    }
    out
}

const CSV_HEADER: [&str; 15] = [
    "phase",
    "tokens",
    "latency_s",
    "time_per_token_s",
    "tokens_per_s",
    "macs",
    "dram_read_bytes",
    "dram_write_bytes",
    "energy_pj",
    "utilization",
    "weights_bytes",
    "kv_cache_bytes",
    "memory_bytes",
    "capacity_bytes",
    "fits",
];

fn csv(r: &ServingReport) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.9e}"));
    let m = &r.memory;
    for row in rows(r) {
        let (rd, wr) = row.dram_bytes();
        w.write_record([
            row.phase.to_string(),
            row.tokens.to_string(),
            format!("{:.9e}", row.latency_s),
            opt(row.per_token_s),
            opt(row.tokens_per_s),
            row.macs().to_string(),
            rd.to_string(),
            wr.to_string(),
            format!("{:.3}", row.energy_pj()),
            format!("{:.6}", row.utilization()),
            format!("{:.0}", m.weights_bytes),
            format!("{:.0}", m.kv_cache_bytes),
            format!("{:.0}", m.total_bytes),
            m.capacity_bytes.map_or(String::new(), |c| c.to_string()),
            fits_word(r).to_string(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The report as one JSON object: headline figures, memory, and each phase's layers.
pub fn json(arch: &ArchFile, model: &LlmModel, r: &ServingReport) -> Value {
    let p = model.params();
    json!({
        "arch": arch,
        "workload": r.model,
        "model": model.config,
        "parameters": { "total": p.total(), "active": p.active },
        "scenario": r.scenario,
        "dtype": r.dtype,
        "ttft_s": r.ttft_s,
        "tpot_s": r.tpot_s,
        "e2e_s": r.e2e_s,
        "prefill_tokens_per_s": r.prefill_tokens_per_s,
        "decode_tokens_per_s": r.decode_tokens_per_s,
        "output_tokens_per_s": r.output_tokens_per_s,
        "memory": r.memory,
        "prefill": run_json(&r.prefill),
        "decode": r.decode.as_ref().map(run_json),
    })
}

/// Renders the report in `format`.
pub fn render(
    format: Format,
    arch: &ArchFile,
    model: &LlmModel,
    report: &ServingReport,
) -> Result<String> {
    Ok(match format {
        Format::Table => table(arch, model, report),
        Format::Csv => csv(report)?,
        Format::Json => format!("{:#}\n", json(arch, model, report)),
    })
}
