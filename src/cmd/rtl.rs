//! `accel rtl`: Verilog, testbench and vectors for a systolic design point or a tensor-core
//! MMA unit; with `--run`, lint and simulate them and compare the cycles with the model.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use accel_dse::rtl::resources::{self, Resources};
use accel_dse::rtl::{mma, systolic, Bundle, Design, TestGemm};
use accel_sim::{ArchConfig, ArchFile, InputError, Mode, Precision};

use crate::cli::RtlArgs;
use crate::exit;

/// The test GEMM: the generator's default with the --test-m/-n/-k overrides.
fn test_gemm(args: &RtlArgs, default: TestGemm) -> TestGemm {
    TestGemm {
        m: args.test_m.unwrap_or(default.m),
        n: args.test_n.unwrap_or(default.n),
        k: args.test_k.unwrap_or(default.k),
        seed: args.seed,
    }
}

fn precision(text: &str, flag: &str) -> Result<Precision, InputError> {
    Precision::ALL
        .into_iter()
        .find(|p| p.name() == text)
        .ok_or_else(|| InputError::OutOfRange {
            file: PathBuf::from(flag),
            key: flag.to_string(),
            value: format!("\"{text}\""),
            allowed: "\"int4\", \"int8\" or \"int16\" (accumulators also \"int32\")".into(),
        })
}

/// The design point of `--arch` (a systolic array, or a tensor core's MMA unit), its bundle
/// and the resource model's estimate.
fn systolic_bundle(args: &RtlArgs, file: &Path) -> Result<(Bundle, TestGemm, Option<Resources>)> {
    let arch = ArchFile::load(file)?;
    // The model's own range checks first, so both report the same keys.
    arch.build(file, Mode::Fast)?;
    let config = match &arch.arch {
        ArchConfig::Systolic(c) => c,
        ArchConfig::TensorCore(c) => {
            let design = mma::MmaDesign::from_tensor_core(c, file)?;
            return mma_emit(args, &design, file);
        }
        _ => {
            return Err(InputError::Invalid {
                file: file.to_path_buf(),
                message: "`accel rtl --arch` supports [arch.systolic] and [arch.tensor_core] \
                          only"
                    .into(),
            }
            .into())
        }
    };
    let design = Design::from_config(config, file)?;
    let gemm = test_gemm(args, TestGemm::default_for(&design));
    systolic::check_test(&design, &gemm, file)?;
    let model = resources::estimate(&design);
    Ok((systolic::emit(&design, &gemm), gemm, model))
}

/// The MMA unit of `--mma MxNxK` and its bundle.
fn mma_bundle(args: &RtlArgs, shape: &str) -> Result<(Bundle, TestGemm, Option<Resources>)> {
    let flag = Path::new("--mma");
    let accumulator = args
        .accumulator
        .as_deref()
        .map(|a| precision(a, "--accumulator"))
        .transpose()?;
    let design = mma::MmaDesign::new(
        mma::parse_shape(shape, flag)?,
        precision(&args.precision, "--precision")?,
        accumulator,
        args.buffer_words,
        flag,
        ["M", "N", "K", "--precision", "--accumulator"],
    )?;
    mma_emit(args, &design, flag)
}

/// The bundle of an MMA unit with the default (or --test-*) test GEMM.
fn mma_emit(
    args: &RtlArgs,
    design: &mma::MmaDesign,
    file: &Path,
) -> Result<(Bundle, TestGemm, Option<Resources>)> {
    let gemm = test_gemm(args, mma::default_test(design));
    mma::check_sequence(design, std::slice::from_ref(&gemm), file)?;
    let model = resources::estimate_mma(design);
    Ok((mma::emit_sequence(design, &[gemm]), gemm, model))
}

/// Emits the design's RTL and testbench into `--out`; with `--run`, checks them.
pub fn run(args: &RtlArgs) -> Result<i32> {
    let (bundle, gemm, model) = match (&args.arch, &args.mma) {
        (Some(file), _) => systolic_bundle(args, file)?,
        (None, Some(shape)) => mma_bundle(args, shape)?,
        (None, None) => unreachable!("clap requires --arch or --mma"),
    };
    bundle
        .write(&args.out)
        .with_context(|| format!("cannot write the RTL to {}", args.out.display()))?;

    let c = bundle.contracts[0];
    println!("design    {}", bundle.name);
    println!(
        "wrote     {} files to {} (rtl/, tb/, run.sh, design.json)",
        bundle.files.len(),
        args.out.display()
    );
    println!(
        "test      m={} n={} k={} seed={}: {} folds x {} cycles + {} = {} cycles",
        gemm.m,
        gemm.n,
        gemm.k,
        gemm.seed,
        c.folds,
        c.fold_interval_cycles,
        c.fill_drain_cycles,
        c.total_cycles
    );
    if let Some(m) = model {
        println!("model     {} (FPGA resource model)", describe(&m));
    }
    if !args.run {
        return Ok(exit::OK);
    }
    check(&bundle, &args.out, args.synth)
}

/// `LUT, FF, DSP, BRAM36, CARRY4` counts on one line.
fn describe(r: &Resources) -> String {
    format!(
        "{:.0} LUT, {:.0} FF, {:.0} DSP48E1, {} BRAM36, {:.0} CARRY4",
        r.lut, r.ff, r.dsp, r.bram, r.carry
    )
}

/// Lints, simulates and (with `synth`) synthesizes the bundle written in `dir`; prints one
/// line each; exit code 3 when a module warns or the testbench fails or miscounts cycles.
pub fn check(bundle: &Bundle, dir: &Path, synth: bool) -> Result<i32> {
    let mut ok = true;
    let lint = bundle.lint(dir)?;
    let warnings: usize = lint.iter().map(|l| l.warnings.len()).sum();
    for l in &lint {
        for w in &l.warnings {
            eprintln!("{}: {w}", l.module);
        }
    }
    println!(
        "lint      {} modules, {warnings} warnings (verilator --lint-only -Wall)",
        lint.len()
    );
    ok &= warnings == 0;

    let sim = bundle.simulate(dir)?;
    let measured = sim
        .measured_cycles
        .map_or_else(|| "no".to_string(), |m| m.to_string());
    println!(
        "sim       {}, {measured} cycles measured, {} by the model (iverilog)",
        if sim.passed { "PASS" } else { "FAIL" },
        bundle.total_cycles()
    );
    if !sim.passed || sim.measured_cycles != Some(bundle.total_cycles()) {
        ok = false;
        eprint!("{}", sim.log);
    }
    if synth {
        let synth = bundle.synthesize(dir)?;
        println!(
            "synth     {} ({}, in {})",
            synth.summary, synth.flow, synth.file
        );
    }
    Ok(if ok { exit::OK } else { exit::CHECK_FAILED })
}
