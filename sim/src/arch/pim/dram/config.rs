//! `[arch.pim.dram]` as written in TOML, and its validation.
//!
//! ```toml
//! [arch.pim.dram]            # organisation of one device (an HBM stack or a GDDR6 chip)
//! channels = 8
//! pseudo_channels = 2        # per channel
//! ranks = 1                  # stack IDs sharing a pseudo-channel's bus (HBM3 8-Hi: 2)
//! bank_groups = 4            # per rank
//! banks_per_group = 4
//! rows_per_bank = 8192
//! row_bytes = 1024           # page size of one bank
//! column_bytes = 32          # bytes one column command moves (the prefetch)
//! global_buffer_bytes = 256  # input buffer per pseudo-channel, filled by broadcast writes
//! vector_lanes = 16          # in-buffer vector unit per pseudo-channel (non-GEMM work)
//!
//! [arch.pim.dram.pu]         # the processing units next to the banks
//! placement = "per_2_banks"  # per_bank | per_2_banks | per_bank_group
//! lanes = 16
//! precision = "fp16"
//! clock_mhz = 300.0
//! accumulators = 128         # output registers per PU, in values
//!
//! [arch.pim.dram.timing]     # row timings in ns, column timings in clock cycles (tCK)
//! tck_ns = 0.8333
//! trcd_ns = 14.0
//! ...
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::check_range;
use crate::error::InputError;
use crate::tech::TechTables;
use crate::workload::Precision;

/// Where the processing units sit in the bank hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// One PU per bank (SK hynix AiM; AttAcc_bank).
    PerBank,
    /// One PU shared by two banks, fed by one of them per command (Samsung HBM-PIM).
    #[serde(rename = "per_2_banks")]
    Per2Banks,
    /// One PU per bank group, fed by one bank of the group per command (AttAcc_BG).
    PerBankGroup,
}

impl Placement {
    /// Lower-case name as written in config files.
    pub fn name(self) -> &'static str {
        match self {
            Placement::PerBank => "per_bank",
            Placement::Per2Banks => "per_2_banks",
            Placement::PerBankGroup => "per_bank_group",
        }
    }
}

/// `[arch.pim.dram.pu]`: one processing unit.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PuConfig {
    /// Where the PUs sit.
    pub placement: Placement,
    /// SIMD lanes: multiply-accumulates per PU clock (1..=1024).
    pub lanes: u32,
    /// Operand (and accumulator) format of the PU.
    pub precision: Precision,
    /// PU clock, MHz.
    pub clock_mhz: f64,
    /// Output registers per PU, in values (HBM-PIM's GRF_B: 8 registers x 16 lanes = 128).
    pub accumulators: u32,
    /// Logic node used for the PU's MAC energy and area (the tables' nodes; a DRAM process is
    /// slower than logic at the same node, so these are lower bounds).
    pub tech_node_nm: u32,
}

/// `[arch.pim.dram.timing]`: DRAM timing. Row timings in ns (datasheet style), column-command
/// spacings in clock cycles.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimingConfig {
    /// Command clock period, ns.
    pub tck_ns: f64,
    /// ACT to column command, ns.
    pub trcd_ns: f64,
    /// PRE to ACT of the same bank, ns.
    pub trp_ns: f64,
    /// ACT to PRE of the same bank, ns.
    pub tras_ns: f64,
    /// Column to column, different bank groups, cycles (sets the external bandwidth).
    pub tccd_s_ck: u32,
    /// Column to column, same bank group, cycles.
    pub tccd_l_ck: u32,
    /// Spacing of all-bank column (MAC) commands, cycles: the power limit on all-bank
    /// operation (AttAcc's nCCDAB); at least `tccd_l_ck`.
    pub all_bank_ccd_ck: u32,
    /// Four-activate window, ns: at most 4 banks activated per window.
    pub tfaw_ns: f64,
    /// Whether an all-bank ACT opening n banks counts as n activations against tFAW (n/4
    /// windows); false where the device exempts all-bank ACTs or folds the power limit into
    /// `all_bank_ccd_ck`.
    #[serde(default = "yes")]
    pub all_bank_act_in_tfaw: bool,
    /// All-bank refresh duration, ns.
    pub trfc_ns: f64,
    /// Refresh interval, ns.
    pub trefi_ns: f64,
}

fn fgdram_act() -> f64 {
    0.11
}
fn fgdram_cell() -> f64 {
    0.44
}
fn fgdram_column() -> f64 {
    1.01
}
fn fgdram_global_io() -> f64 {
    1.23
}
fn fgdram_tsv() -> f64 {
    0.5
}
fn fgdram_interposer() -> f64 {
    0.3
}

/// `[arch.pim.dram.energy]`: energy per bit along the DRAM read path, pJ/bit.
///
/// Defaults: HBM2 figures of O'Connor et al., "Fine-Grained DRAM", MICRO 2017 (Sec. 2, as
/// tabulated by the AttAcc simulator, `src/config.py`): row activation 0.11 pJ per bit of the
/// row (909 pJ for a 1 KB row), cell read to the bank's sense amplifiers 0.44, column path to
/// the bank-group mux 1.01, bank-group mux to the global I/O 1.23, TSV 0.5, interposer I/O
/// 0.3 (sum 3.59 pJ/bit for a host read).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnergyConfig {
    /// Row activation and precharge, per bit of the activated row.
    #[serde(default = "fgdram_act")]
    pub act_pj_per_bit: f64,
    /// Cell array to the bank's local I/O.
    #[serde(default = "fgdram_cell")]
    pub cell_pj_per_bit: f64,
    /// Bank's column path to the bank-group mux.
    #[serde(default = "fgdram_column")]
    pub column_pj_per_bit: f64,
    /// Bank-group mux to the die's global I/O.
    #[serde(default = "fgdram_global_io")]
    pub global_io_pj_per_bit: f64,
    /// Through-silicon vias to the base die (0 for a planar chip).
    #[serde(default = "fgdram_tsv")]
    pub tsv_pj_per_bit: f64,
    /// Off-device I/O: interposer (HBM) or PCB (GDDR) link.
    #[serde(default = "fgdram_interposer")]
    pub io_pj_per_bit: f64,
}

impl Default for EnergyConfig {
    fn default() -> Self {
        EnergyConfig {
            act_pj_per_bit: fgdram_act(),
            cell_pj_per_bit: fgdram_cell(),
            column_pj_per_bit: fgdram_column(),
            global_io_pj_per_bit: fgdram_global_io(),
            tsv_pj_per_bit: fgdram_tsv(),
            io_pj_per_bit: fgdram_interposer(),
        }
    }
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

/// `[arch.pim.dram]`: a DRAM device with processing units at its banks.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DramPimConfig {
    /// Independent channels (1..=256).
    pub channels: u32,
    /// Pseudo-channels per channel, each with its own command bus (1..=8).
    pub pseudo_channels: u32,
    /// Ranks (HBM3 stack IDs) sharing a pseudo-channel's bus (1..=8).
    #[serde(default = "one")]
    pub ranks: u32,
    /// Bank groups per rank (1..=16).
    pub bank_groups: u32,
    /// Banks per bank group (1..=16).
    pub banks_per_group: u32,
    /// Rows per bank.
    pub rows_per_bank: u32,
    /// Bytes of one bank's row (page).
    pub row_bytes: u32,
    /// Bytes one column command moves to a PU or the I/O (the prefetch width).
    pub column_bytes: u32,
    /// Input buffer per pseudo-channel, bytes, written by broadcast.
    pub global_buffer_bytes: u32,
    /// Lanes of the in-buffer vector unit per pseudo-channel (work that is not a product).
    pub vector_lanes: u32,
    /// Processing units.
    pub pu: PuConfig,
    /// Timing.
    pub timing: TimingConfig,
    /// Energy per bit along the DRAM path (defaults: HBM2, O'Connor et al. 2017).
    #[serde(default)]
    pub energy: EnergyConfig,
}

impl DramPimConfig {
    /// Checks every key's range, naming `file` and the key.
    pub fn validate(&self, file: &Path) -> Result<TechTables, InputError> {
        let k = |s: &str| format!("arch.pim.dram.{s}");
        check_range(file, &k("channels"), self.channels, 1, 256)?;
        check_range(file, &k("pseudo_channels"), self.pseudo_channels, 1, 8)?;
        check_range(file, &k("ranks"), self.ranks, 1, 8)?;
        check_range(file, &k("bank_groups"), self.bank_groups, 1, 16)?;
        check_range(file, &k("banks_per_group"), self.banks_per_group, 1, 16)?;
        check_range(file, &k("rows_per_bank"), self.rows_per_bank, 1, 1 << 20)?;
        check_range(file, &k("column_bytes"), self.column_bytes, 2, 256)?;
        check_range(
            file,
            &k("row_bytes"),
            self.row_bytes,
            self.column_bytes,
            65_536,
        )?;
        check_range(
            file,
            &k("global_buffer_bytes"),
            self.global_buffer_bytes,
            2,
            1 << 24,
        )?;
        check_range(file, &k("vector_lanes"), self.vector_lanes, 1, 4096)?;
        let pu = &self.pu;
        if pu.placement == Placement::Per2Banks && self.banks_per_group % 2 != 0 {
            return Err(InputError::OutOfRange {
                file: file.to_path_buf(),
                key: k("pu.placement"),
                value: "\"per_2_banks\"".into(),
                allowed: format!(
                    "per_bank or per_bank_group when banks_per_group ({}) is odd",
                    self.banks_per_group
                ),
            });
        }
        check_range(file, &k("pu.lanes"), pu.lanes, 1, 1024)?;
        check_range(file, &k("pu.clock_mhz"), pu.clock_mhz, 1.0, 10_000.0)?;
        check_range(file, &k("pu.accumulators"), pu.accumulators, 1, 1 << 20)?;
        let tech = TechTables::for_config(file, &k("pu.tech_node_nm"), pu.tech_node_nm)?;
        let t = &self.timing;
        check_range(file, &k("timing.tck_ns"), t.tck_ns, 0.05, 100.0)?;
        for (key, ns) in [
            ("timing.trcd_ns", t.trcd_ns),
            ("timing.trp_ns", t.trp_ns),
            ("timing.tras_ns", t.tras_ns),
            ("timing.tfaw_ns", t.tfaw_ns),
            ("timing.trfc_ns", t.trfc_ns),
        ] {
            check_range(file, &k(key), ns, 0.0, 100_000.0)?;
        }
        check_range(file, &k("timing.tccd_s_ck"), t.tccd_s_ck, 1, 64)?;
        check_range(file, &k("timing.tccd_l_ck"), t.tccd_l_ck, t.tccd_s_ck, 64)?;
        check_range(
            file,
            &k("timing.all_bank_ccd_ck"),
            t.all_bank_ccd_ck,
            t.tccd_l_ck,
            1024,
        )?;
        // Refresh must leave time to work: tREFI above tRFC.
        check_range(
            file,
            &k("timing.trefi_ns"),
            t.trefi_ns,
            2.0 * t.trfc_ns.max(1.0),
            1e9,
        )?;
        let e = &self.energy;
        for (key, v) in [
            ("energy.act_pj_per_bit", e.act_pj_per_bit),
            ("energy.cell_pj_per_bit", e.cell_pj_per_bit),
            ("energy.column_pj_per_bit", e.column_pj_per_bit),
            ("energy.global_io_pj_per_bit", e.global_io_pj_per_bit),
            ("energy.tsv_pj_per_bit", e.tsv_pj_per_bit),
            ("energy.io_pj_per_bit", e.io_pj_per_bit),
        ] {
            check_range(file, &k(key), v, 0.0, 1000.0)?;
        }
        Ok(tech)
    }
}
