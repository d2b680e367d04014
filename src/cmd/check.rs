//! `accel check`: validate configs and workloads without running them.

use std::path::{Path, PathBuf};

use anyhow::Result;

use accel_sim::{workload, ArchFile, InputError, Mode};

use crate::cli::CheckArgs;
use crate::exit;

/// What a checked file turned out to be.
fn check_file(path: &Path) -> Result<&'static str> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "cfg" => {
            ArchFile::load(path)?.build(path, Mode::Fast)?;
            Ok("accelerator (SCALE-Sim cfg)")
        }
        "csv" => {
            workload::load(&path.to_string_lossy())?;
            Ok("workload (SCALE-Sim topology)")
        }
        _ => {
            let text = InputError::read(path)?;
            let table: toml::Table = text.parse().map_err(|e| InputError::toml(path, e))?;
            if table.get("llm").is_some_and(toml::Value::is_table) {
                accel_sim::workload::llm::LlmModel::parse(path, &text)?;
                Ok("LLM model")
            } else if table.contains_key("arch") {
                ArchFile::load(path)?.build(path, Mode::Fast)?;
                Ok("accelerator")
            } else if table.contains_key("layer") {
                workload::toml::parse(path, &text)?;
                Ok("workload")
            } else if table.contains_key("searcher") {
                accel_dse::SweepSpec::load(path)?;
                Ok("sweep")
            } else {
                Err(InputError::Invalid {
                    file: path.to_path_buf(),
                    message: "not an accelerator (no [arch] table), a workload (no [[layer]] \
                              tables), an LLM (no [llm] table) nor a sweep (no `searcher`)"
                        .into(),
                }
                .into())
            }
        }
    }
}

/// Files under `path` that `accel check` understands, sorted.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|source| InputError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            let known = child
                .extension()
                .is_some_and(|e| e == "toml" || e == "csv" || e == "cfg");
            if child.is_dir() || known {
                collect(&child, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Checks every file, reports each, and fails with bad-input if any is wrong.
pub fn run(args: &CheckArgs) -> Result<i32> {
    let mut files = Vec::new();
    for p in &args.paths {
        collect(p, &mut files)?;
    }
    let mut failed = 0;
    for f in &files {
        match check_file(f) {
            Ok(kind) => println!("ok     {}  ({kind})", f.display()),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} files have errors", files.len());
        return Ok(exit::BAD_INPUT);
    }
    Ok(exit::OK)
}
