//! Helpers shared by the searcher-quality tests: the ask/tell loop and the median.
#![allow(dead_code)] // each test file uses its own subset

use accel_dse::search::Searcher;
use accel_dse::{Evaluation, Problem};

/// Runs `searcher` on `problem` for up to `budget` evaluations in asks of `batch` (fewer if
/// the searcher runs out of new points); returns every evaluation in ask order.
pub fn run(
    problem: &dyn Problem,
    searcher: &mut dyn Searcher,
    budget: usize,
    batch: usize,
) -> Vec<Evaluation> {
    let mut all = Vec::with_capacity(budget);
    while all.len() < budget {
        let points = searcher.ask(problem.space(), batch.min(budget - all.len()));
        if points.is_empty() {
            break;
        }
        let evals: Vec<Evaluation> = points
            .iter()
            .map(|p| problem.evaluate(p).expect("test problems do not fail"))
            .collect();
        searcher.tell(&evals);
        all.extend(evals);
    }
    all
}

/// Median (the mean of the middle two for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (v[(n - 1) / 2] + v[n / 2]) / 2.0
}
