//! Comparing searchers fairly: the same problem, several seeds per searcher, the same
//! evaluation budgets and one hypervolume normalisation for every run (the protocol ArchGym
//! argues for: Krishnan et al., "ArchGym", ISCA 2023, section 5).
//!
//! For each searcher and budget checkpoint `b`, each seed's normalised hypervolume after its
//! first `b` evaluations (by id) is computed, and the seeds are summarised by median and
//! interquartile range. A run with fewer than `b` evaluations does not count at checkpoint
//! `b` (`n_seeds` says how many did).

use std::fmt::Write as _;
use std::path::Path;

use crate::error::DseError;
use crate::record::{Record, RunInfo};

use super::plot::{self, CompareLine};
use super::{fmt_sig, hypervolume_curve, io_error, usable_scores, Bounds, REFERENCE_FACTOR};

/// One searcher at one budget checkpoint, over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// Searcher name.
    pub searcher: String,
    /// Evaluations spent.
    pub budget: usize,
    /// Median normalised hypervolume over seeds (NaN when no seed reached the budget).
    pub median: f64,
    /// First quartile.
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// Seeds with at least `budget` evaluations.
    pub n_seeds: usize,
}

/// Median and quartiles of normalised hypervolume per searcher (in order of first
/// appearance) and budget (ascending, duplicates dropped). `runs` holds (searcher, seed,
/// records) per run; quartiles interpolate linearly between order statistics (numpy's
/// default).
pub fn comparison(
    info: &RunInfo,
    runs: &[(String, u64, Vec<Record>)],
    budgets: &[usize],
) -> Vec<ComparisonRow> {
    let mut budgets = budgets.to_vec();
    budgets.sort_unstable();
    budgets.dedup();

    // Every run's usable scores in id order, then one normalisation for all.
    let scores: Vec<Vec<Option<Vec<f64>>>> = runs
        .iter()
        .map(|(_, _, records)| {
            let mut records: Vec<&Record> = records.iter().collect();
            records.sort_by_key(|r| r.id);
            records.iter().map(|r| usable_scores(r, info)).collect()
        })
        .collect();
    let bounds = Bounds::new(info, scores.iter().flatten().flatten().map(Vec::as_slice));
    let curves: Vec<Vec<f64>> = scores
        .iter()
        .map(|s| hypervolume_curve(s.iter().map(Option::as_deref), bounds.as_ref()))
        .collect();

    let mut searchers: Vec<&str> = Vec::new();
    for (s, _, _) in runs {
        if !searchers.contains(&s.as_str()) {
            searchers.push(s);
        }
    }
    let mut rows = Vec::new();
    for searcher in searchers {
        for &budget in &budgets {
            let mut hv: Vec<f64> = runs
                .iter()
                .zip(&curves)
                .filter(|((s, _, _), curve)| s == searcher && curve.len() >= budget)
                .map(|(_, curve)| budget.checked_sub(1).map_or(0.0, |k| curve[k]))
                .collect();
            hv.sort_by(f64::total_cmp);
            rows.push(ComparisonRow {
                searcher: searcher.to_string(),
                budget,
                median: quantile(&hv, 0.5),
                q1: quantile(&hv, 0.25),
                q3: quantile(&hv, 0.75),
                n_seeds: hv.len(),
            });
        }
    }
    rows
}

/// Writes compare.csv (`searcher,budget,median,q1,q3,n_seeds`; empty statistics where no seed
/// reached the budget), compare.md and compare.svg into `out` (created if missing). See
/// [`comparison`].
pub fn write_comparison(
    out: &Path,
    info: &RunInfo,
    runs: &[(String, u64, Vec<Record>)],
    budgets: &[usize],
) -> Result<(), DseError> {
    std::fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
    let rows = comparison(info, runs, budgets);

    let path = out.join("compare.csv");
    let to_io = |e: csv::Error| io_error(&path, e.into());
    let mut w = csv::Writer::from_path(&path).map_err(to_io)?;
    w.write_record(["searcher", "budget", "median", "q1", "q3", "n_seeds"])
        .map_err(to_io)?;
    for r in &rows {
        let stat = |v: f64| {
            if v.is_nan() {
                String::new()
            } else {
                v.to_string()
            }
        };
        w.write_record([
            r.searcher.clone(),
            r.budget.to_string(),
            stat(r.median),
            stat(r.q1),
            stat(r.q3),
            r.n_seeds.to_string(),
        ])
        .map_err(to_io)?;
    }
    w.flush().map_err(|e| io_error(&path, e))?;

    let path = out.join("compare.md");
    std::fs::write(&path, render_markdown(info, runs, &rows)).map_err(|e| io_error(&path, e))?;

    let mut lines: Vec<CompareLine> = Vec::new();
    for r in rows.iter().filter(|r| r.n_seeds > 0) {
        let point = (r.budget as f64, r.q1, r.median, r.q3);
        match lines.iter_mut().find(|l| l.searcher == r.searcher) {
            Some(l) => l.points.push(point),
            None => lines.push(CompareLine {
                searcher: r.searcher.clone(),
                points: vec![point],
            }),
        }
    }
    plot::write_compare_svg(&out.join("compare.svg"), &info.name, &lines)
}

/// compare.md: one row per budget, one column per searcher, `median [q1, q3] (n)`.
fn render_markdown(
    info: &RunInfo,
    runs: &[(String, u64, Vec<Record>)],
    rows: &[ComparisonRow],
) -> String {
    let mut searchers: Vec<&str> = Vec::new();
    let mut budgets: Vec<usize> = Vec::new();
    for r in rows {
        if !searchers.contains(&r.searcher.as_str()) {
            searchers.push(&r.searcher);
        }
        if !budgets.contains(&r.budget) {
            budgets.push(r.budget);
        }
    }
    let bounds = if info.bounds.is_some() {
        "the known ideal and nadir"
    } else {
        "the best and worst feasible values over all runs"
    };
    let mut md = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(md, "# Searcher comparison: `{}`\n", info.name);
    let _ = writeln!(
        md,
        "Normalised hypervolume after each budget of evaluations: median [q1, q3] over \
         seeds (seeds counted in parentheses). Every run is normalised with {bounds}, \
         reference point {REFERENCE_FACTOR} per objective; {} runs in all.\n",
        runs.len()
    );
    let _ = writeln!(md, "| evaluations | {} |", searchers.join(" | "));
    let _ = writeln!(md, "|---|{}|", vec!["---"; searchers.len()].join("|"));
    for b in &budgets {
        let cells: Vec<String> = searchers
            .iter()
            .map(|s| {
                rows.iter()
                    .find(|r| r.budget == *b && r.searcher == *s)
                    .filter(|r| r.n_seeds > 0)
                    .map_or("n/a".to_string(), |r| {
                        format!(
                            "{} [{}, {}] ({})",
                            fmt_sig(r.median, 3),
                            fmt_sig(r.q1, 3),
                            fmt_sig(r.q3, 3),
                            r.n_seeds
                        )
                    })
            })
            .collect();
        let _ = writeln!(md, "| {b} | {} |", cells.join(" | "));
    }
    let _ = writeln!(md, "\n![median hypervolume vs evaluations](compare.svg)");
    md
}

/// The `q`-quantile of sorted `v`, interpolating linearly between order statistics at
/// position `q * (n - 1)` (Hyndman and Fan type 7, numpy's default); NaN when empty.
fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Objective;
    use crate::report::tests::{info, record};

    /// A feasible record at (x, x) in the 2-objective problem.
    fn at(id: u64, x: f64) -> Record {
        record(id, &[("f1", x), ("f2", x)], true)
    }

    fn run(searcher: &str, seed: u64, records: Vec<Record>) -> (String, u64, Vec<Record>) {
        (searcher.into(), seed, records)
    }

    #[test]
    fn medians_and_quartiles_over_seeds_at_each_budget() {
        // Known bounds (0, 0)..(1, 1): a lone point (x, x) has normalised HV
        // (1.1 - x)^2 / 1.1^2, so x = 1.1 (1 - sqrt(h)) gives HV h: 0.88 -> 0.04,
        // 0.44 -> 0.36, 0.66 -> 0.16, 0.55 -> 0.25, 0.22 -> 0.64, 0.99 -> 0.01, 0 -> 1.
        let mut info = info(vec![Objective::min("f1"), Objective::min("f2")]);
        info.bounds = Some((vec![0.0, 0.0], vec![1.0, 1.0]));
        let runs = vec![
            run("a", 1, vec![at(1, 0.44), at(0, 0.88)]), // id order: 0.04, then 0.36
            run("a", 2, vec![at(0, 0.66), at(1, 0.55)]), // 0.16, 0.25
            run(
                "a",
                3,
                vec![record(0, &[("f1", 0.0), ("f2", 0.0)], false), at(1, 0.22)],
            ), // 0, 0.64
            run("a", 4, vec![at(0, 0.99), at(1, 0.99)]), // 0.01, 0.01
            run("b", 1, vec![at(0, 0.0), at(1, 0.5)]),   // 1, 1
        ];
        let rows = comparison(&info, &runs, &[2, 1, 3]);
        let got: Vec<(&str, usize, usize)> = rows
            .iter()
            .map(|r| (r.searcher.as_str(), r.budget, r.n_seeds))
            .collect();
        assert_eq!(
            got,
            [
                ("a", 1, 4),
                ("a", 2, 4),
                ("a", 3, 0),
                ("b", 1, 1),
                ("b", 2, 1),
                ("b", 3, 0)
            ]
        );
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        // Budget 1, sorted [0, 0.01, 0.04, 0.16]: median (0.01 + 0.04) / 2; q1 at position
        // 0.75: 0 + 0.75 * 0.01; q3 at 2.25: 0.04 + 0.25 * 0.12.
        let r = &rows[0];
        assert!(
            close(r.median, 0.025) && close(r.q1, 0.0075) && close(r.q3, 0.07),
            "{r:?}"
        );
        // Budget 2, sorted [0.01, 0.25, 0.36, 0.64]: median 0.305, q1 0.01 + 0.75 * 0.24,
        // q3 0.36 + 0.25 * 0.28.
        let r = &rows[1];
        assert!(
            close(r.median, 0.305) && close(r.q1, 0.19) && close(r.q3, 0.43),
            "{r:?}"
        );
        assert!(rows[2].median.is_nan());
        assert!(close(rows[3].median, 1.0) && close(rows[4].q3, 1.0));

        let dir = tempfile::tempdir().expect("temp dir");
        write_comparison(dir.path(), &info, &runs, &[1, 2, 3]).expect("comparison");
        let csv = std::fs::read_to_string(dir.path().join("compare.csv")).expect("csv");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "searcher,budget,median,q1,q3,n_seeds");
        assert_eq!(lines[3], "a,3,,,,0");
        let cells: Vec<f64> = lines[2]
            .split(',')
            .skip(2)
            .map(|c| c.parse().expect("number"))
            .collect();
        assert!(close(cells[0], 0.305) && close(cells[1], 0.19) && close(cells[2], 0.43));
        assert_eq!(cells[3], 4.0);
        let md = std::fs::read_to_string(dir.path().join("compare.md")).expect("md");
        assert!(md.contains("| evaluations | a | b |"), "{md}");
        assert!(
            md.contains("| 2 | 0.305 [0.19, 0.43] (4) | 1 [1, 1] (1) |"),
            "{md}"
        );
        assert!(md.contains("| 3 | n/a | n/a |"), "{md}");
        let svg = std::fs::read_to_string(dir.path().join("compare.svg")).expect("svg");
        assert!(
            svg.contains("<svg") && svg.contains("\na\n</text>") && svg.contains("\nb\n</text>"),
            "{svg}"
        );
    }

    #[test]
    fn every_run_shares_the_observed_normalisation() {
        // Without known bounds the ideal and nadir come from all runs: (0, 0) and (2, 2).
        // Run x's lone point (0, 2) normalises to (0, 1): HV = 1.1 * 0.1 / 1.21; alone it
        // would be its own ideal and nadir and score 1.
        let info = info(vec![Objective::min("f1"), Objective::min("f2")]);
        let runs = vec![
            run("x", 1, vec![record(0, &[("f1", 0.0), ("f2", 2.0)], true)]),
            run("y", 1, vec![record(0, &[("f1", 2.0), ("f2", 0.0)], true)]),
        ];
        let rows = comparison(&info, &runs, &[1]);
        for r in &rows {
            assert!((r.median - 0.11 / 1.21).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 3, 4, 10], [0.25, 0.5, 0.75]) = [2, 3, 4].
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(
            (quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75)),
            (2.0, 3.0, 4.0)
        );
        assert_eq!(quantile(&[5.0], 0.25), 5.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
