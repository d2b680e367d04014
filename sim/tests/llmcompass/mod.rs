//! Shared by the tests against LLMCompass's measured A100 data (tests/reference/llmcompass_a100):
//! the A100 preset with a chosen per-call time, the time of one fp16 layer on it, a median.

use std::path::{Path, PathBuf};

use accel_sim::workload::{Layer, Op, Precision};
use accel_sim::{Accelerator, TensorCoreMode};

/// The fixture folder.
pub fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/llmcompass_a100")
}

/// The shipped A100 preset in `mode`, unchanged except `kernel_launch_us = launch_us`.
pub fn a100(mode: TensorCoreMode, launch_us: f64) -> Box<dyn Accelerator> {
    crate::common::tensor_core_preset("a100_sxm_80gb.toml", |c| {
        c.kernel_launch_us = launch_us;
        c.mode = mode;
    })
}

/// Seconds `acc` takes for `count` runs of `op` in fp16.
pub fn fp16_seconds(acc: &dyn Accelerator, name: &str, op: Op, count: u64) -> f64 {
    let layer = Layer {
        name: name.to_string(),
        op,
        count,
        precision: Some(Precision::Fp16),
    };
    let s = acc.simulate_layer(&layer).unwrap();
    s.total_cycles as f64 / (acc.clock_mhz() * 1e6)
}

/// The median of `v` (the mean of the middle two for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Prints `table` and checks it against the committed fixture file `name`, or writes it there
/// when `UPDATE_REFERENCE` is set.
pub fn check_table(name: &str, table: &str) {
    println!("{table}");
    let path = reference_dir().join(name);
    if std::env::var_os("UPDATE_REFERENCE").is_some() {
        std::fs::write(&path, table).unwrap();
    } else {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, table,
            "{name} is stale: rerun with UPDATE_REFERENCE=1"
        );
    }
}
