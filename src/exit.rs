//! Exit codes, in one table.

/// Success.
pub const OK: i32 = 0;
/// An unexpected internal failure.
pub const UNEXPECTED: i32 = 1;
/// Bad input: a file, key or value the user must fix.
pub const BAD_INPUT: i32 = 2;

/// A check failed: RTL lint warnings, a testbench FAIL, cycles that differ from the model.
pub const CHECK_FAILED: i32 = 3;
/// Interrupted (Ctrl-C) after the results so far were saved.
pub const INTERRUPTED: i32 = 130;

/// The exit code for an error: bad input if any cause is an input error.
pub fn code_for(err: &anyhow::Error) -> i32 {
    let bad_input = |e: &(dyn std::error::Error + 'static)| {
        e.is::<accel_sim::InputError>()
            || e.is::<accel_sim::SimError>()
            || e.downcast_ref::<accel_dse::DseError>()
                .is_some_and(accel_dse::DseError::is_bad_input)
    };
    if err.chain().any(bad_input) {
        BAD_INPUT
    } else {
        UNEXPECTED
    }
}
