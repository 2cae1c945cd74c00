//! CPython 3.11's `set` of small non-negative ints, for its iteration order.
//!
//! gepa keeps candidate indices in Python sets and draws from lists built by iterating them,
//! so which candidate a seeded draw picks depends on the order CPython's hash table yields
//! them: ascending while every index fits the table, slot order after that (`hash(i) == i`,
//! open addressing with 9 linear probes then perturbed jumps, a resize to the smallest power
//! of two above 4 × used when the table is 60% full). This emulates that table for the
//! operations gepa uses: adding, `set(other_set)`, `set(list)`, comprehensions (adding in
//! another set's order) and `&`. Nothing is ever removed, so there are no dummy slots.

use serde::{Deserialize, Serialize};

const MIN_SIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;

/// A set of candidate indices that iterates in CPython's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PySet {
    table: Vec<Option<usize>>,
    used: usize,
}

impl Default for PySet {
    fn default() -> PySet {
        PySet {
            table: vec![None; MIN_SIZE],
            used: 0,
        }
    }
}

impl PySet {
    /// `set(items)` for a list: each added in order.
    pub(super) fn from_list(items: impl IntoIterator<Item = usize>) -> PySet {
        let mut set = PySet::default();
        for item in items {
            set.add(item);
        }
        set
    }

    /// `set(self)`: CPython's `set_merge` into an empty set (one resize up front, then the
    /// slots copied as they are when the sizes match, else re-inserted in slot order).
    pub(super) fn copy(&self) -> PySet {
        let mut out = PySet::default();
        if self.used == 0 {
            return out;
        }
        if self.used * 5 >= out.mask() * 3 {
            out.resize(self.used * 2);
        }
        if out.table.len() == self.table.len() {
            return self.clone();
        }
        for key in self.iter() {
            insert_clean(&mut out.table, key);
        }
        out.used = self.used;
        out
    }

    /// `self & other` (CPython iterates the smaller set, `other` on a tie, adding the keys the
    /// larger one holds).
    pub(super) fn intersection(&self, other: &PySet) -> PySet {
        let (large, small) = if other.len() > self.len() {
            (other, self)
        } else {
            (self, other)
        };
        PySet::from_list(small.iter().filter(|k| large.contains(*k)))
    }

    /// Whether a deserialized table is one this type could have built: a power-of-two size of
    /// at least 8 with a free slot, `used` live keys, no key twice.
    pub(super) fn is_valid(&self) -> bool {
        let keys: Vec<usize> = self.iter().collect();
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        self.table.len() >= MIN_SIZE
            && self.table.len().is_power_of_two()
            && keys.len() < self.table.len()
            && keys.len() == self.used
            && unique.len() == keys.len()
    }

    pub(super) fn len(&self) -> usize {
        self.used
    }

    pub(super) fn contains(&self, key: usize) -> bool {
        self.table.contains(&Some(key))
    }

    /// The keys in iteration (slot) order.
    pub(super) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.table.iter().flatten().copied()
    }

    /// `add(key)`.
    pub(super) fn add(&mut self, key: usize) {
        if self.contains(key) {
            return;
        }
        let mask = self.mask();
        let mut i = key & mask;
        let mut perturb = key;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            if let Some(slot) = (i..=i + probes).find(|&s| self.table[s].is_none()) {
                self.table[slot] = Some(key);
                self.used += 1;
                // No removals: `fill` is `used`.
                if self.used * 5 >= mask * 3 {
                    self.resize(if self.used > 50_000 {
                        self.used * 2
                    } else {
                        self.used * 4
                    });
                }
                return;
            }
            perturb >>= PERTURB_SHIFT;
            i = (i * 5 + 1 + perturb) & mask;
        }
    }

    fn mask(&self) -> usize {
        self.table.len() - 1
    }

    /// `set_table_resize`: the smallest power of two above `min_used`, keys re-inserted in
    /// slot order.
    fn resize(&mut self, min_used: usize) {
        let mut size = MIN_SIZE;
        while size <= min_used {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![None; size]);
        for key in old.into_iter().flatten() {
            insert_clean(&mut self.table, key);
        }
    }
}

/// `set_insert_clean`: into a table known to hold neither `key` nor dummies.
fn insert_clean(table: &mut [Option<usize>], key: usize) {
    let mask = table.len() - 1;
    let mut i = key & mask;
    let mut perturb = key;
    loop {
        if table[i].is_none() {
            table[i] = Some(key);
            return;
        }
        if i + LINEAR_PROBES <= mask {
            if let Some(slot) = (i + 1..=i + LINEAR_PROBES).find(|&s| table[s].is_none()) {
                table[slot] = Some(key);
                return;
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(set: &PySet) -> Vec<usize> {
        set.iter().collect()
    }

    #[test]
    fn iterates_as_cpython_does() {
        // CPython 3.11, adding 1, 9, 2 iterates [1, 2, 9]; adding 3, 5, 8, 11: [8, 11, 3, 5].
        assert_eq!(order(&PySet::from_list([1, 9, 2])), [1, 2, 9]);
        assert_eq!(order(&PySet::from_list([3, 5, 8, 11])), [8, 11, 3, 5]);
        // Small indices stay ascending whatever the insertion order.
        assert_eq!(order(&PySet::from_list([4, 0, 2, 1, 3])), [0, 1, 2, 3, 4]);
        // list(set(range(20))) is ascending.
        assert_eq!(order(&PySet::from_list(0..20)), (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn copies_and_intersections_follow_the_table() {
        // Recorded with CPython 3.11: (adds, list(s), list(set(s)), other, list(s & other)).
        type Case<'a> = (
            &'a [usize],
            &'a [usize],
            &'a [usize],
            &'a [usize],
            &'a [usize],
        );
        let cases: [Case; 6] = [
            (
                &[9, 17, 1, 25, 33],
                &[33, 1, 9, 17, 25],
                &[33, 1, 17, 9, 25],
                &[],
                &[],
            ),
            (
                &[16, 22, 33, 1, 29, 15, 3, 10, 7, 23],
                &[33, 1, 3, 7, 10, 15, 16, 22, 23, 29],
                &[33, 1, 3, 7, 10, 15, 16, 22, 23, 29],
                &[6, 15, 24, 30, 34, 36],
                &[15],
            ),
            (
                &[0, 13, 26, 17],
                &[0, 17, 26, 13],
                &[0, 17, 26, 13],
                &[4, 8, 10],
                &[],
            ),
            (
                &[28, 8, 8, 0, 0, 13, 13, 10, 10, 18],
                &[0, 8, 10, 13, 18, 28],
                &[0, 18, 8, 10, 28, 13],
                &[11, 12, 13, 20, 34],
                &[13],
            ),
            (
                &[19, 1, 23, 26, 10, 9, 16],
                &[1, 9, 10, 16, 19, 23, 26],
                &[16, 1, 19, 26, 23, 9, 10],
                &[0, 4, 19, 21, 37, 38],
                &[19],
            ),
            (
                &[21, 4, 19, 22, 19, 30, 20, 11, 30, 30],
                &[4, 11, 19, 20, 21, 22, 30],
                &[19, 4, 20, 21, 22, 11, 30],
                &[1, 3, 11, 16, 22, 25],
                &[11, 22],
            ),
        ];
        for (adds, listed, copied, other, both) in cases {
            let set = PySet::from_list(adds.iter().copied());
            assert_eq!(order(&set), listed, "{adds:?}");
            assert_eq!(order(&set.copy()), copied, "set() of {adds:?}");
            let other = PySet::from_list(other.iter().copied());
            assert_eq!(
                order(&set.intersection(&other)),
                both,
                "{adds:?} & {other:?}"
            );
        }
        let both = PySet::from_list([1, 9]).intersection(&PySet::from_list([9, 1, 2]));
        assert_eq!(order(&both), [1, 9]);
    }
}
