//! Pareto fronts, hypervolume and knee points. Every objective is minimised.
//!
//! - [`dominates`], [`nondominated_sort`] (Deb et al. 2002, fast non-dominated sort),
//!   [`front`] (the first front, duplicates kept once) and [`crowding_distance`].
//! - [`hypervolume`]: exact; 2-D by sort and sweep, 3-D by a sweep over the third objective
//!   that keeps a 2-D skyline (O(n²)), 4 or more objectives by WFG (While, Bradstreet,
//!   Barone 2012) with the slice-on-the-worst-point trick that drops one dimension per level.
//! - [`normalized_hypervolume`]: the indicator reports and quality tests use.
//! - [`knee`]: the front point farthest from the hyperplane through the extreme points.
//!
//! Points are expected to be finite (callers drop infeasible or failed evaluations first);
//! a coordinate that is NaN makes a point incomparable with every other.

use std::cmp::Ordering;

/// Whether `a` dominates `b`: no worse in every objective and better in at least one.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (x, y) in a.iter().zip(b) {
        match x.partial_cmp(y) {
            Some(Ordering::Less) => better = true,
            Some(Ordering::Equal) => {}
            Some(Ordering::Greater) | None => return false,
        }
    }
    better
}

/// Nondominated fronts: front 0 holds the points no other point dominates, front `k + 1`
/// those dominated only by points of fronts `0..=k`. Every index appears exactly once;
/// indices are ascending within a front. Fast non-dominated sort (Deb, Pratap, Agarwal,
/// Meyarivan 2002, section III-A): O(m n²).
pub fn nondominated_sort(points: &[Vec<f64>]) -> Vec<Vec<usize>> {
    let n = points.len();
    // dominated[i]: points i dominates; count[i]: how many points dominate i.
    let mut dominated: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut count = vec![0usize; n];
    for i in 0..n {
        for j in i + 1..n {
            if dominates(&points[i], &points[j]) {
                dominated[i].push(j);
                count[j] += 1;
            } else if dominates(&points[j], &points[i]) {
                dominated[j].push(i);
                count[i] += 1;
            }
        }
    }
    let mut fronts = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            for &j in &dominated[i] {
                count[j] -= 1;
                if count[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        fronts.push(std::mem::replace(&mut current, next));
    }
    fronts
}

/// Lexicographic order of two points (NaN sorts last), used by the front sweep: a point can
/// only be dominated by points before it in this order.
fn lexicographic(a: &[f64], b: &[f64]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Indices (ascending) of the nondominated points; of identical points only the first is
/// kept, and points with a NaN coordinate are left out. Sorts lexicographically, then keeps
/// each point no kept point dominates or equals: O(n log n + n·|front|·m), O(n log n) in 2-D.
pub fn front(points: &[Vec<f64>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].iter().all(|x| !x.is_nan()))
        .collect();
    // Stable: among identical points the lowest index comes first and is the one kept.
    order.sort_by(|&i, &j| lexicographic(&points[i], &points[j]));
    let mut kept: Vec<usize> = Vec::new();
    if points.first().is_some_and(|p| p.len() == 2) {
        // In lexicographic order a 2-D point is nondominated iff its second objective is
        // below every earlier one.
        let mut best = f64::INFINITY;
        for i in order {
            if points[i][1] < best || (kept.is_empty() && points[i][1] == best) {
                best = points[i][1];
                kept.push(i);
            }
        }
    } else {
        for i in order {
            let p = &points[i];
            if !kept
                .iter()
                .any(|&k| points[k] == *p || dominates(&points[k], p))
            {
                kept.push(i);
            }
        }
    }
    kept.sort_unstable();
    kept
}

/// Crowding distance of each point of `front` (same order as `front`): the sum over
/// objectives of the gap between its two neighbours along that objective, divided by the
/// objective's range on the front; boundary points get infinity (Deb et al. 2002, section
/// III-B). Fronts of one or two points are all boundary.
pub fn crowding_distance(points: &[Vec<f64>], front: &[usize]) -> Vec<f64> {
    let k = front.len();
    if k <= 2 {
        return vec![f64::INFINITY; k];
    }
    let m = points[front[0]].len();
    let mut distance = vec![0.0; k];
    let mut order: Vec<usize> = (0..k).collect();
    let columns: Vec<Vec<f64>> = (0..m)
        .map(|j| front.iter().map(|&i| points[i][j]).collect())
        .collect();
    for column in &columns {
        let value = |pos: usize| column[pos];
        order.sort_by(|&a, &b| value(a).total_cmp(&value(b)));
        let (lo, hi) = (value(order[0]), value(order[k - 1]));
        distance[order[0]] = f64::INFINITY;
        distance[order[k - 1]] = f64::INFINITY;
        let range = hi - lo;
        if range > 0.0 {
            for t in 1..k - 1 {
                distance[order[t]] += (value(order[t + 1]) - value(order[t - 1])) / range;
            }
        }
    }
    distance
}

/// Exact hypervolume of the region dominated by `points` and bounded by `reference` (the
/// Lebesgue measure of the union of the boxes `[p, reference]`). Points that do not strictly
/// dominate the reference in every objective contribute nothing, as do points whose length
/// differs from the reference's. Order and duplicates do not matter.
pub fn hypervolume(points: &[Vec<f64>], reference: &[f64]) -> f64 {
    let m = reference.len();
    let inside: Vec<Vec<f64>> = points
        .iter()
        .filter(|p| p.len() == m && p.iter().zip(reference).all(|(x, r)| x < r))
        .cloned()
        .collect();
    if inside.is_empty() {
        return 0.0;
    }
    hv_nondominated(nondominated(inside), reference)
}

/// The nondominated, deduplicated subset of `pts`.
fn nondominated(pts: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let keep = front(&pts);
    let mut pts: Vec<Option<Vec<f64>>> = pts.into_iter().map(Some).collect();
    keep.into_iter()
        .map(|i| pts[i].take().expect("front indices are distinct"))
        .collect()
}

/// Hypervolume of nondominated points that all strictly dominate `r`.
fn hv_nondominated(mut pts: Vec<Vec<f64>>, r: &[f64]) -> f64 {
    let m = r.len();
    match (m, pts.len()) {
        (_, 0) => 0.0,
        (_, 1) => pts[0].iter().zip(r).map(|(x, r)| r - x).product(),
        (1, _) => r[0] - pts.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min),
        (2, _) => hv2(&mut pts, r),
        (3, _) => hv3(&mut pts, r),
        _ => wfg(pts, r),
    }
}

/// 2-D: sort by the first objective and add the rectangle each point adds below the
/// previous one.
fn hv2(pts: &mut [Vec<f64>], r: &[f64]) -> f64 {
    pts.sort_by(|a, b| lexicographic(a, b));
    let mut volume = 0.0;
    let mut prev_y = r[1];
    for p in pts.iter() {
        if p[1] < prev_y {
            volume += (r[0] - p[0]) * (prev_y - p[1]);
            prev_y = p[1];
        }
    }
    volume
}

/// 3-D: visit points by increasing third objective; between consecutive values the
/// dominated cross-section is the 2-D hypervolume of the points seen so far, kept as a
/// skyline (ascending x, strictly descending y).
fn hv3(pts: &mut [Vec<f64>], r: &[f64]) -> f64 {
    pts.sort_by(|a, b| a[2].total_cmp(&b[2]));
    let mut skyline: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
    let mut volume = 0.0;
    for i in 0..pts.len() {
        let (x, y) = (pts[i][0], pts[i][1]);
        // Skyline entries with x' <= x come first; the last of them decides dominance.
        let pos = skyline.partition_point(|&(sx, _)| sx <= x);
        let covered = pos > 0 && skyline[pos - 1].1 <= y;
        if !covered {
            let mut start = pos;
            if pos > 0 && skyline[pos - 1].0 == x {
                start = pos - 1; // same x, larger y: dominated by the new point
            }
            let end = start
                + skyline[start..]
                    .iter()
                    .take_while(|&&(_, sy)| sy >= y)
                    .count();
            skyline.splice(start..end, [(x, y)]);
        }
        let upper = if i + 1 < pts.len() {
            pts[i + 1][2]
        } else {
            r[2]
        };
        let depth = upper - pts[i][2];
        if depth > 0.0 {
            let mut area = 0.0;
            let mut prev_y = r[1];
            for &(sx, sy) in &skyline {
                area += (r[0] - sx) * (prev_y - sy);
                prev_y = sy;
            }
            volume += area * depth;
        }
    }
    volume
}

/// WFG (While, Bradstreet, Barone, "A fast way of calculating exact hypervolumes", IEEE TEC
/// 2012): HV(S) = sum over k of the exclusive volume of `p_k` against `p_{k+1..}`, which is
/// its box minus the hypervolume of the limit set `{max(p_k, p_j) : j > k}`. Visiting points
/// by decreasing last objective gives every limit-set point the last objective of `p_k`, so
/// both terms factor into `(r_m - p_k,m)` times an (m-1)-dimensional hypervolume.
fn wfg(mut pts: Vec<Vec<f64>>, r: &[f64]) -> f64 {
    let m = r.len();
    let last = m - 1;
    pts.sort_by(|a, b| b[last].total_cmp(&a[last]));
    let r_rest = &r[..last];
    let mut volume = 0.0;
    for k in 0..pts.len() {
        let depth = r[last] - pts[k][last];
        let p = &pts[k][..last];
        let box_rest: f64 = p.iter().zip(r_rest).map(|(x, r)| r - x).product();
        let limit: Vec<Vec<f64>> = pts[k + 1..]
            .iter()
            .map(|q| p.iter().zip(&q[..last]).map(|(a, b)| a.max(*b)).collect())
            .collect();
        let covered = hv_nondominated(nondominated(limit), r_rest);
        volume += depth * (box_rest - covered);
    }
    volume
}

/// Hypervolume after mapping each objective to `(f - ideal) / (nadir - ideal)`, with the
/// reference point at `reference_factor` in every normalised objective, divided by
/// `reference_factor^m`: a single point at the ideal scores 1, points beyond the reference
/// count for nothing. An objective with `nadir <= ideal` is divided by 1e-300 instead (only
/// points at the ideal count). The usual factor is 1.1 (pymoo, Ishibuchi et al. 2018).
pub fn normalized_hypervolume(
    points: &[Vec<f64>],
    ideal: &[f64],
    nadir: &[f64],
    reference_factor: f64,
) -> f64 {
    let m = ideal.len();
    let norm: Vec<Vec<f64>> = points
        .iter()
        .filter(|p| p.len() == m)
        .map(|p| {
            (0..m)
                .map(|j| (p[j] - ideal[j]) / (nadir[j] - ideal[j]).max(1e-300))
                .collect()
        })
        .collect();
    hypervolume(&norm, &vec![reference_factor; m]) / reference_factor.powi(m as i32)
}

/// The knee of a front: the point of `front` (an index into `points`) farthest, on the ideal
/// side, from the hyperplane through the front's extreme points (Das 1999, "On characterizing
/// the knee of the Pareto curve"; Deb and Gupta 2011). Each objective is first normalised to
/// `[0, 1]` over the front; the extreme point of objective `i` is the front point with the
/// smallest value in it (ties: smallest sum of the others). The hyperplane `w·f = 1` passes
/// through the m extremes; where they do not span one (repeated or degenerate extremes) the
/// plane `sum f = 1` stands in. In 2-D this is the point farthest below the chord between the
/// two ends of the front. A front of fewer than 3 points has no interior: its point closest
/// to the normalised ideal (the origin) is returned. Ties go to the earlier entry of
/// `front`; `None` for an empty front. On a concave front every point lies beyond the plane
/// and an extreme point (distance 0) is returned.
pub fn knee(points: &[Vec<f64>], front: &[usize]) -> Option<usize> {
    let first = *front.first()?;
    let m = points[first].len();
    let mut lo = vec![f64::INFINITY; m];
    let mut hi = vec![f64::NEG_INFINITY; m];
    for &i in front {
        for j in 0..m {
            lo[j] = lo[j].min(points[i][j]);
            hi[j] = hi[j].max(points[i][j]);
        }
    }
    let norm: Vec<Vec<f64>> = front
        .iter()
        .map(|&i| {
            (0..m)
                .map(|j| {
                    let range = hi[j] - lo[j];
                    if range > 0.0 {
                        (points[i][j] - lo[j]) / range
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let argmax = |score: &dyn Fn(&[f64]) -> f64| {
        let mut best = 0;
        let mut best_score = f64::NEG_INFINITY;
        for (pos, p) in norm.iter().enumerate() {
            let s = score(p);
            if s > best_score {
                best = pos;
                best_score = s;
            }
        }
        front[best]
    };
    if front.len() < 3 {
        return Some(argmax(&|p| -p.iter().map(|x| x * x).sum::<f64>()));
    }
    let extremes: Vec<Vec<f64>> = (0..m)
        .map(|i| {
            let key = |p: &Vec<f64>| (p[i], p.iter().sum::<f64>() - p[i]);
            norm.iter()
                .min_by(|a, b| {
                    let (ka, kb) = (key(a), key(b));
                    ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
                })
                .expect("front is not empty")
                .clone()
        })
        .collect();
    let w = solve(extremes, vec![1.0; m])
        .filter(|w| w.iter().all(|x| x.is_finite()))
        .unwrap_or_else(|| vec![1.0; m]);
    let norm_w = w.iter().map(|x| x * x).sum::<f64>().sqrt();
    // Signed distance from the plane, positive on the side of the origin.
    Some(argmax(&|p| {
        (1.0 - p.iter().zip(&w).map(|(x, wi)| x * wi).sum::<f64>()) / norm_w
    }))
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if `a` is
/// (numerically) singular: a pivot below 1e-10 times the largest entry.
pub(crate) fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = a.iter().flatten().fold(0.0, |m: f64, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-10 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn pts(v: &[&[f64]]) -> Vec<Vec<f64>> {
        v.iter().map(|p| p.to_vec()).collect()
    }

    /// Exact hypervolume by coordinate compression: the grid of all distinct coordinates
    /// (and the reference) splits space into cells; a cell is dominated iff its lower corner
    /// is weakly dominated by some point. Independent of the sweep and WFG code.
    fn grid_hypervolume(points: &[Vec<f64>], r: &[f64]) -> f64 {
        let m = r.len();
        let inside: Vec<&Vec<f64>> = points
            .iter()
            .filter(|p| p.iter().zip(r).all(|(x, r)| x < r))
            .collect();
        let axes: Vec<Vec<f64>> = (0..m)
            .map(|j| {
                let mut a: Vec<f64> = inside.iter().map(|p| p[j]).collect();
                a.push(r[j]);
                a.sort_by(f64::total_cmp);
                a.dedup();
                a
            })
            .collect();
        let mut idx = vec![0usize; m];
        let mut volume = 0.0;
        loop {
            if idx.iter().zip(&axes).all(|(&i, a)| i + 1 < a.len()) {
                let corner: Vec<f64> = idx.iter().zip(&axes).map(|(&i, a)| a[i]).collect();
                if inside
                    .iter()
                    .any(|p| p.iter().zip(&corner).all(|(x, c)| x <= c))
                {
                    volume += idx
                        .iter()
                        .zip(&axes)
                        .map(|(&i, a)| a[i + 1] - a[i])
                        .product::<f64>();
                }
            }
            // Odometer over the cells.
            let mut d = 0;
            loop {
                if d == m {
                    return volume;
                }
                idx[d] += 1;
                if idx[d] + 1 < axes[d].len() {
                    break;
                }
                idx[d] = 0;
                d += 1;
            }
        }
    }

    #[test]
    fn domination_needs_one_strict_improvement() {
        assert!(dominates(&[1.0, 2.0], &[1.0, 3.0]));
        assert!(!dominates(&[1.0, 2.0], &[1.0, 2.0]), "equal points");
        assert!(!dominates(&[1.0, 4.0], &[2.0, 3.0]), "trade-off");
        assert!(
            !dominates(&[f64::NAN, 1.0], &[0.0, 2.0]),
            "NaN is incomparable"
        );
    }

    #[test]
    fn sorts_into_fronts() {
        // (2,3) is dominated only by front-0 points; (3,3) also by (2,3); (4,4) by all.
        let p = pts(&[
            &[1.0, 3.0],
            &[2.0, 2.0],
            &[3.0, 1.0],
            &[2.0, 3.0],
            &[3.0, 3.0],
            &[4.0, 4.0],
        ]);
        assert_eq!(
            nondominated_sort(&p),
            vec![vec![0, 1, 2], vec![3], vec![4], vec![5]]
        );
        assert_eq!(front(&p), vec![0, 1, 2]);
    }

    #[test]
    fn front_keeps_identical_points_once() {
        let p = pts(&[&[2.0, 0.0], &[1.0, 1.0], &[1.0, 1.0], &[1.0, 2.0]]);
        assert_eq!(front(&p), vec![0, 1]);
        let p3 = pts(&[&[1.0, 1.0, 1.0], &[0.0, 2.0, 1.0], &[1.0, 1.0, 1.0]]);
        assert_eq!(front(&p3), vec![0, 1]);
    }

    #[test]
    fn crowding_distance_by_hand() {
        // Ranges 4 and 4. (1,2): neighbours (0,4),(3,1) in f1: 3/4; (3,1),(0,4) in f2: 3/4.
        // (3,1): (1,2),(4,0) in f1: 3/4; (4,0),(1,2) in f2: 2/4.
        let p = pts(&[&[3.0, 1.0], &[0.0, 4.0], &[4.0, 0.0], &[1.0, 2.0]]);
        let d = crowding_distance(&p, &[0, 1, 2, 3]);
        assert!((d[0] - 1.25).abs() < 1e-12, "{d:?}");
        assert!(d[1].is_infinite() && d[2].is_infinite());
        assert!((d[3] - 1.5).abs() < 1e-12, "{d:?}");
        assert!(crowding_distance(&p, &[0, 3])
            .iter()
            .all(|d| d.is_infinite()));
    }

    #[test]
    fn hypervolume_2d_staircase() {
        // Boxes to (4,4): [1,4]x[3,4] = 3, then [2,4]x[2,3] = 2, then [3,4]x[1,2] = 1.
        let p = pts(&[&[2.0, 2.0], &[1.0, 3.0], &[3.0, 1.0]]);
        assert!((hypervolume(&p, &[4.0, 4.0]) - 6.0).abs() < 1e-12);
        // Points on or beyond the reference, and dominated points, change nothing.
        let mut q = p.clone();
        q.extend(pts(&[&[4.0, 0.0], &[5.0, -1.0], &[3.0, 3.0]]));
        assert!((hypervolume(&q, &[4.0, 4.0]) - 6.0).abs() < 1e-12);
        assert_eq!(hypervolume(&[], &[1.0, 1.0]), 0.0);
        // 1-D: reference minus the best value.
        assert!((hypervolume(&pts(&[&[0.5], &[0.25]]), &[1.0]) - 0.75).abs() < 1e-12);
    }

    #[test]
    fn hypervolume_of_unit_corners_misses_one_cube() {
        // Points e_i (a 1 in coordinate i, 0 elsewhere) with reference (2,..,2): a point of
        // [0,2]^m is undominated iff every coordinate is < 1, so HV = 2^m - 1.
        for m in 2..=6 {
            let p: Vec<Vec<f64>> = (0..m)
                .map(|i| (0..m).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                .collect();
            let hv = hypervolume(&p, &vec![2.0; m]);
            let want = 2f64.powi(m as i32) - 1.0;
            assert!((hv - want).abs() < 1e-9, "m={m}: {hv} vs {want}");
        }
        // One box: 1 * 2 * 3 = 6.
        assert!((hypervolume(&pts(&[&[1.0, 1.0, 1.0]]), &[2.0, 3.0, 4.0]) - 6.0).abs() < 1e-12);
    }

    #[test]
    fn hypervolume_matches_grid_count_in_3_to_5_d() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for trial in 0..60 {
            let m = 3 + trial % 3;
            let n = 1 + trial % 9;
            // Coordinates on a coarse lattice so ties and shared values occur.
            let p: Vec<Vec<f64>> = (0..n)
                .map(|_| (0..m).map(|_| rng.gen_range(0..6) as f64 / 4.0).collect())
                .collect();
            let r = vec![1.2; m];
            let (fast, slow) = (hypervolume(&p, &r), grid_hypervolume(&p, &r));
            assert!(
                (fast - slow).abs() < 1e-9,
                "m={m} n={n}: {fast} vs {slow} {p:?}"
            );
        }
    }

    #[test]
    fn normalized_hypervolume_by_hand() {
        // The ideal itself: (1.1^2) / 1.1^2 = 1.
        assert!(
            (normalized_hypervolume(&pts(&[&[2.0, 5.0]]), &[2.0, 5.0], &[3.0, 7.0], 1.1) - 1.0)
                .abs()
                < 1e-12
        );
        // (2,7) and (3,5) normalise to (0,1) and (1,0): 1.1*0.1 + 0.1*1.0 = 0.21, / 1.21.
        let hv = normalized_hypervolume(
            &pts(&[&[2.0, 7.0], &[3.0, 5.0]]),
            &[2.0, 5.0],
            &[3.0, 7.0],
            1.1,
        );
        assert!((hv - 0.21 / 1.21).abs() < 1e-12, "{hv}");
    }

    #[test]
    fn knee_of_a_convex_front() {
        // Ranges 10 and 10: (0,1), (0.1,0.2), (0.3,0.1), (1,0); distance to x + y = 1 is
        // (1 - x - y)/sqrt(2): 0, 0.7, 0.6, 0 over sqrt(2): the knee is (1,2).
        let p = pts(&[&[0.0, 10.0], &[3.0, 1.0], &[1.0, 2.0], &[10.0, 0.0]]);
        assert_eq!(knee(&p, &[0, 1, 2, 3]), Some(2));
        // Two points: the one closer to the normalised ideal (tie: the first).
        assert_eq!(knee(&p, &[3, 0]), Some(3));
        assert_eq!(knee(&p, &[]), None);
    }

    #[test]
    fn knee_in_3d_uses_the_plane_through_extremes() {
        // Extremes (0,1,1), (1,0,1), (1,1,0) span the plane x+y+z = 2, w = (1/2,1/2,1/2);
        // distances (1 - sum/2)/|w|: (0.5,0.5,0.5) -> 0.25/0.866, (0.6,0.6,0.2) -> 0.3/0.866.
        let p = pts(&[
            &[0.0, 1.0, 1.0],
            &[1.0, 0.0, 1.0],
            &[1.0, 1.0, 0.0],
            &[0.5, 0.5, 0.5],
            &[0.6, 0.6, 0.2],
        ]);
        assert_eq!(knee(&p, &[0, 1, 2, 3, 4]), Some(4));
    }

    fn point_set(m: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
        prop::collection::vec(prop::collection::vec(0u8..8, m), 1..12).prop_map(|v| {
            v.into_iter()
                .map(|p| p.into_iter().map(|x| f64::from(x) / 8.0).collect())
                .collect()
        })
    }

    proptest! {
        #[test]
        fn no_front_point_dominates_another(p in (2usize..5).prop_flat_map(point_set)) {
            let f = front(&p);
            for &a in &f {
                for &b in &f {
                    prop_assert!(!dominates(&p[a], &p[b]));
                    prop_assert!(a == b || p[a] != p[b], "duplicates kept once");
                }
            }
            // Every other point is dominated by or equal to a front point.
            for i in 0..p.len() {
                prop_assert!(f.iter().any(|&k| p[k] == p[i] || dominates(&p[k], &p[i])));
            }
            let first = &nondominated_sort(&p)[0];
            prop_assert!(f.iter().all(|i| first.contains(i)));
        }

        #[test]
        fn fronts_partition_and_layer(p in (2usize..4).prop_flat_map(point_set)) {
            let fronts = nondominated_sort(&p);
            let mut all: Vec<usize> = fronts.concat();
            all.sort_unstable();
            prop_assert_eq!(all, (0..p.len()).collect::<Vec<_>>());
            for k in 1..fronts.len() {
                for &i in &fronts[k] {
                    prop_assert!(fronts[k - 1].iter().any(|&j| dominates(&p[j], &p[i])));
                }
            }
        }

        #[test]
        fn adding_a_point_never_lowers_hypervolume(
            (p, q) in (2usize..6).prop_flat_map(|m| (point_set(m), prop::collection::vec(0u8..10, m)))
        ) {
            let r = vec![1.0; p[0].len()];
            let before = hypervolume(&p, &r);
            let mut more = p.clone();
            more.push(q.iter().map(|&x| f64::from(x) / 8.0).collect());
            prop_assert!(hypervolume(&more, &r) >= before - 1e-12);
        }

        #[test]
        fn hypervolume_ignores_order_and_duplicates(
            (p, seed) in ((2usize..6).prop_flat_map(point_set), any::<u64>())
        ) {
            let r = vec![1.0; p[0].len()];
            let hv = hypervolume(&p, &r);
            let mut shuffled = p.clone();
            shuffled.extend(p.iter().take(3).cloned());
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, rng.gen_range(0..=i));
            }
            prop_assert!((hypervolume(&shuffled, &r) - hv).abs() < 1e-12);
            prop_assert!((grid_hypervolume(&p, &r) - hv).abs() < 1e-9);
        }
    }
}
