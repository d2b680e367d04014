//! `accel sim`: one workload on one accelerator; an LLM gets the serving report.

use std::path::Path;

use anyhow::Result;

use accel_sim::workload::llm::{self, LlmModel, Scenario};
use accel_sim::workload::{self, AnyWorkload};
use accel_sim::{Accelerator, ArchFile, InputError, Mode};

use crate::cli::SimArgs;
use crate::exit;
use crate::output;
use crate::serving_output;

/// Default prompt tokens of an LLM scenario.
const DEFAULT_PROMPT: u64 = 512;
/// Default output tokens of an LLM scenario.
const DEFAULT_GEN: u64 = 128;

/// Where command-line values come from, for error messages.
const COMMAND_LINE: &str = "command line";

/// Loads, simulates and prints.
pub fn run(args: &SimArgs) -> Result<i32> {
    let arch = ArchFile::load(&args.arch)?;
    let mode = if args.reference {
        Mode::Reference
    } else {
        Mode::Fast
    };
    let accelerator = arch.build(&args.arch, mode)?;
    let wl = match workload::load_any(&args.workload)? {
        AnyWorkload::Llm(model) => return serve(args, &arch, accelerator.as_ref(), &model),
        AnyWorkload::Layers(wl) => wl,
    };
    if let Some((flag, value)) = [("prompt", args.prompt), ("gen", args.gen), ("tp", args.tp)]
        .into_iter()
        .find_map(|(f, v)| v.map(|v| (f, v)))
    {
        return Err(InputError::OutOfRange {
            file: COMMAND_LINE.into(),
            key: format!("--{flag}"),
            value: value.to_string(),
            allowed: format!(
                "only with an LLM workload (one of {}, or a file with an [llm] table)",
                workload::shipped::LLM_NAMES.join(", ")
            ),
        }
        .into());
    }
    let wl = if args.batch > 1 {
        wl.with_batch(args.batch)
    } else {
        wl
    };
    let stats = accelerator.simulate(&wl)?;
    let text = output::render(args.format, &arch, &wl.name, &stats)?;
    print!("{text}");
    Ok(exit::OK)
}

/// The serving report of an LLM.
fn serve(
    args: &SimArgs,
    arch: &ArchFile,
    accelerator: &dyn Accelerator,
    model: &LlmModel,
) -> Result<i32> {
    let scenario = Scenario {
        batch: args.batch,
        prompt: args.prompt.unwrap_or(DEFAULT_PROMPT),
        gen: args.gen.unwrap_or(DEFAULT_GEN),
        tp: args.tp.unwrap_or(1),
    };
    scenario.check(model, Path::new(COMMAND_LINE), "--")?;
    let report = llm::serve(accelerator, model, &scenario).map_err(|e| match e {
        llm::ServeError::Input(e) => anyhow::Error::from(e),
        llm::ServeError::Sim(e) => anyhow::Error::from(e).context(format!(
            "{} cannot serve {} with --tp {}",
            accelerator.name(),
            model.name,
            scenario.tp
        )),
    })?;
    if report.memory.fits == Some(false) {
        eprintln!("warning: {}: {}", model.name, report.memory.message);
    }
    print!(
        "{}",
        serving_output::render(args.format, arch, model, &report)?
    );
    Ok(exit::OK)
}
