//! `accel rtl`: Verilog, testbench and vectors for a systolic design point; with `--run`,
//! lint and simulate them and compare the cycles with the model.

use anyhow::{Context, Result};

use accel_dse::rtl::{systolic, Design, TestGemm};
use accel_sim::{ArchConfig, ArchFile, InputError, Mode};

use crate::cli::RtlArgs;
use crate::exit;

/// Emits the design point's RTL and testbench into `--out`; with `--run`, checks them.
pub fn run(args: &RtlArgs) -> Result<i32> {
    let arch = ArchFile::load(&args.arch)?;
    // The model's own range checks first, so both report the same keys.
    arch.build(&args.arch, Mode::Fast)?;
    #[allow(unreachable_patterns)] // other models have no RTL generator yet
    let config = match &arch.arch {
        ArchConfig::Systolic(c) => c,
        _ => {
            return Err(InputError::Invalid {
                file: args.arch.clone(),
                message: "`accel rtl` supports [arch.systolic] only".into(),
            }
            .into())
        }
    };
    let design = Design::from_config(config, &args.arch)?;
    let default = TestGemm::default_for(&design);
    let gemm = TestGemm {
        m: args.test_m.unwrap_or(default.m),
        n: args.test_n.unwrap_or(default.n),
        k: args.test_k.unwrap_or(default.k),
        seed: args.seed,
    };
    systolic::check_test(&design, &gemm, &args.arch)?;
    let bundle = systolic::emit(&design, &gemm);
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
    if !args.run {
        return Ok(exit::OK);
    }

    let mut ok = true;
    let lint = bundle.lint(&args.out)?;
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

    let sim = bundle.simulate(&args.out)?;
    let measured = sim
        .measured_cycles
        .map_or_else(|| "no".to_string(), |m| m.to_string());
    println!(
        "sim       {}, {measured} cycles measured, {} by the model (iverilog)",
        if sim.passed { "PASS" } else { "FAIL" },
        c.total_cycles
    );
    if !sim.passed || sim.measured_cycles != Some(c.total_cycles) {
        ok = false;
        eprint!("{}", sim.log);
    }
    if args.synth {
        let synth = bundle.synthesize(&args.out)?;
        println!(
            "synth     {} ({}, in {})",
            synth.summary, synth.flow, synth.file
        );
    }
    Ok(if ok { exit::OK } else { exit::CHECK_FAILED })
}
