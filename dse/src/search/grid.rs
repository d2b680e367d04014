//! Exhaustive grid: every combination of discrete values in odometer order (last dimension
//! fastest); real dimensions are split into [`REAL_LEVELS`] evenly spaced values.

use crate::problem::Evaluation;
use crate::search::Searcher;
use crate::space::{DesignPoint, DesignSpace, Gene};

/// Levels a real dimension gets on the grid (its ends and three points between).
pub const REAL_LEVELS: usize = 5;

/// Walks the grid once; exhausted after the last combination.
#[derive(Debug, Default)]
pub struct Grid {
    /// Index of the next combination.
    next: u128,
}

impl Grid {
    /// A grid starting at the first combination.
    pub fn new() -> Self {
        Grid::default()
    }

    /// Levels of each dimension on the grid.
    fn levels(space: &DesignSpace) -> Vec<usize> {
        space
            .genes()
            .iter()
            .map(|g| match g {
                Gene::Ordinal(n) | Gene::Categorical(n) => *n,
                Gene::Real => REAL_LEVELS,
            })
            .collect()
    }

    /// Number of combinations.
    pub fn size(space: &DesignSpace) -> u128 {
        Self::levels(space)
            .iter()
            .fold(1u128, |a, &n| a.saturating_mul(n as u128))
    }

    /// The genes of combination `index`.
    fn genes(space: &DesignSpace, mut index: u128) -> Vec<f64> {
        let levels = Self::levels(space);
        let mut genes = vec![0.0; levels.len()];
        for (d, &n) in levels.iter().enumerate().rev() {
            let level = (index % n as u128) as usize;
            index /= n as u128;
            genes[d] = match space.genes()[d] {
                Gene::Real if n > 1 => level as f64 / (n - 1) as f64,
                _ => level as f64,
            };
        }
        genes
    }
}

impl Searcher for Grid {
    fn name(&self) -> &'static str {
        "grid"
    }

    fn ask(&mut self, space: &DesignSpace, n: usize) -> Vec<DesignPoint> {
        let total = Self::size(space);
        let mut out = Vec::with_capacity(n);
        while out.len() < n && self.next < total {
            out.push(space.decode(&Self::genes(space, self.next)));
            self.next += 1;
        }
        out
    }

    fn tell(&mut self, _evaluated: &[Evaluation]) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::{Dimension, Param, Value};

    #[test]
    fn enumerates_every_combination_once() {
        // 3 powers of two x 2 choices = 6 points, last dimension fastest.
        let space = DesignSpace {
            dims: vec![
                Dimension {
                    name: "rows".into(),
                    param: Param::Pow2 { lo: 8, hi: 32 },
                },
                Dimension {
                    name: "df".into(),
                    param: Param::Choice {
                        values: vec![Value::Str("os".into()), Value::Str("ws".into())],
                    },
                },
            ],
        };
        let mut g = Grid::new();
        let first = g.ask(&space, 4);
        let rest = g.ask(&space, 4);
        assert_eq!(first.len(), 4);
        assert_eq!(rest.len(), 2);
        assert_eq!(
            first[1].values,
            vec![Value::Int(8), Value::Str("ws".into())]
        );
        assert_eq!(
            rest[1].values,
            vec![Value::Int(32), Value::Str("ws".into())]
        );
        assert!(g.ask(&space, 4).is_empty());
    }
}
