//! Behaviour of the ReRAM crossbar model: config errors, monotone trade-offs, weight overflow,
//! the digital-unit rule.

use std::path::Path;

use accel_sim::arch::pim::reram::{ReramChip, ReramConfig, WeightOverflow};
use accel_sim::arch::pim::PimConfig;
use accel_sim::workload::shipped;
use accel_sim::{ArchConfig, ArchFile, Mode};

fn preset() -> ReramConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs/accelerators/reram_neurosim_22nm.toml");
    match ArchFile::load(&path).unwrap().arch {
        ArchConfig::Pim(PimConfig::Reram(c)) => c,
        other => panic!("{other:?}"),
    }
}

fn chip(c: &ReramConfig) -> ReramChip {
    ReramChip::build("t".into(), c, Path::new("t.toml")).unwrap()
}

#[test]
fn out_of_range_names_file_and_key() {
    let mut c = preset();
    c.cols_per_adc = 1000;
    let msg = ReramChip::build("t".into(), &c, Path::new("chip.toml"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("chip.toml"), "{msg}");
    assert!(msg.contains("arch.pim.reram.cols_per_adc"), "{msg}");
    assert!(msg.contains("1..=128"), "{msg}");
    let mut c = preset();
    c.speedup_degree = 0;
    let msg = ReramChip::build("t".into(), &c, Path::new("chip.toml"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("arch.pim.reram.speedup_degree"), "{msg}");
    assert!(msg.contains("1..=1024"), "{msg}");
}

#[test]
fn unknown_key_and_bad_enum_are_rejected_with_allowed_values() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../configs/accelerators/reram_neurosim_22nm.toml"),
    )
    .unwrap();
    let bad = text.replace("signed_weights = \"offset\"", "signed_weights = \"twos\"");
    let msg = ArchFile::parse(Path::new("x.toml"), &bad)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("offset") && msg.contains("differential"),
        "{msg}"
    );
    let bad = text.replace("adc_bits = 4", "adc_bitz = 4");
    let msg = ArchFile::parse(Path::new("x.toml"), &bad)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("adc_bitz"), "{msg}");
}

#[test]
fn more_adc_bits_cost_energy_and_clip_less() {
    let w = shipped::load("vgg8_cifar10").unwrap();
    let mut c = preset();
    let mut last: Option<(f64, f64)> = None;
    for bits in 3..=8 {
        c.adc_bits = bits;
        let run = chip(&c).run(&w).unwrap();
        let now = (run.energy.adc_pj, run.accuracy_proxy);
        if let Some((e, a)) = last {
            // Walden scaling: one more bit doubles the conversion energy.
            assert!((now.0 / e - 2.0).abs() < 1e-9);
            assert!(now.1 >= a);
        }
        last = Some(now);
    }
    // 8 bits cover 128 one-bit rows (full scale 128 <= 255): nothing clips.
    assert_eq!(last.unwrap().1, 1.0);
}

#[test]
fn differential_weights_double_the_conversions() {
    let w = shipped::load("vgg8_cifar10").unwrap();
    let mut c = preset();
    let offset = chip(&c).run(&w).unwrap();
    c.signed_weights = accel_sim::arch::pim::reram::SignedWeights::Differential;
    let diff = chip(&c).run(&w).unwrap();
    assert!((diff.energy.adc_pj / offset.energy.adc_pj - 2.0).abs() < 1e-9);
    assert!(diff.plan.weight_tiles > offset.plan.weight_tiles);
}

#[test]
fn weights_that_do_not_fit_reprogram_or_fail() {
    // VGG-8's weights take 398 tiles of 16 crossbars (569 with the preset's speed-up
    // copies, which a chip too small for them goes without); 100 tiles force rounds.
    let w = shipped::load("vgg8_cifar10").unwrap();
    let mut c = preset();
    c.tiles = Some(100);
    c.write_energy_pj_per_cell = 1.0;
    let run = chip(&c).run(&w).unwrap();
    assert!(!run.plan.fits);
    assert!(run.plan.rounds >= 4, "{}", run.plan.rounds);
    assert!(run.energy.write_pj > 0.0);
    let fitted = chip(&preset()).run(&w).unwrap();
    assert!(run.stats.cycles > fitted.stats.cycles);
    c.weight_overflow = WeightOverflow::Error;
    let err = chip(&c).run(&w).unwrap_err().to_string();
    assert!(err.contains("398 tiles"), "{err}");
}

#[test]
fn spare_tiles_copy_the_slowest_layer() {
    let w = shipped::load("vgg8_cifar10").unwrap();
    let mut c = preset();
    let base = chip(&c).run(&w).unwrap();
    c.tiles = Some(800);
    c.replicate = true;
    let copied = chip(&c).run(&w).unwrap();
    assert!(copied.throughput_tops > base.throughput_tops);
    assert!(copied.stats.area.total_mm2() > base.stats.area.total_mm2());
}

#[test]
fn attention_runs_on_the_digital_unit() {
    // BERT's attention core multiplies activations by activations: no crossbars, digital
    // energy only; its projections are crossbar GEMMs.
    let w = shipped::load("bert_base").unwrap();
    let c = preset();
    let model = ArchFile {
        name: None,
        arch: ArchConfig::Pim(PimConfig::Reram(c.clone())),
    }
    .build(Path::new("t"), Mode::Fast)
    .unwrap();
    let stats = model.simulate(&w).unwrap();
    let attn = stats.layers.iter().find(|l| l.kind == "attention").unwrap();
    assert!(attn.energy.mac_pj == 0.0 && attn.energy.vector_pj > 0.0);
    let proj = stats.layers.iter().find(|l| l.kind == "gemm").unwrap();
    assert!(proj.energy.mac_pj > 0.0);
    assert!(stats
        .model_metrics
        .iter()
        .any(|(k, v)| k == "accuracy_proxy" && *v > 0.0 && *v <= 1.0));
}

#[test]
fn every_shipped_model_runs_on_the_preset() {
    let c = preset();
    for name in shipped::NAMES {
        let w = shipped::load(name).unwrap();
        let run = chip(&c).run(&w).unwrap();
        assert!(
            run.stats.cycles > 0 && run.energy.total_pj() > 0.0,
            "{name}"
        );
        assert!(run.plan.fits, "{name}");
    }
}
