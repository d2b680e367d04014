//! SCALE-Sim topology CSV import, with SCALE-Sim 3.0.0's semantics
//! (`scalesim/topology_utils.py`: `load_arrays_conv`, `load_arrays_gemm`).
//!
//! ```text
//! Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
//! Conv1,224,224,7,7,3,64,2,
//! ```
//! ```text
//! Layer,M,N,K,
//! QKT,1024,1024,64,
//! ```
//!
//! How SCALE-Sim reads a file, and so how we do:
//! - Line 1 is a header and is skipped whatever it holds; blank lines are skipped. Lines end at
//!   `\n`, `\r\n` or a lone `\r` (Python's universal newlines).
//! - Each row is stripped, split on `,`, and its **last field dropped** (`row.split(',')[:-1]`),
//!   so every row must end with a trailing comma; fields are then stripped of spaces.
//! - Conv rows: `name, ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters, stride
//!   [, sparsity N:M]`, no padding, the same stride both ways, and the output size
//!   `ceil((H - R + S) / S)` ([`OutputRule::ScaleSim`]). SCALE-Sim asserts that the filter fits
//!   in the ifmap; we report that as an error.
//! - GEMM rows: `name, M, N, K[, sparsity N:M]`. SCALE-Sim turns them into a convolution of an
//!   `M x K` ifmap with `N` filters of `1 x K`, one channel, stride 1: one output column, so
//!   `M x N` outputs each reducing over `K`, which is the GEMM `m = M, n = N, k = K`.
//! - A conv layer whose name contains `DP` (case-sensitive) is depthwise: SCALE-Sim runs it as
//!   `channels` layers of one channel and `num_filters` filters each.
//!
//! SCALE-Sim is told the form on its command line (`-i gemm`); a file does not say. We decide
//! from the header: **the file is GEMM when the header's second field, stripped, is `M`**
//! (any case, as in `Layer,M,N,K,`), and conv otherwise. A header whose second field is a
//! number is rejected: it is a data row that SCALE-Sim would silently skip.
//!
//! Stricter than SCALE-Sim, so that a malformed file fails here with its line instead of
//! giving a wrong network: zero dimensions or stride (SCALE-Sim divides by the stride),
//! dimensions above 2^32 - 1 or layers whose MAC count overflows 64 bits, extra fields
//! (SCALE-Sim ignores extra GEMM fields and mostly crashes on extra conv fields), a sparsity
//! field that is not `N:M` with `1 <= N <= M`, and a file with no layers.
//!
//! Sparsity is **not modelled**: the `N:M` column is checked and ignored, every layer is
//! simulated dense (as SCALE-Sim does with `SparsitySupport : false`, its default).

use std::num::IntErrorKind;
use std::path::Path;

use crate::error::InputError;
use crate::workload::{Conv2d, Layer, Op, OutputRule, Workload};

/// Largest dimension accepted: larger values are typos, and the bound keeps every size and
/// MAC computation of a layer within `u64` once the products are checked.
const MAX_DIM: u64 = u32::MAX as u64;

/// Columns of a conv row, as SCALE-Sim's own files name them; the optional sparsity follows.
const CONV_COLUMNS: [&str; 8] = [
    "Layer name",
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
];

/// Columns of a GEMM row; the optional sparsity follows.
const GEMM_COLUMNS: [&str; 4] = ["Layer", "M", "N", "K"];

/// Name of the optional last column.
const SPARSITY_COLUMN: &str = "Sparsity";

/// Which of SCALE-Sim's two topology formats a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Conv,
    Gemm,
}

impl Form {
    /// Required columns (the sparsity column may follow).
    fn columns(self) -> &'static [&'static str] {
        match self {
            Form::Conv => &CONV_COLUMNS,
            Form::Gemm => &GEMM_COLUMNS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Form::Conv => "conv",
            Form::Gemm => "GEMM",
        }
    }

    /// What SCALE-Sim 3.0.0 raises on a row with too few fields: `load_arrays_gemm` asserts
    /// `len(elems) > 3`; `load_arrays_conv` indexes `elems[7]` unchecked.
    fn scalesim_too_few(self) -> &'static str {
        match self {
            Form::Conv => "IndexError: list index out of range",
            Form::Gemm => "AssertionError: There should be at least 4 entries per row",
        }
    }
}

/// Parses a SCALE-Sim topology CSV (conv or GEMM form, see the module docs); `file` names it in
/// errors and its stem names the workload.
pub fn parse(file: &Path, text: &str) -> Result<Workload, InputError> {
    let mut lines = universal_lines(text).enumerate();
    let form = match lines.next() {
        Some((_, header)) => detect_form(file, header)?,
        None => Form::Conv,
    };
    let mut layers = Vec::new();
    let mut total_macs: u64 = 0;
    for (index, raw) in lines {
        let row = raw.trim();
        if row.is_empty() {
            continue;
        }
        let ctx = Ctx {
            file,
            line: index + 1,
        };
        let layer = match form {
            Form::Conv => conv_row(&ctx, row)?,
            Form::Gemm => gemm_row(&ctx, row)?,
        };
        // Per-layer products are checked in the row parsers; the sum can still overflow.
        total_macs = total_macs
            .checked_add(layer.op.macs())
            .ok_or_else(|| ctx.error("the network's total MAC count overflows 64 bits".into()))?;
        layers.push(layer);
    }
    if layers.is_empty() {
        return Err(InputError::Invalid {
            file: file.to_path_buf(),
            message: "no layers: SCALE-Sim skips line 1 as the header, then expects one layer \
                      per non-blank row"
                .into(),
        });
    }
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scalesim".into());
    Ok(Workload {
        name,
        layers,
        weight_reuse: 1,
    })
}

/// Splits like Python's text files in universal-newline mode: at `\r\n`, `\n` or `\r`.
pub(crate) fn universal_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\r', '\n']) {
            Some(i) => {
                let end = if s[i..].starts_with("\r\n") {
                    i + 2
                } else {
                    i + 1
                };
                rest = if end < s.len() { Some(&s[end..]) } else { None };
                Some(&s[..i])
            }
            None => {
                rest = None;
                (!s.is_empty()).then_some(s)
            }
        }
    })
}

/// GEMM when the header's second field is `M` (see the module docs), conv otherwise.
fn detect_form(file: &Path, header: &str) -> Result<Form, InputError> {
    let second = header.trim().split(',').nth(1).map(str::trim);
    match second {
        Some(f) if f.eq_ignore_ascii_case("M") => Ok(Form::Gemm),
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            Err(InputError::Line {
                file: file.to_path_buf(),
                line: 1,
                message: "this looks like a data row, but SCALE-Sim always skips line 1 as the \
                          header; add a header such as `Layer,M,N,K,` (GEMM) or `Layer name, \
                          IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, \
                          Num Filter, Strides,` (conv)"
                    .into(),
            })
        }
        _ => Ok(Form::Conv),
    }
}

/// Where a row sits, for error messages.
struct Ctx<'a> {
    file: &'a Path,
    /// 1-based line number.
    line: usize,
}

impl Ctx<'_> {
    fn error(&self, message: String) -> InputError {
        InputError::Line {
            file: self.file.to_path_buf(),
            line: self.line,
            message,
        }
    }

    fn out_of_range(&self, column: &str, value: &str, allowed: &str) -> InputError {
        InputError::OutOfRange {
            file: self.file.to_path_buf(),
            key: format!("line {}, column {column}", self.line),
            value: value.to_string(),
            allowed: allowed.to_string(),
        }
    }

    /// A dimension: a whole number in `1..=MAX_DIM`.
    fn dim(&self, column: &str, value: &str) -> Result<u64, InputError> {
        let allowed = format!("1..={MAX_DIM}");
        match value.parse::<u64>() {
            Ok(v) if (1..=MAX_DIM).contains(&v) => Ok(v),
            Ok(_) => Err(self.out_of_range(column, value, &allowed)),
            Err(e) if *e.kind() == IntErrorKind::PosOverflow => {
                Err(self.out_of_range(column, value, &allowed))
            }
            Err(_) if value.is_empty() => Err(self.error(format!(
                "column `{column}` is empty (expected a whole number)"
            ))),
            Err(_)
                if value
                    .strip_prefix('-')
                    .is_some_and(|v| v.parse::<u64>().is_ok()) =>
            {
                Err(self.out_of_range(column, value, &allowed))
            }
            Err(_) => Err(self.error(format!(
                "column `{column}` = `{value}` is not a whole number"
            ))),
        }
    }

    /// The optional `N:M` structured-sparsity ratio: checked, then ignored (not modelled).
    fn sparsity(&self, value: &str) -> Result<(), InputError> {
        let ratio = value.split_once(':').and_then(|(n, m)| {
            Some((n.trim().parse::<u64>().ok()?, m.trim().parse::<u64>().ok()?))
        });
        match ratio {
            Some((n, m)) if 1 <= n && n <= m => Ok(()),
            _ => Err(self.error(format!(
                "column `{SPARSITY_COLUMN}` = `{value}` is not an N:M ratio with 1 <= N <= M \
                 (such as 2:4, or 1:1 for dense)"
            ))),
        }
    }

    /// Splits a stripped row the way SCALE-Sim does, checks the field count against `form`
    /// and returns the stripped fields (the sparsity field, if any, last).
    fn fields<'r>(&self, row: &'r str, form: Form) -> Result<Vec<&'r str>, InputError> {
        let mut fields: Vec<&str> = row.split(',').map(str::trim).collect();
        let dropped = fields.pop().unwrap_or_default();
        let need = form.columns().len();
        let found = fields.len();
        let columns = form.columns().join(", ");
        if found < need {
            let failure = form.scalesim_too_few();
            let hint = if form == Form::Conv && (4..=5).contains(&found) {
                "; a GEMM file's header has `M` as its second field, e.g. `Layer,M,N,K,`"
            } else {
                ""
            };
            let message = if row.ends_with(',') {
                format!(
                    "{found} fields before the trailing comma where {} rows need {need} \
                     ({columns}); SCALE-Sim 3.0.0 stops here with `{failure}`{hint}",
                    form.name()
                )
            } else {
                format!(
                    "the row does not end with a comma: SCALE-Sim drops the last field of every \
                     row (`row.split(',')[:-1]`), so its last value `{dropped}` is lost and \
                     {found} fields remain where {} rows need {need} ({columns}); SCALE-Sim \
                     3.0.0 stops here with `{failure}`. End every row with a trailing \
                     comma{hint}",
                    form.name()
                )
            };
            return Err(self.error(message));
        }
        if found > need + 1 {
            let hint = if form == Form::Gemm {
                " (this file is read as GEMM because its header's second field is `M`)"
            } else {
                ""
            };
            return Err(self.error(format!(
                "{found} fields before the trailing comma where {} rows have {need} ({columns}) \
                 or {} with a sparsity N:M{hint}",
                form.name(),
                need + 1
            )));
        }
        if let Some(sparsity) = fields.get(need) {
            self.sparsity(sparsity)?;
        }
        Ok(fields)
    }

    fn too_large(&self) -> InputError {
        self.error("the layer is too large: its sizes or MAC count overflow 64 bits".into())
    }
}

/// The layer's name, or `line N` where SCALE-Sim's name field is empty.
fn layer_name(ctx: &Ctx<'_>, name: &str) -> String {
    if name.is_empty() {
        format!("line {}", ctx.line)
    } else {
        name.to_string()
    }
}

/// Product of factors, `None` on overflow.
fn product(factors: &[u64]) -> Option<u64> {
    factors.iter().try_fold(1u64, |acc, &f| acc.checked_mul(f))
}

fn conv_row(ctx: &Ctx<'_>, row: &str) -> Result<Layer, InputError> {
    let f = ctx.fields(row, Form::Conv)?;
    let mut v = [0u64; 7];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = ctx.dim(CONV_COLUMNS[i + 1], f[i + 1])?;
    }
    let [in_h, in_w, kernel_h, kernel_w, channels, filters, stride] = v;
    // SCALE-Sim 3.0.0 `append_topo_arrays` (its "ISSUE #9 Fix"): the filter must fit, since
    // topologies carry no padding.
    for (what, kernel, input) in [("Height", kernel_h, in_h), ("Width", kernel_w, in_w)] {
        if kernel > input {
            return Err(ctx.error(format!(
                "Filter {what} {kernel} is larger than IFMAP {what} {input}; SCALE-Sim asserts \
                 that the filter fits in the ifmap (it pads nothing)"
            )));
        }
    }
    // SCALE-Sim splits a `DP` layer into `channels` layers, each 1 channel in and
    // `num_filters` filters out. One grouped conv with `groups = channels` runs exactly those:
    // each group sees 1 input channel and produces `num_filters` outputs, so the GEMMs (and the
    // MACs) are SCALE-Sim's per-channel layers, kept as one layer of the IR.
    let (groups, out_channels) = if f[0].contains("DP") {
        let out = channels
            .checked_mul(filters)
            .ok_or_else(|| ctx.too_large())?;
        (channels, out)
    } else {
        (1, filters)
    };
    // Bounded dims make these exact; then check the products the IR will form.
    let out_h = (in_h - kernel_h + stride).div_ceil(stride);
    let out_w = (in_w - kernel_w + stride).div_ceil(stride);
    let in_per_group = channels / groups;
    let m = product(&[out_h, out_w]);
    let k = product(&[kernel_h, kernel_w, in_per_group]);
    let ifmap = product(&[in_h, in_w, in_per_group]);
    let macs = m
        .zip(k)
        .and_then(|(m, k)| product(&[groups, m, out_channels / groups, k]));
    if macs.is_none() || ifmap.is_none() {
        return Err(ctx.too_large());
    }
    Ok(Layer {
        name: layer_name(ctx, f[0]),
        op: Op::Conv2d(Conv2d {
            batch: 1,
            in_h,
            in_w,
            in_channels: channels,
            out_channels,
            kernel_h,
            kernel_w,
            stride_h: stride,
            stride_w: stride,
            pad_h: 0,
            pad_w: 0,
            dilation_h: 1,
            dilation_w: 1,
            groups,
            output_rule: OutputRule::ScaleSim,
        }),
        count: 1,
        precision: None,
    })
}

fn gemm_row(ctx: &Ctx<'_>, row: &str) -> Result<Layer, InputError> {
    let f = ctx.fields(row, Form::Gemm)?;
    let m = ctx.dim(GEMM_COLUMNS[1], f[1])?;
    let n = ctx.dim(GEMM_COLUMNS[2], f[2])?;
    let k = ctx.dim(GEMM_COLUMNS[3], f[3])?;
    if product(&[m, n, k]).is_none() || product(&[m, k]).is_none() {
        return Err(ctx.too_large());
    }
    Ok(Layer::new(layer_name(ctx, f[0]), Op::gemm(m, n, k), 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Gemm;
    use std::path::PathBuf;

    /// Copies of SCALE-Sim's topologies (`sim/tests/reference/scalesim/inputs`).
    fn topologies() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/scalesim/inputs")
    }

    fn load(rel: &str) -> Workload {
        let path = topologies().join(rel);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        parse(&path, &text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_str(text: &str) -> Result<Workload, InputError> {
        parse(Path::new("t.csv"), text)
    }

    fn err(text: &str) -> String {
        match parse_str(text) {
            Ok(w) => panic!("expected an error, parsed {} layers", w.layers.len()),
            Err(e) => e.to_string(),
        }
    }

    fn conv(layer: &Layer) -> Conv2d {
        match layer.op {
            Op::Conv2d(c) => c,
            ref op => panic!("expected conv2d, got {op:?}"),
        }
    }

    const CONV_HEADER: &str = "Layer name, IFMAP Height, IFMAP Width, Filter Height, \
                               Filter Width, Channels, Num Filter, Strides,\n";

    /// Layer counts and total MACs from SCALE-Sim 3.0.0 itself (`topologies().load_arrays(f,
    /// mnk_inputs)`, `get_num_layers()`, `get_all_mac_ops()`), run on these files; none has a
    /// `DP` layer, so the counts agree one to one.
    const SCALESIM_REFERENCE: [(&str, usize, u64); 24] = [
        ("shipped/NCF.csv", 12, 655_097_856),
        ("shipped/Resnet18.csv", 21, 1_471_181_568),
        ("shipped/alexnet.csv", 5, 805_118_496),
        ("shipped/gpt2.csv", 6, 20_686_307_328),
        ("shipped/mobilenet.csv", 27, 565_519_488),
        ("shipped/transformer_partial.csv", 6, 807_403_520),
        ("shipped/vit_s.csv", 5, 275_165_184),
        ("shipped/yolo_tiny.csv", 9, 1_753_649_072),
        ("subsets/NCF_s.csv", 2, 524_288),
        ("subsets/Resnet18_b.csv", 1, 84_934_656),
        ("subsets/Resnet18_s.csv", 4, 23_162_880),
        ("subsets/Resnet18_sb.csv", 5, 108_097_536),
        ("subsets/alexnet_b.csv", 1, 105_415_200),
        ("subsets/alexnet_sb.csv", 1, 105_415_200),
        ("subsets/gpt2_b.csv", 1, 67_108_864),
        ("subsets/gpt2_sb.csv", 1, 67_108_864),
        ("subsets/mobilenet_b.csv", 1, 51_380_224),
        ("subsets/mobilenet_s.csv", 1, 225_792),
        ("subsets/mobilenet_sb.csv", 2, 51_606_016),
        ("subsets/transformer_partial_s.csv", 1, 1_048_576),
        ("subsets/vit_s_b.csv", 1, 115_605_504),
        ("subsets/vit_s_s.csv", 1, 14_450_688),
        ("subsets/vit_s_sb.csv", 2, 130_056_192),
        ("subsets/yolo_tiny_s.csv", 1, 6_272_000),
    ];

    #[test]
    fn every_topology_matches_scalesim_layer_counts_and_macs() {
        let dir = topologies();
        let mut on_disk: Vec<String> = ["shipped", "subsets"]
            .iter()
            .flat_map(|sub| {
                std::fs::read_dir(dir.join(sub))
                    .unwrap_or_else(|e| panic!("cannot list {}/{sub}: {e}", dir.display()))
                    .map(move |e| format!("{sub}/{}", e.unwrap().file_name().to_string_lossy()))
            })
            .filter(|name| name.ends_with(".csv"))
            .collect();
        on_disk.sort();
        let mut expected: Vec<String> = SCALESIM_REFERENCE
            .iter()
            .map(|(f, _, _)| f.to_string())
            .collect();
        expected.sort();
        assert_eq!(on_disk, expected, "a topology without a reference row");
        for (rel, layers, macs) in SCALESIM_REFERENCE {
            let w = load(rel);
            assert_eq!(w.layers.len(), layers, "{rel}: layers");
            assert_eq!(w.macs(), macs, "{rel}: MACs");
            assert!(w
                .layers
                .iter()
                .all(|l| l.count == 1 && l.precision.is_none()));
        }
    }

    #[test]
    fn resnet18_conv1_uses_the_ceil_rule() {
        // 224x224x3, 7x7/2, 64 filters, no padding: ceil((224 - 7 + 2) / 2) = ceil(219/2) = 110
        // (PyTorch's floor rule without padding would give 109);
        // MACs = 110*110 * 7*7*3 * 64 = 113,836,800 (SCALE-Sim's own number).
        let w = load("shipped/Resnet18.csv");
        assert_eq!(w.name, "Resnet18");
        let l = &w.layers[0];
        assert_eq!(l.name, "Conv1");
        let c = conv(l);
        assert_eq!(
            (c.in_h, c.in_w, c.in_channels, c.out_channels),
            (224, 224, 3, 64)
        );
        assert_eq!(
            (c.kernel_h, c.stride_h, c.stride_w, c.pad_h, c.groups),
            (7, 2, 2, 0, 1)
        );
        assert_eq!(c.output_rule, OutputRule::ScaleSim);
        assert_eq!((c.out_h(), c.out_w()), (110, 110));
        assert_eq!(l.op.macs(), 113_836_800);
        // FC,1,1,1,1,512,1000,1: a 1x1 conv on 1x1x512, 512*1000 = 512,000 MACs.
        let fc = w.layers.last().unwrap();
        assert_eq!((fc.name.as_str(), fc.op.macs()), ("FC", 512_000));
    }

    #[test]
    fn alexnet_fields_padded_with_spaces_are_stripped() {
        // `Conv1     ,224         ,224 ...`: 11x11/4 on 224: ceil((224-11+4)/4) = ceil(217/4)
        // = 55; MACs = 55*55 * 11*11*3 * 96 = 105,415,200.
        let w = load("shipped/alexnet.csv");
        let c = conv(&w.layers[0]);
        assert_eq!(w.layers[0].name, "Conv1");
        assert_eq!((c.out_h(), c.kernel_h, c.stride_h), (55, 11, 4));
        assert_eq!(w.layers[0].op.macs(), 105_415_200);
    }

    #[test]
    fn gemm_rows_become_gemms() {
        // gpt2.csv `QKT,1024,1024,64,`: m = 1024, n = 1024, k = 64; 2^26 MACs.
        let w = load("shipped/gpt2.csv");
        assert_eq!(
            w.layers[0].op,
            Op::Gemm(Gemm {
                batch: 1,
                groups: 1,
                m: 1024,
                n: 1024,
                k: 64
            })
        );
        assert_eq!(w.layers[0].op.macs(), 67_108_864);
    }

    #[test]
    fn ncf_last_row_without_newline_keeps_its_layer() {
        // NCF.csv has CRLF line ends and its last row `12,2048,128,1,` has no newline, but it
        // does end with a comma: SCALE-Sim loads 12 layers, the last m=2048, n=128, k=1.
        let w = load("shipped/NCF.csv");
        assert_eq!(w.layers.len(), 12);
        let last = w.layers.last().unwrap();
        assert_eq!(last.name, "12");
        assert_eq!(
            last.op,
            Op::Gemm(Gemm {
                batch: 1,
                groups: 1,
                m: 2048,
                n: 128,
                k: 1
            })
        );
    }

    #[test]
    fn rejects_a_row_without_trailing_comma_as_scalesim_would() {
        // NCF.csv with the last row's trailing comma removed: SCALE-Sim drops `1` (K), keeps
        // 3 fields and fails its `len(elems) > 3` assertion.
        let path = topologies().join("shipped/NCF.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let cut = text
            .strip_suffix("12,2048,128,1,")
            .expect("NCF.csv's last row");
        let broken = format!("{cut}12,2048,128,1");
        let e = parse(Path::new("NCF.csv"), &broken).unwrap_err();
        assert_eq!(
            e.to_string(),
            "NCF.csv: line 13: the row does not end with a comma: SCALE-Sim drops the last \
             field of every row (`row.split(',')[:-1]`), so its last value `1` is lost and 3 \
             fields remain where GEMM rows need 4 (Layer, M, N, K); SCALE-Sim 3.0.0 stops here \
             with `AssertionError: There should be at least 4 entries per row`. End every row \
             with a trailing comma"
        );
        assert!(matches!(e, InputError::Line { line: 13, .. }));
    }

    #[test]
    fn trailing_comma_drops_only_the_last_field() {
        // A sparsity column without a trailing comma is the field SCALE-Sim drops: accepted,
        // as SCALE-Sim does; a conv row lacking its comma loses the stride and fails.
        let w = parse_str(&format!("{CONV_HEADER}C1,8,8,3,3,4,2,1,2:4\n")).unwrap();
        assert_eq!(w.layers.len(), 1);
        let e = err(&format!("{CONV_HEADER}C1,8,8,3,3,4,2,1\n"));
        assert!(
            e.contains("line 2: the row does not end with a comma")
                && e.contains("`1` is lost and 7 fields remain where conv rows need 8")
                && e.contains("IndexError: list index out of range"),
            "{e}"
        );
        // Two trailing commas leave an empty sparsity field, which SCALE-Sim cannot split.
        let e = err(&format!("{CONV_HEADER}C1,8,8,3,3,4,2,1,,\n"));
        assert!(
            e.contains("column `Sparsity` = `` is not an N:M ratio"),
            "{e}"
        );
    }

    #[test]
    fn header_blank_lines_and_line_ends() {
        // Line 1 is skipped even when it is data-like text; blank lines and lone-CR line ends
        // are handled as Python's universal newlines do, and line numbers count them.
        let text = "Layer,M,N,K,\r\rA,2,3,4,\rB,5,6,7,2:4,\r\n\n";
        let w = parse_str(text).unwrap();
        assert_eq!(w.name, "t");
        assert_eq!(w.layers.len(), 2);
        assert_eq!(w.layers[1].op.macs(), 5 * 6 * 7);
        let e = err("Layer,M,N,K,\r\rA,2,3,4,\rB,5,x,7,\n");
        assert_eq!(e, "t.csv: line 4: column `N` = `x` is not a whole number");
    }

    #[test]
    fn detects_gemm_from_the_header_second_field() {
        // ` m ` in any case makes it GEMM; anything else is conv, so a GEMM row in a conv file
        // is too short, and the error says how to mark the file.
        assert!(parse_str("Layer, m ,N,K,\nA,2,3,4,\n").is_ok());
        let e = err("Layer,Rows,N,K,\nA,2,3,4,\n");
        assert!(
            e.contains("4 fields before the trailing comma where conv rows need 8")
                && e.contains("a GEMM file's header has `M` as its second field"),
            "{e}"
        );
        let e = err("Conv1,224,224,7,7,3,64,2,\nConv2,56,56,3,3,64,64,1,\n");
        assert!(
            e.starts_with("t.csv: line 1: this looks like a data row"),
            "{e}"
        );
    }

    #[test]
    fn dp_layer_is_one_grouped_conv_of_scalesim_per_channel_layers() {
        // `Conv2_DP,112,112,3,3,32,2,1`: SCALE-Sim runs 32 layers of 112x112x1, 2 filters of
        // 3x3, out ceil((112-3+1)/1) = 110: each 110*110 * 9 * 2 = 217,800 MACs, 32 of them =
        // 6,969,600. Ours: one conv, groups 32, GEMM m = 12100, n = 2, k = 9, 32 groups.
        let w = parse_str(&format!("{CONV_HEADER}Conv2_DP,112,112,3,3,32,2,1,\n")).unwrap();
        assert_eq!(w.layers.len(), 1);
        let c = conv(&w.layers[0]);
        assert_eq!((c.groups, c.in_channels, c.out_channels), (32, 32, 64));
        let g = c.gemm();
        assert_eq!((g.m, g.n, g.k, g.groups), (12_100, 2, 9, 32));
        assert_eq!(w.macs(), 6_969_600);
        // `dp` in lower case is not SCALE-Sim's marker: a dense conv summing 32 channels, one
        // GEMM m = 12100, n = 2, k = 3*3*32 = 288 (the same MAC count, another shape).
        let w = parse_str(&format!("{CONV_HEADER}conv2_dp,112,112,3,3,32,2,1,\n")).unwrap();
        let g = conv(&w.layers[0]).gemm();
        assert_eq!((g.m, g.n, g.k, g.groups), (12_100, 2, 288, 1));
    }

    #[test]
    fn mobilenet_depthwise_rows_stay_dense_as_in_scalesim() {
        // mobilenet.csv writes its depthwise layers as `Conv2,112,112,3,3,32,1,1` with no `DP`
        // in the name, so SCALE-Sim (and we) run one dense filter over 32 channels:
        // 110*110 * 3*3*32 * 1 = 3,484,800 MACs.
        let w = load("shipped/mobilenet.csv");
        let l = &w.layers[1];
        assert_eq!((l.name.as_str(), conv(l).groups), ("Conv2", 1));
        assert_eq!(l.op.macs(), 3_484_800);
    }

    #[test]
    fn sparsity_column_is_checked_and_ignored() {
        let dense = parse_str("Layer,M,N,K,\nA,8,8,8,\n").unwrap();
        let sparse = parse_str("Layer,M,N,K,\nA,8,8,8, 2 : 4 ,\n").unwrap();
        assert_eq!(dense.layers, sparse.layers);
        for bad in ["2/4", "4:2", "0:4", "2:4:8", "a:b"] {
            let e = err(&format!("Layer,M,N,K,\nA,8,8,8,{bad},\n"));
            assert_eq!(
                e,
                format!(
                    "t.csv: line 2: column `Sparsity` = `{bad}` is not an N:M ratio with \
                     1 <= N <= M (such as 2:4, or 1:1 for dense)"
                )
            );
        }
    }

    #[test]
    fn rejects_non_numeric_fields_naming_line_and_column() {
        let e = err(&format!("{CONV_HEADER}C1,8,8,3,3,four,2,1,\n"));
        assert_eq!(
            e,
            "t.csv: line 2: column `Channels` = `four` is not a whole number"
        );
        let e = err(&format!("{CONV_HEADER}C1,8,8,3,3,4,2.5,1,\n"));
        assert_eq!(
            e,
            "t.csv: line 2: column `Num Filter` = `2.5` is not a whole number"
        );
        let e = err(&format!("{CONV_HEADER}C1,8, ,3,3,4,2,1,\n"));
        assert_eq!(
            e,
            "t.csv: line 2: column `IFMAP Width` is empty (expected a whole number)"
        );
    }

    #[test]
    fn rejects_zero_negative_and_huge_dimensions() {
        let e = err(&format!("{CONV_HEADER}C1,8,8,3,3,4,2,0,\n"));
        assert_eq!(
            e,
            "t.csv: `line 2, column Strides` = 0 is out of range (allowed: 1..=4294967295)"
        );
        let e = err("Layer,M,N,K,\nA,0,8,8,\n");
        assert!(e.contains("`line 2, column M` = 0 is out of range"), "{e}");
        let e = err("Layer,M,N,K,\nA,8,-8,8,\n");
        assert!(e.contains("`line 2, column N` = -8 is out of range"), "{e}");
        let e = err("Layer,M,N,K,\nA,8,8,99999999999999999999,\n");
        assert!(
            e.contains("`line 2, column K` = 99999999999999999999 is out of range"),
            "{e}"
        );
        // Each dimension fits, the product does not: 2^32-1 cubed > 2^64.
        let e = err("Layer,M,N,K,\nA,4294967295,4294967295,4294967295,\n");
        assert_eq!(
            e,
            "t.csv: line 2: the layer is too large: its sizes or MAC count overflow 64 bits"
        );
    }

    #[test]
    fn rejects_a_filter_larger_than_the_ifmap() {
        let e = err(&format!("{CONV_HEADER}C1,8,4,3,5,4,2,1,\n"));
        assert_eq!(
            e,
            "t.csv: line 2: Filter Width 5 is larger than IFMAP Width 4; SCALE-Sim asserts \
             that the filter fits in the ifmap (it pads nothing)"
        );
        let e = err(&format!("{CONV_HEADER}C1,2,8,3,3,4,2,1,\n"));
        assert!(
            e.contains("Filter Height 3 is larger than IFMAP Height 2"),
            "{e}"
        );
    }

    #[test]
    fn rejects_too_many_fields_and_empty_files() {
        let e = err(&format!("{CONV_HEADER}C1,8,8,3,3,4,2,1,1:1,7,\n"));
        assert_eq!(
            e,
            "t.csv: line 2: 10 fields before the trailing comma where conv rows have 8 (Layer \
             name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, \
             Strides) or 9 with a sparsity N:M"
        );
        let e = err("Layer,M,N,K,\nC1,8,8,3,3,4,2,1,\n");
        assert!(
            e.contains("read as GEMM because its header's second field is `M`"),
            "{e}"
        );
        let e = err("Layer,M,N,K,\n\n");
        assert!(e.starts_with("t.csv: no layers"), "{e}");
        assert!(err("").starts_with("t.csv: no layers"));
    }

    #[test]
    fn rows_too_short_even_with_a_trailing_comma() {
        let e = err("Layer,M,N,K,\nA,2,3,\n");
        assert_eq!(
            e,
            "t.csv: line 2: 3 fields before the trailing comma where GEMM rows need 4 (Layer, \
             M, N, K); SCALE-Sim 3.0.0 stops here with `AssertionError: There should be at \
             least 4 entries per row`"
        );
    }
}
