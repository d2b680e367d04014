//! One module per subcommand.

pub mod check;
pub mod rtl;
pub mod sim;
pub mod sweep;
