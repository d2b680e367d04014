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

#[test]
fn sweep_rtl_emits_checks_and_synthesizes_the_front() {
    if !accel_dse::rtl::tools_or_skip(
        "sweep_rtl_emits_checks_and_synthesizes_the_front",
        &["verilator", "iverilog", "vvp", "yosys"],
    ) {
        return;
    }
    // Two small int8 WS designs: more rows are faster and larger, so both are on the front.
    let dir = tempfile::tempdir().unwrap();
    let base = write(
        dir.path(),
        "base.toml",
        "[arch.systolic]\nrows = 4\ncols = 4\ndataflow = \"ws\"\nprecision = \"int8\"\n\
         ifmap_sram_kib = 4\nfilter_sram_kib = 4\nofmap_sram_kib = 4\n",
    );
    let sweep = write(
        dir.path(),
        "s.toml",
        &format!(
            "base = \"{}\"\nworkloads = [\"mobilenet_v1\"]\nsearcher = \"grid\"\nbudget = 2\n\
             objectives = [\"latency_s\", \"lut\"]\n[space.arch.systolic]\nrows = [4, 8]\n",
            s(&base)
        ),
    );
    let out = dir.path().join("out");
    let o = accel(&["sweep", s(&sweep), "--out", s(&out), "--rtl", "front"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| l.starts_with("| #") && l.contains("`sa"))
        .collect();
    assert_eq!(rows.len(), 2, "{summary}");
    for (id, name, dsp) in [(0, "sa4x4_ws_int8", 16), (1, "sa8x4_ws_int8", 32)] {
        let rtl = out.join("rtl").join(id.to_string());
        assert!(rtl.join(format!("rtl/{name}_top.v")).is_file(), "{name}");
        assert!(rtl.join("synth.json").is_file(), "{name}");
        let row = rows
            .iter()
            .find(|r| r.contains(name))
            .unwrap_or_else(|| panic!("{name} in {summary}"));
        assert!(row.contains("| clean | PASS, "), "{row}");
        // One DSP48E1 per PE, from synthesis and from the model.
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[7], dsp.to_string(), "{row}");
        assert!(cells[10].contains(&format!(" / {dsp} / ")), "{row}");
    }
}

#[test]
fn sweep_rtl_rejects_an_unknown_record() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    let o = accel(&[
        "sweep",
        "configs/sweeps/fpga_zynq7020.toml",
        "--out",
        s(&out),
        "--rtl",
        "9999",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no record #9999"), "{}", stderr(&o));
}

#[test]
fn fpga_metrics_rank_integer_designs_and_reject_float_ones() {
    // lut as an objective and a DSP budget: the fp16 design has no RTL, so it is infeasible
    // with the reason; the int8 ones get the resource model's numbers (one DSP48E1 per PE).
    let dir = tempfile::tempdir().unwrap();
    let base = root().join("configs/accelerators/fpga_8x8_ws.toml");
    let sweep = write(
        dir.path(),
        "s.toml",
        &format!(
            "base = \"{}\"\nworkloads = [\"mobilenet_v1\"]\nsearcher = \"grid\"\nbudget = 4\n\
             objectives = [\"latency_s\", \"lut\"]\n[space.arch.systolic]\nrows = [8, 16]\n\
             precision = [\"int8\", \"fp16\"]\n[constraints]\ndsp = {{ max = 100 }}\n",
            s(&base)
        ),
    );
    let out = dir.path().join("out");
    let o = accel(&["sweep", s(&sweep), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let results = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = results
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    for r in &records {
        let rows = r["point"]["arch.systolic.rows"].as_i64().unwrap();
        if r["point"]["arch.systolic.precision"] == "fp16" {
            assert_eq!(r["feasible"], false, "{r}");
            let why = r["error"].as_str().unwrap_or_default();
            assert!(why.contains("FPGA resources"), "{r}");
        } else {
            // 8 x 8 = 64 DSPs fits the budget of 100; 16 x 8 = 128 does not.
            assert_eq!(r["metrics"]["dsp"].as_f64(), Some((rows * 8) as f64), "{r}");
            assert_eq!(r["feasible"], rows == 8, "{r}");
        }
    }
}
