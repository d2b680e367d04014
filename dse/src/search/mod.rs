//! Searchers: one ask/tell interface. The driver ([`crate::sweep`]) owns evaluation; a
//! searcher only proposes points and learns from results. Every searcher is seeded and
//! deterministic: the same seed and the same told results give the same asks.

pub mod bayes;
pub mod gp;
pub mod grid;
pub mod marl;
pub mod nsga2;
pub mod random;

use crate::problem::Evaluation;
use crate::space::{DesignPoint, DesignSpace};

/// Proposes design points and learns from their evaluations.
pub trait Searcher: Send {
    /// Short name (`grid`, `random`, `nsga2`, `bayes`, `marl`).
    fn name(&self) -> &'static str;
    /// Up to `n` new points to evaluate (fewer, or none, when the searcher is exhausted).
    fn ask(&mut self, space: &DesignSpace, n: usize) -> Vec<DesignPoint>;
    /// Results of earlier asks (in any order; also replayed on resume).
    fn tell(&mut self, evaluated: &[Evaluation]);
}

/// Searcher names accepted in sweep files.
pub const NAMES: &[&str] = &["grid", "random", "sobol", "lhs", "marl", "bayes", "nsga2"];

/// Builds a searcher by name; `n_objectives` sizes multi-objective state; `budget` lets
/// budget-aware searchers (grid, Latin hypercube) plan.
pub fn build(
    name: &str,
    seed: u64,
    _n_objectives: usize,
    budget: usize,
) -> Option<Box<dyn Searcher>> {
    Some(match name {
        "grid" => Box::new(grid::Grid::new()),
        "random" => Box::new(random::RandomSearch::new(seed, random::Sampling::Uniform)),
        "sobol" => Box::new(random::RandomSearch::new(seed, random::Sampling::Sobol)),
        "lhs" => Box::new(random::RandomSearch::new(
            seed,
            random::Sampling::LatinHypercube { n: budget },
        )),
        "marl" => Box::new(marl::Marl::new(seed, _n_objectives)),
        "bayes" => Box::new(bayes::Bayes::new(seed, budget)),
        "nsga2" => Box::new(nsga2::Nsga2::new(seed, nsga2::pop_size_for_budget(budget))),
        _ => return None,
    })
}
