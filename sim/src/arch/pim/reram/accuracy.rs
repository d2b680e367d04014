//! Accuracy proxy from ADC clipping.
//!
//! A bitline sums `R` products of an input digit `a` (`dac_bits` bits, each 1 with
//! probability `d`, the input-bit density) and a cell level `c` (uniform over the `2^cell_bits`
//! levels). The ADC resolves codes `0..2^adc_bits - 1` in units of one product; a sum above
//! the top code is clipped and its partial sum lost. With the sum's mean
//! `mu = R E[a] E[c]` and variance `R (E[a^2] E[c^2] - (E[a] E[c])^2)`, the proxy is the
//! probability that a column sum fits, `Phi((2^adc_bits - 0.5 - mu) / sigma)` (normal
//! approximation, continuity-corrected): 1 when the ADC covers the full range
//! `R (2^cell_bits - 1) (2^dac_bits - 1)`, falling toward 0 as more sums clip. The chip's
//! `accuracy_proxy` is the MAC-weighted mean over crossbar-mapped layers (digital layers are
//! exact). It ranks designs; it is not a network accuracy.

/// Probability that one column sum fits in the ADC.
pub fn fit_probability(
    rows: u64,
    cell_bits: u32,
    dac_bits: u32,
    adc_bits: u32,
    density: f64,
) -> f64 {
    let levels = 2f64.powi(cell_bits as i32);
    let full_scale = rows as f64 * (levels - 1.0) * (2f64.powi(dac_bits as i32) - 1.0);
    let top = 2f64.powi(adc_bits as i32) - 1.0;
    if full_scale <= top {
        return 1.0;
    }
    // Input digit: sum of dac_bits Bernoulli(d) bits weighted 2^j.
    let ea = density * (2f64.powi(dac_bits as i32) - 1.0);
    let var_a = density * (1.0 - density) * (4f64.powi(dac_bits as i32) - 1.0) / 3.0;
    let ea2 = var_a + ea * ea;
    // Cell level uniform over 0..levels-1.
    let ec = (levels - 1.0) / 2.0;
    let ec2 = (levels - 1.0) * (2.0 * levels - 1.0) / 6.0;
    let r = rows as f64;
    let mean = r * ea * ec;
    let var = r * (ea2 * ec2 - (ea * ec).powi(2));
    if var <= 0.0 {
        return if mean <= top { 1.0 } else { 0.0 };
    }
    normal_cdf((top + 0.5 - mean) / var.sqrt())
}

/// Standard normal CDF (Abramowitz and Stegun 7.1.26 erf, absolute error < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_range_adc_loses_nothing() {
        // 16 rows of 1-bit cells and 1-bit inputs sum to at most 16 > 15 (4-bit): not full;
        // 15 rows fit exactly.
        assert_eq!(fit_probability(15, 1, 1, 4, 0.5), 1.0);
        assert!(fit_probability(16, 1, 1, 4, 0.5) < 1.0);
    }

    #[test]
    fn clipping_matches_the_normal_approximation() {
        // 128 rows, density 0.5: products Bernoulli(0.25): mean 32, var 128 x 0.1875 = 24;
        // a 4-bit ADC (top code 15) keeps Phi((15.5 - 32) / 4.899) = Phi(-3.368) = 3.8e-4.
        let p = fit_probability(128, 1, 1, 4, 0.5);
        assert!((p - 3.8e-4).abs() < 0.5e-4, "{p}");
        // Density 0.18: mean 11.52, var 128 x 0.18 x 0.5 - ... = 128 x (0.09 - 0.0081) = 10.48;
        // Phi((15.5 - 11.52) / 3.238) = Phi(1.229) = 0.8905.
        let p = fit_probability(128, 1, 1, 4, 0.18);
        assert!((p - 0.8905).abs() < 1e-3, "{p}");
    }

    #[test]
    fn more_adc_bits_never_lose_more() {
        let mut last = 0.0;
        for bits in 1..=10 {
            let p = fit_probability(128, 2, 1, bits, 0.3);
            assert!(p >= last);
            last = p;
        }
        assert_eq!(last, 1.0);
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975_002).abs() < 1e-5);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
    }
}
