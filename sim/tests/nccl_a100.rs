//! The A100 preset's all-reduce against the measured curve on four NVLink A100s (LLMCompass
//! artifact; tests/reference/nccl_a100/README.md): every size from 8 B to 16 GiB within 16 %,
//! median within 11 %.

use std::path::Path;

use accel_sim::workload::{AllReduce, Layer, Op, Precision};
use accel_sim::{ArchFile, Mode};

#[test]
fn a100_all_reduce_matches_the_measured_nccl_curve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("../configs/accelerators/a100_sxm_80gb.toml");
    let acc = ArchFile::load(&file)
        .and_then(|a| a.build(&file, Mode::Fast))
        .unwrap();
    let mut reader =
        csv::Reader::from_path(root.join("tests/reference/nccl_a100/all_reduce_4xA100.csv"))
            .unwrap();
    let mut errors = Vec::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let bytes: u64 = rec[0].parse().unwrap();
        let measured_s = rec[1].parse::<f64>().unwrap() * 1e-6;
        let layer = Layer {
            name: format!("ar{bytes}"),
            op: Op::AllReduce(AllReduce {
                batch: 1,
                elements: (bytes / 2).max(1),
                devices: 4,
            }),
            count: 1,
            precision: Some(Precision::Fp16),
        };
        let s = acc.simulate_layer(&layer).unwrap();
        let ours = s.total_cycles as f64 / (acc.clock_mhz() * 1e6);
        let err = ours / measured_s - 1.0;
        eprintln!(
            "{bytes:>12} B: measured {:9.2} us, model {:9.2} us ({:+.1} %)",
            measured_s * 1e6,
            ours * 1e6,
            100.0 * err
        );
        assert!(err.abs() < 0.16, "{bytes} B: {:+.1} %", 100.0 * err);
        errors.push(err.abs());
    }
    assert_eq!(errors.len(), 32);
    errors.sort_by(f64::total_cmp);
    let median = errors[errors.len() / 2];
    assert!(median < 0.11, "median {median}");
}
