//! The serving report: a model and a request scenario on an accelerator, per phase.
//!
//! ```text
//! LlmModel + Scenario ─prefill()─▶ Workload ─simulate─▶ RunStats ─▶ time to first token
//!                     ─decode()──▶ Workload ─simulate─▶ RunStats ─▶ time per output token
//!                     ─footprint()─▶ weights + KV cache per device vs memory_capacity_bytes()
//! ```
//!
//! Conventions (those of TensorRT-LLM's and vLLM's benchmarks): `gen` output tokens per
//! sequence, the first from the prefill, the other `gen - 1` from decode steps; time per
//! output token is the mean decode step; the KV cache is sized for `prompt + gen` tokens.

use std::path::Path;

use serde::Serialize;

use crate::arch::Accelerator;
use crate::error::{InputError, SimError};
use crate::stats::RunStats;
use crate::workload::Precision;

use super::model::LlmModel;
use super::phases;

/// Most sequences a scenario may batch.
pub const MAX_BATCH: u64 = 1 << 16;

/// Largest tensor-parallel degree.
pub const MAX_TP: u64 = 1024;

/// A serving request pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// Sequences served together.
    pub batch: u64,
    /// Prompt tokens per sequence.
    pub prompt: u64,
    /// Output tokens per sequence (>= 1; the first comes from the prefill).
    pub gen: u64,
    /// Tensor-parallel degree: devices the model is split over.
    pub tp: u64,
}

impl Scenario {
    /// Checks the scenario against the model; errors name `file` and `{prefix}{key}` (e.g.
    /// `--tp` for the command line, `llm.tp` in a sweep file).
    pub fn check(&self, model: &LlmModel, file: &Path, prefix: &str) -> Result<(), InputError> {
        let bad = |key: &str, value: u64, allowed: String| InputError::OutOfRange {
            file: file.to_path_buf(),
            key: format!("{prefix}{key}"),
            value: value.to_string(),
            allowed,
        };
        if self.batch == 0 || self.batch > MAX_BATCH {
            return Err(bad("batch", self.batch, format!("1..={MAX_BATCH}")));
        }
        let max = model.config.max_positions;
        if self.prompt == 0 || self.prompt >= max {
            return Err(bad(
                "prompt",
                self.prompt,
                format!(
                    "1..={} (model {} holds {max} positions)",
                    max - 1,
                    model.name
                ),
            ));
        }
        if self.gen == 0 || self.prompt + self.gen > max {
            return Err(bad(
                "gen",
                self.gen,
                format!(
                    "1..={} (prompt + gen <= {max}, the positions of model {})",
                    max - self.prompt,
                    model.name
                ),
            ));
        }
        if self.tp > MAX_TP {
            return Err(bad("tp", self.tp, format!("1..={MAX_TP}")));
        }
        model.check_tp(&format!("{prefix}tp"), file, self.tp)
    }
}

/// Device memory one of the `tp` devices needs, and whether the device holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryFootprint {
    /// Weights on one device, bytes.
    pub weights_bytes: f64,
    /// KV cache on one device at the end of generation, bytes.
    pub kv_cache_bytes: f64,
    /// Their sum, bytes.
    pub total_bytes: f64,
    /// What the accelerator holds, bytes (None: the model does not say).
    pub capacity_bytes: Option<u64>,
    /// Whether it fits (None: unknown).
    pub fits: Option<bool>,
    /// One line for people: the figures, and what to change when it does not fit.
    pub message: String,
}

fn gb(bytes: f64) -> String {
    format!("{:.2} GB", bytes / 1e9)
}

/// Weights and KV cache per device for `scenario`, against `capacity_bytes`.
pub fn footprint(
    model: &LlmModel,
    scenario: &Scenario,
    capacity_bytes: Option<u64>,
) -> MemoryFootprint {
    let dtype = model.config.dtype;
    let per_device = |tp: u64| {
        let weights = model.params_per_device(tp).total() as f64 * dtype.bytes();
        let tokens = (scenario.batch * (scenario.prompt + scenario.gen)) as f64;
        (weights, tokens * model.kv_bytes_per_token(tp, dtype))
    };
    let (weights, kv) = per_device(scenario.tp);
    let total = weights + kv;
    let needs = format!(
        "{} per device (weights {} + KV cache {})",
        gb(total),
        gb(weights),
        gb(kv)
    );
    let (fits, message) = match capacity_bytes {
        None => (
            None,
            format!("unknown: needs {needs}; the accelerator model states no memory capacity"),
        ),
        Some(cap) if total <= cap as f64 => (
            Some(true),
            format!("fits: needs {needs} of {}", gb(cap as f64)),
        ),
        Some(cap) => {
            let larger = (scenario.tp + 1..=MAX_TP)
                .filter(|tp| model.check_tp("tp", Path::new(""), *tp).is_ok())
                .find(|tp| {
                    let (w, k) = per_device(*tp);
                    w + k <= cap as f64
                });
            let hint = match larger {
                Some(tp) => format!("tensor parallelism over {tp} devices would fit"),
                None => "no tensor-parallel degree fits; lower the batch or the lengths".into(),
            };
            (
                Some(false),
                format!(
                    "does not fit: needs {needs} but the device holds {}; {hint}",
                    gb(cap as f64)
                ),
            )
        }
    };
    MemoryFootprint {
        weights_bytes: weights,
        kv_cache_bytes: kv,
        total_bytes: total,
        capacity_bytes,
        fits,
        message,
    }
}

/// Why a serving estimate failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The scenario does not suit the model.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The accelerator cannot run a layer.
    #[error(transparent)]
    Sim(#[from] SimError),
}

/// Serving figures of a model on an accelerator, per phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServingReport {
    /// Model name.
    pub model: String,
    /// Accelerator name.
    pub accelerator: String,
    /// The request pattern.
    pub scenario: Scenario,
    /// Number format of weights, activations and cache.
    pub dtype: Precision,
    /// Time to first token (the prefill), seconds.
    pub ttft_s: f64,
    /// Time per output token after the first (mean decode step), seconds; None when gen = 1.
    pub tpot_s: Option<f64>,
    /// Time from request to last token, `ttft + (gen - 1) tpot`, seconds.
    pub e2e_s: f64,
    /// Prompt tokens processed per second in the prefill (all sequences).
    pub prefill_tokens_per_s: f64,
    /// Output tokens per second during decode (all sequences); None when gen = 1.
    pub decode_tokens_per_s: Option<f64>,
    /// Output tokens per second over the whole request (all sequences).
    pub output_tokens_per_s: f64,
    /// Device memory per device.
    pub memory: MemoryFootprint,
    /// Prefill results by layer.
    pub prefill: RunStats,
    /// All decode steps' results by layer (None when gen = 1).
    pub decode: Option<RunStats>,
}

/// Estimates serving `model` under `scenario` on `acc` (one of `scenario.tp` devices).
pub fn serve(
    acc: &dyn Accelerator,
    model: &LlmModel,
    scenario: &Scenario,
) -> Result<ServingReport, ServeError> {
    scenario.check(model, &model.file, "scenario.")?;
    let Scenario {
        batch,
        prompt,
        gen,
        tp,
    } = *scenario;
    let dtype = model.config.dtype;
    let prefill = acc.simulate(&phases::prefill(model, batch, prompt, tp, dtype))?;
    let steps = gen - 1;
    let decode = if steps > 0 {
        Some(acc.simulate(&phases::decode(model, batch, prompt, steps, tp, dtype))?)
    } else {
        None
    };
    let ttft_s = prefill.latency_s;
    let decode_s = decode.as_ref().map_or(0.0, |d| d.latency_s);
    let tpot_s = decode.as_ref().map(|d| d.latency_s / steps as f64);
    let e2e_s = ttft_s + decode_s;
    Ok(ServingReport {
        model: model.name.clone(),
        accelerator: acc.name().to_string(),
        scenario: *scenario,
        dtype,
        ttft_s,
        tpot_s,
        e2e_s,
        prefill_tokens_per_s: (batch * prompt) as f64 / ttft_s,
        decode_tokens_per_s: tpot_s.map(|t| batch as f64 / t),
        output_tokens_per_s: (batch * gen) as f64 / e2e_s,
        memory: footprint(model, scenario, acc.memory_capacity_bytes()),
        prefill,
        decode,
    })
}
