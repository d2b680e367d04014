//! The ReRAM model against DNN+NeuroSim V1.4's own VGG-8/CIFAR-10 runs on RRAM at 22 nm
//! (`tests/reference/neurosim/`, README there for the source and the column meanings).
//!
//! Row 1 (128 rows read in parallel) calibrated the preset's unit costs, so its energy and
//! area agree by construction up to leakage and the array area we compute from the cell
//! size; its throughput is a prediction. Row 3 (64 rows in parallel) is out of sample.

use std::path::Path;

use accel_sim::arch::pim::reram::ReramChip;
use accel_sim::arch::pim::PimConfig;
use accel_sim::{ArchConfig, ArchFile};

const TOLERANCE: f64 = 0.25;

struct NeuroSim {
    area_mm2: f64,
    tops_per_w: f64,
    tops: f64,
    clk_period_ns: f64,
    rows_parallel: u32,
}

fn reference() -> Vec<NeuroSim> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/neurosim");
    let text = std::fs::read_to_string(dir.join("release_test_vgg8_22nm_rram.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|v| v.parse().unwrap()).collect();
            NeuroSim {
                area_mm2: f[col("chip_area_um2")] * 1e-6,
                tops_per_w: f[col("tops_per_w")],
                tops: f[col("tops")],
                clk_period_ns: f[col("clk_period_ns")],
                rows_parallel: f[col("rows_parallel")] as u32,
            }
        })
        .collect()
}

fn preset() -> accel_sim::arch::pim::reram::ReramConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs/accelerators/reram_neurosim_22nm.toml");
    match ArchFile::load(&path).unwrap().arch {
        ArchConfig::Pim(PimConfig::Reram(c)) => c,
        other => panic!("not a ReRAM preset: {other:?}"),
    }
}

/// (area mm², TOPS/W, TOPS) of our model for NeuroSim's row.
fn ours(r: &NeuroSim) -> (f64, f64, f64) {
    let mut c = preset();
    c.rows_parallel = Some(r.rows_parallel);
    c.clock_mhz = 1e3 / r.clk_period_ns;
    let chip = ReramChip::build("neurosim".into(), &c, Path::new("preset")).unwrap();
    let w = accel_sim::workload::shipped::load("vgg8_cifar10").unwrap();
    let run = chip.run(&w).unwrap();
    let tops_per_w = 2.0 * run.stats.macs as f64 / run.energy.total_pj();
    (run.stats.area.total_mm2(), tops_per_w, run.throughput_tops)
}

fn check(name: &str, ours: f64, theirs: f64) {
    let err = (ours - theirs) / theirs;
    eprintln!(
        "{name}: ours {ours:.3}, NeuroSim {theirs:.3}, {:+.1} %",
        100.0 * err
    );
    assert!(err.abs() <= TOLERANCE, "{name}: {ours} vs {theirs}");
}

#[test]
fn vgg8_128_rows_parallel_within_25_percent() {
    // Measured: area 83.59 vs 84.77 mm² (-1.4 %), 24.04 vs 23.94 TOPS/W (+0.4 %),
    // 6.654 vs 6.342 TOPS (+4.9 %).
    let r = &reference()[0];
    assert_eq!(r.rows_parallel, 128);
    let (area, eff, tops) = ours(r);
    check("area mm2", area, r.area_mm2);
    check("TOPS/W", eff, r.tops_per_w);
    check("TOPS", tops, r.tops);
}

#[test]
fn vgg8_64_rows_parallel_energy_and_area_out_of_sample() {
    // Measured: 17.72 vs 20.06 TOPS/W (-11.7 %): halving the rows per read doubles the
    // conversions; NeuroSim's ADC energy grows 1.44x, not 2x, as each conversion senses a
    // smaller current. Area 83.59 vs 83.07 mm² (+0.6 %).
    let r = &reference()[1];
    assert_eq!(r.rows_parallel, 64);
    let (area, eff, tops) = ours(r);
    check("area mm2", area, r.area_mm2);
    check("TOPS/W", eff, r.tops_per_w);
    // Throughput is NOT within tolerance here: 4.19 vs 6.84 TOPS (-39 %). Two read phases
    // double our analog time, while NeuroSim copies early layers (speedUpDegree = 8) and is
    // bound by buffer and interconnect latency, which its faster clock shortens. Pinned so
    // a change to the timing model shows up.
    assert!((tops / r.tops - 0.613).abs() < 0.02, "{tops}");
}

#[test]
fn adcs_are_the_largest_energy_component() {
    // NeuroSim: ADC bucket (conversions + column current) 51 % of the dynamic energy; ours:
    // ADC conversions alone the largest of nine components, ADC + array 55 %.
    let c = preset();
    let chip = ReramChip::build("neurosim".into(), &c, Path::new("preset")).unwrap();
    let w = accel_sim::workload::shipped::load("vgg8_cifar10").unwrap();
    let e = chip.run(&w).unwrap().energy;
    let largest = e
        .named()
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert_eq!(largest.0, "adc");
    let share = (e.adc_pj + e.array_pj) / e.total_pj();
    assert!((share - 0.51).abs() < 0.1, "{share}");
}
