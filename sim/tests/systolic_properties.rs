//! Property tests of the systolic model: the closed-form memory model equals the fold-by-fold
//! reference exactly, and resources are monotone (more bandwidth or SRAM never costs cycles or
//! traffic; cycles never beat the MAC bound).

use accel_sim::arch::systolic::mapping::FoldPlan;
use accel_sim::arch::systolic::traffic::MemoryParams;
use accel_sim::arch::systolic::{reference, traffic};
use accel_sim::config::{Dataflow, Mode, SystolicConfig};
use accel_sim::memory::Dram;
use accel_sim::workload::{Conv2d, GemmShape, Layer, Op, OutputRule};
use accel_sim::{Accelerator, ArchConfig, ArchFile};
use proptest::prelude::*;
use std::path::Path;

fn dataflow() -> impl Strategy<Value = Dataflow> {
    prop_oneof![Just(Dataflow::Os), Just(Dataflow::Ws), Just(Dataflow::Is)]
}

/// A GEMM with a possibly overlapping (conv-like) left operand.
fn gemm() -> impl Strategy<Value = GemmShape> {
    (1u64..50, 1u64..40, 1u64..50, 1u64..4, 1u64..=100).prop_map(|(m, n, k, groups, pct)| {
        GemmShape {
            m,
            n,
            k,
            groups,
            ifmap_elems: (m * k * pct).div_ceil(100),
        }
    })
}

fn memory() -> impl Strategy<Value = MemoryParams> {
    (
        1u64..3000,
        1u64..3000,
        1u64..3000,
        prop_oneof![Just(4u64), Just(8), Just(16)],
        prop_oneof![Just(16u64), Just(32)],
        prop_oneof![Just(0.3f64), Just(1.0), Just(3.7), Just(16.0), Just(1e6)],
    )
        .prop_map(|(i, f, o, op, acc, bpc)| MemoryParams {
            ifmap_bytes: i,
            filter_bytes: f,
            ofmap_bytes: o,
            operand_bits: op,
            acc_bits: acc.max(op),
            dram: Dram {
                bytes_per_cycle: bpc,
            },
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn fast_model_equals_fold_by_fold_reference(
        df in dataflow(), rows in 1u64..12, cols in 1u64..12, g in gemm(), mem in memory()
    ) {
        let plan = FoldPlan::new(df, rows, cols, &g);
        let fast = traffic::simulate_gemm(&plan, &g, &mem);
        let exact = reference::simulate_gemm(&plan, &g, &mem);
        prop_assert_eq!(fast, exact);
    }

    #[test]
    fn more_bandwidth_never_adds_cycles(
        df in dataflow(), rows in 1u64..12, cols in 1u64..12, g in gemm(), mem in memory(),
        factor in 1.0f64..8.0
    ) {
        let plan = FoldPlan::new(df, rows, cols, &g);
        let slow = traffic::simulate_gemm(&plan, &g, &mem);
        let mut wide = mem;
        wide.dram.bytes_per_cycle *= factor;
        let fast = traffic::simulate_gemm(&plan, &g, &wide);
        prop_assert!(fast.total_cycles <= slow.total_cycles);
        prop_assert_eq!(fast.traffic, slow.traffic);
    }

    #[test]
    fn more_sram_never_adds_cycles_or_traffic(
        df in dataflow(), rows in 1u64..12, cols in 1u64..12, g in gemm(), mem in memory(),
        extra in (0u64..3000, 0u64..3000, 0u64..3000)
    ) {
        let plan = FoldPlan::new(df, rows, cols, &g);
        let small = traffic::simulate_gemm(&plan, &g, &mem);
        let mut big = mem;
        big.ifmap_bytes += extra.0;
        big.filter_bytes += extra.1;
        big.ofmap_bytes += extra.2;
        let large = traffic::simulate_gemm(&plan, &g, &big);
        prop_assert!(large.total_cycles <= small.total_cycles);
        prop_assert!(large.traffic.read_bytes() <= small.traffic.read_bytes());
        prop_assert!(large.traffic.write_bytes <= small.traffic.write_bytes);
    }

    #[test]
    fn cycles_never_beat_the_mac_bound(
        df in dataflow(), rows in 1u64..12, cols in 1u64..12, g in gemm(), mem in memory()
    ) {
        let plan = FoldPlan::new(df, rows, cols, &g);
        let r = traffic::simulate_gemm(&plan, &g, &mem);
        prop_assert!(r.compute_cycles * rows * cols >= g.macs());
        prop_assert!(r.total_cycles >= r.compute_cycles);
    }
}

fn array(
    df: Dataflow,
    rows: u32,
    cols: u32,
    kib: f64,
    gbps: f64,
    mode: Mode,
) -> Box<dyn Accelerator> {
    let mut c = SystolicConfig::new(rows, cols, df);
    c.ifmap_sram_kib = kib;
    c.filter_sram_kib = kib;
    c.ofmap_sram_kib = kib;
    c.dram_bandwidth_gbps = gbps;
    ArchFile {
        name: Some("t".into()),
        arch: ArchConfig::Systolic(c),
    }
    .build(Path::new("test.toml"), mode)
    .expect("valid config")
}

#[test]
fn reference_mode_matches_fast_mode_on_real_conv_layers() {
    // Small-SRAM, low-bandwidth arrays so spills and stalls happen; grouped (depthwise) and
    // dense convs with padding and stride.
    let convs = [
        (28, 16, 32, 3, 1, 1, 1),
        (14, 32, 32, 3, 2, 1, 32),
        (7, 64, 96, 1, 1, 0, 1),
        (15, 8, 24, 5, 2, 2, 4),
    ];
    for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
        for &(hw, ci, co, r, s, p, groups) in &convs {
            let layer = Layer {
                name: "c".into(),
                op: Op::Conv2d(Conv2d {
                    batch: 2,
                    in_h: hw,
                    in_w: hw,
                    in_channels: ci,
                    out_channels: co,
                    kernel_h: r,
                    kernel_w: r,
                    stride_h: s,
                    stride_w: s,
                    pad_h: p,
                    pad_w: p,
                    dilation_h: 1,
                    dilation_w: 1,
                    groups,
                    output_rule: OutputRule::Floor,
                }),
                count: 3,
                precision: None,
            };
            let fast = array(df, 8, 16, 2.0, 2.0, Mode::Fast)
                .simulate_layer(&layer)
                .unwrap();
            let exact = array(df, 8, 16, 2.0, 2.0, Mode::Reference)
                .simulate_layer(&layer)
                .unwrap();
            assert_eq!(
                fast, exact,
                "{df:?} {hw}x{hw}x{ci}->{co} k{r} s{s} g{groups}"
            );
            assert!(fast.stall_cycles > 0, "the case should stall: {fast:?}");
        }
    }
}
