//! GEMMs and implicit-GEMM convolutions: the tile mapper's best plan (tiled mode) or the
//! ideal roofline, turned into a [`Cost`].

use super::tiling::{best_plan, GemmProblem};
use super::{Cost, Machine};

/// Below this many output columns or reduction steps a GEMM (a depthwise convolution, a
/// 1-column product) wastes most of an MMA tile; libraries run it on the CUDA cores.
pub const MIN_MMA_EXTENT: u64 = 8;

/// Distinct operand bytes (A and B read once) and output bytes.
fn unique_bytes(p: &GemmProblem) -> (f64, f64) {
    let reads = p.groups as f64 * (p.a_elems + p.k * p.n) as f64 * p.operand_bytes;
    let writes = (p.groups * p.m * p.n) as f64 * p.out_bytes;
    (reads, writes)
}

/// Ideal roofline: `max(MACs / peak, bytes / bandwidth)`, each operand moved once.
pub fn roofline(machine: &Machine, p: &GemmProblem) -> Cost {
    let macs = (p.groups * p.m * p.n * p.k) as f64;
    let compute_s = macs / (p.macs_per_sm_clock * machine.sms as f64 * machine.clock_hz);
    let (reads, writes) = unique_bytes(p);
    let dram_s = (reads + writes) / machine.dram_bytes_per_s;
    Cost {
        time_s: compute_s.max(dram_s),
        busy_s: compute_s,
        macs,
        executed_macs: macs,
        dram_read_bytes: reads,
        dram_write_bytes: writes,
        a_read_fraction: a_fraction(p),
        ..Cost::default()
    }
}

/// Share of the operand reads that belong to A (for the ifmap/filter split of the report).
fn a_fraction(p: &GemmProblem) -> f64 {
    let a = p.a_elems as f64;
    let b = (p.k * p.n) as f64;
    if a + b == 0.0 {
        0.0
    } else {
        a / (a + b)
    }
}

/// One GEMM kernel as a library runs it: the best tile plan, plus the launch overhead.
/// Narrow products go to the CUDA cores ([`MIN_MMA_EXTENT`]).
pub fn tiled(machine: &Machine, p: &GemmProblem, launch_s: f64) -> Cost {
    let macs = (p.groups * p.m * p.n * p.k) as f64;
    if p.n < MIN_MMA_EXTENT || p.k < MIN_MMA_EXTENT {
        return on_cuda_cores(machine, p, launch_s);
    }
    let Some(plan) = best_plan(machine, p) else {
        // No tile fits the SM (tiny shared memory): fall back to the CUDA cores.
        return on_cuda_cores(machine, p, launch_s);
    };
    Cost {
        time_s: launch_s + plan.time_s,
        busy_s: plan.mainloop_s,
        macs,
        executed_macs: plan.padded_macs,
        dram_read_bytes: plan.dram_read_bytes,
        dram_write_bytes: plan.dram_bytes - plan.dram_read_bytes,
        l2_bytes: plan.l2_bytes,
        smem_bytes: plan.smem_bytes,
        a_read_fraction: a_fraction(p),
        ..Cost::default()
    }
}

/// A narrow GEMM on the CUDA cores: one FMA per lane per clock, streaming its operands.
fn on_cuda_cores(machine: &Machine, p: &GemmProblem, launch_s: f64) -> Cost {
    let macs = (p.groups * p.m * p.n * p.k) as f64;
    let compute_s = macs / machine.vector_ops_per_s;
    let (reads, writes) = unique_bytes(p);
    let dram_s = (reads + writes) / machine.dram_bytes_per_s;
    Cost {
        time_s: launch_s + machine.memory_latency_s + compute_s.max(dram_s),
        busy_s: compute_s,
        macs,
        executed_macs: macs,
        dram_read_bytes: reads,
        dram_write_bytes: writes,
        l2_bytes: reads + writes,
        a_read_fraction: a_fraction(p),
        ..Cost::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::a100_machine;
    use super::super::tiling::tests::fp16;
    use super::*;

    #[test]
    fn roofline_is_the_larger_of_compute_and_bytes() {
        // 8192^3 fp16 on 108 SMs x 1024 MACs x 1.41 GHz = 155.9 TMAC/s: 549.8e9 MACs take
        // 3.526 ms; bytes (3 * 128 MiB = 402.7 MB at 2039 GB/s) take 0.197 ms.
        let m = a100_machine(1.0, 1.0);
        let c = roofline(&m, &fp16(8192, 8192, 8192));
        assert!((c.time_s - 3.526e-3).abs() < 0.002e-3, "{}", c.time_s);
        // GEMV 1 x 8192 x 8192: bytes 134.2 MB / 2039 GB/s = 65.8 us dominate.
        let v = roofline(&m, &fp16(1, 8192, 8192));
        assert!((v.time_s - 65.85e-6).abs() < 0.1e-6, "{}", v.time_s);
    }

    #[test]
    fn tiled_is_never_faster_than_the_roofline() {
        let m = a100_machine(1.0, 1.0);
        for (a, b, k) in [
            (64, 12288, 12288),
            (8192, 512, 512),
            (4096, 4096, 4096),
            (1, 4096, 4096),
        ] {
            let p = fp16(a, b, k);
            assert!(tiled(&m, &p, 0.0).time_s >= roofline(&m, &p).time_s * 0.999);
        }
    }

    #[test]
    fn depthwise_runs_on_cuda_cores() {
        // n = 1 (one filter per channel group): 12544 x 1 x 9 per group, 32 groups.
        let m = a100_machine(1.0, 1.0);
        let mut p = fp16(12544, 1, 9);
        p.groups = 32;
        let c = tiled(&m, &p, 0.0);
        assert_eq!(c.l2_bytes, c.dram_read_bytes + c.dram_write_bytes);
        assert_eq!(c.executed_macs, c.macs);
    }
}
