//! End-to-end tests of `accel sweep` and `accel merge` on the built binary.

use std::path::{Path, PathBuf};

mod common;
use common::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn lines(p: &Path) -> usize {
    std::fs::read_to_string(p).unwrap().lines().count()
}

#[test]
fn quickstart_sweep_writes_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    let o = accel(&["sweep", "configs/sweeps/quickstart.toml", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "results.jsonl",
        "points.csv",
        "front.csv",
        "front.svg",
        "front.png",
        "convergence.svg",
        "summary.md",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    assert_eq!(lines(&out.join("results.jsonl")), 400, "budget 400");
    let front = std::fs::read_to_string(out.join("front.csv")).unwrap();
    assert!(front.lines().count() >= 3, "a real front: {front}");
    // Every front point meets the 2 mm^2 area constraint.
    let header: Vec<&str> = front.lines().next().unwrap().split(',').collect();
    let area = header.iter().position(|h| *h == "area_mm2").unwrap();
    for row in front.lines().skip(1) {
        let v: f64 = row.split(',').nth(area).unwrap().parse().unwrap();
        assert!(v <= 2.0, "front point over the area limit: {row}");
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("arch.systolic.rows = "), "config snippets");
}

#[test]
fn rerun_without_resume_is_refused_and_resume_continues() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("z");
    let mut file = write(
        dir.path(),
        "z.toml",
        "problem = \"zdt2\"\nsearcher = \"random\"\nbudget = 40\nseed = 1\n",
    );
    assert!(accel(&["sweep", s(&file), "--out", s(&out)])
        .status
        .success());
    let o = accel(&["sweep", s(&file), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--resume"), "{}", stderr(&o));
    assert_eq!(lines(&out.join("results.jsonl")), 40, "nothing lost");
    file = write(
        dir.path(),
        "z.toml",
        "problem = \"zdt2\"\nsearcher = \"random\"\nbudget = 70\nseed = 1\n",
    );
    let o = accel(&["sweep", s(&file), "--out", s(&out), "--resume"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lines(&out.join("results.jsonl")), 70);
}

#[test]
fn shards_merge_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "z.toml",
        "problem = \"dtlz2\"\nsearcher = \"sobol\"\nbudget = 30\nseed = 2\n",
    );
    let mut shards = vec![];
    for k in 0..2 {
        let out = dir.path().join(format!("s{k}"));
        let o = accel(&[
            "sweep",
            s(&file),
            "--shard",
            &format!("{k}/2"),
            "--out",
            s(&out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(lines(&out.join("results.jsonl")), 15);
        shards.push(out);
    }
    let merged = dir.path().join("m");
    let o = accel(&[
        "merge",
        "--sweep",
        s(&file),
        "--out",
        s(&merged),
        s(&shards[0]),
        s(&shards[1]),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let whole = dir.path().join("w");
    assert!(accel(&["sweep", s(&file), "--out", s(&whole)])
        .status
        .success());
    assert_eq!(
        std::fs::read_to_string(merged.join("points.csv")).unwrap(),
        std::fs::read_to_string(whole.join("points.csv")).unwrap()
    );
}

#[test]
fn compare_runs_every_searcher_and_seed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "z.toml",
        "problem = \"zdt1\"\nsearcher = \"random\"\nbudget = 40\n",
    );
    let out = dir.path().join("c");
    let o = accel(&[
        "sweep",
        s(&file),
        "--out",
        s(&out),
        "--compare",
        "random,lhs",
        "--seeds",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    assert!(
        table.lines().any(|l| l.starts_with("random,40,")),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("lhs,40,")), "{table}");
    assert!(out.join("compare.svg").is_file());
    assert_eq!(lines(&out.join("lhs/seed1/results.jsonl")), 40);
}

#[test]
fn bad_sweep_file_exits_2_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join("configs/accelerators/edge_32x32.toml");
    let file = write(
        dir.path(),
        "bad.toml",
        &format!(
            "base = {:?}\nworkloads = [\"alexnet\"]\nsearcher = \"random\"\nbudget = 5\n\
             objectives = [\"latency_s\"]\n[space]\n\"arch.systolic.rows\" = {{ pow2 = [8, 12] }}\n",
            s(&base)
        ),
    );
    let o = accel(&["sweep", s(&file), "--out", s(&dir.path().join("o"))]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("space.arch.systolic.rows") && err.contains("powers of two"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn check_validates_sweep_files() {
    let o = accel(&["check", "configs/sweeps"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("quickstart.toml  (sweep)"));
}
