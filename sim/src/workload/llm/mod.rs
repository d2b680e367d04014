//! LLM workloads: a decoder-only transformer from its hyperparameters, as prefill and decode
//! phases of IR layers, and the serving report (time to first token, time per output token,
//! tokens/s, memory per device).
//!
//! ```toml
//! name = "llama2_7b"
//! [llm]
//! hidden_size = 4096
//! layers = 32
//! heads = 32
//! kv_heads = 32          # optional (= heads); fewer for GQA, 1 for MQA
//! head_dim = 128         # optional (= hidden_size / heads)
//! ffn_size = 11008
//! ffn_kind = "gated"     # plain | gated (SwiGLU: three matrices)
//! activation = "silu"    # relu | gelu | silu
//! vocab_size = 32000
//! tied_embeddings = false
//! norm = "rmsnorm"       # layernorm | rmsnorm
//! position = "rope"      # rope | learned
//! max_positions = 4096
//! bias = false
//! dtype = "fp16"
//! prefill_scores = "causal"  # causal | full: score matrix computed in the prefill
//! [llm.moe]              # optional: experts, top_k, shared_experts, expert_ffn_size
//! ```
//!
//! - [`model`]: [`LlmModel`] (parse, validate, parameter counts, KV bytes per token).
//! - [`phases`]: [`prefill`] and [`decode`] as [`Workload`](crate::workload::Workload)s.
//! - [`serving`]: [`Scenario`], [`serve`] and the [`ServingReport`].

pub mod model;
pub mod phases;
pub mod serving;

pub use model::{LlmConfig, LlmModel, ParamCounts};
pub use phases::{decode, prefill};
pub use serving::{footprint, serve, MemoryFootprint, Scenario, ServeError, ServingReport};

#[cfg(test)]
mod tests;
