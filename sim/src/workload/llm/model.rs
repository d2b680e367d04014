//! Model hyperparameters (`[llm]` in a workload file), their validation and parameter counts.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::workload::Precision;

/// Feed-forward block shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FfnKind {
    /// `down(act(up(x)))`: two matrices (GPT-2, OPT).
    Plain,
    /// `down(act(gate(x)) * up(x))`, SwiGLU (Shazeer 2020): three matrices (LLaMA, Mixtral).
    Gated,
}

/// Activation of the feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// Gaussian error linear unit (tanh approximation).
    Gelu,
    /// x * sigmoid(x) (Swish).
    Silu,
}

impl Activation {
    /// Vector operations per element: ReLU a compare; SiLU exp, add, divide, multiply; GELU's
    /// tanh form about eight (the same figure the shipped BERT workload uses).
    pub fn ops_per_element(self) -> u64 {
        match self {
            Activation::Relu => 1,
            Activation::Silu => 4,
            Activation::Gelu => 8,
        }
    }
}

/// Normalisation layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// LayerNorm: mean, variance, scale and shift (two parameters per channel).
    Layernorm,
    /// RMSNorm (Zhang & Sennrich 2019): root mean square and scale (one per channel).
    Rmsnorm,
}

impl NormKind {
    /// Parameters per channel.
    fn params_per_channel(self) -> u64 {
        match self {
            NormKind::Layernorm => 2,
            NormKind::Rmsnorm => 1,
        }
    }

    /// Vector operations per element (LayerNorm: mean, subtract, square, sum, scale-and-shift
    /// ~5; RMSNorm skips the mean and shift, ~4).
    pub fn ops_per_element(self) -> u64 {
        match self {
            NormKind::Layernorm => 5,
            NormKind::Rmsnorm => 4,
        }
    }
}

/// Position encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// Rotary embeddings applied to Q and K in every layer (Su et al. 2021).
    Rope,
    /// A learned table added to the token embeddings once.
    Learned,
}

/// Which prefill attention scores are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrefillScores {
    /// Only the causal lower triangle (flash-attention kernels skip fully masked tiles).
    #[default]
    Causal,
    /// The whole score matrix, masked afterwards (naive kernels; what GenZ and LLM-Viewer
    /// count).
    Full,
}

/// Mixture of experts replacing the dense feed-forward block (`[llm.moe]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    /// Routed experts per layer.
    pub experts: u64,
    /// Experts each token is routed to.
    pub top_k: u64,
    /// Experts every token goes through (DeepSeek-MoE style), default 0.
    #[serde(default)]
    pub shared_experts: u64,
    /// Hidden size of one expert's FFN (default: `ffn_size`).
    #[serde(default)]
    pub expert_ffn_size: Option<u64>,
}

/// A decoder-only transformer's hyperparameters, as `[llm]` in a workload file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// Model width d.
    pub hidden_size: u64,
    /// Decoder blocks.
    pub layers: u64,
    /// Query heads.
    pub heads: u64,
    /// Key/value heads (= heads for MHA, fewer for GQA, 1 for MQA); default `heads`.
    #[serde(default)]
    pub kv_heads: Option<u64>,
    /// Dimension per head; default `hidden_size / heads`.
    #[serde(default)]
    pub head_dim: Option<u64>,
    /// Feed-forward hidden size.
    pub ffn_size: u64,
    /// plain | gated.
    pub ffn_kind: FfnKind,
    /// relu | gelu | silu.
    pub activation: Activation,
    /// Vocabulary size.
    pub vocab_size: u64,
    /// Whether the LM head shares the token embedding matrix.
    #[serde(default)]
    pub tied_embeddings: bool,
    /// layernorm | rmsnorm.
    pub norm: NormKind,
    /// rope | learned.
    pub position: Position,
    /// Longest sequence (prompt + generated tokens) the model was trained for.
    pub max_positions: u64,
    /// Extra rows of a learned position table (OPT reserves 2); default 0.
    #[serde(default)]
    pub position_offset: u64,
    /// Whether linear layers carry biases (GPT-2, OPT).
    #[serde(default)]
    pub bias: bool,
    /// Number format of weights, activations and the KV cache.
    pub dtype: Precision,
    /// causal (default) | full: the prefill's attention scores computed.
    #[serde(default)]
    pub prefill_scores: PrefillScores,
    /// Mixture of experts, if the FFN is one.
    #[serde(default)]
    pub moe: Option<Moe>,
}

/// The file as written: a name and the `[llm]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLlmFile {
    name: Option<String>,
    llm: LlmConfig,
}

/// A validated model: every derived size is consistent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmModel {
    /// Name shown in reports.
    pub name: String,
    /// Where it came from (for messages).
    #[serde(skip)]
    pub file: PathBuf,
    /// The hyperparameters.
    pub config: LlmConfig,
}

/// Parameter counts of a model (or of one tensor-parallel shard of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParamCounts {
    /// Token and learned-position embedding tables.
    pub embedding: u64,
    /// Attention projections (weights and biases) of all layers.
    pub attention: u64,
    /// Feed-forward blocks of all layers (every expert, router included).
    pub ffn: u64,
    /// Norm scales and shifts.
    pub norm: u64,
    /// LM head (0 when tied to the embedding).
    pub lm_head: u64,
    /// Parameters one token passes through (MoE: `top_k` routed experts only), all tables
    /// included.
    pub active: u64,
}

impl ParamCounts {
    /// Every parameter stored.
    pub fn total(&self) -> u64 {
        self.embedding + self.attention + self.ffn + self.norm + self.lm_head
    }
}

fn out_of_range(file: &Path, key: &str, value: u64, allowed: String) -> InputError {
    InputError::OutOfRange {
        file: file.to_path_buf(),
        key: key.to_string(),
        value: value.to_string(),
        allowed,
    }
}

/// Largest size any one hyperparameter may have: keeps products of a few of them in `u64`.
const MAX_DIM: u64 = 1 << 24;

impl LlmModel {
    /// Parses an LLM workload file's text; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<LlmModel, InputError> {
        let raw: RawLlmFile = toml::from_str(text).map_err(|e| InputError::toml(file, e))?;
        let name = raw.name.unwrap_or_else(|| {
            file.file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("llm")
                .to_string()
        });
        let model = LlmModel {
            name,
            file: file.to_path_buf(),
            config: raw.llm,
        };
        model.validate()?;
        Ok(model)
    }

    /// Checks every size and the divisibility the shapes need; errors name the key.
    fn validate(&self) -> Result<(), InputError> {
        let c = &self.config;
        let f = &self.file;
        let range = format!("1..={MAX_DIM}");
        for (key, v) in [
            ("llm.hidden_size", c.hidden_size),
            ("llm.layers", c.layers),
            ("llm.heads", c.heads),
            ("llm.ffn_size", c.ffn_size),
            ("llm.vocab_size", c.vocab_size),
            ("llm.max_positions", c.max_positions),
        ] {
            if v == 0 || v > MAX_DIM {
                return Err(out_of_range(f, key, v, range.clone()));
            }
        }
        if let Some(kv) = c.kv_heads {
            if kv == 0 || c.heads % kv != 0 {
                return Err(out_of_range(
                    f,
                    "llm.kv_heads",
                    kv,
                    format!("a divisor of llm.heads = {}", c.heads),
                ));
            }
        }
        match c.head_dim {
            Some(d) if d == 0 || d > MAX_DIM => {
                return Err(out_of_range(f, "llm.head_dim", d, range));
            }
            None if c.hidden_size % c.heads != 0 => {
                return Err(out_of_range(
                    f,
                    "llm.heads",
                    c.heads,
                    format!(
                        "a divisor of llm.hidden_size = {} (or give llm.head_dim)",
                        c.hidden_size
                    ),
                ));
            }
            _ => {}
        }
        if c.position_offset > MAX_DIM {
            return Err(out_of_range(
                f,
                "llm.position_offset",
                c.position_offset,
                format!("0..={MAX_DIM}"),
            ));
        }
        if let Some(m) = &c.moe {
            if m.experts == 0 || m.experts > 4096 {
                return Err(out_of_range(
                    f,
                    "llm.moe.experts",
                    m.experts,
                    "1..=4096".into(),
                ));
            }
            if m.top_k == 0 || m.top_k > m.experts {
                return Err(out_of_range(
                    f,
                    "llm.moe.top_k",
                    m.top_k,
                    format!("1..={} (llm.moe.experts)", m.experts),
                ));
            }
            if m.shared_experts > 4096 {
                return Err(out_of_range(
                    f,
                    "llm.moe.shared_experts",
                    m.shared_experts,
                    "0..=4096".into(),
                ));
            }
            if let Some(e) = m.expert_ffn_size.filter(|e| *e == 0 || *e > MAX_DIM) {
                return Err(out_of_range(f, "llm.moe.expert_ffn_size", e, range));
            }
        }
        Ok(())
    }

    /// Key/value heads.
    pub fn kv_heads(&self) -> u64 {
        self.config.kv_heads.unwrap_or(self.config.heads)
    }

    /// Dimension per head.
    pub fn head_dim(&self) -> u64 {
        self.config
            .head_dim
            .unwrap_or(self.config.hidden_size / self.config.heads)
    }

    /// Hidden size of one expert (MoE) or of the dense FFN.
    pub fn expert_ffn_size(&self) -> u64 {
        self.config
            .moe
            .and_then(|m| m.expert_ffn_size)
            .unwrap_or(self.config.ffn_size)
    }

    /// Matrices of one FFN (plain 2, gated 3).
    pub fn ffn_matrices(&self) -> u64 {
        match self.config.ffn_kind {
            FfnKind::Plain => 2,
            FfnKind::Gated => 3,
        }
    }

    /// Checks that a tensor-parallel degree splits the model evenly (Megatron-LM style: heads
    /// and FFN columns split, key/value heads split or replicated); `key` names the option.
    pub fn check_tp(&self, key: &str, file: &Path, tp: u64) -> Result<(), InputError> {
        let c = &self.config;
        let ffn = self.expert_ffn_size();
        let kv = self.kv_heads();
        if tp == 0 || c.heads % tp != 0 || ffn % tp != 0 || !(kv % tp == 0 || tp % kv == 0) {
            return Err(out_of_range(
                file,
                key,
                tp,
                format!(
                    "a divisor of heads = {} and of the FFN size {} that divides or is a \
                     multiple of kv_heads = {} (model {})",
                    c.heads, ffn, kv, self.name
                ),
            ));
        }
        Ok(())
    }

    /// Query heads per device.
    pub fn heads_per_device(&self, tp: u64) -> u64 {
        self.config.heads / tp
    }

    /// Key/value heads per device: split when `tp` divides them, else each device keeps one
    /// (replicated, as Megatron-LM and vLLM do for GQA with tp > kv_heads).
    pub fn kv_heads_per_device(&self, tp: u64) -> u64 {
        self.kv_heads().div_ceil(tp)
    }

    /// Parameters held by one of `tp` devices (tp = 1: the whole model). Embedding and LM head
    /// are split by vocabulary rows, attention by heads, FFNs by hidden columns; norms, the
    /// router, learned positions and the biases of row-split layers are replicated.
    pub fn params_per_device(&self, tp: u64) -> ParamCounts {
        let c = &self.config;
        let h = c.hidden_size;
        let hd = self.head_dim();
        let q = self.heads_per_device(tp) * hd;
        let kv = self.kv_heads_per_device(tp) * hd;
        let bias = u64::from(c.bias);
        let vocab = c.vocab_size.div_ceil(tp);
        let positions = match c.position {
            Position::Learned => (c.max_positions + c.position_offset) * h,
            Position::Rope => 0,
        };
        let embedding = vocab * h + positions;
        let attention_layer = h * (q + 2 * kv) + q * h + bias * (q + 2 * kv + h);
        let fe = self.expert_ffn_size() / tp;
        // One FFN: matrices, plus biases on the column-split matrices and on the output.
        let ffn_one = self.ffn_matrices() * h * fe + bias * ((self.ffn_matrices() - 1) * fe + h);
        let (ffn_layer, active_ffn_layer) = match c.moe {
            None => (ffn_one, ffn_one),
            Some(m) => {
                let router = h * m.experts;
                (
                    (m.experts + m.shared_experts) * ffn_one + router,
                    (m.top_k + m.shared_experts) * ffn_one + router,
                )
            }
        };
        let norm = (2 * c.layers + 1) * c.norm.params_per_channel() * h;
        let lm_head = if c.tied_embeddings { 0 } else { vocab * h };
        let p = ParamCounts {
            embedding,
            attention: c.layers * attention_layer,
            ffn: c.layers * ffn_layer,
            norm,
            lm_head,
            active: 0,
        };
        ParamCounts {
            active: p.total() - c.layers * (ffn_layer - active_ffn_layer),
            ..p
        }
    }

    /// Every parameter of the model.
    pub fn params(&self) -> ParamCounts {
        self.params_per_device(1)
    }

    /// Bytes of key and value cache one token takes on one of `tp` devices.
    pub fn kv_bytes_per_token(&self, tp: u64, dtype: Precision) -> f64 {
        let values = 2 * self.config.layers * self.kv_heads_per_device(tp) * self.head_dim();
        values as f64 * dtype.bytes()
    }
}
