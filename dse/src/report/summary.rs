//! summary.md: the run at a glance, the Pareto front as a table, the knee point, and a config
//! snippet per front point to paste into an accelerator config.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::DseError;
use crate::record::Record;
use crate::space::Value;

use super::{fmt_sig, io_error, objective_label, Analysis, REFERENCE_FACTOR};

/// Writes summary.md.
pub(super) fn write(path: &Path, a: &Analysis) -> Result<(), DseError> {
    std::fs::write(path, render(a)).map_err(|e| io_error(path, e))
}

/// The markdown text.
pub(super) fn render(a: &Analysis) -> String {
    let info = a.info;
    let s = a.summary();
    let mut md = String::new();
    let mut line = |text: String| {
        md.push_str(&text);
        md.push('\n');
    };

    line(format!("# Sweep `{}`", info.name));
    line(String::new());
    line("| | |".into());
    line("|---|---|".into());
    line(format!("| searcher | {} |", cell(&info.searcher)));
    line(format!("| seed | {} |", info.seed));
    line(format!("| budget | {} |", info.budget));
    line(format!("| evaluations | {} |", s.evaluations));
    line(format!("| unique (simulated) | {} |", s.unique));
    line(format!("| feasible | {} |", s.feasible));
    line(format!("| Pareto front | {} points |", s.front_ids.len()));
    let bounds = match &a.bounds {
        Some(b) if b.known => "known ideal and nadir",
        Some(_) => "best and worst feasible values of this run",
        None => "no feasible point",
    };
    line(format!(
        "| normalised hypervolume | {} (reference {REFERENCE_FACTOR} per objective; \
         bounds: {bounds}) |",
        fmt_sig(s.hypervolume, 4)
    ));
    line(String::new());
    line("![Pareto front](front.svg)".into());
    line(String::new());

    line("## Pareto front".into());
    line(String::new());
    if a.front.is_empty() {
        line("No feasible design was found.".into());
        line(String::new());
    } else {
        let mut header = vec!["id".to_string()];
        header.extend(info.objectives.iter().map(objective_label));
        header.extend(info.dims.iter().cloned());
        line(format!(
            "| {} |",
            header
                .iter()
                .map(|h| cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        line(format!("|{}|", vec!["---"; header.len()].join("|")));
        for &i in &a.front {
            let r = a.records[i];
            let id = if a.knee == Some(i) {
                format!("**{}** (knee)", r.id)
            } else {
                r.id.to_string()
            };
            let mut row = vec![id];
            row.extend(objective_values(a, r));
            // Reals to 5 significant digits for reading; the snippets below keep them exact.
            row.extend(info.dims.iter().map(|d| match r.point.get(d) {
                Some(Value::Real(v)) => fmt_sig(*v, 5),
                Some(v) => cell(&v.to_string()),
                None => String::new(),
            }));
            line(format!("| {} |", row.join(" | ")));
        }
        line(String::new());
    }

    if let Some(k) = a.knee {
        let r = a.records[k];
        let values: Vec<String> = info
            .objectives
            .iter()
            .zip(objective_values(a, r))
            .map(|(o, v)| format!("{} = {v}", objective_label(o)))
            .collect();
        line(format!(
            "**Knee point: #{}** ({}): the front point farthest beyond the hyperplane through \
             the front's extremes, where trading one objective for another stops paying off.",
            r.id,
            values.join(", ")
        ));
        line(String::new());
    }

    if !a.front.is_empty() {
        line("## Configurations".into());
        line(String::new());
        for &i in &a.front {
            let r = a.records[i];
            let knee = if a.knee == Some(i) { " (knee)" } else { "" };
            line(format!("### #{}{knee}", r.id));
            line(String::new());
            line("```toml".into());
            line(config_snippet(&info.dims, r));
            line("```".into());
            line(String::new());
        }
    }

    line("## Convergence".into());
    line(String::new());
    line("![hypervolume vs evaluations](convergence.svg)".into());
    line(String::new());
    line(
        "Files: [points.csv](points.csv) (every evaluation), [front.csv](front.csv), \
         [front.svg](front.svg), [front.png](front.png), [convergence.svg](convergence.svg)."
            .into(),
    );
    md
}

/// The record's objective values as reported, 4 significant digits, in objective order.
fn objective_values(a: &Analysis, r: &Record) -> Vec<String> {
    a.info
        .objectives
        .iter()
        .map(|o| {
            r.objectives
                .get(&o.metric)
                .map(|v| fmt_sig(*v, 4))
                .unwrap_or_default()
        })
        .collect()
}

/// `key = value` per dimension, dotted keys as in the sweep's `[space]`, values as TOML.
fn config_snippet(dims: &[String], r: &Record) -> String {
    let mut s = String::new();
    for d in dims {
        if let Some(v) = r.point.get(d) {
            // Writing to a String cannot fail.
            let _ = writeln!(s, "{d} = {}", v.to_toml());
        }
    }
    s.trim_end().to_string()
}

/// Escapes a markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Appends a section on the RTL of chosen front points (`accel sweep --rtl`) to the
/// summary.md at `path`: per point its design, lint and simulation results, synthesized
/// resources (yosys `synth_xilinx`) and the resource model's estimate.
pub fn append_rtl(path: &Path, points: &[crate::rtl::PointCheck]) -> Result<(), DseError> {
    let mut md = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    md.push_str(&render_rtl(points));
    std::fs::write(path, md).map_err(|e| io_error(path, e))
}

/// The markdown of [`append_rtl`].
pub(super) fn render_rtl(points: &[crate::rtl::PointCheck]) -> String {
    let mut md = String::from(
        "\n## RTL of chosen points\n\n\
         Verilog, testbench and run script in `rtl/<id>/` (`accel sweep --rtl`). Lint: \
         `verilator --lint-only -Wall`; simulation: the self-checking testbench in Icarus, \
         cycles measured = model; resources: yosys `synth_xilinx` (hierarchy kept) for a \
         Xilinx 7-series part, and the analytical model's estimate (LUT / FF / DSP / BRAM36).\n\n\
         | id | design | lint | simulation | LUT | FF | DSP | BRAM36 | CARRY4 | model | note |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let num = |v: Option<f64>| v.map(|v| fmt_sig(v, 6)).unwrap_or_else(|| "-".into());
    for p in points {
        let lint = match p.lint_warnings {
            Some(0) => "clean".to_string(),
            Some(w) => format!("{w} warnings"),
            None => "-".into(),
        };
        let sim = match (p.sim_passed, p.measured_cycles, p.contract_cycles) {
            (Some(ok), m, Some(c)) => format!(
                "{}, {} cycles (model {c})",
                if ok { "PASS" } else { "FAIL" },
                m.map_or_else(|| "no".to_string(), |m| m.to_string())
            ),
            _ => "-".into(),
        };
        let s = p.synth;
        let model = p
            .model
            .map(|m| {
                format!(
                    "{} / {} / {} / {}",
                    fmt_sig(m.lut.round(), 6),
                    fmt_sig(m.ff.round(), 6),
                    fmt_sig(m.dsp, 6),
                    fmt_sig(m.bram, 6)
                )
            })
            .unwrap_or_else(|| "-".into());
        let name = p
            .name
            .as_ref()
            .map(|n| format!("[`{n}`](rtl/{}/)", p.id))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            md,
            "| #{} | {name} | {lint} | {sim} | {} | {} | {} | {} | {} | {model} | {} |",
            p.id,
            num(s.map(|s| s.lut)),
            num(s.map(|s| s.ff)),
            num(s.map(|s| s.dsp)),
            num(s.map(|s| s.bram)),
            num(s.map(|s| s.carry)),
            cell(p.note.as_deref().unwrap_or(""))
        );
    }
    md
}
