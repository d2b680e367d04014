//! An external problem: a command that evaluates design points, so the searchers can drive any
//! simulator (as ArchGym connects search algorithms to DRAMSys or Timeloop).
//!
//! Protocol, one JSON object per line. We write to the command's stdin
//! `{"id": 7, "point": {"rows": 32, "dataflow": "os"}}`; it answers on stdout
//! `{"id": 7, "objectives": {"latency_ms": 1.5}, "constraints": {"area": -0.3}}` (a constraint
//! `<= 0` is satisfied) or `{"id": 7, "error": "why"}` (the design is recorded as infeasible).
//! The command is started once per parallel job (`sh -c`, in the sweep file's folder) and
//! kept running; a command that exits, or answers with something else, stops the sweep with
//! every result so far kept.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Deserialize;

use crate::error::DseError;
use crate::problem::{evaluation, Evaluation, Objective, Problem};
use crate::sim_problem::constraint_values;
use crate::space::{DesignPoint, DesignSpace};

/// Name of the constraint that stands for all of the evaluator's own constraints (their
/// maximum).
pub const EVALUATOR_CONSTRAINT: &str = "evaluator";

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Deserialize)]
struct Reply {
    id: u64,
    #[serde(default)]
    objectives: BTreeMap<String, f64>,
    #[serde(default)]
    constraints: BTreeMap<String, f64>,
    #[serde(default)]
    error: Option<String>,
}

/// Evaluates points with an external command.
pub struct ExternalProblem {
    command: String,
    dir: PathBuf,
    space: DesignSpace,
    objectives: Vec<Objective>,
    bounds: Vec<(String, Option<f64>, Option<f64>)>,
    constraint_names: Vec<String>,
    idle: Mutex<Vec<Worker>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for ExternalProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalProblem")
            .field("command", &self.command)
            .finish()
    }
}

impl ExternalProblem {
    /// A problem evaluated by `command`, run in `dir`; `bounds` are the sweep file's own
    /// constraints on reported metrics.
    pub fn new(
        command: String,
        dir: PathBuf,
        space: DesignSpace,
        objectives: Vec<Objective>,
        bounds: Vec<(String, Option<f64>, Option<f64>)>,
        mut constraint_names: Vec<String>,
    ) -> Self {
        constraint_names.push(EVALUATOR_CONSTRAINT.into());
        ExternalProblem {
            command,
            dir,
            space,
            objectives,
            bounds,
            constraint_names,
            idle: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
        }
    }

    fn fail(&self, message: impl Into<String>) -> DseError {
        DseError::Evaluator {
            command: self.command.clone(),
            message: message.into(),
        }
    }

    fn spawn(&self) -> Result<Worker, DseError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| self.fail(format!("cannot start: {e}")))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(Worker {
            child,
            stdin,
            stdout,
        })
    }

    /// One request/response exchange on `w`.
    fn ask(&self, w: &mut Worker, point: &DesignPoint) -> Result<Reply, DseError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let named: serde_json::Map<String, serde_json::Value> = self
            .space
            .dims
            .iter()
            .zip(&point.values)
            .map(|(d, v)| (d.name.clone(), serde_json::to_value(v).expect("value")))
            .collect();
        let line = serde_json::json!({ "id": id, "point": named }).to_string();
        writeln!(w.stdin, "{line}")
            .and_then(|_| w.stdin.flush())
            .map_err(|e| self.fail(format!("cannot write to it (did it exit?): {e}")))?;
        let mut answer = String::new();
        let n = w
            .stdout
            .read_line(&mut answer)
            .map_err(|e| self.fail(format!("cannot read its answer: {e}")))?;
        if n == 0 {
            let status = w.child.try_wait().ok().flatten();
            return Err(self.fail(format!(
                "it closed its output without answering request {id}{}",
                status.map_or(String::new(), |s| format!(" ({s})"))
            )));
        }
        let reply: Reply = serde_json::from_str(answer.trim()).map_err(|e| {
            self.fail(format!(
                "answer to request {id} is not a reply object ({e}): {}",
                answer.trim()
            ))
        })?;
        if reply.id != id {
            return Err(self.fail(format!(
                "answered id {} to request {id}; replies must echo the id",
                reply.id
            )));
        }
        Ok(reply)
    }
}

impl Problem for ExternalProblem {
    fn space(&self) -> &DesignSpace {
        &self.space
    }

    fn objectives(&self) -> &[Objective] {
        &self.objectives
    }

    fn constraints(&self) -> &[String] {
        &self.constraint_names
    }

    fn evaluate(&self, point: &DesignPoint) -> Result<Evaluation, DseError> {
        let mut worker = match self.idle.lock().expect("worker pool").pop() {
            Some(w) => w,
            None => self.spawn()?,
        };
        let reply = self.ask(&mut worker, point)?;
        self.idle.lock().expect("worker pool").push(worker);

        let missing = self
            .objectives
            .iter()
            .find(|o| !reply.objectives.contains_key(&o.metric));
        let error = match (reply.error, missing) {
            (Some(e), _) => Some(e),
            (None, Some(o)) => Some(format!("the evaluator did not report `{}`", o.metric)),
            (None, None) => None,
        };
        if let Some(error) = error {
            return Ok(Evaluation {
                point: point.clone(),
                objectives: vec![f64::NAN; self.objectives.len()],
                scores: vec![f64::NAN; self.objectives.len()],
                constraints: vec![f64::INFINITY; self.constraint_names.len()],
                feasible: false,
                metrics: BTreeMap::new(),
                error: Some(error),
            });
        }
        let mut metrics = reply.objectives.clone();
        for (k, v) in &reply.constraints {
            metrics.insert(format!("constraint:{k}"), *v);
        }
        let values = self
            .objectives
            .iter()
            .map(|o| reply.objectives[&o.metric])
            .collect();
        let mut cons = constraint_values(&self.bounds, &metrics);
        cons.push(
            reply
                .constraints
                .values()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max)
                .max(-1.0),
        );
        Ok(evaluation(
            point.clone(),
            &self.objectives,
            values,
            cons,
            metrics,
        ))
    }
}
