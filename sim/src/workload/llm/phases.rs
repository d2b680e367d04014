//! The two serving phases as IR workloads: prefill (the whole prompt at once) and decode (one
//! token per sequence per step, reading the growing KV cache).
//!
//! One decoder block, per device of a `tp`-way tensor-parallel group (Megatron-LM, Shoeybi et
//! al. 2019, Sec. 3: attention split by heads, the FFN by hidden columns, one all-reduce after
//! the attention output projection and one after the FFN):
//!
//! ```text
//! attn_norm ─ qkv_proj ─ rope ─ kv_cache_write ─ attention ─ o_proj ─ [all_reduce] ─ residual
//! ffn_norm ─ ffn_up (gate+up when gated) ─ ffn_act ─ ffn_down ─ [all_reduce] ─ residual
//! ```
//!
//! A mixture of experts replaces the FFN with a router GEMM, the routed experts as one grouped
//! GEMM per matrix (expected load: `tokens * top_k` rows spread over the experts those tokens
//! reach), the shared experts as a dense FFN, and a weighted combine. Before the blocks: the
//! embedding gather (plus learned positions); after them: the final norm and the LM head on
//! the last position of each sequence only (what serving engines compute).

use crate::workload::{AllReduce, Attention, Elementwise, Gemm, Layer, Op, Precision, Workload};

use super::model::{FfnKind, LlmModel, Position, PrefillScores};

/// Most context points a decode estimate simulates (see [`decode`]).
pub const DECODE_SEGMENTS: u64 = 8;

/// Vector operations per element of a softmax (max, subtract, exp, sum, divide), as the IR's
/// attention softmax counts them.
const SOFTMAX_OPS: u64 = 5;

/// Builds a phase's layers: `tokens` new tokens for each of `batch` sequences, every layer of
/// the decoder repeated `steps` times (decode steps folded into counts).
struct PhaseBuilder<'a> {
    model: &'a LlmModel,
    tp: u64,
    batch: u64,
    tokens: u64,
    steps: u64,
    dtype: Precision,
    layers: Vec<Layer>,
}

impl PhaseBuilder<'_> {
    fn push(&mut self, name: &str, op: Op, count: u64) {
        self.layers.push(Layer {
            name: name.to_string(),
            op,
            count: count * self.steps,
            precision: Some(self.dtype),
        });
    }

    /// A linear layer on every new token: `[tokens x k] * [k x n]` per sequence.
    fn linear(&mut self, name: &str, n: u64, k: u64, count: u64) {
        let op = Op::Gemm(Gemm {
            batch: self.batch,
            groups: 1,
            m: self.tokens,
            n,
            k,
        });
        self.push(name, op, count);
    }

    /// Vector work of `per_token` elements on every new token.
    fn vector(
        &mut self,
        name: &str,
        per_token: u64,
        ops_per_element: u64,
        inputs: u64,
        count: u64,
    ) {
        let op = Op::Elementwise(Elementwise {
            batch: self.batch,
            elements: self.tokens * per_token,
            ops_per_element,
            inputs,
        });
        self.push(name, op, count);
    }

    fn all_reduce(&mut self, name: &str, count: u64) {
        if self.tp > 1 {
            let op = Op::AllReduce(AllReduce {
                batch: self.batch,
                elements: self.tokens * self.model.config.hidden_size,
                devices: self.tp,
            });
            self.push(name, op, count);
        }
    }

    /// Everything of the blocks before the attention core.
    fn attention_inputs(&mut self) {
        let m = self.model;
        let (h, hd, l) = (m.config.hidden_size, m.head_dim(), m.config.layers);
        let q = m.heads_per_device(self.tp) * hd;
        let kv = m.kv_heads_per_device(self.tp) * hd;
        self.push_norm("attn_norm", l);
        self.linear("qkv_proj", q + 2 * kv, h, l);
        if m.config.position == Position::Rope {
            // x * cos + rotate(x) * sin on every Q and K element.
            self.vector("rope", q + kv, 3, 1, l);
        }
        self.vector("kv_cache_write", 2 * kv, 1, 1, l);
    }

    /// Everything of the blocks after the attention core.
    fn attention_outputs_and_ffn(&mut self) {
        let m = self.model;
        let (h, hd, l) = (m.config.hidden_size, m.head_dim(), m.config.layers);
        self.linear("o_proj", h, m.heads_per_device(self.tp) * hd, l);
        self.all_reduce("attn_all_reduce", l);
        self.vector("attn_residual", h, 1, 2, l);
        self.push_norm("ffn_norm", l);
        match m.config.moe {
            None => self.dense_ffn("ffn", 1, l),
            Some(moe) => {
                self.linear("moe_router", moe.experts, h, l);
                self.vector("moe_routing", moe.experts, SOFTMAX_OPS + 1, 1, l);
                self.routed_experts(moe.experts, moe.top_k, l);
                if moe.shared_experts > 0 {
                    self.dense_ffn("moe_shared", moe.shared_experts, l);
                }
                let combined = moe.top_k + moe.shared_experts;
                self.vector("moe_combine", h, combined, combined, l);
            }
        }
        self.all_reduce("ffn_all_reduce", l);
        self.vector("ffn_residual", h, 1, 2, l);
    }

    fn push_norm(&mut self, name: &str, count: u64) {
        let norm = self.model.config.norm;
        self.vector(
            name,
            self.model.config.hidden_size,
            norm.ops_per_element(),
            1,
            count,
        );
    }

    /// `width` FFNs side by side on every token (a dense FFN, or the shared experts whose
    /// outputs add: one wider GEMM each way).
    fn dense_ffn(&mut self, prefix: &str, width: u64, count: u64) {
        let m = self.model;
        let h = m.config.hidden_size;
        let f = width * m.expert_ffn_size() / self.tp;
        let (act_ops, act_inputs) = self.activation();
        self.linear(
            &format!("{prefix}_up"),
            (m.ffn_matrices() - 1) * f,
            h,
            count,
        );
        self.vector(&format!("{prefix}_act"), f, act_ops, act_inputs, count);
        self.linear(&format!("{prefix}_down"), h, f, count);
    }

    /// Operations and inputs per element of the activation (gated: times the up projection).
    fn activation(&self) -> (u64, u64) {
        let ops = self.model.config.activation.ops_per_element();
        match self.model.config.ffn_kind {
            FfnKind::Plain => (ops, 1),
            FfnKind::Gated => (ops + 1, 2),
        }
    }

    /// Routed experts: `tokens * top_k` rows over the experts they reach, each expert its own
    /// weights (one group per expert).
    fn routed_experts(&mut self, experts: u64, top_k: u64, count: u64) {
        let m = self.model;
        let h = m.config.hidden_size;
        let f = m.expert_ffn_size() / self.tp;
        let rows = self.batch * self.tokens * top_k;
        let active = active_experts(experts, top_k, self.batch * self.tokens);
        let per_expert = rows.div_ceil(active);
        let grouped = |n, k| {
            Op::Gemm(Gemm {
                batch: 1,
                groups: active,
                m: per_expert,
                n,
                k,
            })
        };
        let (act_ops, act_inputs) = self.activation();
        self.push(
            "moe_experts_up",
            grouped((m.ffn_matrices() - 1) * f, h),
            count,
        );
        let act = Op::Elementwise(Elementwise {
            batch: 1,
            elements: active * per_expert * f,
            ops_per_element: act_ops,
            inputs: act_inputs,
        });
        self.push("moe_experts_act", act, count);
        self.push("moe_experts_down", grouped(h, f), count);
    }

    /// Embedding gather before the blocks.
    fn embedding(&mut self) {
        let learned = u64::from(self.model.config.position == Position::Learned);
        self.vector(
            "embedding",
            self.model.config.hidden_size,
            1,
            1 + learned,
            1,
        );
    }

    /// Final norm and LM head on each sequence's last position.
    fn head(&mut self) {
        let m = self.model;
        let h = m.config.hidden_size;
        self.tokens = 1;
        self.push_norm("final_norm", 1);
        self.linear("lm_head", m.config.vocab_size.div_ceil(self.tp), h, 1);
    }

    fn attention(&self, seq_q: u64, seq_kv: u64) -> Op {
        let m = self.model;
        Op::Attention(Attention {
            batch: self.batch,
            heads: m.heads_per_device(self.tp),
            kv_heads: m.kv_heads_per_device(self.tp),
            seq_q,
            seq_kv,
            head_dim: m.head_dim(),
            causal: m.config.prefill_scores == PrefillScores::Causal,
        })
    }
}

/// Expected number of distinct experts `tokens` tokens reach when each picks `top_k` of
/// `experts` uniformly: `E (1 - (1 - k/E)^T)`, rounded, at least `top_k` and at most `T k`.
pub fn active_experts(experts: u64, top_k: u64, tokens: u64) -> u64 {
    let e = experts as f64;
    let miss = (1.0 - top_k as f64 / e).powf(tokens as f64);
    let expected = (e * (1.0 - miss)).round() as u64;
    expected.clamp(top_k, experts.min(tokens * top_k))
}

/// The prefill phase: `batch` prompts of `prompt` tokens each, causal attention over the
/// prompt, the KV cache written, the first output token's logits.
pub fn prefill(model: &LlmModel, batch: u64, prompt: u64, tp: u64, dtype: Precision) -> Workload {
    let mut b = PhaseBuilder {
        model,
        tp,
        batch,
        tokens: prompt,
        steps: 1,
        dtype,
        layers: Vec::new(),
    };
    b.embedding();
    b.attention_inputs();
    let attention = b.attention(prompt, prompt);
    b.push("attention", attention, model.config.layers);
    b.attention_outputs_and_ffn();
    b.head();
    Workload {
        name: format!("{}.prefill", model.name),
        layers: b.layers,
        weight_reuse: 1,
    }
}

/// `segments` odd step counts that add up to `steps`, as equal as possible (each segment's
/// middle step is then a whole step).
fn odd_segments(steps: u64) -> Vec<u64> {
    if steps <= DECODE_SEGMENTS {
        return vec![1; steps as usize];
    }
    // A sum of s odd numbers has the parity of s.
    let s = DECODE_SEGMENTS - (DECODE_SEGMENTS + steps) % 2;
    let q = steps / s;
    let base = if q % 2 == 1 { q } else { q - 1 };
    let bigger = (steps - s * base) / 2;
    (0..s).map(|i| base + 2 * u64::from(i < bigger)).collect()
}

/// The decode phase: `steps` steps of one new token for each of `batch` sequences whose cache
/// holds `context` tokens before the first step (step `j`, 1-based, attends to `context + j`
/// keys), as one workload whose counts add up every step.
///
/// Only the attention core depends on the context. Rather than simulating it at every step,
/// the steps are cut into at most [`DECODE_SEGMENTS`] runs of odd length, and each run is
/// simulated at its middle step with the run's length as count: the midpoint rule
/// `sum_{j=a}^{a+n-1} f(j) = n f(a + (n-1)/2)`, exact for any cost linear in the context
/// (a roofline's memory and compute terms both are) and within the curvature of the
/// quantisation steps otherwise (tests bound it against the step-by-step sum). Cost: at most
/// eight attention layers, whatever `steps` is.
pub fn decode(
    model: &LlmModel,
    batch: u64,
    context: u64,
    steps: u64,
    tp: u64,
    dtype: Precision,
) -> Workload {
    let mut b = PhaseBuilder {
        model,
        tp,
        batch,
        tokens: 1,
        steps,
        dtype,
        layers: Vec::new(),
    };
    b.embedding();
    b.attention_inputs();
    b.steps = 1;
    let mut first = 1;
    for run in odd_segments(steps) {
        let seq_kv = context + first + (run - 1) / 2;
        let attention = b.attention(1, seq_kv);
        b.push(
            &format!("attention@{seq_kv}"),
            attention,
            model.config.layers * run,
        );
        first += run;
    }
    b.steps = steps;
    b.attention_outputs_and_ffn();
    b.head();
    Workload {
        name: format!("{}.decode", model.name),
        layers: b.layers,
        weight_reuse: steps.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_segments_cover_every_step() {
        for steps in 1..300 {
            let s = odd_segments(steps);
            assert_eq!(s.iter().sum::<u64>(), steps, "{steps}");
            assert!(s.iter().all(|n| n % 2 == 1), "{steps}: {s:?}");
            assert!(s.len() as u64 <= DECODE_SEGMENTS);
            let (lo, hi) = (s.iter().min().unwrap(), s.iter().max().unwrap());
            assert!(hi - lo <= 2, "{steps}: {s:?}");
        }
        // 127 steps in 7 runs: 127 / 7 = 18 -> base 17; (127 - 119) / 2 = 4 runs of 19.
        assert_eq!(odd_segments(127), vec![19, 19, 19, 19, 17, 17, 17]);
    }

    #[test]
    fn expected_active_experts() {
        // One token reaches exactly top_k experts; 4 tokens, top-2 of 8:
        // 8 (1 - 0.75^4) = 5.47 -> 5; many tokens reach every expert.
        assert_eq!(active_experts(8, 2, 1), 2);
        assert_eq!(active_experts(8, 2, 4), 5);
        assert_eq!(active_experts(8, 2, 4096), 8);
        // 2 tokens, top-6 of 64: 64 (1 - (58/64)^2) = 11.44 -> 11.
        assert_eq!(active_experts(64, 6, 2), 11);
    }
}
