//! Timing and organisation in the units the engine uses: whole command-clock cycles (tCK).

use super::config::{DramPimConfig, Placement};

/// Every timing constraint in tCK cycles (ns values rounded up, as a controller must).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// ACT to column command.
    pub rcd: u64,
    /// PRE to ACT.
    pub rp: u64,
    /// ACT to PRE.
    pub ras: u64,
    /// Column to column, different bank groups (host reads and writes).
    pub ccd_s: u64,
    /// Spacing of all-bank MAC commands: max(tCCD_L, power limit, PU compute per command).
    pub mac_interval: u64,
    /// Spacing of all-bank ACTs: a four-activate window per 4 banks opened (0 if exempt).
    pub act_interval: u64,
    /// Refresh duration.
    pub rfc: u64,
    /// Refresh interval.
    pub refi: u64,
}

/// Cycles covering `ns` at a `tck_ns` clock (a thousandth of a cycle of tolerance absorbs
/// tCK written with four decimals, 0.8333 for 1.2 GHz).
pub fn ns_to_ck(ns: f64, tck_ns: f64) -> u64 {
    (ns / tck_ns - 1e-3).ceil().max(0.0) as u64
}

/// The organisation the mapping and the engine need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Pseudo-channels of the device (each with its own command bus, all in parallel).
    pub pseudo_channels: u64,
    /// Banks on one pseudo-channel's bus (ranks included).
    pub banks_per_pch: u64,
    /// PUs per pseudo-channel.
    pub pus_per_pch: u64,
    /// Banks that feed one PU (1, 2 or a bank group).
    pub banks_per_pu: u64,
    /// Column commands per row.
    pub columns_per_row: u64,
    /// Bytes per column command.
    pub column_bytes: u64,
    /// Bytes per row.
    pub row_bytes: u64,
}

impl Geometry {
    /// From a validated config.
    pub fn new(c: &DramPimConfig) -> Self {
        let banks_per_pch =
            u64::from(c.ranks) * u64::from(c.bank_groups) * u64::from(c.banks_per_group);
        let banks_per_pu = match c.pu.placement {
            Placement::PerBank => 1,
            Placement::Per2Banks => 2,
            Placement::PerBankGroup => u64::from(c.banks_per_group),
        };
        Geometry {
            pseudo_channels: u64::from(c.channels) * u64::from(c.pseudo_channels),
            banks_per_pch,
            pus_per_pch: banks_per_pch / banks_per_pu,
            banks_per_pu,
            columns_per_row: u64::from(c.row_bytes / c.column_bytes),
            column_bytes: u64::from(c.column_bytes),
            row_bytes: u64::from(c.row_bytes),
        }
    }

    /// PUs of the device.
    pub fn pus(&self) -> u64 {
        self.pseudo_channels * self.pus_per_pch
    }
}

impl Timing {
    /// From a validated config; `pu_ck_per_mac_command` is the PU's compute time for one
    /// column of operands, in tCK (it can stretch the MAC interval).
    pub fn new(c: &DramPimConfig, g: &Geometry, pu_ck_per_mac_command: u64) -> Self {
        let t = &c.timing;
        let ck = |ns| ns_to_ck(ns, t.tck_ns);
        // An all-bank ACT opens one bank per PU; tFAW allows 4 activations per window.
        let act_interval = if t.all_bank_act_in_tfaw {
            (ck(t.tfaw_ns) * g.pus_per_pch).div_ceil(4)
        } else {
            0
        };
        Timing {
            rcd: ck(t.trcd_ns),
            rp: ck(t.trp_ns),
            ras: ck(t.tras_ns),
            ccd_s: u64::from(t.tccd_s_ck),
            mac_interval: u64::from(t.tccd_l_ck)
                .max(u64::from(t.all_bank_ccd_ck))
                .max(pu_ck_per_mac_command),
            act_interval,
            rfc: ck(t.trfc_ns),
            refi: ck(t.trefi_ns),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ns_round_up_to_whole_cycles() {
        // 14 ns at 0.8333 ns: 16.8 -> 17 cycles; exactly 4 cycles stays 4.
        assert_eq!(ns_to_ck(14.0, 0.8333), 17);
        assert_eq!(ns_to_ck(4.0, 1.0), 4);
        assert_eq!(ns_to_ck(0.0, 1.0), 0);
    }
}
