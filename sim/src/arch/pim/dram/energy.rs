//! Energy per bit along the DRAM path, and area of the added logic.
//!
//! A bit read by the host crosses every segment: row activation (amortised over the row),
//! the cell array to the bank's sense amplifiers, the bank's column path to the bank-group
//! mux, the global I/O, the TSVs and the interposer (O'Connor et al., MICRO 2017). A PU at the
//! bank stops after the cell array; a PU at the bank group after the column path. What the
//! in-bank PU saves is the rest of the path.

use super::config::{EnergyConfig, Placement};

/// Per-bit energies of the path segments a transfer crosses, pJ/bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathEnergy {
    /// Row activation per bit of the activated row.
    pub act: f64,
    /// Bits from the banks to the PU (cell read, plus the column path for a bank-group PU).
    pub to_pu: f64,
    /// Bits between the PU and the die's global I/O (input broadcast, result read-out).
    pub pu_to_global_io: f64,
    /// Bits between the global I/O and the host (TSV plus off-device I/O).
    pub global_io_to_host: f64,
    /// Bits between the banks and the buffer die (the in-buffer vector unit's operands).
    pub bank_to_buffer: f64,
    /// A host read of one bit, every segment.
    pub host_read: f64,
}

impl PathEnergy {
    /// Segments for PUs at `placement` from the configured per-bit figures.
    pub fn new(e: &EnergyConfig, placement: Placement) -> Self {
        let (to_pu, pu_to_global_io) = match placement {
            Placement::PerBank | Placement::Per2Banks => (
                e.cell_pj_per_bit,
                e.column_pj_per_bit + e.global_io_pj_per_bit,
            ),
            Placement::PerBankGroup => (
                e.cell_pj_per_bit + e.column_pj_per_bit,
                e.global_io_pj_per_bit,
            ),
        };
        let bank_to_global_io = e.cell_pj_per_bit + e.column_pj_per_bit + e.global_io_pj_per_bit;
        PathEnergy {
            act: e.act_pj_per_bit,
            to_pu,
            pu_to_global_io,
            global_io_to_host: e.tsv_pj_per_bit + e.io_pj_per_bit,
            bank_to_buffer: bank_to_global_io + e.tsv_pj_per_bit,
            host_read: e.act_pj_per_bit + bank_to_global_io + e.tsv_pj_per_bit + e.io_pj_per_bit,
        }
    }

    /// A weight bit consumed by the PU, full-row use assumed (activation amortised).
    pub fn in_bank_read(&self) -> f64 {
        self.act + self.to_pu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_read_is_the_sum_of_the_fgdram_segments() {
        // 0.11 + 0.44 + 1.01 + 1.23 + 0.5 + 0.3 = 3.59 pJ/bit.
        let p = PathEnergy::new(&EnergyConfig::default(), Placement::PerBank);
        assert!((p.host_read - 3.59).abs() < 1e-9);
        // In-bank PU: activation + cell = 0.55 pJ/bit, 6.5x less.
        assert!((p.in_bank_read() - 0.55).abs() < 1e-9);
        // Bank-group PU also pays the column path: 1.56 pJ/bit.
        let bg = PathEnergy::new(&EnergyConfig::default(), Placement::PerBankGroup);
        assert!((bg.in_bank_read() - 1.56).abs() < 1e-9);
        // Input broadcast to an in-bank PU crosses every segment but activation and cells.
        assert!((p.pu_to_global_io + p.global_io_to_host - 3.04).abs() < 1e-9);
    }
}
