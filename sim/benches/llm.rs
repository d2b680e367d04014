//! LLM serving estimate speed: LLaMA-2-70B, a 2048-token prompt and 128 output tokens (the
//! issue's target: under 1 ms per estimate on the tensor-core model), and LLaMA-2-7B with a
//! batch of 16, on the A100 tensor-core preset and the TPU-v1-like systolic array. Run with
//! `cargo bench -p accel-sim --bench llm`.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::path::Path;

use accel_sim::workload::llm::{serve, Scenario};
use accel_sim::workload::shipped::load_llm;
use accel_sim::{Accelerator, ArchFile, Mode};
use criterion::{criterion_group, criterion_main, Criterion};

fn preset(name: &str) -> Box<dyn Accelerator> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs/accelerators")
        .join(format!("{name}.toml"));
    ArchFile::load(&file)
        .and_then(|a| a.build(&file, Mode::Fast))
        .expect("shipped config")
}

fn bench(c: &mut Criterion) {
    for (arch, model, batch) in [
        ("a100_sxm_80gb", "llama2_70b", 1),
        ("a100_sxm_80gb", "llama2_7b", 16),
        ("tpu_v1_like", "llama2_70b", 1),
        ("tpu_v1_like", "llama2_7b", 16),
    ] {
        let acc = preset(arch);
        let m = load_llm(model).expect("shipped model");
        let scenario = Scenario {
            batch,
            prompt: 2048,
            gen: 128,
            tp: 1,
        };
        let id = format!("serve/{model}/b{batch}/p2048/g128/{arch}");
        c.bench_function(&id, |b| {
            b.iter(|| serve(acc.as_ref(), &m, &scenario).expect("serves"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
