//! LLM serving scenarios in sweep files: the metrics they add, how they aggregate, and the
//! errors that name the sweep file and the `[[llm]]` key.

use std::path::{Path, PathBuf};

use accel_dse::{DseError, SweepSpec};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A sweep file in a temporary folder next to a copy of the TPU-like base config; `body`
/// holds top-level keys first, then tables.
fn sweep(body: &str) -> (tempfile::TempDir, PathBuf) {
    sweep_on(
        "tpu_v1_like.toml",
        &format!("{body}\n[space]\n\"arch.systolic.rows\" = {{ pow2 = [64, 128] }}\n"),
    )
}

/// A sweep file next to a copy of the shipped accelerator `base`; `body` holds the rest.
fn sweep_on(base: &str, body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let from = root().join("configs/accelerators").join(base);
    std::fs::copy(from, dir.path().join("base.toml")).unwrap();
    let path = dir.path().join("s.toml");
    let text = format!("base = \"base.toml\"\nsearcher = \"random\"\nbudget = 4\n{body}");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn load_err(body: &str) -> String {
    let (_dir, path) = sweep(body);
    match SweepSpec::load(&path) {
        Ok(_) => panic!("loaded: {body}"),
        Err(e) => {
            assert!(!matches!(e, DseError::Io { .. }));
            e.to_string()
        }
    }
}

const SCENARIO_7B: &str = "[[llm]]\nmodel = \"llama2_7b\"\nprompt = 128\ngen = 8\n";
const SCENARIO_GPT2: &str = "[[llm]]\nmodel = \"gpt2\"\nprompt = 64\ngen = 4\nbatch = 2\n";

fn metrics(body: &str) -> std::collections::BTreeMap<String, f64> {
    let (_dir, path) = sweep(body);
    let spec = SweepSpec::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let sim = spec.sim.expect("a simulator sweep");
    let point = sim.space.decode(&[0.0]);
    sim.metrics(&point).unwrap()
}

#[test]
fn llm_scenarios_report_serving_metrics() {
    let one = metrics(&format!(
        "objectives = [\"tpot_s\", \"ttft_s\"]\n[constraints]\nfits = {{ min = 1 }}\n{SCENARIO_7B}"
    ));
    let (ttft, tpot) = (one["ttft_s"], one["tpot_s"]);
    assert!(ttft > 0.0 && tpot > 0.0);
    // One request: latency is ttft + 7 tpot; 8 output tokens over it.
    assert!((one["latency_s"] - (ttft + 7.0 * tpot)).abs() < 1e-9 * one["latency_s"]);
    assert!((one["tokens_per_s"] - 8.0 / one["latency_s"]).abs() < 1e-9 * one["tokens_per_s"]);
    // 13.48 GB of weights + 136 tokens x 0.5 MiB of cache; the systolic model states no
    // capacity, so the scenario counts as fitting.
    assert!((one["memory_gb"] - (13.476_831_232 + 136.0 * 524_288.0 / 1e9)).abs() < 1e-6);
    assert_eq!(one["fits"], 1.0);
}

#[test]
fn scenarios_aggregate_like_workloads() {
    let a = metrics(&format!("objectives = [\"ttft_s\"]\n{SCENARIO_7B}"));
    let b = metrics(&format!("objectives = [\"ttft_s\"]\n{SCENARIO_GPT2}"));
    let both = metrics(&format!(
        "objectives = [\"ttft_s\"]\n{SCENARIO_7B}{SCENARIO_GPT2}"
    ));
    for m in ["ttft_s", "tpot_s", "latency_s", "energy_j", "memory_gb"] {
        let sum = a[m] + b[m];
        assert!((both[m] - sum).abs() < 1e-9 * sum, "{m}");
    }
    // 8 + 2 x 4 output tokens over both requests' time.
    let want = 16.0 / (a["latency_s"] + b["latency_s"]);
    assert!((both["tokens_per_s"] - want).abs() < 1e-9 * want);
    let worst = metrics(&format!(
        "aggregate = \"max\"\nobjectives = [\"ttft_s\"]\n{SCENARIO_7B}{SCENARIO_GPT2}"
    ));
    assert_eq!(worst["ttft_s"], a["ttft_s"].max(b["ttft_s"]));
    assert_eq!(
        worst["tokens_per_s"],
        a["tokens_per_s"].min(b["tokens_per_s"])
    );
}

#[test]
fn llm_metric_without_a_scenario_is_an_error() {
    let err = load_err("workloads = [\"resnet18\"]\nobjectives = [\"tpot_s\"]\n");
    assert!(err.contains("s.toml") && err.contains("`llm`"), "{err}");
    assert!(err.contains("`tpot_s` needs at least one [[llm]]"), "{err}");
}

#[test]
fn tensor_parallel_scenario_on_one_device_is_an_error() {
    let err = load_err(&format!("objectives = [\"tpot_s\"]\n{SCENARIO_7B}tp = 2\n"));
    assert!(err.contains("`llm[0]`") && err.contains("links"), "{err}");
}

#[test]
fn layer_workload_as_llm_model_is_an_error() {
    let err =
        load_err("objectives = [\"tpot_s\"]\n[[llm]]\nmodel = \"resnet18\"\nprompt = 8\ngen = 2\n");
    assert!(
        err.contains("`llm[0].model`") && err.contains("llama2_7b"),
        "{err}"
    );
}

#[test]
fn scenario_beyond_the_positions_names_its_key() {
    let err =
        load_err("objectives = [\"tpot_s\"]\n[[llm]]\nmodel = \"gpt2\"\nprompt = 1000\ngen = 30\n");
    assert!(err.contains("`llm[0].gen` = 30"), "{err}");
    assert!(err.contains("1..=24"), "{err}");
}

#[test]
fn unknown_scenario_key_is_named() {
    let err = load_err(
        "objectives = [\"tpot_s\"]\n[[llm]]\nmodel = \"gpt2\"\nprompt = 8\ngen = 2\ncontext = 4\n",
    );
    assert!(err.contains("context") && err.contains("prompt"), "{err}");
}

#[test]
fn shipped_llm_sweeps_load() {
    for (file, batch, tp) in [
        ("llm_decode_systolic.toml", 4, 1),
        ("llm_serving_tensor_core.toml", 16, 4),
    ] {
        let spec = SweepSpec::load(&root().join("configs/sweeps").join(file))
            .unwrap_or_else(|e| panic!("{e}"));
        let sim = spec.sim.unwrap();
        assert_eq!(sim.llms.len(), 1);
        let s = sim.llms[0].scenario;
        assert_eq!((s.batch, s.tp), (batch, tp), "{file}");
    }
}

#[test]
fn too_small_memory_makes_a_design_infeasible() {
    // LLaMA-2-70B on 4 devices needs 34.5 GB of weights each: a 24 GiB A100 does not fit.
    let (_dir, path) = sweep_on(
        "a100_sxm_80gb.toml",
        "objectives = [\"tpot_s\"]\n[constraints]\nfits = { min = 1 }\n\
         [[llm]]\nmodel = \"llama2_70b\"\nprompt = 128\ngen = 4\ntp = 4\n\
         [space]\n\"arch.tensor_core.dram_capacity_gib\" = [24.0, 80.0]\n",
    );
    let spec = SweepSpec::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let sim = spec.sim.unwrap();
    let small = sim.metrics(&sim.space.decode(&[0.0])).unwrap();
    let large = sim.metrics(&sim.space.decode(&[1.0])).unwrap();
    assert_eq!((small["fits"], large["fits"]), (0.0, 1.0));
    let c = accel_dse::sim_problem::constraint_values(&sim.bounds, &small);
    assert!(c[0] > 0.0, "{c:?}");
}
