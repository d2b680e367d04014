//! Verilog for a systolic-array design point, its testbench, vectors and run script.
//!
//! One file per module, each from a template in `rtl/templates/` with `@@KEY@@` fields:
//!
//! | module          | template             | what                                        |
//! |-----------------|----------------------|---------------------------------------------|
//! | `<p>_sram_1r1w` | `sram_1r1w.v`        | 1R1W buffer (block RAM), used 3 times       |
//! | `<p>_skew`      | `skew.v`             | input skew: lane i delayed i cycles         |
//! | `<p>_deskew`    | `deskew.v`           | output de-skew: lane i delayed LANES-1-i    |
//! | `<p>_pe`        | `pe_os.v`, `pe_ws.v` | MAC PE                                      |
//! | `<p>_array`     | `array_{os,ws}.v`    | R x C grid and its forwarding registers     |
//! | `<p>_top`       | `top_{os,ws}.v`      | buffers, fold sequencer, skew, array, writer|
//!
//! Input stationary reuses the `ws` PE, array and top with the operands swapped: the
//! stationary tile holds ifmap values, the west stream carries filter columns, and the
//! output buffer holds the result transposed (see the top's header comment).

use super::bench::{
    at, bits_for, check_dims, fill, hex_word, wrap_comment, Interface, Operands, TestWords,
};
use super::{cycle_contract, fill_drain_terms, Bundle, CycleContract, Design, TestGemm, DIM_BITS};
use accel_sim::arch::systolic::mapping::FoldPlan;
use accel_sim::{Dataflow, InputError};

const SRAM: &str = include_str!("templates/sram_1r1w.v");
const SKEW: &str = include_str!("templates/skew.v");
const DESKEW: &str = include_str!("templates/deskew.v");
const PE_OS: &str = include_str!("templates/pe_os.v");
const PE_WS: &str = include_str!("templates/pe_ws.v");
const ARRAY_OS: &str = include_str!("templates/array_os.v");
const ARRAY_WS: &str = include_str!("templates/array_ws.v");
const TOP_OS: &str = include_str!("templates/top_os.v");
const TOP_WS: &str = include_str!("templates/top_ws.v");

/// The shape of one test: its plan, contract and the words of each buffer it uses.
struct Layout {
    plan: FoldPlan,
    contract: CycleContract,
    west_used: u64,
    north_used: u64,
    out_used: u64,
}

fn layout(d: &Design, g: &TestGemm) -> Layout {
    let plan = d.plan(g.m, g.n, g.k);
    let (rf, cf, t) = (plan.row_folds(), plan.col_folds(), plan.t);
    let r = u64::from(d.rows);
    let (west_used, north_used, out_used) = match d.dataflow {
        Dataflow::Os => (rf * t, cf * t, cf * rf * r),
        Dataflow::Ws | Dataflow::Is => (rf * t, cf * rf * r, cf * t),
    };
    Layout {
        contract: cycle_contract(&plan),
        plan,
        west_used,
        north_used,
        out_used,
    }
}

/// Checks that `g` can run on `d`'s buffers and dimension inputs; `file` (the design
/// point's config) is named in the error.
pub fn check_test(d: &Design, g: &TestGemm, file: &std::path::Path) -> Result<(), InputError> {
    check_sequence(d, std::slice::from_ref(g), file)
}

/// Checks that the GEMMs `gs`, each at its own buffer addresses (see [`emit_sequence`]),
/// fit `d`'s buffers and dimension inputs together; `file` is named in the error.
pub fn check_sequence(
    d: &Design,
    gs: &[TestGemm],
    file: &std::path::Path,
) -> Result<(), InputError> {
    check_dims(gs, file)?;
    let ls: Vec<Layout> = gs.iter().map(|g| layout(d, g)).collect();
    let sum = |f: fn(&Layout) -> u64| ls.iter().map(f).sum::<u64>();
    let (west_key, north_key) = match d.dataflow {
        Dataflow::Os | Dataflow::Ws => ("ifmap_sram_kib", "filter_sram_kib"),
        Dataflow::Is => ("filter_sram_kib", "ifmap_sram_kib"),
    };
    let what_test = match gs {
        [g] => format!("the test GEMM m={} n={} k={} needs", g.m, g.n, g.k),
        _ => format!("the {} test GEMMs need", gs.len()),
    };
    for (what, key, used, have) in [
        ("west", west_key, sum(|l| l.west_used), d.west_words),
        ("north", north_key, sum(|l| l.north_used), d.north_words),
        ("output", "ofmap_sram_kib", sum(|l| l.out_used), d.out_words),
    ] {
        if used > have {
            return Err(InputError::Invalid {
                file: file.to_path_buf(),
                message: format!(
                    "{what_test} {used} words of the {what} buffer, which holds {have} \
                     (arch.systolic.{key}); use a smaller test GEMM or a larger buffer"
                ),
            });
        }
    }
    Ok(())
}

/// A line describing the design point, used in every header.
fn describe(d: &Design) -> String {
    let df = match d.dataflow {
        Dataflow::Os => "output-stationary",
        Dataflow::Ws => "weight-stationary",
        Dataflow::Is => "input-stationary",
    };
    format!(
        "design point {}\n// ({}x{} {df} systolic array, {} operands, int{} accumulators)",
        d.name(),
        d.rows,
        d.cols,
        d.precision,
        d.accumulator_bits
    )
}

/// The host interface of `d`'s top.
fn interface(d: &Design) -> Interface {
    let (r, c, w, acc) = (
        u64::from(d.rows),
        u64::from(d.cols),
        u64::from(d.operand_bits),
        u64::from(d.accumulator_bits),
    );
    Interface {
        name: d.name(),
        describe: describe(d),
        west_bits: r * w,
        north_bits: c * w,
        out_bits: c * acc,
        west_words: d.west_words,
        north_words: d.north_words,
        out_words: d.out_words,
    }
}

fn top_vars(d: &Design) -> Vec<(&'static str, String)> {
    let (r, c) = (u64::from(d.rows), u64::from(d.cols));
    let dim_max = (1u64 << DIM_BITS) - 1;
    let period_max = match d.dataflow {
        Dataflow::Os => dim_max + r + c - 2,
        Dataflow::Ws | Dataflow::Is => dim_max + 2 * r + c - 2,
    };
    let terms = fill_drain_terms(d.dataflow, r);
    let terms_text = terms
        .iter()
        .map(|(n, what)| format!("{n} ({what})"))
        .collect::<Vec<_>>()
        .join(" + ");
    let mut v = interface(d).vars();
    v.extend([
        ("R", d.rows.to_string()),
        ("C", d.cols.to_string()),
        ("W", d.operand_bits.to_string()),
        ("ACC", d.accumulator_bits.to_string()),
        ("PW", bits_for(period_max).to_string()),
        ("DIM_MAX", dim_max.to_string()),
        (
            "FILL_DRAIN",
            super::fill_drain_cycles(d.dataflow, r).to_string(),
        ),
        ("FILL_DRAIN_TERMS", wrap_comment(&terms_text, 19)),
    ]);
    match d.dataflow {
        Dataflow::Os => v.extend([
            ("RW", bits_for(r).to_string()),
            ("P_FILL", (r + c - 3).to_string()),
            ("R_LAST", (r - 1).to_string()),
            ("OA_NEXT", (2 * r - 1).to_string()),
            ("SR_DIM", "cfg_m".into()),
            ("SC_DIM", "cfg_n".into()),
            ("T_DIM", "cfg_k".into()),
        ]),
        Dataflow::Ws => v.extend([
            ("P_FILL", (2 * r + c - 3).to_string()),
            ("DF_NAME", "WS".into()),
            (
                "DF_TEXT",
                "weight stationary (SCALE-Sim `ws`): the stationary tile holds filter\n// \
                 values, the west stream carries ifmap rows;"
                    .into(),
            ),
            ("SR_NAME", "k".into()),
            ("SC_NAME", "n".into()),
            ("T_NAME", "m".into()),
            ("SR_DIM", "cfg_k".into()),
            ("SC_DIM", "cfg_n".into()),
            ("T_DIM", "cfg_m".into()),
            ("WEST_ELEM", format!("A[j][i*{r} + r]")),
            ("NORTH_ELEM", format!("B[i*{r} + r][o*{c} + c]")),
            ("OUT_ELEM", format!("C[j][o*{c} + c]")),
        ]),
        Dataflow::Is => v.extend([
            ("P_FILL", (2 * r + c - 3).to_string()),
            ("DF_NAME", "IS".into()),
            (
                "DF_TEXT",
                "input stationary (SCALE-Sim `is`), on the weight-stationary hardware with\n// \
                 the operands swapped: the stationary tile holds ifmap values, the west stream\n// \
                 carries filter columns, the output buffer holds C transposed;"
                    .into(),
            ),
            ("SR_NAME", "k".into()),
            ("SC_NAME", "m".into()),
            ("T_NAME", "n".into()),
            ("SR_DIM", "cfg_k".into()),
            ("SC_DIM", "cfg_m".into()),
            ("T_DIM", "cfg_n".into()),
            ("WEST_ELEM", format!("B[i*{r} + r][j]")),
            ("NORTH_ELEM", format!("A[o*{c} + c][i*{r} + r]")),
            ("OUT_ELEM", format!("C[o*{c} + c][j]")),
        ]),
    }
    v
}

/// The RTL modules of `d`, leaves first, as `(module name, text)`.
pub fn modules(d: &Design) -> Vec<(String, String)> {
    let p = format!("{}_", d.name());
    let base = [("P", p.clone()), ("DESIGN", describe(d))];
    let (pe, array, top) = match d.dataflow {
        Dataflow::Os => (PE_OS, ARRAY_OS, TOP_OS),
        Dataflow::Ws | Dataflow::Is => (PE_WS, ARRAY_WS, TOP_WS),
    };
    // The PE's second multiplier operand: the north operand (OS) or the stationary one.
    let mul_b = if d.dataflow == Dataflow::Os { "b" } else { "w" };
    let pe_vars = [
        ("P", p.clone()),
        ("DESIGN", describe(d)),
        ("MUL_B", mul_b.to_string()),
    ];
    let mut out = vec![
        (format!("{p}sram_1r1w"), fill(SRAM, &base)),
        (format!("{p}skew"), fill(SKEW, &base)),
        (format!("{p}deskew"), fill(DESKEW, &base)),
        (format!("{p}pe"), fill(pe, &pe_vars)),
        (format!("{p}array"), fill(array, &base)),
    ];
    out.push((format!("{p}top"), fill(top, &top_vars(d))));
    out
}

/// The buffer words of test GEMM `g` in the layout of `d`'s top (see its header).
fn vectors(d: &Design, g: &TestGemm, l: &Layout) -> TestWords {
    let Operands { a, b, c } = Operands::random(g, d.operand_bits);
    let (r, cc) = (d.rows as usize, d.cols as usize);
    let (rf, cf, t) = (
        l.plan.row_folds() as usize,
        l.plan.col_folds() as usize,
        l.plan.t as usize,
    );
    let (w, acc) = (d.operand_bits, d.accumulator_bits);
    let mut v = TestWords {
        contract: l.contract,
        west: Vec::new(),
        north: Vec::new(),
        expected: Vec::new(),
    };
    match d.dataflow {
        Dataflow::Os => {
            for i in 0..rf {
                for j in 0..t {
                    v.west
                        .push(hex_word((0..r).map(|x| at(&a, i * r + x, j)), w));
                }
            }
            for o in 0..cf {
                for j in 0..t {
                    v.north
                        .push(hex_word((0..cc).map(|x| at(&b, j, o * cc + x)), w));
                }
            }
            for o in 0..cf {
                for i in 0..rf {
                    for x in 0..r {
                        v.expected.push(hex_word(
                            (0..cc).map(|y| at(&c, i * r + x, o * cc + y)),
                            acc,
                        ));
                    }
                }
            }
        }
        Dataflow::Ws | Dataflow::Is => {
            let is = d.dataflow == Dataflow::Is;
            // Streamed, stationary and output elements in the WS naming; IS swaps roles.
            let west = |i: usize, j: usize, x: usize| {
                if is {
                    at(&b, i * r + x, j)
                } else {
                    at(&a, j, i * r + x)
                }
            };
            let north = |o: usize, i: usize, x: usize, y: usize| {
                if is {
                    at(&a, o * cc + y, i * r + x)
                } else {
                    at(&b, i * r + x, o * cc + y)
                }
            };
            let out = |o: usize, j: usize, y: usize| {
                if is {
                    at(&c, o * cc + y, j)
                } else {
                    at(&c, j, o * cc + y)
                }
            };
            for i in 0..rf {
                for j in 0..t {
                    v.west.push(hex_word((0..r).map(|x| west(i, j, x)), w));
                }
            }
            for o in 0..cf {
                for i in 0..rf {
                    for x in 0..r {
                        v.north
                            .push(hex_word((0..cc).map(|y| north(o, i, x, y)), w));
                    }
                }
            }
            for o in 0..cf {
                for j in 0..t {
                    v.expected
                        .push(hex_word((0..cc).map(|y| out(o, j, y)), acc));
                }
            }
        }
    }
    debug_assert_eq!(v.west.len() as u64, l.west_used);
    debug_assert_eq!(v.north.len() as u64, l.north_used);
    debug_assert_eq!(v.expected.len() as u64, l.out_used);
    v
}

/// Everything for design point `d` and test GEMM `g`: RTL, testbench, vectors, run script
/// and `design.json`. Call [`check_test`] first: `g` must fit `d`'s buffers.
pub fn emit(d: &Design, g: &TestGemm) -> Bundle {
    emit_sequence(d, std::slice::from_ref(g))
}

/// Like [`emit`] for several GEMMs that the testbench streams back to back without reset:
/// GEMM `i`'s operands and results sit in each buffer right after those of GEMM `i - 1`
/// (the top's `cfg_*_base` inputs), and the testbench raises `start` for GEMM `i` in the
/// cycle in which GEMM `i - 1` is done. Call [`check_sequence`] first.
pub fn emit_sequence(d: &Design, gs: &[TestGemm]) -> Bundle {
    let words = gs.iter().map(|g| vectors(d, g, &layout(d, g))).collect();
    let design = serde_json::json!({
        "design": d,
        "fill_drain_terms": fill_drain_terms(d.dataflow, u64::from(d.rows))
            .into_iter()
            .map(|(cycles, what)| serde_json::json!({ "cycles": cycles, "what": what }))
            .collect::<Vec<_>>(),
    });
    super::bench::bundle(&interface(d), modules(d), design, gs, words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use accel_sim::SystolicConfig;
    use std::path::Path;

    fn design(df: Dataflow, r: u32, c: u32) -> Design {
        Design::from_config(&SystolicConfig::new(r, c, df), Path::new("a.toml")).unwrap()
    }

    #[test]
    fn every_template_field_is_filled() {
        for df in [Dataflow::Os, Dataflow::Ws, Dataflow::Is] {
            let d = design(df, 4, 8);
            let b = emit(&d, &TestGemm::default_for(&d));
            for f in &b.files {
                assert!(!f.text.contains("@@"), "{} has an unfilled field", f.path);
            }
            assert_eq!(b.modules.len(), 6);
            for m in &b.modules {
                assert!(m.starts_with("sa4x8_"), "{m}");
            }
        }
    }

    #[test]
    fn default_test_gemm_has_partial_folds() {
        // 4x8 WS: k = 2*4-1 = 7 -> row folds 4 + 3 rows, n = 2*8-1 = 15 -> 8 + 7 columns.
        let d = design(Dataflow::Ws, 4, 8);
        let g = TestGemm::default_for(&d);
        let p = d.plan(g.m, g.n, g.k);
        assert_eq!((p.row_folds(), p.col_folds()), (2, 2));
        assert_eq!((p.rows_used(1), p.cols_used(1)), (3, 7));
    }

    #[test]
    fn rejects_a_test_gemm_larger_than_the_buffers() {
        let mut c = SystolicConfig::new(4, 4, Dataflow::Os);
        c.ifmap_sram_kib = 0.25; // 256 B = 64 words of 4 x int8
        let d = Design::from_config(&c, Path::new("a.toml")).unwrap();
        // m = 64 -> 16 row folds x k = 8 = 128 west words > 64.
        let g = TestGemm {
            m: 64,
            n: 4,
            k: 8,
            seed: 1,
        };
        let msg = check_test(&d, &g, Path::new("a.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("128 words") && msg.contains("ifmap_sram_kib"),
            "{msg}"
        );
    }
}
