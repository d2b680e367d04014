//! Published measured LLM serving on A100 GPUs (TensorRT-LLM, lmdeploy), from
//! `tests/reference/measured_a100/serving.csv` (sources in that folder's README.md).
//!
//! Two checks:
//! - physics: no measured time may beat the ideal A100 roofline of the same scenario (per
//!   device, tensor parallelism splitting the work); measured over ideal is 1.4x to 4.2x;
//! - the tensor-core model's A100 preset (`mode = "tiled"`, unchanged): LLaMA-2-7B decode
//!   (time per output token, and whole requests of 128 output tokens, which decode dominates)
//!   within 15 %. Every other row is a known under-prediction, asserted as one: first-token
//!   latency is 17-58 % low and LLaMA-2-70B on four GPUs 12-20 % low. The measured first-token
//!   figures are whole `generate()` calls with one output token (TensorRT-LLM) or the time to
//!   the first streamed token (lmdeploy), which include host-side work, and possibly a first
//!   decode iteration, that the kernel-level model does not have; the 70B rows add 160 NCCL
//!   all-reduces per token, whose latency the preset assumes (2 us per ring step). The table
//!   is in docs/llm.md; closing the gap is the tensor-core model's calibration, not a fit here.

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

#[test]
fn tensor_core_a100_matches_measured_decode_within_15_percent() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/accelerators/a100_sxm_80gb.toml");
    let acc = ArchFile::load(&path)
        .and_then(|a| a.build(&path, Mode::Fast))
        .unwrap();
    let mut within = 0;
    for row in rows() {
        let ours = estimate(acc.as_ref(), &row);
        let err = (ours - row.measured_s) / row.measured_s;
        eprintln!(
            "{}: measured {} s, model {ours:.4} s ({:+.1} %)",
            label(&row),
            row.measured_s,
            100.0 * err
        );
        let decode_7b = row.model == "llama2_7b" && row.metric != "ttft";
        if decode_7b {
            assert!(err.abs() < 0.15, "{}: {:+.1} %", label(&row), 100.0 * err);
            within += 1;
        } else {
            // The known gap: missing host and collective overheads make the model fast.
            assert!(err < 0.0, "{}: now {:+.1} %", label(&row), 100.0 * err);
        }
    }
    assert_eq!(within, 4);
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
