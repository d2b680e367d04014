//! Tensor-core model speed: a LLaMA-2-70B estimate on one A100 (2048-token prefill, then 128
//! decode steps with a growing KV cache, every step its own set of layers) and the 20 shapes
//! of the A100 GEMM validation set. The target is under 1 ms for the LLaMA estimate.
//! Run with `cargo bench -p accel-sim --bench tensor_core`.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::path::Path;

use accel_sim::workload::{Attention, Elementwise, Layer, Op, Workload};
use accel_sim::{Accelerator, ArchFile, Mode};
use criterion::{criterion_group, criterion_main, Criterion};

fn a100() -> Box<dyn Accelerator> {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/accelerators/a100_sxm_80gb.toml");
    ArchFile::load(&file)
        .and_then(|a| a.build(&file, Mode::Fast))
        .expect("preset builds")
}

fn vector(elements: u64, inputs: u64) -> Op {
    Op::Elementwise(Elementwise {
        batch: 1,
        elements,
        ops_per_element: 5,
        inputs,
    })
}

/// One LLaMA-2-70B decoder pass over `tokens` new tokens with `context` tokens of KV cache
/// (d = 8192, 64 heads, 8 KV heads, head_dim 128, SwiGLU FFN 28672, 80 layers).
fn llama2_70b_pass(tag: &str, tokens: u64, context: u64, out: &mut Vec<Layer>) {
    let (d, ffn, layers) = (8192, 28672, 80);
    let n = |s: &str| format!("{tag}.{s}");
    out.push(Layer::new(n("norm1"), vector(tokens * d, 1), layers));
    out.push(Layer::new(
        n("qkv"),
        Op::gemm(tokens, d + 2 * 1024, d),
        layers,
    ));
    out.push(Layer::new(
        n("attention"),
        Op::Attention(Attention {
            batch: 1,
            heads: 64,
            kv_heads: 8,
            seq_q: tokens,
            seq_kv: context,
            head_dim: 128,
            causal: tokens == context,
        }),
        layers,
    ));
    out.push(Layer::new(n("o_proj"), Op::gemm(tokens, d, d), layers));
    out.push(Layer::new(n("residual1"), vector(tokens * d, 2), layers));
    out.push(Layer::new(n("norm2"), vector(tokens * d, 1), layers));
    out.push(Layer::new(
        n("gate_up"),
        Op::gemm(tokens, 2 * ffn, d),
        layers,
    ));
    out.push(Layer::new(n("silu_mul"), vector(tokens * ffn, 2), layers));
    out.push(Layer::new(n("down"), Op::gemm(tokens, d, ffn), layers));
    out.push(Layer::new(n("residual2"), vector(tokens * d, 2), layers));
    out.push(Layer::new(
        n("lm_head"),
        Op::gemm(tokens.min(1), 32000, d),
        1,
    ));
}

fn llama2_70b(prompt: u64, generated: u64) -> Workload {
    let mut layers = Vec::new();
    llama2_70b_pass("prefill", prompt, prompt, &mut layers);
    for step in 0..generated {
        llama2_70b_pass(&format!("decode{step}"), 1, prompt + step + 1, &mut layers);
    }
    Workload {
        name: "llama2_70b".into(),
        layers,
        weight_reuse: 1,
    }
}

fn validation_gemms() -> Workload {
    let mut layers = Vec::new();
    for m in (6..16).map(|e| 1u64 << e) {
        layers.push(Layer::new(format!("m{m}"), Op::gemm(m, 12288, 12288), 1));
    }
    for nk in (6..16).map(|e| 1u64 << e) {
        layers.push(Layer::new(format!("nk{nk}"), Op::gemm(8192, nk, nk), 1));
    }
    Workload {
        name: "a100_validation_gemms".into(),
        layers,
        weight_reuse: 1,
    }
}

fn bench(c: &mut Criterion) {
    let acc = a100();
    let mut group = c.benchmark_group("tensor_core");
    let llama = llama2_70b(2048, 128);
    group.bench_function("llama2_70b_prefill2048_decode128", |b| {
        b.iter(|| acc.simulate(&llama).unwrap())
    });
    let gemms = validation_gemms();
    group.bench_function("a100_validation_gemms", |b| {
        b.iter(|| acc.simulate(&gemms).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
