//! The parts of numpy's random generator DSPy's SIMBA draws from: `np.random.default_rng(seed)`
//! (PCG64 seeded through a `SeedSequence`), `Generator.poisson`, plus `np.percentile` with its
//! default linear method, all bit for bit with numpy 2.
//!
//! ```
//! use dspy_optimize::numpy_random::NumpyRandom;
//!
//! let mut rng = NumpyRandom::new(0);
//! assert_eq!(rng.next_u64(), 0xa30f_ebcf_d9c2_825f); // np.random.default_rng(0)
//! ```

const MULTIPLIER: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;

/// `numpy.random.default_rng(seed)`: PCG64 (XSL-RR output) seeded by a `SeedSequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumpyRandom {
    state: u128,
    inc: u128,
}

impl NumpyRandom {
    /// `default_rng(seed)` for a non-negative integer seed.
    pub fn new(seed: u128) -> NumpyRandom {
        let words = seed_sequence(seed, 8);
        let u: Vec<u64> = words
            .chunks(2)
            .map(|w| u64::from(w[0]) | (u64::from(w[1]) << 32))
            .collect();
        let init_state = (u128::from(u[0]) << 64) | u128::from(u[1]);
        let init_seq = (u128::from(u[2]) << 64) | u128::from(u[3]);
        let mut rng = NumpyRandom {
            state: 0,
            inc: (init_seq << 1) | 1,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(init_state);
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(MULTIPLIER).wrapping_add(self.inc);
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.step();
        let s = self.state;
        let x = ((s >> 64) as u64) ^ (s as u64);
        x.rotate_right((s >> 122) as u32)
    }

    /// A float in [0, 1) with 53 random bits (numpy's `next_double`).
    pub fn next_double(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `Generator.poisson(lam)` for one value; `None` for a negative or non-finite `lam`
    /// (numpy raises). `lam == 0` draws nothing.
    pub fn poisson(&mut self, lam: f64) -> Option<u64> {
        if !(lam >= 0.0 && lam.is_finite()) {
            return None;
        }
        if lam == 0.0 {
            return Some(0);
        }
        if lam >= 10.0 {
            return Some(self.poisson_ptrs(lam));
        }
        // Multiplication method.
        let enlam = (-lam).exp();
        let mut x = 0u64;
        let mut prod = 1.0;
        loop {
            prod *= self.next_double();
            if prod > enlam {
                x += 1;
            } else {
                return Some(x);
            }
        }
    }

    /// Hörmann's PTRS transformed rejection, as numpy implements it for `lam >= 10`.
    fn poisson_ptrs(&mut self, lam: f64) -> u64 {
        let slam = lam.sqrt();
        let loglam = lam.ln();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.next_double() - 0.5;
            let v = self.next_double();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lam + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u64;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if v.ln() + invalpha.ln() - (a / (us * us) + b).ln()
                <= -lam + k * loglam - loggam(k + 1.0)
            {
                return k as u64;
            }
        }
    }
}

/// numpy's `random_loggam`: log Γ(x) by a series after shifting `x` above 7.
fn loggam(x: f64) -> f64 {
    const A: [f64; 10] = [
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.41025641025641e-03,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e+00,
    ];
    if x == 1.0 || x == 2.0 {
        return 0.0;
    }
    let mut x0 = x;
    let mut n = 0u32;
    if x <= 7.0 {
        n = (7.0 - x) as u32;
        x0 = x + f64::from(n);
    }
    let x2 = 1.0 / (x0 * x0);
    let mut gl0 = A[9];
    for k in (0..9).rev() {
        gl0 *= x2;
        gl0 += A[k];
    }
    let mut gl = gl0 / x0 + 0.5 * (2.0 * std::f64::consts::PI).ln() + (x0 - 0.5) * x0.ln() - x0;
    if x <= 7.0 {
        for _ in 0..n {
            gl -= (x0 - 1.0).ln();
            x0 -= 1.0;
        }
    }
    gl
}

/// numpy's `SeedSequence(seed).generate_state(n, uint32)` for a non-negative integer seed.
fn seed_sequence(seed: u128, n: usize) -> Vec<u32> {
    let mut entropy = Vec::new();
    let mut s = seed;
    while s > 0 {
        entropy.push(s as u32);
        s >>= 32;
    }
    if entropy.is_empty() {
        entropy.push(0);
    }
    let mut hash_const: u32 = 0x43b0_d7e5;
    let mut hashmix = |value: u32| {
        let mut v = value ^ hash_const;
        hash_const = hash_const.wrapping_mul(0x931e_8875);
        v = v.wrapping_mul(hash_const);
        v ^ (v >> 16)
    };
    let mix = |x: u32, y: u32| {
        let r = 0xca01_f9dd_u32
            .wrapping_mul(x)
            .wrapping_sub(0x4973_f715_u32.wrapping_mul(y));
        r ^ (r >> 16)
    };
    let mut pool: [u32; 4] = [0; 4];
    for (i, slot) in pool.iter_mut().enumerate() {
        *slot = hashmix(entropy.get(i).copied().unwrap_or(0));
    }
    for src in 0..4 {
        for dst in 0..4 {
            if src != dst {
                let h = hashmix(pool[src]);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    for &word in entropy.iter().skip(4) {
        for slot in pool.iter_mut() {
            let h = hashmix(word);
            *slot = mix(*slot, h);
        }
    }
    let mut h: u32 = 0x8b51_f9dd;
    (0..n)
        .map(|i| {
            let mut v = pool[i % 4] ^ h;
            h = h.wrapping_mul(0x58f3_8ded);
            v = v.wrapping_mul(h);
            v ^ (v >> 16)
        })
        .collect()
}

/// `np.percentile(values, q)` with the default linear method (`q` in 0..=100); `None` for no
/// values. numpy switches formula at a fraction of one half, and so does this.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let vi = (n - 1) as f64 * (q / 100.0);
    if vi >= (n - 1) as f64 {
        return Some(sorted[n - 1]);
    }
    let lo = vi.floor();
    let t = vi - lo;
    let (a, b) = (sorted[lo as usize], sorted[lo as usize + 1]);
    let d = b - a;
    Some(if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy() {
        let step0 = [0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 1.0];
        assert_eq!(percentile(&step0, 90.0), Some(0.6499999999999999));
        let step2 = [0.0, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0];
        assert_eq!(percentile(&step2, 10.0), Some(0.35000000000000003));
        assert_eq!(percentile(&[3.0], 10.0), Some(3.0));
        assert_eq!(percentile(&[], 10.0), None);
    }
}
