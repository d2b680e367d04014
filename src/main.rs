//! `accel`: simulate deep-learning accelerators and explore their design space.

mod cli;
mod cmd;
mod exit;
mod output;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Sim(args) => cmd::sim::run(&args),
        cli::Command::Check(args) => cmd::check::run(&args),
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
