//! All-reduce cost, two ways.
//!
//! - Ideal ring over the device's links (Patarasuk & Yuan, "Bandwidth optimal all-reduce
//!   algorithms for clusters of workstations", JPDC 2009; NCCL's ring): a reduce-scatter and
//!   an all-gather, each `p - 1` steps moving `bytes / p` per step, so each device sends
//!   `2 (p - 1) / p * bytes` and pays `2 (p - 1)` link latencies.
//! - Measured protocols (`all_reduce` in the config): NCCL picks, per message size, the
//!   protocol (LL for small messages, Simple for large) with the least modelled time, each an
//!   alpha-beta cost `latency + 2 (p - 1) / p * bytes / bus_bandwidth`, the latency measured
//!   on some device count and moved by NCCL's per-step latency for others. A ring's per-step
//!   latency is far below what NCCL achieves end to end (kernel launch, protocol flags,
//!   channel setup): on four NVLink A100s a 16 KB all-reduce takes 17 us, not the 2 x 3 link
//!   hops' few microseconds (measured curve in sim/tests/reference/nccl_a100/).

use crate::config::AllReduceProtocol;

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

/// Seconds to all-reduce `bytes` across `devices` devices with the fastest of `protocols`
/// (each its latency on `devices` + `2 (p - 1) / p * bytes / bus_bandwidth_gbps`); `None`
/// without any.
pub fn protocol_all_reduce_s(
    bytes: f64,
    devices: u64,
    protocols: &[AllReduceProtocol],
) -> Option<f64> {
    if devices <= 1 {
        return Some(0.0);
    }
    let sent = ring_bytes_sent(bytes, devices);
    protocols
        .iter()
        .map(|p| p.latency_s(devices) + sent / (p.bus_bandwidth_gbps * 1e9))
        .reduce(f64::min)
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

    #[test]
    fn fastest_protocol_wins_by_size() {
        let protocols = [
            AllReduceProtocol {
                latency_us: 14.0,
                bus_bandwidth_gbps: 15.0,
                devices: None,
                step_latency_us: 0.0,
            },
            AllReduceProtocol {
                latency_us: 50.0,
                bus_bandwidth_gbps: 202.5,
                devices: None,
                step_latency_us: 0.0,
            },
        ];
        // 4 devices, 16 KiB: 1.5 x 16384 B / 15 GB/s = 1.64 us + 14 us (LL) beats 50.1 us.
        let small = protocol_all_reduce_s(16384.0, 4, &protocols).unwrap();
        assert!((small - 15.638e-6).abs() < 0.01e-6, "{small}");
        // 32 MiB: 1.5 x 33,554,432 / 202.5e9 = 248.5 us + 50 us (Simple).
        let large = protocol_all_reduce_s(33_554_432.0, 4, &protocols).unwrap();
        assert!((large - 298.55e-6).abs() < 0.01e-6, "{large}");
        assert_eq!(protocol_all_reduce_s(1e6, 1, &protocols), Some(0.0));
        assert_eq!(protocol_all_reduce_s(1e6, 4, &[]), None);
    }

    #[test]
    fn measured_latency_moves_by_ring_steps() {
        // Measured on 4 devices (6 ring steps) at 14 us, 0.6 us a step: 2 devices have 2
        // steps (11.6 us), 8 devices 14 steps (18.8 us); without `devices` it stays 14 us.
        let mut ll = AllReduceProtocol {
            latency_us: 14.0,
            bus_bandwidth_gbps: 15.0,
            devices: Some(4),
            step_latency_us: 0.6,
        };
        for (p, us) in [(2, 11.6), (4, 14.0), (8, 18.8)] {
            assert!((ll.latency_s(p) - us * 1e-6).abs() < 1e-12, "{p}");
        }
        ll.devices = None;
        assert!((ll.latency_s(8) - 14e-6).abs() < 1e-12);
    }
}
