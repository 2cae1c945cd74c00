//! `NumpyRandom` against vectors recorded from numpy 2 by `scripts/record_simba_fixtures.py`:
//! the seeded state, raw 64-bit outputs and Poisson draws (both of numpy's methods).

use dspy_optimize::numpy_random::NumpyRandom;
use serde_json::Value;

fn hex64(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap(), 16).unwrap()
}

#[test]
fn default_rng_and_poisson_match_numpy() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/simba/numpy-poisson.json"
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for case in cases {
        let seed: u128 = case["seed"].as_str().unwrap().parse().unwrap();
        let mut rng = NumpyRandom::new(seed);
        for (i, want) in case["next_u64"].as_array().unwrap().iter().enumerate() {
            assert_eq!(rng.next_u64(), hex64(want), "seed {seed}, output {i}");
        }
        let mut rng = NumpyRandom::new(seed);
        for pair in case["poisson"].as_array().unwrap() {
            let lam = pair[0].as_f64().unwrap();
            assert_eq!(
                rng.poisson(lam),
                pair[1].as_u64(),
                "seed {seed}, poisson({lam})"
            );
        }
        assert_eq!(
            rng.next_u64(),
            hex64(&case["next_u64_after_poisson"]),
            "seed {seed}: draws used by poisson"
        );
    }
    assert_eq!(NumpyRandom::new(0).poisson(-1.0), None);
}
