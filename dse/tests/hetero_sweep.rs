//! A sweep over the host + PIM system: the base's file references are read into the config,
//! so the space reaches keys inside the parts and the partitioner's threshold.

use std::path::Path;

use accel_dse::SweepSpec;

#[test]
fn pim_sweep_sets_keys_inside_the_referenced_parts() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/sweeps/pim_llama2_7b_decode.toml");
    let sim = SweepSpec::load(&file)
        .unwrap()
        .sim
        .expect("a simulator sweep");
    let dim = |name: &str| {
        let names: Vec<&str> = sim.space.dims.iter().map(|d| d.name.as_str()).collect();
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{names:?}"))
    };
    let (lanes, rows) = (
        dim("arch.hetero.pim.pim.dram.pu.lanes"),
        dim("arch.hetero.pim_max_rows"),
    );
    let metrics = |lane_level: f64, row_level: f64| {
        // Aquabolt-XL's 16 banks per pseudo-channel; lanes 8/16/32/64; rows 0/1/4/16.
        let mut genes = vec![0.0; sim.space.dims.len()];
        genes[dim("arch.hetero.pim.pim.dram.banks_per_group")] = 1.0;
        genes[lanes] = lane_level;
        genes[rows] = row_level;
        sim.metrics(&sim.space.decode(&genes)).unwrap()
    };
    let (lanes16, lanes64) = (metrics(1.0, 1.0), metrics(3.0, 1.0));
    // Four times the lanes: more PU area (128 PUs x 5 stacks x 48 more lanes).
    assert!(lanes64["area_mm2"] > lanes16["area_mm2"] + 10.0);
    // Threshold 0 keeps every FC layer on the GPU: slower and costlier at batch 1 than 1.
    let rows0 = metrics(1.0, 0.0);
    assert!(rows0["tpot_s"] > lanes16["tpot_s"]);
    assert!(rows0["energy_j"] > lanes16["energy_j"]);
}
