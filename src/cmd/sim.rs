//! `accel sim`: one workload on one accelerator.

use anyhow::Result;

use accel_sim::{workload, ArchFile, Mode};

use crate::cli::SimArgs;
use crate::exit;
use crate::output;

/// Loads, simulates and prints.
pub fn run(args: &SimArgs) -> Result<i32> {
    let arch = ArchFile::load(&args.arch)?;
    let mode = if args.reference {
        Mode::Reference
    } else {
        Mode::Fast
    };
    let accelerator = arch.build(&args.arch, mode)?;
    let mut wl = workload::load(&args.workload)?;
    if args.batch > 1 {
        wl = wl.with_batch(args.batch);
    }
    let stats = accelerator.simulate(&wl)?;
    let extra = accelerator.extra_metrics(&wl)?;
    let text = output::render(args.format, &arch, &wl.name, &stats, &extra)?;
    print!("{text}");
    Ok(exit::OK)
}
