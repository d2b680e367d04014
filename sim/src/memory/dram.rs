//! A DRAM interface of fixed bandwidth.

/// One DRAM channel, in bytes per accelerator cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dram {
    /// Sustained bytes per cycle.
    pub bytes_per_cycle: f64,
}

impl Dram {
    /// A channel of `gbps` GB/s (10^9 B/s) seen from a `clock_mhz` clock.
    pub fn new(gbps: f64, clock_mhz: f64) -> Self {
        Dram {
            bytes_per_cycle: gbps * 1e3 / clock_mhz,
        }
    }

    /// Whole cycles to move `bytes`.
    pub fn transfer_cycles(&self, bytes: u64) -> u64 {
        if bytes == 0 {
            0
        } else {
            (bytes as f64 / self.bytes_per_cycle).ceil() as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_gbps_at_one_ghz_is_ten_bytes_per_cycle() {
        let d = Dram::new(10.0, 1000.0);
        assert!((d.bytes_per_cycle - 10.0).abs() < 1e-12);
        // 95 bytes at 10 B/cycle: ceil(9.5) = 10 cycles.
        assert_eq!(d.transfer_cycles(95), 10);
        assert_eq!(d.transfer_cycles(0), 0);
    }
}
