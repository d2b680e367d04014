//! Quality bar for the `bayes` searcher: on ZDT1, ZDT2, ZDT3 (30 variables) and DTLZ2 (12
//! variables, 3 objectives), its median normalised hypervolume over 10 seeds clearly beats
//! pymoo's NSGA-II and Optuna's TPE at 100 evaluations and is at least theirs at 300.
//!
//! Reference numbers: `tests/reference/pymoo_optuna/summary.csv` (pymoo 0.6.2, optuna 5.0.0;
//! the README there has the settings and commands). Both there and here the hypervolume is
//! that of every evaluated point, objectives mapped to ideal 0 and nadir 1 of the true front
//! (ZDT3: ideal (0, -0.7733), nadir (0.8518, 1)), reference point 1.1 per objective, divided
//! by 1.1^m (`pareto::normalized_hypervolume`). The true fronts score 0.7245 (ZDT1), 0.4490
//! (ZDT2), 0.6012 (ZDT3) and 0.6066 (DTLZ2).
//!
//! The budgets of 100 and 300 run only with `--release` (80 runs: about 8 minutes of a
//! loaded 2-core machine, seeds run in parallel); the always-on test is a cheap ZDT1 run
//! against random search (25 s in a debug build).

use std::collections::BTreeMap;
use std::path::Path;

use accel_dse::pareto::normalized_hypervolume;
use accel_dse::search;
use accel_dse::{Problem, TestFunction, TestProblem};
use rayon::prelude::*;

mod common;
use common::median;

const SEEDS: u64 = 10;

/// Runs searcher `name` for `budget` evaluations, asking `batch` points at a time; the
/// normalised hypervolume of everything it evaluated.
fn run(name: &str, f: TestFunction, seed: u64, budget: usize, batch: usize) -> f64 {
    let problem = TestProblem::new(f);
    let (ideal, nadir) = problem.known_bounds();
    let mut searcher =
        search::build(name, seed, problem.objectives().len(), budget).expect("known searcher");
    let evals = common::run(&problem, searcher.as_mut(), budget, batch);
    assert_eq!(evals.len(), budget, "{name} stopped early on {f:?}");
    let scores: Vec<Vec<f64>> = evals.into_iter().map(|e| e.scores).collect();
    normalized_hypervolume(&scores, &ideal, &nadir, 1.1)
}

/// Median hypervolume of `bayes` over seeds `0..SEEDS` (run in parallel), `batch` points per
/// ask.
fn bayes_median(f: TestFunction, budget: usize, batch: usize) -> f64 {
    let hv: Vec<f64> = (0..SEEDS)
        .into_par_iter()
        .map(|seed| run("bayes", f, seed, budget, batch))
        .collect();
    eprintln!(
        "bayes {f:?} at {budget}: median {:.4} of {hv:.4?}",
        median(hv.clone())
    );
    median(hv)
}

/// `(tool, problem, budget) -> median` from the reference summary.
fn reference_medians() -> BTreeMap<(String, String, usize), f64> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pymoo_optuna/summary.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let [tool, problem, budget, median, ..] = cells[..] else {
            panic!("{}: short line `{line}`", path.display());
        };
        out.insert(
            (
                tool.to_string(),
                problem.to_string(),
                budget.parse().expect("budget"),
            ),
            median.parse().expect("median"),
        );
    }
    out
}

/// The better of NSGA-II's and TPE's median hypervolumes.
fn best_reference(f: TestFunction, budget: usize) -> f64 {
    let name = format!("{f:?}").to_lowercase();
    let refs = reference_medians();
    ["nsga2", "tpe"]
        .iter()
        .map(|tool| {
            *refs
                .get(&(tool.to_string(), name.clone(), budget))
                .unwrap_or_else(|| panic!("no reference for {tool} {name} {budget}"))
        })
        .fold(0.0, f64::max)
}

/// At 100 evaluations: at least 1.25 times the better reference plus 0.02, and at least
/// `floor` (about 80% of what bayes reached when this test was written).
fn clearly_beats_at_100(f: TestFunction, floor: f64) {
    let ours = bayes_median(f, 100, 1);
    let theirs = best_reference(f, 100);
    assert!(
        ours >= (1.25 * theirs + 0.02).max(floor),
        "{f:?} at 100: bayes median {ours:.4}, best of NSGA-II/TPE {theirs:.4}, floor {floor}"
    );
}

/// At `budget` evaluations: at least the better reference, and at least `floor`.
fn at_least_matches(f: TestFunction, budget: usize, batch: usize, floor: f64) {
    let ours = bayes_median(f, budget, batch);
    let theirs = best_reference(f, budget);
    assert!(
        ours >= theirs.max(floor),
        "{f:?} at {budget}: bayes median {ours:.4}, best of NSGA-II/TPE {theirs:.4}, floor {floor}"
    );
}

#[test]
fn beats_random_search_on_zdt1_in_60_evaluations() {
    // Random search in 30 dimensions keeps g = 1 + 9 mean(x_2..) near 5.5, so no point comes
    // near the reference box (hypervolume 0); bayes drives g to 1 within 60 evaluations
    // (about 0.6 in release, measured; batches of 5 keep the debug run short).
    for seed in 0..2 {
        let ours = run("bayes", TestFunction::Zdt1, seed, 60, 5);
        let random = run("random", TestFunction::Zdt1, seed, 60, 5);
        assert!(
            ours > random + 0.2 && ours > 0.3,
            "seed {seed}: bayes {ours:.4}, random {random:.4}"
        );
    }
}

// Budget 100: measured medians (10 seeds) 0.706 (ZDT1), 0.432 (ZDT2), 0.590 (ZDT3),
// 0.175 (DTLZ2); NSGA-II and TPE get 0 on the ZDTs and 0.016 / 0.078 on DTLZ2.

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn clearly_beats_nsga2_and_tpe_on_zdt1_at_100() {
    clearly_beats_at_100(TestFunction::Zdt1, 0.55);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn clearly_beats_nsga2_and_tpe_on_zdt2_at_100() {
    clearly_beats_at_100(TestFunction::Zdt2, 0.35);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn clearly_beats_nsga2_and_tpe_on_zdt3_at_100() {
    clearly_beats_at_100(TestFunction::Zdt3, 0.45);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn clearly_beats_nsga2_and_tpe_on_dtlz2_at_100() {
    clearly_beats_at_100(TestFunction::Dtlz2, 0.1);
}

// Budget 300: measured medians (10 seeds) 0.716 (ZDT1), 0.440 (ZDT2), 0.597 (ZDT3),
// 0.386 (DTLZ2); NSGA-II and TPE get 0 on the ZDTs and 0.053 / 0.214 on DTLZ2.

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn matches_nsga2_and_tpe_on_zdt1_at_300() {
    at_least_matches(TestFunction::Zdt1, 300, 1, 0.6);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn matches_nsga2_and_tpe_on_zdt2_at_300() {
    at_least_matches(TestFunction::Zdt2, 300, 1, 0.37);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn matches_nsga2_and_tpe_on_zdt3_at_300() {
    at_least_matches(TestFunction::Zdt3, 300, 1, 0.48);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "slow in debug; run with --release")]
fn matches_nsga2_and_tpe_on_dtlz2_at_300() {
    at_least_matches(TestFunction::Dtlz2, 300, 1, 0.3);
}

// Budget 1000, batches of 10 (the sweep default; one point per ask would take about twice as
// long). An hour of a 2-core machine for the four problems, so these run on request:
// `cargo test --release -p accel-dse --test bayes_quality -- --ignored at_1000`.
// Measured medians (10 seeds): 0.718 (ZDT1), 0.442 (ZDT2), 0.599 (ZDT3), 0.489 (DTLZ2);
// NSGA-II and TPE get 0 / 0 / 0.021 / 0.252 and 0 / 0 / 0 / 0.469.

#[test]
#[ignore = "about 15 minutes in release; run with --release -- --ignored"]
fn matches_nsga2_and_tpe_on_zdt1_at_1000() {
    at_least_matches(TestFunction::Zdt1, 1000, 10, 0.6);
}

#[test]
#[ignore = "about 15 minutes in release; run with --release -- --ignored"]
fn matches_nsga2_and_tpe_on_zdt2_at_1000() {
    at_least_matches(TestFunction::Zdt2, 1000, 10, 0.37);
}

#[test]
#[ignore = "about 15 minutes in release; run with --release -- --ignored"]
fn matches_nsga2_and_tpe_on_zdt3_at_1000() {
    at_least_matches(TestFunction::Zdt3, 1000, 10, 0.48);
}

#[test]
#[ignore = "about 15 minutes in release; run with --release -- --ignored"]
fn matches_nsga2_and_tpe_on_dtlz2_at_1000() {
    at_least_matches(TestFunction::Dtlz2, 1000, 10, 0.3);
}
