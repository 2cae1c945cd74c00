//! GPT-2 style byte-level BPE tokenizer built from GGUF metadata (`tokenizer.ggml.*`).
//!
//! Encoding: control and user-defined tokens (`<|im_start|>`, `<|im_end|>`, ...) found in the
//! text become their own ids, with nothing inserted around them; the text between them is split by
//! the pre-tokenizer (digits one by one, then the GPT-2 pattern, no prefix space), mapped to
//! byte-level symbols and merged by rank. This matches llama.cpp's `smollm` pre-tokenizer and the
//! Hugging Face tokenizer of SmolLM2 (see `tests/fixtures/tokenizer_ids.json`).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

use regex::Regex;

use crate::error::LocalError;

/// Token type codes from GGUF (`tokenizer.ggml.token_type`).
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;

/// Stands for a byte the vocabulary has no token for: it merges with nothing and is dropped, as
/// llama.cpp drops it.
const NO_TOKEN: u32 = u32::MAX;

/// The GPT-2 pattern without its `\s+(?!\S)` look-ahead, which [`pre_tokenize`] applies by hand.
const GPT2_PATTERN: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+";

/// A byte-level BPE tokenizer.
#[derive(Debug)]
pub struct Tokenizer {
    /// Token strings (byte-level symbols), by id.
    tokens: Vec<String>,
    /// Token string to id.
    ids: HashMap<String, u32>,
    /// Merge rank of each pair of token ids, keyed `(left, right)`, with the merged id.
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// All special strings as one alternation, longest first (so that the earliest match, and
    /// the longest at the same place, wins), and each string's id; `None` without specials.
    special_pattern: Option<(Regex, HashMap<String, u32>)>,
    /// Is this id a special token (decoded to nothing by [`Tokenizer::decode`])?
    is_special: Vec<bool>,
    /// Byte to byte-level symbol id for single bytes ([`NO_TOKEN`] when the vocabulary lacks it).
    byte_ids: [u32; 256],
    /// Byte-level symbol (char) to byte.
    char_to_byte: HashMap<char, u8>,
    digits: Regex,
    pattern: Regex,
    /// BPE results of pre-tokenized chunks.
    cache: Mutex<HashMap<String, Vec<u32>>>,
    /// End-of-sequence id.
    eos: Option<u32>,
    /// Beginning-of-sequence id.
    bos: Option<u32>,
    add_bos: bool,
}

/// GPT-2's reversible byte to printable-char table.
fn bytes_to_unicode() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut extra = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        table[b as usize] = if printable {
            char::from(b)
        } else {
            let c = char::from_u32(256 + extra).unwrap_or('\u{FFFD}');
            extra += 1;
            c
        };
    }
    table
}

impl Tokenizer {
    /// Builds a tokenizer from vocabulary, token types and merges (`"a b"` strings), as GGUF stores
    /// them.
    pub fn new(
        tokens: Vec<String>,
        token_types: &[i32],
        merges: &[String],
        bos: Option<u32>,
        eos: Option<u32>,
        add_bos: bool,
    ) -> Result<Tokenizer, LocalError> {
        let bad = |message: String| LocalError::Tokenizer { message };
        let ids: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let table = bytes_to_unicode();
        let mut byte_ids = [NO_TOKEN; 256];
        let mut char_to_byte = HashMap::with_capacity(256);
        for (b, c) in table.iter().enumerate() {
            if let Some(&id) = ids.get(&c.to_string()) {
                byte_ids[b] = id;
            }
            char_to_byte.insert(*c, b as u8);
        }
        if byte_ids.iter().filter(|&&id| id == NO_TOKEN).count() > 128 {
            return Err(bad(
                "most byte symbols are missing from the vocabulary; only byte-level (gpt2) vocabularies are supported".into(),
            ));
        }
        let mut merge_map = HashMap::with_capacity(merges.len());
        for (rank, merge) in merges.iter().enumerate() {
            let Some((left, right)) = merge.split_once(' ') else {
                return Err(bad(format!("merge {rank} ({merge:?}) is not two symbols")));
            };
            let (Some(&l), Some(&r)) = (ids.get(left), ids.get(right)) else {
                continue;
            };
            let Some(&merged) = ids.get(&format!("{left}{right}")) else {
                continue;
            };
            merge_map.entry((l, r)).or_insert((rank as u32, merged));
        }
        let mut is_special = vec![false; tokens.len()];
        let mut specials = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            let ty = token_types.get(i).copied().unwrap_or(1);
            if (ty == TOKEN_TYPE_CONTROL || ty == TOKEN_TYPE_USER_DEFINED) && !t.is_empty() {
                is_special[i] = ty == TOKEN_TYPE_CONTROL;
                specials.push((t.clone(), i as u32));
            }
        }
        specials.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        let special_pattern = if specials.is_empty() {
            None
        } else {
            let alternation = specials
                .iter()
                .map(|(t, _)| regex::escape(t))
                .collect::<Vec<_>>()
                .join("|");
            let pattern = regex::RegexBuilder::new(&alternation)
                .size_limit(64 << 20)
                .build()
                .map_err(|e| bad(format!("special tokens: {e}")))?;
            let mut ids = HashMap::with_capacity(specials.len());
            for (t, id) in &specials {
                ids.entry(t.clone()).or_insert(*id);
            }
            Some((pattern, ids))
        };
        let digits = Regex::new(r"\p{N}").map_err(|e| bad(e.to_string()))?;
        let pattern = Regex::new(GPT2_PATTERN).map_err(|e| bad(e.to_string()))?;
        Ok(Tokenizer {
            tokens,
            ids,
            merges: merge_map,
            special_pattern,
            is_special,
            byte_ids,
            char_to_byte,
            digits,
            pattern,
            cache: Mutex::new(HashMap::new()),
            eos,
            bos,
            add_bos,
        })
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// End-of-sequence id, if the model has one.
    pub fn eos(&self) -> Option<u32> {
        self.eos
    }

    /// The string of a token as the vocabulary stores it (byte-level symbols).
    pub fn token_str(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The id of this exact token string.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// Encodes `text`, parsing special tokens, with BOS when the model asks for it.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3 + 1);
        if self.add_bos {
            if let Some(bos) = self.bos {
                out.push(bos);
            }
        }
        let mut rest = text;
        while !rest.is_empty() {
            match self.next_special(rest) {
                Some((at, token, id)) => {
                    self.encode_plain(&rest[..at], &mut out);
                    out.push(id);
                    rest = &rest[at + token.len()..];
                }
                None => {
                    self.encode_plain(rest, &mut out);
                    break;
                }
            }
        }
        out
    }

    /// Encodes `text` as plain text: special token strings in it get no special treatment.
    pub fn encode_plain_text(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_plain(text, &mut out);
        out
    }

    /// The earliest special token in `text` (longest on ties): byte offset, string, id. One
    /// scan up to the match, so encoding stays linear however many specials the text holds.
    fn next_special<'a>(&'a self, text: &str) -> Option<(usize, &'a str, u32)> {
        let (pattern, ids) = self.special_pattern.as_ref()?;
        let m = pattern.find(text)?;
        let (token, &id) = ids.get_key_value(m.as_str())?;
        Some((m.start(), token.as_str(), id))
    }

    fn encode_plain(&self, text: &str, out: &mut Vec<u32>) {
        for chunk in self.pre_tokenize(text) {
            self.bpe_chunk(chunk, out);
        }
    }

    /// Splits text the way the `smollm` pre-tokenizer does: every digit alone, then the GPT-2
    /// pattern on the text between digits.
    pub fn pre_tokenize<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut chunks = Vec::new();
        let mut last = 0;
        for m in self.digits.find_iter(text) {
            self.gpt2_split(&text[last..m.start()], &mut chunks);
            chunks.push(m.as_str());
            last = m.end();
        }
        self.gpt2_split(&text[last..], &mut chunks);
        chunks
    }

    fn gpt2_split<'t>(&self, text: &'t str, chunks: &mut Vec<&'t str>) {
        let mut at = 0;
        while at < text.len() {
            let Some(m) = self.pattern.find_at(text, at) else {
                // Cannot happen (`\s+` and the other classes cover every char); keep the rest.
                chunks.push(&text[at..]);
                break;
            };
            let (start, mut end) = (m.start(), m.end());
            if start > at {
                chunks.push(&text[at..start]);
            }
            let piece = m.as_str();
            // `\s+(?!\S)`: a whitespace run followed by text leaves its last char to the next piece.
            if end < text.len() && piece.chars().all(char::is_whitespace) {
                let mut chars = piece.char_indices();
                if let (Some(_), Some((last_at, _))) = (chars.next(), chars.next_back()) {
                    end = start + last_at;
                }
            }
            chunks.push(&text[start..end]);
            at = end;
        }
    }

    /// Byte-level BPE of one pre-tokenized chunk.
    fn bpe_chunk(&self, chunk: &str, out: &mut Vec<u32>) {
        if chunk.is_empty() {
            return;
        }
        if let Ok(cache) = self.cache.lock() {
            if let Some(ids) = cache.get(chunk) {
                out.extend_from_slice(ids);
                return;
            }
        }
        let bytes = chunk.bytes().map(|b| self.byte_ids[b as usize]).collect();
        let mut symbols = self.merge(bytes);
        symbols.retain(|&id| id != NO_TOKEN);
        out.extend_from_slice(&symbols);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 100_000 {
                cache.clear();
            }
            cache.insert(chunk.to_string(), symbols);
        }
    }

    /// Merges adjacent symbols, lowest rank first (the leftmost of equal ranks), until no pair
    /// has a merge. Candidate pairs wait in a heap and symbols form a linked list, so a chunk
    /// of `n` bytes takes `O(n log n)` (a long run of letters in the input cannot stall the
    /// model's thread).
    fn merge(&self, mut ids: Vec<u32>) -> Vec<u32> {
        let n = ids.len();
        if n < 2 {
            return ids;
        }
        const NONE: usize = usize::MAX;
        let mut next: Vec<usize> = (1..=n).map(|j| if j < n { j } else { NONE }).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.checked_sub(1).unwrap_or(NONE)).collect();
        let mut alive = vec![true; n];
        // (rank, left position, left id, right id): smallest rank, then leftmost, first.
        let mut heap = BinaryHeap::new();
        let candidate = |heap: &mut BinaryHeap<_>, i: usize, l: u32, r: u32| {
            if let Some(&(rank, _)) = self.merges.get(&(l, r)) {
                heap.push(Reverse((rank, i, l, r)));
            }
        };
        for i in 0..n - 1 {
            candidate(&mut heap, i, ids[i], ids[i + 1]);
        }
        while let Some(Reverse((_, i, l, r))) = heap.pop() {
            let j = next[i];
            // A pair whose symbols have changed since it was queued is stale.
            if !alive[i] || j == NONE || ids[i] != l || ids[j] != r {
                continue;
            }
            let Some(&(_, merged)) = self.merges.get(&(l, r)) else {
                continue;
            };
            ids[i] = merged;
            alive[j] = false;
            let k = next[j];
            next[i] = k;
            if k != NONE {
                prev[k] = i;
                candidate(&mut heap, i, merged, ids[k]);
            }
            if prev[i] != NONE {
                candidate(&mut heap, prev[i], ids[prev[i]], merged);
            }
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i != NONE {
            out.push(ids[i]);
            i = next[i];
        }
        out
    }

    /// The bytes of one token (empty for control tokens and unknown ids).
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let Some(token) = self.tokens.get(id as usize) else {
            return Vec::new();
        };
        if self.is_special.get(id as usize).copied().unwrap_or(false) {
            return Vec::new();
        }
        let mut bytes = Vec::with_capacity(token.len());
        for c in token.chars() {
            match self.char_to_byte.get(&c) {
                Some(&b) => bytes.push(b),
                // User-defined tokens may hold chars outside the byte table: keep them as UTF-8.
                None => {
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        bytes
    }

    /// Decodes ids to text (control tokens dropped, invalid UTF-8 replaced).
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id)).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy vocabulary: all 256 byte symbols, a few merges, two control tokens.
    fn toy() -> Tokenizer {
        let table = bytes_to_unicode();
        let mut tokens: Vec<String> = vec!["<|im_start|>".into(), "<|im_end|>".into()];
        tokens.extend(table.iter().map(|c| c.to_string()));
        let g = table[b' ' as usize];
        for t in [
            "he",
            "ll",
            "hell",
            "hello",
            &format!("{g}w"),
            &format!("{g}wo"),
        ] {
            tokens.push(t.to_string());
        }
        let mut types = vec![TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL];
        types.resize(tokens.len(), 1);
        let merges: Vec<String> = [
            "h e".to_string(),
            "l l".to_string(),
            "he ll".to_string(),
            "hell o".to_string(),
            format!("{g} w"),
            format!("{g}w o"),
        ]
        .into();
        Tokenizer::new(tokens, &types, &merges, None, Some(1), false).expect("toy tokenizer")
    }

    #[test]
    fn merges_by_rank_and_round_trips() {
        let t = toy();
        let ids = t.encode("hello wo");
        assert_eq!(t.decode(&ids), "hello wo");
        assert_eq!(ids.len(), 2, "{ids:?}");
    }

    #[test]
    fn special_tokens_are_whole_and_add_no_space() {
        let t = toy();
        let ids = t.encode("<|im_start|>hello<|im_end|>\n");
        assert_eq!(ids[0], 0);
        assert_eq!(ids[2], 1);
        assert_eq!(ids.len(), 4);
        assert_eq!(t.decode(&ids), "hello\n");
    }

    #[test]
    fn pre_tokenizer_splits_digits_and_whitespace_like_gpt2() {
        let t = toy();
        assert_eq!(
            t.pre_tokenize("ab  cd 123x\n\nq's  "),
            vec!["ab", " ", " cd", " ", "1", "2", "3", "x", "\n", "\n", "q", "'s", "  "]
        );
        assert_eq!(t.pre_tokenize("a \nb"), vec!["a", " ", "\n", "b"]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let t = toy();
        for s in [
            "",
            "\u{0}",
            "é漢字🙂",
            "<|im_start",
            "<|im_end|><|im_end|>",
            "\r\n\t  ",
        ] {
            let ids = t.encode(s);
            assert_eq!(t.decode(&ids), s.replace("<|im_end|>", ""));
        }
        assert_eq!(t.decode(&[9_999_999]), "");
    }

    /// The textbook loop: merge the lowest-ranked pair, leftmost first, rescanning each time.
    fn merge_naive(t: &Tokenizer, mut symbols: Vec<u32>) -> Vec<u32> {
        loop {
            let mut best: Option<(u32, usize, u32)> = None;
            for i in 0..symbols.len().saturating_sub(1) {
                if let Some(&(rank, merged)) = t.merges.get(&(symbols[i], symbols[i + 1])) {
                    if best.is_none_or(|(r, _, _)| rank < r) {
                        best = Some((rank, i, merged));
                    }
                }
            }
            let Some((_, i, merged)) = best else {
                return symbols;
            };
            symbols[i] = merged;
            symbols.remove(i + 1);
        }
    }

    /// A vocabulary whose merges overlap (`a a`, `aa a`, `a aa`, `aa aa`, `b a`, `ab`...), so
    /// that the order of merges decides the result.
    fn overlapping() -> Tokenizer {
        let table = bytes_to_unicode();
        let mut tokens: Vec<String> = table.iter().map(|c| c.to_string()).collect();
        let words = ["aa", "aaa", "aaaa", "ba", "ab", "aba", "bab", "abab"];
        tokens.extend(words.iter().map(|w| w.to_string()));
        let merges: Vec<String> = [
            "a b", "b a", "a a", "aa a", "ab ab", "a aa", "b ab", "ab a", "aa aa",
        ]
        .iter()
        .map(|m| m.to_string())
        .collect();
        Tokenizer::new(tokens, &[], &merges, None, None, false).expect("tokenizer")
    }

    #[test]
    fn the_merge_heap_merges_as_the_textbook_loop_does() {
        let t = overlapping();
        let mut rng = fastrand::Rng::with_seed(5);
        let mut differing = 0;
        for _ in 0..2000 {
            let len = rng.usize(0..24);
            let text: String = (0..len)
                .map(|_| if rng.bool() { 'a' } else { 'b' })
                .collect();
            let bytes: Vec<u32> = text.bytes().map(|b| t.byte_ids[b as usize]).collect();
            let want = merge_naive(&t, bytes.clone());
            assert_eq!(t.merge(bytes.clone()), want, "{text:?}");
            differing += usize::from(want.len() != bytes.len());
        }
        assert!(differing > 1500, "the merges did apply ({differing})");
        // The toy vocabulary's merges too.
        let t = toy();
        for text in ["hello", "hellohello", "hhee", "llll", " wo wo"] {
            let bytes: Vec<u32> = text.bytes().map(|b| t.byte_ids[b as usize]).collect();
            assert_eq!(t.merge(bytes.clone()), merge_naive(&t, bytes), "{text:?}");
        }
    }

    #[test]
    fn long_runs_and_many_special_tokens_encode_in_one_pass() {
        // One 200,000-letter chunk and 20,000 special tokens: the old quadratic loops took
        // minutes on these; both are linear (or n log n) now.
        let t = overlapping();
        let run = "ab".repeat(100_000);
        let ids = t.encode(&run);
        assert_eq!(t.decode(&ids), run);
        assert_eq!(ids.len(), 50_000, "abab x 50,000");
        let t = toy();
        let text = "<|im_end|>hello ".repeat(20_000);
        let ids = t.encode(&text);
        assert_eq!(ids.iter().filter(|&&id| id == 1).count(), 20_000);
        assert_eq!(t.decode(&ids), "hello ".repeat(20_000));
    }
}
