//! An exact prefilter: a cheap test that proves, for most benign inputs, that the full detector
//! (`is_sqli_unfiltered`: up to three tokenizing passes with the rules evaluated at every token) cannot match.
//! [`may_match`] returning `false` means the full detector returns `None`; `true` means "run it". It never
//! changes a verdict, only skips work; the equivalence is checked by property tests and on every line of the
//! labelled lists and the WAF corpus (`prefilter_tests.rs`).
//!
//! # Why it is exact
//!
//! The rules fall in two groups (see `rules.rs`):
//!
//! - Rules that only fire on the first folded token of a pass (`v.index == 0`): `value_start`, `bare_boolean`,
//!   `order_by` and the "starts with `UNION`/`;`" branches of `union_select`/`stacked`. They need the first token
//!   to be a value, a string, boolean logic, a set operator or `;`. For each pass that would run, the prefilter
//!   folds the first token (and, after a value or string, the first token that is not `)`); when these can start
//!   a rule, it evaluates the real rules on the real first window ([`start_may_match`]).
//! - Rules that fire anywhere (`index >= 1`): each needs a *trigger* token at the anchor or right after it:
//!   `UnionSelect` a set operator as the second token, `StackedQuery` a `;` as the second token, `Tautology` a
//!   connector (`AND`, `OR`, `XOR`, `&&`, `||`, `WHERE`, `HAVING`) as the second token, `TimeDelay` `WAITFOR` or a
//!   time function as the anchor, `DangerousFunction` an attack-only function as the anchor, `FileWrite` `INTO`
//!   as the anchor, `DangerousIdentifier` a procedure or catalog name (`FROM <catalog>` included) as the anchor or
//!   the second token.
//!
//! Every byte position where some pass could start a trigger token is visited ([`triggers_may_match`]): every `;`,
//! `&&` and `||`, every backtick and `[` (delimited identifiers), and every position where a word token can begin.
//! A word token runs to the end of its run of word bytes, and inside such a run a token can only end after a
//! digit, `.` or `$` (a number or a `$$` string), or after a hexadecimal digit of a `0x`/`0b` number; so the
//! candidate starts are the start of every run and the positions after those bytes.
//!
//! The lexer is context-free once it is between tokens: its only state is the position and the depth of MySQL
//! `/*! ... */` bodies (the prefilter gives up, returning `true`, on any input containing `/*!`). So the folded
//! tokens that follow a trigger at position `p` in *any* pass are exactly those of a lexer resumed at `p`
//! ([`Lexer::resume`](super::lexer::Lexer::resume)): the folder's only memory is the previous token's class,
//! which is the trigger's own once the trigger is emitted, and no trigger is folded away or merged into the token
//! before it. The prefilter re-reads up to 16 folded tokens from the trigger and evaluates the real rules on two
//! windows: one anchored at the trigger, one anchored at a synthetic number just before it (a number satisfies
//! every condition those rules put on the token before a set operator, `;` or connector, at the lowest level).
//! Both windows use the most permissive token-before-the-anchor (boolean logic, for `TimeDelay`) and the
//! sensitivity HIGH, so they flag at least what the real windows flag. A cheap look at the trigger and the token
//! after it skips the rule evaluation when the one rule the trigger can start cannot fire.
//!
//! The anchor-0 rules are evaluated on the exact first window with the caller's sensitivity; the anywhere rules
//! on windows that flag a superset. Hence `may_match == false` implies no rule fires at any token of any pass.
//! `ExecutableComment` needs `/*!`, which makes [`may_match`] return `true`.

use super::fold::Folder;
use super::keywords::{self, MAX_KEYWORD_LEN};
use super::lexer::{is_space, is_word_byte, is_word_start, Kind, SqlContext, Token, Word};
use super::rules::{self, View, RING};
use super::Sensitivity;

/// Whether the full detector may match `input` at `sens`; `false` proves it returns `None`.
pub(crate) fn may_match(input: &[u8], sens: Sensitivity) -> bool {
    if start_may_match(input, SqlContext::AsIs, sens) {
        return true;
    }
    let Some(quotes) = triggers_may_match(input) else {
        return true;
    };
    (quotes & SINGLE_QUOTE != 0 && start_may_match(input, SqlContext::SingleQuote, sens))
        || (quotes & DOUBLE_QUOTE != 0 && start_may_match(input, SqlContext::DoubleQuote, sens))
}

/// Whether a rule can fire on the first window of the pass in `ctx` (exact for the anchor-0 rules; the rules
/// that fire anywhere are covered by [`triggers_may_match`]).
fn start_may_match(input: &[u8], ctx: SqlContext, sens: Sensitivity) -> bool {
    let shortcut = match ctx {
        SqlContext::AsIs => first_token_may_start(input),
        SqlContext::SingleQuote | SqlContext::DoubleQuote => after_break_out_may_start(input, ctx),
    };
    if !shortcut {
        return false;
    }
    let mut folder = Folder::new(input, ctx);
    let Some(t0) = folder.next_token() else {
        return false;
    };
    match t0.kind {
        // `value_start`/`order_by` after a value or a string: the first token after the `)`s must be a
        // connector, a comment, `;`, an operator, a comparison or `ORDER BY`/`GROUP BY`; `union_select`/`stacked`
        // need a set operator or `;` right after the value.
        Kind::Num | Kind::RParen | Kind::Var | Kind::Lit | Kind::Str => {
            let next = loop {
                match folder.next_token() {
                    Some(t) if t.kind == Kind::RParen => continue,
                    other => break other,
                }
            };
            let Some(c) = next else {
                return false;
            };
            let can_start = matches!(
                c.kind,
                Kind::Logic | Kind::Comment | Kind::Semi | Kind::Op | Kind::Cmp | Kind::Union
            ) || matches!(c.word, Word::Having | Word::Where | Word::OrderBy | Word::GroupBy);
            if !can_start {
                return false;
            }
        }
        // `bare_boolean`, and `union_select`/`stacked` on a value that starts with `UNION`/`;`.
        Kind::Logic | Kind::Union | Kind::Semi => {}
        _ => return false,
    }
    let mut folder = Folder::new(input, ctx);
    let mut ring = [Token::EMPTY; RING];
    let mut len = 0;
    while len < RING {
        match folder.next_token() {
            Some(t) => {
                ring[len] = t;
                len += 1;
            }
            None => break,
        }
    }
    let view = View {
        input,
        ring: &ring,
        head: 0,
        avail: len,
        index: 0,
        pred: Kind::End,
    };
    rules::check(&view, sens).is_some()
}

/// As-is pass, shortcut without the folder: `false` when the first token cannot start an anchor-0 rule for
/// sure. That is when the input starts (after whitespace) with a word that is not boolean logic, a set operator
/// or a literal (such a word is folded neither away nor into a token of one of those classes: only `NOT` is
/// dropped, and `UNION ALL` is the only merge that yields one), or with a byte that always makes a token of
/// another class that folding keeps: punctuation, `(`, `,`, a comparison, a non-unary operator, a `#` comment,
/// a backtick or bracket identifier.
fn first_token_may_start(input: &[u8]) -> bool {
    let Some(start) = input.iter().position(|&b| !is_space(b)) else {
        return false;
    };
    let first = input[start];
    if !is_word_start(first) {
        return !matches!(
            first,
            b'{' | b'}'
                | b'('
                | b','
                | b'?'
                | b'\\'
                | b']'
                | b'='
                | b'<'
                | b'>'
                | b':'
                | b'%'
                | b'^'
                | b'*'
                | b'#'
                | b'`'
                | b'['
        );
    }
    let end = word_end(input, start);
    if end == start + 1 && input.get(end) == Some(&b'\'') {
        // `X'41'`, `N'a'`: a number or a string.
        return true;
    }
    keywords::lookup_rule_start(&input[start..end]).is_some()
}

/// Quote passes, shortcut without the folder: the first token is the string up to the first unescaped quote,
/// and the anchor-0 rules need the token after it (and its `)`s) to be a connector, a comment, `;`, an
/// operator, a comparison, a set operator or `ORDER BY`/`GROUP BY`. `false` when that token is for sure a plain
/// word, a keyword of another class, a number, a string, a variable, `(`, `,` or punctuation.
fn after_break_out_may_start(input: &[u8], ctx: SqlContext) -> bool {
    let quote = if ctx == SqlContext::SingleQuote { b'\'' } else { b'"' };
    let t0_end = string_end(input, quote);
    let Some(start) = input[t0_end..].iter().position(|&b| !is_space(b)).map(|p| t0_end + p) else {
        return false;
    };
    let first = input[start];
    if !is_word_start(first) {
        return !matches!(
            first,
            b'{' | b'}' | b'(' | b',' | b'?' | b'\\' | b']' | b'`' | b'[' | b'\'' | b'"' | b'@' | b'$' | b'0'..=b'9'
        );
    }
    let end = word_end(input, start);
    if end == start + 1 && input.get(end) == Some(&b'\'') {
        return true;
    }
    let Some(e) = keywords::lookup(&input[start..end]) else {
        // A plain word (possibly a catalog name, which is still a bareword).
        return false;
    };
    let continues = matches!(
        e.kind,
        Kind::Logic | Kind::Comment | Kind::Semi | Kind::Op | Kind::Cmp | Kind::Union
    ) || matches!(e.word, Word::Having | Word::Where);
    if continues || !matches!(e.word, Word::Order | Word::Group | Word::Sounds) {
        return continues;
    }
    // `ORDER`/`GROUP` merge with a following `BY` into `ORDER BY`/`GROUP BY`, `SOUNDS` with a following `LIKE`,
    // `RLIKE`, `REGEXP`... into a comparison (`fold.rs`); a comment may come between them.
    let Some(next) = input[end..].iter().position(|&b| !is_space(b)).map(|p| end + p) else {
        return false;
    };
    if !is_word_start(input[next]) {
        return input[next] == b'/';
    }
    keywords::lookup(&input[next..word_end(input, next)]).is_some_and(|n| match e.word {
        Word::Sounds => n.kind == Kind::Cmp && n.word == Word::Like,
        _ => n.word == Word::By,
    })
}

/// Where the string that a quote pass starts with ends: after the first `quote` that is neither escaped by a
/// backslash nor doubled, or at the end of the input; the same position as `Lexer::string`, found with memchr.
pub(crate) fn string_end(s: &[u8], quote: u8) -> usize {
    let mut i = 0;
    while let Some(p) = s.get(i..).and_then(|rest| memchr::memchr2(quote, b'\\', rest)) {
        i += p;
        if s[i] == b'\\' || s.get(i + 1) == Some(&quote) {
            i += 2;
        } else {
            return i + 1;
        }
    }
    s.len()
}

/// End of the run of word bytes that starts at `start`.
fn word_end(input: &[u8], start: usize) -> usize {
    input[start..]
        .iter()
        .position(|&b| !is_word_byte(b))
        .map_or(input.len(), |p| start + p)
}

/// Bytes per block of [`triggers_may_match`].
const BLOCK: usize = 64;

/// Per byte of a block: bit 0 a word byte (`lexer::is_word_byte`), bit 1 a digit, `.`, `$` (a word token can
/// start right after one inside a run of word bytes) or one of `;`, `&`, `|`, `` ` ``, `[`, `/` (the other
/// bytes that can start a trigger), bits 2 and 3 `'` and `"`. Written as comparisons so that the compiler
/// vectorizes it.
#[inline(always)]
pub(crate) fn classify(b: u8) -> u8 {
    let digit = b.wrapping_sub(b'0') < 10;
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let numberish = digit | (b == b'.') | (b == b'$');
    let word = letter | numberish | (b == b'_') | (b >= 0x80);
    let special = (b == b';') | (b == b'&') | (b == b'|') | (b == b'`') | (b == b'[') | (b == b'/');
    u8::from(word) | (u8::from(numberish | special) << 1) | (u8::from(b == b'\'') << 2) | (u8::from(b == b'"') << 3)
}

/// [`classify`] bits of the quotes: whether the single- and double-quote passes run.
const SINGLE_QUOTE: u8 = 4;
const DOUBLE_QUOTE: u8 = 8;

/// The word-byte mask and the numberish-or-special mask of a block (bit `j` for byte `j`), and the quote bits
/// of [`classify`] of any of its bytes.
#[inline(always)]
fn block_masks(block: &[u8; BLOCK]) -> (u64, u64, u8) {
    let mut cls = [0u8; BLOCK];
    for (c, &b) in cls.iter_mut().zip(block) {
        *c = classify(b);
    }
    let quotes = cls.iter().fold(0, |a, &c| a | c) & (SINGLE_QUOTE | DOUBLE_QUOTE);
    // Packs the low bit of each of 8 bytes into one byte.
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let (mut word, mut marked) = (0u64, 0u64);
    for (k, chunk) in cls.chunks_exact(8).enumerate() {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        let x = u64::from_le_bytes(eight);
        word |= ((x & LOW_BITS).wrapping_mul(GATHER) >> 56) << (8 * k);
        marked |= (((x >> 1) & LOW_BITS).wrapping_mul(GATHER) >> 56) << (8 * k);
    }
    (word, marked, quotes)
}

/// The masks of the bytes `s[base..]`, at most [`BLOCK`] of them (bytes past the end count as neither), and
/// quote bits that cover at least those bytes.
#[inline(always)]
pub(crate) fn masks_at(s: &[u8], base: usize) -> (u64, u64, u8) {
    let len = s.len();
    if let Some(Ok(full)) = s.get(base..base + BLOCK).map(<&[u8; BLOCK]>::try_from) {
        // A full block has a fixed length, so its classification loop is vectorized without a remainder.
        return block_masks(full);
    }
    if let Some(Ok(last)) = len.checked_sub(BLOCK).map(|b| <&[u8; BLOCK]>::try_from(&s[b..])) {
        // The partial last block of a long input: the last 64 bytes, minus those already seen.
        let (word, marked, quotes) = block_masks(last);
        let seen = base + BLOCK - len;
        return (word >> seen, marked >> seen, quotes);
    }
    short_masks(s)
}

/// [`block_masks`] for an input shorter than [`BLOCK`]: 8 bytes at a time in a `u64` (SWAR), which avoids
/// copying the input into a block (a copy whose byte-wise stores would stall the wide loads that follow).
fn short_masks(s: &[u8]) -> (u64, u64, u8) {
    let (mut word, mut marked, mut quotes) = (0u64, 0u64, 0u8);
    let mut k = 0;
    while k < s.len() {
        let x = match s.get(k..k + 8).map(<[u8; 8]>::try_from) {
            Some(Ok(eight)) => u64::from_le_bytes(eight),
            // The last bytes: the 8 bytes that end the input, shifted so that its bytes from `k` come first.
            _ => match s.len().checked_sub(8) {
                Some(b) => s[b..].iter().rev().fold(0, |x, &c| x << 8 | u64::from(c)) >> (8 * (k - b)),
                None => s[k..].iter().rev().fold(0, |x, &c| x << 8 | u64::from(c)),
            },
        };
        let (w, m, q) = swar_classify(x);
        word |= w << k;
        marked |= m << k;
        quotes |= q;
        k += 8;
    }
    (word, marked, quotes)
}

/// [`classify`] for the 8 bytes of `x` at once: the word-byte and numberish-or-special bits (bit `j` for byte
/// `j`; zero bytes are neither), and the quote bits of any byte.
fn swar_classify(x: u64) -> (u64, u64, u8) {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const GATHER: u64 = 0x0102_0408_1020_4080;
    // Bytes of `y` (all below 0x80) that are at least `c`, as their high bit; no carry crosses a byte.
    let ge = |y: u64, c: u8| y.wrapping_add(u64::from(0x80 - c) * LOW) & HIGH;
    let range = |y: u64, lo: u8, hi: u8| ge(y, lo) & !ge(y, hi + 1);
    let eq = |y: u64, c: u8| range(y, c, c);
    let high = x & HIGH;
    let y = x & !HIGH;
    let letter = range(y | (0x20 * LOW), b'a', b'z');
    let numberish = (range(y, b'0', b'9') | eq(y, b'.') | eq(y, b'$')) & !high;
    let word = high | ((letter | eq(y, b'_')) & !high) | numberish;
    let special = (eq(y, b';') | eq(y, b'&') | eq(y, b'|') | eq(y, b'`') | eq(y, b'[') | eq(y, b'/')) & !high;
    let pack = |m: u64| ((m >> 7).wrapping_mul(GATHER)) >> 56;
    let quote = |c: u8, bit: u8| if eq(y, c) & !high != 0 { bit } else { 0 };
    (
        pack(word),
        pack(numberish | special),
        quote(b'\'', SINGLE_QUOTE) | quote(b'"', DOUBLE_QUOTE),
    )
}

/// Bits `from..64`.
fn bits_from(from: usize) -> u64 {
    u64::MAX.checked_shl(from as u32).unwrap_or(0)
}

/// Bits `from..to`.
fn bits_between(from: usize, to: usize) -> u64 {
    bits_from(from) & !bits_from(to)
}

/// Length class for [`RUN_SHAPES`]: words longer than [`MAX_KEYWORD_LEN`] share one row.
const LONG: usize = MAX_KEYWORD_LEN + 1;

/// [`keywords::trigger_shapes`] plus the catalog prefixes of `lexer::word` (`information_schema...`,
/// `pg_catalog...`: any word of at least their length that starts with `i` / `p`), with a last row for the
/// words longer than any keyword.
const fn run_shapes() -> [u32; (LONG + 1) * 32] {
    let keywords = keywords::trigger_shapes();
    let mut t = [0u32; (LONG + 1) * 32];
    let mut i = 0;
    while i < keywords.len() {
        t[i] = keywords[i];
        i += 1;
    }
    let mut n = 0;
    while n <= LONG {
        if n >= b"pg_catalog".len() {
            t[n * 32 + keywords::shape(b'p') as usize] = u32::MAX;
        }
        if n >= b"information_schema".len() {
            t[n * 32 + keywords::shape(b'i') as usize] = u32::MAX;
        }
        n += 1;
    }
    t
}

static RUN_SHAPES: [u32; (LONG + 1) * 32] = run_shapes();

/// Whether the word token `s[start..end]` can be a trigger, judged by its length and first and last bytes
/// only: `false` for most words. Branch-free.
#[inline(always)]
fn shape_may_match(s: &[u8], start: usize, end: usize) -> bool {
    let n = (end - start).min(LONG);
    let first = usize::from(keywords::shape(s[start]));
    let last = u32::from(keywords::shape(s[end - 1]));
    RUN_SHAPES[n * 32 + first] >> last & 1 != 0
}

/// Whether a rule that fires away from the first token may fire in some pass: visits every position where a
/// trigger token can start and checks the tokens that follow it. Works on 64-byte blocks: the runs of word bytes
/// and the special bytes are found with bit masks, and each run is first judged by its shape alone, so the cost
/// per byte is small and mostly branch-free.
///
/// Returns `None` when a trigger may complete a rule, otherwise the quote bits of [`classify`] of the input.
fn triggers_may_match(s: &[u8]) -> Option<u8> {
    // State carried from block to block: whether the previous byte was a word byte / numberish, and the run of
    // word bytes still open at the end of the previous block.
    let (mut word_carry, mut numberish_carry) = (0u64, 0u64);
    let mut open: Option<(usize, bool)> = None;
    let mut quotes = 0;
    // Bytes the re-reading after triggers may examine in all (each trigger's tokens can run far, for instance an
    // unterminated comment after every `;`); past it the full detector decides, so the prefilter stays linear.
    let mut budget = s.len().saturating_mul(8).saturating_add(4096);
    let mut base = 0;
    while base < s.len() {
        let (word, marked, block_quotes) = masks_at(s, base);
        quotes |= block_quotes;
        let numberish = marked & word;
        let special = marked & !word;
        // Word-start bytes right after a digit, `.` or `$`: a word token can start there inside a run (this
        // includes the `x` of every `0x` number, so a run with a hexadecimal number is looked at closely).
        let inner = word & !numberish & ((numberish << 1) | numberish_carry);
        let after_word = (word << 1) | word_carry;
        word_carry = word >> 63;
        numberish_carry = numberish >> 63;
        let mut starts = word & !after_word;
        let mut ends = !word & after_word;
        // One-byte words are never triggers (nor have room for one inside): drop them.
        let single = starts & (ends >> 1);
        starts &= !single;
        ends &= !(single << 1);
        if let Some((start, has_inner)) = open {
            if ends != 0 {
                let end = ends.trailing_zeros() as usize;
                ends &= ends - 1;
                if run_may_match(
                    s,
                    start,
                    base + end,
                    has_inner || inner & !bits_from(end) != 0,
                    &mut budget,
                ) {
                    return None;
                }
                open = None;
            } else {
                open = Some((start, has_inner || inner != 0));
            }
        }
        if inner == 0 {
            // The common case, without the per-run test for inner starts.
            while ends != 0 {
                let (start, end) = (starts.trailing_zeros() as usize, ends.trailing_zeros() as usize);
                starts &= starts - 1;
                ends &= ends - 1;
                if run_may_match(s, base + start, base + end, false, &mut budget) {
                    return None;
                }
            }
        }
        while ends != 0 {
            let (start, end) = (starts.trailing_zeros() as usize, ends.trailing_zeros() as usize);
            starts &= starts - 1;
            ends &= ends - 1;
            if run_may_match(
                s,
                base + start,
                base + end,
                inner & bits_between(start, end) != 0,
                &mut budget,
            ) {
                return None;
            }
        }
        if starts != 0 {
            let start = starts.trailing_zeros() as usize;
            open = Some((base + start, inner & bits_from(start) != 0));
        }
        let mut special = special;
        while special != 0 {
            let j = special.trailing_zeros() as usize;
            special &= special - 1;
            if special_may_match(s, base + j, &mut budget) {
                return None;
            }
        }
        base += BLOCK;
    }
    match open {
        Some((start, has_inner)) if run_may_match(s, start, s.len(), has_inner, &mut budget) => None,
        _ => Some(quotes),
    }
}

/// The run of word bytes `s[start..end]`: the word token that starts with it and, when `has_inner`, the ones
/// that can start inside it.
#[inline(always)]
fn run_may_match(s: &[u8], start: usize, end: usize, has_inner: bool, budget: &mut usize) -> bool {
    (shape_may_match(s, start, end) && word_may_match(s, start, end, budget))
        || (has_inner && inner_may_match(s, start, end, budget))
}

/// A byte that is not a word byte but can start a trigger: `;`, `&&`, `||`, a backtick or bracket identifier;
/// and `/*!`, which makes the prefilter give up.
fn special_may_match(s: &[u8], i: usize, budget: &mut usize) -> bool {
    let next = s.get(i + 1).copied();
    match s[i] {
        b';' => local_may_match(s, i, budget),
        b @ (b'&' | b'|') => next == Some(b) && local_may_match(s, i, budget),
        b'`' => delimited_may_match(s, i, b'`'),
        b'[' => delimited_may_match(s, i, b']'),
        // A MySQL executable comment changes how the lexer reads `*/` after it.
        _ => next == Some(b'*') && s.get(i + 2) == Some(&b'!'),
    }
}

/// The word tokens that can start inside the run of word bytes `s[start..end]`: after a number (which ends
/// after a digit or `.`, or after a hexadecimal digit for `0x`/`0b` numbers) or a `$$` string.
#[inline(never)]
fn inner_may_match(s: &[u8], start: usize, end: usize, budget: &mut usize) -> bool {
    let hex = s[start..end]
        .windows(2)
        .any(|w| w[0] == b'0' && matches!(w[1], b'x' | b'X' | b'b' | b'B'));
    (start + 1..end).any(|p| {
        let before = s[p - 1];
        is_word_start(s[p])
            && (before.is_ascii_digit() || before == b'.' || before == b'$' || (hex && before.is_ascii_hexdigit()))
            && shape_may_match(s, p, end)
            && word_may_match(s, p, end, budget)
    })
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// A word token `s[start..end]` (the lexer's `word`): a trigger whose following tokens may complete a rule.
#[inline(never)]
fn word_may_match(s: &[u8], start: usize, end: usize, budget: &mut usize) -> bool {
    let word = &s[start..end];
    // Catalog names by prefix (`lexer::word`), whatever their length.
    if word.len() >= 10
        && (starts_with_ignore_case(word, b"information_schema") || starts_with_ignore_case(word, b"pg_catalog"))
    {
        return true;
    }
    match keywords::lookup_trigger(word) {
        None => false,
        // `DangerousIdentifier` fires on the name itself (at HIGH) or after `FROM`.
        Some(e) if matches!(e.word, Word::DangerName | Word::SchemaTable) => true,
        Some(_) => local_may_match(s, start, budget),
    }
}

/// A backtick or bracket identifier at `start` (the lexer's `delimited_ident`): only attack-only procedure and
/// catalog names matter. Looks at most `MAX_KEYWORD_LEN + 1` bytes ahead, so it stays linear.
fn delimited_may_match(s: &[u8], start: usize, close: u8) -> bool {
    let body = &s[start + 1..];
    let limit = body.len().min(MAX_KEYWORD_LEN + 1);
    let inner = match body[..limit].iter().position(|&b| b == close) {
        Some(k) => &body[..k],
        // Closed further on, or never: longer than any name.
        None if limit < body.len() => return false,
        // An unterminated `[` is punctuation.
        None if close == b']' => return false,
        // An unterminated backtick identifier runs to the end; the lexer drops the last byte as if it were the
        // closing backtick.
        None => &body[..body.len().saturating_sub(1)],
    };
    keywords::lookup(inner).is_some_and(|e| matches!(e.word, Word::DangerName | Word::SchemaTable))
}

/// The trigger token that a lexer resumed at `p` reads, and the tokens after it: whether the rule the trigger
/// can complete may fire (see the module documentation).
fn local_may_match(s: &[u8], p: usize, budget: &mut usize) -> bool {
    if *budget == 0 {
        // Too much re-reading already: let the full detector decide.
        return true;
    }
    let mut folder = Folder::resume(s, p);
    let mut toks = [Token::EMPTY; RING];
    let mut len = 0;
    let mut fill = |upto: usize, toks: &mut [Token; RING], len: &mut usize| {
        while *len < upto {
            match folder.next_token() {
                Some(t) => {
                    toks[*len] = t;
                    *len += 1;
                }
                None => break,
            }
        }
    };
    fill(2, &mut toks, &mut len);
    if len == 0 {
        return false;
    }
    let (t, n) = (toks[0], if len > 1 { toks[1] } else { Token::EMPTY });
    let worth = match (t.kind, t.word) {
        // `UnionSelect`: `<value> UNION [ALL] [(] SELECT`.
        (Kind::Union, _) => n.kind == Kind::LParen || (n.kind == Kind::Statement && n.word == Word::Select),
        // `StackedQuery`: `<value> ; <statement>`.
        (Kind::Semi, _) => n.kind == Kind::Statement,
        // `TimeDelay`: `WAITFOR DELAY|TIME '..'`, `<time function> (`.
        (Kind::Statement, Word::Waitfor) => matches!(n.word, Word::Delay | Word::Time),
        (Kind::Function, Word::TimeFn | Word::DangerFn) => n.kind == Kind::LParen,
        // `FileWrite`: `INTO OUTFILE|DUMPFILE`.
        (Kind::Keyword, Word::Into) => n.word == Word::Outfile,
        // `Tautology`: `<value> <connector> [(] <operand> ...`.
        (Kind::Logic, w) if w != Word::Not => connector_operand(n.kind),
        (_, Word::Where | Word::Having) => connector_operand(n.kind),
        _ => false,
    };
    if !worth {
        *budget = budget.saturating_sub(folder.examined() - p);
        return false;
    }
    fill(RING, &mut toks, &mut len);
    *budget = budget.saturating_sub(folder.examined() - p);
    // Anchored at the trigger: the time, dangerous and file-write rules.
    let at_trigger = View {
        input: s,
        ring: &toks,
        head: 0,
        avail: len,
        index: 1,
        pred: Kind::Logic,
    };
    if rules::check(&at_trigger, Sensitivity::High).is_some() {
        return true;
    }
    // Anchored at a value just before the trigger: union, stacked query, tautology.
    let mut shifted = [Token::EMPTY; RING];
    shifted[0] = Token::new(Kind::Num, p, p);
    shifted[1..].copy_from_slice(&toks[..RING - 1]);
    let before_trigger = View {
        input: s,
        ring: &shifted,
        head: 0,
        avail: (len + 1).min(RING),
        index: 1,
        pred: Kind::Logic,
    };
    rules::check(&before_trigger, Sensitivity::High).is_some()
}

/// What can follow a connector in a comparison (`operand_at`): `(` or an operand.
fn connector_operand(k: Kind) -> bool {
    matches!(
        k,
        Kind::LParen | Kind::Num | Kind::Str | Kind::Var | Kind::Lit | Kind::Word
    )
}
