//! Event-driven timing of one pseudo-channel at row/column command granularity.
//!
//! All pseudo-channels run the same command stream in parallel, and within one all PUs
//! receive the same all-bank commands in lock step, so one PU and the banks that feed it
//! stand for the whole device (identical banks grouped). Each command is issued at the
//! earliest time every constraint allows, computed from time stamps (no per-cycle ticking):
//!
//! - write (input broadcast) and read (result read-out): tCCD_S apart on the bus;
//! - all-bank MAC: the MAC interval apart (tCCD_L, the all-bank power limit, PU compute),
//!   tRCD after its bank's ACT;
//! - ACT: tRP after the bank's PRE, and the all-bank ACT rate (tFAW per 4 banks opened);
//! - PRE: tRAS after the bank's ACT, and a tCCD_S slot after its last column (standing in
//!   for tRTP);
//! - refresh: every tREFI all banks close (PRE after tRAS, tRP) and the bus stalls tRFC.
//!
//! A PU fed by several banks streams one while the next is activated (ping-pong); HBM's
//! separate row and column command buses let an ACT go out between column commands. The
//! loop allocates nothing; its cost is one step per command, and [`simulate`] runs at most
//! [`COMMAND_BUDGET`] of them, scaling the rest from the simulated units (all alike).

use super::mapping::{LoopOrder, Plan};
use super::timing::Timing;

/// Most commands simulated per job; longer jobs simulate whole units up to this and scale.
pub const COMMAND_BUDGET: u64 = 400_000;

/// Most banks that feed one PU (a bank group of 16).
const MAX_BANKS: usize = 16;

/// What the engine measured for a whole job.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EngineResult {
    /// tCK cycles from the first command to the last.
    pub cycles: f64,
    /// Cycles MAC commands occupy at their interval (the PU-busy share).
    pub mac_cycles: f64,
    /// All-bank ACTs issued (rows opened per PU).
    pub activations: f64,
    /// Refreshes performed.
    pub refreshes: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bank {
    open: bool,
    act_at: u64,
    /// Earliest next ACT (after tRP).
    ready_act_at: u64,
}

struct Engine<'a> {
    t: &'a Timing,
    banks: [Bank; MAX_BANKS],
    n_banks: usize,
    /// Bank streaming now, and columns left in its open row.
    current: usize,
    columns_left: u64,
    columns_per_row: u64,
    /// Earliest free slot on the column bus.
    bus_free: u64,
    last_mac: Option<u64>,
    last_act: Option<u64>,
    last_command: u64,
    next_refresh: u64,
    activations: u64,
    refreshes: u64,
}

impl<'a> Engine<'a> {
    fn new(t: &'a Timing, banks_per_pu: u64, columns_per_row: u64) -> Self {
        Engine {
            t,
            banks: [Bank::default(); MAX_BANKS],
            n_banks: (banks_per_pu as usize).clamp(1, MAX_BANKS),
            current: 0,
            columns_left: 0,
            columns_per_row,
            bus_free: 0,
            last_mac: None,
            last_act: None,
            last_command: 0,
            next_refresh: t.refi,
            activations: 0,
            refreshes: 0,
        }
    }

    /// Closes every bank, refreshes, and reopens the bus after tRFC.
    fn refresh_if_due(&mut self) {
        while self.bus_free >= self.next_refresh {
            let mut closed = self.bus_free;
            for b in &mut self.banks[..self.n_banks] {
                if b.open {
                    let pre = self.bus_free.max(b.act_at + self.t.ras);
                    closed = closed.max(pre + self.t.rp);
                    b.open = false;
                }
            }
            let done = closed + self.t.rfc;
            for b in &mut self.banks[..self.n_banks] {
                b.ready_act_at = b.ready_act_at.max(done);
            }
            self.bus_free = done;
            self.columns_left = 0;
            self.refreshes += 1;
            self.next_refresh += self.t.refi;
        }
    }

    /// Issues an all-bank ACT to `bank` no earlier than `not_before`.
    fn activate(&mut self, bank: usize, not_before: u64) {
        let t = self.t;
        let b = &mut self.banks[bank];
        if b.open {
            let pre = not_before.max(b.act_at + t.ras);
            b.ready_act_at = b.ready_act_at.max(pre + t.rp);
        }
        let mut at = not_before.max(b.ready_act_at);
        if let Some(last) = self.last_act {
            at = at.max(last + t.act_interval);
        }
        b.open = true;
        b.act_at = at;
        self.last_act = Some(at);
        self.activations += 1;
    }

    /// Bus command without bank access (broadcast write or result read), tCCD_S apart.
    fn bus_command(&mut self) {
        self.refresh_if_due();
        let at = self.bus_free;
        self.bus_free = at + self.t.ccd_s;
        self.last_command = at;
    }

    /// One all-bank MAC command: one column from the current bank into every PU.
    fn mac(&mut self) {
        self.refresh_if_due();
        if self.columns_left == 0 {
            self.next_row();
        }
        let b = self.banks[self.current];
        let mut at = self.bus_free.max(b.act_at + self.t.rcd);
        if let Some(last) = self.last_mac {
            at = at.max(last + self.t.mac_interval);
        }
        self.last_mac = Some(at);
        self.last_command = at;
        self.bus_free = at + self.t.ccd_s.min(self.t.mac_interval);
        self.columns_left -= 1;
    }

    fn bus_commands(&mut self, n: u64) {
        (0..n).for_each(|_| self.bus_command());
    }

    fn macs(&mut self, n: u64) {
        (0..n).for_each(|_| self.mac());
    }

    /// A new block of weights (another tile or chunk) starts in a fresh row.
    fn new_block(&mut self) {
        self.columns_left = 0;
    }

    /// Moves the stream to the next row: the next bank if it was opened ahead, else an ACT
    /// now; then opens the following bank's next row ahead (ping-pong).
    fn next_row(&mut self) {
        let now = self.bus_free;
        if self.n_banks == 1 {
            self.activate(0, now);
        } else {
            // The bank just streamed precharges (after tRAS); the next one was opened ahead.
            let previous = self.current;
            let t = self.t;
            let p = &mut self.banks[previous];
            if p.open {
                let pre = now.max(p.act_at + t.ras);
                p.ready_act_at = p.ready_act_at.max(pre + t.rp);
                p.open = false;
            }
            let next = (previous + 1) % self.n_banks;
            if !self.banks[next].open {
                self.activate(next, now);
            }
            self.current = next;
            // Open the following bank's next row ahead, ready for its turn.
            let after = (next + 1) % self.n_banks;
            if !self.banks[after].open {
                self.activate(after, now);
            }
        }
        self.columns_left = self.columns_per_row;
    }
}

/// Runs `plan` (one pseudo-channel; all run in parallel) and returns the whole job's timing.
pub fn simulate(plan: &Plan, t: &Timing, banks_per_pu: u64, columns_per_row: u64) -> EngineResult {
    let per_unit = plan.writes_per_unit()
        + plan.macs_per_unit()
        + plan.readouts_per_unit() * plan.read_commands;
    if per_unit == 0 || plan.units == 0 {
        return EngineResult::default();
    }
    let simulated_units = plan.units.min((COMMAND_BUDGET / per_unit).max(1));
    let mut e = Engine::new(t, banks_per_pu, columns_per_row);
    for _ in 0..simulated_units {
        match plan.order {
            LoopOrder::TileOuter => {
                for _ in 0..plan.tiles {
                    for _ in 0..plan.chunks {
                        e.bus_commands(plan.write_commands);
                        e.new_block();
                        e.macs(plan.mac_commands);
                    }
                    e.bus_commands(plan.read_commands);
                }
            }
            LoopOrder::ChunkOuter => {
                for _ in 0..plan.chunks {
                    e.bus_commands(plan.write_commands);
                    for _ in 0..plan.tiles {
                        e.new_block();
                        e.macs(plan.mac_commands);
                        e.bus_commands(plan.read_commands);
                    }
                }
            }
        }
    }
    // The last command ends one command slot after it issues.
    let end = e.last_command + t.ccd_s;
    let scale = plan.units as f64 / simulated_units as f64;
    EngineResult {
        cycles: end as f64 * scale,
        mac_cycles: (plan.total_mac_commands() * t.mac_interval) as f64,
        activations: e.activations as f64 * scale,
        refreshes: e.refreshes as f64 * scale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing {
            rcd: 3,
            rp: 3,
            ras: 8,
            ccd_s: 2,
            mac_interval: 4,
            act_interval: 0,
            rfc: 50,
            refi: 1000,
        }
    }

    fn plan(write_commands: u64, mac_commands: u64, chunks: u64) -> Plan {
        Plan {
            k_slices: 1,
            n_pu: 1,
            k_pu: 16,
            outputs_per_tile: 1,
            b_pass: 1,
            distinct_inputs: 1,
            chunk_elems: 16,
            chunks,
            write_commands,
            mac_commands,
            read_commands: 0,
            tiles: 1,
            units: 1,
            order: LoopOrder::TileOuter,
            pu_cycles_per_command: 1,
        }
    }

    #[test]
    fn one_row_by_hand() {
        // Write at 0 (bus free at 2); ACT at 2; MACs at 2 + tRCD = 5 and 5 + 4 = 9; the last
        // command slot ends at 9 + tCCD_S = 11.
        let r = simulate(&plan(1, 2, 1), &timing(), 1, 32);
        assert_eq!(r.cycles, 11.0);
        assert_eq!(r.activations, 1.0);
    }

    #[test]
    fn single_bank_row_switch_pays_ras_rp_rcd() {
        // 2-column rows, 4 MACs on one bank: ACT 0, MACs 3, 7; PRE at max(7 + tCCD_S, 0 +
        // tRAS) = 9, ACT at 9 + tRP = 12, MACs 15, 19; end 21.
        let r = simulate(&plan(0, 4, 1), &timing(), 1, 2);
        assert_eq!(r.cycles, 21.0);
        // Two banks: the second row was opened ahead at 0 (ACT rate unlimited): MACs 3, 7,
        // 11, 15 back to back; end 17.
        let r = simulate(&plan(0, 4, 1), &timing(), 2, 2);
        assert_eq!(r.cycles, 17.0);
    }

    #[test]
    fn refresh_stalls_the_bus_for_trfc() {
        // 600 MACs at 4 cycles = 2400 cycles of streaming in one open row crosses tREFI twice.
        // Each refresh starts when the bus frees (tCCD_S after a MAC, 2 cycles before the next
        // MAC's slot), precharges (tRP 3), refreshes (tRFC 50) and re-activates (tRCD 3): it
        // delays the stream by 3 + 50 + 3 - 2 = 54. 3 + 599 x 4 + 2 + 2 x 54 = 2509.
        let r = simulate(&plan(0, 600, 1), &timing(), 1, 10_000);
        assert_eq!(r.refreshes, 2.0);
        assert_eq!(r.cycles, 2509.0);
    }
}
