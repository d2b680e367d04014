//! The workload intermediate representation: a network is a list of layers, each one operator.
//!
//! Every operator knows its MAC count and lowers to the matrix problems a spatial array runs
//! ([`GemmShape`]) or to a vector job ([`VectorJob`]). Shapes follow the usual conventions:
//! GEMM `C[m x n] = A[m x k] * B[k x n]`, with `A` the activations (ifmap) and `B` the weights
//! (filter); a convolution is the GEMM of its im2col matrix, `m = out_h * out_w`,
//! `n = out_channels`, `k = kernel_h * kernel_w * in_channels`.

use serde::{Deserialize, Serialize};

/// Number format of operands or accumulators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 4-bit integer.
    Int4,
    /// 8-bit integer.
    #[default]
    Int8,
    /// 16-bit integer.
    Int16,
    /// 32-bit integer (accumulators).
    Int32,
    /// 8-bit float (E4M3/E5M2).
    Fp8,
    /// IEEE half precision.
    Fp16,
    /// bfloat16.
    Bf16,
    /// IEEE single precision.
    Fp32,
}

impl Precision {
    /// Every precision, in the order the error messages list them.
    pub const ALL: [Precision; 8] = [
        Precision::Int4,
        Precision::Int8,
        Precision::Int16,
        Precision::Int32,
        Precision::Fp8,
        Precision::Fp16,
        Precision::Bf16,
        Precision::Fp32,
    ];

    /// Width in bits.
    pub fn bits(self) -> u32 {
        match self {
            Precision::Int4 => 4,
            Precision::Int8 | Precision::Fp8 => 8,
            Precision::Int16 | Precision::Fp16 | Precision::Bf16 => 16,
            Precision::Int32 | Precision::Fp32 => 32,
        }
    }

    /// Bytes one value occupies in memory (int4 packs two per byte).
    pub fn bytes(self) -> f64 {
        f64::from(self.bits()) / 8.0
    }

    /// Whether the format is floating point.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            Precision::Fp8 | Precision::Fp16 | Precision::Bf16 | Precision::Fp32
        )
    }

    /// The accumulator a MAC of this operand format usually uses: int32 for integers, fp32 for
    /// floats.
    pub fn default_accumulator(self) -> Precision {
        if self.is_float() {
            Precision::Fp32
        } else {
            Precision::Int32
        }
    }

    /// Lower-case name as written in config files.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Int4 => "int4",
            Precision::Int8 => "int8",
            Precision::Int16 => "int16",
            Precision::Int32 => "int32",
            Precision::Fp8 => "fp8",
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
            Precision::Fp32 => "fp32",
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A network: named list of layers run in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    /// Name shown in reports.
    pub name: String,
    /// Layers in execution order.
    pub layers: Vec<Layer>,
    /// Repeats of each layer that reuse the same weights: the LLM decode phase folds its
    /// `steps` decode steps into every layer's `count` (a count of `layers x steps` holds
    /// `layers` distinct weight matrices), so it is `steps` there and 1 for every other
    /// workload. Used where weights must be resident (the PIM's capacity).
    pub weight_reuse: u64,
}

/// One layer: an operator run `count` times (identical repeated blocks are written once).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layer {
    /// Name shown in reports.
    pub name: String,
    /// The operator.
    pub op: Op,
    /// How many times the layer runs back to back (>= 1).
    pub count: u64,
    /// Operand precision of this layer, overriding the accelerator's.
    pub precision: Option<Precision>,
}

impl Layer {
    /// `count` runs of `op` at the accelerator's precision.
    pub fn new(name: impl Into<String>, op: Op, count: u64) -> Layer {
        Layer {
            name: name.into(),
            op,
            count,
            precision: None,
        }
    }
}

/// Operators of the IR.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Matrix multiply, batched.
    Gemm(Gemm),
    /// 2-D convolution (grouped and depthwise included).
    Conv2d(Conv2d),
    /// Max or average pooling.
    Pool(Pool),
    /// Scaled dot-product attention: `softmax(Q K^T) V` per head.
    Attention(Attention),
    /// Elementwise or other vector work (activation, norm, residual add, softmax).
    Elementwise(Elementwise),
    /// Sum of a tensor across tensor-parallel devices (ring all-reduce over links).
    AllReduce(AllReduce),
}

/// An all-reduce of `batch * elements` values across `devices` devices; every device ends
/// with the sum. One device means nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AllReduce {
    /// Samples.
    pub batch: u64,
    /// Elements per sample.
    pub elements: u64,
    /// Devices taking part (the tensor-parallel degree).
    pub devices: u64,
}

/// `groups` independent GEMMs, each `[batch*m x k] * [k x n]`.
///
/// `batch` samples share the weight operand and stack into rows (a linear layer on a batch);
/// `groups` do not share operands (batched matmul such as per-head products).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gemm {
    /// Samples sharing the `k x n` operand (stacked into rows).
    pub batch: u64,
    /// Independent products with distinct operands.
    pub groups: u64,
    /// Rows of the left operand per sample.
    pub m: u64,
    /// Columns of the right operand (output features).
    pub n: u64,
    /// Reduction length.
    pub k: u64,
}

/// 2-D convolution, NCHW semantics, `groups` divides both channel counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Conv2d {
    /// Samples.
    pub batch: u64,
    /// Input height in pixels (before padding).
    pub in_h: u64,
    /// Input width in pixels (before padding).
    pub in_w: u64,
    /// Input channels.
    pub in_channels: u64,
    /// Output channels (filters).
    pub out_channels: u64,
    /// Kernel height.
    pub kernel_h: u64,
    /// Kernel width.
    pub kernel_w: u64,
    /// Vertical stride.
    pub stride_h: u64,
    /// Horizontal stride.
    pub stride_w: u64,
    /// Zero padding added at top and at bottom.
    pub pad_h: u64,
    /// Zero padding added at left and at right.
    pub pad_w: u64,
    /// Vertical dilation (1 = dense kernel).
    pub dilation_h: u64,
    /// Horizontal dilation.
    pub dilation_w: u64,
    /// Channel groups: 1 = dense, `in_channels` = depthwise.
    pub groups: u64,
    /// How the output size is computed.
    pub output_rule: OutputRule,
}

/// Output-size convention of a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutputRule {
    /// PyTorch's `floor((H + 2p - d(R-1) - 1) / S) + 1`.
    #[default]
    Floor,
    /// SCALE-Sim's `ceil((H - R + S) / S)` (its topologies carry no padding).
    ScaleSim,
}

impl Conv2d {
    /// Effective kernel extent with dilation.
    fn extent(kernel: u64, dilation: u64) -> u64 {
        dilation * (kernel - 1) + 1
    }

    fn out_dim(&self, input: u64, pad: u64, kernel: u64, stride: u64, dilation: u64) -> u64 {
        let extent = Self::extent(kernel, dilation);
        let padded = input + 2 * pad;
        if padded < extent {
            return 0;
        }
        match self.output_rule {
            OutputRule::Floor => (padded - extent) / stride + 1,
            OutputRule::ScaleSim => (padded - extent + stride).div_ceil(stride),
        }
    }

    /// Output height.
    pub fn out_h(&self) -> u64 {
        self.out_dim(
            self.in_h,
            self.pad_h,
            self.kernel_h,
            self.stride_h,
            self.dilation_h,
        )
    }

    /// Output width.
    pub fn out_w(&self) -> u64 {
        self.out_dim(
            self.in_w,
            self.pad_w,
            self.kernel_w,
            self.stride_w,
            self.dilation_w,
        )
    }

    /// The GEMM each group runs: rows are output pixels of all samples.
    pub fn gemm(&self) -> GemmShape {
        GemmShape {
            m: self.batch * self.out_h() * self.out_w(),
            n: self.out_channels / self.groups,
            k: self.kernel_h * self.kernel_w * (self.in_channels / self.groups),
            groups: self.groups,
            ifmap_elems: self.batch
                * (self.in_h + 2 * self.pad_h)
                * (self.in_w + 2 * self.pad_w)
                * (self.in_channels / self.groups),
        }
    }
}

/// Pooling kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// Maximum over the window.
    Max,
    /// Mean over the window.
    Avg,
}

/// 2-D pooling; `kernel = "global"` in TOML pools the whole input (resolved at load time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pool {
    /// Max or average.
    pub kind: PoolKind,
    /// Samples.
    pub batch: u64,
    /// Input height.
    pub in_h: u64,
    /// Input width.
    pub in_w: u64,
    /// Channels.
    pub channels: u64,
    /// Window height.
    pub kernel_h: u64,
    /// Window width.
    pub kernel_w: u64,
    /// Vertical stride.
    pub stride_h: u64,
    /// Horizontal stride.
    pub stride_w: u64,
    /// Padding on each side, vertically.
    pub pad_h: u64,
    /// Padding on each side, horizontally.
    pub pad_w: u64,
}

impl Pool {
    /// Output height (floor rule).
    pub fn out_h(&self) -> u64 {
        (self.in_h + 2 * self.pad_h).saturating_sub(self.kernel_h) / self.stride_h + 1
    }

    /// Output width (floor rule).
    pub fn out_w(&self) -> u64 {
        (self.in_w + 2 * self.pad_w).saturating_sub(self.kernel_w) / self.stride_w + 1
    }
}

/// Multi-head attention core (the two activation-times-activation products and the softmax);
/// the Q/K/V/output projections are separate GEMM layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Attention {
    /// Samples.
    pub batch: u64,
    /// Query heads.
    pub heads: u64,
    /// Key/value heads: `heads` for multi-head, fewer for grouped-query (GQA), 1 for
    /// multi-query attention. MACs do not depend on it; the K/V bytes read do.
    pub kv_heads: u64,
    /// Query length (tokens processed now).
    pub seq_q: u64,
    /// Key/value length (context).
    pub seq_kv: u64,
    /// Dimension per head.
    pub head_dim: u64,
    /// Causal mask: only the lower triangle of the score matrix is computed.
    pub causal: bool,
}

impl Attention {
    /// Score entries per head actually computed (half, plus the diagonal, when causal and
    /// square; otherwise the full matrix).
    fn scores_per_head(&self) -> u64 {
        if self.causal && self.seq_q == self.seq_kv {
            self.seq_q * (self.seq_q + 1) / 2
        } else {
            self.seq_q * self.seq_kv
        }
    }

    /// The two products: `Q K^T` (`seq_q x seq_kv`, reduce over `head_dim`) and `P V`
    /// (`seq_q x head_dim`, reduce over `seq_kv`), one group per sample and head.
    ///
    /// A causal mask is modelled by shrinking the reduction/column extent so MACs equal the
    /// computed triangle; an array still tiles a dense matrix, so this is a lower bound.
    pub fn gemms(&self) -> [GemmShape; 2] {
        let groups = self.batch * self.heads;
        let full = self.seq_q * self.seq_kv;
        let kv_eff = if full == 0 {
            0
        } else {
            (self.seq_kv * self.scores_per_head()).div_ceil(full)
        };
        [
            GemmShape {
                m: self.seq_q,
                n: kv_eff,
                k: self.head_dim,
                groups,
                ifmap_elems: self.seq_q * self.head_dim,
            },
            GemmShape {
                m: self.seq_q,
                n: self.head_dim,
                k: kv_eff,
                groups,
                ifmap_elems: self.seq_q * kv_eff,
            },
        ]
    }

    /// The softmax over the computed scores: about 5 operations per score (max, subtract,
    /// exp, sum, divide).
    pub fn softmax(&self) -> VectorJob {
        let elements = self.batch * self.heads * self.scores_per_head();
        VectorJob {
            elements,
            ops_per_element: 5,
            bytes_in_per_element: 1,
            bytes_out_per_element: 1,
        }
    }
}

/// Elementwise or reduction work on a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Elementwise {
    /// Samples.
    pub batch: u64,
    /// Elements per sample.
    pub elements: u64,
    /// Arithmetic operations per element (e.g. 1 for ReLU or add, ~8 for GELU, ~5 for a norm).
    pub ops_per_element: u64,
    /// Input tensors read per element (2 for a residual add).
    pub inputs: u64,
}

/// A matrix problem as a spatial array sees it: `groups` independent `[m x k] * [k x n]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GemmShape {
    /// Output rows (output pixels; samples stacked in).
    pub m: u64,
    /// Output columns (filters).
    pub n: u64,
    /// Reduction length (window size).
    pub k: u64,
    /// Independent repetitions with distinct operands.
    pub groups: u64,
    /// Distinct left-operand (ifmap) elements per group: less than `m * k` for convolutions,
    /// whose im2col windows overlap.
    pub ifmap_elems: u64,
}

impl GemmShape {
    /// A dense GEMM whose left operand has no repeated elements.
    pub fn dense(m: u64, n: u64, k: u64, groups: u64) -> Self {
        GemmShape {
            m,
            n,
            k,
            groups,
            ifmap_elems: m * k,
        }
    }

    /// Multiply-accumulates.
    pub fn macs(&self) -> u64 {
        self.groups * self.m * self.n * self.k
    }
}

/// Work for a vector unit, in elements per job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VectorJob {
    /// Output elements.
    pub elements: u64,
    /// Operations per output element.
    pub ops_per_element: u64,
    /// Input values read per output element.
    pub bytes_in_per_element: u64,
    /// Output values written per output element.
    pub bytes_out_per_element: u64,
}

impl VectorJob {
    /// Total vector operations.
    pub fn ops(&self) -> u64 {
        self.elements * self.ops_per_element
    }
}

/// What an operator asks of an accelerator.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// Matrix products, run in order on the array.
    pub gemms: Vec<GemmShape>,
    /// Vector work, run on the vector unit.
    pub vector: Option<VectorJob>,
    /// Inter-device reduction, run over the links.
    pub all_reduce: Option<AllReduce>,
}

impl Op {
    /// One product `[m x k] * [k x n]` (one sample, one group).
    pub fn gemm(m: u64, n: u64, k: u64) -> Op {
        Op::Gemm(Gemm {
            batch: 1,
            groups: 1,
            m,
            n,
            k,
        })
    }

    /// Multiply-accumulates of one run of the operator (vector ops count none).
    pub fn macs(&self) -> u64 {
        self.lower().gemms.iter().map(GemmShape::macs).sum()
    }

    /// The matrix products and vector work the operator is made of.
    pub fn lower(&self) -> Lowered {
        match self {
            Op::Gemm(g) => Lowered {
                gemms: vec![GemmShape::dense(g.batch * g.m, g.n, g.k, g.groups)],
                vector: None,
                all_reduce: None,
            },
            Op::Conv2d(c) => Lowered {
                gemms: vec![c.gemm()],
                vector: None,
                all_reduce: None,
            },
            Op::Pool(p) => {
                let elements = p.batch * p.channels * p.out_h() * p.out_w();
                Lowered {
                    gemms: vec![],
                    vector: Some(VectorJob {
                        elements,
                        ops_per_element: p.kernel_h * p.kernel_w,
                        bytes_in_per_element: (p.kernel_h * p.kernel_w)
                            .div_ceil(p.stride_h * p.stride_w)
                            .max(1),
                        bytes_out_per_element: 1,
                    }),
                    all_reduce: None,
                }
            }
            Op::Attention(a) => Lowered {
                gemms: a.gemms().to_vec(),
                vector: Some(a.softmax()),
                all_reduce: None,
            },
            Op::Elementwise(e) => Lowered {
                gemms: vec![],
                vector: Some(VectorJob {
                    elements: e.batch * e.elements,
                    ops_per_element: e.ops_per_element,
                    bytes_in_per_element: e.inputs,
                    bytes_out_per_element: 1,
                }),
                all_reduce: None,
            },
            Op::AllReduce(r) => Lowered {
                gemms: vec![],
                vector: None,
                all_reduce: Some(*r),
            },
        }
    }

    /// The same operator run on `factor` times as many samples.
    pub fn with_batch(&self, factor: u64) -> Op {
        let mut op = self.clone();
        match &mut op {
            Op::Gemm(g) => g.batch *= factor,
            Op::Conv2d(c) => c.batch *= factor,
            Op::Pool(p) => p.batch *= factor,
            Op::Attention(a) => a.batch *= factor,
            Op::Elementwise(e) => e.batch *= factor,
            Op::AllReduce(r) => r.batch *= factor,
        }
        op
    }

    /// Short kind name for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Gemm(_) => "gemm",
            Op::Conv2d(c) if c.groups > 1 && c.groups == c.in_channels => "depthwise",
            Op::Conv2d(_) => "conv2d",
            Op::Pool(_) => "pool",
            Op::Attention(_) => "attention",
            Op::Elementwise(_) => "elementwise",
            Op::AllReduce(_) => "all_reduce",
        }
    }
}

impl Workload {
    /// Total multiply-accumulates, repeats included.
    pub fn macs(&self) -> u64 {
        self.layers.iter().map(|l| l.count * l.op.macs()).sum()
    }

    /// The same network run on `factor` times as many samples.
    pub fn with_batch(&self, factor: u64) -> Workload {
        Workload {
            name: self.name.clone(),
            weight_reuse: self.weight_reuse,
            layers: self
                .layers
                .iter()
                .map(|l| Layer {
                    op: l.op.with_batch(factor),
                    ..l.clone()
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(in_hw: u64, c: u64, k: u64, r: u64, s: u64, pad: u64, groups: u64) -> Conv2d {
        Conv2d {
            batch: 1,
            in_h: in_hw,
            in_w: in_hw,
            in_channels: c,
            out_channels: k,
            kernel_h: r,
            kernel_w: r,
            stride_h: s,
            stride_w: s,
            pad_h: pad,
            pad_w: pad,
            dilation_h: 1,
            dilation_w: 1,
            groups,
            output_rule: OutputRule::Floor,
        }
    }

    #[test]
    fn resnet_stem_output_and_macs() {
        // 224x224x3, 7x7/2 pad 3, 64 filters: out = floor((224+6-7)/2)+1 = 112;
        // MACs = 112*112*64*7*7*3 = 118,013,952.
        let c = conv(224, 3, 64, 7, 2, 3, 1);
        assert_eq!(c.out_h(), 112);
        assert_eq!(Op::Conv2d(c).macs(), 118_013_952);
    }

    #[test]
    fn depthwise_is_one_gemm_per_channel() {
        // 3x3 depthwise on 112x112x32, pad 1: m = 112*112, n = 1, k = 9, groups = 32.
        let c = conv(112, 32, 32, 3, 1, 1, 32);
        let g = c.gemm();
        assert_eq!((g.m, g.n, g.k, g.groups), (12544, 1, 9, 32));
        assert_eq!(Op::Conv2d(c).kind(), "depthwise");
    }

    #[test]
    fn scalesim_rule_rounds_up() {
        // 56x56, 1x1/2: PyTorch floor((56-1)/2)+1 = 28; SCALE-Sim ceil((56-1+2)/2) = 29.
        let mut c = conv(56, 64, 128, 1, 2, 0, 1);
        assert_eq!(c.out_h(), 28);
        c.output_rule = OutputRule::ScaleSim;
        assert_eq!(c.out_h(), 29);
    }

    #[test]
    fn causal_attention_counts_the_triangle() {
        // seq 4, head_dim 8, one head: triangle = 4*5/2 = 10 scores; QK^T MACs = 10*8 = 80,
        // PV MACs = 10*8 = 80 (kv_eff = ceil(4*10/16) = 3 gives 4*3*8 = 96 >= 80: rounded up).
        let a = Attention {
            batch: 1,
            heads: 1,
            kv_heads: 1,
            seq_q: 4,
            seq_kv: 4,
            head_dim: 8,
            causal: true,
        };
        let [qk, pv] = a.gemms();
        assert_eq!(qk.n, 3);
        assert_eq!(pv.k, 3);
        assert_eq!(a.softmax().elements, 10);
    }

    #[test]
    fn batch_scales_macs_linearly() {
        let c = conv(56, 64, 64, 3, 1, 1, 1);
        let op = Op::Conv2d(c);
        assert_eq!(op.with_batch(4).macs(), 4 * op.macs());
        let g = Op::Gemm(Gemm {
            batch: 1,
            groups: 12,
            m: 128,
            n: 64,
            k: 64,
        });
        assert_eq!(g.with_batch(8).macs(), 8 * g.macs());
    }
}
