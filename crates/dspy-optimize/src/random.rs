//! [`PyRandom`]: CPython's `random.Random`, reproduced exactly, so an optimizer given the same
//! seed draws the same numbers as Python DSPy.
//!
//! The generator is the Mersenne Twister (MT19937) seeded the way CPython seeds it from an
//! integer (`init_by_array` over the absolute value's 32-bit words), and each method consumes
//! the stream as CPython 3.11's does: `random()` takes two 32-bit words, `_randbelow(n)` draws
//! `n.bit_length()` bits and rejects values `>= n`, `shuffle` walks from the end, `sample`
//! switches between a pool and a set of picks at CPython's threshold.
//!
//! ```
//! use dspy_optimize::random::PyRandom;
//!
//! // Python: random.Random(42).random() == 0.6394267984578837
//! assert_eq!(PyRandom::new(42).random(), 0.6394267984578837);
//! // Python: random.Random(0).randint(1, 10) == 7
//! assert_eq!(PyRandom::new(0).randint(1, 10), Some(7));
//! ```

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// CPython's `random.Random`: a seeded MT19937 with Python's methods on top.
#[derive(Clone)]
pub struct PyRandom {
    state: Box<[u32; N]>,
    index: usize,
}

impl std::fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyRandom")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl PyRandom {
    /// `random.Random(seed)` for an integer seed (any integer type up to 128 bits; negative
    /// seeds use their absolute value, as CPython does).
    pub fn new(seed: impl Into<i128>) -> PyRandom {
        let mut magnitude = seed.into().unsigned_abs();
        let mut key = Vec::with_capacity(4);
        while magnitude > 0 {
            key.push(magnitude as u32);
            magnitude >>= 32;
        }
        if key.is_empty() {
            key.push(0);
        }
        PyRandom::from_key(&key)
    }

    /// A generator seeded with `init_by_array(key)`: `key` holds the seed's 32-bit words, least
    /// significant first (what CPython does for an integer seed of any size).
    pub fn from_key(key: &[u32]) -> PyRandom {
        let mut rng = PyRandom {
            state: Box::new([0; N]),
            index: N,
        };
        rng.init_genrand(19_650_218);
        let mt = &mut rng.state;
        let key_len = key.len().max(1);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key_len) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            let word = key.get(j).copied().unwrap_or(0);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_664_525))
                .wrapping_add(word)
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key_len {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        rng
    }

    fn init_genrand(&mut self, seed: u32) {
        self.state[0] = seed;
        for i in 1..N {
            let prev = self.state[i - 1];
            self.state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    /// The next 32 random bits (MT19937's `genrand_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn twist(&mut self) {
        let mt = &mut self.state;
        for kk in 0..N {
            let y = (mt[kk] & UPPER_MASK) | (mt[(kk + 1) % N] & LOWER_MASK);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            mt[kk] = mt[(kk + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// `random()`: a float in `[0, 1)` with 53 random bits.
    pub fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `getrandbits(k)` for `k <= 64` (words are drawn least significant first).
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        match k {
            0 => 0,
            1..=32 => u64::from(self.next_u32() >> (32 - k)),
            _ => {
                let k = k.min(64);
                let low = u64::from(self.next_u32());
                let high = u64::from(self.next_u32() >> (64 - k));
                low | (high << 32)
            }
        }
    }

    /// `_randbelow(n)`: uniform in `0..n`, by rejection over `n.bit_length()` bits. `n == 0`
    /// gives 0 without drawing.
    pub fn randbelow(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let k = 64 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `randrange(start, stop)`: uniform in `start..stop`; `None` when the range is empty (where
    /// Python raises `ValueError`).
    pub fn randrange(&mut self, start: i64, stop: i64) -> Option<i64> {
        if stop <= start {
            return None;
        }
        let width = stop.abs_diff(start);
        Some(start.wrapping_add(self.randbelow(width) as i64))
    }

    /// `randint(a, b)`: uniform in `a..=b`; `None` when `b < a`.
    pub fn randint(&mut self, a: i64, b: i64) -> Option<i64> {
        self.randrange(a, b.checked_add(1)?)
    }

    /// `choice(seq)`: one item, `None` for an empty slice (where Python raises `IndexError`).
    pub fn choice<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        let i = self.randbelow(items.len() as u64) as usize;
        items.get(i)
    }

    /// `choices(population, k=k)` without weights: `k` picks with replacement.
    pub fn choices<T: Clone>(&mut self, items: &[T], k: usize) -> Vec<T> {
        if items.is_empty() {
            return Vec::new();
        }
        let n = items.len() as f64;
        (0..k)
            .map(|_| {
                let i = (self.random() * n).floor() as usize;
                items[i.min(items.len() - 1)].clone()
            })
            .collect()
    }

    /// `choices(population, weights, k=k)`: `k` picks with replacement, by weight (bisecting
    /// the running totals, as Python does). Empty when there is nothing to pick or the weights
    /// do not add up to a positive finite total.
    pub fn choices_weighted<T: Clone>(&mut self, items: &[T], weights: &[f64], k: usize) -> Vec<T> {
        if items.is_empty() || weights.len() != items.len() {
            return Vec::new();
        }
        let mut cum = Vec::with_capacity(weights.len());
        let mut total = 0.0;
        for w in weights {
            total += w;
            cum.push(total);
        }
        if !(total > 0.0 && total.is_finite()) {
            return Vec::new();
        }
        let hi = items.len() - 1;
        (0..k)
            .map(|_| {
                let x = self.random() * total;
                // bisect_right(cum, x, 0, hi)
                let i = cum[..hi].partition_point(|&c| c <= x);
                items[i].clone()
            })
            .collect()
    }

    /// `shuffle(x)` in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `sample(population, k)`: `k` distinct items in selection order; `None` when
    /// `k > len` (where Python raises `ValueError`).
    pub fn sample<T: Clone>(&mut self, items: &[T], k: usize) -> Option<Vec<T>> {
        let n = items.len();
        if k > n {
            return None;
        }
        let mut setsize = 21usize;
        if k > 5 {
            let exponent = ((k as f64 * 3.0).ln() / 4f64.ln()).ceil() as u32;
            setsize = setsize.saturating_add(4usize.saturating_pow(exponent));
        }
        let mut out = Vec::with_capacity(k);
        if n <= setsize {
            let mut pool: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = self.randbelow((n - i) as u64) as usize;
                out.push(items[pool[j]].clone());
                pool[j] = pool[n - i - 1];
            }
        } else {
            let mut selected = std::collections::HashSet::with_capacity(k);
            for _ in 0..k {
                let mut j = self.randbelow(n as u64) as usize;
                while !selected.insert(j) {
                    j = self.randbelow(n as u64) as usize;
                }
                out.push(items[j].clone());
            }
        }
        Some(out)
    }

    /// The generator's state (CPython's `getstate()` without the version and gauss entry):
    /// the 624 state words and the position in them.
    pub fn state(&self) -> (Vec<u32>, usize) {
        (self.state.to_vec(), self.index)
    }

    /// A generator continuing from a [`state`](PyRandom::state); `None` when `words` is not
    /// 624 long or `index` is past it.
    pub fn from_state(words: &[u32], index: usize) -> Option<PyRandom> {
        let state: Box<[u32; N]> = words.to_vec().into_boxed_slice().try_into().ok()?;
        (index <= N).then_some(PyRandom { state, index })
    }

    /// `uniform(a, b)`: `a + (b - a) * random()`.
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.random()
    }
}
