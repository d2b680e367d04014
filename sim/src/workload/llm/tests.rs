//! Parameter counts and FLOPs of the shipped models against published figures; phase shapes;
//! the decode estimate against the step-by-step sum; scenario and file errors.

use std::path::Path;

use super::*;
use crate::config::{Dataflow, Mode, SystolicConfig};
use crate::workload::shipped::load_llm;
use crate::workload::{Op, Precision, Workload};
use crate::{Accelerator, ArchConfig, ArchFile};

fn model(name: &str) -> LlmModel {
    load_llm(name).unwrap_or_else(|e| panic!("{e}"))
}

fn rel_err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want
}

/// Published parameter counts, with where each comes from.
const PUBLISHED_PARAMS: [(&str, f64, &str); 8] = [
    // Hugging Face model card / safetensors size of openai-community/gpt2: "124M params".
    ("gpt2", 124.44e6, "HF openai-community/gpt2: 124M"),
    // Zhang et al., OPT, 2022, Table 1: 1.3B; HF facebook/opt-1.3b: 1.32B params.
    ("opt_1_3b", 1.32e9, "HF facebook/opt-1.3b: 1.32B"),
    // HF meta-llama/Llama-2-7b-hf: 6.74B params (Touvron et al. 2023 name it 7B).
    ("llama2_7b", 6.74e9, "HF meta-llama/Llama-2-7b-hf: 6.74B"),
    // HF meta-llama/Llama-2-13b-hf: 13.0B params.
    ("llama2_13b", 13.0e9, "HF meta-llama/Llama-2-13b-hf: 13.0B"),
    // HF meta-llama/Llama-2-70b-hf: 69.0B params (68.98 B).
    (
        "llama2_70b",
        68.98e9,
        "HF meta-llama/Llama-2-70b-hf: 68.98B",
    ),
    // HF meta-llama/Meta-Llama-3-8B: 8.03B params.
    ("llama3_8b", 8.03e9, "HF meta-llama/Meta-Llama-3-8B: 8.03B"),
    // HF meta-llama/Meta-Llama-3-70B: 70.6B params.
    (
        "llama3_70b",
        70.6e9,
        "HF meta-llama/Meta-Llama-3-70B: 70.6B",
    ),
    // Mistral AI, "Mixtral of experts" (2023-12-11): 46.7B total parameters.
    (
        "mixtral_8x7b",
        46.7e9,
        "mistral.ai/news/mixtral-of-experts: 46.7B",
    ),
];

#[test]
fn parameter_counts_match_published_figures() {
    for (name, published, source) in PUBLISHED_PARAMS {
        let total = model(name).params().total() as f64;
        // Published figures are rounded to three significant digits: within half a unit.
        assert!(
            rel_err(total, published) < 0.004,
            "{name}: {total} vs {published} ({source})"
        );
    }
}

#[test]
fn exact_parameter_counts_of_the_dense_llamas() {
    // Hand derivation for LLaMA-2-7B (d = 4096, f = 11008, V = 32000, 32 layers):
    // per layer 4 d^2 + 3 d f + 2 d = 67,108,864 + 135,266,304 + 8,192 = 202,383,360;
    // x 32 = 6,476,267,520; + 2 V d = 262,144,000; + final norm 4,096 -> 6,738,415,616.
    assert_eq!(model("llama2_7b").params().total(), 6_738_415_616);
    // GPT-2: per layer 4 d^2 + 4 d (attention) + 2 d 4d + 5 d (FFN) + 4 d (two LNs)
    // = 2,362,368 + 4,722,432 + 3,072 = 7,087,872; x 12 = 85,054,464; wte 50257 x 768 =
    // 38,597,376; wpe 1024 x 768 = 786,432; final LN 1,536 -> 124,439,808.
    assert_eq!(model("gpt2").params().total(), 124_439_808);
}

#[test]
fn mixtral_active_parameters_match_the_announcement() {
    // Mistral AI: "only uses 12.9B parameters per token"; top-2 of 8 experts.
    let p = model("mixtral_8x7b").params();
    assert!(rel_err(p.active as f64, 12.9e9) < 0.004, "{}", p.active);
    assert!(p.active < p.total());
    // Dense models: every parameter is active.
    let d = model("llama2_7b").params();
    assert_eq!(d.active, d.total());
}

/// Forward FLOPs of one decode step at `context` keys, per sequence.
fn decode_flops(m: &LlmModel, context: u64) -> f64 {
    2.0 * decode(m, 1, context - 1, 1, 1, Precision::Fp16).macs() as f64
}

#[test]
fn flops_per_token_are_twice_the_weights_plus_attention() {
    // Kaplan et al., "Scaling Laws for Neural Language Models", 2020, Table 1: forward FLOPs
    // per token C = 2N + 2 n_layer n_ctx d_attn, N the non-embedding parameters; Hoffmann et
    // al. (Chinchilla), 2022, Appendix F counts both attention products (logits and the
    // weighted sum), 4 n_layer n_ctx d_attn, which is what a decode step computes. The LM
    // head is a matrix product and counts; the embedding lookup does no arithmetic.
    // Published parameter counts as above; a decode step at context 1024 (attention term
    // 4 x 32 x 1024 x 4096 = 0.537 GFLOP for the 7B).
    let cases: [(&str, f64, f64); 4] = [
        // (model, published parameters (active for MoE), embedding-only parameters)
        ("llama2_7b", 6.74e9, 32000.0 * 4096.0),
        ("llama3_8b", 8.03e9, 128256.0 * 4096.0),
        ("mixtral_8x7b", 12.9e9, 32000.0 * 4096.0),
        // GPT-2 ties wte to the LM head, so only the position table (1024 x 768) is
        // lookup-only.
        ("gpt2", 124.44e6, 1024.0 * 768.0),
    ];
    let ctx = 1024;
    for (name, params, lookup_only) in cases {
        let m = model(name);
        let c = &m.config;
        let d_attn = (c.heads * m.head_dim()) as f64;
        let want = 2.0 * (params - lookup_only) + 4.0 * (c.layers * ctx) as f64 * d_attn;
        let got = decode_flops(&m, ctx);
        // Tolerance: the published counts' rounding (0.4 %) and the norms and biases, which
        // are parameters without multiply-accumulates.
        assert!(
            rel_err(got, want) < 0.005,
            "{name}: {got:.4e} vs {want:.4e}"
        );
    }
}

#[test]
fn prefill_macs_count_the_causal_triangle() {
    // LLaMA-2-7B, one 512-token prompt: every token through every matrix of the blocks
    // (6,476,267,520 - norms 32 x 8,192 = 6,476,005,376 weights), the LM head once
    // (131,072,000), attention 2 x d x P(P+1)/2 per layer: 4096 x 512 x 513 x 32.
    let m = model("llama2_7b");
    let p = 512u64;
    let want = p * 6_476_005_376 + 131_072_000 + 32 * 4096 * p * (p + 1);
    let got = prefill(&m, 1, p, 1, Precision::Fp16).macs();
    // The IR rounds the causal extent up to whole columns: at most one column per head row.
    assert!(
        got >= want && rel_err(got as f64, want as f64) < 1e-3,
        "{got} vs {want}"
    );
    // A batch of 4 prompts is four times the work.
    assert_eq!(prefill(&m, 4, p, 1, Precision::Fp16).macs(), 4 * got);
}

#[test]
fn full_prefill_scores_count_the_whole_matrix() {
    // prefill_scores = "full": attention 2 x d x P^2 per layer instead of the triangle.
    let mut m = model("llama2_7b");
    let p = 512u64;
    let causal = prefill(&m, 1, p, 1, Precision::Fp16).macs();
    m.config.prefill_scores = model::PrefillScores::Full;
    let full = prefill(&m, 1, p, 1, Precision::Fp16).macs();
    // 32 layers, d = 4096 = 32 heads x 128: triangle 2 d P(P+1)/2, square 2 d P^2; the IR
    // rounds the triangle up by at most one column of both products per head (2 d P).
    let triangle = 32 * 4096 * p * (p + 1);
    let square = 32 * 4096 * 2 * p * p;
    let rounding = 32 * 4096 * 2 * p;
    let extra = full - causal;
    assert!(extra <= square - triangle, "{extra}");
    assert!(extra + rounding >= square - triangle, "{extra}");
}

fn layer<'a>(w: &'a Workload, name: &str) -> &'a crate::workload::Layer {
    w.layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no layer {name} in {}", w.name))
}

fn gemm(w: &Workload, name: &str) -> crate::workload::Gemm {
    match layer(w, name).op {
        Op::Gemm(g) => g,
        ref op => panic!("{name} is a {}", op.kind()),
    }
}

#[test]
fn tensor_parallelism_shards_heads_and_ffn_and_adds_two_all_reduces() {
    // LLaMA-2-70B on 8 devices: 64/8 = 8 query heads, 8/8 = 1 KV head of 128 per device:
    // QKV n = (8 + 2) x 128 = 1280; gate+up n = 2 x 28672 / 8 = 7168; two all-reduces of
    // d = 8192 values per token in each of the 80 layers.
    let m = model("llama2_70b");
    let w = prefill(&m, 1, 128, 8, Precision::Fp16);
    let qkv = gemm(&w, "qkv_proj");
    assert_eq!((qkv.m, qkv.n, qkv.k), (128, 1280, 8192));
    let up = gemm(&w, "ffn_up");
    assert_eq!(up.n, 7168);
    for name in ["attn_all_reduce", "ffn_all_reduce"] {
        let l = layer(&w, name);
        let Op::AllReduce(r) = l.op else { panic!() };
        assert_eq!((r.elements, r.devices, l.count), (128 * 8192, 8, 80));
    }
    // tp = 1 has no all-reduce.
    let w1 = prefill(&m, 1, 128, 1, Precision::Fp16);
    assert!(w1.layers.iter().all(|l| !matches!(l.op, Op::AllReduce(_))));
    // The shards hold an eighth of the attention and FFN weights (KV heads split evenly).
    let (one, eight) = (m.params_per_device(1), m.params_per_device(8));
    assert_eq!(eight.attention * 8, one.attention);
    assert_eq!(eight.ffn * 8, one.ffn);
}

#[test]
fn kv_heads_are_replicated_when_tp_exceeds_them() {
    // LLaMA-3-8B (8 KV heads) on 16 devices is invalid (32 heads / 16 = 2 query heads, but
    // FFN 14336 / 16 = 896 and 16 is a multiple of 8: valid); each device keeps one KV head.
    let m = model("llama3_8b");
    assert!(m.check_tp("tp", Path::new("x"), 16).is_ok());
    assert_eq!(m.kv_heads_per_device(16), 1);
    // tp = 3 divides neither the heads nor the FFN.
    let err = m
        .check_tp("--tp", Path::new("cli"), 3)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`--tp` = 3"), "{err}");
    assert!(err.contains("heads = 32"), "{err}");
}

#[test]
fn moe_routes_expected_rows_to_the_experts() {
    // Mixtral prefill, 1 x 1024 tokens, top-2 of 8: every expert is reached, 1024 x 2 / 8 =
    // 256 rows each; gate+up n = 2 x 14336.
    let m = model("mixtral_8x7b");
    let w = prefill(&m, 1, 1024, 1, Precision::Bf16);
    let up = gemm(&w, "moe_experts_up");
    assert_eq!((up.groups, up.m, up.n, up.k), (8, 256, 28672, 4096));
    // Decode, batch 1: the token reaches exactly two experts, one row each.
    let d = decode(&m, 1, 1024, 1, 1, Precision::Bf16);
    let up = gemm(&d, "moe_experts_up");
    assert_eq!((up.groups, up.m), (2, 1));
}

fn scenario(batch: u64, prompt: u64, gen: u64, tp: u64) -> Scenario {
    Scenario {
        batch,
        prompt,
        gen,
        tp,
    }
}

fn systolic(bandwidth_gbps: f64) -> Box<dyn Accelerator> {
    let mut c = SystolicConfig::new(128, 128, Dataflow::Ws);
    c.dram_bandwidth_gbps = bandwidth_gbps;
    c.precision = Precision::Fp16;
    c.filter_sram_kib = 1024.0;
    ArchFile {
        name: Some("test".into()),
        arch: ArchConfig::Systolic(c),
    }
    .build(Path::new("test.toml"), Mode::Fast)
    .unwrap()
}

#[test]
fn decode_estimate_matches_the_step_by_step_sum() {
    // 127 steps after a 1000-token prompt, simulated step by step versus the seven-run
    // midpoint estimate: the systolic model's fold quantisation makes the attention cost a
    // staircase in the context, so the estimate is not exact; it must be within 0.5 %.
    let m = model("llama2_7b");
    let acc = systolic(100.0);
    let (context, steps) = (1000, 127);
    let estimate = acc
        .simulate(&decode(&m, 2, context, steps, 1, Precision::Fp16))
        .unwrap();
    let mut exact_cycles = 0u64;
    for j in 0..steps {
        let one = decode(&m, 2, context + j, 1, 1, Precision::Fp16);
        exact_cycles += acc.simulate(&one).unwrap().cycles;
    }
    let err = rel_err(estimate.cycles as f64, exact_cycles as f64);
    assert!(err < 0.005, "{} vs {exact_cycles}: {err}", estimate.cycles);
    // MACs are linear in the context, so the midpoint rule makes them exact.
    let exact_macs: u64 = (0..steps)
        .map(|j| decode(&m, 2, context + j, 1, 1, Precision::Fp16).macs())
        .sum();
    assert_eq!(
        decode(&m, 2, context, steps, 1, Precision::Fp16).macs(),
        exact_macs
    );
}

#[test]
fn serving_report_on_a_systolic_array() {
    let m = model("llama2_7b");
    let acc = systolic(100.0);
    let s = scenario(1, 256, 17, 1);
    let r = serve(acc.as_ref(), &m, &s).unwrap();
    let decode = r.decode.as_ref().unwrap();
    assert!((r.ttft_s - r.prefill.latency_s).abs() < 1e-15);
    let tpot = r.tpot_s.unwrap();
    assert!((tpot * 16.0 - decode.latency_s).abs() < 1e-12);
    assert!((r.e2e_s - (r.ttft_s + 16.0 * tpot)).abs() < 1e-12);
    assert!((r.output_tokens_per_s - 17.0 / r.e2e_s).abs() < 1e-9);
    // Batch-1 decode streams every weight once a step: at 100 GB/s the 13.5 GB of fp16
    // weights take at least 0.135 s.
    assert!(tpot > 13.47e9 / 100e9, "{tpot}");
    // Memory: weights 6,738,415,616 x 2 B; KV cache 2 x 32 x 4096 x 2 B per token = 512 KiB,
    // x 273 tokens.
    assert!((r.memory.weights_bytes - 13_476_831_232.0).abs() < 1.0);
    assert!((r.memory.kv_cache_bytes - 273.0 * 524_288.0).abs() < 1.0);
    // The systolic model states no capacity.
    assert_eq!(r.memory.fits, None);
    assert!(
        r.memory.message.starts_with("unknown"),
        "{}",
        r.memory.message
    );
    // One output token: no decode phase.
    let one = serve(acc.as_ref(), &m, &Scenario { gen: 1, ..s }).unwrap();
    assert!(one.decode.is_none() && one.tpot_s.is_none());
}

#[test]
fn footprint_says_when_it_does_not_fit_and_what_would() {
    // LLaMA-2-70B fp16: 137.95 GB of weights do not fit 80 GB; on 2 devices 69 GB + cache.
    let m = model("llama2_70b");
    let s = scenario(1, 2048, 128, 1);
    let f = footprint(&m, &s, Some(80_000_000_000));
    assert_eq!(f.fits, Some(false));
    assert!(f.message.contains("over 2 devices"), "{}", f.message);
    let f2 = footprint(&m, &Scenario { tp: 2, ..s }, Some(80_000_000_000));
    assert_eq!(f2.fits, Some(true), "{}", f2.message);
}

#[test]
fn systolic_rejects_tensor_parallelism() {
    let m = model("llama2_7b");
    let acc = systolic(100.0);
    let s = scenario(1, 64, 2, 2);
    let err = serve(acc.as_ref(), &m, &s).unwrap_err().to_string();
    assert!(
        err.contains("tensor_parallel") || err.contains("links"),
        "{err}"
    );
}

#[test]
fn scenario_errors_name_key_and_allowed_values() {
    let m = model("llama2_7b");
    let s = scenario(1, 4000, 200, 1);
    let err = s.check(&m, Path::new("cli"), "--").unwrap_err().to_string();
    assert!(err.contains("`--gen` = 200"), "{err}");
    assert!(err.contains("1..=96"), "{err}");
}

fn parse_err(body: &str) -> String {
    let text = format!(
        "[llm]\nhidden_size = 64\nlayers = 2\nffn_size = 128\nffn_kind = \"gated\"\n\
         activation = \"silu\"\nvocab_size = 100\nnorm = \"rmsnorm\"\nposition = \"rope\"\n\
         max_positions = 128\ndtype = \"fp16\"\n{body}"
    );
    LlmModel::parse(Path::new("m.toml"), &text)
        .unwrap_err()
        .to_string()
}

#[test]
fn rejects_kv_heads_that_do_not_divide_heads() {
    let err = parse_err("heads = 8\nkv_heads = 3\n");
    assert!(err.contains("m.toml"), "{err}");
    assert!(err.contains("`llm.kv_heads` = 3"), "{err}");
    assert!(err.contains("a divisor of llm.heads = 8"), "{err}");
}

#[test]
fn rejects_unknown_kinds_listing_the_allowed_ones() {
    let text = "[llm]\nhidden_size = 64\nlayers = 2\nheads = 8\nffn_size = 128\n\
                ffn_kind = \"swiglu\"\nactivation = \"silu\"\nvocab_size = 100\n\
                norm = \"rmsnorm\"\nposition = \"rope\"\nmax_positions = 128\ndtype = \"fp16\"\n";
    let err = LlmModel::parse(Path::new("m.toml"), text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("m.toml") && err.contains("line 6"), "{err}");
    assert!(err.contains("plain") && err.contains("gated"), "{err}");
}

#[test]
fn rejects_top_k_above_the_experts() {
    let err = parse_err("heads = 8\n[llm.moe]\nexperts = 4\ntop_k = 5\n");
    assert!(err.contains("`llm.moe.top_k` = 5"), "{err}");
    assert!(err.contains("1..=4"), "{err}");
}
