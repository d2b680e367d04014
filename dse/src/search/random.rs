//! Random search: uniform, scrambled Sobol, or Latin hypercube samples of the gene space.
//!
//! Sobol points come from Owen-scrambled Sobol sequences (Burley, "Practical Hash-based Owen
//! Scrambling", JCGT 2020, via the `sobol_burley` crate), seeded; Latin hypercube samples
//! split each dimension into `n` strata and use each stratum once per `n` points.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::problem::Evaluation;
use crate::search::Searcher;
use crate::space::{DesignPoint, DesignSpace, Gene};

/// How points are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Independent uniform draws.
    Uniform,
    /// Scrambled Sobol sequence (low discrepancy).
    Sobol,
    /// Latin hypercube over blocks of `n` points.
    LatinHypercube {
        /// Points per block (the budget).
        n: usize,
    },
}

/// Samples the space; never learns.
#[derive(Debug)]
pub struct RandomSearch {
    rng: ChaCha8Rng,
    seed: u64,
    sampling: Sampling,
    drawn: usize,
    /// Pending Latin hypercube block (unit coordinates per point).
    block: Vec<Vec<f64>>,
}

impl RandomSearch {
    /// A seeded sampler.
    pub fn new(seed: u64, sampling: Sampling) -> Self {
        RandomSearch {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
            sampling,
            drawn: 0,
            block: Vec::new(),
        }
    }

    /// A point in the unit cube `[0, 1)^d`.
    fn unit_point(&mut self, d: usize) -> Vec<f64> {
        match self.sampling {
            Sampling::Uniform => (0..d).map(|_| self.rng.gen::<f64>()).collect(),
            Sampling::Sobol => (0..d as u32)
                .map(|dim| {
                    f64::from(sobol_burley::sample(
                        self.drawn as u32,
                        dim,
                        self.seed as u32,
                    ))
                })
                .collect(),
            Sampling::LatinHypercube { n } => {
                if self.block.is_empty() {
                    let n = n.max(1);
                    let mut cols: Vec<Vec<f64>> = (0..d)
                        .map(|_| {
                            let mut strata: Vec<usize> = (0..n).collect();
                            strata.shuffle(&mut self.rng);
                            strata
                                .into_iter()
                                .map(|s| (s as f64 + self.rng.gen::<f64>()) / n as f64)
                                .collect()
                        })
                        .collect();
                    self.block = (0..n)
                        .map(|i| cols.iter_mut().map(|c| c[i]).collect())
                        .collect();
                    self.block.reverse();
                }
                self.block.pop().expect("non-empty block")
            }
        }
    }
}

/// Genes from a unit-cube point: each discrete gene takes the level whose stratum holds it.
pub fn genes_from_unit(space: &DesignSpace, u: &[f64]) -> Vec<f64> {
    space
        .genes()
        .iter()
        .zip(u)
        .map(|(g, &x)| match g {
            Gene::Ordinal(n) | Gene::Categorical(n) => ((x * *n as f64) as usize).min(n - 1) as f64,
            Gene::Real => x,
        })
        .collect()
}

impl Searcher for RandomSearch {
    fn name(&self) -> &'static str {
        match self.sampling {
            Sampling::Uniform => "random",
            Sampling::Sobol => "sobol",
            Sampling::LatinHypercube { .. } => "lhs",
        }
    }

    fn ask(&mut self, space: &DesignSpace, n: usize) -> Vec<DesignPoint> {
        (0..n)
            .map(|_| {
                let u = self.unit_point(space.dims.len());
                self.drawn += 1;
                space.decode(&genes_from_unit(space, &u))
            })
            .collect()
    }

    fn tell(&mut self, _evaluated: &[Evaluation]) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{TestFunction, TestProblem};
    use crate::Problem;

    fn coords(p: &DesignPoint) -> Vec<f64> {
        p.values.iter().map(|v| v.as_f64().unwrap()).collect()
    }

    #[test]
    fn same_seed_same_points() {
        let space = TestProblem::new(TestFunction::Zdt1).space().clone();
        for s in [
            Sampling::Uniform,
            Sampling::Sobol,
            Sampling::LatinHypercube { n: 8 },
        ] {
            let a = RandomSearch::new(3, s).ask(&space, 5);
            let b = RandomSearch::new(3, s).ask(&space, 5);
            assert_eq!(a, b, "{s:?}");
        }
    }

    #[test]
    fn latin_hypercube_uses_each_stratum_once() {
        // 10 points in 10 strata: every dimension has exactly one point per [k/10, (k+1)/10).
        let space = TestProblem::with_size(TestFunction::Zdt1, 4, 2)
            .space()
            .clone();
        let pts = RandomSearch::new(1, Sampling::LatinHypercube { n: 10 }).ask(&space, 10);
        for d in 0..4 {
            let mut strata: Vec<usize> =
                pts.iter().map(|p| (coords(p)[d] * 10.0) as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
    }

    #[test]
    fn sobol_fills_the_square_evenly() {
        // 64 scrambled Sobol points in 2-D: each of the 4x4 cells gets exactly 4.
        let space = TestProblem::with_size(TestFunction::Zdt1, 2, 2)
            .space()
            .clone();
        let pts = RandomSearch::new(7, Sampling::Sobol).ask(&space, 64);
        let mut cells = [0; 16];
        for p in &pts {
            let c = coords(p);
            cells[(c[0] * 4.0) as usize * 4 + (c[1] * 4.0) as usize] += 1;
        }
        assert!(cells.iter().all(|&c| c == 4), "{cells:?}");
    }
}
