//! GenZ (genz-llm 0.0.16) roofline reference for the LLM workload generator.
//!
//! Fixture: `tests/reference/genz/genz_a100.json`, made by `run_genz.py` in that folder (the
//! script and its notes say how). GenZ gives, for the eight shipped models on an ideal
//! A100-SXM4-80GB (312 TFLOPS, 2,039 GB/s, efficiency 1.0), the prefill latency and one
//! decode step's latency, operator by operator.
//!
//! Here the same scenarios go through our generator (`prefill`, `decode`) and an ideal
//! roofline of the same A100 (each layer `max(2 MACs / peak, bytes / bandwidth)`, bytes =
//! operands and result once; attention as one flash-style kernel: Q, K, V in, output out).
//! Operator sets are aligned, since the tools differ by design, not by error:
//! - GenZ counts no vector work (norms, RoPE, residual adds, activations, softmax, KV writes):
//!   our GEMM and attention layers only are timed;
//! - GenZ models the embedding lookup as a GEMM and runs the LM head on every prompt position;
//!   we gather the embedding and run the LM head on the last position: the prefill compares
//!   GenZ's blocks plus the LM head of its decode step (one token per sequence, our shape);
//! - GenZ computes the full score matrix in the prefill: our models use
//!   `prefill_scores = "full"` here;
//! - GenZ's MoE decode reads `top_k` experts whatever the batch (its code: "A = K", a TODO);
//!   we read the experts a batch is expected to reach, so Mixtral decode compares at batch 1.
//!
//! Tolerance 3 %, for two devices: the test's own ideal roofline (`common::Roofline`: checks
//! the generator's shapes and bytes) and the tensor-core model's A100 preset in
//! `mode = "roofline"` (checks the whole path a user runs). For the tensor-core model only its
//! GEMM and attention layers are summed, as GenZ times no vector work.

use std::path::{Path, PathBuf};

mod common;

use accel_sim::config::TensorCoreMode;
use accel_sim::workload::llm::model::PrefillScores;
use accel_sim::workload::llm::{decode, prefill};
use accel_sim::workload::{shipped, Workload};
use accel_sim::Accelerator;
use common::Roofline;

/// The A100 preset in roofline mode.
fn a100_roofline() -> Box<dyn Accelerator> {
    common::tensor_core_preset("a100_sxm_80gb.toml", |c| c.mode = TensorCoreMode::Roofline)
}

/// Seconds of the GEMM and attention layers only (what GenZ times).
fn gemm_and_attention_s(acc: &dyn Accelerator, w: &Workload) -> f64 {
    let stats = acc.simulate(w).unwrap();
    let cycles: u64 = stats
        .layers
        .iter()
        .filter(|l| matches!(l.kind, "gemm" | "attention"))
        .map(|l| l.total_cycles)
        .sum();
    cycles as f64 / (acc.clock_mhz() * 1e6)
}

fn fixture() -> serde_json::Value {
    let path: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/genz/genz_a100.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// GenZ's run of (phase, model, batch, prompt).
fn genz_run<'a>(
    runs: &'a [serde_json::Value],
    phase: &str,
    model: &str,
    batch: u64,
    prompt: u64,
) -> &'a serde_json::Value {
    runs.iter()
        .find(|r| {
            r["phase"] == phase
                && r["model"] == model
                && r["batch"] == batch
                && r["prompt"] == prompt
        })
        .unwrap_or_else(|| panic!("no GenZ {phase} run for {model} b{batch} p{prompt}"))
}

#[test]
fn generator_on_an_ideal_roofline_matches_genz_within_3_percent() {
    compare_with_genz(&Roofline::A100);
}

#[test]
fn tensor_core_roofline_mode_matches_genz_within_3_percent() {
    compare_with_genz(a100_roofline().as_ref());
}

fn compare_with_genz(acc: &dyn Accelerator) {
    let seconds = |w: &Workload| gemm_and_attention_s(acc, w);
    let doc = fixture();
    let runs = doc["runs"].as_array().unwrap();
    let mut worst = (0.0f64, String::new());
    let mut compared = 0;
    for r in runs.iter().filter(|r| r["phase"] == "prefill") {
        let name = r["model"].as_str().unwrap();
        let (batch, prompt) = (r["batch"].as_u64().unwrap(), r["prompt"].as_u64().unwrap());
        let mut m = shipped::load_llm(name).unwrap();
        m.config.prefill_scores = PrefillScores::Full;
        let dtype = m.config.dtype;
        let dec = genz_run(runs, "decode", name, batch, prompt);

        // Prefill: GenZ's blocks + the one-token LM head of its decode step.
        let genz_prefill = (r["sections_ms"]["block"].as_f64().unwrap()
            + dec["sections_ms"]["lm_head"].as_f64().unwrap())
            * 1e-3;
        let ours_prefill = seconds(&prefill(&m, batch, prompt, 1, dtype));
        // Decode: one step after the prompt (prompt + 1 keys).
        let genz_decode = dec["latency_ms"].as_f64().unwrap() * 1e-3;
        let ours_decode = seconds(&decode(&m, batch, prompt, 1, 1, dtype));

        let mut check = |what: &str, ours: f64, genz: f64| {
            let err = (ours - genz).abs() / genz;
            let label =
                format!("{what} {name} b{batch} p{prompt}: ours {ours:.6e} s, GenZ {genz:.6e} s");
            assert!(err < 0.03, "{label}: {:.2} %", 100.0 * err);
            if err > worst.0 {
                worst = (err, label);
            }
            compared += 1;
        };
        check("prefill", ours_prefill, genz_prefill);
        if m.config.moe.is_none() || batch == 1 {
            check("decode", ours_decode, genz_decode);
        }
    }
    // 8 models x 2 batches x 2 prompts prefills, and every decode but Mixtral's batch 8.
    assert_eq!(compared, 32 + 30);
    eprintln!(
        "{}: worst {:.3} % ({})",
        acc.name(),
        100.0 * worst.0,
        worst.1
    );
}
