//! Ring all-reduce over the device's links (Patarasuk & Yuan, "Bandwidth optimal all-reduce
//! algorithms for clusters of workstations", JPDC 2009; NCCL's ring): a reduce-scatter and an
//! all-gather, each `p - 1` steps moving `bytes / p` per step, so each device sends
//! `2 (p - 1) / p * bytes` and pays `2 (p - 1)` link latencies.

/// Seconds to all-reduce `bytes` across `devices` devices, each with `link_bytes_per_s` of
/// send bandwidth (all its links together) and `link_latency_s` per step.
pub fn ring_all_reduce_s(
    bytes: f64,
    devices: u64,
    link_bytes_per_s: f64,
    link_latency_s: f64,
) -> f64 {
    if devices <= 1 {
        return 0.0;
    }
    let p = devices as f64;
    2.0 * (p - 1.0) / p * bytes / link_bytes_per_s + 2.0 * (p - 1.0) * link_latency_s
}

/// Bytes each device sends in a ring all-reduce of `bytes`.
pub fn ring_bytes_sent(bytes: f64, devices: u64) -> f64 {
    if devices <= 1 {
        return 0.0;
    }
    let p = devices as f64;
    2.0 * (p - 1.0) / p * bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_formula_by_hand() {
        // 8 devices, 64 MiB, 300 GB/s, 5 us: 2*7/8 * 67,108,864 / 300e9 = 391.5 us, plus
        // 14 * 5 us = 70 us -> 461.5 us.
        let t = ring_all_reduce_s(67_108_864.0, 8, 300e9, 5e-6);
        assert!((t - 461.47e-6).abs() < 0.1e-6, "{t}");
        assert_eq!(ring_all_reduce_s(1e9, 1, 300e9, 5e-6), 0.0);
        // Two devices: each sends half twice = the whole buffer once.
        assert!((ring_bytes_sent(1000.0, 2) - 1000.0).abs() < 1e-9);
    }
}
