//! summary.md: the run at a glance, the Pareto front as a table, the knee point, and a config
//! snippet per front point to paste into an accelerator config.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::DseError;
use crate::record::Record;

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
            row.extend(info.dims.iter().map(|d| {
                r.point
                    .get(d)
                    .map(|v| cell(&v.to_string()))
                    .unwrap_or_default()
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
