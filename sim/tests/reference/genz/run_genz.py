#!/usr/bin/env python3
"""GenZ (genz-llm on PyPI) roofline estimates of the shipped LLMs on an A100-SXM4-80GB.

Produces genz_a100.json next to this script: for every model in workloads/llm/, batches 1
and 8, a short and a long prompt, GenZ's prefill latency (time to first token) and one decode
step's latency (the first step after the prompt: prompt + 1 keys), with each operator GenZ
counts, so a comparison can align the operator sets.

    python3 -m venv /opt/genz-venv && /opt/genz-venv/bin/pip install genz-llm==0.0.16
    /opt/genz-venv/bin/python sim/tests/reference/genz/run_genz.py

The models are built from our TOML files (not GenZ's own model table, whose LLaMA-3.1-70B
entry maps to the LLaMA-2-70B config), so both tools see identical shapes. Efficiency 1.0
(GenZ's system_eff): an ideal roofline, max(compute, memory) per operator.
"""

import json
import pathlib
import tomllib
import warnings

import GenZ
from GenZ import decode_moddeling, prefill_moddeling
from GenZ.Models import ModelConfig

warnings.filterwarnings("ignore")

ROOT = pathlib.Path(__file__).resolve().parents[4]
MODELS = sorted((ROOT / "workloads" / "llm").glob("*.toml"))

# A100-SXM4-80GB: 312 TFLOPS dense fp16/bf16 tensor-core math (NVIDIA A100 Tensor Core GPU
# Architecture whitepaper, 2020, Table 1) and 2,039 GB/s HBM2e (NVIDIA A100 datasheet, 80GB
# SXM). GenZ reads Memory_BW in binary GB/s (GenZ/unit.py: 'G' = 2**30 for bandwidth), so
# 2039e9 / 2**30 gives it the same decimal 2,039 GB/s. Memory_size is set large so that GenZ's
# fit check does not stop 70 B models on one device: the roofline does not depend on it.
SYSTEM = {
    "Flops": 312,
    "Memory_size": 4096,
    "Memory_BW": 2039e9 / 2**30,
    "ICN": 150,
    "real_values": True,
}

BATCHES = [1, 8]


def genz_config(path):
    """Our [llm] table as a GenZ ModelConfig."""
    llm = tomllib.loads(path.read_text())["llm"]
    moe = llm.get("moe", {})
    heads = llm["heads"]
    return ModelConfig(
        model=path.stem,
        vocab_size=llm["vocab_size"],
        max_model_len=llm["max_positions"],
        hidden_size=llm["hidden_size"],
        intermediate_size=llm["ffn_size"],
        num_ffi=2 if llm["ffn_kind"] == "gated" else 1,
        num_decoder_layers=llm["layers"],
        num_attention_heads=heads,
        head_dim=llm.get("head_dim", llm["hidden_size"] // heads),
        num_key_value_heads=llm.get("kv_heads", heads),
        hidden_act=llm["activation"],
        num_experts=moe.get("experts", 1),
        expert_top_k=moe.get("top_k", 1),
        moe_intermediate_size=moe.get("expert_ffn_size", llm["ffn_size"]),
    ), llm


def ops(df, layers):
    """GenZ's operator rows: kind, dimensions, MFLOP, MB moved, ms, and the section (embedding,
    block (x layers) or lm_head) each belongs to."""
    rows, section = [], "embedding"
    for _, r in df.iterrows():
        kind = r["Op Type"]
        if kind == "Repeat":
            section = "block"
            continue
        if kind == "EndRepeat":
            section = "lm_head"
            continue
        rows.append(
            {
                "op": kind,
                "dims": str(r["Dimension"]),
                "section": section,
                "mflop": float(r["Num ops (MFLOP)"]),
                "data_mb": float(r["Total Data (MB)"]),
                "bound": r["Bound"],
                "latency_ms": float(r["Latency (msec)"]),
                "repeat": layers if section == "block" else 1,
            }
        )
    return rows


def sections(rows):
    out = {"embedding": 0.0, "block": 0.0, "lm_head": 0.0}
    for r in rows:
        out[r["section"]] += r["latency_ms"] * r["repeat"]
    return out


def main():
    runs = []
    for path in MODELS:
        config, llm = genz_config(path)
        prompts = [128, min(2048, llm["max_positions"] - 24)]
        for batch in BATCHES:
            for prompt in prompts:
                pre = prefill_moddeling(
                    model=config, batch_size=batch, input_tokens=prompt,
                    system_name=SYSTEM, system_eff=1, bits="bf16", tensor_parallel=1,
                )
                dec = decode_moddeling(
                    model=config, batch_size=batch, input_tokens=prompt, output_tokens=1,
                    Bb=1, system_name=SYSTEM, system_eff=1, bits="bf16", tensor_parallel=1,
                )
                for phase, out, keys in [("prefill", pre, prompt), ("decode", dec, prompt + 1)]:
                    rows = ops(out["model_df"], llm["layers"])
                    runs.append(
                        {
                            "model": path.stem,
                            "phase": phase,
                            "batch": batch,
                            "prompt": prompt,
                            "keys": keys,
                            "latency_ms": float(out["Latency"]),
                            "sections_ms": sections(rows),
                            "ops": rows,
                        }
                    )
                print(path.stem, batch, prompt, f"{pre['Latency']:.3f} ms", f"{dec['Latency']:.4f} ms")
    doc = {
        "tool": "genz-llm",
        "version": GenZ.__version__ if hasattr(GenZ, "__version__") else "0.0.16",
        "command": "/opt/genz-venv/bin/python sim/tests/reference/genz/run_genz.py",
        "system": {
            "name": "A100-SXM4-80GB",
            "tflops_fp16": 312,
            "hbm_gbps": 2039,
            "genz_system_dict": SYSTEM,
            "efficiency": 1.0,
            "bits": "bf16",
        },
        "notes": [
            "prefill: GenZ models the embedding lookup as a GEMM (vocab x hidden x tokens), "
            "the LM head on every prompt position, the full (non-causal) score matrix, and no "
            "norms, activations, residual adds or RoPE.",
            "decode: one step after the prompt (prompt + 1 keys), Bb = 1 (no beams); MoE "
            "layers read top_k experts whatever the batch (GenZ's 'A = K').",
        ],
        "runs": runs,
    }
    out = pathlib.Path(__file__).with_name("genz_a100.json")
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
