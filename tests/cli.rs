//! End-to-end tests of the built `accel` binary: outputs, the JSON contract, exit codes and
//! error messages.

use std::path::PathBuf;

mod common;
use common::*;

/// Writes `text` to a fresh temporary file named `name`.
fn temp_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let o = accel(args);
    assert!(o.status.success(), "accel {args:?} failed: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("stdout is one JSON object")
}

#[test]
fn json_output_follows_the_contract() {
    let v = json_of(&[
        "sim",
        "--arch",
        "configs/accelerators/scale.cfg",
        "--workload",
        "workloads/scalesim/alexnet.csv",
        "--format",
        "json",
    ]);
    assert_eq!(v["workload"], "alexnet");
    assert_eq!(v["arch"]["arch"]["systolic"]["rows"], 32);
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 5);
    for key in [
        "name",
        "macs",
        "compute_cycles",
        "stall_cycles",
        "total_cycles",
        "utilization",
        "sram_reads",
        "sram_writes",
        "dram_read_bytes",
        "dram_write_bytes",
        "energy_pj",
    ] {
        assert!(layers[0].get(key).is_some(), "layer lacks {key}");
    }
    for key in [
        "cycles",
        "latency_s",
        "energy_pj",
        "area_mm2",
        "utilization",
    ] {
        assert!(v["total"].get(key).is_some(), "total lacks {key}");
    }
    // AlexNet Conv1 in SCALE-Sim's topology: 224x224x3, 11x11/4, 96 filters: out
    // ceil((224-11+4)/4) = 55 -> m = 3025, n = 96, k = 363. WS on 32x32: sr = 363 -> 12 row
    // folds, sc = 96 -> 3 col folds, per fold 2*32+32+3025-2 = 3119: 36*3119 = 112,284.
    assert_eq!(layers[0]["compute_cycles"], 112_284);
    assert_eq!(layers[0]["macs"], 3025u64 * 96 * 363);
    let sum: u64 = layers
        .iter()
        .map(|l| l["total_cycles"].as_u64().unwrap())
        .sum();
    assert_eq!(v["total"]["cycles"].as_u64().unwrap(), sum);
    let latency = v["total"]["latency_s"].as_f64().unwrap();
    assert!((latency - sum as f64 / 1e9).abs() < 1e-12, "1 GHz clock");
    assert!(v["total"]["energy_pj"].as_f64().unwrap() > 0.0);
    assert!(v["total"]["area_mm2"].as_f64().unwrap() > 0.0);
}

#[test]
fn batch_multiplies_work() {
    let args = |b: &'static str| {
        [
            "sim",
            "--arch",
            "configs/accelerators/edge_32x32.toml",
            "--workload",
            "workloads/scalesim/alexnet.csv",
            "--format",
            "json",
            "--batch",
            b,
        ]
    };
    let one = json_of(&args("1"));
    let four = json_of(&args("4"));
    let macs = |v: &serde_json::Value| v["total"]["macs"].as_u64().unwrap();
    assert_eq!(macs(&four), 4 * macs(&one));
    let cycles = |v: &serde_json::Value| v["total"]["cycles"].as_u64().unwrap();
    assert!(cycles(&four) > cycles(&one));
}

#[test]
fn reference_mode_agrees_with_fast_mode() {
    let run = |extra: Option<&'static str>| {
        let mut a = vec![
            "sim",
            "--arch",
            "configs/accelerators/eyeriss_like.toml",
            "--workload",
            "workloads/scalesim/alexnet.csv",
            "--format",
            "json",
        ];
        a.extend(extra);
        json_of(&a)
    };
    assert_eq!(run(None)["total"], run(Some("--reference"))["total"]);
}

#[test]
fn csv_and_table_formats() {
    let base = [
        "sim",
        "--arch",
        "configs/accelerators/scale.cfg",
        "--workload",
        "workloads/scalesim/alexnet.csv",
        "--format",
    ];
    let o = accel(&[&base[..], &["csv"]].concat());
    assert!(o.status.success());
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("name,kind,count,macs,compute_cycles"));
    assert_eq!(lines.len(), 1 + 5 + 1, "header, 5 layers, total");
    assert!(lines[6].starts_with("total,"));
    let o = accel(&[&base[..], &["table"]].concat());
    assert!(stdout(&o).contains("total: "));
    assert!(stdout(&o).contains("area: "));
}

/// Runs `accel sim` on a bad input; asserts exit code 2, no panic, and that stderr has all
/// of `needles`.
fn assert_bad_input(args: &[&str], needles: &[&str]) {
    let o = accel(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "exit code; stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(o.stdout.is_empty(), "no results on failure");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

fn bad_arch(body: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(&dir, "bad.toml", body);
    let f = f.to_str().unwrap();
    assert_bad_input(
        &[
            "sim",
            "--arch",
            f,
            "--workload",
            "workloads/scalesim/alexnet.csv",
        ],
        &[&[f][..], needles].concat(),
    );
}

#[test]
fn unknown_dataflow_lists_the_allowed_values() {
    bad_arch(
        "[arch.systolic]\nrows = 8\ncols = 8\ndataflow = \"xs\"\n",
        &["line 4", "xs", "`os`, `ws`, `is`"],
    );
}

#[test]
fn unknown_key_is_named() {
    bad_arch(
        "[arch.systolic]\nrows = 8\ncols = 8\nrowz = 3\n",
        &["rowz", "line 4"],
    );
}

#[test]
fn zero_rows_is_out_of_range() {
    bad_arch(
        "[arch.systolic]\nrows = 0\ncols = 8\n",
        &["arch.systolic.rows", "= 0", "1..=4096"],
    );
}

#[test]
fn unsupported_node_lists_the_nodes() {
    bad_arch(
        "[arch.systolic]\nrows = 8\ncols = 8\ntech_node_nm = 3\n",
        &["arch.systolic.tech_node_nm", "45"],
    );
}

#[test]
fn missing_file_is_named() {
    assert_bad_input(
        &[
            "sim",
            "--arch",
            "configs/accelerators/nope.toml",
            "--workload",
            "resnet50",
        ],
        &["configs/accelerators/nope.toml", "cannot read"],
    );
}

/// A SCALE-Sim conv topology with one bad row must fail naming the file and `needles`.
fn bad_csv_row(row: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, \
                  Num Filter, Strides,\n";
    let f = temp_file(&dir, "t.csv", &format!("{header}{row}\n"));
    assert_bad_input(
        &[
            "sim",
            "--arch",
            "configs/accelerators/scale.cfg",
            "--workload",
            f.to_str().unwrap(),
        ],
        &[&["t.csv"][..], needles].concat(),
    );
}

#[test]
fn csv_row_with_missing_column_names_the_line() {
    bad_csv_row("c1,8,8,3,3,4,", &["line 2"]);
}

#[test]
fn csv_non_numeric_field_names_line_and_column() {
    bad_csv_row("c1,8,8,3,3,four,8,1,", &["line 2", "Channels", "four"]);
}

#[test]
fn unknown_workload_name_lists_the_shipped_models() {
    assert_bad_input(
        &[
            "sim",
            "--arch",
            "configs/accelerators/scale.cfg",
            "--workload",
            "resnet5000",
        ],
        &["resnet5000", "resnet50"],
    );
}

#[test]
fn check_accepts_every_shipped_file() {
    let o = accel(&["check", "configs", "workloads"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("configs/accelerators/tpu_v1_like.toml  (accelerator)"));
    assert!(out.contains("(workload)"));
    assert!(out.contains("(workload (SCALE-Sim topology))"));
}

#[test]
fn check_reports_every_bad_file_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    temp_file(&dir, "a.toml", "[arch.systolic]\nrows = 0\ncols = 8\n");
    temp_file(
        &dir,
        "b.toml",
        "[[layer]]\nname = \"x\"\nop = \"gemm\"\nm = 1\n",
    );
    temp_file(&dir, "c.toml", "[arch.systolic]\nrows = 4\ncols = 8\n");
    let o = accel(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("a.toml") && err.contains("b.toml"), "{err}");
    assert!(err.contains("2 of 3 files have errors"), "{err}");
    assert!(stdout(&o).contains("c.toml"));
}

/// Whether the HDL tools are installed; with `CI` set their absence is a failure.
fn hdl_tools() -> bool {
    accel_dse::rtl::tools_or_skip("cli rtl test", &["iverilog", "vvp", "verilator"])
}

#[test]
fn rtl_for_a_shipped_config_lints_and_simulates_at_model_cycles() {
    if !hdl_tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rtl");
    let o = accel(&[
        "rtl",
        "--arch",
        "configs/accelerators/fpga_8x8_ws.toml",
        "--out",
        out.to_str().unwrap(),
        "--run",
    ]);
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(o.status.success(), "{text}");
    // 8x8 WS, test GEMM m=7 n=15 k=15: sr = k = 15 -> 2 row folds, sc = n = 15 -> 2 col folds,
    // per fold 2*8 + 8 + 7 - 2 = 29 cycles; 4 folds + 4 documented register stages = 120.
    assert!(
        text.contains("PASS, 120 cycles measured, 120 by the model"),
        "{text}"
    );
    assert!(text.contains("0 warnings"), "{text}");
    assert!(out.join("rtl/sa8x8_ws_int8_pe.v").is_file());
}

#[test]
fn rtl_rejects_float_precision() {
    let dir = tempfile::tempdir().unwrap();
    let f = temp_file(
        &dir,
        "fp.toml",
        "[arch.systolic]\nrows = 4\ncols = 4\nprecision = \"fp16\"\n",
    );
    assert_eq!(
        accel(&[
            "rtl",
            "--arch",
            f.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap()
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn rtl_for_a_tensor_core_config_emits_its_mma_unit() {
    if !hdl_tools() {
        return;
    }
    // The A100 preset with int8 operands: 512 int8 MACs per clock per tensor core over an
    // m16n8 tile -> 16 x 8 dot-product trees of K = 512 / 128 = 4 products; an m16n8k16
    // instruction takes 16 / 4 = 4 cycles = 16*8*16 / 512, the model's cycles per MMA.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("configs/accelerators/a100_sxm_80gb.toml"))
        .unwrap()
        .replace("precision = \"fp16\" ", "precision = \"int8\" ");
    let f = temp_file(&dir, "a100_int8.toml", &text);
    let out = dir.path().join("mma");
    let o = accel(&[
        "rtl",
        "--arch",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--run",
    ]);
    let log = format!("{}{}", stdout(&o), stderr(&o));
    assert!(o.status.success(), "{log}");
    assert!(log.contains("design    mma16x8x4_int8"), "{log}");
    // Test GEMM 31 x 15 x 11: 2 x 2 output tiles of 3 K-steps; fill/drain 1 + 1 + 2 + 1 + 1.
    assert!(
        log.contains("PASS, 18 cycles measured, 18 by the model"),
        "{log}"
    );
    assert!(out.join("rtl/mma16x8x4_int8_dot.v").is_file());
}

#[test]
fn rtl_mma_flag_checks_its_shape() {
    let dir = tempfile::tempdir().unwrap();
    let o = accel(&[
        "rtl",
        "--mma",
        "4x4",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("MxNxK"), "{}", stderr(&o));
}

// --- the host + PIM system ---------------------------------------------------------------

const HETERO: &str = "configs/accelerators/a100_hbm2_pim.toml";

/// Table output of `accel sim` on the host + PIM system.
fn hetero_table(extra: &[&str]) -> String {
    let mut args = vec!["sim", "--arch", HETERO];
    args.extend_from_slice(extra);
    let o = accel(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn hetero_layer_table_names_each_side_and_the_handoffs() {
    // Batch 16: FC layers on the GPU, decode attention (an 8 GiB KV cache, within the PIM's
    // 10 GiB) on the PIM, two crossings per layer.
    let out = hetero_table(&["--workload", "llama2_7b_decode_step", "--batch", "16"]);
    for needle in [
        "host:qkv_proj",
        "handoff>pim after qkv_pr",
        "pim:attention",
        "handoff>host after atten",
        "host:o_proj",
        "handoffs 64",
        "pim_max_rows 2",
        "pim_resident_bytes 8589934592",
        "pim_layers_over_capacity 0",
    ] {
        assert!(out.contains(needle), "lacks {needle:?}:\n{out}");
    }
}

#[test]
fn hetero_serving_report_shows_the_split_per_phase() {
    let out = hetero_table(&["--workload", "llama2_7b", "--gen", "128"]);
    // Batch 1: the prompt's GEMMs on the GPU; the decode layers on the PIM but ffn_down and
    // the LM head, which no longer fit its 10 GiB, and one crossing each way around them.
    let line = |start: &str| out.lines().find(|l| l.starts_with(start)).unwrap();
    let decode = line("decode   split");
    assert!(decode.contains("J (2 layers), pim "), "{decode}");
    assert!(decode.ends_with("J (2 layers)"), "{decode}");
    let prefill = line("prefill  split");
    assert!(
        prefill.starts_with("prefill  split         host 30."),
        "{prefill}"
    );
}

#[test]
fn hetero_pim_part_that_is_not_dram_pim_is_bad_input() {
    let parts = root().join("configs/accelerators");
    bad_arch(
        &format!(
            "[arch.hetero]\nhost = \"{}\"\npim = \"{}\"\n",
            parts.join("a100_sxm_80gb.toml").display(),
            parts.join("reram_neurosim_22nm.toml").display()
        ),
        &["`arch.hetero.pim` must be an [arch.pim.dram] accelerator, not an [arch.pim.reram] one"],
    );
}
