//! What every generated design shares: template filling, the top's host interface fields,
//! buffer words as hex, and the testbench, vectors, run script and `design.json` around the
//! RTL modules.
//!
//! A generator ([`super::systolic`], [`super::mma`]) gives its modules, the top's interface
//! ([`Interface`]) and, per test GEMM, the cycle contract and the buffer words
//! ([`TestWords`]); [`bundle`] adds the rest. The testbench (`templates/tb.v`) is the same
//! for every top: three 1R1W buffers behind a start/done interface with base addresses.

use std::fmt::Write as _;

use accel_sim::InputError;

use super::{Bundle, CycleContract, EmittedFile, TestGemm, DIM_BITS};

const TB: &str = include_str!("templates/tb.v");

/// Pieces shared by several templates, included with `@@>name@@` (filled with the including
/// template's fields).
const PARTS: &[(&str, &str)] = &[
    (
        "top_ports_doc",
        include_str!("templates/parts/top_ports_doc.v"),
    ),
    ("top_ports", include_str!("templates/parts/top_ports.v")),
    ("sa_params", include_str!("templates/parts/sa_params.v")),
    ("in_bufs", include_str!("templates/parts/in_bufs.v")),
    ("top_done", include_str!("templates/parts/top_done.v")),
    ("fold_seq", include_str!("templates/parts/fold_seq.v")),
    ("pe_product", include_str!("templates/parts/pe_product.v")),
];

/// Bits needed to hold `v` (at least 1).
pub(super) fn bits_for(v: u64) -> u32 {
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

/// Wraps `text` into `// `-comment lines indented by `indent` spaces after the `//`.
pub(super) fn wrap_comment(text: &str, indent: usize) -> String {
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

/// One buffer word as hex: `lanes` values of `bits` bits, lane 0 in the low bits.
pub(super) fn hex_word(lanes: impl DoubleEndedIterator<Item = i64>, bits: u32) -> String {
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

/// Random operands of a test GEMM, full range of a `bits`-bit signed integer (extremes
/// included): `A` is `m x k`, `B` is `k x n`, and the exact product `C = A B` (`i64` cannot
/// overflow: `|a*b| <= 2^30`, `k < 2^16`; the RTL wraps at the accumulator width and so does
/// [`hex_word`]).
pub(super) struct Operands {
    /// `A[i][x]`.
    pub a: Vec<Vec<i64>>,
    /// `B[x][j]`.
    pub b: Vec<Vec<i64>>,
    /// `C[i][j]`.
    pub c: Vec<Vec<i64>>,
}

impl Operands {
    /// Operands of `g` from its seed (ChaCha8).
    pub fn random(g: &TestGemm, bits: u32) -> Operands {
        use rand::{Rng, SeedableRng};
        let (m, n, k) = (g.m as usize, g.n as usize, g.k as usize);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(g.seed);
        let half = 1i64 << (bits - 1);
        let a: Vec<Vec<i64>> = (0..m)
            .map(|_| (0..k).map(|_| rng.gen_range(-half..half)).collect())
            .collect();
        let b: Vec<Vec<i64>> = (0..k)
            .map(|_| (0..n).map(|_| rng.gen_range(-half..half)).collect())
            .collect();
        let c = (0..m)
            .map(|i| {
                (0..n)
                    .map(|j| (0..k).map(|x| a[i][x] * b[x][j]).sum())
                    .collect()
            })
            .collect();
        Operands { a, b, c }
    }
}

/// Checks that every test GEMM's `m`, `n`, `k` fits the top's dimension inputs
/// (`1..=2^DIM_BITS - 1`); `file` is named in the error.
pub(super) fn check_dims(gs: &[TestGemm], file: &std::path::Path) -> Result<(), InputError> {
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
    Ok(())
}

/// `mat[i][j]`, or 0 outside the matrix (the padding of partial tiles).
pub(super) fn at(mat: &[Vec<i64>], i: usize, j: usize) -> i64 {
    mat.get(i).and_then(|row| row.get(j)).copied().unwrap_or(0)
}

/// The host interface of a generated top: three 1R1W buffers (west operands, north
/// operands, results) and the design-point naming.
pub(super) struct Interface {
    /// Design-point name (module prefix without the underscore).
    pub name: String,
    /// One line describing the design point, for headers.
    pub describe: String,
    /// Bits of a west, north and output buffer word.
    pub west_bits: u64,
    /// Bits of a north buffer word.
    pub north_bits: u64,
    /// Bits of an output buffer word.
    pub out_bits: u64,
    /// Words of the west buffer.
    pub west_words: u64,
    /// Words of the north buffer.
    pub north_words: u64,
    /// Words of the output buffer.
    pub out_words: u64,
}

impl Interface {
    /// Template fields of the top's ports and buffers, shared by the top and the testbench.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let hi = |bits: u64| (bits - 1).to_string();
        let aw = |words: u64| u64::from(bits_for(words - 1));
        vec![
            ("P", format!("{}_", self.name)),
            ("DESIGN", self.describe.clone()),
            ("DW", DIM_BITS.to_string()),
            ("DW_HI", hi(u64::from(DIM_BITS))),
            ("WAW", aw(self.west_words).to_string()),
            ("NAW", aw(self.north_words).to_string()),
            ("OAW", aw(self.out_words).to_string()),
            ("WAW_HI", hi(aw(self.west_words))),
            ("NAW_HI", hi(aw(self.north_words))),
            ("OAW_HI", hi(aw(self.out_words))),
            ("WEST_BITS", self.west_bits.to_string()),
            ("NORTH_BITS", self.north_bits.to_string()),
            ("OUT_BITS", self.out_bits.to_string()),
            ("WEST_HI", hi(self.west_bits)),
            ("NORTH_HI", hi(self.north_bits)),
            ("OUT_HI", hi(self.out_bits)),
            ("WDEPTH", self.west_words.to_string()),
            ("NDEPTH", self.north_words.to_string()),
            ("ODEPTH", self.out_words.to_string()),
        ]
    }
}

/// One test GEMM as the testbench sees it: its cycle contract and buffer words (hex).
pub(super) struct TestWords {
    /// The cycles the top must take.
    pub contract: CycleContract,
    /// West buffer words.
    pub west: Vec<String>,
    /// North buffer words.
    pub north: Vec<String>,
    /// Expected output buffer words.
    pub expected: Vec<String>,
}

fn testbench(iface: &Interface, gs: &[TestGemm], ws: &[TestWords]) -> String {
    let list = gs
        .iter()
        .zip(ws)
        .enumerate()
        .map(|(i, (g, w))| {
            format!(
                "//   GEMM {i}: [{m} x {k}] x [{k} x {n}], {} folds, {} cycles",
                w.contract.folds,
                w.contract.total_cycles,
                m = g.m,
                n = g.n,
                k = g.k
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut vars = iface.vars();
    vars.extend([
        ("GEMMS", gs.len().to_string()),
        ("GEMM_LIST", list),
        ("SEED", gs[0].seed.to_string()),
        (
            "WEST_USED",
            ws.iter().map(|w| w.west.len()).sum::<usize>().to_string(),
        ),
        (
            "NORTH_USED",
            ws.iter().map(|w| w.north.len()).sum::<usize>().to_string(),
        ),
        (
            "OUT_USED",
            ws.iter()
                .map(|w| w.expected.len())
                .sum::<usize>()
                .to_string(),
        ),
    ]);
    fill(TB, &vars)
}

fn run_script(name: &str, modules: &[String], tb: &str) -> String {
    let sources = modules
        .iter()
        .map(|m| format!("rtl/{m}.v"))
        .collect::<Vec<_>>()
        .join(" ");
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
    yosys -q -l build/synth.log -p "read_verilog $RTL; synth_xilinx -top {name}_top; tee -o build/synth_stat.txt stat" || status=1
fi
exit $status
"#,
        module_list = modules.join(" "),
    )
}

/// The bundle of a design: its `modules` (leaves first, `(name, text)`), the testbench and
/// vectors of the GEMMs `gs` streamed back to back (GEMM `i`'s words right after GEMM
/// `i - 1`'s in every buffer), the run script, and `design.json` (`design` plus the tests).
pub(super) fn bundle(
    iface: &Interface,
    modules: Vec<(String, String)>,
    design: serde_json::Value,
    gs: &[TestGemm],
    ws: Vec<TestWords>,
) -> Bundle {
    assert!(!gs.is_empty(), "a bundle needs at least one test GEMM");
    let names: Vec<String> = modules.iter().map(|(n, _)| n.clone()).collect();
    let tb_name = format!("{}_tb", iface.name);
    let mut files: Vec<EmittedFile> = modules
        .into_iter()
        .map(|(name, text)| EmittedFile {
            path: format!("rtl/{name}.v"),
            text,
        })
        .collect();
    files.push(EmittedFile {
        path: format!("tb/{tb_name}.v"),
        text: testbench(iface, gs, &ws),
    });
    let mut commands = String::new();
    let (mut west, mut north, mut expected) = (String::new(), String::new(), String::new());
    let (mut west_base, mut north_base, mut out_base) = (0, 0, 0);
    let mut cycles = String::new();
    for (g, w) in gs.iter().zip(&ws) {
        // m, n, k and the three base addresses: where this GEMM's words start.
        let _ = write!(
            commands,
            "{:08x}\n{:08x}\n{:08x}\n{west_base:08x}\n{north_base:08x}\n{out_base:08x}\n",
            g.m, g.n, g.k
        );
        west_base += w.west.len();
        north_base += w.north.len();
        out_base += w.expected.len();
        for (text, words) in [
            (&mut west, &w.west),
            (&mut north, &w.north),
            (&mut expected, &w.expected),
        ] {
            for word in words {
                text.push_str(word);
                text.push('\n');
            }
        }
        let c = &w.contract;
        let _ = write!(
            cycles,
            "{:08x}\n{:08x}\n{:08x}\n{:08x}\n",
            c.total_cycles, c.fold_interval_cycles, c.folds, c.fill_drain_cycles
        );
    }
    for (path, text) in [
        ("tb/west.hex", west),
        ("tb/north.hex", north),
        ("tb/expected.hex", expected),
        ("tb/gemms.hex", commands),
        ("tb/cycles.hex", cycles),
        ("run.sh", run_script(&iface.name, &names, &tb_name)),
    ] {
        files.push(EmittedFile {
            path: path.into(),
            text,
        });
    }
    let contracts: Vec<CycleContract> = ws.iter().map(|w| w.contract).collect();
    let mut info = serde_json::json!({
        "name": iface.name,
        "modules": names,
        "testbench": tb_name,
        "test_gemms": gs,
        "contracts": contracts,
    });
    if let (Some(info), serde_json::Value::Object(extra)) = (info.as_object_mut(), design) {
        info.extend(extra);
    }
    files.push(EmittedFile {
        path: "design.json".into(),
        text: format!(
            "{}\n",
            serde_json::to_string_pretty(&info).expect("design.json serializes")
        ),
    });
    Bundle {
        name: iface.name.clone(),
        modules: names,
        testbench: tb_name,
        contracts,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_words_put_lane_zero_low_and_wrap() {
        // lanes [1, -1, 127, -128] at 8 bits: lane 3 first: 80 7f ff 01.
        assert_eq!(hex_word([1, -1, 127, -128].into_iter(), 8), "807fff01");
        // -3 at 4 bits is 0xd.
        assert_eq!(hex_word([-3i64, 2].into_iter(), 4), "2d");
    }

    #[test]
    fn fill_includes_parts_with_the_same_fields() {
        let vars = [("P", "x_".to_string()), ("MUL_B", "w".to_string())];
        let text = fill("a @@P@@b\n@@>pe_product@@", &vars);
        assert!(text.starts_with("a x_b\n"), "{text}");
        assert!(text.contains("$signed(a) * $signed(w)"), "{text}");
    }

    #[test]
    fn operands_multiply_exactly() {
        // C = A B by hand for one entry.
        let o = Operands::random(
            &TestGemm {
                m: 3,
                n: 2,
                k: 5,
                seed: 9,
            },
            8,
        );
        let c01: i64 = (0..5).map(|x| o.a[0][x] * o.b[x][1]).sum();
        assert_eq!(o.c[0][1], c01);
        assert!(o.a.iter().flatten().all(|v| (-128..128).contains(v)));
    }
}
