//! Errors of the explorer. Sweep-file errors name the file and the key.

use std::path::PathBuf;

/// Why a sweep cannot run or continue.
#[derive(Debug, thiserror::Error)]
pub enum DseError {
    /// A bad sweep file, config or workload (exit code 2).
    #[error(transparent)]
    Input(#[from] accel_sim::InputError),
    /// A design point the simulator cannot run.
    #[error(transparent)]
    Sim(#[from] accel_sim::SimError),
    /// A sweep file key with a bad value.
    #[error("{}: `{key}`: {message}", file.display())]
    Key {
        /// The sweep file.
        file: PathBuf,
        /// Dotted key.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The external evaluator failed (could not start, died, or broke the protocol).
    #[error("external evaluator `{command}`: {message}")]
    Evaluator {
        /// The command line.
        command: String,
        /// What happened.
        message: String,
    },
    /// Reading or writing sweep outputs failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A results file that cannot be resumed from.
    #[error("{}: line {line}: {message}", path.display())]
    Results {
        /// The results file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl DseError {
    /// Whether the error is the user's input to fix (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, DseError::Io { .. })
    }
}
