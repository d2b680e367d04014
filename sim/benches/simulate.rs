//! Simulation speed: a whole ResNet-50 and a 2048-token GPT-2 (124M) GEMM set on 32x32 and
//! 128x128 arrays, each dataflow. Run with `cargo bench -p accel-sim`.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::path::Path;

use accel_sim::workload::{shipped, Attention, Layer, Op, Workload};
use accel_sim::{Accelerator, ArchConfig, ArchFile, Dataflow, Mode, SystolicConfig};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn array(size: u32, dataflow: Dataflow) -> Box<dyn Accelerator> {
    ArchFile {
        name: Some(format!("{size}x{size}")),
        arch: ArchConfig::Systolic(SystolicConfig::new(size, size, dataflow)),
    }
    .build(Path::new("bench"), Mode::Fast)
    .expect("valid config")
}

/// GPT-2 small (d = 768, 12 heads, 12 layers, FFN 3072, vocabulary 50257) on 2048 tokens.
fn gpt2_2048() -> Workload {
    let t = 2048;
    Workload {
        name: "gpt2_2048".into(),
        layers: vec![
            Layer::new("qkv", Op::gemm(t, 3 * 768, 768), 12),
            Layer::new(
                "attention",
                Op::Attention(Attention {
                    batch: 1,
                    heads: 12,
                    kv_heads: 12,
                    seq_q: t,
                    seq_kv: t,
                    head_dim: 64,
                    causal: false,
                }),
                12,
            ),
            Layer::new("proj", Op::gemm(t, 768, 768), 12),
            Layer::new("fc1", Op::gemm(t, 3072, 768), 12),
            Layer::new("fc2", Op::gemm(t, 768, 3072), 12),
            Layer::new("lm_head", Op::gemm(t, 50257, 768), 1),
        ],
        weight_reuse: 1,
    }
}

fn bench(c: &mut Criterion) {
    let workloads = [
        shipped::load("resnet50").expect("shipped resnet50"),
        gpt2_2048(),
    ];
    for w in &workloads {
        let mut group = c.benchmark_group(w.name.as_str());
        for size in [32, 128] {
            for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
                let acc = array(size, df);
                let id = BenchmarkId::new(format!("{size}x{size}"), df.name());
                group.bench_with_input(id, w, |b, w| b.iter(|| acc.simulate(w).unwrap()));
            }
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
