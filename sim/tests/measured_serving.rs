//! Published measured LLM serving on A100, H100 and H200 GPUs (TensorRT-LLM, lmdeploy), from
//! `tests/reference/measured_serving/serving.csv` (sources in that folder's README.md).
//!
//! Two checks:
//! - physics: no measured time may beat the ideal roofline of the same GPU and scenario (per
//!   device, tensor parallelism splitting the work); measured over ideal is 1.4x to 3.5x;
//! - the tensor-core presets (`mode = "tiled"`, unchanged; the A100 with the all-reduce of
//!   NCCL measured on four NVLink A100s, tests/nccl_a100.rs): 12 of the 19 A100 rows within
//!   15 % (`WITHIN_15`). The rest are under-predicted by more than 15 %, asserted as such:
//!   TensorRT-LLM's first tokens (v0.5 and v0.9; A100: 7B at 128 and 2048 tokens, 70B at 128;
//!   every H100 and H200 fp8 row), and lmdeploy's 2048-token 70B request (-18 %).
//!
//! Each engine's figure is compared with what that engine runs (`Schedule`):
//! TensorRT-LLM's is a whole `GptSession::generate()` call with one new token
//! (gptSessionBenchmark: context phase, first sampling step, runtime host work, no generation
//! step), so first token = prefill. lmdeploy v0.1's TurboMind runs the context phase over all
//! but the last prompt token and produces every output token, the first included, in a
//! decoding iteration, so first token = prefill of `prompt - 1` + one decode step (source
//! evidence in tests/reference/measured_serving/README.md). What still misses is host/runtime
//! time and kernel inefficiency of the engines that the kernel-level model does not have;
//! the README (LLM serving, Validation) has the table and the analysis.

mod common;

use std::path::Path;

use accel_sim::workload::llm::{serve, Scenario};
use accel_sim::workload::shipped;
use accel_sim::{Accelerator, Precision};
use common::Roofline;

/// The GPUs measured: which preset models each, and its ideal roofline.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Gpu {
    A100,
    H100,
    H200,
}

impl Gpu {
    fn parse(name: &str) -> Gpu {
        match name {
            "A100-SXM4-80GB" | "A100-80G" => Gpu::A100,
            "H100-HBM3-80GB" => Gpu::H100,
            "H200" => Gpu::H200,
            other => panic!("unknown GPU {other}"),
        }
    }

    fn preset(self) -> Box<dyn Accelerator> {
        let file = match self {
            Gpu::A100 => "a100_sxm_80gb.toml",
            Gpu::H100 => "h100_sxm.toml",
            Gpu::H200 => "h200_sxm.toml",
        };
        common::tensor_core_preset(file, |_| {})
    }

    fn roofline(self) -> Roofline {
        match self {
            Gpu::A100 => Roofline::A100,
            Gpu::H100 => Roofline::H100_FP8,
            Gpu::H200 => Roofline::H200_FP8,
        }
    }
}

/// One published measurement.
struct Row {
    source: String,
    model: String,
    gpu: Gpu,
    dtype: Precision,
    scenario: Scenario,
    metric: String,
    measured_s: f64,
}

fn rows() -> Vec<Row> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/measured_serving/serving.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let field = |key: &str| &rec[headers.iter().position(|h| h == key).unwrap()];
            let num = |key: &str| -> u64 { field(key).parse().unwrap() };
            Row {
                source: field("source").to_string(),
                model: field("model").to_string(),
                gpu: Gpu::parse(field("gpu")),
                dtype: match field("dtype") {
                    "fp16" => Precision::Fp16,
                    "fp8" => Precision::Fp8,
                    other => panic!("unknown dtype {other}"),
                },
                // A first-token row asks for one output token; two give the same prefill.
                scenario: Scenario {
                    tp: num("tp"),
                    batch: num("batch"),
                    prompt: num("prompt"),
                    gen: num("gen").max(2),
                },
                metric: field("metric").to_string(),
                measured_s: field("value_s").parse().unwrap(),
            }
        })
        .collect()
}

/// How an engine turns a prompt into output tokens (decides what its first token costs).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Schedule {
    /// The context phase runs the whole prompt and its last position samples the first
    /// token (TensorRT-LLM's `GptSession::generate()`): first token = prefill.
    PrefillSamples,
    /// The context phase runs all but the last prompt token; every output token, the first
    /// included, comes from a decoding iteration (TurboMind v0.1: `LlamaBatch::ContextDecode`
    /// takes `input_len - 1` tokens, `Generate` runs the decoder on the last one, samples, and
    /// `Finish` calls the stream callback; evidence in the fixture README). First token =
    /// prefill of `prompt - 1` + one decode step; `gen` tokens = `gen` decode steps.
    DecodeSamples,
}

fn schedule(source: &str) -> Schedule {
    match source {
        "trtllm_v0.5" | "trtllm_v0.9" => Schedule::PrefillSamples,
        "lmdeploy_v0.1.0a1" => Schedule::DecodeSamples,
        other => panic!("unknown source {other}"),
    }
}

/// The row's metric as `acc` estimates it, under the engine's schedule.
fn estimate(acc: &dyn Accelerator, row: &Row) -> f64 {
    let mut model = shipped::load_llm(&row.model).unwrap();
    // The engine's number format (TensorRT-LLM's H100 engines: fp8 weights, GEMMs, KV cache).
    model.config.dtype = row.dtype;
    let s = row.scenario;
    let run = |scenario: Scenario| serve(acc, &model, &scenario).unwrap();
    match (schedule(&row.source), row.metric.as_str()) {
        (Schedule::PrefillSamples, "ttft") => run(s).ttft_s,
        (Schedule::PrefillSamples, "tpot_p50") => run(s).tpot_s.unwrap(),
        (Schedule::PrefillSamples, "e2e_from_throughput") => run(s).e2e_s,
        // Our prefill covers `prompt - 1` tokens and each of the engine's tokens is one of
        // our decode steps, so a scenario with one more output token times the engine's run.
        (Schedule::DecodeSamples, metric) => {
            let shifted = |gen| Scenario {
                prompt: s.prompt - 1,
                gen,
                ..s
            };
            match metric {
                "ttft" => run(shifted(2)).e2e_s,
                "tpot_p50" => run(shifted(s.gen + 1)).tpot_s.unwrap(),
                "e2e_from_throughput" => run(shifted(s.gen + 1)).e2e_s,
                other => panic!("unknown metric {other}"),
            }
        }
        (_, other) => panic!("unknown metric {other}"),
    }
}

fn label(row: &Row) -> String {
    let s = &row.scenario;
    format!(
        "{} {:?} {} tp{} p{} {}",
        row.source, row.gpu, row.model, s.tp, s.prompt, row.metric
    )
}

/// Rows the presets match within 15 % (labels as `label` prints them).
const WITHIN_15: [&str; 12] = [
    "lmdeploy_v0.1.0a1 A100 llama2_7b tp1 p128 ttft",
    "lmdeploy_v0.1.0a1 A100 llama2_7b tp1 p2048 ttft",
    "lmdeploy_v0.1.0a1 A100 llama2_70b tp4 p128 ttft",
    "lmdeploy_v0.1.0a1 A100 llama2_70b tp4 p2048 ttft",
    "lmdeploy_v0.1.0a1 A100 llama2_7b tp1 p128 tpot_p50",
    "lmdeploy_v0.1.0a1 A100 llama2_7b tp1 p2048 tpot_p50",
    "lmdeploy_v0.1.0a1 A100 llama2_7b tp1 p128 e2e_from_throughput",
    "lmdeploy_v0.1.0a1 A100 llama2_7b tp1 p2048 e2e_from_throughput",
    "lmdeploy_v0.1.0a1 A100 llama2_70b tp4 p128 tpot_p50",
    "lmdeploy_v0.1.0a1 A100 llama2_70b tp4 p2048 tpot_p50",
    "lmdeploy_v0.1.0a1 A100 llama2_70b tp4 p128 e2e_from_throughput",
    "trtllm_v0.5 A100 llama2_70b tp4 p2048 ttft",
];

#[test]
fn tensor_core_presets_match_measured_serving_within_15_percent() {
    let mut within = 0;
    for row in rows() {
        let ours = estimate(row.gpu.preset().as_ref(), &row);
        let err = (ours - row.measured_s) / row.measured_s;
        let name = label(&row);
        eprintln!(
            "{name}: measured {} s, model {ours:.4} s ({:+.1} %)",
            row.measured_s,
            100.0 * err
        );
        if WITHIN_15.contains(&name.as_str()) {
            assert!(err.abs() < 0.15, "{name}: {:+.1} %", 100.0 * err);
            within += 1;
        } else {
            // The known gap (header): still an under-prediction, and not yet within 15 %.
            assert!(err <= -0.15, "{name}: now {:+.1} %", 100.0 * err);
        }
    }
    assert_eq!(within, WITHIN_15.len());
}

#[test]
fn measured_serving_is_at_or_above_the_ideal_roofline() {
    let rows = rows();
    for row in &rows {
        let ideal = estimate(&row.gpu.roofline(), row);
        let ratio = row.measured_s / ideal;
        eprintln!(
            "{}: measured {} s, ideal {ideal:.4} s ({ratio:.2}x)",
            label(row),
            row.measured_s
        );
        assert!(ratio >= 1.0, "{}: {ratio:.2}x", label(row));
    }
    assert_eq!(rows.len(), 29);
}

#[test]
fn h200_over_h100_matches_the_measured_ratio() {
    // Same engine (TensorRT-LLM v0.9), benchmark and fp8 build on both GPUs, so the engine's
    // own time largely cancels: the model's H200 / H100 ratio of each first token is within
    // 10 % of the measured one (measured 0.90 / 0.98 / 0.91, model 0.83 / 0.97 / 0.86).
    let rows = rows();
    let mut pairs = 0;
    for h200 in rows.iter().filter(|r| r.gpu == Gpu::H200) {
        let h100 = rows
            .iter()
            .find(|r| {
                r.gpu == Gpu::H100
                    && r.source == h200.source
                    && r.model == h200.model
                    && r.scenario == h200.scenario
                    && r.metric == h200.metric
            })
            .expect("an H100 row for every H200 row");
        let measured = h200.measured_s / h100.measured_s;
        let model = estimate(Gpu::H200.preset().as_ref(), h200)
            / estimate(Gpu::H100.preset().as_ref(), h100);
        eprintln!(
            "{}: H200/H100 measured {measured:.3}, model {model:.3}",
            label(h200)
        );
        assert!((model / measured - 1.0).abs() < 0.10, "{}", label(h200));
        pairs += 1;
    }
    assert_eq!(pairs, 3);
}
