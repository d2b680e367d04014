//! Problems: what a sweep optimises. A [`Problem`] has a space, objectives and constraints,
//! and evaluates points; the built-in test problems (ZDT1-3, DTLZ2) check the searchers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::DseError;
use crate::space::{DesignPoint, DesignSpace, Dimension, Param, Value};

/// Whether an objective is minimised or maximised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Smaller is better.
    #[default]
    Min,
    /// Larger is better.
    Max,
}

/// One objective: a reported metric and its goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objective {
    /// Metric name (e.g. `latency_s`, `f1`).
    pub metric: String,
    /// Direction.
    pub goal: Goal,
}

impl Objective {
    /// A minimised objective.
    pub fn min(metric: &str) -> Self {
        Objective {
            metric: metric.into(),
            goal: Goal::Min,
        }
    }

    /// The value a minimising searcher sees.
    pub fn score(&self, value: f64) -> f64 {
        match self.goal {
            Goal::Min => value,
            Goal::Max => -value,
        }
    }
}

/// The result of evaluating one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The point.
    pub point: DesignPoint,
    /// Objective values as reported (same order as the problem's objectives).
    pub objectives: Vec<f64>,
    /// The same, all turned into minimisation (what searchers and fronts use).
    pub scores: Vec<f64>,
    /// Constraint values, `<= 0` satisfied (same order as the problem's constraints).
    pub constraints: Vec<f64>,
    /// Every constraint satisfied and no error.
    pub feasible: bool,
    /// Every metric the evaluator reported.
    pub metrics: BTreeMap<String, f64>,
    /// Why the point could not be evaluated, if it could not (then it is infeasible).
    pub error: Option<String>,
}

impl Evaluation {
    /// Total constraint violation (0 when feasible; errors count as infinitely violated).
    pub fn violation(&self) -> f64 {
        if self.error.is_some() {
            return f64::INFINITY;
        }
        self.constraints.iter().map(|c| c.max(0.0)).sum()
    }
}

/// Something a sweep can optimise.
pub trait Problem: Sync {
    /// The search space.
    fn space(&self) -> &DesignSpace;
    /// Objectives.
    fn objectives(&self) -> &[Objective];
    /// Constraint names (values `<= 0` are satisfied).
    fn constraints(&self) -> &[String] {
        &[]
    }
    /// Evaluates one point; an infeasible or failing design is `Ok` with `feasible = false`;
    /// `Err` is for failures that must stop the sweep.
    fn evaluate(&self, point: &DesignPoint) -> Result<Evaluation, DseError>;
}

/// Builds an evaluation from objective and constraint values.
pub fn evaluation(
    point: DesignPoint,
    objectives: &[Objective],
    values: Vec<f64>,
    constraints: Vec<f64>,
    metrics: BTreeMap<String, f64>,
) -> Evaluation {
    let scores = objectives
        .iter()
        .zip(&values)
        .map(|(o, v)| o.score(*v))
        .collect();
    let feasible = constraints.iter().all(|c| *c <= 0.0) && values.iter().all(|v| v.is_finite());
    Evaluation {
        point,
        objectives: values,
        scores,
        constraints,
        feasible,
        metrics,
        error: None,
    }
}

/// The built-in benchmark problems (Zitzler, Deb, Thiele 2000; Deb et al. 2002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestFunction {
    /// Convex front `f2 = 1 - sqrt(f1)`.
    Zdt1,
    /// Concave front `f2 = 1 - f1^2`.
    Zdt2,
    /// Disconnected front.
    Zdt3,
    /// Spherical front `sum f_i^2 = 1`.
    Dtlz2,
}

impl TestFunction {
    /// Names as written in sweep files.
    pub const NAMES: &'static str = "zdt1, zdt2, zdt3, dtlz2";
}

/// A test problem with its standard dimensions: ZDT with 30 variables and 2 objectives,
/// DTLZ2 with 12 variables and 3 objectives (`k = 10`), all variables in `[0, 1]`.
#[derive(Debug, Clone)]
pub struct TestProblem {
    function: TestFunction,
    space: DesignSpace,
    objectives: Vec<Objective>,
}

impl TestProblem {
    /// The problem with its standard number of variables.
    pub fn new(function: TestFunction) -> Self {
        let (n_vars, n_obj) = match function {
            TestFunction::Dtlz2 => (12, 3),
            _ => (30, 2),
        };
        Self::with_size(function, n_vars, n_obj)
    }

    /// The problem with `n_vars` variables and `n_obj` objectives (ZDT: always 2).
    pub fn with_size(function: TestFunction, n_vars: usize, n_obj: usize) -> Self {
        let n_obj = if function == TestFunction::Dtlz2 {
            n_obj
        } else {
            2
        };
        TestProblem {
            function,
            space: unit_cube(n_vars),
            objectives: (1..=n_obj)
                .map(|i| Objective::min(&format!("f{i}")))
                .collect(),
        }
    }

    /// (ideal, nadir) of the true Pareto front, for hypervolume normalisation: ZDT1, ZDT2 and
    /// DTLZ2 span `[0, 1]` per objective; ZDT3's disconnected front spans f1 in
    /// `[0, 0.8518]` and f2 in `[-0.7733, 1]` (pymoo's `pareto_front()`).
    pub fn known_bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let m = self.objectives.len();
        match self.function {
            TestFunction::Zdt3 => (vec![0.0, -0.7733], vec![0.8518, 1.0]),
            _ => (vec![0.0; m], vec![1.0; m]),
        }
    }

    /// Objective values at `x` (each in `[0, 1]`).
    pub fn values(&self, x: &[f64]) -> Vec<f64> {
        let n = x.len();
        match self.function {
            TestFunction::Zdt1 | TestFunction::Zdt2 | TestFunction::Zdt3 => {
                let f1 = x[0];
                let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (n - 1) as f64;
                let r = f1 / g;
                let h = match self.function {
                    TestFunction::Zdt1 => 1.0 - r.sqrt(),
                    TestFunction::Zdt2 => 1.0 - r * r,
                    _ => 1.0 - r.sqrt() - r * (10.0 * std::f64::consts::PI * f1).sin(),
                };
                vec![f1, g * h]
            }
            TestFunction::Dtlz2 => {
                let m = self.objectives.len();
                let g: f64 = x[m - 1..].iter().map(|v| (v - 0.5).powi(2)).sum();
                let half_pi = std::f64::consts::FRAC_PI_2;
                (0..m)
                    .map(|i| {
                        let mut f = 1.0 + g;
                        for xj in &x[..m - 1 - i] {
                            f *= (xj * half_pi).cos();
                        }
                        if i > 0 {
                            f *= (x[m - 1 - i] * half_pi).sin();
                        }
                        f
                    })
                    .collect()
            }
        }
    }
}

impl Problem for TestProblem {
    fn space(&self) -> &DesignSpace {
        &self.space
    }

    fn objectives(&self) -> &[Objective] {
        &self.objectives
    }

    fn evaluate(&self, point: &DesignPoint) -> Result<Evaluation, DseError> {
        let x: Vec<f64> = point
            .values
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect();
        let values = self.values(&x);
        let metrics = self
            .objectives
            .iter()
            .zip(&values)
            .map(|(o, v)| (o.metric.clone(), *v))
            .collect();
        Ok(evaluation(
            point.clone(),
            &self.objectives,
            values,
            vec![],
            metrics,
        ))
    }
}

/// `n` real variables `x1..xn` in `[0, 1]` (the test problems' space).
pub fn unit_cube(n: usize) -> DesignSpace {
    DesignSpace {
        dims: (1..=n)
            .map(|i| Dimension {
                name: format!("x{i}"),
                param: Param::Real {
                    lo: 0.0,
                    hi: 1.0,
                    log: false,
                },
            })
            .collect(),
    }
}

/// Convenience for tests: a point of reals.
pub fn real_point(x: &[f64]) -> DesignPoint {
    DesignPoint {
        values: x.iter().map(|v| Value::Real(*v)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zdt1_on_its_front() {
        // x2..xn = 0 gives g = 1, so f2 = 1 - sqrt(f1): at f1 = 0.25, f2 = 0.5.
        let p = TestProblem::new(TestFunction::Zdt1);
        let mut x = vec![0.0; 30];
        x[0] = 0.25;
        let f = p.values(&x);
        assert!((f[0] - 0.25).abs() < 1e-12 && (f[1] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn dtlz2_front_is_the_unit_sphere() {
        // x_m.. = 0.5 gives g = 0, so sum f_i^2 = 1.
        let p = TestProblem::new(TestFunction::Dtlz2);
        let mut x = vec![0.5; 12];
        x[0] = 0.3;
        x[1] = 0.8;
        let f = p.values(&x);
        let r: f64 = f.iter().map(|v| v * v).sum();
        assert!((r - 1.0).abs() < 1e-12, "{f:?}");
    }

    #[test]
    fn maximised_objectives_are_negated_scores() {
        let o = Objective {
            metric: "throughput".into(),
            goal: Goal::Max,
        };
        assert_eq!(o.score(3.0), -3.0);
    }
}
