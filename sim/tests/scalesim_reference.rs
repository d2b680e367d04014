//! SCALE-Sim 3.0.0 reference: compute cycles and SRAM access counts must match exactly.
//!
//! Fixtures in `tests/reference/scalesim/` were made by running SCALE-Sim itself on its own
//! topologies and configs (see that folder's README.md for versions, commands and date).
//! Every run folder holds the exact `.cfg` and topology used; `index.csv` has one row per
//! layer SCALE-Sim reported. We load the same files through our own importers and compare:
//! - compute cycles: ours = SCALE-Sim's "Total Cycles" + 1 (its report prints the last trace
//!   row's index, one less than the count; CALC bandwidth mode has no stalls);
//! - SRAM reads of ifmap and filter: equal;
//! - SRAM ofmap writes: equal, after adding SCALE-Sim's OS bookkeeping over-count of
//!   `R + C` per fold (`FoldPlan::scalesim_ofmap_write_overcount`).
//!
//! A `DP` layer is one grouped conv for us and one report row per channel for SCALE-Sim.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accel_sim::arch::systolic::mapping::FoldPlan;
use accel_sim::{workload, ArchConfig, ArchFile, Mode};

#[derive(Debug, Clone, Default)]
struct Expected {
    compute_cycles: u64,
    ifmap_reads: u64,
    filter_reads: u64,
    ofmap_writes: u64,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/scalesim")
}

fn num(rec: &csv::StringRecord, i: usize) -> u64 {
    let v: f64 = rec[i].trim().parse().expect("numeric fixture field");
    v as u64
}

#[test]
fn compute_cycles_and_sram_accesses_match_scalesim_exactly() {
    let dir = fixtures();
    let mut reader = csv::Reader::from_path(dir.join("index.csv")).expect("index.csv");
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .unwrap_or_else(|| panic!("index.csv lacks column {name}"))
    };
    let (c_run, c_idx, c_total) = (col("run"), col("layer_index"), col("total_cycles_report"));
    let (c_if, c_fi, c_of) = (
        col("sram_ifmap_reads"),
        col("sram_filter_reads"),
        col("sram_ofmap_writes"),
    );
    let c_topo = col("topology_file");

    // run -> (topology file, report rows in layer order)
    let mut runs: BTreeMap<String, (String, Vec<(u64, Expected)>)> = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let entry = runs
            .entry(rec[c_run].to_string())
            .or_insert_with(|| (rec[c_topo].to_string(), Vec::new()));
        entry.1.push((
            num(&rec, c_idx),
            Expected {
                compute_cycles: num(&rec, c_total) + 1,
                ifmap_reads: num(&rec, c_if),
                filter_reads: num(&rec, c_fi),
                ofmap_writes: num(&rec, c_of),
            },
        ));
    }
    assert!(
        runs.len() >= 40,
        "expected the full fixture matrix, got {} runs",
        runs.len()
    );

    let mut layers_checked = 0;
    for (run, (topo, mut rows)) in runs {
        rows.sort_by_key(|r| r.0);
        let run_dir = dir.join("runs").join(&run);
        let cfg = std::fs::read_dir(&run_dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "cfg"))
            .unwrap_or_else(|| panic!("{run}: no .cfg"));
        let arch = ArchFile::load(&cfg).unwrap();
        let ArchConfig::Systolic(sys) = &arch.arch else {
            panic!("{run}: not a systolic config");
        };
        let model = arch.build(&cfg, Mode::Fast).unwrap();
        let wl = workload::load(&dir.join(&topo).to_string_lossy()).unwrap();

        let mut next = rows.iter().map(|r| &r.1);
        for layer in &wl.layers {
            let gemms = layer.op.lower().gemms;
            let mut want = Expected::default();
            let mut overcount = 0;
            for g in &gemms {
                // One SCALE-Sim report row per group (per channel of a DP layer).
                for _ in 0..g.groups {
                    let e = next
                        .next()
                        .unwrap_or_else(|| panic!("{run}: fewer report rows than layers"));
                    want.compute_cycles += e.compute_cycles;
                    want.ifmap_reads += e.ifmap_reads;
                    want.filter_reads += e.filter_reads;
                    want.ofmap_writes += e.ofmap_writes;
                }
                let plan = FoldPlan::new(sys.dataflow, sys.rows.into(), sys.cols.into(), g);
                overcount += g.groups * plan.scalesim_ofmap_write_overcount();
            }
            let got = model.simulate_layer(layer).unwrap();
            let what = format!("{run} layer {}", layer.name);
            assert_eq!(
                got.compute_cycles, want.compute_cycles,
                "{what}: compute cycles"
            );
            assert_eq!(
                got.sram.ifmap_reads, want.ifmap_reads,
                "{what}: ifmap SRAM reads"
            );
            assert_eq!(
                got.sram.filter_reads, want.filter_reads,
                "{what}: filter SRAM reads"
            );
            assert_eq!(
                got.sram.ofmap_writes + overcount,
                want.ofmap_writes,
                "{what}: ofmap SRAM writes"
            );
            layers_checked += 1;
        }
        assert!(next.next().is_none(), "{run}: more report rows than layers");
    }
    assert!(layers_checked >= 60, "only {layers_checked} layers checked");
}
