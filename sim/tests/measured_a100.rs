//! Published measured LLM serving on A100 GPUs (TensorRT-LLM, lmdeploy), from
//! `tests/reference/measured_a100/serving.csv` (sources in that folder's README.md).
//!
//! Two checks:
//! - physics: no measured time may beat the ideal A100 roofline of the same scenario (per
//!   device, tensor parallelism splitting the work); measured over ideal is 1.4x to 4.2x;
//! - the tensor-core model's A100 preset (`mode = "tiled"`, unchanged), with the all-reduce
//!   of NCCL measured on four NVLink A100s (tests/nccl_a100.rs): 8 of the 16 rows within
//!   15 % (`WITHIN_15`: LLaMA-2-7B decode and whole requests, LLaMA-2-70B tp 4 decode, the
//!   128-token 70B request and TensorRT-LLM's 2048-token 70B first token). The other 8 are
//!   under-predicted by 15-54 %, asserted as such: the first-token latency of short prompts
//!   (7B at 128 tokens -37 % / -54 %, 70B at 128 tokens -20 % / -49 %), of LLaMA-2-7B at
//!   2048 tokens (-17 % / -21 %), lmdeploy's 70B at 2048 (-18 %) and its 2048-token 70B
//!   request (-18 %). TensorRT-LLM's figure is a whole `GptSession::generate()` call with
//!   one new token (gptSessionBenchmark: context phase, the first sampling step and the
//!   runtime's host work, no generation step), so TTFT = prefill is the aligned comparison;
//!   what is missing is host/runtime time and kernel inefficiency at short prompts that the
//!   kernel-level model does not have. the README (LLM serving, Validation) has the table and the analysis.

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

/// The row's metric as `acc` estimates it.
fn estimate(acc: &dyn Accelerator, row: &Row) -> f64 {
    let model = shipped::load_llm(&row.model).unwrap();
    let r = serve(acc, &model, &row.scenario).unwrap();
    match row.metric.as_str() {
        "ttft" => r.ttft_s,
        "tpot_p50" => r.tpot_s.unwrap(),
        "e2e_from_throughput" => r.e2e_s,
        other => panic!("unknown metric {other}"),
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
const WITHIN_15: [&str; 8] = [
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
