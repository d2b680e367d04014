//! Design spaces: named dimensions (config keys by dotted path) with integer, power-of-two,
//! real and choice ranges, and the encoding searchers work in.
//!
//! Searchers see every point as a vector of genes, one per dimension ([`Gene`]): ordinal
//! genes (integer and power-of-two ranges) as level indices, real genes as values in `[0, 1]`
//! (linear or log-mapped), choice genes as category indices. [`DesignSpace::decode`] turns
//! genes into a [`DesignPoint`] of typed values.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// A parameter value: what gets written into the config at the dimension's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A whole number.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A string (choices such as dataflows or precisions).
    Str(String),
    /// A boolean choice.
    Bool(bool),
}

impl Value {
    /// The value as a float, if numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// The value as a TOML value, for writing into a config.
    pub fn to_toml(&self) -> toml::Value {
        match self {
            Value::Int(i) => toml::Value::Integer(*i),
            Value::Real(r) => toml::Value::Float(*r),
            Value::Str(s) => toml::Value::String(s.clone()),
            Value::Bool(b) => toml::Value::Boolean(*b),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r}"),
            Value::Str(s) => write!(f, "{s}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The range of one dimension.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Integers `lo, lo + step, ..., <= hi`.
    Int {
        /// Lowest value.
        lo: i64,
        /// Highest value (included if on the step grid).
        hi: i64,
        /// Step (>= 1).
        step: i64,
    },
    /// Powers of two from `lo` to `hi`, both powers of two.
    Pow2 {
        /// Lowest value.
        lo: u64,
        /// Highest value.
        hi: u64,
    },
    /// Reals in `[lo, hi]`, uniform in value or in log(value).
    Real {
        /// Lowest value.
        lo: f64,
        /// Highest value.
        hi: f64,
        /// Uniform in log space (`lo > 0`).
        log: bool,
    },
    /// One of a list of values (unordered).
    Choice {
        /// The values.
        values: Vec<Value>,
    },
}

/// How a searcher sees one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gene {
    /// Ordered levels `0..n` (integer and power-of-two ranges).
    Ordinal(usize),
    /// A real in `[0, 1]`.
    Real,
    /// Unordered categories `0..n`.
    Categorical(usize),
}

impl Param {
    /// Number of distinct values, `None` for a real range.
    pub fn levels(&self) -> Option<usize> {
        match self {
            Param::Int { lo, hi, step } => Some(((hi - lo) / step + 1) as usize),
            Param::Pow2 { lo, hi } => Some((hi.ilog2() - lo.ilog2() + 1) as usize),
            Param::Real { .. } => None,
            Param::Choice { values } => Some(values.len()),
        }
    }

    /// The gene a searcher uses for this parameter.
    pub fn gene(&self) -> Gene {
        match self {
            Param::Int { .. } | Param::Pow2 { .. } => {
                Gene::Ordinal(self.levels().expect("discrete"))
            }
            Param::Real { .. } => Gene::Real,
            Param::Choice { values } => Gene::Categorical(values.len()),
        }
    }

    /// The value of gene `g` (a level or category index, or a unit real).
    pub fn decode(&self, g: f64) -> Value {
        let level = |n: usize| (g.round().max(0.0) as usize).min(n - 1);
        match self {
            Param::Int { lo, step, .. } => {
                Value::Int(lo + step * level(self.levels().expect("discrete")) as i64)
            }
            Param::Pow2 { lo, .. } => {
                Value::Int((lo << level(self.levels().expect("discrete"))) as i64)
            }
            Param::Real { lo, hi, log } => {
                let u = g.clamp(0.0, 1.0);
                Value::Real(if *log {
                    (lo.ln() + u * (hi.ln() - lo.ln())).exp()
                } else {
                    lo + u * (hi - lo)
                })
            }
            Param::Choice { values } => values[level(values.len())].clone(),
        }
    }

    /// The gene of value `v`, if `v` is in the range.
    pub fn encode(&self, v: &Value) -> Option<f64> {
        match (self, v) {
            (Param::Int { lo, hi, step }, Value::Int(i)) => {
                ((lo..=hi).contains(&i) && (i - lo) % step == 0).then(|| ((i - lo) / step) as f64)
            }
            (Param::Pow2 { lo, hi }, Value::Int(i)) => {
                let i = u64::try_from(*i).ok()?;
                (i.is_power_of_two() && (*lo..=*hi).contains(&i))
                    .then(|| f64::from(i.ilog2() - lo.ilog2()))
            }
            (Param::Real { lo, hi, log }, v) => {
                let x = v.as_f64()?;
                if !(*lo..=*hi).contains(&x) {
                    return None;
                }
                Some(if hi == lo {
                    0.0
                } else if *log {
                    (x.ln() - lo.ln()) / (hi.ln() - lo.ln())
                } else {
                    (x - lo) / (hi - lo)
                })
            }
            (Param::Choice { values }, v) => values.iter().position(|c| c == v).map(|i| i as f64),
            _ => None,
        }
    }
}

/// One dimension: a config key (dotted path) and its range.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// Dotted key path, e.g. `arch.systolic.rows`, or a variable name for test problems.
    pub name: String,
    /// The range.
    pub param: Param,
}

/// A point: one value per dimension, in the space's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignPoint {
    /// Values, one per dimension.
    pub values: Vec<Value>,
}

impl DesignPoint {
    /// A key that identifies the point for caching (exact for discrete values).
    pub fn cache_key(&self) -> String {
        serde_json::to_string(&self.values).expect("values serialise")
    }
}

/// The space a sweep searches.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DesignSpace {
    /// Dimensions in a fixed order.
    pub dims: Vec<Dimension>,
}

impl DesignSpace {
    /// The genes, one per dimension.
    pub fn genes(&self) -> Vec<Gene> {
        self.dims.iter().map(|d| d.param.gene()).collect()
    }

    /// The point of a gene vector.
    pub fn decode(&self, genes: &[f64]) -> DesignPoint {
        DesignPoint {
            values: self
                .dims
                .iter()
                .zip(genes)
                .map(|(d, &g)| d.param.decode(g))
                .collect(),
        }
    }

    /// The gene vector of a point, if every value is in range.
    pub fn encode(&self, p: &DesignPoint) -> Option<Vec<f64>> {
        if p.values.len() != self.dims.len() {
            return None;
        }
        self.dims
            .iter()
            .zip(&p.values)
            .map(|(d, v)| d.param.encode(v))
            .collect()
    }

    /// Genes normalised to `[0, 1]` per dimension (ordinal levels spread evenly; categories
    /// left as indices), for distance-based methods.
    pub fn unit(&self, genes: &[f64]) -> Vec<f64> {
        self.genes()
            .iter()
            .zip(genes)
            .map(|(g, &x)| match g {
                Gene::Ordinal(n) if *n > 1 => x / (*n - 1) as f64,
                Gene::Ordinal(_) => 0.0,
                Gene::Real | Gene::Categorical(_) => x,
            })
            .collect()
    }

    /// A uniformly random gene vector.
    pub fn sample(&self, rng: &mut impl Rng) -> Vec<f64> {
        self.genes()
            .iter()
            .map(|g| match g {
                Gene::Ordinal(n) | Gene::Categorical(n) => rng.gen_range(0..*n) as f64,
                Gene::Real => rng.gen::<f64>(),
            })
            .collect()
    }

    /// Number of distinct points, `None` if any dimension is real (or it overflows).
    pub fn size(&self) -> Option<u128> {
        self.dims.iter().try_fold(1u128, |acc, d| {
            d.param.levels().and_then(|n| acc.checked_mul(n as u128))
        })
    }

    /// Column names of the dimensions.
    pub fn names(&self) -> Vec<&str> {
        self.dims.iter().map(|d| d.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_levels_and_round_trip() {
        // 8, 16, 32, 64, 128, 256: 6 levels; level 3 is 64.
        let p = Param::Pow2 { lo: 8, hi: 256 };
        assert_eq!(p.levels(), Some(6));
        assert_eq!(p.decode(3.0), Value::Int(64));
        assert_eq!(p.encode(&Value::Int(64)), Some(3.0));
        assert_eq!(p.encode(&Value::Int(48)), None);
    }

    #[test]
    fn int_range_with_step() {
        // 16..=1024 step 16: (1024-16)/16 + 1 = 64 levels.
        let p = Param::Int {
            lo: 16,
            hi: 1024,
            step: 16,
        };
        assert_eq!(p.levels(), Some(64));
        assert_eq!(p.decode(63.0), Value::Int(1024));
        assert_eq!(p.decode(99.0), Value::Int(1024), "clamped");
    }

    #[test]
    fn log_real_maps_midpoint_to_geometric_mean() {
        let p = Param::Real {
            lo: 1.0,
            hi: 100.0,
            log: true,
        };
        let Value::Real(v) = p.decode(0.5) else {
            panic!()
        };
        assert!((v - 10.0).abs() < 1e-9);
        assert!((p.encode(&Value::Real(10.0)).unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn space_size_multiplies_levels() {
        let s = DesignSpace {
            dims: vec![
                Dimension {
                    name: "a".into(),
                    param: Param::Pow2 { lo: 8, hi: 64 },
                },
                Dimension {
                    name: "b".into(),
                    param: Param::Choice {
                        values: vec![Value::Str("os".into()), Value::Str("ws".into())],
                    },
                },
            ],
        };
        assert_eq!(s.size(), Some(8));
        let p = s.decode(&[2.0, 1.0]);
        assert_eq!(p.values, vec![Value::Int(32), Value::Str("ws".into())]);
        assert_eq!(s.encode(&p), Some(vec![2.0, 1.0]));
    }
}
