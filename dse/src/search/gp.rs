//! Gaussian-process regression on the mixed gene space, the surrogate of [`super::bayes`].
//!
//! Inputs are [`DesignSpace::unit`](crate::space::DesignSpace::unit) vectors: ordinal and real
//! genes as values in `[0, 1]` ("continuous" columns), categorical genes as category indices.
//! The kernel is a product (Rasmussen & Williams 2006, eq. 4.17 and section 4.2.5):
//!
//! ```text
//! k(a, b) = sf2 * (1 + sqrt(5) r + 5/3 r^2) exp(-sqrt(5) r) * exp(-sum_c theta_c [a_c != b_c])
//! r^2     = sum_j (a_j - b_j)^2 / l_j^2          (continuous columns, ARD Matérn-5/2)
//! ```
//!
//! with a constant mean (profiled out by generalised least squares) and Gaussian noise
//! `NOISE_FLOOR + exp(u)`. Outputs are standardised before fitting. Hyperparameters
//! `[ln l_j.., ln theta_c.., ln sf2, u]` maximise the marginal likelihood (R&W eq. 5.8, gradient
//! eq. 5.9) plus weak log-normal priors: lengthscales centred on `sqrt(2) + ln(d)/2` with
//! standard deviation `sqrt(3)`, the dimension-scaled prior of Hvarfner, Hellsten & Nardi,
//! "Vanilla Bayesian optimization performs great in high dimensions" (ICML 2024), which keeps
//! 30-variable problems with a few dozen points from overfitting. The optimiser is argmin's
//! L-BFGS with More-Thuente line search on the log parameters, from several starts.

use std::cell::RefCell;

use argmin::core::{CostFunction, Error, Executor, Gradient};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

/// Lower bound of the noise variance, in standardised output units.
pub const NOISE_FLOOR: f64 = 1e-6;

const SQRT5: f64 = 2.236_067_977_499_79;

/// Which input columns are continuous (in `[0, 1]`) and which categorical (indices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Ordinal and real columns.
    pub cont: Vec<usize>,
    /// Categorical columns.
    pub cat: Vec<usize>,
}

impl Layout {
    /// Number of hyperparameters: one lengthscale per continuous column, one weight per
    /// categorical column, signal variance, noise.
    pub fn n_params(&self) -> usize {
        self.cont.len() + self.cat.len() + 2
    }

    /// Centre of the prior on the log hyperparameters (also the default start).
    pub fn prior_mean(&self) -> Vec<f64> {
        let d = (self.cont.len() + self.cat.len()).max(1) as f64;
        let mut p = vec![std::f64::consts::SQRT_2 + 0.5 * d.ln(); self.cont.len()];
        p.extend(std::iter::repeat(0.0).take(self.cat.len()));
        p.push(0.0);
        p.push(NOISE_PRIOR_MEAN);
        p
    }

    /// Standard deviation of the prior on log hyperparameter `k`.
    pub fn prior_sd(&self, k: usize) -> f64 {
        let (nc, nk) = (self.cont.len(), self.cat.len());
        if k < nc {
            3f64.sqrt()
        } else if k < nc + nk {
            1.5
        } else if k == nc + nk {
            1.5
        } else {
            3.0
        }
    }

    /// Box outside which a steep penalty applies (keeps exp() finite and K well conditioned).
    fn bounds(&self, k: usize) -> (f64, f64) {
        let (nc, nk) = (self.cont.len(), self.cat.len());
        if k < nc {
            (1e-2f64.ln(), 1e3f64.ln())
        } else if k < nc + nk {
            (1e-3f64.ln(), 1e2f64.ln())
        } else if k == nc + nk {
            (1e-3f64.ln(), 1e3f64.ln())
        } else {
            (1e-9f64.ln(), 0.0)
        }
    }
}

/// ln(noise - floor) at the prior's centre: 1e-4 of the output variance.
const NOISE_PRIOR_MEAN: f64 = -9.21;

/// Kernel parameters in natural units.
#[derive(Debug, Clone)]
struct Kern {
    /// `1 / l_j^2` per continuous column.
    inv_l2: Vec<f64>,
    /// `theta_c` per categorical column.
    theta: Vec<f64>,
    sf2: f64,
    noise: f64,
}

impl Kern {
    fn new(layout: &Layout, p: &[f64]) -> Self {
        let nc = layout.cont.len();
        let nk = layout.cat.len();
        Kern {
            inv_l2: p[..nc].iter().map(|l| (-2.0 * l).exp()).collect(),
            theta: p[nc..nc + nk].iter().map(|t| t.exp()).collect(),
            sf2: p[nc + nk].exp(),
            noise: NOISE_FLOOR + p[nc + nk + 1].exp(),
        }
    }
}

/// Matérn-5/2 shape at squared scaled distance `r2`: `(value, g)` with `value` the kernel
/// factor and `g = 5/3 (1 + sqrt(5) r) exp(-sqrt(5) r)`, so that `d value / d(r^2) = -g / 2`.
#[inline]
fn matern52(r2: f64) -> (f64, f64) {
    let r = r2.sqrt();
    let e = (-SQRT5 * r).exp();
    ((1.0 + SQRT5 * r + 5.0 / 3.0 * r2) * e, 5.0 / 3.0 * (1.0 + SQRT5 * r) * e)
}

/// In-place Cholesky of a symmetric positive-definite matrix stored as lower rows (row `i`
/// holds columns `0..=i`). Returns false if the matrix is not positive definite.
fn cholesky(a: &mut [Vec<f64>]) -> bool {
    for i in 0..a.len() {
        let (head, tail) = a.split_at_mut(i);
        let row = &mut tail[0];
        for j in 0..=i {
            let s = row[j] - dot(&row[..j], if j < i { &head[j][..j] } else { &row[..j] });
            if j == i {
                if s <= 0.0 || !s.is_finite() {
                    return false;
                }
                row[i] = s.sqrt();
            } else {
                row[j] = s / head[j][j];
            }
        }
    }
    true
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solves `L v = b` for lower-triangular `L` (rows).
fn solve_lower(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let mut v = Vec::with_capacity(b.len());
    for (i, row) in l.iter().enumerate() {
        let s = b[i] - dot(&row[..i], &v);
        v.push(s / row[i]);
    }
    v
}

/// Solves `L^T w = v` for lower-triangular `L` (rows).
fn solve_upper(l: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    let mut v = v.to_vec();
    let mut w = vec![0.0; v.len()];
    for i in (0..l.len()).rev() {
        let wi = v[i] / l[i][i];
        w[i] = wi;
        for (vk, lik) in v[..i].iter_mut().zip(&l[i][..i]) {
            *vk -= lik * wi;
        }
    }
    w
}

/// Factorises `K + jitter`, raising the jitter until it succeeds.
fn factor(k: &[Vec<f64>], sf2: f64) -> Option<Vec<Vec<f64>>> {
    for jitter in [0.0, 1e-10, 1e-8, 1e-6, 1e-4] {
        let mut l = k.to_vec();
        for (i, row) in l.iter_mut().enumerate() {
            row[i] += jitter * sf2;
        }
        if cholesky(&mut l) {
            return Some(l);
        }
    }
    None
}

/// Per-pair differences of the training inputs, computed once per fit.
struct Pairs {
    n: usize,
    /// `(a_j - b_j)^2` per pair (row-major, pair `i*(i-1)/2 + j` for `j < i`), per cont column.
    sq: Vec<f64>,
    /// `[a_c != b_c]` per pair and categorical column.
    mis: Vec<f64>,
}

impl Pairs {
    fn new(layout: &Layout, x: &[Vec<f64>]) -> Self {
        let n = x.len();
        let np = n * n.saturating_sub(1) / 2;
        let mut sq = Vec::with_capacity(np * layout.cont.len());
        let mut mis = Vec::with_capacity(np * layout.cat.len());
        for i in 0..n {
            for j in 0..i {
                sq.extend(layout.cont.iter().map(|&c| (x[i][c] - x[j][c]).powi(2)));
                mis.extend(
                    layout
                        .cat
                        .iter()
                        .map(|&c| f64::from(u8::from(x[i][c] != x[j][c]))),
                );
            }
        }
        Pairs { n, sq, mis }
    }
}

/// Negative log marginal likelihood plus negative log prior, with its gradient.
struct Nlml<'a> {
    layout: &'a Layout,
    pairs: Pairs,
    y: &'a [f64],
    prior: Vec<f64>,
    /// Last evaluation (argmin asks for cost and gradient separately).
    cache: RefCell<Option<(Vec<f64>, f64, Vec<f64>)>>,
    /// Best parameters seen (line searches may fail; the best point survives).
    best: RefCell<(f64, Vec<f64>)>,
}

impl<'a> Nlml<'a> {
    fn new(layout: &'a Layout, x: &[Vec<f64>], y: &'a [f64]) -> Self {
        Nlml {
            layout,
            pairs: Pairs::new(layout, x),
            y,
            prior: layout.prior_mean(),
            cache: RefCell::new(None),
            best: RefCell::new((f64::INFINITY, Vec::new())),
        }
    }

    fn eval(&self, p: &[f64]) -> (f64, Vec<f64>) {
        if let Some((q, f, g)) = self.cache.borrow().as_ref() {
            if q.as_slice() == p {
                return (*f, g.clone());
            }
        }
        let (f, g) = self.compute(p);
        let mut best = self.best.borrow_mut();
        if f < best.0 {
            *best = (f, p.to_vec());
        }
        *self.cache.borrow_mut() = Some((p.to_vec(), f, g.clone()));
        (f, g)
    }

    /// Prior and box penalty: value and gradient added to the likelihood terms.
    fn penalty(&self, p: &[f64], g: &mut [f64]) -> f64 {
        let mut f = 0.0;
        for (k, (&pk, gk)) in p.iter().zip(g.iter_mut()).enumerate() {
            let sd = self.layout.prior_sd(k);
            let z = (pk - self.prior[k]) / sd;
            f += 0.5 * z * z;
            *gk += z / sd;
            let (lo, hi) = self.layout.bounds(k);
            let out = if pk < lo {
                pk - lo
            } else if pk > hi {
                pk - hi
            } else {
                0.0
            };
            f += 50.0 * out * out;
            *gk += 100.0 * out;
        }
        f
    }

    fn compute(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let layout = self.layout;
        let (nc, nk) = (layout.cont.len(), layout.cat.len());
        let mut g = vec![0.0; p.len()];
        let pen = self.penalty(p, &mut g);
        // Evaluate the likelihood at the clamped point: the penalty pulls the optimiser back.
        let pc: Vec<f64> = p
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let (lo, hi) = layout.bounds(k);
                v.clamp(lo - 2.0, hi + 2.0)
            })
            .collect();
        let kern = Kern::new(layout, &pc);
        let n = self.pairs.n;
        let np = n * n.saturating_sub(1) / 2;
        let mut kf = Vec::with_capacity(np);
        let mut gf = Vec::with_capacity(np);
        let mut k: Vec<Vec<f64>> = Vec::with_capacity(n);
        let mut pidx = 0;
        for i in 0..n {
            let mut row = Vec::with_capacity(i + 1);
            for _ in 0..i {
                let sq = &self.pairs.sq[pidx * nc..(pidx + 1) * nc];
                let r2 = dot(sq, &kern.inv_l2);
                let mis = &self.pairs.mis[pidx * nk..(pidx + 1) * nk];
                let h = (-dot(mis, &kern.theta)).exp();
                let (m, gm) = matern52(r2);
                let v = kern.sf2 * h * m;
                kf.push(v);
                gf.push(kern.sf2 * h * gm);
                row.push(v);
                pidx += 1;
            }
            row.push(kern.sf2 + kern.noise);
            k.push(row);
        }
        let Some(l) = factor(&k, kern.sf2) else {
            return (1e30, g);
        };
        let ones = vec![1.0; n];
        let kinv_y = solve_upper(&l, &solve_lower(&l, self.y));
        let kinv_1 = solve_upper(&l, &solve_lower(&l, &ones));
        let mean = kinv_y.iter().sum::<f64>() / kinv_1.iter().sum::<f64>();
        let alpha: Vec<f64> = kinv_y.iter().zip(&kinv_1).map(|(a, b)| a - mean * b).collect();
        let resid: f64 = self.y.iter().zip(&alpha).map(|(y, a)| (y - mean) * a).sum();
        let logdet: f64 = l.iter().enumerate().map(|(i, r)| r[i].ln()).sum();
        let f = 0.5 * resid + logdet + 0.5 * n as f64 * (2.0 * std::f64::consts::PI).ln() + pen;

        // K^-1 = L^-T L^-1, from the rows of L^-1 (R&W algorithm 2.1 and eq. 5.9).
        let mut linv: Vec<Vec<f64>> = Vec::with_capacity(n);
        for i in 0..n {
            let mut row = vec![0.0; i + 1];
            for kk in 0..i {
                let lik = l[i][kk];
                for (r, v) in row[..=kk].iter_mut().zip(&linv[kk]) {
                    *r -= lik * v;
                }
            }
            let d = 1.0 / l[i][i];
            for r in &mut row[..i] {
                *r *= d;
            }
            row[i] = d;
            linv.push(row);
        }
        let mut kinv: Vec<Vec<f64>> = (0..n).map(|i| vec![0.0; i + 1]).collect();
        for row in &linv {
            for (i, &ri) in row.iter().enumerate() {
                for (kij, rj) in kinv[i].iter_mut().zip(&row[..=i]) {
                    *kij += ri * rj;
                }
            }
        }
        // dlogp/dp = 1/2 tr(W dK/dp), W = alpha alpha^T - K^-1; the NLML gradient is minus that.
        let mut gl = vec![0.0; nc];
        let mut gt = vec![0.0; nk];
        let mut gsf = 0.0;
        let mut gn = 0.0;
        let mut pidx = 0;
        for i in 0..n {
            for j in 0..i {
                let w = alpha[i] * alpha[j] - kinv[i][j];
                let a = w * gf[pidx];
                for (gd, sq) in gl.iter_mut().zip(&self.pairs.sq[pidx * nc..(pidx + 1) * nc]) {
                    *gd += a * sq;
                }
                let b = w * kf[pidx];
                for (gc, mis) in gt.iter_mut().zip(&self.pairs.mis[pidx * nk..(pidx + 1) * nk]) {
                    *gc -= b * mis;
                }
                gsf += b;
                pidx += 1;
            }
            let wii = alpha[i] * alpha[i] - kinv[i][i];
            gsf += 0.5 * wii * kern.sf2;
            gn += 0.5 * wii * (kern.noise - NOISE_FLOOR);
        }
        // d k / d ln l_j = sf2 h g (a_j - b_j)^2 / l_j^2; d k / d ln theta_c = -k theta_c [a_c != b_c].
        for (d, gd) in gl.iter().enumerate() {
            g[d] -= gd * kern.inv_l2[d];
        }
        for (c, gc) in gt.iter().enumerate() {
            g[nc + c] -= gc * kern.theta[c];
        }
        g[nc + nk] -= gsf;
        g[nc + nk + 1] -= gn;
        (f, g)
    }
}

/// argmin's view of [`Nlml`] (by reference, so the best point survives a failed run).
struct Objective<'a, 'b>(&'b Nlml<'a>);

impl CostFunction for Objective<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.0.eval(p).0)
    }
}

impl Gradient for Objective<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.0.eval(p).1)
    }
}

/// Standardises outputs: `(mean, sd, standardised)`; a constant output gets `sd = 1`.
fn standardise(y: &[f64]) -> (f64, f64, Vec<f64>) {
    let n = y.len().max(1) as f64;
    let mean = y.iter().sum::<f64>() / n;
    let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let sd = if var > 1e-300 { var.sqrt() } else { 1.0 };
    (mean, sd, y.iter().map(|v| (v - mean) / sd).collect())
}

/// Fits hyperparameters to `(x, y)` by L-BFGS from each start (at most `max_iters`
/// iterations each); returns the best parameters found.
pub fn fit(
    layout: &Layout,
    x: &[Vec<f64>],
    y: &[f64],
    starts: &[Vec<f64>],
    max_iters: u64,
) -> Vec<f64> {
    let (_, _, ys) = standardise(y);
    let nlml = Nlml::new(layout, x, &ys);
    for start in starts {
        nlml.eval(start);
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
            .with_tolerance_grad(1e-5)
            .and_then(|s| s.with_tolerance_cost(1e-9));
        let Ok(solver) = solver else { continue };
        // Failures (a line search that cannot progress) leave the best point in `nlml.best`.
        let _ = Executor::new(Objective(&nlml), solver)
            .configure(|state| state.param(start.clone()).max_iters(max_iters))
            .ctrlc(false)
            .timer(false)
            .run();
    }
    let best = nlml.best.into_inner();
    if best.1.is_empty() {
        layout.prior_mean()
    } else {
        best.1
    }
}

/// A Gaussian process conditioned on data, with fixed hyperparameters.
#[derive(Debug, Clone)]
pub struct Gp {
    layout: Layout,
    kern: Kern,
    x: Vec<Vec<f64>>,
    /// Standardised outputs (fantasies included).
    y: Vec<f64>,
    y_mean: f64,
    y_sd: f64,
    /// Constant prior mean, standardised units.
    mean: f64,
    /// Cholesky factor of `K + noise I` (rows).
    chol: Vec<Vec<f64>>,
    /// `K^-1 (y - mean)`.
    alpha: Vec<f64>,
}

impl Gp {
    /// Conditions the process with hyperparameters `params` on `(x, y)`.
    pub fn new(layout: &Layout, x: Vec<Vec<f64>>, y: &[f64], params: &[f64]) -> Gp {
        let (y_mean, y_sd, ys) = standardise(y);
        let kern = Kern::new(layout, params);
        let mut gp = Gp {
            layout: layout.clone(),
            kern,
            x: Vec::new(),
            y: ys,
            y_mean,
            y_sd,
            mean: 0.0,
            chol: Vec::new(),
            alpha: Vec::new(),
        };
        let k: Vec<Vec<f64>> = x
            .iter()
            .enumerate()
            .map(|(i, xi)| {
                let mut row: Vec<f64> = x[..i].iter().map(|xj| gp.k(xi, xj)).collect();
                row.push(gp.kern.sf2 + gp.kern.noise);
                row
            })
            .collect();
        gp.x = x;
        gp.chol = factor(&k, gp.kern.sf2).unwrap_or_else(|| {
            // Unreachable in practice (noise >= 1e-6 sf2 after jitter); fall back to a
            // diagonal model rather than panic.
            k.iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut row = vec![0.0; i + 1];
                    row[i] = r[i].sqrt();
                    row
                })
                .collect()
        });
        let n = gp.x.len();
        let ones = vec![1.0; n];
        let kinv_y = gp.solve(&gp.y);
        let kinv_1 = gp.solve(&ones);
        let denom: f64 = kinv_1.iter().sum();
        gp.mean = if denom > 0.0 {
            kinv_y.iter().sum::<f64>() / denom
        } else {
            0.0
        };
        gp.refresh_alpha();
        gp
    }

    fn solve(&self, b: &[f64]) -> Vec<f64> {
        solve_upper(&self.chol, &solve_lower(&self.chol, b))
    }

    fn refresh_alpha(&mut self) {
        let r: Vec<f64> = self.y.iter().map(|y| y - self.mean).collect();
        self.alpha = self.solve(&r);
    }

    /// Kernel between two inputs (noise-free).
    fn k(&self, a: &[f64], b: &[f64]) -> f64 {
        let r2: f64 = self
            .layout
            .cont
            .iter()
            .zip(&self.kern.inv_l2)
            .map(|(&c, il)| (a[c] - b[c]).powi(2) * il)
            .sum();
        let h: f64 = self
            .layout
            .cat
            .iter()
            .zip(&self.kern.theta)
            .map(|(&c, t)| if a[c] != b[c] { *t } else { 0.0 })
            .sum();
        self.kern.sf2 * (-h).exp() * matern52(r2).0
    }

    /// Number of conditioning points (fantasies included).
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether the process has no data.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Posterior mean and variance of the latent function at `x`, in output units.
    pub fn predict(&self, x: &[f64]) -> (f64, f64) {
        let ks: Vec<f64> = self.x.iter().map(|xi| self.k(x, xi)).collect();
        let mu = self.mean + dot(&ks, &self.alpha);
        let v = solve_lower(&self.chol, &ks);
        let var = (self.kern.sf2 - dot(&v, &v)).max(1e-12 * self.kern.sf2);
        (self.y_mean + self.y_sd * mu, self.y_sd * self.y_sd * var)
    }

    /// Mean and variance as [`Gp::predict`], with their gradients with respect to `x`
    /// (zero in categorical columns).
    pub fn predict_grad(&self, x: &[f64]) -> (f64, f64, Vec<f64>, Vec<f64>) {
        let nc = self.layout.cont.len();
        let n = self.x.len();
        let mut ks = Vec::with_capacity(n);
        // d k / d x_j = -sf2 h g (x_j - xi_j) / l_j^2 with g from `matern52`.
        let mut dk = Vec::with_capacity(n * nc);
        for xi in &self.x {
            let mut r2 = 0.0;
            for (&c, il) in self.layout.cont.iter().zip(&self.kern.inv_l2) {
                r2 += (x[c] - xi[c]).powi(2) * il;
            }
            let h: f64 = self
                .layout
                .cat
                .iter()
                .zip(&self.kern.theta)
                .map(|(&c, t)| if x[c] != xi[c] { *t } else { 0.0 })
                .sum();
            let (m, g) = matern52(r2);
            let s = self.kern.sf2 * (-h).exp();
            ks.push(s * m);
            for (&c, il) in self.layout.cont.iter().zip(&self.kern.inv_l2) {
                dk.push(-s * g * (x[c] - xi[c]) * il);
            }
        }
        let mu = self.mean + dot(&ks, &self.alpha);
        let v = solve_lower(&self.chol, &ks);
        let var_raw = self.kern.sf2 - dot(&v, &v);
        let w = solve_upper(&self.chol, &v);
        let mut dmu = vec![0.0; x.len()];
        let mut dvar = vec![0.0; x.len()];
        for i in 0..n {
            let row = &dk[i * nc..(i + 1) * nc];
            for ((&c, d), _) in self.layout.cont.iter().zip(row).zip(0..) {
                dmu[c] += self.alpha[i] * d;
                dvar[c] -= 2.0 * w[i] * d;
            }
        }
        let floor = 1e-12 * self.kern.sf2;
        let var = if var_raw > floor {
            var_raw
        } else {
            dvar.iter_mut().for_each(|d| *d = 0.0);
            floor
        };
        let s2 = self.y_sd * self.y_sd;
        dmu.iter_mut().for_each(|d| *d *= self.y_sd);
        dvar.iter_mut().for_each(|d| *d *= s2);
        (self.y_mean + self.y_sd * mu, s2 * var, dmu, dvar)
    }

    /// Adds an observation `y` (output units) at `x` without refitting anything: a rank-one
    /// extension of the Cholesky factor, `O(n^2)`. Used for Kriging-believer fantasies.
    pub fn add(&mut self, x: Vec<f64>, y: f64) {
        let ks: Vec<f64> = self.x.iter().map(|xi| self.k(&x, xi)).collect();
        let mut row = solve_lower(&self.chol, &ks);
        let d2 = self.kern.sf2 + self.kern.noise - dot(&row, &row);
        row.push(d2.max(1e-12 * self.kern.sf2).sqrt());
        self.chol.push(row);
        self.x.push(x);
        self.y.push((y - self.y_mean) / self.y_sd);
        self.refresh_alpha();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(nc: usize) -> Layout {
        Layout {
            cont: (0..nc).collect(),
            cat: vec![],
        }
    }

    #[test]
    fn cholesky_of_a_known_matrix() {
        // [[4, 2], [2, 5]] = L L^T with L = [[2, 0], [1, 2]].
        let mut a = vec![vec![4.0], vec![2.0, 5.0]];
        assert!(cholesky(&mut a));
        assert!((a[0][0] - 2.0).abs() < 1e-12);
        assert!((a[1][0] - 1.0).abs() < 1e-12);
        assert!((a[1][1] - 2.0).abs() < 1e-12);
        // L L^T x = b with b = (8, 9): x = (1.5, 1.2).
        let x = solve_upper(&a, &solve_lower(&a, &[8.0, 9.0]));
        assert!((x[0] - 1.5).abs() < 1e-12 && (x[1] - 1.2).abs() < 1e-12, "{x:?}");
    }

    #[test]
    fn likelihood_gradient_matches_finite_differences() {
        let lay = Layout {
            cont: vec![0, 1],
            cat: vec![2],
        };
        let x: Vec<Vec<f64>> = (0..12)
            .map(|i| {
                let t = i as f64 / 11.0;
                vec![t, (3.0 * t).sin().abs(), (i % 3) as f64]
            })
            .collect();
        let y: Vec<f64> = x.iter().map(|v| v[0].sin() + v[1] * v[2]).collect();
        let (_, _, ys) = standardise(&y);
        let nlml = Nlml::new(&lay, &x, &ys);
        let p = vec![-0.7, 0.3, -0.2, 0.4, -5.0];
        let (_, g) = nlml.compute(&p);
        for k in 0..p.len() {
            let h = 1e-5;
            let mut a = p.clone();
            let mut b = p.clone();
            a[k] += h;
            b[k] -= h;
            let fd = (nlml.compute(&a).0 - nlml.compute(&b).0) / (2.0 * h);
            assert!((fd - g[k]).abs() < 1e-4 * (1.0 + fd.abs()), "param {k}: {fd} vs {}", g[k]);
        }
    }

    #[test]
    fn interpolates_a_smooth_function_after_fitting() {
        // sin(2 pi x) from 15 points on [0, 1]: error at the midpoints well under 0.05.
        let lay = layout(1);
        let x: Vec<Vec<f64>> = (0..15).map(|i| vec![i as f64 / 14.0]).collect();
        let y: Vec<f64> = x.iter().map(|v| (2.0 * std::f64::consts::PI * v[0]).sin()).collect();
        let p = fit(&lay, &x, &y, &[lay.prior_mean()], 100);
        let gp = Gp::new(&lay, x, &y, &p);
        for i in 0..14 {
            let t = (i as f64 + 0.5) / 14.0;
            let (mu, var) = gp.predict(&[t]);
            let truth = (2.0 * std::f64::consts::PI * t).sin();
            assert!((mu - truth).abs() < 0.05, "x={t}: {mu} vs {truth}");
            assert!(var < 0.05, "{var}");
        }
    }

    #[test]
    fn prediction_gradient_matches_finite_differences() {
        let lay = Layout {
            cont: vec![0, 2],
            cat: vec![1],
        };
        let x: Vec<Vec<f64>> = (0..10)
            .map(|i| {
                let t = i as f64 / 9.0;
                vec![t, (i % 2) as f64, 1.0 - t * t]
            })
            .collect();
        let y: Vec<f64> = x.iter().map(|v| v[0] * 3.0 - v[2] + v[1]).collect();
        let gp = Gp::new(&lay, x, &y, &[-1.0, -0.5, 0.0, 0.0, -8.0]);
        let at = vec![0.37, 1.0, 0.52];
        let (_, _, dmu, dvar) = gp.predict_grad(&at);
        for c in [0, 2] {
            let h = 1e-6;
            let mut a = at.clone();
            let mut b = at.clone();
            a[c] += h;
            b[c] -= h;
            let (ma, va) = gp.predict(&a);
            let (mb, vb) = gp.predict(&b);
            assert!(((ma - mb) / (2.0 * h) - dmu[c]).abs() < 1e-5, "dmu[{c}]");
            assert!(((va - vb) / (2.0 * h) - dvar[c]).abs() < 1e-5, "dvar[{c}]");
        }
        assert_eq!(dmu[1], 0.0);
    }

    #[test]
    fn fantasy_at_the_mean_keeps_the_mean_and_shrinks_the_variance() {
        let lay = layout(1);
        let x: Vec<Vec<f64>> = (0..6).map(|i| vec![i as f64 / 5.0]).collect();
        let y: Vec<f64> = x.iter().map(|v| v[0] * v[0]).collect();
        let mut gp = Gp::new(&lay, x, &y, &[-1.0, 0.0, -10.0]);
        let (mu, var) = gp.predict(&[0.55]);
        gp.add(vec![0.55], mu);
        let (mu2, var2) = gp.predict(&[0.55]);
        assert!((mu - mu2).abs() < 1e-6, "{mu} vs {mu2}");
        assert!(var2 < 0.1 * var, "{var} -> {var2}");
        assert_eq!(gp.len(), 7);
    }
}
