//! SQL-injection detection in the manner of AWS WAF's `SqliMatchStatement`: a tokenizer, a folding stage and a
//! set of documented rules over the folded token sequence (no fingerprint list, no regex).
//!
//! The input is scanned up to three times, each time in a different *context* ([`SqlContext`]): as-is, as if it
//! followed an opening `'`, and as if it followed an opening `"` (the quote passes only run when the input
//! contains that quote). A pass tokenizes and folds the input in one linear sweep and evaluates the rules at every
//! token with a fixed look-ahead of 15 folded tokens, so the cost is linear in the input and
//! the common path does not allocate. There is no scan budget: the whole input is read; the caller bounds its size
//! (AWS WAF inspects at most the first 8/16/64 KB of a body, and the gateway applies that limit).
//!
//! See `docs/waf-detectors.md` for the rule list, what LOW and HIGH flag, and the measured rates.

mod fold;
mod keywords;
mod lexer;
mod prefilter;
#[cfg(test)]
mod prefilter_tests;
mod rules;
#[cfg(test)]
mod tests;

pub use lexer::SqlContext;
pub use rules::SqliRule;

use fold::Folder;
use lexer::{Kind, Token};
use rules::{View, RING};

/// How eager the detector is, as in AWS WAF's `SqliMatchStatement.SensitivityLevel`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Sensitivity {
    /// High-confidence patterns only; no false positive on ordinary prose, names, numbers or URLs is acceptable.
    /// This is AWS WAF's default.
    #[default]
    Low,
    /// Everything LOW flags plus short or partial patterns (`1 or true`, a bare `or 1=1`, `1--`, `Jones' # x`,
    /// `UNION SELECT` after a bareword, a lone `/*!` comment) at the price of rare false positives on prose.
    High,
}

/// Most tokens a match reports.
pub const MAX_MATCHED_TOKENS: usize = 8;

/// A detection: the rule that fired, the context the input was read in, and the byte spans of the folded tokens
/// the rule matched (at most [`MAX_MATCHED_TOKENS`]), in input order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliMatch {
    /// The rule that fired.
    pub rule: SqliRule,
    /// The context in which the input was read when the rule fired.
    pub context: SqlContext,
    spans: [(usize, usize); MAX_MATCHED_TOKENS],
    count: usize,
}

impl SqliMatch {
    /// Byte ranges `(start, end)` of the matched tokens in the input. A merged keyword (`UNION/**/ALL`) is one
    /// range; in a quote context the first string's range starts at 0 without the implied quote.
    pub fn spans(&self) -> &[(usize, usize)] {
        &self.spans[..self.count]
    }

    /// The matched tokens as text, like AWS WAF's `matchedData` (`["10", "AND", "1"]`): one string per token,
    /// invalid UTF-8 replaced. `input` must be the slice that was inspected. Allocates; meant for logging.
    pub fn matched_data(&self, input: &[u8]) -> Vec<String> {
        self.spans()
            .iter()
            .map(|&(s, e)| String::from_utf8_lossy(input.get(s..e).unwrap_or_default()).into_owned())
            .collect()
    }
}

/// Whether `input` (already decoded by the rule's text transformations) contains a SQL injection at
/// `sensitivity`; the first match found, trying the as-is context first, then `'`, then `"`.
///
/// Linear in `input.len()`, never panics, and allocates nothing.
///
/// An exact prefilter (`prefilter.rs`) first proves, for most benign inputs, that no rule can fire; the full
/// passes run only when it cannot. The result is the same as without it.
pub fn is_sqli(input: &[u8], sensitivity: Sensitivity) -> Option<SqliMatch> {
    if !prefilter::may_match(input, sensitivity) {
        return None;
    }
    is_sqli_unfiltered(input, sensitivity)
}

/// [`is_sqli`] without the prefilter: every pass, every token.
fn is_sqli_unfiltered(input: &[u8], sensitivity: Sensitivity) -> Option<SqliMatch> {
    let contexts = [
        (true, SqlContext::AsIs),
        (input.contains(&b'\''), SqlContext::SingleQuote),
        (input.contains(&b'"'), SqlContext::DoubleQuote),
    ];
    contexts
        .into_iter()
        .filter(|&(run, _)| run)
        .find_map(|(_, ctx)| scan(input, ctx, sensitivity))
}

/// One pass in one context.
fn scan(input: &[u8], ctx: SqlContext, sensitivity: Sensitivity) -> Option<SqliMatch> {
    let mut folder = Folder::new(input, ctx);
    let mut ring = [Token::EMPTY; RING];
    let (mut head, mut len, mut index, mut pred) = (0usize, 0usize, 0usize, Kind::End);
    let mut done = false;
    loop {
        if !done {
            match folder.next_token() {
                Some(t) => {
                    ring[(head + len) % RING] = t;
                    len += 1;
                    if len < RING {
                        continue;
                    }
                }
                None => done = true,
            }
        }
        if len == 0 {
            break;
        }
        let view = View {
            input,
            ring: &ring,
            head,
            avail: len,
            index,
            pred,
        };
        if let Some(hit) = rules::check(&view, sensitivity) {
            let mut m = SqliMatch {
                rule: hit.rule,
                context: ctx,
                spans: [(0, 0); MAX_MATCHED_TOKENS],
                count: 0,
            };
            for i in 0..hit.len.min(len).min(MAX_MATCHED_TOKENS) {
                let t = ring[(head + i) % RING];
                m.spans[i] = (t.start, t.end);
                m.count = i + 1;
            }
            return Some(m);
        }
        pred = ring[head].kind;
        head = (head + 1) % RING;
        len -= 1;
        index += 1;
    }
    if sensitivity == Sensitivity::High && folder.saw_exec_comment() {
        let at = input.windows(3).position(|w| w == b"/*!").unwrap_or(0);
        let mut spans = [(0, 0); MAX_MATCHED_TOKENS];
        spans[0] = (at, (at + 3).min(input.len()));
        return Some(SqliMatch {
            rule: SqliRule::ExecutableComment,
            context: ctx,
            spans,
            count: 1,
        });
    }
    None
}
