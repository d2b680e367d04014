//! `accel`: simulate deep-learning accelerators and explore their design space.

mod cli;
mod cmd;
mod exit;
mod output;
mod progress;
mod serving_output;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Sim(args) => cmd::sim::run(&args),
        cli::Command::Check(args) => cmd::check::run(&args),
        cli::Command::Sweep(args) => cmd::sweep::run(&args),
        cli::Command::Merge(args) => cmd::sweep::merge(&args),
        cli::Command::Rtl(args) => cmd::rtl::run(&args),
    };
    let code = match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            exit::code_for(&err)
        }
    };
    std::process::exit(code);
}
