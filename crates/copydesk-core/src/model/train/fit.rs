//! Fitting one model: the balanced, L2-regularised log loss over sparse rows, minimised
//! by limited-memory BFGS.

use super::Rows;

/// The training examples a fit chooses from.
pub(super) struct Data<'a> {
    /// Rows over compressed feature indices.
    pub rows: &'a Rows,
    pub labels: &'a [bool],
    pub weights: &'a [f32],
    /// Number of distinct features (the bias is coordinate `dims`).
    pub dims: usize,
}

/// Bias plus weights · row, for `x` = weights then bias.
pub(super) fn margin(x: &[f64], row: &[(u32, f32)]) -> f64 {
    x[x.len() - 1]
        + row
            .iter()
            .map(|&(j, v)| x[j as usize] * f64::from(v))
            .sum::<f64>()
}

/// Minimises the balanced, L2-regularised log loss over the examples `idx` of `data`.
/// Returns the weights (compressed indices) followed by the bias; `start` is a warm start.
pub(super) fn fit(
    data: &Data<'_>,
    idx: &[usize],
    lambda: f64,
    max_iterations: usize,
    start: Option<Vec<f64>>,
) -> Vec<f64> {
    // Balanced weights: each class carries half the total, mean weight 1.
    let (mut pos, mut neg) = (0.0f64, 0.0f64);
    for &i in idx {
        if data.labels[i] {
            pos += f64::from(data.weights[i]);
        } else {
            neg += f64::from(data.weights[i]);
        }
    }
    let n = idx.len().max(1) as f64;
    let pos_factor = if pos > 0.0 { n / (2.0 * pos) } else { 0.0 };
    let neg_factor = if neg > 0.0 { n / (2.0 * neg) } else { 0.0 };
    let coefficients: Vec<f64> = idx
        .iter()
        .map(|&i| {
            f64::from(data.weights[i])
                * if data.labels[i] {
                    pos_factor
                } else {
                    neg_factor
                }
                / n
        })
        .collect();
    let objective = Objective {
        data,
        idx,
        coefficients: &coefficients,
        lambda,
    };
    let x = start.unwrap_or_else(|| vec![0.0; data.dims + 1]);
    lbfgs(&objective, x, max_iterations)
}

/// The training objective and its gradient.
struct Objective<'a> {
    data: &'a Data<'a>,
    idx: &'a [usize],
    /// Each example's weight in the mean loss (class-balanced, divided by n).
    coefficients: &'a [f64],
    lambda: f64,
}

impl Objective<'_> {
    /// Objective value at `x`, gradient written to `grad`.
    fn eval(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let buckets = x.len() - 1;
        let mut loss = 0.0;
        let mut reg = 0.0;
        for (g, &w) in grad[..buckets].iter_mut().zip(&x[..buckets]) {
            *g = self.lambda * w;
            reg += w * w;
        }
        grad[buckets] = 0.0;
        for (&i, &c) in self.idx.iter().zip(self.coefficients) {
            if c == 0.0 {
                continue;
            }
            let row = &self.data.rows[i];
            let margin = margin(x, row);
            // log(1 + e^-m) for positives, log(1 + e^m) for negatives, computed stably.
            let signed = if self.data.labels[i] { margin } else { -margin };
            loss += c * softplus(-signed);
            let p = 1.0 / (1.0 + (-margin).exp());
            let y = if self.data.labels[i] { 1.0 } else { 0.0 };
            let d = c * (p - y);
            for &(j, v) in row {
                grad[j as usize] += d * f64::from(v);
            }
            grad[buckets] += d;
        }
        loss + 0.5 * self.lambda * reg
    }
}

/// log(1 + e^z) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 30.0 {
        z
    } else if z < -30.0 {
        z.exp()
    } else {
        z.exp().ln_1p()
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Limited-memory BFGS from `x`: returns the minimiser found.
fn lbfgs(objective: &Objective<'_>, mut x: Vec<f64>, max_iterations: usize) -> Vec<f64> {
    const MEMORY: usize = 8;
    /// Stop after two iterations in a row improve the objective by less than this, relative.
    const TOLERANCE: f64 = 1e-6;
    let dims = x.len();
    let mut small_steps = 0;
    let mut grad = vec![0.0f64; dims];
    let mut f = objective.eval(&x, &mut grad);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::with_capacity(MEMORY);
    let mut direction = vec![0.0f64; dims];
    let mut x_new = vec![0.0f64; dims];
    let mut grad_new = vec![0.0f64; dims];
    let mut alphas = [0.0f64; MEMORY];
    for iteration in 0..max_iterations {
        // Two-loop recursion: direction = -H·grad.
        for (d, g) in direction.iter_mut().zip(&grad) {
            *d = -g;
        }
        for (k, (s, y, rho)) in history.iter().enumerate().rev() {
            let a = rho * dot(s, &direction);
            alphas[k] = a;
            for (d, yv) in direction.iter_mut().zip(y) {
                *d -= a * yv;
            }
        }
        if let Some((s, y, _)) = history.back() {
            let gamma = dot(s, y) / dot(y, y);
            for d in &mut direction {
                *d *= gamma;
            }
        }
        for (k, (s, y, rho)) in history.iter().enumerate() {
            let b = rho * dot(y, &direction);
            for (d, sv) in direction.iter_mut().zip(s) {
                *d += (alphas[k] - b) * sv;
            }
        }
        let mut slope = dot(&grad, &direction);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            history.clear();
            for (d, g) in direction.iter_mut().zip(&grad) {
                *d = -g;
            }
            slope = dot(&grad, &direction);
        }
        if slope.abs() < 1e-20 {
            break;
        }
        // Backtracking line search with the Armijo condition.
        let mut step = if iteration == 0 {
            1.0 / dot(&grad, &grad).sqrt().max(1e-12)
        } else {
            1.0
        };
        let mut f_new;
        let mut tries = 0;
        loop {
            for ((xn, xv), d) in x_new.iter_mut().zip(&x).zip(&direction) {
                *xn = xv + step * d;
            }
            f_new = objective.eval(&x_new, &mut grad_new);
            if f_new <= f + 1e-4 * step * slope || tries >= 30 {
                break;
            }
            // The minimum of the quadratic through f, the slope and f_new, kept within
            // [0.1, 0.5] of the step tried.
            let curvature = f_new - f - slope * step;
            let quadratic = if curvature > 0.0 {
                -slope * step * step / (2.0 * curvature)
            } else {
                0.5 * step
            };
            step = quadratic.clamp(0.1 * step, 0.5 * step);
            tries += 1;
        }
        if f_new > f {
            break; // no progress possible
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = grad_new.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut grad, &mut grad_new);
        let improvement = (f - f_new) / f_new.abs().max(1e-12);
        f = f_new;
        small_steps = if improvement < TOLERANCE {
            small_steps + 1
        } else {
            0
        };
        if small_steps >= 2 {
            break;
        }
    }
    x
}
