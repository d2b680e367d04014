//! Energy and area by component.
//!
//! Energy is charged per event the mapping counts: an ADC conversion costs
//! `fom * 2^adc_bits` (Walden figure of merit, so one more bit doubles it); a driven wordline
//! costs `dac_energy_pj` per step; a cell read costs `V^2 * G * t_read` with the mean of the
//! on and off conductances; each conversion is shifted and added into its partial sum; adder
//! trees merge crossbars and weight slices; activations cross a buffer and the interconnect
//! once in and once out of each layer. ADCs dominate because every MAC of a b-bit input
//! and w-bit weight becomes `b * w / (cell_bits * rows_parallel)` conversions of which each
//! costs far more than the analog dot product behind it (ISAAC, ISCA 2016, Table 6: ADCs 58 %
//! of chip power; NeuroSim V1.4's VGG-8 run: ADC 51 % of the dynamic energy).

use serde::Serialize;

use super::config::ReramConfig;
use super::mapping::{AnalogMap, Geometry};

/// Energy by component, pJ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Energy {
    /// ADC conversions.
    pub adc_pj: f64,
    /// Current through the cells.
    pub array_pj: f64,
    /// Wordline drivers (1-bit DACs), level shifters, switch matrices.
    pub dac_pj: f64,
    /// Shift-and-add of conversions.
    pub shift_add_pj: f64,
    /// Adder trees.
    pub adder_pj: f64,
    /// Activation buffers.
    pub buffer_pj: f64,
    /// Interconnect between layers.
    pub bus_pj: f64,
    /// Digital unit.
    pub digital_pj: f64,
    /// Programming cells (only when the weights do not fit).
    pub write_pj: f64,
}

impl Energy {
    /// Sum of the components.
    pub fn total_pj(&self) -> f64 {
        self.named().iter().map(|(_, v)| v).sum()
    }

    /// (name, pJ) in report order.
    pub fn named(&self) -> [(&'static str, f64); 9] {
        [
            ("adc", self.adc_pj),
            ("array", self.array_pj),
            ("dac", self.dac_pj),
            ("shift_add", self.shift_add_pj),
            ("adder", self.adder_pj),
            ("buffer", self.buffer_pj),
            ("bus", self.bus_pj),
            ("digital", self.digital_pj),
            ("write", self.write_pj),
        ]
    }

    /// Component-wise sum, `other` scaled by `times`.
    pub fn add_scaled(&mut self, other: &Energy, times: f64) {
        self.adc_pj += other.adc_pj * times;
        self.array_pj += other.array_pj * times;
        self.dac_pj += other.dac_pj * times;
        self.shift_add_pj += other.shift_add_pj * times;
        self.adder_pj += other.adder_pj * times;
        self.buffer_pj += other.buffer_pj * times;
        self.bus_pj += other.bus_pj * times;
        self.digital_pj += other.digital_pj * times;
        self.write_pj += other.write_pj * times;
    }
}

/// Energy per event, pJ, from a config.
#[derive(Debug, Clone, Copy)]
pub struct UnitEnergy {
    conversion: f64,
    cell_read: f64,
    wordline: f64,
    shift_add: f64,
    add: f64,
    buffer_bit: f64,
    bus_bit: f64,
    digital_op: f64,
    density: f64,
}

impl UnitEnergy {
    /// The unit costs of `c`.
    pub fn new(c: &ReramConfig) -> Self {
        let g_mean_s = 0.5 * (1.0 / c.r_on_kohm + 1.0 / c.r_off_kohm) * 1e-3;
        UnitEnergy {
            conversion: c.adc_fom_fj_per_step * 2f64.powi(c.adc_bits as i32) * 1e-3,
            // V^2 G t in joules, to pJ.
            cell_read: c.read_voltage_v.powi(2) * g_mean_s * c.read_pulse_ns * 1e-9 * 1e12,
            wordline: c.dac_energy_pj * (2f64.powi(c.dac_bits as i32) - 1.0),
            shift_add: c.shift_add_energy_pj,
            add: c.adder_energy_pj,
            buffer_bit: c.buffer_energy_pj_per_bit,
            bus_bit: c.bus_energy_pj_per_bit,
            digital_op: c.digital_energy_pj_per_op,
            density: c.input_bit_density,
        }
    }

    /// Energy of one crossbar-mapped product.
    pub fn analog(&self, a: &AnalogMap) -> Energy {
        Energy {
            adc_pj: a.conversions as f64 * self.conversion,
            array_pj: a.cell_reads as f64 * self.density * self.cell_read,
            dac_pj: a.wordline_steps as f64 * self.density * self.wordline,
            shift_add_pj: a.conversions as f64 * self.shift_add,
            adder_pj: a.tree_adds as f64 * self.add,
            ..Energy::default()
        }
    }

    /// Energy of moving `bits` through a buffer and the interconnect.
    pub fn io(&self, bits: u64) -> Energy {
        Energy {
            buffer_pj: bits as f64 * self.buffer_bit,
            bus_pj: bits as f64 * self.bus_bit,
            ..Energy::default()
        }
    }

    /// Energy of `ops` digital-unit operations.
    pub fn digital(&self, ops: u64) -> Energy {
        Energy {
            digital_pj: ops as f64 * self.digital_op,
            ..Energy::default()
        }
    }
}

/// Area by component of a chip with `tiles` tiles, mm².
pub fn area_mm2(c: &ReramConfig, geo: &Geometry, tiles: u64) -> Vec<(String, f64)> {
    let um2 = 1e-6;
    let pes = tiles * u64::from(c.pes_per_tile);
    let xbars = (pes * u64::from(c.crossbars_per_pe)) as f64;
    let feature_um = f64::from(c.tech_node_nm) * 1e-3;
    let cells = xbars * (geo.rows * geo.cols) as f64;
    let adcs = xbars * geo.adcs_per_crossbar() as f64;
    let adc_levels = 2f64.powi(c.adc_bits as i32);
    let dac_levels = 2f64.powi(c.dac_bits as i32) - 1.0;
    vec![
        (
            "crossbar_arrays".into(),
            cells * c.cell_area_f2 * feature_um * feature_um * um2,
        ),
        (
            "adcs".into(),
            adcs * adc_levels * c.adc_area_um2_per_level * um2,
        ),
        (
            "dacs_wordline_drivers".into(),
            xbars * geo.rows as f64 * dac_levels * c.dac_area_um2 * um2,
        ),
        ("shift_add".into(), adcs * c.shift_add_area_um2 * um2),
        (
            "adder_trees".into(),
            pes as f64 * c.adder_tree_area_um2_per_pe * um2,
        ),
        (
            "buffers".into(),
            tiles as f64 * c.buffer_area_um2_per_tile * um2,
        ),
        (
            "interconnect".into(),
            tiles as f64 * c.bus_area_um2_per_tile * um2,
        ),
        ("digital_unit".into(), c.digital_area_mm2),
    ]
}
