//! Exact reference of the systolic memory model: walks every fold of every group, derives the
//! operand regions each fold touches from the dataflow's mapping, keeps them in buffers of the
//! configured capacities (all of an operand's tiles if they fit together, else only the current
//! one), tracks partial sums per output region, and runs the double-buffered DMA/array
//! timeline fold by fold.
//!
//! It shares no reuse rule with the closed form in [`super::traffic`]; tests check that both
//! agree exactly on random layers and configs. It is O(folds x buffer tiles): use it to check,
//! not to sweep.

use std::collections::HashMap;

use super::mapping::FoldPlan;
use super::traffic::{bytes_of, GemmMemory, MemoryParams};
use crate::config::Dataflow;
use crate::memory::LruBuffer;
use crate::stats::DramTraffic;
use crate::workload::GemmShape;

/// A rectangle of one group's operand matrix: (group, row range, column range).
type Region = (u64, (u64, u64), (u64, u64));

/// GEMM ranges (rows of `m`, columns of `n`, depth of `k`) fold `(o, i)` touches, from the
/// dataflow's assignment of `m`, `n`, `k` to array rows, array columns and time.
fn fold_ranges(plan: &FoldPlan, o: u64, i: u64) -> [(u64, u64); 3] {
    let sr = (i * plan.rows, i * plan.rows + plan.rows_used(i));
    let sc = (o * plan.cols, o * plan.cols + plan.cols_used(o));
    let t = (0, plan.t);
    match plan.dataflow {
        Dataflow::Os => [sr, sc, t],
        Dataflow::Ws => [t, sc, sr],
        Dataflow::Is => [sc, t, sr],
    }
}

fn len(r: (u64, u64)) -> u64 {
    r.1 - r.0
}

/// A buffer for one operand of one group: if every distinct tile the group touches fits, all
/// stay resident; otherwise only the current tile is kept.
fn operand_buffer(tiles: &[(Region, u64)], capacity: u64) -> LruBuffer<Region> {
    let mut distinct: Vec<(Region, u64)> = Vec::new();
    for t in tiles {
        if !distinct.iter().any(|d| d.0 == t.0) {
            distinct.push(*t);
        }
    }
    if distinct.iter().map(|d| d.1).sum::<u64>() <= capacity {
        LruBuffer::new(capacity)
    } else {
        LruBuffer::with_max_tiles(capacity, 1)
    }
}

/// Cycles and DRAM traffic of `g`, fold by fold.
pub fn simulate_gemm(plan: &FoldPlan, g: &GemmShape, mem: &MemoryParams) -> GemmMemory {
    let mut traffic = DramTraffic::default();
    // (bytes read before the fold, bytes written after it) per fold, in execution order.
    let mut folds: Vec<(u64, u64)> = Vec::new();
    let mk = (plan.m * plan.k).max(1);
    let unique = g.ifmap_elems.min(mk);
    let ifmap_bytes = |m: (u64, u64), k: (u64, u64)| {
        ((len(m) * len(k)) as u128 * unique as u128 * mem.operand_bits as u128)
            .div_ceil(mk as u128 * 8) as u64
    };
    let order: Vec<(u64, u64)> = (0..plan.col_folds())
        .flat_map(|o| (0..plan.row_folds()).map(move |i| (o, i)))
        .collect();

    for group in 0..g.groups {
        // The tiles each fold reads: ifmap (m x k region) and filter (k x n region).
        let tiles: Vec<((Region, u64), (Region, u64))> = order
            .iter()
            .map(|&(o, i)| {
                let [m, n, k] = fold_ranges(plan, o, i);
                (
                    ((group, m, k), ifmap_bytes(m, k)),
                    ((group, k, n), bytes_of(len(k) * len(n), mem.operand_bits)),
                )
            })
            .collect();
        let ifmap_tiles: Vec<_> = tiles.iter().map(|t| t.0).collect();
        let filter_tiles: Vec<_> = tiles.iter().map(|t| t.1).collect();
        let mut ifmap_buf = operand_buffer(&ifmap_tiles, mem.ifmap_bytes);
        let mut filter_buf = operand_buffer(&filter_tiles, mem.filter_bytes);
        let mut ofmap_buf = LruBuffer::<Region>::new(mem.ofmap_bytes);
        // Reduction depth accumulated so far per output region.
        let mut depth_done: HashMap<Region, u64> = HashMap::new();

        for (&(o, i), (ifmap_tile, filter_tile)) in order.iter().zip(&tiles) {
            let ifmap = ifmap_buf.access(ifmap_tile.0, ifmap_tile.1);
            let filter = filter_buf.access(filter_tile.0, filter_tile.1);

            let [m, n, k] = fold_ranges(plan, o, i);
            let out: Region = (group, m, n);
            let out_elems = len(m) * len(n);
            let acc_bytes = bytes_of(out_elems, mem.acc_bits);
            let done = depth_done.entry(out).or_insert(0);
            let psum_read = if *done > 0 && !ofmap_buf.contains(&out) {
                acc_bytes
            } else {
                0
            };
            *done += len(k);
            let write = if *done == plan.k {
                ofmap_buf.remove(&out);
                bytes_of(out_elems, mem.operand_bits)
            } else {
                // Partial sums stay on chip if they fit, else they spill.
                ofmap_buf.access(out, acc_bytes);
                if ofmap_buf.contains(&out) {
                    0
                } else {
                    acc_bytes
                }
            };
            traffic.ifmap_read_bytes += ifmap;
            traffic.filter_read_bytes += filter;
            traffic.psum_read_bytes += psum_read;
            traffic.write_bytes += write;
            folds.push((ifmap + filter + psum_read, write));
        }
    }

    // Timeline: fold f+1's fetch and fold f-1's drain share the DRAM channel while fold f
    // computes; fold f+1 starts when both the array and the channel are free.
    let cpf = plan.cycles_per_fold();
    let dram = &mem.dram;
    let mut now = folds.first().map_or(0, |f| dram.transfer_cycles(f.0));
    for f in 0..folds.len() {
        let fetch_next = folds.get(f + 1).map_or(0, |x| x.0);
        let drain_prev = if f > 0 { folds[f - 1].1 } else { 0 };
        let array_done = now + cpf;
        let dma_done = now + dram.transfer_cycles(fetch_next + drain_prev);
        now = array_done.max(dma_done);
    }
    now += folds.last().map_or(0, |f| dram.transfer_cycles(f.1));

    GemmMemory {
        compute_cycles: folds.len() as u64 * cpf,
        total_cycles: now,
        traffic,
    }
}
