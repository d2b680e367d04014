//! Sweep speed: a 10,000-point random sweep of ResNet-18 on a systolic space (simulation,
//! parallel evaluation and the results file included), and each searcher's own overhead at
//! budget 300 on ZDT1 (evaluations are nearly free there). Run with `cargo bench -p accel-dse`.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::path::Path;
use std::sync::atomic::AtomicBool;

use accel_dse::problem::{TestFunction, TestProblem};
use accel_dse::{search, sweep, Problem, SweepOptions, SweepSpec};
use criterion::{criterion_group, criterion_main, Criterion};

fn resnet18_random_10k(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let base =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/accelerators/edge_32x32.toml");
    let file = dir.path().join("s.toml");
    std::fs::write(
        &file,
        format!(
            "base = {:?}\nworkloads = [\"resnet18\"]\nsearcher = \"random\"\nbudget = 10000\n\
             batch = 500\nobjectives = [\"latency_s\", \"energy_j\", \"area_mm2\"]\n[space]\n\
             \"arch.systolic.rows\" = {{ pow2 = [8, 256] }}\n\
             \"arch.systolic.cols\" = {{ pow2 = [8, 256] }}\n\
             \"arch.systolic.dataflow\" = [\"os\", \"ws\", \"is\"]\n\
             \"arch.systolic.ifmap_sram_kib\" = {{ pow2 = [16, 2048] }}\n\
             \"arch.systolic.filter_sram_kib\" = {{ pow2 = [16, 2048] }}\n\
             \"arch.systolic.ofmap_sram_kib\" = {{ pow2 = [16, 2048] }}\n\
             \"arch.systolic.dram_bandwidth_gbps\" = {{ real = [1.0, 100.0], log = true }}\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let spec = SweepSpec::load(&file).unwrap();
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    let mut run = 0;
    group.bench_function("resnet18_random_10000", |b| {
        b.iter(|| {
            run += 1;
            let opts = SweepOptions {
                out: dir.path().join(format!("run{run}")),
                resume: false,
                jobs: rayon::current_num_threads(),
                shard: None,
            };
            sweep::run(&spec, &opts, &AtomicBool::new(false), &mut |_| {}).unwrap()
        })
    });
    group.finish();
}

fn searcher_overhead(c: &mut Criterion) {
    let problem = TestProblem::new(TestFunction::Zdt1);
    let mut group = c.benchmark_group("searcher_zdt1_300");
    group.sample_size(10);
    for name in search::NAMES {
        group.bench_function(*name, |b| {
            b.iter(|| {
                let mut s = search::build(name, 0, 2, 300).unwrap();
                let mut done = 0;
                while done < 300 {
                    let pts = s.ask(problem.space(), 20.min(300 - done));
                    if pts.is_empty() {
                        break;
                    }
                    done += pts.len();
                    let evals: Vec<_> = pts.iter().map(|p| problem.evaluate(p).unwrap()).collect();
                    s.tell(&evals);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, resnet18_random_10k, searcher_overhead);
criterion_main!(benches);
