//! The sweep progress bar on stderr; indicatif hides it when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressStyle};

use accel_dse::sweep::Progress;

/// A bar counting evaluations against the budget, with feasible count and hypervolume.
pub fn bar(budget: usize, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(budget as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} evals {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

/// Updates `bar` from the driver's progress.
pub fn update(bar: &ProgressBar, p: &Progress) {
    bar.set_position(p.asked as u64);
    bar.set_message(format!(
        "feasible {}/{}, hypervolume {:.4}",
        p.feasible, p.recorded, p.hypervolume
    ));
}
