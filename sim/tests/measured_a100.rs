//! Published measured LLM serving on A100 GPUs (TensorRT-LLM, lmdeploy), from
//! `tests/reference/measured_a100/serving.csv` (sources in that folder's README.md).
//!
//! Two checks:
//! - physics: no measured time may beat the ideal A100 roofline of the same scenario (per
//!   device, tensor parallelism splitting the work); measured over ideal is 1.4x to 2.7x;
//! - the tensor-core model's A100 preset (`mode = "tiled"`, unchanged), with the all-reduce
//!   of NCCL measured on four NVLink A100s (tests/nccl_a100.rs): 12 of the 16 rows within
//!   15 % (`WITHIN_15`). The other 4 are under-predicted by 15-37 %, asserted as such:
//!   TensorRT-LLM's first token of short prompts (7B -37 %, 70B -20 % at 128 tokens) and of
//!   LLaMA-2-7B at 2048 (-17 %), and lmdeploy's 2048-token 70B request (-18 %).
//!
//! Each engine's figure is compared with what that engine runs (`Schedule`):
//! TensorRT-LLM's is a whole `GptSession::generate()` call with one new token
//! (gptSessionBenchmark: context phase, first sampling step, runtime host work, no generation
//! step), so first token = prefill. lmdeploy v0.1's TurboMind runs the context phase over all
//! but the last prompt token and produces every output token, the first included, in a
//! decoding iteration, so first token = prefill of `prompt - 1` + one decode step (source
//! evidence in tests/reference/measured_a100/README.md). What still misses is host/runtime
//! time and kernel inefficiency at short prompts that the kernel-level model does not have;
//! the README (LLM serving, Validation) has the table and the analysis.

mod common;

use std::path::Path;

use accel_sim::workload::llm::{serve, Scenario};
use accel_sim::workload::shipped;
use accel_sim::{Accelerator, ArchFile, Mode};
use common::Roofline;

/// One published measurement.
struct Row {
    source: String,
    model: String,
    scenario: Scenario,
    metric: String,
    measured_s: f64,
}

fn rows() -> Vec<Row> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/measured_a100/serving.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let num = |i: usize| -> u64 { rec[i].parse().unwrap() };
            Row {
                source: rec[0].to_string(),
                model: rec[1].to_string(),
                // A first-token row asks for one output token; two give the same prefill.
                scenario: Scenario {
                    tp: num(3),
                    batch: num(4),
                    prompt: num(5),
                    gen: num(6).max(2),
                },
                metric: rec[7].to_string(),
                measured_s: rec[8].parse().unwrap(),
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
        "trtllm_v0.5" => Schedule::PrefillSamples,
        "lmdeploy_v0.1.0a1" => Schedule::DecodeSamples,
        other => panic!("unknown source {other}"),
    }
}

/// The row's metric as `acc` estimates it, under the engine's schedule.
fn estimate(acc: &dyn Accelerator, row: &Row) -> f64 {
    let model = shipped::load_llm(&row.model).unwrap();
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
        "{} {} tp{} p{} {}",
        row.source, row.model, s.tp, s.prompt, row.metric
    )
}

/// Rows the A100 preset matches within 15 % (labels as `label` prints them).
const WITHIN_15: [&str; 12] = [
    "lmdeploy_v0.1.0a1 llama2_7b tp1 p128 ttft",
    "lmdeploy_v0.1.0a1 llama2_7b tp1 p2048 ttft",
    "lmdeploy_v0.1.0a1 llama2_70b tp4 p128 ttft",
    "lmdeploy_v0.1.0a1 llama2_70b tp4 p2048 ttft",
    "lmdeploy_v0.1.0a1 llama2_7b tp1 p128 tpot_p50",
    "lmdeploy_v0.1.0a1 llama2_7b tp1 p2048 tpot_p50",
    "lmdeploy_v0.1.0a1 llama2_7b tp1 p128 e2e_from_throughput",
    "lmdeploy_v0.1.0a1 llama2_7b tp1 p2048 e2e_from_throughput",
    "lmdeploy_v0.1.0a1 llama2_70b tp4 p128 tpot_p50",
    "lmdeploy_v0.1.0a1 llama2_70b tp4 p2048 tpot_p50",
    "lmdeploy_v0.1.0a1 llama2_70b tp4 p128 e2e_from_throughput",
    "trtllm_v0.5 llama2_70b tp4 p2048 ttft",
];

#[test]
fn tensor_core_a100_matches_measured_serving_within_15_percent() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/accelerators/a100_sxm_80gb.toml");
    let acc = ArchFile::load(&path)
        .and_then(|a| a.build(&path, Mode::Fast))
        .unwrap();
    let mut within = 0;
    for row in rows() {
        let ours = estimate(acc.as_ref(), &row);
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
fn measured_a100_serving_is_at_or_above_the_ideal_roofline() {
    let rows = rows();
    for row in &rows {
        let ideal = estimate(&Roofline, row);
        let ratio = row.measured_s / ideal;
        eprintln!(
            "{}: measured {} s, ideal {ideal:.4} s ({ratio:.2}x)",
            label(row),
            row.measured_s
        );
        assert!(ratio >= 1.0, "{}: {ratio:.2}x", label(row));
    }
    assert_eq!(rows.len(), 16);
}
