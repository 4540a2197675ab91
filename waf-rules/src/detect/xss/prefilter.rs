//! An exact prefilter for the XSS detector: [`may_match`] returning `false` proves that `is_xss_unfiltered`
//! (the URL-value check and up to four tokenizing passes) returns `None`; `true` means "run it". The
//! equivalence is checked by property tests and on the labelled lists and the WAF corpus (`prefilter_tests.rs`).
//!
//! # Why it is exact
//!
//! - Tags, end tags, comments, CDATA sections, declarations and processing instructions all start with `<`
//!   followed by a letter, `/`, `!` or `?`; any other `<` is text and produces no event (`html.rs`). Without
//!   one, in every context the only events are the attributes of the *enclosing* tag of an attribute-value
//!   context (`real == false`), and the rules they can fire all need an attribute value, so the attribute name
//!   is followed by optional whitespace and `=`:
//!   - `EventHandler` then needs the name to be one of [`names::EVENT_HANDLERS`](super::names::EVENT_HANDLERS);
//!   - `StyleExpression` and `SrcdocMarkup` need the name `style` / `srcdoc`;
//!   - `DangerousUrl` (URL attributes, `content`) needs a value with a dangerous scheme, as does
//!     `ScriptUrlValue` for the whole input.
//!
//!   The names are compared after ASCII lower-casing only, and they are letters only, so the input must contain
//!   one of them right before optional whitespace and `=` ([`names_before_equals`]).
//! - A dangerous scheme (`javascript:`, `vbscript:`, `livescript:`, `mocha:`, `data:`) is found after HTML
//!   character references are decoded and tab, CR and LF removed. Without a character reference the decoder
//!   yields the input bytes (ASCII as is), so the scheme's letters must precede a literal `:` in the input, with
//!   only tabs, CRs and LFs between them ([`scheme_before_colon`]). A character reference makes
//!   [`may_match`] return `true`.
//!
//! Each check is run over the whole input, whatever the contexts, so it covers every value of every pass.

use memchr::memchr_iter;

use super::decode::{Entities, SCRIPT_SCHEMES};
use super::html::is_ws;
use super::names;

/// Whether the full XSS detector may match `input`; `false` proves it returns `None`.
pub(crate) fn may_match(input: &[u8]) -> bool {
    memchr_iter(b'<', input).any(|i| {
        input
            .get(i + 1)
            .is_some_and(|&b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
    }) || memchr_iter(b'&', input).any(|i| Entities::reference_at(input, i))
        || memchr_iter(b':', input).any(|i| scheme_before_colon(input, i))
        || memchr_iter(b'=', input).any(|i| names_before_equals(input, i))
}

/// Whether the bytes before the `:` at `colon`, tab, CR and LF skipped, end with a dangerous scheme's name
/// (ASCII case-insensitive).
fn scheme_before_colon(s: &[u8], colon: usize) -> bool {
    // Most colons (JSON, times, URLs' ports) follow a byte that ends no scheme name: one look rules them out
    // before each scheme is compared.
    let last = s[..colon.min(s.len())]
        .iter()
        .rev()
        .find(|b| !matches!(b, b'\t' | b'\n' | b'\r'));
    if !last.is_some_and(|&b| {
        let b = b.to_ascii_lowercase();
        SCRIPT_SCHEMES.iter().any(|x| x.len() >= 2 && x[x.len() - 2] == b) || b == b'a'
    }) {
        return false;
    }
    let script = SCRIPT_SCHEMES.iter().map(|&x| x.strip_suffix(b":").unwrap_or(x));
    script.chain([&b"data"[..]]).any(|scheme| {
        let mut i = colon;
        for &want in scheme.iter().rev() {
            loop {
                if i == 0 {
                    return false;
                }
                i -= 1;
                if !matches!(s[i], b'\t' | b'\n' | b'\r') {
                    break;
                }
            }
            if s[i].to_ascii_lowercase() != want {
                return false;
            }
        }
        true
    })
}

/// Whether the bytes before the `=` at `eq` (whitespace skipped) end with an event-handler name, `style` or
/// `srcdoc` (ASCII case-insensitive): the attribute names whose value can fire a rule without a tag.
fn names_before_equals(s: &[u8], eq: usize) -> bool {
    let mut end = eq;
    while end > 0 && is_ws(s[end - 1]) {
        end -= 1;
    }
    // The names are ASCII letters, at most 32 bytes (longer names are never looked up).
    let mut start = end;
    while start > 0 && end - start < 32 && s[start - 1].is_ascii_alphabetic() {
        start -= 1;
    }
    let letters = &s[start..end];
    let mut buf = [0u8; 32];
    let lower = &mut buf[..letters.len()];
    for (d, c) in lower.iter_mut().zip(letters) {
        *d = c.to_ascii_lowercase();
    }
    let lower: &[u8] = lower;
    if lower.ends_with(b"style") || lower.ends_with(b"srcdoc") {
        return true;
    }
    (0..lower.len().saturating_sub(1))
        .filter(|&p| lower[p] == b'o' && lower[p + 1] == b'n')
        .any(|p| names::contains(names::EVENT_HANDLERS, &lower[p..]))
}
