//! Sweep reports (being written): points.csv, front.csv, front.svg/png, convergence.svg,
//! summary.md, and searcher comparisons.
