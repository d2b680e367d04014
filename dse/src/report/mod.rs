//! Sweep reports: what a finished (or interrupted) sweep found, as files a person reads and
//! scripts parse.
//!
//! ```text
//! RunInfo + &[Record] ─Analysis::new─▶ records by id, usable scores, front, knee, HV curve
//!    ├─csv─────▶ points.csv (every record), front.csv (the Pareto front, knee flagged)
//!    ├─plot────▶ front.svg + front.png (scatter, or pairwise panels for 3+ objectives),
//!    │           convergence.svg (normalised hypervolume against evaluations)
//!    └─summary─▶ summary.md (run facts, front table, knee, a config snippet per front point)
//! runs of several searchers and seeds ─write_comparison─▶ compare.csv, compare.md, compare.svg
//! ```
//!
//! Everything that ranks designs works in minimised score space ([`Record::scores`]); tables
//! and plots show the values as reported. A record takes part in fronts and hypervolumes when
//! it is feasible, has no error and has a finite value for every objective; of records with
//! identical scores (a cached repeat of a design) only the first is on the front.
//!
//! Hypervolumes are normalised ([`crate::pareto::normalized_hypervolume`]): each objective
//! scaled to `[0, 1]` between an ideal and a nadir point, reference point at
//! [`REFERENCE_FACTOR`] per objective, divided by the reference box, so values lie in
//! `[0, 1]`. The ideal and nadir are [`RunInfo::bounds`] when known, else the best and worst
//! feasible score per objective over the whole run (over all runs for a comparison), so every
//! point of a curve, and every run of a comparison, is measured with the same yardstick.

mod compare;
mod csv;
mod plot;
mod summary;

use std::path::Path;

pub use compare::{comparison, write_comparison, ComparisonRow};
pub use summary::append_rtl;

use crate::error::DseError;
use crate::pareto;
use crate::record::{Record, RunInfo};

/// Reference point of normalised hypervolumes, per objective, in units of the nadir-ideal span.
pub const REFERENCE_FACTOR: f64 = 1.1;

/// What [`write_reports`] found, for the caller to print.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    /// Ids of the Pareto-front records, ordered by the first objective's score (best first).
    pub front_ids: Vec<u64>,
    /// Id of the knee point of the front, if the front has one.
    pub knee_id: Option<u64>,
    /// Normalised hypervolume of the final front (`[0, 1]`, see the module docs).
    pub hypervolume: f64,
    /// Records in the run.
    pub evaluations: usize,
    /// Records that were simulated, not served from the evaluation cache.
    pub unique: usize,
    /// Records that are feasible, error-free and have every objective.
    pub feasible: usize,
}

/// Writes points.csv, front.csv, front.svg, front.png, convergence.svg and summary.md into
/// `out` (created if missing) for the run described by `info`.
///
/// The records may come in any order; they are reported by id.
pub fn write_reports(
    out: &Path,
    info: &RunInfo,
    records: &[Record],
) -> Result<ReportSummary, DseError> {
    std::fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
    let a = Analysis::new(info, records);
    self::csv::write_points(&out.join("points.csv"), &a)?;
    self::csv::write_front(&out.join("front.csv"), &a)?;
    plot::write_front_svg(&out.join("front.svg"), &a)?;
    plot::write_front_png(&out.join("front.png"), &a)?;
    plot::write_convergence_svg(&out.join("convergence.svg"), &a)?;
    summary::write(&out.join("summary.md"), &a)?;
    Ok(a.summary())
}

/// The ideal and nadir points that normalise hypervolumes, in minimised score space.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bounds {
    /// Best score per objective.
    pub ideal: Vec<f64>,
    /// Worst score per objective.
    pub nadir: Vec<f64>,
    /// From [`RunInfo::bounds`] (`true`) or observed (`false`).
    pub known: bool,
}

impl Bounds {
    /// `info.bounds` if given, else the per-objective min and max of `scores`; `None` when
    /// neither exists (no feasible record).
    fn new<'s>(info: &RunInfo, scores: impl IntoIterator<Item = &'s [f64]>) -> Option<Bounds> {
        if let Some((ideal, nadir)) = &info.bounds {
            return Some(Bounds {
                ideal: ideal.clone(),
                nadir: nadir.clone(),
                known: true,
            });
        }
        let m = info.objectives.len();
        let mut ideal = vec![f64::INFINITY; m];
        let mut nadir = vec![f64::NEG_INFINITY; m];
        let mut any = false;
        for s in scores {
            any = true;
            for j in 0..m {
                ideal[j] = ideal[j].min(s[j]);
                nadir[j] = nadir[j].max(s[j]);
            }
        }
        any.then_some(Bounds {
            ideal,
            nadir,
            known: false,
        })
    }
}

/// The scores a record contributes to fronts and hypervolumes: `None` unless it is feasible,
/// error-free and has a finite value for every objective.
fn usable_scores(r: &Record, info: &RunInfo) -> Option<Vec<f64>> {
    if !r.feasible || r.error.is_some() {
        return None;
    }
    r.scores(&info.objectives)
        .filter(|s| s.iter().all(|v| v.is_finite()))
}

/// Normalised hypervolume of the front of the first `k` scores, for every `k` in
/// `1..=scores.len()`: the convergence curve. `None` entries (infeasible records) leave the
/// hypervolume as it was. Without bounds (nothing feasible anywhere) the curve is all zeros.
///
/// The front is kept incrementally, so the hypervolume is only recomputed when a new point
/// joins it.
fn hypervolume_curve<'s>(
    scores: impl IntoIterator<Item = Option<&'s [f64]>>,
    bounds: Option<&Bounds>,
) -> Vec<f64> {
    let mut front: Vec<Vec<f64>> = Vec::new();
    let mut hv = 0.0;
    scores
        .into_iter()
        .map(|s| {
            if let (Some(s), Some(b)) = (s, bounds) {
                let covered = front
                    .iter()
                    .any(|q| q.as_slice() == s || pareto::dominates(q, s));
                if !covered {
                    front.retain(|q| !pareto::dominates(s, q));
                    front.push(s.to_vec());
                    hv = pareto::normalized_hypervolume(
                        &front,
                        &b.ideal,
                        &b.nadir,
                        REFERENCE_FACTOR,
                    );
                }
            }
            hv
        })
        .collect()
}

/// A run digested once for every report file.
pub(crate) struct Analysis<'a> {
    /// The run.
    pub info: &'a RunInfo,
    /// Records by id.
    pub records: Vec<&'a Record>,
    /// Per record, its [`usable_scores`].
    pub scores: Vec<Option<Vec<f64>>>,
    /// Indices into `records` of the Pareto front, by first score (then id).
    pub front: Vec<usize>,
    /// Index into `records` of the knee point.
    pub knee: Option<usize>,
    /// Normalisation of hypervolumes.
    pub bounds: Option<Bounds>,
    /// Normalised hypervolume after `k + 1` evaluations, at index `k`.
    pub curve: Vec<f64>,
}

impl<'a> Analysis<'a> {
    pub fn new(info: &'a RunInfo, records: &'a [Record]) -> Self {
        let mut records: Vec<&Record> = records.iter().collect();
        records.sort_by_key(|r| r.id);
        let scores: Vec<Option<Vec<f64>>> =
            records.iter().map(|r| usable_scores(r, info)).collect();

        // Front candidates: the usable records (`pareto::front` keeps the first of identical
        // points, so a cached repeat of a front design is not listed twice).
        let candidates: Vec<usize> = (0..records.len())
            .filter(|&i| scores[i].is_some())
            .collect();
        let points: Vec<Vec<f64>> = candidates
            .iter()
            .map(|&i| scores[i].clone().expect("candidates are usable"))
            .collect();
        let front_local = pareto::front(&points);
        let knee = pareto::knee(&points, &front_local).map(|k| candidates[k]);
        let mut front: Vec<usize> = front_local.iter().map(|&k| candidates[k]).collect();
        front.sort_by(|&x, &y| {
            let (sx, sy) = (scores[x].as_ref(), scores[y].as_ref());
            sx.partial_cmp(&sy)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(records[x].id.cmp(&records[y].id))
        });

        let bounds = Bounds::new(info, scores.iter().flatten().map(Vec::as_slice));
        let curve = hypervolume_curve(scores.iter().map(Option::as_deref), bounds.as_ref());
        Analysis {
            info,
            records,
            scores,
            front,
            knee,
            bounds,
            curve,
        }
    }

    /// Normalised hypervolume of the final front.
    pub fn hypervolume(&self) -> f64 {
        self.curve.last().copied().unwrap_or(0.0)
    }

    fn summary(&self) -> ReportSummary {
        ReportSummary {
            front_ids: self.front.iter().map(|&i| self.records[i].id).collect(),
            knee_id: self.knee.map(|i| self.records[i].id),
            hypervolume: self.hypervolume(),
            evaluations: self.records.len(),
            unique: self.records.iter().filter(|r| !r.cached).count(),
            feasible: self.scores.iter().flatten().count(),
        }
    }

    /// Whether record `i` is on the front.
    pub fn on_front(&self, i: usize) -> bool {
        self.front.contains(&i)
    }
}

/// `v` with about `digits` significant digits, plain for magnitudes in `[1e-3, 1e6)`,
/// scientific otherwise, trailing zeros trimmed: `0.0001234` -> `1.234e-4`, `2.50` -> `2.5`.
pub(crate) fn fmt_sig(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let digits = digits.max(1);
    let exp = v.abs().log10().floor() as i32;
    if (-3..6).contains(&exp) {
        let decimals = (digits as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    } else {
        let s = format!("{:.*e}", digits - 1, v);
        let (mantissa, exponent) = s.split_once('e').expect("scientific format has an e");
        format!("{}e{exponent}", trim_zeros(mantissa))
    }
}

/// `"2.500"` -> `"2.5"`, `"3.000"` -> `"3"`, `"300"` unchanged.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// The axis and column label of an objective: its metric, marked when maximised.
pub(crate) fn objective_label(o: &crate::problem::Objective) -> String {
    match o.goal {
        crate::problem::Goal::Min => o.metric.clone(),
        crate::problem::Goal::Max => format!("{} (max)", o.metric),
    }
}

/// Wraps a write failure of `path`.
pub(crate) fn io_error(path: &Path, source: std::io::Error) -> DseError {
    DseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::problem::{Goal, Objective};
    use crate::space::Value;

    /// A record with objectives `values` (by metric) at `rows` x `dataflow`.
    pub(crate) fn record(id: u64, values: &[(&str, f64)], feasible: bool) -> Record {
        Record {
            id,
            point: BTreeMap::from([
                ("arch.systolic.rows".to_string(), Value::Int(8 << (id % 4))),
                (
                    "arch.systolic.dataflow".to_string(),
                    Value::Str("ws".into()),
                ),
            ]),
            objectives: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            constraints: BTreeMap::from([(
                "area_mm2".to_string(),
                if feasible { -1.0 } else { 0.5 },
            )]),
            feasible,
            searcher: "random".into(),
            seed: 7,
            cached: false,
            error: None,
            metrics: BTreeMap::new(),
        }
    }

    pub(crate) fn info(objectives: Vec<Objective>) -> RunInfo {
        RunInfo {
            name: "unit".into(),
            dims: vec!["arch.systolic.rows".into(), "arch.systolic.dataflow".into()],
            objectives,
            constraints: vec!["area_mm2".into()],
            searcher: "random".into(),
            seed: 7,
            budget: 10,
            bounds: None,
        }
    }

    fn latency_throughput() -> RunInfo {
        info(vec![
            Objective::min("latency_s"),
            Objective {
                metric: "throughput".into(),
                goal: Goal::Max,
            },
        ])
    }

    /// (latency_s, throughput): front {1, 2, 0, 7} by latency; 3 is dominated by 2; 4 would
    /// dominate everything but is infeasible; 5 is a cached repeat of 2; 6 failed.
    fn two_objective_records() -> Vec<Record> {
        let lt = |id, l, t, feasible| record(id, &[("latency_s", l), ("throughput", t)], feasible);
        let mut repeat = lt(5, 2.0, 8.0, true);
        repeat.point = lt(2, 2.0, 8.0, true).point;
        repeat.cached = true;
        let mut failed = record(6, &[], false);
        failed.error = Some("simulator crashed".into());
        // Out of id order on purpose: reports sort by id.
        vec![
            lt(7, 5.0, 11.0, true),
            lt(0, 4.0, 10.0, true),
            lt(1, 1.0, 2.0, true),
            lt(2, 2.0, 8.0, true),
            lt(3, 3.0, 6.0, true),
            lt(4, 0.5, 20.0, false),
            repeat,
            failed,
        ]
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn two_objective_report_has_the_known_front_knee_and_hypervolume() {
        let dir = tempfile::tempdir().expect("temp dir");
        let info = latency_throughput();
        let s = write_reports(dir.path(), &info, &two_objective_records()).expect("reports");

        assert_eq!(s.front_ids, vec![1, 2, 0, 7]);
        // Normalised over the front (latency 1..5, -throughput -11..-2): 1 = (0, 1),
        // 2 = (0.25, 0.333), 0 = (0.75, 0.111), 7 = (1, 0). The chord f0 + f1 = 1 joins the
        // ends; 2 lies farthest below it (1 - 0.583 = 0.417 against 0.139 for 0).
        assert_eq!(s.knee_id, Some(2));
        // Observed bounds equal the front's ranges, so the normalised points are as above;
        // reference 1.1, slabs by x: 0.25 * (1.1 - 1) + 0.5 * (1.1 - 1/3)
        // + 0.25 * (1.1 - 1/9) + 0.1 * 1.1, divided by 1.1^2.
        let hv = (0.25 * 0.1 + 0.5 * (1.1 - 1.0 / 3.0) + 0.25 * (1.1 - 1.0 / 9.0) + 0.11) / 1.21;
        assert!(
            (s.hypervolume - hv).abs() < 1e-12,
            "{} vs {hv}",
            s.hypervolume
        );
        assert_eq!((s.evaluations, s.unique, s.feasible), (8, 7, 6));

        let front = read(&dir.path().join("front.csv"));
        let mut lines = front.lines();
        assert_eq!(
            lines.next(),
            Some(
                "id,arch.systolic.rows,arch.systolic.dataflow,latency_s,throughput,\
                 constraint:area_mm2,feasible,cached,error,knee"
            )
        );
        let ids: Vec<&str> = front
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().expect("id"))
            .collect();
        assert_eq!(ids, ["1", "2", "0", "7"]);
        // Reported values, not negated scores; id 2 has rows 8 << 2 = 32.
        assert!(
            front.contains("\n2,32,ws,2,8,-1,true,false,,true\n"),
            "{front}"
        );
        assert!(
            front.contains("\n7,64,ws,5,11,-1,true,false,,false\n"),
            "{front}"
        );

        let points = read(&dir.path().join("points.csv"));
        let ids: Vec<&str> = points
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().expect("id"))
            .collect();
        assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6", "7"]);
        assert!(
            points.contains("\n6,32,ws,,,0.5,false,false,simulator crashed\n"),
            "{points}"
        );
        assert!(points.contains("\n5,32,ws,2,8,-1,true,true,\n"), "{points}");
    }

    #[test]
    fn convergence_curve_steps_up_with_each_improving_evaluation() {
        let info = latency_throughput();
        let records = two_objective_records();
        let a = Analysis::new(&info, &records);
        assert_eq!(a.curve.len(), 8);
        // After id 0 alone, normalised (0.75, 1/9): (1.1 - 0.75) * (1.1 - 1/9) / 1.21.
        let first = 0.35 * (1.1 - 1.0 / 9.0) / 1.21;
        assert!((a.curve[0] - first).abs() < 1e-12, "{:?}", a.curve);
        // Dominated (3), infeasible (4), repeated (5) and failed (6) leave it unchanged.
        assert_eq!(a.curve[3], a.curve[2]);
        assert_eq!(a.curve[6], a.curve[2]);
        assert!(a.curve.windows(2).all(|w| w[0] <= w[1]));
        assert!(a.curve[7] > a.curve[6]);
    }

    #[test]
    fn known_bounds_normalise_instead_of_observed_ones() {
        // Ideal (0, -20), nadir (10, 0): the lone point (5, 10) scores (5, -10) and
        // normalises to (0.5, 0.5), so HV = 0.6^2 / 1.1^2.
        let mut info = latency_throughput();
        info.bounds = Some((vec![0.0, -20.0], vec![10.0, 0.0]));
        let records = [record(0, &[("latency_s", 5.0), ("throughput", 10.0)], true)];
        let a = Analysis::new(&info, &records);
        assert!((a.hypervolume() - 0.36 / 1.21).abs() < 1e-12);
    }

    #[test]
    fn summary_lists_the_front_the_knee_and_config_snippets() {
        let dir = tempfile::tempdir().expect("temp dir");
        let info = latency_throughput();
        write_reports(dir.path(), &info, &two_objective_records()).expect("reports");
        let md = read(&dir.path().join("summary.md"));
        for want in [
            "# Sweep `unit`",
            "| searcher | random |",
            "| seed | 7 |",
            "| budget | 10 |",
            "| evaluations | 8 |",
            "| unique (simulated) | 7 |",
            "| feasible | 6 |",
            "| normalised hypervolume | 0.6327 ",
            "| id | latency_s | throughput (max) | arch.systolic.rows | arch.systolic.dataflow |",
            "| 1 | 1 | 2 | 16 | ws |",
            "| **2** (knee) | 2 | 8 | 32 | ws |",
            "| 0 | 4 | 10 | 8 | ws |",
            "| 7 | 5 | 11 | 64 | ws |",
            "**Knee point: #2** (latency_s = 2, throughput (max) = 8)",
            "### #2 (knee)\n\n```toml\narch.systolic.rows = 32\n\
             arch.systolic.dataflow = \"ws\"\n```",
            "### #7\n\n```toml\narch.systolic.rows = 64\n",
            "![Pareto front](front.svg)",
            "![hypervolume vs evaluations](convergence.svg)",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
        // The dominated, infeasible and repeated designs are not in the table.
        for absent in ["\n| 3 |", "\n| 4 |", "\n| 5 |"] {
            assert!(!md.contains(absent), "{absent} in\n{md}");
        }
    }

    #[test]
    fn summary_table_rounds_reals_and_snippets_keep_them_exact() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut info = latency_throughput();
        info.dims.push("arch.systolic.dram_bandwidth_gbps".into());
        let mut records = two_objective_records();
        for r in &mut records {
            r.point.insert(
                "arch.systolic.dram_bandwidth_gbps".into(),
                Value::Real(12.345678901),
            );
        }
        write_reports(dir.path(), &info, &records).expect("reports");
        let md = read(&dir.path().join("summary.md"));
        for want in [
            "| **2** (knee) | 2 | 8 | 32 | ws | 12.346 |",
            "arch.systolic.dram_bandwidth_gbps = 12.345678901\n",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
    }

    #[test]
    fn plots_carry_metric_labels_and_the_knee() {
        let dir = tempfile::tempdir().expect("temp dir");
        let info = latency_throughput();
        write_reports(dir.path(), &info, &two_objective_records()).expect("reports");
        let svg = read(&dir.path().join("front.svg"));
        for want in [
            "<svg",
            "latency_s",
            "throughput (max)",
            "knee #2",
            "Pareto front",
        ] {
            assert!(svg.contains(want), "front.svg lacks {want:?}");
        }
        let conv = read(&dir.path().join("convergence.svg"));
        for want in ["<svg", "evaluations", "normalised hypervolume"] {
            assert!(conv.contains(want), "convergence.svg lacks {want:?}");
        }
        let png = std::fs::read(dir.path().join("front.png")).expect("front.png");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{} bytes",
            png.len()
        );
    }

    #[test]
    fn three_objectives_draw_pairwise_panels_with_log_axes() {
        // energy_j spans 1e-6..1e-2 (four decades): a log axis with powers of ten.
        let dir = tempfile::tempdir().expect("temp dir");
        let info = info(vec![
            Objective::min("latency_s"),
            Objective::min("energy_j"),
            Objective::min("area_mm2"),
        ]);
        let records: Vec<Record> = (0..12u64)
            .map(|i| {
                let t = i as f64 / 11.0;
                let values = [
                    ("latency_s", 1.0 + t),
                    ("energy_j", 10f64.powf(-2.0 - 4.0 * t)),
                    ("area_mm2", 2.0 + (t - 0.5).abs()),
                ];
                record(i, &values, i % 5 != 4)
            })
            .collect();
        let s = write_reports(dir.path(), &info, &records).expect("reports");
        assert!(s.knee_id.is_some());
        let svg = read(&dir.path().join("front.svg"));
        // Every pair is a panel: each metric labels at least one axis.
        for want in ["latency_s", "energy_j", "area_mm2", "Pareto front", "knee"] {
            assert!(svg.contains(want), "front.svg lacks {want:?}");
        }
        assert!(svg.contains("1e-4"), "no log-axis tick in front.svg");
        assert!(dir.path().join("front.png").exists());
    }

    #[test]
    fn a_run_without_feasible_points_still_reports() {
        let dir = tempfile::tempdir().expect("temp dir");
        let info = latency_throughput();
        let records = [record(0, &[("latency_s", 1.0), ("throughput", 1.0)], false)];
        let s = write_reports(dir.path(), &info, &records).expect("reports");
        assert!(s.front_ids.is_empty() && s.knee_id.is_none() && s.hypervolume == 0.0);
        assert!(read(&dir.path().join("summary.md")).contains("No feasible design was found."));
    }

    #[test]
    fn one_objective_reports_its_best_point() {
        let dir = tempfile::tempdir().expect("temp dir");
        let info = info(vec![Objective::min("latency_s")]);
        let records: Vec<Record> = [3.0, 1.0, 2.0, 0.5]
            .iter()
            .enumerate()
            .map(|(i, v)| record(i as u64, &[("latency_s", *v)], i != 3))
            .collect();
        let s = write_reports(dir.path(), &info, &records).expect("reports");
        // 0.5 is infeasible, so 1.0 (id 1) is best.
        assert_eq!((s.front_ids, s.knee_id), (vec![1], Some(1)));
        assert!(read(&dir.path().join("front.svg")).contains("evaluation id"));
    }

    #[test]
    fn numbers_print_with_significant_digits() {
        assert_eq!(fmt_sig(2.5, 4), "2.5");
        assert_eq!(fmt_sig(1234.5678, 4), "1235");
        assert_eq!(fmt_sig(0.0001234, 3), "1.23e-4");
        assert_eq!(fmt_sig(12_345_678.0, 3), "1.23e7");
        assert_eq!(fmt_sig(-0.5, 3), "-0.5");
        assert_eq!(fmt_sig(0.0, 3), "0");
    }
}
