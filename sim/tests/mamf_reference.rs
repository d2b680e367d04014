//! The tensor-core presets at the best matmul shapes measured by `mamf-finder.py` (published
//! maximum achievable bf16 matmul FLOPS; tests/reference/mamf/README.md): each within 10 %,
//! and the H100 only with its warpgroup operand reads (per-warp reads cap it well below).

mod common;

use std::path::Path;

use accel_sim::config::MmaScope;
use accel_sim::workload::{Layer, Op, Precision};
use accel_sim::Accelerator;

/// `(preset, m, n, k, measured TFLOPS)` rows.
fn measurements() -> Vec<(String, u64, u64, u64, f64)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/mamf");
    let mut reader = csv::Reader::from_path(dir.join("mamf.csv")).unwrap();
    reader
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let num = |i: usize| -> u64 { rec[i].parse().unwrap() };
            (
                rec[1].to_string(),
                num(2),
                num(3),
                num(4),
                rec[5].parse().unwrap(),
            )
        })
        .collect()
}

/// The preset, with its MMA operand scope replaced when `scope` is given.
fn preset(name: &str, scope: Option<MmaScope>) -> Box<dyn Accelerator> {
    common::tensor_core_preset(&format!("{name}.toml"), |c| {
        if let Some(scope) = scope {
            c.mma_scope = scope;
        }
    })
}

fn tflops(acc: &dyn Accelerator, m: u64, n: u64, k: u64) -> f64 {
    let layer = Layer {
        precision: Some(Precision::Bf16),
        ..Layer::new(format!("{m}x{n}x{k}"), Op::gemm(m, n, k), 1)
    };
    let stats = acc.simulate_layer(&layer).unwrap();
    let seconds = stats.total_cycles as f64 / (acc.clock_mhz() * 1e6);
    2.0 * (m * n * k) as f64 / seconds / 1e12
}

#[test]
fn presets_reach_the_measured_maximum_matmul_flops() {
    let rows = measurements();
    assert_eq!(rows.len(), 2);
    for (name, m, n, k, measured) in rows {
        let model = tflops(preset(&name, None).as_ref(), m, n, k);
        let err = model / measured - 1.0;
        eprintln!(
            "{name} {m}x{n}x{k}: measured {measured} TFLOPS, model {model:.1} ({:+.1} %)",
            100.0 * err
        );
        assert!(err.abs() < 0.10, "{name}: {:+.1} %", 100.0 * err);
        if name == "h100_sxm" {
            // Hopper's per-SM MMA rate is twice Ampere's on the same 128 B/clk of shared
            // memory: per-warp fragment reads would bind the main loop.
            let per_warp = tflops(preset(&name, Some(MmaScope::Warp)).as_ref(), m, n, k);
            eprintln!("{name} with per-warp operand reads: {per_warp:.1} TFLOPS");
            assert!(per_warp / measured < 0.9, "per-warp {per_warp:.1}");
        }
    }
}
