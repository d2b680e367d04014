//! How a GEMM maps onto a systolic array: folds, per-fold cycles and SRAM accesses, exactly as
//! SCALE-Sim 3.0.0 computes them (`scalesim/compute/systolic_compute_{os,ws,is}.py`).
//!
//! A GEMM `[m x k] * [k x n]` has a spatial-row extent `sr`, a spatial-column extent `sc` and a
//! temporal extent `t` that depend on the dataflow (SCALE-Sim paper, Samajdar et al. ISPASS
//! 2020, Table I):
//!
//! | dataflow | sr | sc | t |
//! |----------|----|----|---|
//! | os       | m  | n  | k |
//! | ws       | k  | n  | m |
//! | is       | k  | m  | n |
//!
//! The array runs `ceil(sr/R) * ceil(sc/C)` folds back to back, column folds outer and row folds
//! inner. A fold takes `t + R + C - 2` cycles in OS (operands skewed in over `R` and `C`, `t`
//! reduction steps) and `2R + C + t - 2` in WS and IS (`R` extra cycles to load the stationary
//! operand). SCALE-Sim's report prints the total minus one (its last trace row index).

use crate::config::Dataflow;
use crate::stats::SramAccesses;
use crate::workload::GemmShape;

/// The fold loop nest of one GEMM group on an `rows x cols` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldPlan {
    /// Dataflow.
    pub dataflow: Dataflow,
    /// Array rows `R`.
    pub rows: u64,
    /// Array columns `C`.
    pub cols: u64,
    /// GEMM rows.
    pub m: u64,
    /// GEMM columns.
    pub n: u64,
    /// GEMM reduction.
    pub k: u64,
    /// Spatial extent mapped on rows.
    pub sr: u64,
    /// Spatial extent mapped on columns.
    pub sc: u64,
    /// Temporal extent.
    pub t: u64,
}

impl FoldPlan {
    /// Maps `g` (one group) onto the array.
    pub fn new(dataflow: Dataflow, rows: u64, cols: u64, g: &GemmShape) -> Self {
        let (sr, sc, t) = match dataflow {
            Dataflow::Os => (g.m, g.n, g.k),
            Dataflow::Ws => (g.k, g.n, g.m),
            Dataflow::Is => (g.k, g.m, g.n),
        };
        FoldPlan {
            dataflow,
            rows,
            cols,
            m: g.m,
            n: g.n,
            k: g.k,
            sr,
            sc,
            t,
        }
    }

    /// Inner loop trip count: row folds.
    pub fn row_folds(&self) -> u64 {
        self.sr.div_ceil(self.rows)
    }

    /// Outer loop trip count: column folds.
    pub fn col_folds(&self) -> u64 {
        self.sc.div_ceil(self.cols)
    }

    /// Folds of one group.
    pub fn folds(&self) -> u64 {
        self.row_folds() * self.col_folds()
    }

    /// Rows used in row fold `i` (the last one may be partial).
    pub fn rows_used(&self, i: u64) -> u64 {
        self.rows.min(self.sr - i * self.rows)
    }

    /// Columns used in column fold `o`.
    pub fn cols_used(&self, o: u64) -> u64 {
        self.cols.min(self.sc - o * self.cols)
    }

    /// Cycles of one fold, pipeline fill and drain included.
    pub fn cycles_per_fold(&self) -> u64 {
        match self.dataflow {
            Dataflow::Os => self.t + self.rows + self.cols - 2,
            Dataflow::Ws | Dataflow::Is => 2 * self.rows + self.cols + self.t - 2,
        }
    }

    /// Compute cycles of one group: folds back to back.
    pub fn compute_cycles(&self) -> u64 {
        self.folds() * self.cycles_per_fold()
    }

    /// Buffer accesses of one group, in operand values, as SCALE-Sim counts them, except
    /// that OS ofmap writes are the true `m * n` (SCALE-Sim adds `R + C` per fold, see
    /// [`FoldPlan::scalesim_ofmap_write_overcount`]). `ofmap_reads` (not in SCALE-Sim) are the
    /// partial sums read back to accumulate across row folds in WS/IS.
    pub fn sram_accesses(&self) -> SramAccesses {
        let (m, n, k) = (self.m, self.n, self.k);
        let (rf, cf) = (self.row_folds(), self.col_folds());
        match self.dataflow {
            // Each fold streams its m-rows x k ifmap and k x n-cols filter slices.
            Dataflow::Os => SramAccesses {
                ifmap_reads: cf * m * k,
                filter_reads: rf * k * n,
                ofmap_writes: m * n,
                ofmap_reads: 0,
            },
            // Each ifmap column slice streams once per column fold; each weight loads once;
            // every row fold writes an m x cols partial-sum slice.
            Dataflow::Ws => SramAccesses {
                ifmap_reads: cf * m * k,
                filter_reads: k * n,
                ofmap_writes: rf * m * n,
                ofmap_reads: (rf - 1) * m * n,
            },
            Dataflow::Is => SramAccesses {
                ifmap_reads: m * k,
                filter_reads: cf * k * n,
                ofmap_writes: rf * m * n,
                ofmap_reads: (rf - 1) * m * n,
            },
        }
    }

    /// What SCALE-Sim 3.0.0 adds to OS ofmap writes: it counts the padded, flipped demand
    /// tile's `shape[0] + shape[1]` once per fold (`systolic_compute_os.py`,
    /// `create_ofmap_demand_mat`), a bookkeeping artefact, not a write.
    pub fn scalesim_ofmap_write_overcount(&self) -> u64 {
        match self.dataflow {
            Dataflow::Os => self.folds() * (self.rows + self.cols),
            Dataflow::Ws | Dataflow::Is => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(df: Dataflow, r: u64, c: u64, m: u64, n: u64, k: u64) -> FoldPlan {
        FoldPlan::new(df, r, c, &GemmShape::dense(m, n, k, 1))
    }

    #[test]
    fn ws_folds_and_cycles() {
        // 32x32 WS, GEMM m=1024, n=1024, k=64 (gpt2 QKT): sr=k=64 -> 2 row folds,
        // sc=n=1024 -> 32 col folds; per fold 2*32+32+1024-2 = 1118; total 64*1118 = 71552.
        let p = plan(Dataflow::Ws, 32, 32, 1024, 1024, 64);
        assert_eq!(p.folds(), 64);
        assert_eq!(p.cycles_per_fold(), 1118);
        assert_eq!(p.compute_cycles(), 71_552);
    }

    #[test]
    fn os_counts_partial_folds() {
        // 8x16 OS, m=20, n=17, k=5: row folds ceil(20/8)=3, col folds ceil(17/16)=2;
        // last row fold uses 4 rows, last col fold 1 column; per fold 5+8+16-2 = 27.
        let p = plan(Dataflow::Os, 8, 16, 20, 17, 5);
        assert_eq!((p.row_folds(), p.col_folds()), (3, 2));
        assert_eq!((p.rows_used(2), p.cols_used(1)), (4, 1));
        assert_eq!(p.compute_cycles(), 6 * 27);
        // ifmap 2*20*5 = 200, filter 3*5*17 = 255, ofmap 20*17 = 340 (+6*(8+16) in SCALE-Sim).
        let s = p.sram_accesses();
        assert_eq!(
            (s.ifmap_reads, s.filter_reads, s.ofmap_writes),
            (200, 255, 340)
        );
        assert_eq!(p.scalesim_ofmap_write_overcount(), 144);
    }

    #[test]
    fn is_maps_m_on_columns() {
        // 16x8 IS, m=10, n=3, k=40: sr=k=40 -> 3 row folds, sc=m=10 -> 2 col folds, t=n=3;
        // per fold 2*16+8+3-2 = 41. ifmap reads m*k = 400, filter 2*40*3 = 240,
        // ofmap writes 3*10*3 = 90, partial-sum reads 2*30 = 60.
        let p = plan(Dataflow::Is, 16, 8, 10, 3, 40);
        assert_eq!(p.compute_cycles(), 6 * 41);
        let s = p.sram_accesses();
        assert_eq!(
            (s.ifmap_reads, s.filter_reads, s.ofmap_writes, s.ofmap_reads),
            (400, 240, 90, 60)
        );
    }
}
