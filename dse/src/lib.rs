//! # accel-dse: design-space exploration for accelerators
//!
//! ```text
//! configs/sweeps/s.toml ─SweepFile::load─▶ Problem (SimProblem | TestProblem | External)
//!                                            + Box<dyn Searcher> + budget, batch, seed
//! Sweep::run: loop { searcher.ask(n) ─rayon─▶ problem.evaluate ─▶ append results.jsonl
//!                    ─▶ searcher.tell }            (resume: re-tell results.jsonl)
//! evaluations ─pareto::front─▶ front, hypervolume, knee ─report─▶ points.csv, front.csv,
//!                                                    front.svg, convergence.svg, summary.md
//! ```
//!
//! - [`space`]: [`DesignSpace`] of named dimensions and the gene encoding searchers use.
//! - [`problem`]: the [`Problem`] trait, [`Evaluation`], test problems ZDT1-3 and DTLZ2.
//! - [`search`]: the [`Searcher`] ask/tell trait and the searchers.
//! - [`pareto`]: nondominated sorting, hypervolume, knee point.

pub mod error;
pub mod external;
pub mod pareto;
pub mod problem;
pub mod record;
pub mod report;
pub mod rtl;
pub mod search;
pub mod sim_problem;
pub mod space;
pub mod sweep;
pub mod sweep_file;

pub use error::DseError;
pub use problem::{Evaluation, Goal, Objective, Problem, TestFunction, TestProblem};
pub use record::{Record, RunInfo};
pub use search::Searcher;
pub use space::{DesignPoint, DesignSpace, Dimension, Gene, Param, Value};
pub use sweep::{SweepOptions, SweepOutcome};
pub use sweep_file::SweepSpec;
