//! End-to-end tests of `accel sim` on LLM workloads: the serving report in every format,
//! shipped names and paths, and bad scenarios or model files (exit 2, file, key, allowed).

use std::process::Output;

mod common;
use common::*;

const TPU: &str = "configs/accelerators/tpu_v1_like.toml";

fn serve(workload: &str, extra: &[&str]) -> Output {
    let mut args = vec!["sim", "--arch", TPU, "--workload", workload];
    args.extend_from_slice(extra);
    accel(&args)
}

fn json(workload: &str, extra: &[&str]) -> serde_json::Value {
    json_on(TPU, workload, extra)
}

fn assert_bad_input(o: &Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let err = stderr(o);
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

#[test]
fn json_report_has_phases_memory_and_layers() {
    let v = json(
        "workloads/llm/llama2_7b.toml",
        &["--prompt", "256", "--gen", "9", "--batch", "2"],
    );
    assert_eq!(v["workload"], "llama2_7b");
    assert_eq!(v["parameters"]["total"], 6_738_415_616u64);
    assert_eq!(v["scenario"]["prompt"], 256);
    assert_eq!(v["scenario"]["gen"], 9);
    assert_eq!(v["scenario"]["batch"], 2);
    let ttft = v["ttft_s"].as_f64().unwrap();
    let tpot = v["tpot_s"].as_f64().unwrap();
    let e2e = v["e2e_s"].as_f64().unwrap();
    assert!((ttft - v["prefill"]["total"]["latency_s"].as_f64().unwrap()).abs() < 1e-12);
    assert!((e2e - (ttft + 8.0 * tpot)).abs() < 1e-9 * e2e);
    // Two sequences of nine output tokens.
    let out_tps = v["output_tokens_per_s"].as_f64().unwrap();
    assert!((out_tps - 18.0 / e2e).abs() < 1e-9 * out_tps);
    // Batch-2 decode on 34 GB/s: every fp16 weight (13.48 GB) streams once per step.
    assert!(tpot > 13.47e9 / 34e9, "{tpot}");
    // KV cache: 2 sequences x (256 + 9) tokens x 2 x 32 layers x 4096 x 2 B.
    let kv = v["memory"]["kv_cache_bytes"].as_f64().unwrap();
    assert!((kv - 2.0 * 265.0 * 524_288.0).abs() < 1.0);
    assert!(v["memory"]["fits"].is_null());
    let names = |phase: &str| -> Vec<String> {
        v[phase]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(names("prefill").contains(&"attention".to_string()));
    // 8 decode steps after a 256-token prompt: one attention layer per step (257..=264).
    let attention: Vec<String> = names("decode")
        .into_iter()
        .filter(|n| n.starts_with("attention@"))
        .collect();
    assert_eq!(attention.first().map(String::as_str), Some("attention@257"));
    assert_eq!(attention.len(), 8);
}

#[test]
fn shipped_name_and_path_give_the_same_report() {
    let by_name = json("llama3_8b", &["--prompt", "64", "--gen", "4"]);
    let by_path = json(
        "workloads/llm/llama3_8b.toml",
        &["--prompt", "64", "--gen", "4"],
    );
    assert_eq!(by_name["ttft_s"], by_path["ttft_s"]);
    assert_eq!(by_name["tpot_s"], by_path["tpot_s"]);
}

#[test]
fn table_and_csv_formats() {
    let o = serve("gpt2", &["--prompt", "128", "--gen", "16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    for needle in [
        "gpt2",
        "time to first token",
        "time per output token",
        "memory per device      unknown",
    ] {
        assert!(t.contains(needle), "table lacks {needle:?}:\n{t}");
    }
    let o = serve(
        "gpt2",
        &["--prompt", "128", "--gen", "16", "--format", "csv"],
    );
    let c = stdout(&o);
    let lines: Vec<&str> = c.lines().collect();
    assert!(lines[0].starts_with("phase,tokens,latency_s,time_per_token_s,tokens_per_s"));
    let phases: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(phases, ["prefill", "decode", "total"]);
    // decode row: 15 tokens after the first.
    assert!(lines[2].starts_with("decode,15,"), "{}", lines[2]);
}

#[test]
fn tp_that_does_not_divide_the_heads_is_bad_input() {
    let o = serve("llama2_7b", &["--tp", "3"]);
    assert_bad_input(
        &o,
        &["command line", "`--tp` = 3", "a divisor of heads = 32"],
    );
}

#[test]
fn tensor_parallelism_on_a_single_device_model_is_bad_input() {
    let o = serve("llama2_7b", &["--tp", "2"]);
    assert_bad_input(&o, &["cannot serve llama2_7b with --tp 2", "links"]);
}

#[test]
fn lengths_beyond_the_models_positions_are_bad_input() {
    // GPT-2 holds 1024 positions.
    let o = serve("gpt2", &["--prompt", "1000", "--gen", "100"]);
    assert_bad_input(&o, &["`--gen` = 100", "1..=24", "prompt + gen <= 1024"]);
}

#[test]
fn llm_options_on_a_layer_workload_are_bad_input() {
    let o = serve("resnet50", &["--prompt", "128"]);
    assert_bad_input(&o, &["`--prompt` = 128", "only with an LLM workload"]);
}

#[test]
fn bad_model_file_names_file_key_and_allowed_values() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("workloads/llm/llama2_70b.toml")
        .unwrap()
        .replace("kv_heads = 8 ", "kv_heads = 7 ");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let o = serve(path.to_str().unwrap(), &[]);
    assert_bad_input(
        &o,
        &[
            "bad.toml",
            "`llm.kv_heads` = 7",
            "a divisor of llm.heads = 64",
        ],
    );
    // An unknown norm lists the allowed ones with the line.
    let text = std::fs::read_to_string("workloads/llm/gpt2.toml")
        .unwrap()
        .replace("norm = \"layernorm\"", "norm = \"batchnorm\"");
    std::fs::write(&path, text).unwrap();
    let o = serve(path.to_str().unwrap(), &[]);
    assert_bad_input(&o, &["bad.toml", "layernorm", "rmsnorm", "line"]);
}

#[test]
fn check_accepts_the_shipped_llms() {
    let o = accel(&["check", "workloads/llm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).matches("(LLM model)").count(), 8);
}

const A100: &str = "configs/accelerators/a100_sxm_80gb.toml";

#[test]
fn model_too_large_for_the_device_is_flagged_with_a_remedy() {
    // LLaMA-2-70B in fp16 needs 137.95 GB of weights; the A100 holds 80 GiB.
    let o = accel(&[
        "sim",
        "--arch",
        A100,
        "--workload",
        "llama2_70b",
        "--prompt",
        "128",
        "--gen",
        "2",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["memory"]["fits"], false);
    assert_eq!(v["memory"]["capacity_bytes"], 80u64 << 30);
    let message = v["memory"]["message"].as_str().unwrap();
    assert!(message.starts_with("does not fit"), "{message}");
    assert!(message.contains("over 2 devices"), "{message}");
    assert!(stderr(&o).contains("warning: llama2_70b: does not fit"));
}

#[test]
fn tensor_parallel_serving_on_the_tensor_core_model() {
    let v = json_on(
        A100,
        "llama2_70b",
        &["--prompt", "512", "--gen", "8", "--tp", "4"],
    );
    assert_eq!(v["memory"]["fits"], true);
    // A quarter of the weights per device: 68,976,648,192 params less the replicated norms,
    // / 4, x 2 B (norms: 161 x 8192, replicated).
    let norms = 161.0 * 8192.0;
    let want = ((68_976_648_192.0 - norms) / 4.0 + norms) * 2.0;
    let got = v["memory"]["weights_bytes"].as_f64().unwrap();
    assert!((got - want).abs() < 1.0, "{got} vs {want}");
    let names: Vec<&str> = v["decode"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"attn_all_reduce") && names.contains(&"ffn_all_reduce"));
}

fn json_on(arch: &str, workload: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "sim",
        "--arch",
        arch,
        "--workload",
        workload,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = accel(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

#[test]
fn llm_serving_runs_on_every_shipped_accelerator() {
    let mut configs: Vec<_> = std::fs::read_dir("configs/accelerators")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "cfg"))
        .collect();
    configs.sort();
    assert!(configs.len() >= 9);
    for c in configs {
        let v = json_on(
            c.to_str().unwrap(),
            "gpt2",
            &["--prompt", "64", "--gen", "3"],
        );
        let (ttft, tpot) = (v["ttft_s"].as_f64().unwrap(), v["tpot_s"].as_f64().unwrap());
        assert!(ttft > 0.0 && tpot > 0.0, "{}: {ttft} {tpot}", c.display());
    }
}
