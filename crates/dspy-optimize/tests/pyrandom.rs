//! `PyRandom` against vectors recorded from CPython 3.11 (`scripts/record_pyrandom_vectors.py`):
//! every method, several seeds (floats compared bit for bit) (0, 1, 42, 2**40, negative ones, 2**63 - 1).

use dspy_optimize::random::PyRandom;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = include_str!("data/pyrandom_vectors.json");
    let data: Value = serde_json::from_str(text).expect("vectors are JSON");
    let cases = data["cases"].as_array().expect("cases").clone();
    assert_eq!(cases.len(), 8, "every recorded seed is checked");
    cases
}

fn seed(case: &Value) -> i64 {
    case["seed"].as_i64().expect("seed fits i64")
}

fn int(v: &Value) -> i64 {
    v.as_i64().expect("integer")
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().expect("list").iter().map(int).collect()
}

#[test]
fn random_floats_match_cpython() {
    for case in cases() {
        let mut r = PyRandom::new(seed(&case));
        for want in case["random_bits"].as_array().unwrap() {
            let got = r.random();
            assert_eq!(
                got.to_bits(),
                want.as_u64().unwrap(),
                "seed {} got {got}",
                seed(&case)
            );
        }
    }
}

#[test]
fn getrandbits_and_randbelow_match_cpython() {
    for case in cases() {
        let mut r = PyRandom::new(seed(&case));
        for pair in case["getrandbits"].as_array().unwrap() {
            let k = pair[0].as_u64().unwrap() as u32;
            assert_eq!(
                r.getrandbits(k),
                pair[1].as_u64().unwrap(),
                "seed {} k {k}",
                seed(&case)
            );
        }
        let mut r = PyRandom::new(seed(&case));
        for pair in case["randbelow"].as_array().unwrap() {
            let n = pair[0].as_u64().unwrap();
            assert_eq!(
                r.randbelow(n),
                pair[1].as_u64().unwrap(),
                "seed {} n {n}",
                seed(&case)
            );
        }
    }
}

#[test]
fn randrange_and_randint_match_cpython() {
    for case in cases() {
        let mut r = PyRandom::new(seed(&case));
        for t in case["randrange"].as_array().unwrap() {
            assert_eq!(r.randrange(int(&t[0]), int(&t[1])), Some(int(&t[2])));
        }
        let mut r = PyRandom::new(seed(&case));
        for t in case["randint"].as_array().unwrap() {
            assert_eq!(r.randint(int(&t[0]), int(&t[1])), Some(int(&t[2])));
        }
    }
    assert_eq!(PyRandom::new(0).randrange(5, 5), None);
    assert_eq!(PyRandom::new(0).randint(2, 1), None);
}

#[test]
fn choice_and_choices_match_cpython() {
    let items: Vec<i64> = (0..30).collect();
    for case in cases() {
        let mut r = PyRandom::new(seed(&case));
        let lens = [1, 2, 5, 30, 30, 7];
        for (n, want) in lens.iter().zip(ints(&case["choice"])) {
            assert_eq!(r.choice(&items[..*n]), Some(&want));
        }
        let mut r = PyRandom::new(seed(&case));
        assert_eq!(r.choices(&items[..13], 9), ints(&case["choices"]));
        let mut r = PyRandom::new(seed(&case));
        let weights: Vec<f64> = case["choices_weighted"]["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_f64().unwrap())
            .collect();
        let picks = r.choices_weighted(&items[..5], &weights, 12);
        assert_eq!(picks, ints(&case["choices_weighted"]["picks"]));
        assert!(!picks.contains(&2), "a zero weight is never picked");
    }
    assert_eq!(PyRandom::new(0).choice::<i64>(&[]), None);
}

#[test]
fn shuffle_and_sample_match_cpython() {
    for case in cases() {
        let mut r = PyRandom::new(seed(&case));
        for want in case["shuffle"].as_array().unwrap() {
            let want = ints(want);
            let mut x: Vec<i64> = (0..want.len() as i64).collect();
            r.shuffle(&mut x);
            assert_eq!(x, want, "seed {}", seed(&case));
        }
        let mut r = PyRandom::new(seed(&case));
        for t in case["sample"].as_array().unwrap() {
            let (n, k) = (int(&t[0]), int(&t[1]) as usize);
            let population: Vec<i64> = (0..n).collect();
            assert_eq!(
                r.sample(&population, k),
                Some(ints(&t[2])),
                "seed {} n {n} k {k}",
                seed(&case)
            );
        }
    }
    assert_eq!(PyRandom::new(0).sample(&[1, 2], 3), None);
}

#[test]
fn uniform_matches_cpython() {
    for case in cases() {
        let mut r = PyRandom::new(seed(&case));
        for t in case["uniform_bits"].as_array().unwrap() {
            let (a, b) = (t[0].as_f64().unwrap(), t[1].as_f64().unwrap());
            assert_eq!(r.uniform(a, b).to_bits(), t[2].as_u64().unwrap());
        }
    }
}
