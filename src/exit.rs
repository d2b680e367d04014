//! Exit codes, in one table.

/// Success.
pub const OK: i32 = 0;
/// An unexpected internal failure.
pub const UNEXPECTED: i32 = 1;
/// Bad input: a file, key or value the user must fix.
pub const BAD_INPUT: i32 = 2;

/// The exit code for an error: bad input if any cause is an input error.
pub fn code_for(err: &anyhow::Error) -> i32 {
    if err
        .chain()
        .any(|e| e.is::<accel_sim::InputError>() || e.is::<accel_sim::SimError>())
    {
        BAD_INPUT
    } else {
        UNEXPECTED
    }
}
