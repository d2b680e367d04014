//! `accel sweep` and `accel merge`: run a design-space sweep, or join shards, and write the
//! reports.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};

use accel_dse::record::{Record, RunInfo};
use accel_dse::report::ReportSummary;
use accel_dse::{report, rtl, sweep, DesignPoint, SweepOptions, SweepSpec};
use accel_sim::{ArchConfig, InputError};

use crate::cli::{MergeArgs, SweepArgs};
use crate::exit;
use crate::progress;

/// Parses `K/N` with `K < N`.
fn parse_shard(s: &str) -> Result<(usize, usize)> {
    let parsed = s
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((k, n)) if n >= 1 && k < n => Ok((k, n)),
        _ => Err(accel_sim::InputError::Invalid {
            file: PathBuf::from("--shard"),
            message: format!("`{s}` is not K/N with 0 <= K < N (e.g. 0/4)"),
        }
        .into()),
    }
}

/// Ctrl-C sets the flag; the driver stops between batches with every result saved.
fn interrupt_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    // A second handler (e.g. in tests running several sweeps) is not an error worth failing.
    let _ = ctrlc::set_handler(move || s.store(true, Ordering::SeqCst));
    stop
}

fn write_reports(out: &Path, info: &RunInfo, records: &[Record]) -> Result<ReportSummary> {
    let s = report::write_reports(out, info, records)?;
    eprintln!(
        "{} evaluations ({} unique, {} feasible), front of {} points, hypervolume {:.4}; reports in {}",
        s.evaluations,
        s.unique,
        s.feasible,
        s.front_ids.len(),
        s.hypervolume,
        out.display()
    );
    Ok(s)
}

/// Runs one sweep into `out`.
fn run_one(
    spec: &SweepSpec,
    opts: &SweepOptions,
    stop: &AtomicBool,
) -> Result<accel_dse::SweepOutcome> {
    let bar = progress::bar(spec.budget, &format!("{} {}", spec.name, spec.searcher));
    let outcome = sweep::run(spec, opts, stop, &mut |p| progress::update(&bar, p))?;
    bar.finish_and_clear();
    Ok(outcome)
}

/// `accel sweep`.
pub fn run(args: &SweepArgs) -> Result<i32> {
    let spec = SweepSpec::load(&args.file)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports/runs").join(&spec.name));
    let jobs = args
        .jobs
        .map_or_else(rayon::current_num_threads, |j| j as usize);
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let stop = interrupt_flag();

    if !args.compare.is_empty() {
        if shard.is_some() {
            bail!("--compare and --shard cannot be combined");
        }
        return compare(&spec, args, &out, jobs, &stop);
    }
    let opts = SweepOptions {
        out: out.clone(),
        resume: args.resume,
        jobs,
        shard,
    };
    let outcome = run_one(&spec, &opts, &stop)?;
    let summary = write_reports(&out, &spec.info(), &outcome.records)?;
    if outcome.interrupted {
        eprintln!("interrupted: results so far are saved; continue with --resume");
        return Ok(exit::INTERRUPTED);
    }
    match &args.rtl {
        Some(selection) => emit_rtl(&spec, &out, &summary, &outcome.records, selection),
        None => Ok(exit::OK),
    }
}

/// The record ids `--rtl` names: the knee, the front, or a comma-separated list.
fn rtl_ids(selection: &str, summary: &ReportSummary, records: &[Record]) -> Result<Vec<u64>> {
    let bad = |message: String| InputError::Invalid {
        file: PathBuf::from("--rtl"),
        message,
    };
    match selection.trim() {
        "knee" => Ok(vec![summary.knee_id.ok_or_else(|| {
            bad("the front has no knee point (fewer than 3 points or one objective)".into())
        })?]),
        "front" => Ok(summary.front_ids.clone()),
        list => list
            .split(',')
            .map(|s| {
                let id: u64 = s.trim().parse().map_err(|_| {
                    bad(format!(
                        "`{s}` is not `knee`, `front` or a record id (e.g. 3,17)"
                    ))
                })?;
                if records.iter().any(|r| r.id == id) {
                    Ok(id)
                } else {
                    Err(bad(format!("no record #{id} in this sweep")).into())
                }
            })
            .collect(),
    }
}

/// `--rtl`: RTL for the chosen records into `<out>/rtl/<id>/`, checked, added to summary.md.
fn emit_rtl(
    spec: &SweepSpec,
    out: &Path,
    summary: &ReportSummary,
    records: &[Record],
    selection: &str,
) -> Result<i32> {
    let sim = spec.sim.as_ref().ok_or_else(|| InputError::Invalid {
        file: PathBuf::from("--rtl"),
        message: "this sweep does not simulate accelerator configs (an external or test \
                  problem): there is no design to emit"
            .into(),
    })?;
    let mut checks = Vec::new();
    for id in rtl_ids(selection, summary, records)? {
        let record = records
            .iter()
            .find(|r| r.id == id)
            .expect("ids come from the records");
        let point = DesignPoint {
            values: sim
                .space
                .dims
                .iter()
                .map(|d| record.point[&d.name].clone())
                .collect(),
        };
        let arch = sim
            .config(&point)
            .map_err(|message| anyhow::anyhow!("record #{id}: {message}"))?;
        let config = match &arch.arch {
            ArchConfig::Systolic(c) => Some(rtl::PointConfig::Systolic(c)),
            ArchConfig::TensorCore(c) => Some(rtl::PointConfig::TensorCore(c)),
            _ => None,
        };
        let check = match config {
            Some(config) => {
                let dir = out.join("rtl").join(id.to_string());
                eprintln!("rtl: record #{id} -> {}", dir.display());
                rtl::check_point(id, config, &dir)?
            }
            None => rtl::PointCheck {
                note: Some(
                    "no RTL: only [arch.systolic] and [arch.tensor_core] designs have an RTL \
                     generator"
                        .into(),
                ),
                ..rtl::PointCheck::empty(id)
            },
        };
        checks.push(check);
    }
    report::append_rtl(&out.join("summary.md"), &checks)?;
    let failed = checks.iter().filter(|c| c.failed()).count();
    eprintln!(
        "rtl: {} designs in {}, {failed} failed a check; results in summary.md",
        checks.len(),
        out.join("rtl").display()
    );
    Ok(if failed == 0 {
        exit::OK
    } else {
        exit::CHECK_FAILED
    })
}

/// Budget checkpoints for comparisons: 100, 300, 1000, 3000... up to the budget, and the
/// budget itself.
fn checkpoints(budget: usize) -> Vec<usize> {
    let mut b: Vec<usize> = [10, 30, 100, 300, 1000, 3000, 10_000, 30_000]
        .into_iter()
        .filter(|&c| c < budget)
        .collect();
    b.push(budget);
    b
}

fn compare(
    spec: &SweepSpec,
    args: &SweepArgs,
    out: &Path,
    jobs: usize,
    stop: &AtomicBool,
) -> Result<i32> {
    let mut runs = Vec::new();
    for name in &args.compare {
        for seed in 0..args.seeds {
            let variant = spec.variant(name, seed)?;
            let dir = out.join(name).join(format!("seed{seed}"));
            let opts = SweepOptions {
                out: dir.clone(),
                resume: true,
                jobs,
                shard: None,
            };
            let outcome = run_one(&variant, &opts, stop)
                .with_context(|| format!("searcher {name}, seed {seed}"))?;
            if outcome.interrupted {
                eprintln!(
                    "interrupted: results so far are saved; run the same command again to continue"
                );
                return Ok(exit::INTERRUPTED);
            }
            runs.push((name.clone(), seed, outcome.records));
        }
    }
    report::write_comparison(out, &spec.info(), &runs, &checkpoints(spec.budget))?;
    eprintln!("comparison in {}", out.join("compare.md").display());
    Ok(exit::OK)
}

/// `accel merge`.
pub fn merge(args: &MergeArgs) -> Result<i32> {
    let spec = SweepSpec::load(&args.sweep)?;
    let records = sweep::merge(&args.inputs, &args.out)?;
    write_reports(&args.out, &spec.info(), &records)?;
    Ok(exit::OK)
}
