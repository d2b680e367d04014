//! Quality of the `nsga2` searcher on the test problems, against pymoo's NSGA-II and Optuna's
//! TPE.
//!
//! Indicator (the same as `tests/reference/pymoo_optuna/measure.py`): the normalised
//! hypervolume of the front of every point a run evaluated, each objective mapped by the true
//! front's ideal and nadir (`TestProblem::known_bounds`: ZDT1, ZDT2, DTLZ2 `[0, 1]`; ZDT3 f1
//! `[0, 0.8518]`, f2 `[-0.7733, 1]`), reference point 1.1 per objective, divided by 1.1^m
//! (`pareto::normalized_hypervolume`). Runs are independent per budget, as pymoo's are, and
//! use what a sweep file gets: `search::build("nsga2", seed, m, budget)` (population
//! `pop_size_for_budget(budget)`: 8, 8 and 10 at these budgets), asked [`BATCH`] = 2 points
//! at a time: one mating per ask, the steady-state algorithm exactly. TPE is sequential (one
//! trial per ask); larger batches trade quality at small budgets for parallel evaluations
//! (see `batch_size_does_not_break_the_search`).
//!
//! The bar: for ZDT1, ZDT2, ZDT3 (30 variables) and DTLZ2 (3 objectives, 12 variables), at
//! budgets 100, 300 and 1000, the median over seeds 0-9 must be at least
//! - pymoo 0.6.2 NSGA-II's (population 100, its defaults) median over its seeds 0-9,
//! - Optuna 5.0 TPE's (multivariate) median over the seeds the reference has: 0-9 at budgets
//!   100 and 300, only 0-2 at 1000 (the 1000-trial runs took 1-2 minutes each and were cut
//!   for time; see the README there). With 3 seeds the median is the middle run.
//! - and a floor set below the medians this code measured (see [`FLOORS`]), so that a
//!   regression shows even where both peers score 0.
//!
//! Both peers' numbers come from `tests/reference/pymoo_optuna/results.csv`.
//!
//! The whole bar (4 problems x 3 budgets x 10 seeds) takes about 0.7 s in release and 4 s of
//! CPU in a debug build, so it always runs (also under `cargo test --workspace`).

use std::collections::BTreeMap;
use std::path::Path;

use accel_dse::pareto::normalized_hypervolume;
use accel_dse::search::nsga2::{pop_size_for_budget, Nsga2};
use accel_dse::search::{self, Searcher};
use accel_dse::{Evaluation, Problem, TestFunction, TestProblem};

mod common;
use common::median;

const SEEDS: u64 = 10;
const BUDGETS: [usize; 3] = [100, 300, 1000];
/// Points per ask in the bar's runs: one mating (see the module documentation).
const BATCH: usize = 2;

/// (problem, budget, floor): each about two thirds of the median measured with 10 seeds
/// (measured medians in the comment; 0 where the median is 0 or unsteady).
const FLOORS: &[(&str, usize, f64)] = &[
    // ZDT1: 0, 0, 0.363. pymoo: 0, 0, 0. TPE: 0, 0, 0.
    ("zdt1", 100, 0.0),
    ("zdt1", 300, 0.0),
    ("zdt1", 1000, 0.24),
    // ZDT2: 0, 0, 0.078 (0 in the median of 60 seeds: the population often collapses onto
    // f1 = 0 first). pymoo: 0, 0, 0. TPE: 0, 0, 0.
    ("zdt2", 100, 0.0),
    ("zdt2", 300, 0.0),
    ("zdt2", 1000, 0.0),
    // ZDT3: 0, 0.037, 0.342. pymoo: 0, 0, 0.021. TPE: 0, 0, 0.
    ("zdt3", 100, 0.0),
    ("zdt3", 300, 0.02),
    ("zdt3", 1000, 0.23),
    // DTLZ2: 0.096, 0.344, 0.525. pymoo: 0.016, 0.053, 0.252. TPE: 0.078, 0.214, 0.469.
    ("dtlz2", 100, 0.064),
    ("dtlz2", 300, 0.23),
    ("dtlz2", 1000, 0.35),
];

fn function(name: &str) -> TestFunction {
    match name {
        "zdt1" => TestFunction::Zdt1,
        "zdt2" => TestFunction::Zdt2,
        "zdt3" => TestFunction::Zdt3,
        "dtlz2" => TestFunction::Dtlz2,
        _ => panic!("unknown problem {name}"),
    }
}

/// Runs `searcher` for `budget` evaluations in asks of `batch`; returns every evaluation.
fn run(
    problem: &TestProblem,
    searcher: &mut dyn Searcher,
    budget: usize,
    batch: usize,
) -> Vec<Evaluation> {
    let all = common::run(problem, searcher, budget, batch);
    assert_eq!(all.len(), budget, "a continuous space is never used up");
    all
}

fn hypervolume(problem: &TestProblem, evals: &[Evaluation]) -> f64 {
    let (ideal, nadir) = problem.known_bounds();
    let pts: Vec<Vec<f64>> = evals.iter().map(|e| e.scores.clone()).collect();
    normalized_hypervolume(&pts, &ideal, &nadir, 1.1)
}

/// Hypervolumes of `nsga2` as a sweep builds it for each of `budgets`, over seeds
/// `0..seeds` (`[budget][seed]`). Budgets with the same population size share one run per
/// seed: the searcher sees the budget only through the population size, so the first `b`
/// evaluations of the longest such run are exactly a run of budget `b` (every budget is a
/// multiple of the batch).
fn nsga2_hypervolumes(problem: &TestProblem, budgets: &[usize], seeds: u64) -> Vec<Vec<f64>> {
    let m = problem.objectives().len();
    let mut hvs = vec![Vec::new(); budgets.len()];
    let mut pops: Vec<usize> = budgets.iter().map(|&b| pop_size_for_budget(b)).collect();
    pops.dedup();
    for pop in pops {
        let group: Vec<usize> = (0..budgets.len())
            .filter(|&i| pop_size_for_budget(budgets[i]) == pop)
            .collect();
        let longest = group.iter().map(|&i| budgets[i]).max().expect("a budget");
        for seed in 0..seeds {
            let mut s = search::build("nsga2", seed, m, longest).expect("nsga2 is registered");
            let all = run(problem, s.as_mut(), longest, BATCH);
            for &i in &group {
                assert_eq!(
                    budgets[i] % BATCH,
                    0,
                    "budget {} needs its own run",
                    budgets[i]
                );
                hvs[i].push(hypervolume(problem, &all[..budgets[i]]));
            }
        }
    }
    hvs
}

/// Medians of a reference tool's hypervolumes by (problem, budget), with the number of
/// seeds each median is over.
fn reference_medians(tool: &str) -> BTreeMap<(String, usize), (f64, usize)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pymoo_optuna/results.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut runs: BTreeMap<(String, usize), Vec<f64>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if let [t, problem, budget, _seed, hv] = f[..] {
            if t == tool {
                runs.entry((problem.to_string(), budget.parse().expect("budget")))
                    .or_default()
                    .push(hv.parse().expect("hypervolume"));
            }
        }
    }
    runs.into_iter()
        .map(|(k, v)| {
            let n = v.len();
            (k, (median(v), n))
        })
        .collect()
}

/// Checks the bar for `problems` at `budgets`; panics with every miss and the whole table.
fn assert_bar(problems: &[&str], budgets: &[usize]) {
    let pymoo = reference_medians("nsga2");
    let tpe = reference_medians("tpe");
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for &name in problems {
        let problem = TestProblem::new(function(name));
        let hvs = nsga2_hypervolumes(&problem, budgets, SEEDS);
        for (&budget, hv) in budgets.iter().zip(hvs) {
            let ours = median(hv);
            let floor = FLOORS
                .iter()
                .find(|(p, b, _)| *p == name && *b == budget)
                .map(|f| f.2)
                .expect("a floor per problem and budget");
            let key = (name.to_string(), budget);
            let (p, p_seeds) = pymoo[&key];
            let (t, t_seeds) = tpe[&key];
            assert_eq!(p_seeds, SEEDS as usize, "pymoo {name} {budget}: 10 seeds");
            let t_expected = if budget == 1000 { 3 } else { 10 };
            assert_eq!(
                t_seeds, t_expected,
                "TPE {name} {budget}: seeds in the reference"
            );
            report.push(format!(
                "{name} {budget}: {ours:.4} (pymoo {p:.4}, TPE {t:.4} of {t_seeds} seeds, \
                 floor {floor})"
            ));
            // The reference values are rounded to 6 decimals in the file.
            if ours < floor || ours < p - 1e-6 || ours < t - 1e-6 {
                failures.push(report.last().cloned().expect("just pushed"));
            }
        }
    }
    // Shown with `--nocapture`.
    println!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "below the bar: {failures:#?}\nall: {report:#?}"
    );
}

#[test]
fn matches_or_beats_pymoo_nsga2_and_optuna_tpe_on_zdt_and_dtlz2() {
    assert_bar(&["zdt1", "zdt2", "zdt3", "dtlz2"], &BUDGETS);
}

#[test]
fn batch_size_does_not_break_the_search() {
    // ZDT3 and DTLZ2 at 1000 evaluations (pop 10), asked 7 at a time (survivals fall
    // between asks), 10 (a sweep file's default) and 1000 (each ask is capped at a
    // population of offspring): the median over 5 seeds stays above the floors of the
    // 2-point asks. Measured with 10 seeds, batch 7 / 10 / 1000: ZDT3 0.31 / 0.29 / 0.29,
    // DTLZ2 0.52 / 0.51 / 0.51 (batch 2: 0.34, 0.53).
    for (name, floor) in [("zdt3", 0.23), ("dtlz2", 0.35)] {
        let problem = TestProblem::new(function(name));
        for batch in [7, 10, 1000] {
            let hv = median(
                (0..5)
                    .map(|seed| {
                        let mut s = Nsga2::new(seed, pop_size_for_budget(1000));
                        hypervolume(&problem, &run(&problem, &mut s, 1000, batch))
                    })
                    .collect(),
            );
            assert!(hv >= floor, "{name} batch {batch}: {hv} < {floor}");
        }
    }
}

#[test]
fn resumed_run_continues_from_the_replayed_results() {
    // DTLZ2: 500 evaluations, then a fresh searcher told those 500 (in the sweep's batches)
    // spends the other 500. The median over 5 seeds must reach the uninterrupted floor.
    let problem = TestProblem::new(TestFunction::Dtlz2);
    let pop = pop_size_for_budget(1000);
    let hv = median(
        (0..5)
            .map(|seed| {
                let mut first = Nsga2::new(seed, pop);
                let mut all = run(&problem, &mut first, 500, BATCH);
                let mut resumed = Nsga2::new(seed, pop);
                for chunk in all.chunks(BATCH) {
                    resumed.tell(chunk);
                }
                let more = run(&problem, &mut resumed, 500, BATCH);
                let keys: std::collections::HashSet<String> =
                    all.iter().map(|e| e.point.cache_key()).collect();
                assert!(more.iter().all(|e| !keys.contains(&e.point.cache_key())));
                all.extend(more);
                hypervolume(&problem, &all)
            })
            .collect(),
    );
    assert!(hv >= 0.35, "{hv}");
}

#[test]
fn reference_direction_niching_handles_four_objectives() {
    // DTLZ2 with 4 objectives and 13 variables, 1000 evaluations, pop 20 (20 Das-Dennis
    // directions, 3 partitions), asked 20 at a time: median over 10 seeds measured 0.61
    // (0.50 with the generational version that kept a random candidate in a crowded
    // direction and mutated with eta 20).
    let problem = TestProblem::with_size(TestFunction::Dtlz2, 13, 4);
    let hv = median(
        (0..5)
            .map(|seed| {
                let mut s = Nsga2::new(seed, 20);
                hypervolume(&problem, &run(&problem, &mut s, 1000, 20))
            })
            .collect(),
    );
    assert!(hv >= 0.45, "{hv}");
}
