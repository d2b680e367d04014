//! One line of `results.jsonl`: an evaluated design, as written during a sweep and read back
//! on resume, merge and reporting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::problem::Objective;
use crate::space::Value;

/// An evaluated design point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the sweep's ask order (0-based); unique in a sweep.
    pub id: u64,
    /// Parameter values by dimension name.
    pub point: BTreeMap<String, Value>,
    /// Objective values as reported, by metric name.
    pub objectives: BTreeMap<String, f64>,
    /// Constraint values (`<= 0` satisfied), by name.
    pub constraints: BTreeMap<String, f64>,
    /// Every constraint satisfied and no error.
    pub feasible: bool,
    /// Searcher that proposed it.
    pub searcher: String,
    /// The sweep's seed.
    pub seed: u64,
    /// Served from the evaluation cache (a repeat of an earlier design, not simulated again).
    #[serde(default)]
    pub cached: bool,
    /// Why the design could not be evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every metric the evaluator reported.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
}

/// What reports need to know about the sweep besides its records.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Sweep name (the file stem).
    pub name: String,
    /// Dimension names in the space's order.
    pub dims: Vec<String>,
    /// Objectives in order.
    pub objectives: Vec<Objective>,
    /// Constraint names in order.
    pub constraints: Vec<String>,
    /// Searcher name.
    pub searcher: String,
    /// Seed.
    pub seed: u64,
    /// Evaluation budget.
    pub budget: usize,
    /// Known (ideal, nadir) in minimised score space for hypervolume normalisation; `None`
    /// means use the best and worst feasible values observed.
    pub bounds: Option<(Vec<f64>, Vec<f64>)>,
}

impl Record {
    /// The objective values in `objectives`' order turned into minimised scores; `None` if a
    /// value is missing.
    pub fn scores(&self, objectives: &[Objective]) -> Option<Vec<f64>> {
        objectives
            .iter()
            .map(|o| self.objectives.get(&o.metric).map(|v| o.score(*v)))
            .collect()
    }
}
