//! Errors of the simulator crate. Input errors carry the file, and the line or key, so the
//! CLI can print one message that says what to fix.

use std::path::PathBuf;

/// A config or workload file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax or schema error; the message carries line, column and allowed values.
    #[error("{}: {message}", file.display())]
    Toml {
        /// The file.
        file: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value outside its allowed range.
    #[error("{}: `{key}` = {value} is out of range (allowed: {allowed})", file.display())]
    OutOfRange {
        /// The file.
        file: PathBuf,
        /// Dotted key path, or `line N, column NAME` for CSV files.
        key: String,
        /// The value found.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// A malformed line of a CSV or INI-style file.
    #[error("{}: line {line}: {message}", file.display())]
    Line {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what is expected.
        message: String,
    },
    /// Anything else wrong with the file's content.
    #[error("{}: {message}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// What is wrong and what is expected.
        message: String,
    },
    /// A name that is neither a file nor a shipped model.
    #[error("`{name}` is not a file, nor a shipped workload (allowed: a .toml or .csv path, or one of {allowed})")]
    UnknownWorkload {
        /// The name given.
        name: String,
        /// Shipped names.
        allowed: String,
    },
}

impl InputError {
    /// Reads a file, naming it in the error.
    pub fn read(file: &std::path::Path) -> Result<String, InputError> {
        std::fs::read_to_string(file).map_err(|source| InputError::Io {
            file: file.to_path_buf(),
            source,
        })
    }

    /// Wraps a TOML deserialisation error.
    pub fn toml(file: &std::path::Path, err: toml::de::Error) -> InputError {
        InputError::Toml {
            file: file.to_path_buf(),
            message: err.to_string().trim_end().to_string(),
        }
    }
}

/// A simulation that cannot run as asked.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The layer cannot run on this accelerator.
    #[error("layer `{layer}`: {message}")]
    Unsupported {
        /// Layer name.
        layer: String,
        /// Why.
        message: String,
    },
}
