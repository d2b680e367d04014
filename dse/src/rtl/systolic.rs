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

use std::fmt::Write as _;

use accel_sim::arch::systolic::mapping::FoldPlan;
use accel_sim::{Dataflow, InputError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{
    cycle_contract, fill_drain_terms, Bundle, CycleContract, Design, EmittedFile, TestGemm,
    DIM_BITS,
};

const SRAM: &str = include_str!("templates/sram_1r1w.v");
const SKEW: &str = include_str!("templates/skew.v");
const DESKEW: &str = include_str!("templates/deskew.v");
const PE_OS: &str = include_str!("templates/pe_os.v");
const PE_WS: &str = include_str!("templates/pe_ws.v");
const ARRAY_OS: &str = include_str!("templates/array_os.v");
const ARRAY_WS: &str = include_str!("templates/array_ws.v");
const TOP_OS: &str = include_str!("templates/top_os.v");
const TOP_WS: &str = include_str!("templates/top_ws.v");
const TB: &str = include_str!("templates/tb.v");

/// Pieces shared by several templates, included with `@@>name@@` (filled with the including
/// template's fields).
const PARTS: &[(&str, &str)] = &[
    (
        "top_ports_doc",
        include_str!("templates/parts/top_ports_doc.v"),
    ),
    ("top_ports", include_str!("templates/parts/top_ports.v")),
    ("top_done", include_str!("templates/parts/top_done.v")),
    ("pe_product", include_str!("templates/parts/pe_product.v")),
];

/// Bits needed to hold `v` (at least 1).
fn bits_for(v: u64) -> u32 {
    (64 - v.leading_zeros()).max(1)
}

/// Replaces every `@@KEY@@` of `template`; every key must have a value. `@@>name@@` includes
/// the shared piece `name` of [`PARTS`], filled with the same values.
pub(super) fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(at) = rest.find("@@") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find("@@")
            .expect("template field `@@KEY@@` is not closed");
        let key = &after[..end];
        rest = &after[end + 2..];
        if let Some(part) = key.strip_prefix('>') {
            let (_, text) = PARTS
                .iter()
                .find(|(name, _)| *name == part)
                .unwrap_or_else(|| panic!("template part `{part}` does not exist"));
            out.push_str(&fill(text, vars));
            continue;
        }
        let i = vars
            .iter()
            .position(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("template field `{key}` has no value"));
        out.push_str(&vars[i].1);
    }
    out.push_str(rest);
    out
}

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
    let dim_max = (1u64 << DIM_BITS) - 1;
    for g in gs {
        for (name, v) in [("m", g.m), ("n", g.n), ("k", g.k)] {
            if !(1..=dim_max).contains(&v) {
                return Err(InputError::OutOfRange {
                    file: file.to_path_buf(),
                    key: format!("test GEMM {name}"),
                    value: v.to_string(),
                    allowed: format!("1..={dim_max}"),
                });
            }
        }
    }
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

/// Template fields shared by the top and the testbench.
fn common_vars(d: &Design) -> Vec<(&'static str, String)> {
    let p = format!("{}_", d.name());
    let hi = |bits: u64| (bits - 1).to_string();
    let (r, c, w, acc) = (
        u64::from(d.rows),
        u64::from(d.cols),
        u64::from(d.operand_bits),
        u64::from(d.accumulator_bits),
    );
    vec![
        ("DW_HI", hi(u64::from(DIM_BITS))),
        ("WAW_HI", hi(u64::from(bits_for(d.west_words - 1)))),
        ("NAW_HI", hi(u64::from(bits_for(d.north_words - 1)))),
        ("OAW_HI", hi(u64::from(bits_for(d.out_words - 1)))),
        ("WEST_HI", hi(r * w)),
        ("NORTH_HI", hi(c * w)),
        ("OUT_HI", hi(c * acc)),
        ("P", p),
        ("DESIGN", describe(d)),
        ("R", d.rows.to_string()),
        ("C", d.cols.to_string()),
        ("W", d.operand_bits.to_string()),
        ("ACC", d.accumulator_bits.to_string()),
        ("DW", DIM_BITS.to_string()),
        ("WAW", bits_for(d.west_words - 1).to_string()),
        ("NAW", bits_for(d.north_words - 1).to_string()),
        ("OAW", bits_for(d.out_words - 1).to_string()),
    ]
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
    let mut v = common_vars(d);
    v.extend([
        ("PW", bits_for(period_max).to_string()),
        ("DIM_MAX", dim_max.to_string()),
        ("WDEPTH", d.west_words.to_string()),
        ("NDEPTH", d.north_words.to_string()),
        ("ODEPTH", d.out_words.to_string()),
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

/// Wraps `text` into `// `-comment lines indented by `indent` spaces after the `//`.
fn wrap_comment(text: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + 3 + line.len() + 1 + word.len() > 92 {
            out.push_str(&line);
            out.push_str(&format!("\n//{}", " ".repeat(indent)));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
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

/// Operands and expected results of a test GEMM, packed into buffer words (hex lines).
struct Vectors {
    west: Vec<String>,
    north: Vec<String>,
    expected: Vec<String>,
}

/// One buffer word as hex: `lanes` values of `bits` bits, lane 0 in the low bits.
fn hex_word(lanes: impl DoubleEndedIterator<Item = i64>, bits: u32) -> String {
    let digits = (bits / 4) as usize;
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let mut s = String::new();
    for v in lanes.rev() {
        // Two's complement truncated to `bits`: the hardware's wrap-around.
        let _ = write!(s, "{:0digits$x}", (v as u64) & mask);
    }
    s
}

fn vectors(d: &Design, g: &TestGemm, l: &Layout) -> Vectors {
    let (m, n, k) = (g.m as usize, g.n as usize, g.k as usize);
    let mut rng = ChaCha8Rng::seed_from_u64(g.seed);
    let half = 1i64 << (d.operand_bits - 1);
    // Full operand range, extremes included.
    let a: Vec<Vec<i64>> = (0..m)
        .map(|_| (0..k).map(|_| rng.gen_range(-half..half)).collect())
        .collect();
    let b: Vec<Vec<i64>> = (0..k)
        .map(|_| (0..n).map(|_| rng.gen_range(-half..half)).collect())
        .collect();
    // Reference product; i64 cannot overflow (|a*b| <= 2^30, k < 2^16), the RTL wraps at
    // the accumulator width and so does hex_word.
    let c: Vec<Vec<i64>> = (0..m)
        .map(|i| {
            (0..n)
                .map(|j| (0..k).map(|x| a[i][x] * b[x][j]).sum())
                .collect()
        })
        .collect();
    let at = |mat: &Vec<Vec<i64>>, i: usize, j: usize| -> i64 {
        mat.get(i).and_then(|row| row.get(j)).copied().unwrap_or(0)
    };
    let (r, cc) = (d.rows as usize, d.cols as usize);
    let (rf, cf, t) = (
        l.plan.row_folds() as usize,
        l.plan.col_folds() as usize,
        l.plan.t as usize,
    );
    let (w, acc) = (d.operand_bits, d.accumulator_bits);
    let mut v = Vectors {
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

fn testbench(d: &Design, gs: &[TestGemm], ls: &[Layout]) -> String {
    let sum = |f: fn(&Layout) -> u64| ls.iter().map(f).sum::<u64>();
    let list = gs
        .iter()
        .zip(ls)
        .enumerate()
        .map(|(i, (g, l))| {
            format!(
                "//   GEMM {i}: [{m} x {k}] x [{k} x {n}], {} folds, {} cycles",
                l.contract.folds,
                l.contract.total_cycles,
                m = g.m,
                n = g.n,
                k = g.k
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut vars = common_vars(d);
    vars.extend([
        ("GEMMS", gs.len().to_string()),
        ("GEMM_LIST", list),
        ("SEED", gs[0].seed.to_string()),
        ("WEST_USED", sum(|l| l.west_used).to_string()),
        ("NORTH_USED", sum(|l| l.north_used).to_string()),
        ("OUT_USED", sum(|l| l.out_used).to_string()),
    ]);
    fill(TB, &vars)
}

fn run_script(d: &Design, modules: &[String], tb: &str) -> String {
    let sources = modules
        .iter()
        .map(|m| format!("rtl/{m}.v"))
        .collect::<Vec<_>>()
        .join(" ");
    let top = format!("{}_top", d.name());
    format!(
        r#"#!/bin/sh
# Checks of design point {name}, generated by `accel rtl`; run from anywhere:
#   sh run.sh           lint every module (verilator -Wall), simulate the testbench (iverilog)
#   sh run.sh --synth   also synthesize with yosys (synth_xilinx, hierarchy kept)
# Exit status 0 when every module lints without a warning and the testbench prints
# RESULT: PASS; 1 otherwise.
set -u
cd "$(dirname "$0")"
RTL="{sources}"
status=0
for top in {module_list}; do
    if verilator --lint-only -Wall --top-module "$top" $RTL; then
        echo "lint ok: $top"
    else
        echo "LINT FAIL: $top"
        status=1
    fi
done
mkdir -p build
if iverilog -g2005 -o build/tb.vvp -s {tb} $RTL tb/{tb}.v; then
    vvp -n build/tb.vvp | tee build/sim.log
    grep -q '^RESULT: PASS' build/sim.log || status=1
else
    echo "iverilog failed"
    status=1
fi
if [ "${{1:-}}" = "--synth" ]; then
    yosys -q -l build/synth.log -p "read_verilog $RTL; synth_xilinx -top {top}; tee -o build/synth_stat.txt stat" || status=1
fi
exit $status
"#,
        name = d.name(),
        module_list = modules.join(" "),
    )
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
    assert!(!gs.is_empty(), "emit_sequence needs at least one GEMM");
    let ls: Vec<Layout> = gs.iter().map(|g| layout(d, g)).collect();
    let mods = modules(d);
    let names: Vec<String> = mods.iter().map(|(n, _)| n.clone()).collect();
    let tb_name = format!("{}_tb", d.name());
    let mut files: Vec<EmittedFile> = mods
        .into_iter()
        .map(|(name, text)| EmittedFile {
            path: format!("rtl/{name}.v"),
            text,
        })
        .collect();
    files.push(EmittedFile {
        path: format!("tb/{tb_name}.v"),
        text: testbench(d, gs, &ls),
    });
    let mut v = Vectors {
        west: Vec::new(),
        north: Vec::new(),
        expected: Vec::new(),
    };
    let mut commands = String::new();
    for (g, l) in gs.iter().zip(&ls) {
        // m, n, k and the three base addresses: where this GEMM's words start.
        let _ = write!(
            commands,
            "{:08x}\n{:08x}\n{:08x}\n{:08x}\n{:08x}\n{:08x}\n",
            g.m,
            g.n,
            g.k,
            v.west.len(),
            v.north.len(),
            v.expected.len()
        );
        let one = vectors(d, g, l);
        v.west.extend(one.west);
        v.north.extend(one.north);
        v.expected.extend(one.expected);
    }
    let lines = |words: &[String]| words.iter().map(|w| format!("{w}\n")).collect::<String>();
    let cycles: String = ls
        .iter()
        .map(|l| {
            let c = &l.contract;
            format!(
                "{:08x}\n{:08x}\n{:08x}\n{:08x}\n",
                c.total_cycles, c.fold_interval_cycles, c.folds, c.fill_drain_cycles
            )
        })
        .collect();
    files.extend([
        EmittedFile {
            path: "tb/west.hex".into(),
            text: lines(&v.west),
        },
        EmittedFile {
            path: "tb/north.hex".into(),
            text: lines(&v.north),
        },
        EmittedFile {
            path: "tb/expected.hex".into(),
            text: lines(&v.expected),
        },
        EmittedFile {
            path: "tb/gemms.hex".into(),
            text: commands,
        },
        EmittedFile {
            path: "tb/cycles.hex".into(),
            text: cycles,
        },
        EmittedFile {
            path: "run.sh".into(),
            text: run_script(d, &names, &tb_name),
        },
    ]);
    let contracts: Vec<CycleContract> = ls.iter().map(|l| l.contract).collect();
    let info = serde_json::json!({
        "design": d,
        "name": d.name(),
        "modules": names,
        "testbench": tb_name,
        "test_gemms": gs,
        "contracts": contracts,
        "fill_drain_terms": fill_drain_terms(d.dataflow, u64::from(d.rows))
            .into_iter()
            .map(|(cycles, what)| serde_json::json!({ "cycles": cycles, "what": what }))
            .collect::<Vec<_>>(),
    });
    files.push(EmittedFile {
        path: "design.json".into(),
        text: format!(
            "{}\n",
            serde_json::to_string_pretty(&info).expect("design.json serializes")
        ),
    });
    Bundle {
        name: d.name(),
        modules: names,
        testbench: tb_name,
        contracts,
        files,
    }
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
    fn hex_words_put_lane_zero_low_and_wrap() {
        // lanes [1, -1, 127, -128] at 8 bits: lane 3 first: 80 7f ff 01.
        assert_eq!(hex_word([1, -1, 127, -128].into_iter(), 8), "807fff01");
        // -3 at 4 bits is 0xd.
        assert_eq!(hex_word([-3i64, 2].into_iter(), 4), "2d");
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
