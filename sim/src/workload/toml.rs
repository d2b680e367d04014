//! Our TOML workload format: a few file-level defaults, then one `[[layer]]` table per layer.
//!
//! ```toml
//! name = "resnet18"   # optional, defaults to the file stem
//! precision = "int8"  # optional layer default: int4|int8|int16|int32|fp8|fp16|bf16|fp32
//! batch = 1           # optional samples per inference (every op's batch), default 1
//!
//! [[layer]]
//! name = "conv1"      # optional, defaults to "<op>_<index>"
//! op = "conv2d"       # conv2d | depthwise | gemm | pool | attention | elementwise
//! count = 1           # optional: identical repeats run back to back, default 1
//! precision = "int8"  # optional, overrides the file's
//! # ...then the op's own keys (a key of another op is an error):
//! ```
//!
//! Keys per op (required first, then optional with its default):
//!
//! - `conv2d`: `in_hw`\*, `in_channels`, `out_channels`, `kernel`\*; `stride`\* (1),
//!   `padding`\* (0), `dilation`\* (1), `groups` (1, must divide both channel counts).
//! - `depthwise`: `in_hw`\*, `in_channels`, `kernel`\*; `out_channels` (in_channels; a multiple
//!   is a channel multiplier), `stride`\*, `padding`\*, `dilation`\*. Groups = in_channels.
//! - `gemm`: `m`, `n`, `k`; `batch` (the file's; samples stacked into rows), `groups` (1;
//!   independent products).
//! - `pool`: `kind` (`max` | `avg`), `in_hw`\*, `channels`, `kernel`\* or `kernel = "global"`
//!   (the whole input); `stride`\* (= kernel), `padding`\* (0).
//! - `attention`: `heads`, `seq_q`, `head_dim`; `seq_kv` (= seq_q), `causal` (false).
//! - `elementwise`: `elements` (per sample); `ops_per_element` (1), `inputs` (1).
//!
//! \* Square shorthand, or both halves: `in_hw` or `in_h` + `in_w`; `kernel` or `kernel_h` +
//! `kernel_w`; `stride` or `stride_h` + `stride_w`; `padding` or `pad_h` + `pad_w`; `dilation`
//! or `dilation_h` + `dilation_w`.
//!
//! Output sizes follow PyTorch (`floor`). Every error is an [`InputError`] that names the file,
//! the line, the layer (index and name), the key and what is allowed.
//!
//! Each layer table is read in two steps: the common keys (`name`, `op`, `count`, `precision`)
//! by hand, the rest into an op-specific serde struct with `deny_unknown_fields` through a small
//! map deserializer that remembers which key failed, so type errors name their key and line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::{Spanned, Value};

use crate::error::InputError;
use crate::workload::ir::{
    Attention, Conv2d, Elementwise, Gemm, Layer, Op, OutputRule, Pool, PoolKind, Precision,
    Workload,
};

/// Operator names accepted by `op`, in the order error messages list them.
pub const OPS: [&str; 6] = [
    "conv2d",
    "depthwise",
    "gemm",
    "pool",
    "attention",
    "elementwise",
];

/// Keys every layer accepts, whatever its op.
const COMMON_KEYS: [&str; 4] = ["name", "op", "count", "precision"];

/// Largest work (MACs or vector operations, repeats included) one layer may describe: keeps
/// every later product and sum of the simulator inside `u64`.
const MAX_LAYER_WORK: u128 = 1 << 60;

/// Parses a workload TOML file's text; `file` names it in errors.
pub fn parse(file: &Path, text: &str) -> Result<Workload, InputError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| InputError::toml(file, e))?;
    let batch = match raw.batch {
        None => 1,
        Some(b) if *b.get_ref() == 0 => {
            return Err(InputError::Line {
                file: file.to_path_buf(),
                line: line_of(text, b.span().start),
                message: "`batch` = 0 is out of range (allowed: 1 or more)".into(),
            })
        }
        Some(b) => b.into_inner(),
    };
    if raw.layer.is_empty() {
        return Err(InputError::Invalid {
            file: file.to_path_buf(),
            message: format!(
                "no layers: add at least one [[layer]] table (with op = one of {})",
                OPS.join(", ")
            ),
        });
    }
    let defaults = Defaults {
        file,
        text,
        batch,
        precision: raw.precision,
    };
    let layers = raw
        .layer
        .into_iter()
        .enumerate()
        .map(|(index, table)| defaults.layer(index, table))
        .collect::<Result<Vec<_>, _>>()?;
    let name = raw.name.unwrap_or_else(|| {
        file.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("workload")
            .to_string()
    });
    Ok(Workload {
        name,
        layers,
        weight_reuse: 1,
    })
}

/// The file as written: defaults, then the layer tables kept raw (with positions) so each can
/// be read against its own op's keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<String>,
    precision: Option<Precision>,
    batch: Option<Spanned<u64>>,
    #[serde(default)]
    layer: Vec<Spanned<RawTable>>,
}

type RawTable = BTreeMap<Spanned<String>, Spanned<Value>>;

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |head| head.bytes().filter(|&b| b == b'\n').count())
        + 1
}

/// How a TOML value is described in messages: strings quoted, the rest as written.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// File-level settings every layer inherits.
struct Defaults<'a> {
    file: &'a Path,
    text: &'a str,
    batch: u64,
    precision: Option<Precision>,
}

impl Defaults<'_> {
    /// Reads one `[[layer]]` table.
    fn layer(&self, index: usize, table: Spanned<RawTable>) -> Result<Layer, InputError> {
        let header_line = line_of(self.text, table.span().start);
        let mut entries: Vec<(Spanned<String>, Spanned<Value>)> =
            table.into_inner().into_iter().collect();
        // Report problems in file order, not key order.
        entries.sort_by_key(|(k, _)| k.span().start);
        let lines = entries
            .iter()
            .map(|(k, _)| (k.get_ref().clone(), line_of(self.text, k.span().start)))
            .collect();
        let mut ctx = Ctx {
            file: self.file,
            index,
            name: String::new(),
            op: None,
            count: 1,
            header_line,
            lines,
        };
        let mut take = |key: &str| {
            entries
                .iter()
                .position(|(k, _)| k.get_ref() == key)
                .map(|i| entries.remove(i).1.into_inner())
        };
        let (name, op, count, precision) =
            (take("name"), take("op"), take("count"), take("precision"));

        // Until the op is known, an unnamed layer is `layer_<index>`.
        ctx.name = format!("layer_{index}");
        let name = match name {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                return Err(ctx.err(
                    "name",
                    format!(
                        "`name` = {} is not a string (allowed: a quoted name)",
                        show(&other)
                    ),
                ));
            }
        };
        if let Some(name) = &name {
            ctx.name = name.clone();
        }
        let op_name = match &op {
            None => {
                return Err(
                    ctx.err_at_header(format!("missing key `op` (allowed: {})", OPS.join(", ")))
                )
            }
            Some(Value::String(s)) => OPS.iter().find(|o| **o == s.as_str()).copied(),
            Some(_) => None,
        };
        let Some(op_name) = op_name else {
            let shown = op.as_ref().map(show).unwrap_or_default();
            return Err(ctx.err(
                "op",
                format!(
                    "`op` = {shown} is not an operator (allowed: {})",
                    OPS.join(", ")
                ),
            ));
        };
        ctx.op = Some(op_name);
        if name.is_none() {
            ctx.name = format!("{op_name}_{index}");
        }

        let count = match count {
            None => 1,
            Some(v) => ctx.positive_value("count", &v)?,
        };
        ctx.count = count;
        let precision = match precision {
            None => self.precision,
            Some(v) => Some(ctx.precision(&v)?),
        };

        let keys: Vec<(String, Value)> = entries
            .into_iter()
            .map(|(k, v)| (k.into_inner(), v.into_inner()))
            .collect();
        let op = match op_name {
            "conv2d" | "depthwise" => {
                let raw: ConvKeys = ctx.keys(keys)?;
                ctx.conv(raw, self.batch, op_name == "depthwise")?
            }
            "gemm" => {
                let raw: GemmKeys = ctx.keys(keys)?;
                ctx.gemm(raw, self.batch)?
            }
            "pool" => {
                let raw: PoolKeys = ctx.keys(keys)?;
                ctx.pool(raw, self.batch)?
            }
            "attention" => {
                let raw: AttentionKeys = ctx.keys(keys)?;
                ctx.attention(raw, self.batch)?
            }
            _ => {
                let raw: ElementwiseKeys = ctx.keys(keys)?;
                ctx.elementwise(raw, self.batch)?
            }
        };
        Ok(Layer {
            name: ctx.name,
            op,
            count,
            precision,
        })
    }
}

/// Where a layer is, for its error messages.
struct Ctx<'a> {
    file: &'a Path,
    index: usize,
    name: String,
    op: Option<&'static str>,
    /// Repeats of the layer (bounds its total work).
    count: u64,
    header_line: usize,
    /// Line of each key of the table.
    lines: BTreeMap<String, usize>,
}

impl Ctx<'_> {
    /// An error about `key`, at its line (the layer's header line when the key is absent).
    fn err(&self, key: &str, message: impl fmt::Display) -> InputError {
        let line = self.lines.get(key).copied().unwrap_or(self.header_line);
        self.err_at(line, message)
    }

    /// An error about the layer as a whole, at its header line.
    fn err_at_header(&self, message: impl fmt::Display) -> InputError {
        self.err_at(self.header_line, message)
    }

    fn err_at(&self, line: usize, message: impl fmt::Display) -> InputError {
        let op = self
            .op
            .map(|o| format!(" (op = {o:?})"))
            .unwrap_or_default();
        InputError::Line {
            file: self.file.to_path_buf(),
            line,
            message: format!("layer[{}] `{}`{op}: {message}", self.index, self.name),
        }
    }

    /// Keys this op accepts, for messages.
    fn allowed(&self, fields: &[&str]) -> String {
        COMMON_KEYS
            .iter()
            .chain(fields)
            .copied()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Deserialises the op's own keys into its struct.
    fn keys<T: for<'de> Deserialize<'de>>(
        &self,
        keys: Vec<(String, Value)>,
    ) -> Result<T, InputError> {
        T::deserialize(KeysDe(keys)).map_err(|e| match e {
            KeyError::Unknown { key, expected } => {
                // `groups` is fixed (= in_channels) on a depthwise layer.
                let fields: Vec<&str> = expected
                    .iter()
                    .copied()
                    .filter(|f| !(self.op == Some("depthwise") && *f == "groups"))
                    .collect();
                self.err(
                    &key,
                    format!("unknown key `{key}` (allowed: {})", self.allowed(&fields)),
                )
            }
            KeyError::Missing(key) => self.err_at_header(format!("missing required key `{key}`")),
            KeyError::Value { key, message } => self.err(&key, format!("`{key}`: {message}")),
            KeyError::Other(message) => self.err_at_header(message),
        })
    }

    /// A `count`-like value given as a raw TOML value: an integer >= 1.
    fn positive_value(&self, key: &str, value: &Value) -> Result<u64, InputError> {
        match value {
            Value::Integer(i) if *i >= 1 => Ok(*i as u64),
            other => Err(self.err(
                key,
                format!(
                    "`{key}` = {} is out of range (allowed: an integer, 1 or more)",
                    show(other)
                ),
            )),
        }
    }

    fn precision(&self, value: &Value) -> Result<Precision, InputError> {
        value
            .as_str()
            .and_then(|s| Precision::ALL.into_iter().find(|p| p.name() == s))
            .ok_or_else(|| {
                let names: Vec<&str> = Precision::ALL.iter().map(|p| p.name()).collect();
                self.err(
                    "precision",
                    format!(
                        "`precision` = {} is not a precision (allowed: {})",
                        show(value),
                        names.join(", ")
                    ),
                )
            })
    }

    /// Checks `value >= 1`.
    fn positive(&self, key: &str, value: u64) -> Result<u64, InputError> {
        if value == 0 {
            return Err(self.err(
                key,
                format!("`{key}` = 0 is out of range (allowed: 1 or more)"),
            ));
        }
        Ok(value)
    }

    /// Resolves a square shorthand (`in_hw`) or its two halves (`in_h` + `in_w`) to
    /// `(h, w, key_h, key_w)`, where the keys are those written (for messages).
    fn pair(
        &self,
        keys: [&'static str; 3],
        values: [Option<u64>; 3],
        default: Option<u64>,
    ) -> Result<(u64, u64, &'static str, &'static str), InputError> {
        let [both, h, w] = keys;
        match values {
            [Some(v), None, None] => Ok((v, v, both, both)),
            [None, Some(vh), Some(vw)] => Ok((vh, vw, h, w)),
            [None, None, None] => default.map(|d| (d, d, both, both)).ok_or_else(|| {
                self.err_at_header(format!(
                    "missing required key `{both}` (or `{h}` and `{w}`)"
                ))
            }),
            [Some(_), _, _] => {
                let extra = if values[1].is_some() { h } else { w };
                Err(self.err(
                    extra,
                    format!(
                        "`{both}` and `{extra}` both given (allowed: `{both}`, or `{h}` and `{w}`)"
                    ),
                ))
            }
            [None, Some(_), None] => Err(self.err(
                h,
                format!("`{h}` given without `{w}` (allowed: `{both}`, or `{h}` and `{w}`)"),
            )),
            [None, None, Some(_)] => Err(self.err(
                w,
                format!("`{w}` given without `{h}` (allowed: `{both}`, or `{h}` and `{w}`)"),
            )),
        }
    }

    /// Checks that a (dilated) window fits the padded input along one axis.
    fn window_fits(
        &self,
        (kernel, dilation, k_key): (u64, u64, &str),
        (input, in_key): (u64, &str),
        (pad, pad_key): (u64, &str),
    ) -> Result<(), InputError> {
        let extent = u128::from(dilation) * (u128::from(kernel) - 1) + 1;
        let padded = u128::from(input) + 2 * u128::from(pad);
        if extent > padded {
            let dilated = if dilation > 1 {
                format!(" (dilated extent {extent})")
            } else {
                String::new()
            };
            return Err(self.err(
                k_key,
                format!(
                    "`{k_key}` = {kernel}{dilated} is larger than the padded input: \
                     `{in_key}` {input} + 2 x `{pad_key}` {pad} = {padded} \
                     (allowed: a window no larger than the padded input)"
                ),
            ));
        }
        Ok(())
    }

    /// Rejects layers whose work (count included) would overflow later arithmetic.
    fn bounded(&self, factors: &[u64]) -> Result<(), InputError> {
        let work = factors
            .iter()
            .chain([&self.count])
            .try_fold(1u128, |acc, &f| acc.checked_mul(u128::from(f)));
        match work {
            Some(w) if w <= MAX_LAYER_WORK => Ok(()),
            _ => Err(self.err_at_header(format!(
                "the layer is too large: the product of its sizes (count included) exceeds \
                 2^60 (allowed: at most {MAX_LAYER_WORK})"
            ))),
        }
    }

    fn conv(&self, raw: ConvKeys, batch: u64, depthwise: bool) -> Result<Op, InputError> {
        if depthwise && raw.groups.is_some() {
            let fields: Vec<&str> = CONV_FIELDS
                .iter()
                .copied()
                .filter(|f| *f != "groups")
                .collect();
            return Err(self.err(
                "groups",
                format!(
                    "unknown key `groups` (a depthwise layer has groups = in_channels; allowed: {})",
                    self.allowed(&fields)
                ),
            ));
        }
        let (in_h, in_w, in_h_key, in_w_key) = self.pair(
            ["in_hw", "in_h", "in_w"],
            [raw.in_hw, raw.in_h, raw.in_w],
            None,
        )?;
        let (kernel_h, kernel_w, k_h_key, k_w_key) = self.pair(
            ["kernel", "kernel_h", "kernel_w"],
            [raw.kernel, raw.kernel_h, raw.kernel_w],
            None,
        )?;
        let (stride_h, stride_w, s_h_key, s_w_key) = self.pair(
            ["stride", "stride_h", "stride_w"],
            [raw.stride, raw.stride_h, raw.stride_w],
            Some(1),
        )?;
        let (pad_h, pad_w, p_h_key, p_w_key) = self.pair(
            ["padding", "pad_h", "pad_w"],
            [raw.padding, raw.pad_h, raw.pad_w],
            Some(0),
        )?;
        let (dilation_h, dilation_w, d_h_key, d_w_key) = self.pair(
            ["dilation", "dilation_h", "dilation_w"],
            [raw.dilation, raw.dilation_h, raw.dilation_w],
            Some(1),
        )?;
        for (key, value) in [
            (in_h_key, in_h),
            (in_w_key, in_w),
            ("in_channels", raw.in_channels),
            (k_h_key, kernel_h),
            (k_w_key, kernel_w),
            (s_h_key, stride_h),
            (s_w_key, stride_w),
            (d_h_key, dilation_h),
            (d_w_key, dilation_w),
        ] {
            self.positive(key, value)?;
        }
        let in_channels = raw.in_channels;
        let (out_channels, groups) = if depthwise {
            let out = self.positive("out_channels", raw.out_channels.unwrap_or(in_channels))?;
            if out % in_channels != 0 {
                return Err(self.err(
                    "out_channels",
                    format!(
                        "`out_channels` = {out} is not a multiple of `in_channels` = {in_channels} \
                         (allowed: in_channels times a channel multiplier)"
                    ),
                ));
            }
            (out, in_channels)
        } else {
            let Some(out) = raw.out_channels else {
                return Err(self.err_at_header("missing required key `out_channels`"));
            };
            let groups = self.positive("groups", raw.groups.unwrap_or(1))?;
            self.positive("out_channels", out)?;
            for (key, channels) in [("in_channels", in_channels), ("out_channels", out)] {
                if channels % groups != 0 {
                    return Err(self.err(
                        "groups",
                        format!(
                            "`groups` = {groups} does not divide `{key}` = {channels} \
                             (allowed: a divisor of both in_channels and out_channels)"
                        ),
                    ));
                }
            }
            (out, groups)
        };
        self.window_fits(
            (kernel_h, dilation_h, k_h_key),
            (in_h, in_h_key),
            (pad_h, p_h_key),
        )?;
        self.window_fits(
            (kernel_w, dilation_w, k_w_key),
            (in_w, in_w_key),
            (pad_w, p_w_key),
        )?;
        self.bounded(&[
            batch,
            in_h.saturating_add(pad_h.saturating_mul(2)),
            in_w.saturating_add(pad_w.saturating_mul(2)),
            in_channels,
            out_channels,
            kernel_h.saturating_mul(dilation_h),
            kernel_w.saturating_mul(dilation_w),
        ])?;
        Ok(Op::Conv2d(Conv2d {
            batch,
            in_h,
            in_w,
            in_channels,
            out_channels,
            kernel_h,
            kernel_w,
            stride_h,
            stride_w,
            pad_h,
            pad_w,
            dilation_h,
            dilation_w,
            groups,
            output_rule: OutputRule::Floor,
        }))
    }

    fn gemm(&self, raw: GemmKeys, batch: u64) -> Result<Op, InputError> {
        let batch = raw.batch.unwrap_or(batch);
        for (key, value) in [
            ("m", raw.m),
            ("n", raw.n),
            ("k", raw.k),
            ("batch", batch),
            ("groups", raw.groups.unwrap_or(1)),
        ] {
            self.positive(key, value)?;
        }
        let groups = raw.groups.unwrap_or(1);
        self.bounded(&[batch, groups, raw.m, raw.n, raw.k])?;
        Ok(Op::Gemm(Gemm {
            batch,
            groups,
            m: raw.m,
            n: raw.n,
            k: raw.k,
        }))
    }

    fn pool(&self, raw: PoolKeys, batch: u64) -> Result<Op, InputError> {
        let kind = match raw.kind.as_str() {
            "max" => PoolKind::Max,
            "avg" => PoolKind::Avg,
            other => {
                return Err(self.err(
                    "kind",
                    format!("`kind` = {other:?} is not a pooling kind (allowed: max, avg)"),
                ))
            }
        };
        let (in_h, in_w, in_h_key, in_w_key) = self.pair(
            ["in_hw", "in_h", "in_w"],
            [raw.in_hw, raw.in_h, raw.in_w],
            None,
        )?;
        self.positive(in_h_key, in_h)?;
        self.positive(in_w_key, in_w)?;
        let channels = self.positive("channels", raw.channels)?;
        let global = match &raw.kernel {
            Some(Value::String(s)) if s == "global" => true,
            Some(Value::Integer(_)) | None => false,
            Some(other) => {
                return Err(self.err(
                    "kernel",
                    format!(
                    "`kernel` = {} is not a window (allowed: a positive integer, or \"global\")",
                    show(other)
                ),
                ))
            }
        };
        let (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) = if global {
            let given = [
                ("kernel_h", raw.kernel_h.is_some()),
                ("kernel_w", raw.kernel_w.is_some()),
                ("stride", raw.stride.is_some()),
                ("stride_h", raw.stride_h.is_some()),
                ("stride_w", raw.stride_w.is_some()),
                ("padding", raw.padding.is_some()),
                ("pad_h", raw.pad_h.is_some()),
                ("pad_w", raw.pad_w.is_some()),
            ];
            if let Some((key, _)) = given.iter().find(|(_, set)| *set) {
                return Err(self.err(
                    key,
                    format!(
                        "`{key}` cannot be combined with kernel = \"global\" (the window is the \
                         whole input; allowed: in_hw or in_h + in_w, channels, kind)"
                    ),
                ));
            }
            (in_h, in_w, in_h, in_w, 0, 0)
        } else {
            let kernel = match raw.kernel {
                Some(Value::Integer(i)) => Some(u64::try_from(i).map_err(|_| {
                    self.err(
                        "kernel",
                        format!(
                            "`kernel` = {i} is out of range (allowed: a positive integer, or \"global\")"
                        ),
                    )
                })?),
                _ => None,
            };
            let (kernel_h, kernel_w, k_h_key, k_w_key) = self.pair(
                ["kernel", "kernel_h", "kernel_w"],
                [kernel, raw.kernel_h, raw.kernel_w],
                None,
            )?;
            self.positive(k_h_key, kernel_h)?;
            self.positive(k_w_key, kernel_w)?;
            // PyTorch's default: stride = kernel.
            let (stride_h, stride_w, s_h_key, s_w_key) =
                match (raw.stride, raw.stride_h, raw.stride_w) {
                    (None, None, None) => (kernel_h, kernel_w, k_h_key, k_w_key),
                    (s, sh, sw) => {
                        self.pair(["stride", "stride_h", "stride_w"], [s, sh, sw], None)?
                    }
                };
            self.positive(s_h_key, stride_h)?;
            self.positive(s_w_key, stride_w)?;
            let (pad_h, pad_w, p_h_key, p_w_key) = self.pair(
                ["padding", "pad_h", "pad_w"],
                [raw.padding, raw.pad_h, raw.pad_w],
                Some(0),
            )?;
            self.window_fits((kernel_h, 1, k_h_key), (in_h, in_h_key), (pad_h, p_h_key))?;
            self.window_fits((kernel_w, 1, k_w_key), (in_w, in_w_key), (pad_w, p_w_key))?;
            (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w)
        };
        self.bounded(&[
            batch,
            channels,
            in_h.saturating_add(pad_h.saturating_mul(2)),
            in_w.saturating_add(pad_w.saturating_mul(2)),
            kernel_h,
            kernel_w,
        ])?;
        Ok(Op::Pool(Pool {
            kind,
            batch,
            in_h,
            in_w,
            channels,
            kernel_h,
            kernel_w,
            stride_h,
            stride_w,
            pad_h,
            pad_w,
        }))
    }

    fn attention(&self, raw: AttentionKeys, batch: u64) -> Result<Op, InputError> {
        let seq_kv = raw.seq_kv.unwrap_or(raw.seq_q);
        let kv_heads = raw.kv_heads.unwrap_or(raw.heads);
        for (key, value) in [
            ("heads", raw.heads),
            ("kv_heads", kv_heads),
            ("seq_q", raw.seq_q),
            ("seq_kv", seq_kv),
            ("head_dim", raw.head_dim),
        ] {
            self.positive(key, value)?;
        }
        // The softmax does about 5 operations per score.
        self.bounded(&[batch, raw.heads, raw.seq_q, seq_kv, raw.head_dim.max(5)])?;
        if raw.heads % kv_heads != 0 {
            return Err(self.err(
                "kv_heads",
                format!(
                    "`kv_heads` = {kv_heads} does not divide `heads` = {} (allowed: a divisor \
                     of `heads`)",
                    raw.heads
                ),
            ));
        }
        Ok(Op::Attention(Attention {
            batch,
            heads: raw.heads,
            kv_heads,
            seq_q: raw.seq_q,
            seq_kv,
            head_dim: raw.head_dim,
            causal: raw.causal.unwrap_or(false),
        }))
    }

    fn elementwise(&self, raw: ElementwiseKeys, batch: u64) -> Result<Op, InputError> {
        let ops_per_element = raw.ops_per_element.unwrap_or(1);
        let inputs = raw.inputs.unwrap_or(1);
        for (key, value) in [
            ("elements", raw.elements),
            ("ops_per_element", ops_per_element),
            ("inputs", inputs),
        ] {
            self.positive(key, value)?;
        }
        self.bounded(&[batch, raw.elements, ops_per_element.max(inputs)])?;
        Ok(Op::Elementwise(Elementwise {
            batch,
            elements: raw.elements,
            ops_per_element,
            inputs,
        }))
    }
}

/// Keys of `conv2d` and `depthwise` layers, as written (shorthands unresolved).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConvKeys {
    in_hw: Option<u64>,
    in_h: Option<u64>,
    in_w: Option<u64>,
    in_channels: u64,
    out_channels: Option<u64>,
    kernel: Option<u64>,
    kernel_h: Option<u64>,
    kernel_w: Option<u64>,
    stride: Option<u64>,
    stride_h: Option<u64>,
    stride_w: Option<u64>,
    padding: Option<u64>,
    pad_h: Option<u64>,
    pad_w: Option<u64>,
    dilation: Option<u64>,
    dilation_h: Option<u64>,
    dilation_w: Option<u64>,
    groups: Option<u64>,
}

/// The fields of [`ConvKeys`], for the depthwise message (which leaves out `groups`).
const CONV_FIELDS: [&str; 18] = [
    "in_hw",
    "in_h",
    "in_w",
    "in_channels",
    "out_channels",
    "kernel",
    "kernel_h",
    "kernel_w",
    "stride",
    "stride_h",
    "stride_w",
    "padding",
    "pad_h",
    "pad_w",
    "dilation",
    "dilation_h",
    "dilation_w",
    "groups",
];

/// Keys of a `gemm` layer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GemmKeys {
    m: u64,
    n: u64,
    k: u64,
    batch: Option<u64>,
    groups: Option<u64>,
}

/// Keys of a `pool` layer; `kernel` is an integer or `"global"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolKeys {
    kind: String,
    in_hw: Option<u64>,
    in_h: Option<u64>,
    in_w: Option<u64>,
    channels: u64,
    kernel: Option<Value>,
    kernel_h: Option<u64>,
    kernel_w: Option<u64>,
    stride: Option<u64>,
    stride_h: Option<u64>,
    stride_w: Option<u64>,
    padding: Option<u64>,
    pad_h: Option<u64>,
    pad_w: Option<u64>,
}

/// Keys of an `attention` layer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttentionKeys {
    heads: u64,
    kv_heads: Option<u64>,
    seq_q: u64,
    seq_kv: Option<u64>,
    head_dim: u64,
    causal: Option<bool>,
}

/// Keys of an `elementwise` layer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElementwiseKeys {
    elements: u64,
    ops_per_element: Option<u64>,
    inputs: Option<u64>,
}

/// What went wrong deserialising an op's keys, with the key it concerns.
#[derive(Debug)]
enum KeyError {
    Unknown {
        key: String,
        expected: &'static [&'static str],
    },
    Missing(&'static str),
    Value {
        key: String,
        message: String,
    },
    Other(String),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Unknown { key, .. } => write!(f, "unknown key `{key}`"),
            KeyError::Missing(key) => write!(f, "missing required key `{key}`"),
            KeyError::Value { key, message } => write!(f, "`{key}`: {message}"),
            KeyError::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for KeyError {}

impl de::Error for KeyError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        KeyError::Other(msg.to_string())
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        KeyError::Unknown {
            key: field.to_string(),
            expected,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        KeyError::Missing(field)
    }
}

/// A layer's op-specific keys as a serde map whose errors say which key failed.
struct KeysDe(Vec<(String, Value)>);

impl<'de> de::Deserializer<'de> for KeysDe {
    type Error = KeyError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, KeyError> {
        visitor.visit_map(KeysAccess {
            entries: self.0.into_iter(),
            pending: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct KeysAccess {
    entries: std::vec::IntoIter<(String, Value)>,
    pending: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for KeysAccess {
    type Error = KeyError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, KeyError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        // An unknown key fails here, through `KeyError::unknown_field`.
        let parsed = seed.deserialize(key.as_str().into_deserializer())?;
        self.pending = Some((key, value));
        Ok(Some(parsed))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, KeyError> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| KeyError::Other("a value was read before its key".into()))?;
        seed.deserialize(value).map_err(|e| KeyError::Value {
            key,
            message: e.message().trim_end().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Workload, InputError> {
        parse(Path::new("models/test.toml"), text)
    }

    fn one_op(layer: &str) -> Op {
        let w = parse_str(&format!("[[layer]]\n{layer}")).unwrap();
        assert_eq!(w.layers.len(), 1);
        w.layers[0].op.clone()
    }

    fn error(text: &str) -> String {
        parse_str(text).unwrap_err().to_string()
    }

    fn assert_mentions(message: &str, parts: &[&str]) {
        for part in parts {
            assert!(message.contains(part), "`{part}` not in: {message}");
        }
    }

    #[test]
    fn conv2d_parses_resnet_stem_with_shorthands() {
        // ResNet stem: 224x224x3, 64 filters 7x7/2 pad 3.
        let op = one_op(
            "name = \"conv1\"\nop = \"conv2d\"\nin_hw = 224\nin_channels = 3\nout_channels = 64\n\
             kernel = 7\nstride = 2\npadding = 3\n",
        );
        let Op::Conv2d(c) = op else {
            panic!("not a conv: {op:?}")
        };
        assert_eq!(
            c,
            Conv2d {
                batch: 1,
                in_h: 224,
                in_w: 224,
                in_channels: 3,
                out_channels: 64,
                kernel_h: 7,
                kernel_w: 7,
                stride_h: 2,
                stride_w: 2,
                pad_h: 3,
                pad_w: 3,
                dilation_h: 1,
                dilation_w: 1,
                groups: 1,
                output_rule: OutputRule::Floor,
            }
        );
        // floor((224 + 6 - 7) / 2) + 1 = 112.
        assert_eq!(c.out_h(), 112);
    }

    #[test]
    fn conv2d_accepts_separate_height_and_width_keys() {
        let op = one_op(
            "op = \"conv2d\"\nin_h = 32\nin_w = 48\nin_channels = 8\nout_channels = 16\n\
             kernel_h = 1\nkernel_w = 3\nstride_h = 1\nstride_w = 2\npad_h = 0\npad_w = 1\n\
             dilation_h = 1\ndilation_w = 2\ngroups = 4\n",
        );
        let Op::Conv2d(c) = op else { panic!() };
        assert_eq!((c.in_h, c.in_w, c.kernel_h, c.kernel_w), (32, 48, 1, 3));
        assert_eq!((c.stride_h, c.stride_w, c.pad_h, c.pad_w), (1, 2, 0, 1));
        assert_eq!((c.dilation_h, c.dilation_w, c.groups), (1, 2, 4));
        // Width: dilated extent 2*(3-1)+1 = 5, floor((48 + 2 - 5) / 2) + 1 = 23.
        assert_eq!((c.out_h(), c.out_w()), (32, 23));
    }

    #[test]
    fn conv2d_defaults_stride_one_no_padding_dense() {
        let Op::Conv2d(c) =
            one_op("op = \"conv2d\"\nin_hw = 8\nin_channels = 4\nout_channels = 4\nkernel = 3\n")
        else {
            panic!()
        };
        assert_eq!((c.stride_h, c.pad_h, c.dilation_h, c.groups), (1, 0, 1, 1));
        assert_eq!(c.out_h(), 6);
    }

    #[test]
    fn depthwise_sets_groups_and_defaults_out_channels() {
        let Op::Conv2d(c) =
            one_op("op = \"depthwise\"\nin_hw = 112\nin_channels = 32\nkernel = 3\npadding = 1\n")
        else {
            panic!()
        };
        assert_eq!((c.groups, c.out_channels), (32, 32));
        assert_eq!(Op::Conv2d(c).kind(), "depthwise");
        // Channel multiplier 2: 64 outputs from 32 inputs, still one group per input channel.
        let Op::Conv2d(c) = one_op(
            "op = \"depthwise\"\nin_hw = 8\nin_channels = 32\nout_channels = 64\nkernel = 3\n",
        ) else {
            panic!()
        };
        assert_eq!((c.groups, c.out_channels), (32, 64));
    }

    #[test]
    fn gemm_takes_file_batch_unless_given() {
        let w = parse_str(
            "batch = 4\n[[layer]]\nop = \"gemm\"\nm = 128\nn = 768\nk = 64\n\
             [[layer]]\nop = \"gemm\"\nm = 1\nn = 2\nk = 3\nbatch = 2\ngroups = 12\n",
        )
        .unwrap();
        assert_eq!(
            w.layers[0].op,
            Op::Gemm(Gemm {
                batch: 4,
                groups: 1,
                m: 128,
                n: 768,
                k: 64
            })
        );
        assert_eq!(
            w.layers[1].op,
            Op::Gemm(Gemm {
                batch: 2,
                groups: 12,
                m: 1,
                n: 2,
                k: 3
            })
        );
    }

    #[test]
    fn pool_stride_defaults_to_kernel() {
        let Op::Pool(p) = one_op(
            "op = \"pool\"\nkind = \"max\"\nin_hw = 112\nchannels = 64\nkernel = 3\nstride = 2\n\
             padding = 1\n",
        ) else {
            panic!()
        };
        assert_eq!((p.kind, p.out_h()), (PoolKind::Max, 56));
        let Op::Pool(p) =
            one_op("op = \"pool\"\nkind = \"avg\"\nin_h = 8\nin_w = 6\nchannels = 2\nkernel = 2\n")
        else {
            panic!()
        };
        assert_eq!((p.stride_h, p.stride_w, p.pad_h), (2, 2, 0));
        assert_eq!((p.out_h(), p.out_w()), (4, 3));
    }

    #[test]
    fn global_pool_covers_the_whole_input() {
        let Op::Pool(p) = one_op(
            "op = \"pool\"\nkind = \"avg\"\nin_hw = 7\nchannels = 2048\nkernel = \"global\"\n",
        ) else {
            panic!()
        };
        assert_eq!((p.kernel_h, p.kernel_w, p.out_h(), p.out_w()), (7, 7, 1, 1));
        assert_eq!(p.channels, 2048);
    }

    #[test]
    fn attention_defaults_to_self_attention_without_mask() {
        let op = one_op("op = \"attention\"\nheads = 12\nseq_q = 128\nhead_dim = 64\n");
        assert_eq!(
            op,
            Op::Attention(Attention {
                batch: 1,
                heads: 12,
                kv_heads: 12,
                seq_q: 128,
                seq_kv: 128,
                head_dim: 64,
                causal: false,
            })
        );
        // 2 products of 12 heads x 128 x 128 x 64 = 25,165,824 MACs.
        assert_eq!(op.macs(), 25_165_824);
        let Op::Attention(a) = one_op(
            "op = \"attention\"\nheads = 32\nseq_q = 1\nseq_kv = 2048\nhead_dim = 128\ncausal = true\n",
        ) else {
            panic!()
        };
        assert_eq!((a.seq_kv, a.causal), (2048, true));
    }

    #[test]
    fn elementwise_defaults_to_one_op_one_input() {
        let op = one_op("op = \"elementwise\"\nelements = 802816\n");
        assert_eq!(
            op,
            Op::Elementwise(Elementwise {
                batch: 1,
                elements: 802_816,
                ops_per_element: 1,
                inputs: 1,
            })
        );
        let Op::Elementwise(e) =
            one_op("op = \"elementwise\"\nelements = 10\nops_per_element = 8\ninputs = 2\n")
        else {
            panic!()
        };
        assert_eq!((e.ops_per_element, e.inputs), (8, 2));
    }

    #[test]
    fn file_defaults_name_precision_and_count() {
        let w = parse_str(
            "precision = \"fp16\"\n[[layer]]\nop = \"elementwise\"\nelements = 1\n\
             [[layer]]\nname = \"fc\"\nop = \"gemm\"\nm = 1\nn = 1\nk = 1\ncount = 3\n\
             precision = \"int4\"\n",
        )
        .unwrap();
        // No `name`: the file stem.
        assert_eq!(w.name, "test");
        assert_eq!(w.layers[0].name, "elementwise_0");
        assert_eq!(
            (w.layers[0].count, w.layers[0].precision),
            (1, Some(Precision::Fp16))
        );
        assert_eq!(w.layers[1].name, "fc");
        assert_eq!(
            (w.layers[1].count, w.layers[1].precision),
            (3, Some(Precision::Int4))
        );
        let w = parse_str("name = \"n\"\n[[layer]]\nop = \"elementwise\"\nelements = 1\n").unwrap();
        assert_eq!((w.name.as_str(), w.layers[0].precision), ("n", None));
    }

    #[test]
    fn batch_scales_every_op() {
        let w = parse_str(
            "batch = 8\n[[layer]]\nop = \"conv2d\"\nin_hw = 4\nin_channels = 1\nout_channels = 1\n\
             kernel = 1\n[[layer]]\nop = \"attention\"\nheads = 1\nseq_q = 2\nhead_dim = 2\n\
             [[layer]]\nop = \"pool\"\nkind = \"max\"\nin_hw = 2\nchannels = 1\nkernel = 2\n\
             [[layer]]\nop = \"elementwise\"\nelements = 3\n",
        )
        .unwrap();
        for layer in &w.layers {
            let batch = match &layer.op {
                Op::Conv2d(c) => c.batch,
                Op::Attention(a) => a.batch,
                Op::Pool(p) => p.batch,
                Op::Elementwise(e) => e.batch,
                Op::Gemm(g) => g.batch,
                Op::AllReduce(r) => r.batch,
            };
            assert_eq!(batch, 8, "{}", layer.name);
        }
    }

    #[test]
    fn rejects_conv_key_on_gemm_layer() {
        let msg =
            error("[[layer]]\nname = \"fc\"\nop = \"gemm\"\nm = 1\nn = 2\nk = 3\nkernel = 3\n");
        assert_mentions(
            &msg,
            &[
                "models/test.toml",
                "line 7",
                "layer[0] `fc`",
                "op = \"gemm\"",
                "unknown key `kernel`",
                "allowed: name, op, count, precision, m, n, k, batch, groups",
            ],
        );
    }

    #[test]
    fn rejects_groups_on_depthwise_layer() {
        let msg = error(
            "[[layer]]\nname = \"dw\"\nop = \"depthwise\"\nin_hw = 8\nin_channels = 4\nkernel = 3\n\
             groups = 4\n",
        );
        assert_mentions(
            &msg,
            &[
                "line 7",
                "layer[0] `dw`",
                "unknown key `groups`",
                "in_channels",
            ],
        );
        assert!(!msg.contains(", groups"), "{msg}");
    }

    #[test]
    fn rejects_missing_required_key() {
        let msg = error("[[layer]]\nname = \"fc\"\nop = \"gemm\"\nm = 1\nn = 2\n");
        assert_mentions(
            &msg,
            &["line 1", "layer[0] `fc`", "missing required key `k`"],
        );
        let msg = error("[[layer]]\nname = \"c\"\nop = \"conv2d\"\nin_channels = 1\nout_channels = 1\nkernel = 1\n");
        assert_mentions(
            &msg,
            &["missing required key `in_hw` (or `in_h` and `in_w`)"],
        );
        let msg = error("[[layer]]\nop = \"conv2d\"\nin_hw = 4\nin_channels = 1\nkernel = 1\n");
        assert_mentions(&msg, &["missing required key `out_channels`"]);
        let msg = error("[[layer]]\nname = \"x\"\nm = 1\n");
        assert_mentions(
            &msg,
            &[
                "layer[0] `x`",
                "missing key `op`",
                "conv2d, depthwise, gemm",
            ],
        );
    }

    #[test]
    fn rejects_half_of_a_shorthand_pair() {
        let msg = error(
            "[[layer]]\nop = \"conv2d\"\nin_h = 4\nin_channels = 1\nout_channels = 1\nkernel = 1\n",
        );
        assert_mentions(&msg, &["line 3", "`in_h` given without `in_w`"]);
        let msg = error(
            "[[layer]]\nop = \"conv2d\"\nin_hw = 4\nin_w = 4\nin_channels = 1\nout_channels = 1\n\
             kernel = 1\n",
        );
        assert_mentions(&msg, &["line 4", "`in_hw` and `in_w` both given"]);
    }

    #[test]
    fn rejects_zero_where_positive_required() {
        let msg = error(
            "[[layer]]\nname = \"c\"\nop = \"conv2d\"\nin_hw = 8\nin_channels = 4\nout_channels = 4\n\
             kernel = 3\nstride = 0\n",
        );
        assert_mentions(
            &msg,
            &[
                "line 8",
                "layer[0] `c`",
                "`stride` = 0 is out of range (allowed: 1 or more)",
            ],
        );
        let msg = error("[[layer]]\nop = \"gemm\"\nm = 0\nn = 1\nk = 1\n");
        assert_mentions(&msg, &["line 3", "layer[0] `gemm_0`", "`m` = 0"]);
        let msg = error("[[layer]]\nop = \"elementwise\"\nelements = 1\ncount = 0\n");
        assert_mentions(&msg, &["line 4", "`count` = 0 is out of range"]);
        let msg = error("batch = 0\n[[layer]]\nop = \"elementwise\"\nelements = 1\n");
        assert_mentions(
            &msg,
            &["models/test.toml: line 1", "`batch` = 0 is out of range"],
        );
    }

    #[test]
    fn rejects_groups_not_dividing_channels() {
        let msg = error(
            "[[layer]]\nname = \"g\"\nop = \"conv2d\"\nin_hw = 8\nin_channels = 64\nout_channels = 30\n\
             kernel = 3\ngroups = 4\n",
        );
        assert_mentions(
            &msg,
            &[
                "line 8",
                "`groups` = 4 does not divide `out_channels` = 30",
                "allowed: a divisor of both in_channels and out_channels",
            ],
        );
        let msg = error(
            "[[layer]]\nop = \"depthwise\"\nin_hw = 8\nin_channels = 32\nout_channels = 48\nkernel = 3\n",
        );
        assert_mentions(
            &msg,
            &["`out_channels` = 48 is not a multiple of `in_channels` = 32"],
        );
    }

    #[test]
    fn rejects_kernel_larger_than_padded_input() {
        // 5 + 2*1 = 7 < 9.
        let msg = error(
            "[[layer]]\nname = \"big\"\nop = \"conv2d\"\nin_hw = 5\nin_channels = 1\nout_channels = 1\n\
             kernel = 9\npadding = 1\n",
        );
        assert_mentions(
            &msg,
            &[
                "line 7",
                "layer[0] `big`",
                "`kernel` = 9 is larger than the padded input: `in_hw` 5 + 2 x `padding` 1 = 7",
            ],
        );
        // Dilation 2 turns a 3x3 kernel into a 5-wide window, wider than 4.
        let msg = error(
            "[[layer]]\nop = \"conv2d\"\nin_h = 8\nin_w = 4\nin_channels = 1\nout_channels = 1\n\
             kernel = 3\ndilation = 2\n",
        );
        assert_mentions(&msg, &["`kernel` = 3 (dilated extent 5)", "`in_w` 4"]);
        let msg = error(
            "[[layer]]\nop = \"pool\"\nkind = \"max\"\nin_hw = 2\nchannels = 1\nkernel = 3\n",
        );
        assert_mentions(&msg, &["`kernel` = 3 is larger than the padded input"]);
    }

    #[test]
    fn rejects_unknown_op_precision_and_pool_kind() {
        let msg = error("[[layer]]\nname = \"x\"\nop = \"conv3d\"\n");
        assert_mentions(
            &msg,
            &[
                "line 3",
                "layer[0] `x`",
                "`op` = \"conv3d\" is not an operator",
                "allowed: conv2d, depthwise, gemm, pool, attention, elementwise",
            ],
        );
        let msg = error(
            "[[layer]]\nop = \"elementwise\"\nelements = 1\n\n[[layer]]\nname = \"y\"\nop = \"gemm\"\n\
             m = 1\nn = 1\nk = 1\nprecision = \"int3\"\n",
        );
        assert_mentions(
            &msg,
            &[
                "line 11",
                "layer[1] `y`",
                "`precision` = \"int3\" is not a precision",
                "allowed: int4, int8, int16, int32, fp8, fp16, bf16, fp32",
            ],
        );
        let msg = error(
            "[[layer]]\nop = \"pool\"\nkind = \"min\"\nin_hw = 2\nchannels = 1\nkernel = 2\n",
        );
        assert_mentions(&msg, &["line 3", "`kind` = \"min\"", "allowed: max, avg"]);
        let msg = error("precision = \"int3\"\n[[layer]]\nop = \"elementwise\"\nelements = 1\n");
        assert_mentions(&msg, &["line 1", "int3", "int4", "fp32"]);
    }

    #[test]
    fn rejects_wrong_types_naming_the_key() {
        let msg = error("[[layer]]\nop = \"gemm\"\nm = 1\nn = \"2\"\nk = 1\n");
        assert_mentions(&msg, &["line 4", "`n`: invalid type: string \"2\"", "u64"]);
        let msg = error("[[layer]]\nop = \"gemm\"\nm = -1\nn = 2\nk = 1\n");
        assert_mentions(&msg, &["line 3", "`m`: invalid value: integer `-1`"]);
        let msg = error(
            "[[layer]]\nop = \"pool\"\nkind = \"max\"\nin_hw = 2\nchannels = 1\nkernel = \"all\"\n",
        );
        assert_mentions(&msg, &["line 6", "\"all\"", "\"global\""]);
        let msg = error("[[layer]]\nname = 3\nop = \"gemm\"\n");
        assert_mentions(&msg, &["line 2", "`name` = 3 is not a string"]);
    }

    #[test]
    fn rejects_syntax_errors_and_unknown_file_keys_with_position() {
        let msg = error("[[layer]]\nop = \"gemm\n");
        assert_mentions(&msg, &["models/test.toml", "line 2"]);
        let msg = error("batchsize = 2\n");
        assert_mentions(
            &msg,
            &[
                "line 1",
                "unknown field `batchsize`",
                "name",
                "precision",
                "batch",
                "layer",
            ],
        );
        let msg = error("name = \"empty\"\n");
        assert_mentions(&msg, &["no layers", "[[layer]]"]);
    }

    #[test]
    fn rejects_global_pool_with_stride() {
        let msg = error(
            "[[layer]]\nop = \"pool\"\nkind = \"avg\"\nin_hw = 7\nchannels = 1\nkernel = \"global\"\n\
             stride = 2\n",
        );
        assert_mentions(
            &msg,
            &[
                "line 7",
                "`stride` cannot be combined with kernel = \"global\"",
            ],
        );
    }

    #[test]
    fn rejects_layers_too_large_to_count() {
        let msg =
            error("[[layer]]\nop = \"gemm\"\nm = 4294967296\nn = 4294967296\nk = 4294967296\n");
        assert_mentions(&msg, &["line 1", "too large"]);
        // 2^20 cubed is 2^60, the limit; twice that is over it.
        let gemm = "[[layer]]\nop = \"gemm\"\nm = 1048576\nn = 1048576\nk = 1048576\n";
        assert!(parse_str(gemm).is_ok());
        assert_mentions(&error(&format!("{gemm}count = 2\n")), &["too large"]);
        // The largest TOML integer as padding must not overflow while checking the window.
        let msg = error(
            "[[layer]]\nop = \"conv2d\"\nin_hw = 4\nin_channels = 1\nout_channels = 1\nkernel = 3\n\
             padding = 9223372036854775807\n",
        );
        assert_mentions(&msg, &["too large"]);
    }

    #[test]
    fn inline_layer_tables_parse_too() {
        let w = parse_str("layer = [{ op = \"gemm\", m = 2, n = 3, k = 4 }]\n").unwrap();
        assert_eq!(w.macs(), 24);
    }
}
