//! The repairing parser's state: its context stack, its cursor and the look-ahead searches
//! over the text, and the budgets that keep pathological inputs fast.

use std::cell::{Cell, RefCell};

use super::chars::{is_space, one_of};
use super::scan::{Scanned, Scanner};
use super::EDIT_BUDGET;

/// Where the parser is: json_repair's context stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ctx {
    ObjectKey,
    ObjectValue,
    Array,
}

impl Ctx {
    fn slot(self) -> usize {
        match self {
            Ctx::ObjectKey => 0,
            Ctx::ObjectValue => 1,
            Ctx::Array => 2,
        }
    }
}

pub(super) struct Parser {
    /// The text, one entry per Unicode scalar value (Python string indexing).
    pub(super) s: Vec<char>,
    /// The cursor; may run one past the end.
    pub(super) index: usize,
    ctx: Vec<Ctx>,
    /// How many of each context are on `ctx`, for O(1) membership tests.
    ctx_counts: [usize; 3],
    /// Contexts to enter around the next value parse.
    pub(super) deferred: Vec<Ctx>,
    pub(super) tried_valid_suffix: bool,
    pub(super) depth: usize,
    edit_budget: usize,
    /// Lazily built indexes for long forward searches; cleared when the text changes.
    skip_indexes: RefCell<Vec<SkipIndex>>,
    /// Characters left for the look-aheads whose cost multiplies with nesting depth (see
    /// [`Parser::charge`]).
    pub(super) work_budget: Cell<usize>,
}

/// Two heuristics rescan text they have seen before once per enclosing level: re-reading an
/// object that came out empty (`{"a", "b"}` is an array), and deciding whether `(...)` is a
/// tuple. Nested hundreds deep over a big input that is quadratic, so their scans share a
/// budget of this many characters per input character; past it they give up (the object
/// stays empty, `(` opens a tuple). Real inputs stay far below it.
const WORK_BUDGET_PER_CHAR: usize = 64;

/// Searches shorter than this scan the text; longer ones use a [`SkipIndex`].
pub(super) const NAIVE_SCAN: usize = 64;

/// The positions of one set of target characters that are not escaped, i.e. not preceded
/// by an odd run of backslashes.
struct SkipIndex {
    targets: Vec<char>,
    /// Sorted.
    good: Vec<usize>,
}

impl SkipIndex {
    fn build(s: &[char], targets: &[char]) -> Self {
        let mut good = Vec::new();
        let mut scanner = Scanner::escapes();
        for (i, &c) in s.iter().enumerate() {
            if scanner.step(c) == (Scanned::Code { escaped: false }) && targets.contains(&c) {
                good.push(i);
            }
        }
        SkipIndex {
            targets: targets.to_vec(),
            good,
        }
    }
}

impl Parser {
    pub(super) fn new(s: Vec<char>) -> Self {
        let s_len = s.len();
        Parser {
            s,
            index: 0,
            ctx: Vec::new(),
            ctx_counts: [0; 3],
            deferred: Vec::new(),
            tried_valid_suffix: false,
            depth: 0,
            edit_budget: EDIT_BUDGET,
            skip_indexes: RefCell::new(Vec::new()),
            work_budget: Cell::new(
                WORK_BUDGET_PER_CHAR
                    .saturating_mul(s_len)
                    .saturating_add(1 << 20),
            ),
        }
    }

    // --- context -------------------------------------------------------------------------

    pub(super) fn push_ctx(&mut self, c: Ctx) {
        self.ctx.push(c);
        self.ctx_counts[c.slot()] += 1;
    }

    pub(super) fn pop_ctx(&mut self) {
        if let Some(c) = self.ctx.pop() {
            self.ctx_counts[c.slot()] -= 1;
        }
    }

    pub(super) fn clear_ctx(&mut self) {
        self.ctx.clear();
        self.ctx_counts = [0; 3];
    }

    pub(super) fn current(&self) -> Option<Ctx> {
        self.ctx.last().copied()
    }

    pub(super) fn is_current(&self, c: Ctx) -> bool {
        self.current() == Some(c)
    }

    pub(super) fn in_ctx(&self, c: Ctx) -> bool {
        self.ctx_counts[c.slot()] > 0
    }

    pub(super) fn ctx_empty(&self) -> bool {
        self.ctx.is_empty()
    }

    // --- cursor --------------------------------------------------------------------------

    pub(super) fn len(&self) -> usize {
        self.s.len()
    }

    /// The character at absolute position `pos`, with Python's negative indexing.
    pub(super) fn at(&self, pos: isize) -> Option<char> {
        let len = self.s.len() as isize;
        let p = if pos < 0 { pos + len } else { pos };
        if p < 0 {
            return None;
        }
        self.s.get(p as usize).copied()
    }

    pub(super) fn abs(&self, off: isize) -> isize {
        self.index as isize + off
    }

    /// The character `off` positions from the cursor.
    pub(super) fn ch(&self, off: isize) -> Option<char> {
        self.at(self.abs(off))
    }

    pub(super) fn cur(&self) -> Option<char> {
        self.s.get(self.index).copied()
    }

    /// `s[a:b]` with Python's clamping, for non-negative bounds.
    pub(super) fn slice(&self, a: usize, b: usize) -> &[char] {
        let b = b.min(self.len());
        self.s.get(a.min(b)..b).unwrap_or(&[])
    }

    pub(super) fn back(&mut self, n: usize) {
        self.index = self.index.saturating_sub(n);
    }

    pub(super) fn skip_whitespaces(&mut self) {
        while self.cur().is_some_and(is_space) {
            self.index += 1;
        }
    }

    pub(super) fn skip_whitespace_and_comments(&mut self) {
        loop {
            self.skip_whitespaces();
            let c = self.cur();
            let starts_comment =
                c == Some('#') || (c == Some('/') && one_of(self.ch(1), &['/', '*']));
            if !starts_comment {
                return;
            }
            self.skip_comment();
        }
    }

    /// The offset of the first non-whitespace character at or after offset `idx`.
    pub(super) fn scroll(&self, mut idx: isize) -> isize {
        loop {
            let pos = self.abs(idx);
            match self.at(pos) {
                Some(c) if pos >= 0 && is_space(c) => idx += 1,
                _ => return idx,
            }
        }
    }

    /// The offset of the last non-whitespace character at or before offset `idx`.
    pub(super) fn scroll_back(&self, mut idx: isize) -> isize {
        loop {
            let pos = self.abs(idx);
            match self.at(pos) {
                Some(c) if pos >= 0 && is_space(c) => idx -= 1,
                _ => return idx,
            }
        }
    }

    /// The offset of the first of `targets` at or after offset `idx` that is not escaped by
    /// an odd run of backslashes (counted from where the search starts); the offset of the
    /// end of the text when there is none.
    ///
    /// Short searches scan; long ones continue in a [`SkipIndex`], so the many look-aheads
    /// json_repair makes stay cheap on big inputs.
    pub(super) fn skip_to(&self, targets: &[char], idx: isize) -> isize {
        let here = self.index as isize;
        let len = self.len();
        let start = self.abs(idx).max(0) as usize;
        let limit = start.saturating_add(NAIVE_SCAN);
        let mut scanner = Scanner::escapes();
        let mut i = start;
        // Scan up to `limit`, and on to the end of a backslash run in progress there: its
        // parity counts from `start`.
        while let Some(&c) = self.s.get(i) {
            if let Scanned::Code { escaped } = scanner.step(c) {
                if !escaped && targets.contains(&c) {
                    return i as isize - here;
                }
                if i >= limit {
                    // Past `i`, every backslash run starts after `start`, so whether a target
                    // counts depends only on its own position: look it up.
                    return match self.next_unescaped(targets, i + 1) {
                        Some(m) => m as isize - here,
                        None => len as isize - here,
                    };
                }
            }
            i += 1;
        }
        len as isize - here
    }

    /// The first position at or after `from` holding one of `targets` after an even run of
    /// backslashes.
    pub(super) fn next_unescaped(&self, targets: &[char], from: usize) -> Option<usize> {
        let mut indexes = self.skip_indexes.borrow_mut();
        let pos = match indexes.iter().position(|x| x.targets == targets) {
            Some(pos) => pos,
            None => {
                indexes.push(SkipIndex::build(&self.s, targets));
                indexes.len() - 1
            }
        };
        let good = &indexes.get(pos)?.good;
        good.get(good.partition_point(|&m| m < from)).copied()
    }

    /// How many unescaped `targets` lie in the absolute range `from..to`.
    pub(super) fn count_unescaped(&self, target: char, from: usize, to: usize) -> usize {
        let mut indexes = self.skip_indexes.borrow_mut();
        let pos = match indexes.iter().position(|x| x.targets == [target]) {
            Some(pos) => pos,
            None => {
                indexes.push(SkipIndex::build(&self.s, &[target]));
                indexes.len() - 1
            }
        };
        match indexes.get(pos) {
            Some(x) => {
                let a = x.good.partition_point(|&m| m < from);
                let b = x.good.partition_point(|&m| m < to);
                b.saturating_sub(a)
            }
            None => 0,
        }
    }

    pub(super) fn skip_to_char(&self, target: char, idx: isize) -> isize {
        self.skip_to(&[target], idx)
    }

    /// Takes `n` characters of work from the budget; false (taking nothing) when too few are
    /// left.
    pub(super) fn charge(&self, n: usize) -> bool {
        let left = self.work_budget.get();
        if n > left {
            return false;
        }
        self.work_budget.set(left - n);
        true
    }

    /// Replaces `range` of the text with `with`, unless the edit budget is spent (then the
    /// text is left alone and this returns false). Each edit is charged the whole length, as
    /// it also invalidates the search indexes.
    pub(super) fn edit_text(&mut self, range: std::ops::Range<usize>, with: &[char]) -> bool {
        let cost = self.len() + with.len();
        if cost > self.edit_budget || range.start > range.end || range.end > self.len() {
            return false;
        }
        self.edit_budget -= cost;
        self.s.splice(range, with.iter().copied());
        self.skip_indexes.borrow_mut().clear();
        true
    }
}
