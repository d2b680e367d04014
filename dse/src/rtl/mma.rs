//! Verilog for a tensor-core style MMA unit: `M x N` dot-product trees over `K` with
//! accumulators, one `M x N x K` matrix-multiply-accumulate step per cycle.
//!
//! | module          | template        | what                                          |
//! |-----------------|-----------------|-----------------------------------------------|
//! | `<p>_sram_1r1w` | `sram_1r1w.v`   | 1R1W buffer (block RAM), used 3 times         |
//! | `<p>_dot`       | `mma_dot.v`     | K registered products and an L-level adder tree |
//! | `<p>_mma`       | `mma_core.v`    | M x N dot trees and their accumulators        |
//! | `<p>_top`       | `mma_top.v`     | buffers, step sequencer, control pipeline, writer |
//!
//! A GEMM `[m x k] x [k x n]` runs as `MT = ceil(m/M)` row tiles, `NT = ceil(n/N)` column
//! tiles and `KT = ceil(k/K)` steps per output tile: [`cycle_contract`] is `MT * NT * KT`
//! steps plus the pipeline's fill and drain ([`fill_drain_terms`]). The top has the same
//! host interface and testbench as the systolic tops (A tiles in the west buffer, B tiles in
//! the north buffer, an output tile per output word).

use std::path::Path;

use accel_sim::{InputError, Precision, TensorCoreConfig};
use serde::Serialize;

use super::bench::{
    at, bits_for, check_dims, fill, hex_word, wrap_comment, Interface, Operands, TestWords,
};
use super::{Bundle, CycleContract, TestGemm, DIM_BITS};

const SRAM: &str = include_str!("templates/sram_1r1w.v");
const DOT: &str = include_str!("templates/mma_dot.v");
const CORE: &str = include_str!("templates/mma_core.v");
const TOP: &str = include_str!("templates/mma_top.v");

/// Largest tile side the generator accepts.
const MAX_SIDE: u32 = 64;
/// Most multipliers (`M * N * K`) the generator accepts.
const MAX_MACS: u32 = 8192;
/// Words of each buffer unless given: one 36-Kb block RAM deep in its 512 x 72 shape.
pub const DEFAULT_BUFFER_WORDS: u64 = 512;

/// A validated MMA design point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MmaDesign {
    /// Tile rows `M` (rows of A and of the output tile).
    pub m: u32,
    /// Tile columns `N`.
    pub n: u32,
    /// Tile depth `K`: products per dot-product tree.
    pub k: u32,
    /// Operand precision.
    #[serde(serialize_with = "super::ser_precision")]
    pub precision: Precision,
    /// Operand bits.
    pub operand_bits: u32,
    /// Accumulator bits; sums wrap modulo `2^accumulator_bits`.
    pub accumulator_bits: u32,
    /// Words of each buffer (A tiles, B tiles, output tiles).
    pub buffer_words: u64,
}

/// Parses `MxNxK`, e.g. `4x4x8`; `source` (e.g. `--mma`) is named in the error.
pub fn parse_shape(text: &str, source: &Path) -> Result<(u32, u32, u32), InputError> {
    let parts: Vec<Option<u32>> = text.split('x').map(|p| p.trim().parse().ok()).collect();
    match parts.as_slice() {
        [Some(m), Some(n), Some(k)] => Ok((*m, *n, *k)),
        _ => Err(InputError::Invalid {
            file: source.to_path_buf(),
            message: format!("`{text}` is not an MMA shape MxNxK (e.g. 4x4x8)"),
        }),
    }
}

impl MmaDesign {
    /// Validates an MMA design point; `file` and the `keys` of M, N, K, precision and
    /// accumulator (a config's key paths, or CLI flags) are named in errors (exit code 2).
    pub fn new(
        (m, n, k): (u32, u32, u32),
        precision: Precision,
        accumulator: Option<Precision>,
        buffer_words: u64,
        file: &Path,
        keys: [&str; 5],
    ) -> Result<MmaDesign, InputError> {
        let out_of_range = |key: &str, value: String, allowed: String| InputError::OutOfRange {
            file: file.to_path_buf(),
            key: key.to_string(),
            value,
            allowed,
        };
        for (key, side) in keys.iter().zip([m, n, k]) {
            if !(1..=MAX_SIDE).contains(&side) {
                return Err(out_of_range(
                    key,
                    side.to_string(),
                    format!("1..={MAX_SIDE} for RTL generation"),
                ));
            }
        }
        if m * n * k > MAX_MACS {
            return Err(out_of_range(
                keys[0],
                format!("{m}x{n}x{k} ({} multipliers)", m * n * k),
                format!("at most {MAX_MACS} multipliers (M x N x K) for RTL generation"),
            ));
        }
        if !matches!(
            precision,
            Precision::Int4 | Precision::Int8 | Precision::Int16
        ) {
            return Err(out_of_range(
                keys[3],
                format!("\"{precision}\""),
                "\"int4\", \"int8\" or \"int16\" for RTL generation".into(),
            ));
        }
        let operand_bits = precision.bits();
        let acc = accumulator.unwrap_or(precision.default_accumulator());
        if !(matches!(acc, Precision::Int8 | Precision::Int16 | Precision::Int32)
            && acc.bits() >= 2 * operand_bits)
        {
            return Err(out_of_range(
                keys[4],
                format!("\"{acc}\""),
                format!(
                    "an integer format of at least {} bits (twice precision \"{precision}\")",
                    2 * operand_bits
                ),
            ));
        }
        if !(2..=1 << 20).contains(&buffer_words) {
            return Err(out_of_range(
                "buffer words",
                buffer_words.to_string(),
                "2..=1048576".into(),
            ));
        }
        Ok(MmaDesign {
            m,
            n,
            k,
            precision,
            operand_bits,
            accumulator_bits: acc.bits(),
            buffer_words,
        })
    }

    /// The MMA unit of a tensor-core design point (`[arch.tensor_core]`, integer precision):
    /// `mma_m x mma_n` dot-product trees over `K = mma_macs_per_clock / (mma_m * mma_n)`, so
    /// the unit does the model's multiply-accumulates per clock and one `mma_m x mma_n x
    /// mma_k` instruction takes `mma_k / K` cycles, the model's `m*n*k / macs_per_clock`.
    /// `file` is named in errors.
    pub fn from_tensor_core(c: &TensorCoreConfig, file: &Path) -> Result<MmaDesign, InputError> {
        let out_of_range = |key: &str, value: String, allowed: String| InputError::OutOfRange {
            file: file.to_path_buf(),
            key: key.to_string(),
            value,
            allowed,
        };
        let macs = match c.precision {
            Precision::Int8 => c.mma_macs_per_clock.int8,
            Precision::Int4 => c.mma_macs_per_clock.int4,
            p => {
                return Err(out_of_range(
                    "arch.tensor_core.precision",
                    format!("\"{p}\""),
                    "\"int8\" or \"int4\" for RTL generation (the tensor-core model's integer \
                     formats)"
                        .into(),
                ))
            }
        };
        let key = format!("arch.tensor_core.mma_macs_per_clock.{}", c.precision);
        let macs = macs.ok_or_else(|| {
            out_of_range(&key, "missing".into(), "a value for the precision".into())
        })?;
        let (m, n) = (c.mma_m, c.mma_n);
        if m == 0 || n == 0 || macs % (m * n) != 0 || c.mma_k % (macs / (m * n)).max(1) != 0 {
            return Err(out_of_range(
                &key,
                macs.to_string(),
                format!(
                    "a multiple of mma_m x mma_n = {} whose quotient K divides mma_k = {} \
                     for RTL generation (M x N trees over K products each)",
                    m * n,
                    c.mma_k
                ),
            ));
        }
        MmaDesign::new(
            (m, n, macs / (m * n)),
            c.precision,
            None,
            DEFAULT_BUFFER_WORDS,
            file,
            [
                "arch.tensor_core.mma_m",
                "arch.tensor_core.mma_n",
                key.as_str(),
                "arch.tensor_core.precision",
                "accumulator",
            ],
        )
    }

    /// Design-point name, e.g. `mma4x4x8_int8` (`_acc16` appended for a non-int32
    /// accumulator). Every module name starts with it and an underscore.
    pub fn name(&self) -> String {
        let mut name = format!(
            "mma{}x{}x{}_{}",
            self.m,
            self.n,
            self.k,
            self.precision.name()
        );
        if self.accumulator_bits != 32 {
            name.push_str(&format!("_acc{}", self.accumulator_bits));
        }
        name
    }

    /// Registered levels of each dot-product tree: `ceil(log2 K)`.
    pub fn tree_levels(&self) -> u32 {
        bits_for(u64::from(self.k) - 1) * u32::from(self.k > 1)
    }

    /// `(MT, NT, KT)`: row tiles, column tiles and K-steps of GEMM `g`.
    pub fn tiles(&self, g: &TestGemm) -> (u64, u64, u64) {
        (
            g.m.div_ceil(u64::from(self.m)),
            g.n.div_ceil(u64::from(self.n)),
            g.k.div_ceil(u64::from(self.k)),
        )
    }

    fn interface(&self) -> Interface {
        let w = u64::from(self.operand_bits);
        let (m, n, k) = (u64::from(self.m), u64::from(self.n), u64::from(self.k));
        Interface {
            name: self.name(),
            describe: format!(
                "design point {}\n// ({}x{}x{} MMA unit: {} dot-product trees of {} products, {} \
                 operands, int{} accumulators)",
                self.name(),
                self.m,
                self.n,
                self.k,
                m * n,
                k,
                self.precision,
                self.accumulator_bits
            ),
            west_bits: m * k * w,
            north_bits: k * n * w,
            out_bits: m * n * u64::from(self.accumulator_bits),
            west_words: self.buffer_words,
            north_words: self.buffer_words,
            out_words: self.buffer_words,
        }
    }
}

/// Register stages of the MMA pipeline outside the step schedule, paid once per GEMM.
pub fn fill_drain_terms(tree_levels: u32) -> Vec<(u64, &'static str)> {
    vec![
        (1, "operand buffer read latency"),
        (1, "product register"),
        (u64::from(tree_levels), "adder-tree levels, ceil(log2 K)"),
        (1, "accumulator register, written out in the next cycle"),
        (1, "done register"),
    ]
}

/// The cycles the MMA top takes for GEMM `g`, from `start` to `done`: one step per cycle,
/// `MT * NT` output tiles ("folds") of `KT` steps each, plus [`fill_drain_terms`].
pub fn cycle_contract(d: &MmaDesign, g: &TestGemm) -> CycleContract {
    let (mt, nt, kt) = d.tiles(g);
    let fill_drain: u64 = fill_drain_terms(d.tree_levels())
        .iter()
        .map(|(c, _)| c)
        .sum();
    CycleContract {
        folds: mt * nt,
        fold_interval_cycles: kt,
        fill_drain_cycles: fill_drain,
        total_cycles: mt * nt * kt + fill_drain,
    }
}

/// A test GEMM of 2 x 2 output tiles (the second of each partial) and 3 K-steps (the last
/// partial).
pub fn default_test(d: &MmaDesign) -> TestGemm {
    TestGemm {
        m: 2 * u64::from(d.m) - u64::from(d.m > 1),
        n: 2 * u64::from(d.n) - u64::from(d.n > 1),
        k: 3 * u64::from(d.k) - u64::from(d.k > 1),
        seed: 1,
    }
}

/// Checks that the GEMMs `gs` fit `d`'s buffers (each at its own addresses) and dimension
/// inputs; `file` is named in the error.
pub fn check_sequence(d: &MmaDesign, gs: &[TestGemm], file: &Path) -> Result<(), InputError> {
    check_dims(gs, file)?;
    let mut used = [0u64; 3];
    for g in gs {
        let (mt, nt, kt) = d.tiles(g);
        used[0] += mt * kt;
        used[1] += nt * kt;
        used[2] += mt * nt;
    }
    for (what, used) in ["A (west)", "B (north)", "output"].iter().zip(used) {
        if used > d.buffer_words {
            return Err(InputError::Invalid {
                file: file.to_path_buf(),
                message: format!(
                    "the test GEMMs need {used} words of the {what} buffer, which holds {}; \
                     use a smaller test GEMM or more buffer words",
                    d.buffer_words
                ),
            });
        }
    }
    Ok(())
}

/// The RTL modules of `d`, leaves first, as `(module name, text)`.
pub fn modules(d: &MmaDesign) -> Vec<(String, String)> {
    let iface = d.interface();
    let p = format!("{}_", d.name());
    let base = [("P", p.clone()), ("DESIGN", iface.describe.clone())];
    let terms = fill_drain_terms(d.tree_levels());
    let terms_text = terms
        .iter()
        .map(|(n, what)| format!("{n} ({what})"))
        .collect::<Vec<_>>()
        .join(" + ");
    let mut top = iface.vars();
    top.extend([
        ("M", d.m.to_string()),
        ("N", d.n.to_string()),
        ("K", d.k.to_string()),
        ("L", d.tree_levels().to_string()),
        ("W", d.operand_bits.to_string()),
        ("ACC", d.accumulator_bits.to_string()),
        ("DIM_MAX", ((1u64 << DIM_BITS) - 1).to_string()),
        (
            "FILL_DRAIN",
            terms.iter().map(|(c, _)| c).sum::<u64>().to_string(),
        ),
        ("FILL_DRAIN_TERMS", wrap_comment(&terms_text, 19)),
    ]);
    vec![
        (format!("{p}sram_1r1w"), fill(SRAM, &base)),
        (format!("{p}dot"), fill(DOT, &base)),
        (format!("{p}mma"), fill(CORE, &base)),
        (format!("{p}top"), fill(TOP, &top)),
    ]
}

/// The buffer words of `g` in the layout of the MMA top (see its header).
fn vectors(d: &MmaDesign, g: &TestGemm) -> TestWords {
    let Operands { a, b, c } = Operands::random(g, d.operand_bits);
    let (mt, nt, kt) = d.tiles(g);
    let (mt, nt, kt) = (mt as usize, nt as usize, kt as usize);
    let (m, n, k) = (d.m as usize, d.n as usize, d.k as usize);
    let (w, acc) = (d.operand_bits, d.accumulator_bits);
    let mut v = TestWords {
        contract: cycle_contract(d, g),
        west: Vec::new(),
        north: Vec::new(),
        expected: Vec::new(),
    };
    // One word per tile: `lanes` (row, column) pairs of the tile, read from `mat` at the
    // tile's offset.
    let word = |mat: &[Vec<i64>], (rows, cols): (usize, usize), (r0, c0): (usize, usize), bits| {
        let lanes: Vec<i64> = (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .map(|(r, c)| at(mat, r0 + r, c0 + c))
            .collect();
        hex_word(lanes.into_iter(), bits)
    };
    // B tiles are stored transposed (lane c*K + x), so that each column is contiguous.
    let bt: Vec<Vec<i64>> = (0..g.n as usize)
        .map(|j| (0..g.k as usize).map(|x| b[x][j]).collect())
        .collect();
    for i in 0..mt {
        for s in 0..kt {
            v.west.push(word(&a, (m, k), (i * m, s * k), w));
        }
    }
    for j in 0..nt {
        for s in 0..kt {
            v.north.push(word(&bt, (n, k), (j * n, s * k), w));
        }
    }
    for i in 0..mt {
        for j in 0..nt {
            v.expected.push(word(&c, (m, n), (i * m, j * n), acc));
        }
    }
    v
}

/// Everything for MMA design point `d` and the test GEMMs `gs` (streamed back to back):
/// RTL, testbench, vectors, run script and `design.json`. Call [`check_sequence`] first.
pub fn emit_sequence(d: &MmaDesign, gs: &[TestGemm]) -> Bundle {
    let words = gs.iter().map(|g| vectors(d, g)).collect();
    let design = serde_json::json!({
        "mma": d,
        "tree_levels": d.tree_levels(),
        "fill_drain_terms": fill_drain_terms(d.tree_levels())
            .into_iter()
            .map(|(cycles, what)| serde_json::json!({ "cycles": cycles, "what": what }))
            .collect::<Vec<_>>(),
    });
    super::bench::bundle(&d.interface(), modules(d), design, gs, words)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 5] = ["m", "n", "k", "precision", "accumulator"];

    fn design(m: u32, n: u32, k: u32) -> MmaDesign {
        MmaDesign::new(
            (m, n, k),
            Precision::Int8,
            None,
            64,
            Path::new("--mma"),
            KEYS,
        )
        .unwrap()
    }

    #[test]
    fn contract_is_steps_plus_pipeline() {
        // 4x4x8 unit, GEMM 7 x 7 x 20: MT = 2, NT = 2, KT = 3 -> 12 steps; tree levels
        // log2 8 = 3; fill/drain 1 + 1 + 3 + 1 + 1 = 7.
        let d = design(4, 4, 8);
        let c = cycle_contract(
            &d,
            &TestGemm {
                m: 7,
                n: 7,
                k: 20,
                seed: 1,
            },
        );
        assert_eq!((c.folds, c.fold_interval_cycles), (4, 3));
        assert_eq!(c.fill_drain_cycles, 7);
        assert_eq!(c.total_cycles, 12 + 7);
    }

    #[test]
    fn tree_levels_round_up() {
        // K = 1: no adder; 2: one level; 3 and 4: two; 5: three.
        let levels: Vec<u32> = [1, 2, 3, 4, 5, 16]
            .iter()
            .map(|&k| design(2, 2, k).tree_levels())
            .collect();
        assert_eq!(levels, [0, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn names_and_parses_the_shape() {
        assert_eq!(design(4, 2, 8).name(), "mma4x2x8_int8");
        assert_eq!(parse_shape("4x2x8", Path::new("--mma")).unwrap(), (4, 2, 8));
        let msg = parse_shape("4x2", Path::new("--mma"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("MxNxK"), "{msg}");
    }

    #[test]
    fn rejects_out_of_range_shapes_and_formats() {
        let err = |shape, p| {
            MmaDesign::new(shape, p, None, 64, Path::new("--mma"), KEYS)
                .unwrap_err()
                .to_string()
        };
        assert!(err((0, 4, 4), Precision::Int8).contains("`m` = 0"));
        assert!(err((4, 4, 4), Precision::Fp16).contains("precision"));
        assert!(err((64, 64, 64), Precision::Int8).contains("multipliers"));
    }

    #[test]
    fn every_template_field_is_filled() {
        let d = design(2, 3, 5);
        let b = emit_sequence(&d, &[default_test(&d)]);
        for f in &b.files {
            assert!(!f.text.contains("@@"), "{} has an unfilled field", f.path);
        }
        assert_eq!(b.modules.len(), 4);
    }
}
