//! The CTA-tile mapper: which output tile each thread block (CTA) computes, how many blocks
//! run at once on an SM, how many rounds the busiest SM needs, and what one candidate costs.
//!
//! A GEMM `C[m x n] = A[m x k] B[k x n]` is cut into `tile_m x tile_n` output tiles; each CTA
//! streams `tile_k`-deep slices of A and B through a `stages`-deep shared-memory ring while the
//! tensor cores accumulate (the CUTLASS multistage main loop, NVIDIA CUTLASS docs,
//! "efficient_gemm.md"). Split-K gives each tile `split_k` CTAs over disjoint K ranges, and
//! their fp32 partials are summed through L2. Every candidate is costed in closed form and the
//! cheapest is chosen, as a library heuristic (cuBLAS, CUTLASS profiler) picks a kernel.

use super::Machine;
use crate::config::MmaScope;

/// Output-tile edges the mapper tries (CUTLASS's SM80 tile sizes span 64..256).
pub const TILE_EDGES: [u64; 3] = [64, 128, 256];
/// Split-K factors tried (only while the grid has fewer than four CTAs per SM).
pub const SPLITS: [u64; 6] = [1, 2, 4, 8, 16, 32];

/// One GEMM as the mapper sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemmProblem {
    /// Output rows.
    pub m: u64,
    /// Output columns.
    pub n: u64,
    /// Reduction depth.
    pub k: u64,
    /// Independent GEMMs (batched matmul) sharing one launch.
    pub groups: u64,
    /// Distinct elements of A per group (`m * k`, less for an implicit-GEMM convolution).
    pub a_elems: u64,
    /// Bytes per operand value.
    pub operand_bytes: f64,
    /// Bytes per output value.
    pub out_bytes: f64,
    /// Bytes per accumulator value.
    pub acc_bytes: f64,
    /// Dense MACs per SM per clock at this precision.
    pub macs_per_sm_clock: f64,
}

/// A CTA tile shape, in elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Rows of C per CTA.
    pub m: u64,
    /// Columns of C per CTA.
    pub n: u64,
    /// K depth of one pipeline stage.
    pub k: u64,
}

impl Tile {
    /// Shared memory one CTA needs: `stages` slices of A (`m x k`) and B (`k x n`), bytes.
    pub fn smem_bytes(&self, stages: u64, operand_bytes: f64) -> f64 {
        (stages * (self.m + self.n) * self.k) as f64 * operand_bytes
    }

    /// Register bytes one CTA needs: the accumulator tile, doubled for operand fragments and
    /// addresses (CUTLASS kernels spend about half the registers on accumulators).
    pub fn register_bytes(&self, acc_bytes: f64) -> f64 {
        2.0 * (self.m * self.n) as f64 * acc_bytes
    }

    /// The C tile one shared-memory read of A and B serves. Per warp, CUTLASS splits a CTA
    /// tile into warps of at most 64 x 64 (2x2 warps for tiles up to 128 x 128, 2x4 or 4x2
    /// for the 256 ones); per warpgroup, `wgmma` covers 64 rows and all the CTA's columns.
    pub fn operand_tile(&self, scope: MmaScope) -> (u64, u64) {
        match scope {
            MmaScope::Warp => ((self.m / 2).min(64), (self.n / 2).min(64)),
            MmaScope::Warpgroup => (self.m.min(64), self.n),
        }
    }
}

/// The K depth of one stage: 128 bytes of each operand row (64 fp16, 128 int8, 32 fp32),
/// the slice width of CUTLASS's SM80 kernels.
pub fn stage_k(operand_bytes: f64) -> u64 {
    ((128.0 / operand_bytes) as u64).max(16)
}

/// How many CTAs of `tile` fit on one SM at once (shared memory and registers), 0 if none.
pub fn resident_ctas(machine: &Machine, tile: &Tile, p: &GemmProblem) -> u64 {
    let by_smem = machine.smem_bytes / tile.smem_bytes(machine.stages, p.operand_bytes);
    let by_regs = machine.register_bytes / tile.register_bytes(p.acc_bytes);
    by_smem.min(by_regs).floor().max(0.0) as u64
}

/// One costed candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TilePlan {
    /// The CTA tile.
    pub tile: Tile,
    /// CTAs per output tile, each over `k / split_k`.
    pub split_k: u64,
    /// CTAs in the grid.
    pub ctas: u64,
    /// CTAs resident on one SM at once.
    pub resident: u64,
    /// CTAs the busiest SM runs (wave quantisation: `ceil(ctas / sms)`).
    pub ctas_per_sm: u64,
    /// Seconds the busiest SM's tensor cores (or shared memory) are busy.
    pub mainloop_s: f64,
    /// Seconds of exposed pipeline fill: one memory latency per round of resident CTAs.
    pub latency_s: f64,
    /// Seconds to stream the CTAs' operand slices (and split-K partials) through L2.
    pub l2_s: f64,
    /// Seconds to move `dram_bytes` at the sustained DRAM bandwidth.
    pub dram_s: f64,
    /// Bytes read from and written to DRAM.
    pub dram_bytes: f64,
    /// Bytes read from DRAM (operands).
    pub dram_read_bytes: f64,
    /// Bytes through L2.
    pub l2_bytes: f64,
    /// Bytes through shared memory (fills and warp reads).
    pub smem_bytes: f64,
    /// MACs the tensor cores execute, padding of edge tiles included.
    pub padded_macs: f64,
    /// Kernel time without the launch overhead, seconds.
    pub time_s: f64,
}

/// Costs one candidate; `None` when the tile does not fit on an SM.
pub fn plan(machine: &Machine, p: &GemmProblem, tile: Tile, split_k: u64) -> Option<TilePlan> {
    let resident = resident_ctas(machine, &tile, p);
    if resident == 0 {
        return None;
    }
    let tiles_m = p.m.div_ceil(tile.m);
    let tiles_n = p.n.div_ceil(tile.n);
    let output_tiles = tiles_m * tiles_n * p.groups;
    let ctas = output_tiles * split_k;
    // The tensor cores step through K in MMA-instruction slices; a split's remainder is
    // predicated off, so each CTA's depth is its share of K.
    let k_cta = p.k.div_ceil(split_k) as f64;
    let ctas_per_sm = ctas.div_ceil(machine.sms);
    let rounds = ctas_per_sm.div_ceil(resident);

    let cta_macs = (tile.m * tile.n) as f64 * k_cta;
    let mma_cycles = cta_macs / (p.macs_per_sm_clock * machine.mma_efficiency);
    // Shared memory: each stage is written once (A and B slices) and read by every warp
    // (or warpgroup).
    let (wm, wn) = tile.operand_tile(machine.mma_scope);
    let fill = (tile.m + tile.n) as f64 * k_cta * p.operand_bytes;
    let warp_reads = cta_macs * p.operand_bytes * (1.0 / wm as f64 + 1.0 / wn as f64);
    let smem_cycles = (fill + warp_reads) / machine.smem_bytes_per_clock;
    let cta_s = mma_cycles.max(smem_cycles) / machine.clock_hz;
    let mainloop_s = ctas_per_sm as f64 * cta_s;
    let latency_s = rounds as f64 * machine.memory_latency_s;

    // L2: every CTA loads its slices; split-K partials are written and read back in fp32.
    let partials = if split_k > 1 {
        2.0 * (output_tiles * split_k * tile.m * tile.n) as f64 * p.acc_bytes
    } else {
        0.0
    };
    let l2_bytes = ctas as f64 * fill + partials;
    let l2_s = l2_bytes / machine.l2_bytes_per_s;

    let dram_read_bytes = dram_reads(machine, p, &tile, tiles_m, tiles_n);
    let writes = (p.groups * p.m * p.n) as f64 * p.out_bytes;
    let dram_bytes = dram_read_bytes + writes;
    let dram_s = dram_bytes / machine.dram_bytes_per_s;

    let time_s = machine.memory_latency_s.max(latency_s)
        + mainloop_s.max(l2_s).max(dram_s)
        + if split_k > 1 {
            machine.memory_latency_s
        } else {
            0.0
        };
    Some(TilePlan {
        tile,
        split_k,
        ctas,
        resident,
        ctas_per_sm,
        mainloop_s,
        latency_s,
        l2_s,
        dram_s,
        dram_bytes,
        dram_read_bytes,
        l2_bytes,
        smem_bytes: ctas as f64 * (fill + warp_reads),
        padded_macs: ctas as f64 * cta_macs,
        time_s,
    })
}

/// Operand bytes read from DRAM. When both operands fit in half the L2 (the rest holds
/// outputs and other streams), or one of them fits in a quarter and stays resident while the
/// other streams past it, each is read once. Otherwise each wave of `sms` concurrent tiles,
/// rasterised as a near-square block of `r x c` tiles, reads its `r` row panels of A and `c`
/// column panels of B; panels shared within a wave hit in L2.
fn dram_reads(machine: &Machine, p: &GemmProblem, tile: &Tile, tiles_m: u64, tiles_n: u64) -> f64 {
    let a = p.a_elems as f64 * p.operand_bytes;
    let b = (p.k * p.n) as f64 * p.operand_bytes;
    let unique = p.groups as f64 * (a + b);
    if unique <= 0.5 * machine.l2_bytes || a.min(b) <= 0.25 * machine.l2_bytes {
        return unique;
    }
    let c = tiles_n
        .min((machine.sms as f64).sqrt().ceil() as u64)
        .max(1);
    let r = tiles_m.min(machine.sms.div_ceil(c)).max(1);
    let waves = (tiles_m * tiles_n).div_ceil(r * c);
    let per_wave =
        ((r * tile.m).min(p.m) + (c * tile.n).min(p.n)) as f64 * p.k as f64 * p.operand_bytes;
    (p.groups as f64 * waves as f64 * per_wave).max(unique)
}

/// The cheapest candidate over tile shapes and split-K factors. Among candidates within
/// 0.1 % of each other the one with less edge padding wins, then the earlier one: larger
/// tiles first, then fewer splits, as libraries prefer.
pub fn best_plan(machine: &Machine, p: &GemmProblem) -> Option<TilePlan> {
    let tk = stage_k(p.operand_bytes);
    let mut best: Option<TilePlan> = None;
    // A tile edge more than twice the matrix edge only adds padding to a smaller tile's
    // work: skip it (decode GEMMs with m = 1 then try only 64-row tiles).
    let useful = |edge: u64, extent: u64| edge == TILE_EDGES[0] || extent > edge / 2;
    for &tm in TILE_EDGES.iter().rev().filter(|&&e| useful(e, p.m)) {
        for &tn in TILE_EDGES.iter().rev().filter(|&&e| useful(e, p.n)) {
            let tile = Tile {
                m: tm,
                n: tn,
                k: tk,
            };
            let output_tiles = p.m.div_ceil(tm) * p.n.div_ceil(tn) * p.groups;
            for &split in &SPLITS {
                // Split only a grid too small to fill the SMs, and only a deep enough K.
                if split > 1 && (output_tiles * split > 4 * machine.sms || p.k / split < 2 * tk) {
                    break;
                }
                let Some(c) = plan(machine, p, tile, split) else {
                    break;
                };
                let better = best.is_none_or(|b| {
                    c.time_s < 0.999 * b.time_s
                        || (c.time_s < 1.001 * b.time_s && c.padded_macs < b.padded_macs)
                });
                if better {
                    best = Some(c);
                }
            }
        }
    }
    best
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An A100-like SM array: 108 SMs at 1 GHz (so cycles read as ns), 1024 fp16 MACs per SM
    /// per clock, 164 KiB shared memory, 256 KiB registers, 3 stages, ideal efficiencies.
    /// An `m x n` CTA tile with fp16's 64-deep stage.
    fn fp16_tile(m: u64, n: u64) -> Tile {
        Tile { m, n, k: 64 }
    }

    fn machine() -> Machine {
        Machine {
            sms: 108,
            clock_hz: 1e9,
            smem_bytes: 164.0 * 1024.0,
            smem_bytes_per_clock: 128.0,
            mma_scope: MmaScope::Warp,
            register_bytes: 256.0 * 1024.0,
            stages: 3,
            l2_bytes: 40.0 * 1024.0 * 1024.0,
            l2_bytes_per_s: 5120e9,
            dram_bytes_per_s: 2000e9,
            memory_latency_s: 0.0,
            mma_efficiency: 1.0,
            vector_lanes_per_sm: 64.0,
            vector_ops_per_s: 64.0 * 108.0 * 1e9,
        }
    }

    /// A dense fp16 product on 1024 MACs per SM per clock (fp32 accumulators).
    pub(crate) fn fp16(m: u64, n: u64, k: u64) -> GemmProblem {
        GemmProblem {
            m,
            n,
            k,
            groups: 1,
            a_elems: m * k,
            operand_bytes: 2.0,
            out_bytes: 2.0,
            acc_bytes: 4.0,
            macs_per_sm_clock: 1024.0,
        }
    }

    #[test]
    fn shared_memory_fit_decides_residency() {
        // fp16, tile_k 64, 3 stages: 256x256 needs 3*(256+256)*64*2 = 196,608 B > 167,936 B
        // (164 KiB): does not fit. 128x256 needs 147,456 B: one CTA (registers would allow
        // 262,144 / (2*128*256*4) = 1). 128x128 needs 98,304 B: one by shared memory, two by
        // registers (262,144 / 131,072) -> 1. 64x64 needs 49,152 B: 3 by shared memory, 8 by
        // registers -> 3.
        let m = machine();
        let p = fp16(4096, 4096, 4096);
        let tk = stage_k(2.0);
        assert_eq!(tk, 64);
        let fit = |tm, tn| {
            resident_ctas(
                &m,
                &Tile {
                    m: tm,
                    n: tn,
                    k: tk,
                },
                &p,
            )
        };
        assert_eq!(fit(256, 256), 0);
        assert_eq!(fit(128, 256), 1);
        assert_eq!(fit(128, 128), 1);
        assert_eq!(fit(64, 64), 3);
        assert!(plan(
            &m,
            &p,
            Tile {
                m: 256,
                n: 256,
                k: tk
            },
            1
        )
        .is_none());
    }

    #[test]
    fn waves_are_quantised_over_the_sms() {
        // m = 2048, n = 12288 with 128x256 tiles: 16 * 48 = 768 CTAs over 108 SMs ->
        // ceil(768/108) = 8 per SM (7.11 of useful work: 89 % efficiency). Each CTA does
        // 128*256*12288 MACs / 1024 per clock = 393,216 cycles; 8 of them at 1 GHz = 3.146 ms.
        let m = machine();
        let p = fp16(2048, 12288, 12288);
        let c = plan(&m, &p, fp16_tile(128, 256), 1).unwrap();
        assert_eq!(c.ctas, 768);
        assert_eq!(c.ctas_per_sm, 8);
        assert!((c.mainloop_s - 8.0 * 393_216e-9).abs() < 1e-12);
        // 108 CTAs exactly fill one wave: m = 128*9 = 1152, n = 256*12 = 3072 -> 1 per SM.
        let full = plan(&m, &fp16(1152, 3072, 4096), fp16_tile(128, 256), 1);
        assert_eq!(full.unwrap().ctas_per_sm, 1);
        // One more row of tiles spills into a second wave: 10 * 12 = 120 CTAs -> 2 per SM.
        let spill = plan(&m, &fp16(1280, 3072, 4096), fp16_tile(128, 256), 1);
        assert_eq!(spill.unwrap().ctas_per_sm, 2);
    }

    #[test]
    fn small_output_with_deep_k_splits_k() {
        // m = n = 256, k = 65536: at most 4 tiles of 128x128 (16 with 64x64), far fewer than
        // 108 SMs, so splitting K is the only way to use the machine. Unsplit, a 128x128 CTA
        // needs 128*128*65536/1024 = 1,048,576 cycles (1.05 ms); 16-way split with 128x128
        // tiles: 4*16 = 64 CTAs, 65,536 cycles each (66 us) plus partials through L2.
        let m = machine();
        let best = best_plan(&m, &fp16(256, 256, 65536)).unwrap();
        assert!(best.split_k >= 8, "split {}", best.split_k);
        assert!(best.time_s < 0.2e-3, "time {}", best.time_s);
        // A large square GEMM fills the SMs on its own: no split.
        let big = best_plan(&m, &fp16(8192, 8192, 8192)).unwrap();
        assert_eq!(big.split_k, 1);
    }

    #[test]
    fn large_gemm_prefers_large_tiles() {
        // 64x64 tiles read (1/32 + 1/32) * 2 B = 0.125 B/MAC from shared memory plus the
        // fill, 0.1875 B/MAC in all: 192 B/clock at 1024 MACs/clock, over the 128 B/clock
        // port. 128x256 tiles need 0.047 + 0.023 B/MAC, well under it.
        let m = machine();
        let best = best_plan(&m, &fp16(8192, 8192, 8192)).unwrap();
        assert!(best.tile.m * best.tile.n >= 128 * 128, "{:?}", best.tile);
        let small = plan(&m, &fp16(8192, 8192, 8192), fp16_tile(64, 64), 1).unwrap();
        assert!(small.mainloop_s > 1.4 * best.mainloop_s);
    }

    #[test]
    fn operands_that_fit_in_l2_are_read_once() {
        // 4096^3 fp16: A and B are 32 MiB each; 64 MiB > 20 MiB (half the L2), so panels are
        // re-read per wave. 1024^3: 2 MiB each, read once: 4 MiB.
        let m = machine();
        let small = fp16(1024, 1024, 1024);
        let c = plan(&m, &small, fp16_tile(128, 128), 1).unwrap();
        assert!((c.dram_read_bytes - 4.0 * 1024.0 * 1024.0).abs() < 1.0);
        let big = fp16(4096, 4096, 4096);
        let c = plan(&m, &big, fp16_tile(128, 128), 1).unwrap();
        assert!(c.dram_read_bytes > 64.0 * 1024.0 * 1024.0);
    }
}
