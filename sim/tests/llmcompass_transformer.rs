//! The tensor-core model against LLMCompass's measured GPT-3 transformer block on one A100
//! (Zhang et al., ISCA 2024, Fig. 5i/5k; fixture and method in
//! tests/reference/llmcompass_a100/README.md): one layer of GPT-3 175B (d = 12288, 96 heads)
//! as one of four tensor-parallel devices runs it, batch 8, a 2048-token prefill and a decode
//! step at 3073 context tokens, each operator timed on its own as a PyTorch call.
//!
//! The block is built from explicit IR layers, one per measured operator, because the
//! measured block is not a serving engine's: unfused attention (two batched matmuls around a
//! softmax over the full score matrix), Q, K and V as three matmuls, no residual adds. The
//! only change to the A100 preset is the fixed per-call time: LLMCompass's own A100 constant
//! for each operator class (`hardware_model/compute_module.py`, `overhead_dict["A100"]`:
//! matmul 21 us, softmax 12 us, layernorm and GeLU 45 us), which LLMCompass adds to its own
//! simulated times when it compares them with these measurements. The two all-reduce entries
//! are not measurements of this run (see the README) and are not compared.
//!
//! What holds (asserted): both block totals within 10 % (prefill -6.1 %, decode -4.5 %), the
//! median operator error under 10 %, and every operator within 15 % except six known
//! under-predictions (`KNOWN_MISSES`, asserted to stay below -15 %): the prefill score matmul
//! `Q_mul_K` (k = 128 and a 1.6 GB score matrix to write: measured close to compute plus the
//! write one after the other, the model overlaps them), the prefill softmax and layernorms
//! (PyTorch's kernels move their bytes at 1.15-1.18 TB/s, 56-58 % of peak; the model at 88 %),
//! the decode `A_mul_V` (a batched matrix-vector product over 3073 keys at 1.1 TB/s) and the
//! decode softmax (16.7 us, host time above LLMCompass's 12 us constant). The README (LLM
//! serving, Validation) has the table.

mod common;
mod llmcompass;

use accel_sim::workload::llm::model::{Activation, NormKind};
use accel_sim::workload::{Elementwise, Gemm, Op};
use accel_sim::TensorCoreMode;
use llmcompass::{a100, check_table, fp16_seconds, median, reference_dir};

/// GPT-3 175B hidden size and heads, split over four devices; LLMCompass's batch and lengths.
const D_MODEL: u64 = 12288;
const HEADS: u64 = 96;
const DEVICES: u64 = 4;
const BATCH: u64 = 8;
const PROMPT: u64 = 2048;
/// Decode context: 2048 prompt + 1024 generated tokens, plus the new one (`s + 1`).
const DECODE_CONTEXT: u64 = 2048 + 1024 + 1;
/// Vector operations per softmax element, as the LLM phases count them.
const SOFTMAX_OPS: u64 = 5;

/// Operators the model under-predicts by more than 15 % (`phase operator`; see the header).
const KNOWN_MISSES: [&str; 6] = [
    "prefill Q_mul_K",
    "prefill Softmax",
    "prefill LayerNorm_MHA",
    "prefill LayerNorm_FFN",
    "decode A_mul_V",
    "decode Softmax",
];

/// Operator classes with LLMCompass's A100 per-call constants, microseconds.
#[derive(Clone, Copy)]
enum Class {
    Matmul,
    Softmax,
    LayerNorm,
    Gelu,
}

impl Class {
    fn overhead_us(self) -> f64 {
        match self {
            Class::Matmul => 21.0,
            Class::Softmax => 12.0,
            Class::LayerNorm | Class::Gelu => 45.0,
        }
    }
}

/// One measured entry: its name, its class, how many times the operator runs, and the operator.
struct Entry {
    name: &'static str,
    class: Class,
    runs: u64,
    op: Op,
}

fn gemm(groups: u64, m: u64, n: u64, k: u64) -> Op {
    Op::Gemm(Gemm {
        batch: 1,
        groups,
        m,
        n,
        k,
    })
}

fn vector(elements: u64, ops_per_element: u64) -> Op {
    Op::Elementwise(Elementwise {
        batch: 1,
        elements,
        ops_per_element,
        inputs: 1,
    })
}

/// The block's entries in the order of the measured files, for `tokens` new tokens per
/// sequence attending to `context` positions (all-reduces left out).
fn block(tokens: u64, context: u64) -> Vec<Entry> {
    let rows = BATCH * tokens;
    let d = D_MODEL;
    let local = d / DEVICES;
    let heads = BATCH * HEADS / DEVICES;
    let head_dim = d / HEADS;
    let entry = |name, class, runs, op| Entry {
        name,
        class,
        runs,
        op,
    };
    vec![
        entry("Q_K_V", Class::Matmul, 3, gemm(1, rows, local, d)),
        entry(
            "Q_mul_K",
            Class::Matmul,
            1,
            gemm(heads, tokens, context, head_dim),
        ),
        entry(
            "A_mul_V",
            Class::Matmul,
            1,
            gemm(heads, tokens, head_dim, context),
        ),
        entry("Wo_proj", Class::Matmul, 1, gemm(1, rows, d, local)),
        entry("W1_proj", Class::Matmul, 1, gemm(1, rows, 4 * local, d)),
        entry("W2_proj", Class::Matmul, 1, gemm(1, rows, d, 4 * local)),
        entry(
            "Softmax",
            Class::Softmax,
            1,
            vector(heads * tokens * context, SOFTMAX_OPS),
        ),
        entry(
            "LayerNorm_MHA",
            Class::LayerNorm,
            1,
            vector(rows * d, NormKind::Layernorm.ops_per_element()),
        ),
        entry(
            "LayerNorm_FFN",
            Class::LayerNorm,
            1,
            vector(rows * d, NormKind::Layernorm.ops_per_element()),
        ),
        entry(
            "GeLU",
            Class::Gelu,
            1,
            vector(rows * 4 * local, Activation::Gelu.ops_per_element()),
        ),
    ]
}

/// The measured seconds of a file, in its order (the last two, all-reduces, dropped).
fn measured(file: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(reference_dir().join(file)).unwrap();
    let values: Vec<f64> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(values.len(), 12, "{file}: 12 entries");
    values[..10].to_vec()
}

/// `entry`'s seconds on the A100 preset with its class's per-call time.
fn seconds(entry: &Entry) -> f64 {
    let acc = a100(TensorCoreMode::Tiled, entry.class.overhead_us());
    fp16_seconds(acc.as_ref(), entry.name, entry.op.clone(), entry.runs)
}

/// One phase's comparison: the table rows, every entry's relative error by name, and the
/// block totals (measured, model).
struct Phase {
    rows: String,
    errors: Vec<(String, f64)>,
    total: (f64, f64),
}

fn compare(title: &str, file: &str, tokens: u64, context: u64) -> Phase {
    let mut rows = String::new();
    let mut errors = Vec::new();
    let mut total = (0.0, 0.0);
    for (entry, measured) in block(tokens, context).iter().zip(measured(file)) {
        let model = seconds(entry);
        let err = model / measured - 1.0;
        rows += &format!(
            "| {title} | {} | {:.1} | {:.1} | {:+.1} % |\n",
            entry.name,
            measured * 1e6,
            model * 1e6,
            err * 100.0
        );
        errors.push((format!("{title} {}", entry.name), err));
        total.0 += measured;
        total.1 += model;
    }
    rows += &format!(
        "| {title} | **block** (10 entries) | {:.1} | {:.1} | {:+.1} % |\n",
        total.0 * 1e6,
        total.1 * 1e6,
        (total.1 / total.0 - 1.0) * 100.0
    );
    Phase {
        rows,
        errors,
        total,
    }
}

#[test]
fn a100_gpt3_block_matches_llmcompass_measurements() {
    let prefill = compare("prefill", "transformer_A100.csv", PROMPT, PROMPT);
    let decode = compare("decode", "transformerAR_A100.csv", 1, DECODE_CONTEXT);
    let all: Vec<f64> = prefill
        .errors
        .iter()
        .chain(&decode.errors)
        .map(|(_, e)| e.abs())
        .collect();
    let med = median(all.clone());
    let within = all.iter().filter(|e| **e < 0.15).count();
    let table = format!(
        "| phase | operator | measured (us) | model (us) | error |\n\
         |---|---|---:|---:|---:|\n{}{}\n\
         Operators: median |error| {:.1} %, {within} of {} within 15 %.\n",
        prefill.rows,
        decode.rows,
        med * 100.0,
        all.len()
    );
    check_table("transformer_errors.md", &table);

    let total_err = |p: &Phase| p.total.1 / p.total.0 - 1.0;
    assert!(total_err(&prefill).abs() < 0.10, "prefill block");
    assert!(total_err(&decode).abs() < 0.10, "decode block");
    assert!(med < 0.10, "median |error| {med}");
    for (name, err) in prefill.errors.iter().chain(&decode.errors) {
        if KNOWN_MISSES.contains(&name.as_str()) {
            assert!(*err <= -0.15, "{name}: now {:+.1} %", err * 100.0);
        } else {
            assert!(err.abs() < 0.15, "{name}: {:+.1} %", err * 100.0);
        }
    }
    assert_eq!(within, all.len() - KNOWN_MISSES.len());
}
