//! Pareto fronts, hypervolume and knee points.
