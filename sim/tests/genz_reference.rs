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
//! Tolerance 3 %. When the tensor-core model lands, its efficiency-1.0 mode runs the same
//! comparison in place of the roofline below.

use std::path::{Path, PathBuf};

use accel_sim::stats::{AreaBreakdown, LayerStats};
use accel_sim::workload::llm::model::PrefillScores;
use accel_sim::workload::llm::{decode, prefill};
use accel_sim::workload::{shipped, Layer, Op, Workload};
use accel_sim::{Accelerator, SimError};

/// A100-SXM4-80GB dense fp16/bf16 tensor throughput (NVIDIA A100 whitepaper, Table 1).
const PEAK_FLOPS: f64 = 312e12;
/// A100-SXM4-80GB HBM2e bandwidth (NVIDIA A100 80GB datasheet), bytes/s.
const HBM_BYTES_PER_S: f64 = 2039e9;
/// Roofline clock: one cycle a picosecond, so cycles keep the time exactly enough.
const CLOCK_MHZ: f64 = 1e6;

/// An ideal roofline device that times only what GenZ times (GEMMs and attention).
struct Roofline;

impl Roofline {
    fn seconds(layer: &Layer) -> f64 {
        let bytes_per_value = layer.precision.map_or(2.0, |p| p.bytes());
        let values = match &layer.op {
            Op::Gemm(g) => g.groups * (g.batch * g.m * g.k + g.k * g.n + g.batch * g.m * g.n),
            Op::Attention(a) => {
                let q = a.heads * a.seq_q * a.head_dim;
                let kv = 2 * a.kv_heads * a.seq_kv * a.head_dim;
                a.batch * (2 * q + kv)
            }
            _ => return 0.0,
        };
        let compute = 2.0 * layer.op.macs() as f64 / PEAK_FLOPS;
        let memory = values as f64 * bytes_per_value / HBM_BYTES_PER_S;
        compute.max(memory)
    }
}

impl Accelerator for Roofline {
    fn name(&self) -> &str {
        "a100_roofline"
    }
    fn clock_mhz(&self) -> f64 {
        CLOCK_MHZ
    }
    fn mac_units(&self) -> u64 {
        1
    }
    fn area(&self) -> AreaBreakdown {
        AreaBreakdown::default()
    }
    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError> {
        let cycles = (Self::seconds(layer) * CLOCK_MHZ * 1e6).round() as u64 * layer.count;
        Ok(LayerStats {
            name: layer.name.clone(),
            kind: layer.op.kind(),
            count: layer.count,
            macs: layer.op.macs() * layer.count,
            compute_cycles: cycles,
            stall_cycles: 0,
            total_cycles: cycles,
            utilization: 0.0,
            sram: Default::default(),
            dram: Default::default(),
            energy: Default::default(),
        })
    }
}

fn fixture() -> serde_json::Value {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference/genz/genz_a100.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn seconds(w: &Workload) -> f64 {
    Roofline.simulate(w).unwrap().latency_s
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
            r["phase"] == phase && r["model"] == model && r["batch"] == batch && r["prompt"] == prompt
        })
        .unwrap_or_else(|| panic!("no GenZ {phase} run for {model} b{batch} p{prompt}"))
}

#[test]
fn llm_phases_match_genz_roofline_within_3_percent() {
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
            let label = format!("{what} {name} b{batch} p{prompt}: ours {ours:.6e} s, GenZ {genz:.6e} s");
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
    eprintln!("worst: {:.3} % ({})", 100.0 * worst.0, worst.1);
}
