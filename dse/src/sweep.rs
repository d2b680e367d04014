//! The sweep driver: asks the searcher for batches, evaluates them in parallel, appends every
//! result to `results.jsonl` as it finishes, tells the searcher, and repeats until the budget
//! is spent. Nothing computed is lost: a killed sweep resumes from the file (`--resume`
//! re-tells every line and spends only the remaining budget).
//!
//! Determinism: evaluations of a batch are told in ask order, so the same seed gives the same
//! results for any number of jobs. Shards (`--shard K/N`, non-adaptive searchers only) walk the
//! same ask sequence and each evaluates the ids with `id % N == K`; [`merge`] joins them into
//! exactly what one run would give.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::DseError;
use crate::pareto;
use crate::problem::{Evaluation, Problem};
use crate::record::{Record, RunInfo};
use crate::search::{self, Searcher};
use crate::space::DesignPoint;
use crate::sweep_file::SweepSpec;

/// The results file inside a sweep's output folder.
pub const RESULTS: &str = "results.jsonl";

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Continue from `out/results.jsonl`.
    pub resume: bool,
    /// Parallel evaluations (threads, or external evaluator processes).
    pub jobs: usize,
    /// This run's shard `(k, n)`: evaluate ids with `id % n == k`.
    pub shard: Option<(usize, usize)>,
}

/// Where a sweep stands, after each batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Points asked so far (the budget counts these).
    pub asked: usize,
    /// The budget.
    pub budget: usize,
    /// Evaluations recorded by this shard (all, if not sharded).
    pub recorded: usize,
    /// Feasible among them.
    pub feasible: usize,
    /// Normalised hypervolume of the feasible front so far.
    pub hypervolume: f64,
}

/// How a sweep ended.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// Every record of this run (resumed ones included), in id order.
    pub records: Vec<Record>,
    /// Evaluations actually simulated (not served from the cache).
    pub unique: usize,
    /// Stopped early by an interrupt (results are saved).
    pub interrupted: bool,
}

/// Searchers whose asks do not depend on what they are told: they can be sharded, and are
/// fast-forwarded on resume.
pub fn is_non_adaptive(searcher: &str) -> bool {
    matches!(searcher, "grid" | "random" | "sobol" | "lhs")
}

fn io_err(path: &Path, source: std::io::Error) -> DseError {
    DseError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a results file; a torn last line (a kill mid-write) is dropped.
pub fn read_results(path: &Path) -> Result<Vec<Record>, DseError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(io_err(path, e)),
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|e| io_err(path, e))?;
    let mut records = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => records.push(r),
            Err(_) if i + 1 == lines.len() => {
                log::warn!("{}: dropping a torn last line", path.display())
            }
            Err(e) => {
                return Err(DseError::Results {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: format!("not a result record: {e}"),
                })
            }
        }
    }
    records.sort_by_key(|r| r.id);
    Ok(records)
}

/// The record of an evaluation.
pub fn to_record(
    id: u64,
    e: &Evaluation,
    problem: &dyn Problem,
    searcher: &str,
    seed: u64,
    cached: bool,
) -> Record {
    let finite = |v: &f64| v.is_finite();
    let names = problem.space().names();
    Record {
        id,
        point: names
            .iter()
            .map(|n| n.to_string())
            .zip(e.point.values.iter().cloned())
            .collect(),
        objectives: problem
            .objectives()
            .iter()
            .zip(&e.objectives)
            .filter(|(_, v)| finite(v))
            .map(|(o, v)| (o.metric.clone(), *v))
            .collect(),
        constraints: problem
            .constraints()
            .iter()
            .zip(&e.constraints)
            .filter(|(_, v)| finite(v))
            .map(|(c, v)| (c.clone(), *v))
            .collect(),
        feasible: e.feasible,
        searcher: searcher.to_string(),
        seed,
        cached,
        error: e.error.clone(),
        metrics: e
            .metrics
            .iter()
            .filter(|(_, v)| finite(v))
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
    }
}

/// The evaluation a record stands for (to re-tell it on resume).
pub fn from_record(r: &Record, problem: &dyn Problem, path: &Path) -> Result<Evaluation, DseError> {
    let bad = |message: String| DseError::Results {
        path: path.to_path_buf(),
        line: 0,
        message: format!("record id {}: {message}", r.id),
    };
    let values = problem
        .space()
        .dims
        .iter()
        .map(|d| {
            r.point.get(&d.name).cloned().ok_or_else(|| {
                bad(format!(
                    "no value for `{}`: is it from another sweep?",
                    d.name
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let objectives: Vec<f64> = problem
        .objectives()
        .iter()
        .map(|o| r.objectives.get(&o.metric).copied().unwrap_or(f64::NAN))
        .collect();
    Ok(Evaluation {
        point: DesignPoint { values },
        scores: problem
            .objectives()
            .iter()
            .zip(&objectives)
            .map(|(o, v)| o.score(*v))
            .collect(),
        objectives,
        constraints: problem
            .constraints()
            .iter()
            .map(|c| r.constraints.get(c).copied().unwrap_or(f64::INFINITY))
            .collect(),
        feasible: r.feasible,
        metrics: r.metrics.clone(),
        error: r.error.clone(),
    })
}

/// Normalised hypervolume of the feasible records (bounds from `info`, else observed).
pub fn hypervolume(info: &RunInfo, records: &[Record]) -> f64 {
    let pts: Vec<Vec<f64>> = records
        .iter()
        .filter(|r| r.feasible)
        .filter_map(|r| r.scores(&info.objectives))
        .collect();
    if pts.is_empty() {
        return 0.0;
    }
    let (ideal, nadir) = info.bounds.clone().unwrap_or_else(|| observed_bounds(&pts));
    pareto::normalized_hypervolume(&pts, &ideal, &nadir, 1.1)
}

/// Per-objective (min, max) of `pts`.
pub fn observed_bounds(pts: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let m = pts.first().map_or(0, Vec::len);
    let mut lo = vec![f64::INFINITY; m];
    let mut hi = vec![f64::NEG_INFINITY; m];
    for p in pts {
        for j in 0..m {
            lo[j] = lo[j].min(p[j]);
            hi[j] = hi[j].max(p[j]);
        }
    }
    (lo, hi)
}

/// Runs (or resumes) a sweep; `stop` is checked between batches; `progress` is called after
/// each batch.
pub fn run(
    spec: &SweepSpec,
    opts: &SweepOptions,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<SweepOutcome, DseError> {
    let problem: &dyn Problem = spec.problem.as_ref();
    let space = problem.space();
    if let Some((k, n)) = opts.shard {
        if !is_non_adaptive(&spec.searcher) {
            return Err(DseError::Key {
                file: opts.out.clone(),
                key: "--shard".into(),
                message: format!(
                    "searcher `{}` adapts to results and cannot be sharded (allowed: grid, random, sobol, lhs)",
                    spec.searcher
                ),
            });
        }
        assert!(k < n, "shard index checked by the CLI");
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| io_err(&opts.out, e))?;
    let path = opts.out.join(RESULTS);
    let previous = read_results(&path)?;
    if !previous.is_empty() && !opts.resume {
        return Err(DseError::Results {
            path: path.clone(),
            line: previous.len(),
            message: format!(
                "already holds {} evaluations: pass --resume to continue this sweep, or choose another --out",
                previous.len()
            ),
        });
    }
    if let Some(r) = previous
        .iter()
        .find(|r| r.searcher != spec.searcher || r.seed != spec.seed)
    {
        return Err(DseError::Results {
            path: path.clone(),
            line: 0,
            message: format!(
                "record id {} is from searcher `{}` seed {}, this sweep is `{}` seed {}: use another --out",
                r.id, r.searcher, r.seed, spec.searcher, spec.seed
            ),
        });
    }
    let mut searcher: Box<dyn Searcher> = search::build(
        &spec.searcher,
        spec.seed,
        problem.objectives().len(),
        spec.budget,
    )
    .expect("searcher name validated when the sweep file was loaded");

    // Replay what is already done.
    let mut cache: HashMap<String, Evaluation> = HashMap::new();
    let mut told = Vec::with_capacity(previous.len());
    for r in &previous {
        let e = from_record(r, problem, &path)?;
        cache
            .entry(e.point.cache_key())
            .or_insert_with(|| e.clone());
        told.push(e);
    }
    let mut asked = previous.last().map_or(0, |r| r.id as usize + 1);
    if is_non_adaptive(&spec.searcher) {
        // Fast-forward the deterministic ask sequence past what was done.
        let mut skipped = 0;
        while skipped < asked {
            let n = (asked - skipped).min(4096);
            let got = searcher.ask(space, n).len();
            if got == 0 {
                break;
            }
            skipped += got;
        }
    } else {
        for chunk in told.chunks(spec.batch.max(1)) {
            searcher.tell(chunk);
        }
    }

    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    let writer = Mutex::new(file);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| io_err(&opts.out, std::io::Error::other(e.to_string())))?;
    let mut records = previous;
    let mut unique = records.iter().filter(|r| !r.cached).count();
    let info = spec.info();
    let mut interrupted = false;

    while asked < spec.budget {
        if stop.load(Ordering::SeqCst) {
            interrupted = true;
            break;
        }
        let n = spec.batch.min(spec.budget - asked);
        let points = searcher.ask(space, n);
        if points.is_empty() {
            break; // the searcher has nothing left (an exhausted grid)
        }
        let ids: Vec<u64> = (asked..asked + points.len()).map(|i| i as u64).collect();
        asked += points.len();
        let mine = |id: u64| opts.shard.is_none_or(|(k, n)| id as usize % n == k);

        // Evaluate the new designs of this batch in parallel, appending each as it finishes.
        // New designs only: not in the cache, and a point asked twice in this batch once.
        let mut seen = std::collections::HashSet::new();
        let fresh: Vec<(u64, &DesignPoint)> = ids
            .iter()
            .zip(&points)
            .filter(|(id, p)| {
                let key = p.cache_key();
                mine(**id) && !cache.contains_key(&key) && seen.insert(key)
            })
            .map(|(id, p)| (*id, p))
            .collect();
        let results: Vec<Result<(u64, Evaluation), DseError>> = pool.install(|| {
            fresh
                .par_iter()
                .map(|(id, p)| {
                    let e = problem.evaluate(p)?;
                    let rec = to_record(*id, &e, problem, &spec.searcher, spec.seed, false);
                    append(&writer, &path, &rec)?;
                    Ok((*id, e))
                })
                .collect()
        });
        let mut fresh_by_id: BTreeMap<u64, Evaluation> = BTreeMap::new();
        for r in results {
            let (id, e) = r?;
            fresh_by_id.insert(id, e);
        }
        unique += fresh_by_id.len();
        for e in fresh_by_id.values() {
            cache.insert(e.point.cache_key(), e.clone());
        }

        // Tell in ask order; repeats come from the cache and are recorded as such.
        let mut batch = Vec::with_capacity(points.len());
        for (id, p) in ids.iter().zip(&points) {
            if !mine(*id) {
                continue;
            }
            let (e, cached) = match fresh_by_id.remove(id) {
                Some(e) => (e, false),
                None => (cache[&p.cache_key()].clone(), true),
            };
            let rec = to_record(*id, &e, problem, &spec.searcher, spec.seed, cached);
            if cached {
                append(&writer, &path, &rec)?;
            }
            records.push(rec);
            batch.push(e);
        }
        searcher.tell(&batch);
        records.sort_by_key(|r| r.id);
        progress(&Progress {
            asked,
            budget: spec.budget,
            recorded: records.len(),
            feasible: records.iter().filter(|r| r.feasible).count(),
            hypervolume: hypervolume(&info, &records),
        });
    }
    Ok(SweepOutcome {
        records,
        unique,
        interrupted,
    })
}

fn append(writer: &Mutex<File>, path: &Path, rec: &Record) -> Result<(), DseError> {
    let mut line = serde_json::to_string(rec).expect("record serialises");
    line.push('\n');
    let mut f = writer.lock().expect("results file");
    // One write per line keeps lines whole; flushing makes each result durable at once.
    f.write_all(line.as_bytes())
        .and_then(|_| f.flush())
        .map_err(|e| io_err(path, e))
}

/// Joins shard outputs (folders holding `results.jsonl`) into `out/results.jsonl`, sorted by
/// id; fails if two shards hold the same id or seeds and searchers differ.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<Vec<Record>, DseError> {
    let mut all: Vec<Record> = Vec::new();
    for dir in inputs {
        all.extend(read_results(&dir.join(RESULTS))?);
    }
    all.sort_by_key(|r| r.id);
    for w in all.windows(2) {
        if w[0].id == w[1].id {
            return Err(DseError::Results {
                path: out.join(RESULTS),
                line: 0,
                message: format!("id {} appears in more than one input", w[0].id),
            });
        }
        if (w[0].searcher.as_str(), w[0].seed) != (w[1].searcher.as_str(), w[1].seed) {
            return Err(DseError::Results {
                path: out.join(RESULTS),
                line: 0,
                message: "inputs come from different searchers or seeds".into(),
            });
        }
    }
    // Repeats of a design are cached within one run; across shards the first occurrence is
    // the simulated one.
    let mut seen = std::collections::HashSet::new();
    for r in &mut all {
        let key = serde_json::to_string(&r.point).expect("point serialises");
        r.cached = !seen.insert(key);
    }
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let path = out.join(RESULTS);
    let mut text = String::new();
    for r in &all {
        text.push_str(&serde_json::to_string(r).expect("record serialises"));
        text.push('\n');
    }
    std::fs::write(&path, text).map_err(|e| io_err(&path, e))?;
    Ok(all)
}
