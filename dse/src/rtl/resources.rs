//! Analytical FPGA resources (Xilinx 7-series: LUT, FF, DSP48E1, 36-Kb block RAM, CARRY4)
//! of a systolic design point ([`estimate`]) or an MMA unit ([`estimate_mma`]), calibrated on
//! yosys `synth_xilinx` runs of the emitted RTL.
//!
//! The estimate adds the design's parts the way the RTL builds them, each counted as yosys
//! maps it:
//!
//! - the PE, synthesized once per (PE kind, operand bits, accumulator bits): [`PE_CELLS`],
//!   times `R * C` (the WS PE folds into one DSP48E1 with its registers; the OS PE keeps its
//!   accumulator and drain register in fabric; int4 products stay in LUTs);
//! - the array's forwarding registers (exact counts from the array template);
//! - the input skew and output de-skew: a lane delayed by `d` cycles is `d` flip-flops per
//!   bit when `d <= 2`, else one shift-register LUT (SRL16E/SRLC32E) per bit and 32 cycles;
//! - each 1R1W buffer in the cheapest of block RAM (RAMB36E1 / RAMB18E1 shapes) and
//!   distributed RAM (RAM64M/RAM32M + an output register), by yosys's `memory_libmap` costs
//!   for the 7-series library (`brams_xc4v.txt`: 257 per RAMB36, 129 per RAMB18;
//!   `lutrams_xc5v.txt`: `1 + 7 * used/width` per LUTRAM cell);
//! - the top's own logic (sequencer, pointers, writer, output registers and, in WS/IS, the
//!   partial-sum adders): linear in `C * ACC` and the address bits, least-squares fitted per
//!   PE kind: [`TOP_FIT`].
//!
//! Calibration data: `dse/tests/reference/yosys/*.json` (made by `calibrate.sh` there);
//! the tests re-fit [`TOP_FIT`] from it and check the model against fresh synthesis of design
//! points not in the calibration set.
//!
//! Counting rules ([`Resources::from_cells`]): LUTs are LUT1..LUT6 and INV cells, SRL16E and
//! SRLC32E (one LUT each) and LUTRAM (RAM32M/RAM64M: 4 LUTs); flip-flops are FDRE, FDSE,
//! FDCE and FDPE; block RAM counts RAMB36E1 as 1 and RAMB18E1 as 0.5 (36-Kb units, as device
//! tables list them).

use std::collections::BTreeMap;

use accel_sim::Dataflow;
use serde::Serialize;

use super::bench::bits_for;
use super::Design;

/// FPGA resources of a design (Xilinx 7-series cells).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Resources {
    /// Look-up tables, shift-register and distributed-RAM LUTs included.
    pub lut: f64,
    /// Flip-flops.
    pub ff: f64,
    /// DSP48E1 slices.
    pub dsp: f64,
    /// Block RAM in 36-Kb units (a RAMB18E1 is 0.5).
    pub bram: f64,
    /// CARRY4 chains.
    pub carry: f64,
}

impl std::ops::Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            lut: self.lut + o.lut,
            ff: self.ff + o.ff,
            dsp: self.dsp + o.dsp,
            bram: self.bram + o.bram,
            carry: self.carry + o.carry,
        }
    }
}

impl std::ops::Mul<f64> for Resources {
    type Output = Resources;
    fn mul(self, k: f64) -> Resources {
        Resources {
            lut: self.lut * k,
            ff: self.ff * k,
            dsp: self.dsp * k,
            bram: self.bram * k,
            carry: self.carry * k,
        }
    }
}

impl Resources {
    /// Counts yosys `synth_xilinx` cells by the rules in the module docs; other cells (I/O
    /// buffers, BUFG, MUXF7/MUXF8, submodule instances) count as nothing.
    pub fn from_cells(cells: &BTreeMap<String, u64>) -> Resources {
        let mut r = Resources::default();
        for (cell, &n) in cells {
            let n = n as f64;
            match cell.as_str() {
                "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" | "INV" | "SRL16E"
                | "SRLC32E" | "RAM32X1S" | "RAM64X1S" => r.lut += n,
                "RAM32X1D" | "RAM64X1D" => r.lut += 2.0 * n,
                "RAM32M" | "RAM64M" | "RAM128X1D" | "RAM256X1S" => r.lut += 4.0 * n,
                "FDRE" | "FDSE" | "FDCE" | "FDPE" => r.ff += n,
                "DSP48E1" => r.dsp += n,
                "RAMB36E1" => r.bram += n,
                "RAMB18E1" => r.bram += 0.5 * n,
                "CARRY4" => r.carry += n,
                _ => {}
            }
        }
        r
    }

    /// The values as `(metric name, value)`: `lut`, `ff`, `dsp`, `bram`, `carry`.
    pub fn metrics(&self) -> [(&'static str, f64); 5] {
        [
            ("lut", self.lut),
            ("ff", self.ff),
            ("dsp", self.dsp),
            ("bram", self.bram),
            ("carry", self.carry),
        ]
    }
}

/// Which PE template a design uses: `os`, or `ws` (also input stationary).
fn pe_kind(d: Dataflow) -> &'static str {
    match d {
        Dataflow::Os => "os",
        Dataflow::Ws | Dataflow::Is => "ws",
    }
}

/// One PE as yosys 0.23 `synth_xilinx` maps it, per (PE kind, operand bits, accumulator
/// bits): (LUT, FF, DSP, CARRY4), the mean over the calibration runs in
/// `dse/tests/reference/yosys/` (yosys's LUT mapping of the same PE varies by up to 6 % with
/// its module name; the test `pe_table_is_the_mean_of_the_calibration_pes` checks them).
pub const PE_CELLS: &[(&str, u32, u32, [f64; 4])] = &[
    ("ws", 4, 8, [40.0, 12.0, 0.0, 2.0]),
    ("ws", 4, 16, [50.0, 20.0, 0.0, 6.0]),
    ("ws", 4, 32, [58.0, 36.0, 0.0, 10.0]),
    ("ws", 8, 16, [0.0, 0.0, 1.0, 0.0]),
    ("ws", 8, 32, [0.0, 0.0, 1.0, 0.0]),
    ("ws", 16, 32, [0.0, 0.0, 1.0, 0.0]),
    ("os", 4, 8, [50.0, 16.0, 0.0, 4.0]),
    ("os", 4, 16, [79.0, 32.0, 0.0, 6.0]),
    ("os", 4, 32, [122.0, 64.0, 0.0, 10.0]),
    ("os", 8, 16, [48.0, 32.0, 1.0, 4.0]),
    ("os", 8, 32, [96.0, 64.0, 1.0, 8.0]),
    ("os", 16, 32, [96.0, 64.0, 1.0, 8.0]),
];

/// The top's own logic per PE kind: coefficients of (LUT, FF, CARRY4) on the features
/// [`top_features`] (`1`, `C * ACC`, address bits), least-squares fitted to the calibration
/// runs (the test `top_fit_matches_the_calibration` re-fits them).
pub const TOP_FIT: &[(&str, [[f64; 3]; 3])] = &[
    (
        "ws",
        [
            [294.8618, 1.9844, 0.9804],
            [181.6223, 1.0325, 1.2179],
            [51.0950, 0.2408, 0.2217],
        ],
    ),
    (
        "os",
        [
            [154.4605, 0.1529, 5.0264],
            [123.1004, 1.1124, 3.3337],
            [43.6357, -0.0075, 0.2451],
        ],
    ),
];

/// Features of the top's own logic: 1, the output word's bits `C * ACC` (output registers,
/// and in WS/IS the partial-sum adders and read multiplexers), and the buffers' address bits
/// (pointers and their adders).
pub fn top_features(d: &Design) -> [f64; 3] {
    let aw = |words: u64| f64::from(bits_for(words - 1));
    [
        1.0,
        f64::from(d.cols) * f64::from(d.accumulator_bits),
        aw(d.west_words) + aw(d.north_words) + aw(d.out_words),
    ]
}

/// The PE of `d` as [`PE_CELLS`] lists it; `None` for a combination not calibrated.
pub fn pe_cells(d: &Design) -> Option<Resources> {
    let kind = pe_kind(d.dataflow);
    PE_CELLS
        .iter()
        .find(|(k, w, acc, _)| *k == kind && *w == d.operand_bits && *acc == d.accumulator_bits)
        .map(|(_, _, _, [lut, ff, dsp, carry])| Resources {
            lut: *lut,
            ff: *ff,
            dsp: *dsp,
            bram: 0.0,
            carry: *carry,
        })
}

/// The array's forwarding registers, from the array templates: WS/IS forward each west
/// operand and its valid bit right (`R (C-1) (W+1)`) plus the `south_v` flag; OS forwards
/// the west operand with its valid and first bits right (`R (C-1) (W+2)`), the north operand
/// down (`(R-1) C W`), the last flag along the bottom row (`C-1`) and one capture flag per
/// column (`C`, each with an AND gate).
pub fn array_links(d: &Design) -> Resources {
    let (r, c, w) = (
        f64::from(d.rows),
        f64::from(d.cols),
        f64::from(d.operand_bits),
    );
    match d.dataflow {
        Dataflow::Ws | Dataflow::Is => Resources {
            ff: r * (c - 1.0) * (w + 1.0) + 1.0,
            ..Resources::default()
        },
        Dataflow::Os => Resources {
            ff: r * (c - 1.0) * (w + 2.0) + (r - 1.0) * c * w + (c - 1.0) + c,
            lut: c,
            ..Resources::default()
        },
    }
}

/// A skew of `lanes` lanes of `bits` bits, lane `i` delayed `i` cycles (the de-skew delays
/// lane `i` by `lanes-1-i`: the same delays). yosys's `shregmap` leaves delays of 1 and 2 in
/// flip-flops and maps 3 or more to one SRL16E/SRLC32E per bit and 32 cycles.
pub fn skew(lanes: u32, bits: u32) -> Resources {
    let mut r = Resources::default();
    for d in 1..lanes {
        if d <= 2 {
            r.ff += f64::from(d * bits);
        } else {
            r.lut += f64::from(d.div_ceil(32) * bits);
        }
    }
    r
}

/// Block-RAM shapes of the 7-series SDP library: (words, bits, 36-Kb units, libmap cost).
const BRAM_SHAPES: &[(u64, u64, f64, f64)] = &[
    (512, 72, 1.0, 257.0),
    (1024, 36, 1.0, 257.0),
    (2048, 18, 1.0, 257.0),
    (4096, 9, 1.0, 257.0),
    (8192, 4, 1.0, 257.0),
    (16384, 2, 1.0, 257.0),
    (32768, 1, 1.0, 257.0),
    (512, 36, 0.5, 129.0),
    (1024, 18, 0.5, 129.0),
    (2048, 9, 0.5, 129.0),
    (4096, 4, 0.5, 129.0),
    (8192, 2, 0.5, 129.0),
    (16384, 1, 0.5, 129.0),
];

/// A `words x bits` 1R1W buffer with a registered read, mapped like yosys `memory_libmap`:
/// the cheaper of the best block-RAM shape (cells side by side for width, stacked for depth)
/// and distributed RAM (RAM64M: 64 x 3 bits, or RAM32M: 32 x 6 bits, 4 LUTs each, cost
/// `1 + 7 * used/width`, plus the read register in flip-flops).
pub fn buffer(words: u64, bits: u64) -> Resources {
    let mut best: Option<(f64, Resources)> = None;
    let mut consider = |cost: f64, r: Resources| {
        if best.is_none_or(|(c, _)| cost < c) {
            best = Some((cost, r));
        }
    };
    for &(depth, width, units, cost) in BRAM_SHAPES {
        let cells = (bits.div_ceil(width) * words.div_ceil(depth)) as f64;
        consider(
            cells * cost,
            Resources {
                bram: cells * units,
                ..Resources::default()
            },
        );
    }
    for (depth, width) in [(64u64, 3u64), (32, 6)] {
        let stacked = words.div_ceil(depth) as f64;
        let cells = bits.div_ceil(width) as f64 * stacked;
        let cost = cells + 7.0 * bits as f64 / width as f64 * stacked;
        consider(
            cost,
            Resources {
                lut: 4.0 * cells,
                ff: bits as f64,
                ..Resources::default()
            },
        );
    }
    best.expect("at least one shape").1
}

/// The estimate for design point `d`; `None` when its PE (precision and accumulator) is not
/// in the calibration table.
pub fn estimate(d: &Design) -> Option<Resources> {
    let kind = pe_kind(d.dataflow);
    let pe = pe_cells(d)?;
    let (_, fit) = TOP_FIT.iter().find(|(k, _)| *k == kind)?;
    let x = top_features(d);
    let dot = |c: &[f64; 3]| c.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
    let top = Resources {
        lut: dot(&fit[0]),
        ff: dot(&fit[1]),
        carry: dot(&fit[2]),
        ..Resources::default()
    };
    let (r, c) = (d.rows, d.cols);
    let (w, acc) = (d.operand_bits, d.accumulator_bits);
    let mut skews = skew(r, w) + skew(c, acc);
    if d.dataflow == Dataflow::Os {
        skews = skews + skew(c, w);
    }
    let (rr, cc) = (u64::from(r), u64::from(c));
    let buffers = buffer(d.west_words, rr * u64::from(w))
        + buffer(d.north_words, cc * u64::from(w))
        + buffer(d.out_words, cc * u64::from(acc));
    Some(pe * f64::from(r * c) + array_links(d) + skews + buffers + top)
}

/// The MMA unit's own control (sequencer, pointers, control pipeline, writer), from the
/// yosys run of `mma4x4x4_int8` (512-word buffers): (LUT, FF, CARRY4).
const MMA_TOP: [f64; 3] = [170.0, 147.0, 24.0];

/// The estimate for an MMA unit with DSP-mapped products (int8 and int16 operands; `None`
/// for int4, whose products yosys keeps in LUTs and which is not calibrated).
///
/// Counted from the templates as yosys maps them (`dse/tests/reference/yosys/validation/
/// mma*.json`): one DSP48E1 per product; each dot-product tree's first adder level goes
/// into the DSPs' post-adders (a product plus its neighbour's through the cascade); the
/// other levels are in fabric, `ACC` flip-flops per live node and `ACC` LUTs and `ACC/4`
/// CARRY4 per adder (`K/2 - 1` of each for a power-of-two `K`); each accumulator is `ACC` flip-flops, `2 ACC` LUTs (adder and restart
/// multiplexer) and `ACC/4` CARRY4; the buffers as [`buffer`]; the control [`MMA_TOP`].
pub fn estimate_mma(d: &super::mma::MmaDesign) -> Option<Resources> {
    if d.operand_bits < 8 {
        return None;
    }
    let (m, n, k) = (f64::from(d.m), f64::from(d.n), f64::from(d.k));
    let acc = f64::from(d.accumulator_bits);
    // Tree levels 2..L in fabric: a node is live when a product is below it; it keeps a
    // register, and an adder when both children are live (zero padding folds away).
    let (mut live, mut registers, mut adders) = (d.k.div_ceil(2), 0.0, 0.0);
    for _ in 2..=d.tree_levels() {
        adders += f64::from(live / 2);
        live = live.div_ceil(2);
        registers += f64::from(live);
    }
    let tree = Resources {
        lut: acc * adders,
        ff: acc * registers,
        carry: (acc / 4.0).ceil() * adders,
        ..Resources::default()
    };
    let accumulator = Resources {
        lut: 2.0 * acc,
        ff: acc,
        carry: (acc / 4.0).ceil(),
        ..Resources::default()
    };
    let dots = Resources {
        dsp: k,
        ..Resources::default()
    } + tree;
    let (w, a) = (u64::from(d.operand_bits), u64::from(d.accumulator_bits));
    let (mu, nu, ku) = (u64::from(d.m), u64::from(d.n), u64::from(d.k));
    let buffers = buffer(d.buffer_words, mu * ku * w)
        + buffer(d.buffer_words, nu * ku * w)
        + buffer(d.buffer_words, mu * nu * a);
    let [lut, ff, carry] = MMA_TOP;
    let top = Resources {
        lut,
        ff,
        carry,
        ..Resources::default()
    };
    Some((dots + accumulator) * (m * n) + buffers + top)
}
