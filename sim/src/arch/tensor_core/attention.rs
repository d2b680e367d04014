//! Attention as one fused kernel, FlashAttention style (Dao, FlashAttention-2, ICLR 2024):
//! each CTA keeps a block of query rows on chip and streams K and V blocks through shared
//! memory, so the score matrix never reaches DRAM. DRAM moves Q and O once and each key/value
//! head's K and V once (the query blocks of a head share them through L2).
//!
//! The same formula covers prefill and decode. In decode (a few query rows) the query heads
//! of one key/value group are packed into one block (FlashDecoding / FlashInfer) and the
//! key/value length is split across CTAs until the SMs are busy; the kernel then streams
//! `batch * kv_heads * seq_kv * head_dim * 2` values of K and V and is bandwidth-bound.

use crate::workload::Attention;

use super::{Cost, Machine};

/// Query rows per CTA (FlashAttention-2's block for head_dim <= 128 on SM80).
pub const QUERY_BLOCK: u64 = 128;
/// Key/value rows a split must keep at least (smaller splits cost more to combine).
pub const MIN_KV_SPLIT: u64 = 256;
/// Vector operations per score for the online softmax (max, subtract, exp, sum, rescale).
pub const SOFTMAX_OPS: f64 = 5.0;

/// Element counts of one attention call.
struct Shape {
    /// Query rows of one key/value group (query heads of the group packed together).
    group_rows: u64,
    /// Score columns actually computed per query row (half plus diagonal when causal).
    kv_eff: u64,
    /// DRAM values read: Q, K, V.
    read_values: f64,
    /// DRAM values written: O.
    write_values: f64,
    /// Useful MACs: `Q K^T` and `P V`.
    macs: f64,
    /// Scores computed.
    scores: f64,
}

fn shape(a: &Attention) -> Shape {
    let kv_heads = a.kv_heads.clamp(1, a.heads.max(1));
    let group = a.heads.div_ceil(kv_heads);
    let [qk, _] = a.gemms();
    let kv_eff = qk.n;
    let q_values = (a.batch * a.heads * a.seq_q * a.head_dim) as f64;
    let kv_values = (2 * a.batch * kv_heads * a.seq_kv * a.head_dim) as f64;
    let scores = (a.batch * a.heads * a.seq_q * kv_eff) as f64;
    Shape {
        group_rows: a.seq_q * group,
        kv_eff,
        read_values: q_values + kv_values,
        write_values: q_values,
        macs: 2.0 * scores * a.head_dim as f64,
        scores,
    }
}

/// Ideal roofline: MACs at the tensor-core peak, Q, K, V and O moved once.
pub fn roofline(
    machine: &Machine,
    a: &Attention,
    operand_bytes: f64,
    macs_per_sm_clock: f64,
) -> Cost {
    let s = shape(a);
    let compute_s = s.macs / (macs_per_sm_clock * machine.sms as f64 * machine.clock_hz);
    let bytes = (s.read_values + s.write_values) * operand_bytes;
    Cost {
        time_s: compute_s.max(bytes / machine.dram_bytes_per_s),
        busy_s: compute_s,
        macs: s.macs,
        executed_macs: s.macs,
        dram_read_bytes: s.read_values * operand_bytes,
        dram_write_bytes: s.write_values * operand_bytes,
        a_read_fraction: 1.0,
        ..Cost::default()
    }
}

/// The fused kernel: CTAs of [`QUERY_BLOCK`] query rows (padded to the MMA row count),
/// wave-quantised over the SMs; per CTA the MMAs and the softmax run one after the other,
/// as they do in FlashAttention-2 (Shah et al., FlashAttention-3, 2024, Sec. 3.1: FA2 does
/// not overlap the softmax with the GEMMs).
pub fn tiled(
    machine: &Machine,
    a: &Attention,
    operand_bytes: f64,
    macs_per_sm_clock: f64,
    mma_m: u64,
    launch_s: f64,
) -> Cost {
    let s = shape(a);
    if s.macs == 0.0 {
        return Cost::default();
    }
    let kv_heads = a.kv_heads.clamp(1, a.heads.max(1));
    let rows = s.group_rows.min(QUERY_BLOCK).div_ceil(mma_m) * mma_m;
    let blocks = a.batch * kv_heads * s.group_rows.div_ceil(rows);
    // Split the key/value length while the grid is smaller than the machine.
    let split = if blocks >= machine.sms {
        1
    } else {
        (machine.sms / blocks).min(s.kv_eff / MIN_KV_SPLIT).max(1)
    };
    let ctas = blocks * split;
    let kv_cta = s.kv_eff.div_ceil(split) as f64;
    let cta_macs = 2.0 * rows as f64 * kv_cta * a.head_dim as f64;
    let mma_cycles = cta_macs / (macs_per_sm_clock * machine.mma_efficiency);
    let vector_cycles = rows as f64 * kv_cta * SOFTMAX_OPS / machine.vector_lanes_per_sm;
    let cta_s = (mma_cycles + vector_cycles) / machine.clock_hz;
    let ctas_per_sm = ctas.div_ceil(machine.sms);
    let compute_s = ctas_per_sm as f64 * cta_s;

    // Each CTA reads its K and V slices (and Q block) through L2; splits write fp32
    // partial outputs that a second pass combines.
    let kv_l2 = ctas as f64 * 2.0 * kv_cta * a.head_dim as f64 * operand_bytes;
    let partials = if split > 1 {
        2.0 * (ctas * rows * a.head_dim) as f64 * 4.0
    } else {
        0.0
    };
    let l2_bytes = kv_l2 + s.read_values * operand_bytes + partials;
    let l2_s = l2_bytes / machine.l2_bytes_per_s;
    let read = s.read_values * operand_bytes;
    let write = s.write_values * operand_bytes;
    let dram_s = (read + write) / machine.dram_bytes_per_s;
    let combine_s = if split > 1 {
        launch_s + machine.memory_latency_s
    } else {
        0.0
    };
    let executed = ctas as f64 * cta_macs;
    Cost {
        time_s: launch_s + machine.memory_latency_s + compute_s.max(l2_s).max(dram_s) + combine_s,
        busy_s: compute_s,
        macs: s.macs,
        executed_macs: executed,
        dram_read_bytes: read,
        dram_write_bytes: write,
        l2_bytes,
        smem_bytes: kv_l2 + executed / rows as f64 * operand_bytes,
        vector_ops: s.scores * SOFTMAX_OPS,
        a_read_fraction: 1.0,
        ..Cost::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::a100_machine;
    use super::*;

    fn attention(batch: u64, seq_q: u64, seq_kv: u64, causal: bool) -> Attention {
        Attention {
            batch,
            heads: 32,
            kv_heads: 32,
            seq_q,
            seq_kv,
            head_dim: 128,
            causal,
        }
    }

    #[test]
    fn decode_is_bound_by_the_kv_cache() {
        // One token, batch 8, 32 heads, 4096 context, head_dim 128, fp16: K and V are
        // 8*32*4096*128*2 values * 2 B = 536.9 MB; at 2039 * 0.88 GB/s that is 299 us.
        let m = a100_machine(0.93, 0.88);
        let c = tiled(&m, &attention(8, 1, 4096, false), 2.0, 1024.0, 16, 0.0);
        let kv = 8.0 * 32.0 * 4096.0 * 128.0 * 2.0 * 2.0;
        assert!((c.dram_read_bytes - kv).abs() / kv < 0.001);
        let bound = c.dram_read_bytes / (2039e9 * 0.88);
        assert!(
            c.time_s >= bound && c.time_s < 1.05 * bound,
            "{} vs {}",
            c.time_s,
            bound
        );
    }

    #[test]
    fn gqa_reads_fewer_kv_bytes() {
        // 8 KV heads for 32 query heads: a quarter of the K/V bytes.
        let m = a100_machine(0.93, 0.88);
        let mha = tiled(&m, &attention(8, 1, 4096, false), 2.0, 1024.0, 16, 0.0);
        let mut a = attention(8, 1, 4096, false);
        a.kv_heads = 8;
        let gqa = tiled(&m, &a, 2.0, 1024.0, 16, 0.0);
        assert!(gqa.time_s < 0.3 * mha.time_s);
    }

    #[test]
    fn causal_prefill_about_halves_the_work() {
        // 4096 tokens, batch 1: compute-bound; the causal triangle does (4096+1)/2/4096 of
        // the square's MACs.
        let m = a100_machine(0.93, 0.88);
        let full = tiled(&m, &attention(1, 4096, 4096, false), 2.0, 1024.0, 16, 0.0);
        let causal = tiled(&m, &attention(1, 4096, 4096, true), 2.0, 1024.0, 16, 0.0);
        let ratio = causal.time_s / full.time_s;
        assert!((0.45..0.56).contains(&ratio), "{ratio}");
        // The full square reaches 50-73 % of the peak, the range FlashAttention-2 reports on
        // A100 (Dao, ICLR 2024, abstract).
        let flops = 2.0 * full.macs / full.time_s;
        println!(
            "attention prefill at {:.1} % of peak",
            100.0 * flops / 312e12
        );
        assert!(
            (0.5..0.73).contains(&(flops / 312e12)),
            "{}",
            flops / 312e12
        );
    }
}
