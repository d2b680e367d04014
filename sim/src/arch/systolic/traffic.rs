//! The memory model of the systolic array, in closed form over the fold lattice.
//!
//! Microarchitecture: ifmap, filter and ofmap SRAMs, each double buffered, and one DRAM
//! channel. While fold `f` computes, the DMA engine fetches fold `f+1`'s missing tiles and
//! drains fold `f-1`'s outputs; the next fold starts when both the array and the DMA are done.
//! So one fold's phase lasts `max(compute, dram(reads(f+1) + writes(f-1)))`, the first fold's
//! reads are exposed before it (prologue) and the last fold's writes after it (epilogue).
//!
//! Reuse is decided statically per operand, as an accelerator's compiler tiles for a known
//! loop nest: if all the operand's distinct tiles of a group fit its buffer they stay resident,
//! else only the current tile is kept while the loop reuses it. (Plain LRU is not monotone
//! here: a bigger buffer that admits the full tiles lets them evict a small one it used to
//! keep.) The reference model in [`super::reference`] walks that policy tile by tile:
//! - an operand whose tiles change with the inner (row-fold) loop is fetched once if all its
//!   tiles fit in its buffer, else again on every column fold;
//! - an operand whose tile changes only with the outer (column-fold) loop is fetched once per
//!   column fold if that tile fits, else on every fold;
//! - an operand whose tile changes every fold is fetched once in all;
//! - WS and IS accumulate outputs over row folds: the partial-sum tile stays in the ofmap
//!   buffer if it fits (at accumulator width), else it is written out after each fold and read
//!   back before the next (a spill).
//!
//! Fold `(o, i)`'s traffic depends only on whether `o` and `i` are first, last or in between,
//! so sums over each loop need 5 evaluations, whatever the trip count ([`lattice_sum`]).

use super::mapping::FoldPlan;
use crate::config::Dataflow;
use crate::memory::Dram;
use crate::stats::DramTraffic;
use crate::workload::GemmShape;

/// Buffer capacities and data widths the memory model needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryParams {
    /// Ifmap buffer, bytes.
    pub ifmap_bytes: u64,
    /// Filter buffer, bytes.
    pub filter_bytes: u64,
    /// Ofmap buffer, bytes.
    pub ofmap_bytes: u64,
    /// Operand width, bits.
    pub operand_bits: u64,
    /// Accumulator width, bits.
    pub acc_bits: u64,
    /// The DRAM channel.
    pub dram: Dram,
}

/// Cycles and traffic of one GEMM (all its groups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GemmMemory {
    /// Array compute cycles (SCALE-Sim's count plus one).
    pub compute_cycles: u64,
    /// Compute plus exposed DRAM time.
    pub total_cycles: u64,
    /// DRAM bytes by kind.
    pub traffic: DramTraffic,
}

/// Bytes of `elems` values of `bits` each, rounded up.
pub(crate) fn bytes_of(elems: u64, bits: u64) -> u64 {
    (elems * bits).div_ceil(8)
}

/// How an operand's tile varies over the fold loops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Varies {
    /// With the row fold `i` only.
    Inner,
    /// With the column fold `o` only.
    Outer,
    /// With every fold.
    Both,
}

/// DRAM traffic of one fold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FoldTraffic {
    pub ifmap: u64,
    pub filter: u64,
    pub psum_read: u64,
    pub write: u64,
}

impl FoldTraffic {
    pub(crate) fn reads(&self) -> u64 {
        self.ifmap + self.filter + self.psum_read
    }
}

/// One GEMM group's tiles and the reuse decisions that follow from the buffer sizes.
struct Tiling<'a> {
    plan: &'a FoldPlan,
    mem: &'a MemoryParams,
    /// Distinct ifmap values over im2col values (numerator, denominator), at most 1.
    ifmap_ratio: (u64, u64),
    ifmap_varies: Varies,
    filter_varies: Varies,
    /// Whether all of an inner-varying operand's tiles fit its buffer together, so they are
    /// kept and reused.
    ifmap_all_fit: bool,
    filter_all_fit: bool,
}

impl<'a> Tiling<'a> {
    fn new(plan: &'a FoldPlan, g: &GemmShape, mem: &'a MemoryParams) -> Self {
        let (ifmap_varies, filter_varies) = match plan.dataflow {
            Dataflow::Os => (Varies::Inner, Varies::Outer),
            Dataflow::Ws => (Varies::Inner, Varies::Both),
            Dataflow::Is => (Varies::Both, Varies::Inner),
        };
        let mk = (plan.m * plan.k).max(1);
        let mut t = Tiling {
            plan,
            mem,
            ifmap_ratio: (g.ifmap_elems.min(mk), mk),
            ifmap_varies,
            filter_varies,
            ifmap_all_fit: false,
            filter_all_fit: false,
        };
        let i_n = plan.row_folds();
        // Only two tile sizes exist: full row folds and the last, possibly partial, one.
        let kept_fit =
            |tile: &dyn Fn(u64) -> u64, cap: u64| (i_n - 1) * tile(0) + tile(i_n - 1) <= cap;
        t.ifmap_all_fit = kept_fit(&|i| t.ifmap_tile(0, i), mem.ifmap_bytes);
        t.filter_all_fit = kept_fit(&|i| t.filter_tile(0, i), mem.filter_bytes);
        t
    }

    /// Whether column fold `o`'s partial sums (WS/IS) stay in the ofmap buffer.
    fn psum_fits(&self, o: u64) -> bool {
        bytes_of(self.out_elems(o, 0), self.mem.acc_bits) <= self.mem.ofmap_bytes
    }

    /// GEMM extents touched by fold `(o, i)`: (m rows, n cols, k depth).
    fn extents(&self, o: u64, i: u64) -> (u64, u64, u64) {
        let p = self.plan;
        let (ru, cu) = (p.rows_used(i), p.cols_used(o));
        match p.dataflow {
            Dataflow::Os => (ru, cu, p.k),
            Dataflow::Ws => (p.m, cu, ru),
            Dataflow::Is => (cu, p.n, ru),
        }
    }

    fn ifmap_tile(&self, o: u64, i: u64) -> u64 {
        let (m, _, k) = self.extents(o, i);
        let (num, den) = self.ifmap_ratio;
        ((m * k) as u128 * num as u128 * self.mem.operand_bits as u128).div_ceil(den as u128 * 8)
            as u64
    }

    fn filter_tile(&self, o: u64, i: u64) -> u64 {
        let (_, n, k) = self.extents(o, i);
        bytes_of(k * n, self.mem.operand_bits)
    }

    fn out_elems(&self, o: u64, i: u64) -> u64 {
        let (m, n, _) = self.extents(o, i);
        m * n
    }

    /// Bytes fetched for an operand's `tile` at fold `(o, i)`; `all_fit` (inner-varying) and
    /// `cap` (outer-varying) decide its reuse.
    fn fetch(&self, varies: Varies, all_fit: bool, cap: u64, o: u64, i: u64, tile: u64) -> u64 {
        let needed = match varies {
            Varies::Inner => !all_fit || o == 0,
            Varies::Outer => tile > cap || i == 0,
            Varies::Both => true,
        };
        if needed {
            tile
        } else {
            0
        }
    }

    /// DRAM traffic of fold `(o, i)`.
    fn fold(&self, o: u64, i: u64) -> FoldTraffic {
        let mut t = FoldTraffic {
            ifmap: self.fetch(
                self.ifmap_varies,
                self.ifmap_all_fit,
                self.mem.ifmap_bytes,
                o,
                i,
                self.ifmap_tile(o, i),
            ),
            filter: self.fetch(
                self.filter_varies,
                self.filter_all_fit,
                self.mem.filter_bytes,
                o,
                i,
                self.filter_tile(o, i),
            ),
            ..FoldTraffic::default()
        };
        let out = self.out_elems(o, i);
        let last_i = i + 1 == self.plan.row_folds();
        let spills = !self.psum_fits(o);
        if self.plan.dataflow == Dataflow::Os || last_i {
            t.write = bytes_of(out, self.mem.operand_bits);
        } else if spills {
            t.write = bytes_of(out, self.mem.acc_bits);
        }
        if self.plan.dataflow != Dataflow::Os && i > 0 && spills {
            t.psum_read = bytes_of(out, self.mem.acc_bits);
        }
        t
    }
}

/// `sum(f(j) for j in 0..n)` where `f(j)` depends only on whether `j - 1`, `j` and `j + 1`
/// are the first or last index: the middle terms are all equal.
pub(crate) fn lattice_sum(n: u64, mut f: impl FnMut(u64) -> u64) -> u64 {
    if n <= 5 {
        (0..n).map(f).sum()
    } else {
        f(0) + f(1) + (n - 4) * f(2) + f(n - 2) + f(n - 1)
    }
}

/// Cycles and DRAM traffic of `g` on the array described by `plan` and `mem`.
pub fn simulate_gemm(plan: &FoldPlan, g: &GemmShape, mem: &MemoryParams) -> GemmMemory {
    if g.groups == 0 || plan.folds() == 0 {
        return GemmMemory::default();
    }
    let tiling = Tiling::new(plan, g, mem);
    let (o_n, i_n) = (plan.col_folds(), plan.row_folds());
    let cpf = plan.cycles_per_fold();
    let dram = &mem.dram;
    let first = tiling.fold(0, 0);
    let last = tiling.fold(o_n - 1, i_n - 1);

    // Neighbours of fold (o, i) in execution order; across a group boundary the next group's
    // first fold or the previous group's last fold.
    let next = |o: u64, i: u64, has_next: bool| -> u64 {
        if i + 1 < i_n {
            tiling.fold(o, i + 1).reads()
        } else if o + 1 < o_n {
            tiling.fold(o + 1, 0).reads()
        } else if has_next {
            first.reads()
        } else {
            0
        }
    };
    let prev = |o: u64, i: u64, has_prev: bool| -> u64 {
        if i > 0 {
            tiling.fold(o, i - 1).write
        } else if o > 0 {
            tiling.fold(o - 1, i_n - 1).write
        } else if has_prev {
            last.write
        } else {
            0
        }
    };
    let group_cycles = |has_prev: bool, has_next: bool| -> u64 {
        lattice_sum(o_n, |o| {
            lattice_sum(i_n, |i| {
                let dma = dram.transfer_cycles(next(o, i, has_next) + prev(o, i, has_prev));
                cpf.max(dma)
            })
        })
    };
    let phases = if g.groups == 1 {
        group_cycles(false, false)
    } else {
        group_cycles(false, true)
            + (g.groups - 2) * group_cycles(true, true)
            + group_cycles(true, false)
    };
    let total_cycles =
        dram.transfer_cycles(first.reads()) + phases + dram.transfer_cycles(last.write);

    let sum = |pick: fn(&FoldTraffic) -> u64| -> u64 {
        g.groups * lattice_sum(o_n, |o| lattice_sum(i_n, |i| pick(&tiling.fold(o, i))))
    };
    GemmMemory {
        compute_cycles: g.groups * plan.compute_cycles(),
        total_cycles,
        traffic: DramTraffic {
            ifmap_read_bytes: sum(|t| t.ifmap),
            filter_read_bytes: sum(|t| t.filter),
            psum_read_bytes: sum(|t| t.psum_read),
            write_bytes: sum(|t| t.write),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(kib: u64, bytes_per_cycle: f64) -> MemoryParams {
        MemoryParams {
            ifmap_bytes: kib * 1024,
            filter_bytes: kib * 1024,
            ofmap_bytes: kib * 1024,
            operand_bits: 8,
            acc_bits: 32,
            dram: Dram { bytes_per_cycle },
        }
    }

    #[test]
    fn lattice_sum_matches_plain_sum() {
        let f = |j: u64, n: u64| {
            if j == 0 {
                7
            } else if j + 1 == n {
                3
            } else {
                5
            }
        };
        for n in 0..12 {
            let plain: u64 = (0..n).map(|j| f(j, n)).sum();
            assert_eq!(lattice_sum(n, |j| f(j, n)), plain, "n = {n}");
        }
    }

    #[test]
    fn everything_fits_reads_each_operand_once() {
        // 8x8 OS, m=64, n=32, k=16 with 64 KiB buffers: ifmap 64*16 = 1024 B, filter
        // 16*32 = 512 B read once; outputs 64*32 = 2048 B written once.
        let g = GemmShape::dense(64, 32, 16, 1);
        let plan = FoldPlan::new(Dataflow::Os, 8, 8, &g);
        let r = simulate_gemm(&plan, &g, &mem(64, 1e9));
        assert_eq!(r.traffic.ifmap_read_bytes, 1024);
        assert_eq!(r.traffic.filter_read_bytes, 512);
        assert_eq!(r.traffic.write_bytes, 2048);
        // Infinite bandwidth: only the 1-cycle prologue and epilogue are exposed.
        assert_eq!(r.total_cycles, r.compute_cycles + 2);
    }

    #[test]
    fn ifmap_too_big_is_refetched_per_column_fold() {
        // 8x8 OS, m=64, n=32, k=16, 512 B buffers: ifmap (1024 B) does not fit, so each of
        // the 4 column folds refetches it: 4096 B. The filter tile (16*8 = 128 B) fits, so the
        // filter is read once: 512 B.
        let g = GemmShape::dense(64, 32, 16, 1);
        let plan = FoldPlan::new(Dataflow::Os, 8, 8, &g);
        let mut m = mem(1, 1e9);
        m.ifmap_bytes = 512;
        m.filter_bytes = 512;
        let r = simulate_gemm(&plan, &g, &m);
        assert_eq!(r.traffic.ifmap_read_bytes, 4096);
        assert_eq!(r.traffic.filter_read_bytes, 512);
    }

    #[test]
    fn ws_partial_sums_spill_when_ofmap_buffer_is_small() {
        // 4x4 WS, m=100, n=4, k=12: 3 row folds accumulate a 100x4 tile = 1600 B at int32.
        // With a 1 KiB ofmap buffer it spills: writes 2*1600 partial + 400 final,
        // reads back 2*1600.
        let g = GemmShape::dense(100, 4, 12, 1);
        let plan = FoldPlan::new(Dataflow::Ws, 4, 4, &g);
        let mut m = mem(64, 1e9);
        m.ofmap_bytes = 1024;
        let r = simulate_gemm(&plan, &g, &m);
        assert_eq!(r.traffic.write_bytes, 3600);
        assert_eq!(r.traffic.psum_read_bytes, 3200);
        m.ofmap_bytes = 2048;
        let r = simulate_gemm(&plan, &g, &m);
        assert_eq!((r.traffic.write_bytes, r.traffic.psum_read_bytes), (400, 0));
    }

    #[test]
    fn low_bandwidth_stalls_every_fold() {
        // 8x8 WS, m=8, n=8, k=64: 8 row folds of 2*8+8+8-2 = 30 cycles. Each fold needs its
        // 8x8 ifmap slice (64 B) and 8x8 weights (64 B): 128 cycles at 1 B/cycle > 30.
        // prologue 128 + 7 phases of 128 + last phase 30 + epilogue (8x8 outputs, 64 B) 64.
        let g = GemmShape::dense(8, 8, 64, 1);
        let plan = FoldPlan::new(Dataflow::Ws, 8, 8, &g);
        let r = simulate_gemm(&plan, &g, &mem(64, 1.0));
        assert_eq!(r.compute_cycles, 240);
        assert_eq!(r.total_cycles, 128 + 7 * 128 + 30 + 64);
    }
}
