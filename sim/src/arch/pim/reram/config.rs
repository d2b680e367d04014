//! `[arch.pim.reram]`: the keys as written in TOML, their defaults and their ranges.
//!
//! Defaults are DNN+NeuroSim V1.4's (`Param.cpp`, RRAM at 22 nm) where NeuroSim has the key;
//! `configs/accelerators/reram_neurosim_22nm.toml` gives the source of every value.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::check_range;
use crate::error::InputError;

/// How signed weights are stored in unsigned conductances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignedWeights {
    /// `w + 2^(b-1)` in one column set; the digital side subtracts `2^(b-1) * sum(x)`, one
    /// extra reduction per output (ISAAC's biased encoding; NeuroSim's reference column).
    #[default]
    Offset,
    /// A positive and a negative column set, subtracted after the ADCs: twice the columns,
    /// twice the conversions.
    Differential,
}

/// What happens when the chip cannot hold every weight of the workload at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightOverflow {
    /// Run the network in rounds, writing each round's weights into the cells first.
    #[default]
    Reprogram,
    /// Refuse the workload (a sweep records the design as infeasible).
    Error,
}

macro_rules! defaults {
    ($($name:ident: $ty:ty = $val:expr;)*) => { $(fn $name() -> $ty { $val })* };
}

defaults! {
    d_node: u32 = 22;
    d_clock: f64 = 448.0;
    d_pes: u32 = 4;
    d_xbars: u32 = 4;
    d_rows: u32 = 128;
    d_cols: u32 = 128;
    d_cell_bits: u32 = 1;
    d_cell_area: f64 = 48.0;
    d_r_on: f64 = 100.0;
    d_r_off: f64 = 1700.0;
    d_read_v: f64 = 0.5;
    d_read_pulse: f64 = 1.0;
    d_cols_per_adc: u32 = 8;
    d_adc_bits: u32 = 4;
    d_dac_bits: u32 = 1;
    d_bits: u32 = 8;
    d_density: f64 = 0.5;
    d_bus_bits: u32 = 128;
    d_buffer_bits: u32 = 32;
    d_digital_ops: u32 = 64;
    d_write_pulse: f64 = 100.0;
    d_true: bool = true;
}

/// `[arch.pim.reram]`: a chip of `tiles` tiles, each of `pes_per_tile` processing elements
/// (PEs), each of `crossbars_per_pe` crossbars of `crossbar_rows x crossbar_cols` cells.
///
/// Unit costs (`*_pj`, `*_um2`) have no universal default: the ones given here are those of
/// the NeuroSim 22 nm preset, derived in `sim/tests/reference/neurosim/README.md`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReramConfig {
    /// Technology node in nm (feature size for the cell area), 7..=180.
    #[serde(default = "d_node")]
    pub tech_node_nm: u32,
    /// Clock of the digital periphery and of one ADC conversion slot, MHz.
    #[serde(default = "d_clock")]
    pub clock_mhz: f64,
    /// Tiles on the chip; absent: as many as the workload's weights need (NeuroSim's
    /// automatic floorplan), so every weight stays stationary.
    #[serde(default)]
    pub tiles: Option<u32>,
    /// PEs per tile.
    #[serde(default = "d_pes")]
    pub pes_per_tile: u32,
    /// Crossbars per PE.
    #[serde(default = "d_xbars")]
    pub crossbars_per_pe: u32,
    /// Wordlines (inputs) per crossbar.
    #[serde(default = "d_rows")]
    pub crossbar_rows: u32,
    /// Bitlines (outputs) per crossbar.
    #[serde(default = "d_cols")]
    pub crossbar_cols: u32,
    /// Bits stored per cell (conductance levels = 2^bits).
    #[serde(default = "d_cell_bits")]
    pub bits_per_cell: u32,
    /// Cell area in F² (1T1R: 4F x 12F = 48 F²; NeuroSim `Param.cpp`).
    #[serde(default = "d_cell_area")]
    pub cell_area_f2: f64,
    /// Low-resistance state, kΩ.
    #[serde(default = "d_r_on")]
    pub r_on_kohm: f64,
    /// High-resistance state, kΩ.
    #[serde(default = "d_r_off")]
    pub r_off_kohm: f64,
    /// Read voltage on a driven wordline, V.
    #[serde(default = "d_read_v")]
    pub read_voltage_v: f64,
    /// Time a read current flows per input-bit step, ns (energy only; the step time is the
    /// conversions').
    #[serde(default = "d_read_pulse")]
    pub read_pulse_ns: f64,
    /// Wordlines driven at once (partial-parallel read); default: every row.
    #[serde(default)]
    pub rows_parallel: Option<u32>,
    /// Bitlines multiplexed onto one ADC (conversions per ADC per step).
    #[serde(default = "d_cols_per_adc")]
    pub cols_per_adc: u32,
    /// ADC resolution, bits.
    #[serde(default = "d_adc_bits")]
    pub adc_bits: u32,
    /// Clock cycles per conversion.
    #[serde(default = "d_one_u32")]
    pub adc_cycles_per_conversion: u32,
    /// ADC energy per conversion step, fJ (Walden figure of merit: a conversion costs
    /// `fom * 2^adc_bits`).
    pub adc_fom_fj_per_step: f64,
    /// ADC area per output level, µm² (a flash or multi-level sense amplifier has
    /// `2^bits - 1` comparators; NeuroSim's MLSA area grows the same way).
    pub adc_area_um2_per_level: f64,
    /// Input bits applied per step (1 = bit-serial wordline pulses).
    #[serde(default = "d_dac_bits")]
    pub dac_bits: u32,
    /// Energy to drive one wordline for one step, pJ (driver, level shifter, switch matrix).
    pub dac_energy_pj: f64,
    /// Area of one wordline driver, µm².
    pub dac_area_um2: f64,
    /// Weight precision, bits (a layer's `precision` overrides it).
    #[serde(default = "d_bits")]
    pub weight_bits: u32,
    /// Activation precision, bits, streamed bit-serially (a layer's `precision` overrides it).
    #[serde(default = "d_bits")]
    pub input_bits: u32,
    /// Signed-weight encoding.
    #[serde(default)]
    pub signed_weights: SignedWeights,
    /// Fraction of input bits that are 1 (drives wordline and cell-read energy and the
    /// accuracy proxy), 0..=1.
    #[serde(default = "d_density")]
    pub input_bit_density: f64,
    /// Shift-and-add of one conversion into its partial sum, pJ.
    pub shift_add_energy_pj: f64,
    /// Shift-add unit area, per ADC, µm².
    pub shift_add_area_um2: f64,
    /// One addition of the adder trees merging crossbars' partial sums, pJ.
    pub adder_energy_pj: f64,
    /// Adder tree and accumulation area per PE, µm².
    pub adder_tree_area_um2_per_pe: f64,
    /// Buffer access energy per bit (activations in and out of each layer), pJ.
    pub buffer_energy_pj_per_bit: f64,
    /// Buffer and control area per tile, µm².
    pub buffer_area_um2_per_tile: f64,
    /// Bits per cycle through a layer's activation buffer (written as they arrive, read
    /// towards the crossbars; outputs likewise). Copies of a layer share it, so it bounds the
    /// stage however many copies compute (NeuroSim: `tileBufferCoreSizeCol`, 32-bit
    /// register-file cores).
    #[serde(default = "d_buffer_bits")]
    pub buffer_bits_per_cycle: u32,
    /// Width of the interconnect carrying a layer's activations in and out, bits per cycle;
    /// in series with the buffer.
    #[serde(default = "d_bus_bits")]
    pub bus_bits_per_cycle: u32,
    /// Interconnect energy per bit moved between layers, pJ.
    pub bus_energy_pj_per_bit: f64,
    /// Interconnect area per tile, µm².
    pub bus_area_um2_per_tile: f64,
    /// Digital unit throughput (attention, pooling, elementwise), operations per cycle.
    #[serde(default = "d_digital_ops")]
    pub digital_ops_per_cycle: u32,
    /// Digital unit energy per operation, pJ.
    pub digital_energy_pj_per_op: f64,
    /// Digital unit area, mm².
    pub digital_area_mm2: f64,
    /// Energy to program one cell when reprogramming, pJ.
    #[serde(default)]
    pub write_energy_pj_per_cell: f64,
    /// Time to program one crossbar row (all its cells), ns.
    #[serde(default = "d_write_pulse")]
    pub write_ns_per_row: f64,
    /// Weights that do not fit.
    #[serde(default)]
    pub weight_overflow: WeightOverflow,
    /// Copy the slowest layers into spare crossbars (ISAAC's pipeline balancing).
    #[serde(default = "d_true")]
    pub replicate: bool,
    /// NeuroSim's pipeline speed-up (`speedUpDegree`): layers with many MVMs per sample get
    /// copies so that no copy runs more than `max_mvms / degree^2` of them, nor fewer than the
    /// least-busy multi-MVM layer runs (NeuroSim's cap: past it that layer would idle). The
    /// chip is sized to hold the copies; 1 = no copies.
    #[serde(default = "d_one_u32")]
    pub speedup_degree: u32,
}

fn d_one_u32() -> u32 {
    1
}

const KEY: &str = "arch.pim.reram.";

impl ReramConfig {
    /// Wordlines driven at once.
    pub fn rows_parallel(&self) -> u32 {
        self.rows_parallel.unwrap_or(self.crossbar_rows)
    }

    /// Checks every range, naming `file` and the key.
    pub fn validate(&self, file: &Path) -> Result<(), InputError> {
        let k = |name: &str| format!("{KEY}{name}");
        check_range(file, &k("tech_node_nm"), self.tech_node_nm, 7, 180)?;
        check_range(file, &k("clock_mhz"), self.clock_mhz, 1.0, 10_000.0)?;
        if let Some(t) = self.tiles {
            check_range(file, &k("tiles"), t, 1, 1 << 20)?;
        }
        check_range(file, &k("pes_per_tile"), self.pes_per_tile, 1, 1024)?;
        check_range(file, &k("crossbars_per_pe"), self.crossbars_per_pe, 1, 1024)?;
        check_range(file, &k("crossbar_rows"), self.crossbar_rows, 2, 4096)?;
        check_range(file, &k("crossbar_cols"), self.crossbar_cols, 2, 4096)?;
        check_range(file, &k("bits_per_cell"), self.bits_per_cell, 1, 8)?;
        check_range(file, &k("cell_area_f2"), self.cell_area_f2, 1.0, 10_000.0)?;
        check_range(file, &k("r_on_kohm"), self.r_on_kohm, 0.1, 1e6)?;
        check_range(file, &k("r_off_kohm"), self.r_off_kohm, self.r_on_kohm, 1e9)?;
        check_range(file, &k("read_voltage_v"), self.read_voltage_v, 0.01, 5.0)?;
        check_range(file, &k("read_pulse_ns"), self.read_pulse_ns, 0.0, 1e4)?;
        check_range(
            file,
            &k("rows_parallel"),
            self.rows_parallel(),
            1,
            self.crossbar_rows,
        )?;
        check_range(
            file,
            &k("cols_per_adc"),
            self.cols_per_adc,
            1,
            self.crossbar_cols,
        )?;
        check_range(file, &k("adc_bits"), self.adc_bits, 1, 16)?;
        check_range(
            file,
            &k("adc_cycles_per_conversion"),
            self.adc_cycles_per_conversion,
            1,
            1024,
        )?;
        check_range(file, &k("dac_bits"), self.dac_bits, 1, 8)?;
        check_range(file, &k("weight_bits"), self.weight_bits, 1, 32)?;
        check_range(file, &k("input_bits"), self.input_bits, 1, 32)?;
        check_range(
            file,
            &k("input_bit_density"),
            self.input_bit_density,
            0.0,
            1.0,
        )?;
        check_range(
            file,
            &k("buffer_bits_per_cycle"),
            self.buffer_bits_per_cycle,
            1,
            1 << 20,
        )?;
        check_range(file, &k("speedup_degree"), self.speedup_degree, 1, 1024)?;
        check_range(
            file,
            &k("bus_bits_per_cycle"),
            self.bus_bits_per_cycle,
            1,
            1 << 20,
        )?;
        check_range(
            file,
            &k("digital_ops_per_cycle"),
            self.digital_ops_per_cycle,
            1,
            1 << 20,
        )?;
        check_range(
            file,
            &k("write_ns_per_row"),
            self.write_ns_per_row,
            0.0,
            1e9,
        )?;
        for (name, v) in [
            ("adc_fom_fj_per_step", self.adc_fom_fj_per_step),
            ("adc_area_um2_per_level", self.adc_area_um2_per_level),
            ("dac_energy_pj", self.dac_energy_pj),
            ("dac_area_um2", self.dac_area_um2),
            ("shift_add_energy_pj", self.shift_add_energy_pj),
            ("shift_add_area_um2", self.shift_add_area_um2),
            ("adder_energy_pj", self.adder_energy_pj),
            (
                "adder_tree_area_um2_per_pe",
                self.adder_tree_area_um2_per_pe,
            ),
            ("buffer_energy_pj_per_bit", self.buffer_energy_pj_per_bit),
            ("buffer_area_um2_per_tile", self.buffer_area_um2_per_tile),
            ("bus_energy_pj_per_bit", self.bus_energy_pj_per_bit),
            ("bus_area_um2_per_tile", self.bus_area_um2_per_tile),
            ("digital_energy_pj_per_op", self.digital_energy_pj_per_op),
            ("digital_area_mm2", self.digital_area_mm2),
            ("write_energy_pj_per_cell", self.write_energy_pj_per_cell),
        ] {
            check_range(file, &k(name), v, 0.0, 1e9)?;
        }
        Ok(())
    }
}
