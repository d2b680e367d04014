//! Sweep files: what to search, how, and for what.
//!
//! ```toml
//! base = "../accelerators/edge_32x32.toml"   # accelerator config, relative to this file
//! workloads = ["resnet18", { workload = "mobilenet_v2", weight = 2.0 }]
//! aggregate = "sum"                          # sum | weighted_sum | max
//! searcher = "nsga2"
//! budget = 200
//! seed = 0
//! batch = 20
//! objectives = ["latency_s", "energy_j", { metric = "throughput", goal = "max" }]
//!
//! [space]
//! "arch.systolic.rows" = { pow2 = [8, 128] }
//! "arch.systolic.dataflow" = ["os", "ws", "is"]
//!
//! [constraints]
//! area_mm2 = { max = 4.0 }
//!
//! [[llm]]                                    # LLM serving scenarios, with or without workloads
//! model = "llama2_7b"                        # shipped LLM or a workloads/llm-style .toml path
//! prompt = 2048
//! gen = 128
//! batch = 1                                  # optional, default 1
//! tp = 1                                     # optional, default 1
//! weight = 1.0                               # optional, for weighted_sum
//! ```
//!
//! LLM scenarios add the metrics ttft_s, tpot_s, tokens_per_s, memory_gb and fits. Integer
//! systolic designs add the FPGA metrics lut, ff, dsp and bram ([`crate::rtl::resources`]);
//! a sweep that uses them makes other designs infeasible.
//!
//! Instead of `base`, `problem = "zdt1"` names a built-in test problem and `evaluator =
//! "command"` an external one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use accel_sim::workload::llm::Scenario;
use accel_sim::workload::{self, AnyWorkload};
use accel_sim::{InputError, Mode};

use crate::error::DseError;
use crate::external::ExternalProblem;
use crate::problem::{Goal, Objective, Problem, TestFunction, TestProblem};
use crate::record::RunInfo;
use crate::search;
use crate::sim_problem::{
    metric_names, Aggregate, LlmScenario, SimProblem, WeightedWorkload, LLM_METRICS, METRICS,
};
use crate::space::{DesignPoint, DesignSpace, Dimension, Param, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    problem: Option<TestFunction>,
    base: Option<PathBuf>,
    evaluator: Option<String>,
    #[serde(default)]
    workloads: Vec<RawWorkload>,
    aggregate: Option<Aggregate>,
    searcher: String,
    budget: usize,
    #[serde(default)]
    seed: u64,
    batch: Option<usize>,
    #[serde(default)]
    objectives: Vec<RawObjective>,
    #[serde(default)]
    space: toml::Table,
    #[serde(default)]
    constraints: BTreeMap<String, RawBound>,
    #[serde(default)]
    llm: Vec<RawLlm>,
}

fn one() -> u64 {
    1
}

fn unit_weight() -> f64 {
    1.0
}

/// One `[[llm]]` serving scenario.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLlm {
    model: String,
    prompt: u64,
    gen: u64,
    #[serde(default = "one")]
    batch: u64,
    #[serde(default = "one")]
    tp: u64,
    #[serde(default = "unit_weight")]
    weight: f64,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawWorkload {
    Name(String),
    Weighted { workload: String, weight: f64 },
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawObjective {
    Metric(String),
    Full { metric: String, goal: Goal },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBound {
    min: Option<f64>,
    max: Option<f64>,
}

/// A loaded, validated sweep.
pub struct SweepSpec {
    /// Name (the file stem).
    pub name: String,
    /// The problem.
    pub problem: std::sync::Arc<dyn Problem + Send + Sync>,
    /// Searcher name.
    pub searcher: String,
    /// Evaluations to spend.
    pub budget: usize,
    /// Seed.
    pub seed: u64,
    /// Points asked and evaluated together.
    pub batch: usize,
    /// Known objective bounds (test problems) for hypervolume normalisation.
    pub bounds: Option<(Vec<f64>, Vec<f64>)>,
    /// The simulator problem, when the sweep simulates (for config snippets and RTL).
    pub sim: Option<std::sync::Arc<SimProblem>>,
}

impl std::fmt::Debug for SweepSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepSpec")
            .field("name", &self.name)
            .field("searcher", &self.searcher)
            .field("budget", &self.budget)
            .finish()
    }
}

impl SweepSpec {
    /// The same sweep with another searcher and seed (for comparisons).
    pub fn variant(&self, searcher: &str, seed: u64) -> Result<SweepSpec, DseError> {
        if search::build(searcher, seed, self.problem.objectives().len(), self.budget).is_none() {
            return Err(DseError::Key {
                file: PathBuf::from("--compare"),
                key: searcher.to_string(),
                message: format!("unknown searcher (allowed: {})", search::NAMES.join(", ")),
            });
        }
        Ok(SweepSpec {
            name: self.name.clone(),
            problem: self.problem.clone(),
            searcher: searcher.to_string(),
            budget: self.budget,
            seed,
            batch: self.batch,
            bounds: self.bounds.clone(),
            sim: self.sim.clone(),
        })
    }

    /// What reports need.
    pub fn info(&self) -> RunInfo {
        RunInfo {
            name: self.name.clone(),
            dims: self
                .problem
                .space()
                .names()
                .into_iter()
                .map(String::from)
                .collect(),
            objectives: self.problem.objectives().to_vec(),
            constraints: self.problem.constraints().to_vec(),
            searcher: self.searcher.clone(),
            seed: self.seed,
            budget: self.budget,
            bounds: self.bounds.clone(),
        }
    }
}

fn key_err(file: &Path, key: &str, message: impl Into<String>) -> DseError {
    DseError::Key {
        file: file.to_path_buf(),
        key: key.to_string(),
        message: message.into(),
    }
}

const PARAM_KINDS: &str = "{ int = [lo, hi], step = 1 }, { pow2 = [lo, hi] }, \
                           { real = [lo, hi], log = false }, { choice = [...] } or [...]";

fn scalar(file: &Path, key: &str, v: &toml::Value) -> Result<Value, DseError> {
    Ok(match v {
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Real(*f),
        toml::Value::String(s) => Value::Str(s.clone()),
        toml::Value::Boolean(b) => Value::Bool(*b),
        _ => {
            return Err(key_err(
                file,
                key,
                "choices must be numbers, strings or booleans",
            ))
        }
    })
}

fn pair<T: TryFrom<i64>>(file: &Path, key: &str, v: &toml::Value) -> Result<(T, T), DseError> {
    let bad = || key_err(file, key, "expected a range `[lo, hi]` of whole numbers");
    let a = v.as_array().ok_or_else(bad)?;
    if a.len() != 2 {
        return Err(bad());
    }
    let get = |x: &toml::Value| {
        x.as_integer()
            .and_then(|i| T::try_from(i).ok())
            .ok_or_else(bad)
    };
    Ok((get(&a[0])?, get(&a[1])?))
}

/// One `[space]` entry.
fn param(file: &Path, key: &str, v: &toml::Value) -> Result<Param, DseError> {
    if let toml::Value::Array(a) = v {
        return choice(file, key, a);
    }
    let t = v
        .as_table()
        .ok_or_else(|| key_err(file, key, format!("expected one of {PARAM_KINDS}")))?;
    let allowed_extra = |kind: &str, extra: &[&str]| -> Result<(), DseError> {
        for k in t.keys() {
            if k != kind && !extra.contains(&k.as_str()) {
                return Err(key_err(
                    file,
                    &format!("{key}.{k}"),
                    format!(
                        "unknown option for a `{kind}` range (allowed: {kind}{})",
                        extra.iter().map(|e| format!(", {e}")).collect::<String>()
                    ),
                ));
            }
        }
        Ok(())
    };
    if let Some(r) = t.get("int") {
        allowed_extra("int", &["step"])?;
        let (lo, hi): (i64, i64) = pair(file, key, r)?;
        let step = match t.get("step") {
            None => 1,
            Some(s) => s.as_integer().filter(|s| *s >= 1).ok_or_else(|| {
                key_err(file, &format!("{key}.step"), "must be a whole number >= 1")
            })?,
        };
        if lo > hi {
            return Err(key_err(file, key, format!("empty range: {lo} > {hi}")));
        }
        Ok(Param::Int { lo, hi, step })
    } else if let Some(r) = t.get("pow2") {
        allowed_extra("pow2", &[])?;
        let (lo, hi): (u64, u64) = pair(file, key, r)?;
        if !lo.is_power_of_two() || !hi.is_power_of_two() {
            return Err(key_err(
                file,
                key,
                format!("pow2 bounds must be powers of two, got [{lo}, {hi}]"),
            ));
        }
        if lo > hi {
            return Err(key_err(file, key, format!("empty range: {lo} > {hi}")));
        }
        Ok(Param::Pow2 { lo, hi })
    } else if let Some(r) = t.get("real") {
        allowed_extra("real", &["log"])?;
        let bad = || key_err(file, key, "expected a range `[lo, hi]` of numbers");
        let a = r.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
        let num = |x: &toml::Value| {
            x.as_float()
                .or_else(|| x.as_integer().map(|i| i as f64))
                .ok_or_else(bad)
        };
        let (lo, hi) = (num(&a[0])?, num(&a[1])?);
        let log = match t.get("log") {
            None => false,
            Some(l) => l
                .as_bool()
                .ok_or_else(|| key_err(file, &format!("{key}.log"), "must be true or false"))?,
        };
        if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
            return Err(key_err(file, key, format!("empty range: [{lo}, {hi}]")));
        }
        if log && lo <= 0.0 {
            return Err(key_err(file, key, "a log range needs lo > 0"));
        }
        Ok(Param::Real { lo, hi, log })
    } else if let Some(c) = t.get("choice") {
        allowed_extra("choice", &[])?;
        let a = c
            .as_array()
            .ok_or_else(|| key_err(file, key, "`choice` must be a list"))?;
        choice(file, key, a)
    } else {
        Err(key_err(file, key, format!("expected one of {PARAM_KINDS}")))
    }
}

fn choice(file: &Path, key: &str, a: &[toml::Value]) -> Result<Param, DseError> {
    if a.is_empty() {
        return Err(key_err(file, key, "empty choice list"));
    }
    let values = a
        .iter()
        .map(|v| scalar(file, key, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Param::Choice { values })
}

/// Flattens `[space]`: a table holding a range kind is a parameter; any other table nests
/// dotted keys (`[space.arch.systolic]` + `rows = {...}` is `arch.systolic.rows`).
fn space(
    file: &Path,
    t: &toml::Table,
    prefix: &str,
    dims: &mut Vec<Dimension>,
) -> Result<(), DseError> {
    for (k, v) in t {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let is_param = v.is_array()
            || v.as_table().is_some_and(|t| {
                ["int", "pow2", "real", "choice"]
                    .iter()
                    .any(|k| t.contains_key(*k))
            });
        if is_param {
            let param = param(file, &format!("space.{name}"), v)?;
            dims.push(Dimension { name, param });
        } else if let Some(sub) = v.as_table() {
            space(file, sub, &name, dims)?;
        } else {
            return Err(key_err(
                file,
                &format!("space.{name}"),
                format!("expected one of {PARAM_KINDS}"),
            ));
        }
    }
    Ok(())
}

/// An `[arch.hetero]` base with its file references replaced by the sections they name:
/// design points are built from the TOML value alone, and the space may set keys inside.
fn inline_parts(
    base: toml::Value,
    base_file: &Path,
    base_text: &str,
) -> Result<toml::Value, InputError> {
    let mut arch = accel_sim::ArchFile::parse(base_file, base_text)?;
    if !arch.inline_parts(base_file)? {
        return Ok(base);
    }
    toml::Value::try_from(&arch).map_err(|e| InputError::Invalid {
        file: base_file.to_path_buf(),
        message: format!("cannot inline the referenced parts: {e}"),
    })
}

/// A `[[llm]]` entry: the model (a shipped name, or a path relative to the sweep file) and a
/// scenario checked against it; errors name `llm[i].key`.
fn llm_scenario(
    file: &Path,
    dir: &Path,
    i: usize,
    l: RawLlm,
    base: &dyn accel_sim::Accelerator,
) -> Result<LlmScenario, DseError> {
    let rel = dir.join(&l.model);
    let spec = if rel.exists() {
        rel.to_string_lossy().into_owned()
    } else {
        l.model.clone()
    };
    let model = match workload::load_any(&spec)? {
        AnyWorkload::Llm(m) => m,
        AnyWorkload::Layers(_) => {
            return Err(key_err(
                file,
                &format!("llm[{i}].model"),
                format!(
                    "`{}` is a layer workload, not an LLM (allowed: {}, or a file with an \
                     [llm] table); put it in `workloads`",
                    l.model,
                    workload::shipped::LLM_NAMES.join(", ")
                ),
            ))
        }
    };
    let scenario = Scenario {
        batch: l.batch,
        prompt: l.prompt,
        gen: l.gen,
        tp: l.tp,
    };
    scenario.check(&model, file, &format!("llm[{i}]."))?;
    // A tensor-parallel scenario on a one-device model would fail at every point: say so now
    // (a one-token prompt keeps the probe cheap).
    let probe = Scenario {
        prompt: 1,
        gen: 1,
        ..scenario
    };
    if let Err(e) = accel_sim::workload::llm::serve(base, &model, &probe) {
        return Err(key_err(file, &format!("llm[{i}]"), e.to_string()));
    }
    Ok(LlmScenario {
        model,
        scenario,
        weight: l.weight,
    })
}

/// Every value a dimension's validation tries: ends of ranges, every choice.
fn probe_values(p: &Param) -> Vec<f64> {
    match p.levels() {
        Some(n) if matches!(p, Param::Choice { .. }) => (0..n).map(|i| i as f64).collect(),
        Some(n) => vec![0.0, (n - 1) as f64],
        None => vec![0.0, 1.0],
    }
}

impl SweepSpec {
    /// Reads and validates a sweep file; errors name the file and the key.
    pub fn load(file: &Path) -> Result<SweepSpec, DseError> {
        let text = InputError::read(file)?;
        let raw: RawSweep = toml::from_str(&text).map_err(|e| InputError::toml(file, e))?;
        let dir = file.parent().unwrap_or(Path::new("."));
        let name = file
            .file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());

        if raw.budget == 0 {
            return Err(key_err(file, "budget", "must be at least 1"));
        }
        let batch = raw.batch.unwrap_or(10);
        if batch == 0 {
            return Err(key_err(file, "batch", "must be at least 1"));
        }
        let sources = [
            raw.problem.is_some(),
            raw.base.is_some(),
            raw.evaluator.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(key_err(
                file,
                "problem",
                "give exactly one of `problem` (a test problem), `base` (an accelerator config to \
                 simulate) or `evaluator` (an external command)",
            ));
        }

        let mut dims = Vec::new();
        space(file, &raw.space, "", &mut dims)?;
        let space_ = DesignSpace { dims };
        let objectives: Vec<Objective> = raw
            .objectives
            .into_iter()
            .map(|o| match o {
                RawObjective::Metric(metric) => Objective {
                    metric,
                    goal: Goal::Min,
                },
                RawObjective::Full { metric, goal } => Objective { metric, goal },
            })
            .collect();
        let bounds: Vec<(String, Option<f64>, Option<f64>)> = raw
            .constraints
            .into_iter()
            .map(|(m, b)| (m, b.min, b.max))
            .collect();
        for (m, lo, hi) in &bounds {
            if lo.is_none() && hi.is_none() {
                return Err(key_err(
                    file,
                    &format!("constraints.{m}"),
                    "give `min`, `max` or both",
                ));
            }
        }
        let constraint_names: Vec<String> = bounds
            .iter()
            .map(|(m, lo, hi)| match (lo, hi) {
                (_, Some(h)) => format!("{m}<={h}"),
                (Some(l), None) => format!("{m}>={l}"),
                _ => m.clone(),
            })
            .collect();

        let mut sim = None;
        let mut known_bounds = None;
        let problem: std::sync::Arc<dyn Problem + Send + Sync> = if let Some(f) = raw.problem {
            let p = TestProblem::new(f);
            for o in &objectives {
                if !p.objectives().iter().any(|x| x.metric == o.metric) {
                    return Err(key_err(
                        file,
                        "objectives",
                        format!(
                            "unknown metric `{}` for this test problem (allowed: f1, f2{})",
                            o.metric,
                            if f == TestFunction::Dtlz2 { ", f3" } else { "" }
                        ),
                    ));
                }
            }
            if !space_.dims.is_empty() {
                return Err(key_err(
                    file,
                    "space",
                    "test problems have a fixed space; remove [space]",
                ));
            }
            known_bounds = Some(p.known_bounds());
            std::sync::Arc::new(p)
        } else if let Some(command) = raw.evaluator {
            if space_.dims.is_empty() {
                return Err(key_err(
                    file,
                    "space",
                    "an external problem needs a [space]",
                ));
            }
            if objectives.is_empty() {
                return Err(key_err(
                    file,
                    "objectives",
                    "name at least one metric the evaluator reports",
                ));
            }
            std::sync::Arc::new(ExternalProblem::new(
                command,
                dir.to_path_buf(),
                space_,
                objectives,
                bounds,
                constraint_names,
            ))
        } else {
            let base_rel = raw.base.expect("checked above");
            let base_file = dir.join(&base_rel);
            let base_text = InputError::read(&base_file)?;
            let base: toml::Value =
                toml::from_str(&base_text).map_err(|e| InputError::toml(&base_file, e))?;
            let base_acc = accel_sim::ArchFile::parse(&base_file, &base_text)?
                .build(&base_file, Mode::Fast)?;
            if raw.workloads.is_empty() && raw.llm.is_empty() {
                return Err(key_err(file, "workloads", "name at least one workload (a shipped model, or a .toml/.csv path relative to the sweep file) or an [[llm]] scenario"));
            }
            let aggregate = raw.aggregate.unwrap_or(Aggregate::Sum);
            let workloads = raw
                .workloads
                .into_iter()
                .map(|w| {
                    let (spec, weight) = match w {
                        RawWorkload::Name(n) => (n, 1.0),
                        RawWorkload::Weighted { workload, weight } => (workload, weight),
                    };
                    let rel = dir.join(&spec);
                    let path = if rel.exists() {
                        rel.to_string_lossy().into_owned()
                    } else {
                        spec
                    };
                    Ok(WeightedWorkload {
                        workload: workload::load(&path)?,
                        weight,
                    })
                })
                .collect::<Result<Vec<_>, DseError>>()?;
            let llms = raw
                .llm
                .into_iter()
                .enumerate()
                .map(|(i, l)| llm_scenario(file, dir, i, l, base_acc.as_ref()))
                .collect::<Result<Vec<_>, DseError>>()?;
            let uses = |m: &str| {
                objectives.iter().any(|o| o.metric == m) || bounds.iter().any(|b| b.0 == m)
            };
            if let Some(m) = LLM_METRICS.iter().find(|m| uses(m)) {
                if llms.is_empty() {
                    return Err(key_err(
                        file,
                        "llm",
                        format!("metric `{m}` needs at least one [[llm]] serving scenario"),
                    ));
                }
            }
            if objectives.is_empty() {
                return Err(key_err(
                    file,
                    "objectives",
                    format!("name at least one metric (allowed: {})", metric_names()),
                ));
            }
            for o in &objectives {
                if !METRICS.iter().any(|m| m.0 == o.metric) {
                    return Err(key_err(
                        file,
                        "objectives",
                        format!(
                            "unknown metric `{}` (allowed: {})",
                            o.metric,
                            metric_names()
                        ),
                    ));
                }
            }
            for (m, _, _) in &bounds {
                if !METRICS.iter().any(|x| x.0 == m) {
                    return Err(key_err(
                        file,
                        &format!("constraints.{m}"),
                        format!("unknown metric (allowed: {})", metric_names()),
                    ));
                }
            }
            if space_.dims.is_empty() {
                return Err(key_err(file, "space", "give at least one dimension, e.g. \"arch.systolic.rows\" = { pow2 = [8, 128] }"));
            }
            let p = SimProblem {
                file: file.to_path_buf(),
                base: inline_parts(base, &base_file, &base_text)?,
                base_file,
                workloads,
                llms,
                aggregate,
                space: space_.clone(),
                objectives,
                bounds,
                constraint_names,
            };
            // Every key must exist in the accelerator config and every choice and range end
            // must be a valid value for it.
            let first: Vec<f64> = space_
                .dims
                .iter()
                .map(|d| probe_values(&d.param)[0])
                .collect();
            for (i, d) in space_.dims.iter().enumerate() {
                for g in probe_values(&d.param) {
                    let mut genes = first.clone();
                    genes[i] = g;
                    let point: DesignPoint = space_.decode(&genes);
                    let arch = p.config(&point).map_err(|e| {
                        key_err(
                            file,
                            &format!("space.{}", d.name),
                            format!("not a valid accelerator key or value: {e}"),
                        )
                    })?;
                    arch.build(&p.base_file, Mode::Fast).map_err(|e| {
                        key_err(
                            file,
                            &format!("space.{}", d.name),
                            format!("value {} is not valid: {e}", point.values[i]),
                        )
                    })?;
                }
            }
            let p = std::sync::Arc::new(p);
            sim = Some(p.clone());
            p
        };
        if search::build(
            &raw.searcher,
            raw.seed,
            problem.objectives().len(),
            raw.budget,
        )
        .is_none()
        {
            return Err(key_err(
                file,
                "searcher",
                format!(
                    "unknown searcher `{}` (allowed: {})",
                    raw.searcher,
                    search::NAMES.join(", ")
                ),
            ));
        }
        Ok(SweepSpec {
            name,
            problem,
            searcher: raw.searcher,
            budget: raw.budget,
            seed: raw.seed,
            batch,
            bounds: known_bounds,
            sim,
        })
    }
}
