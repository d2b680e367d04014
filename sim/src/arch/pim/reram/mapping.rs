//! One layer on crossbars: how many crossbars its weights take, how many steps one
//! matrix-vector product (MVM) needs, and the events (conversions, wordline pulses, cell reads,
//! additions, activation bits moved) that energy is charged on.
//!
//! Rule for what runs where: a product with a stationary weight operand (`Op::Gemm`, and
//! `Op::Conv2d` through its im2col GEMM, `k = kh*kw*cin/groups` rows by `n = cout/groups`
//! columns per group) is mapped on crossbars. Products of two activations (`Op::Attention`'s
//! `Q K^T` and `P V`), softmax, pooling and elementwise work run on the digital unit: their
//! operands change every input, and writing ReRAM cells per input would cost microseconds
//! and wear the cells out.

use crate::workload::{GemmShape, Layer};

use super::config::{ReramConfig, SignedWeights};

/// The crossbar geometry and bit slicing every layer shares.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// Rows per crossbar.
    pub rows: u64,
    /// Columns per crossbar.
    pub cols: u64,
    /// Rows driven at once.
    pub rows_parallel: u64,
    /// Columns per ADC.
    pub cols_per_adc: u64,
    /// Clock cycles per conversion.
    pub adc_cycles: u64,
    /// Bits per cell.
    pub cell_bits: u32,
    /// Input bits per step.
    pub dac_bits: u32,
    /// 2 for differential signed weights, 1 for offset encoding.
    pub sign_columns: u64,
}

impl Geometry {
    /// The geometry of a config.
    pub fn new(c: &ReramConfig) -> Self {
        Geometry {
            rows: c.crossbar_rows.into(),
            cols: c.crossbar_cols.into(),
            rows_parallel: c.rows_parallel().into(),
            cols_per_adc: c.cols_per_adc.into(),
            adc_cycles: c.adc_cycles_per_conversion.into(),
            cell_bits: c.bits_per_cell,
            dac_bits: c.dac_bits,
            sign_columns: match c.signed_weights {
                SignedWeights::Offset => 1,
                SignedWeights::Differential => 2,
            },
        }
    }

    /// ADCs per crossbar.
    pub fn adcs_per_crossbar(&self) -> u64 {
        self.cols.div_ceil(self.cols_per_adc)
    }
}

/// One GEMM (all its groups) mapped on crossbars, for one run of the layer.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AnalogMap {
    /// Crossbars holding the weights.
    pub crossbars: u64,
    /// Crossbars stacked along the reduction (`ceil(k / rows)`), per group.
    pub row_groups: u64,
    /// Crossbars side by side along the outputs, per group.
    pub col_groups: u64,
    /// Columns used per group: `n * ceil(weight_bits / cell_bits) * sign_columns`.
    pub columns: u64,
    /// Weight cells programmed (`groups * k * columns`).
    pub cells: u64,
    /// MVMs each group's crossbars run (`m`; the groups, on their own crossbars, run in
    /// parallel).
    pub mvms: u64,
    /// Input steps per MVM: `ceil(input_bits / dac_bits)`.
    pub input_steps: u64,
    /// Partial-parallel read phases of the fullest crossbar: `ceil(min(k, rows) / rows_parallel)`.
    pub row_phases: u64,
    /// Cycles of one MVM: `input_steps * row_phases * cols_per_adc * adc_cycles`.
    pub cycles_per_mvm: u64,
    /// ADC conversions of the whole run.
    pub conversions: u64,
    /// Wordline pulses of the whole run, before weighting by input-bit density.
    pub wordline_steps: u64,
    /// Cell reads of the whole run, before weighting by input-bit density.
    pub cell_reads: u64,
    /// Additions of the adder trees merging row groups, weight slices and the offset.
    pub tree_adds: u64,
    /// Rows summed on one bitline in one conversion (for the accuracy proxy).
    pub rows_summed: u64,
    /// MACs.
    pub macs: u64,
}

impl AnalogMap {
    /// Maps `g` with `weight_bits`-bit weights and `input_bits`-bit inputs.
    pub fn new(geo: &Geometry, g: &GemmShape, weight_bits: u32, input_bits: u32) -> Self {
        if g.m == 0 || g.n == 0 || g.k == 0 || g.groups == 0 {
            return AnalogMap::default();
        }
        let slices = u64::from(weight_bits.div_ceil(geo.cell_bits));
        let columns = g.n * slices * geo.sign_columns;
        let row_groups = g.k.div_ceil(geo.rows);
        let col_groups = columns.div_ceil(geo.cols);
        let input_steps = u64::from(input_bits.div_ceil(geo.dac_bits));
        let rows_in = |r: u64| r.div_ceil(geo.rows_parallel);
        let row_phases = rows_in(g.k.min(geo.rows));
        // Phases summed over the row groups: full groups plus the remainder.
        let full = g.k / geo.rows;
        let rest = g.k % geo.rows;
        let phases_all_groups = full * rows_in(geo.rows) + if rest > 0 { rows_in(rest) } else { 0 };
        // Event counts cover every group.
        let mvms = g.m * g.groups;
        // Merging: each output sums row_groups * slices * sign partial sums (n-1 adds per
        // n terms), plus one subtraction of the offset correction.
        let terms = row_groups * slices * geo.sign_columns;
        let offset_fix = u64::from(geo.sign_columns == 1);
        AnalogMap {
            crossbars: g.groups * row_groups * col_groups,
            row_groups,
            col_groups,
            columns,
            cells: g.groups * g.k * columns,
            mvms: g.m,
            input_steps,
            row_phases,
            cycles_per_mvm: input_steps * row_phases * geo.cols_per_adc * geo.adc_cycles,
            conversions: mvms * input_steps * phases_all_groups * columns,
            wordline_steps: mvms * input_steps * g.k * col_groups,
            cell_reads: mvms * input_steps * g.k * columns,
            tree_adds: mvms * g.n * (terms - 1 + offset_fix),
            rows_summed: g.k.min(geo.rows_parallel),
            macs: g.macs(),
        }
    }
}

/// What one run of a layer asks of the chip.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerWork {
    /// Weight-stationary products (at most one per layer in the IR).
    pub analog: Vec<AnalogMap>,
    /// Digital-unit operations (activation-times-activation MACs, vector work).
    pub digital_ops: u64,
    /// MACs run digitally.
    pub digital_macs: u64,
    /// Activation bits into and out of the layer over the bus.
    pub io_bits: u64,
}

impl LayerWork {
    /// The work of one run of `layer` (its `count` repeats not included).
    pub fn new(c: &ReramConfig, geo: &Geometry, layer: &Layer) -> Self {
        let (wbits, ibits) = match layer.precision {
            Some(p) => (p.bits(), p.bits()),
            None => (c.weight_bits, c.input_bits),
        };
        let lowered = layer.op.lower();
        let mut work = LayerWork::default();
        let weights_stationary = !matches!(layer.op, crate::workload::Op::Attention(_));
        for g in &lowered.gemms {
            // Inputs in, outputs out, re-quantised to the activation width.
            work.io_bits += (g.groups * g.ifmap_elems + g.groups * g.m * g.n) * u64::from(ibits);
            if weights_stationary {
                work.analog.push(AnalogMap::new(geo, g, wbits, ibits));
            } else {
                work.digital_ops += g.macs();
                work.digital_macs += g.macs();
            }
        }
        if let Some(v) = lowered.vector {
            work.digital_ops += v.ops();
            work.io_bits +=
                v.elements * (v.bytes_in_per_element + v.bytes_out_per_element) * u64::from(ibits);
        }
        work
    }

    /// Crossbars the layer's weights take.
    pub fn crossbars(&self) -> u64 {
        self.analog.iter().map(|a| a.crossbars).sum()
    }

    /// Cycles of the analog part with `copies` copies of the weights sharing the MVMs.
    pub fn analog_cycles(&self, copies: u64) -> u64 {
        self.analog
            .iter()
            .map(|a| a.mvms.div_ceil(copies) * a.cycles_per_mvm)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geometry {
        Geometry {
            rows: 128,
            cols: 128,
            rows_parallel: 128,
            cols_per_adc: 8,
            adc_cycles: 1,
            cell_bits: 1,
            dac_bits: 1,
            sign_columns: 1,
        }
    }

    #[test]
    fn vgg8_conv2_takes_72_crossbars() {
        // 3x3x128 -> 128 on 32x32: k = 1152 -> 9 row groups; n = 128 x 8 one-bit slices =
        // 1024 columns -> 8 column groups; 72 crossbars. One MVM = 8 input bits x 1 phase x
        // 8 columns per ADC = 64 cycles; conversions = 1024 px x 8 bits x 9 groups x 1024.
        let g = GemmShape::dense(1024, 128, 1152, 1);
        let a = AnalogMap::new(&geo(), &g, 8, 8);
        assert_eq!((a.row_groups, a.col_groups, a.crossbars), (9, 8, 72));
        assert_eq!(a.cycles_per_mvm, 64);
        assert_eq!(a.conversions, 1024 * 8 * 9 * 1024);
        assert_eq!(a.cells, 1152 * 1024);
    }

    #[test]
    fn partial_parallel_read_and_differential_pairs() {
        // 64 rows at once: a 128-row crossbar needs 2 phases; k = 200 -> groups of 128 and 72
        // rows -> 2 + 2 phases. Differential: 2 x 10 x 4 (2-bit cells) = 80 columns.
        let mut g = geo();
        g.rows_parallel = 64;
        g.cell_bits = 2;
        g.sign_columns = 2;
        let a = AnalogMap::new(&g, &GemmShape::dense(1, 10, 200, 1), 8, 8);
        assert_eq!(a.columns, 80);
        assert_eq!(a.row_phases, 2);
        assert_eq!(a.conversions, 8 * 4 * 80);
        assert_eq!(a.cycles_per_mvm, 8 * 2 * 8);
    }
}
