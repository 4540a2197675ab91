//! Extraction of a slot's values: the request component, split into values where it has several, each run through
//! the slot's transformation chain and stored in the scratch arena. Done at most once per slot per request.

use super::json::{self, Item, JsonScratch};
use crate::compile::program::{Field, JsonFallback, NameSel, Program, Slot};
use crate::model::MatchScope;
use crate::request::{HttpRequest, HEADER_INSPECTION_BYTES, HEADER_INSPECTION_COUNT};
use crate::transform::{self, Chain};

/// The per-request state of one slot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SlotState {
    pub gen: u32,
    /// Range into `Values::vals`.
    pub vals: (u32, u32),
    /// The component was larger than what AWS WAF inspects.
    pub oversize: bool,
    /// A JSON body that did not parse, with fallback MATCH (`Some(true)`) or NO_MATCH (`Some(false)`).
    pub forced: Option<bool>,
    pub regex_gen: u32,
    pub ac_gen: u32,
    /// After the regex pass: whether any pattern matched (when not, the pattern bits are stale).
    pub regex_any: bool,
    /// After the string pass: whether any string occurred (when not, the string bits are stale).
    pub ac_any: bool,
    /// For a single-valued component: the tail id its value was computed (or found) under.
    pub tail: Option<u32>,
}

/// Transformed values of all slots computed so far in this request.
#[derive(Debug, Default)]
pub(crate) struct Values {
    pub arena: Vec<u8>,
    pub vals: Vec<(u32, u32)>,
    pub chain: transform::Scratch,
    pub json: JsonScratch,
    pub raw: Vec<u8>,
    /// The request generation ([`Self::tails`] entries of other generations are stale).
    pub gen: u32,
    /// Per tail id: the generation it was computed in and its value's range in the arena.
    pub tails: Vec<(u32, u32, u32)>,
}

impl Values {
    pub fn clear(&mut self) {
        self.arena.clear();
        self.vals.clear();
    }

    pub fn get(&self, i: usize) -> &[u8] {
        let (s, e) = self.vals[i];
        &self.arena[s as usize..e as usize]
    }

    fn push(arena: &mut Vec<u8>, vals: &mut Vec<(u32, u32)>, chain: &Chain, cs: &mut transform::Scratch, input: &[u8]) {
        let out = chain.apply(input, cs);
        let start = arena.len() as u32;
        arena.extend_from_slice(out);
        vals.push((start, arena.len() as u32));
    }

    /// Pushes the value of a slot of a single-valued component: the one already computed under the same tail in
    /// this request if there is one, otherwise `input` through the steps from the first that may change it.
    /// Returns the tail id.
    fn push_shared(&mut self, slot: &Slot, input: &[u8]) -> Option<u32> {
        let Values {
            arena,
            vals,
            chain: cs,
            gen,
            tails,
            ..
        } = self;
        let k = slot.chain.first_change(input).min(slot.tails.len().saturating_sub(1));
        let Some(&(plain, canon)) = slot.tails.get(k) else {
            Self::push(arena, vals, &slot.chain, cs, input);
            return None;
        };
        let tail = match slot.chain.steps().get(k) {
            Some(&step) if plain != canon && step.equivalent_on(input) != step => canon,
            _ => plain,
        };
        let Some(entry) = tails.get_mut(tail as usize) else {
            Self::push(arena, vals, &slot.chain, cs, input);
            return None;
        };
        if entry.0 == *gen {
            vals.push((entry.1, entry.2));
            return Some(tail);
        }
        let out = slot.chain.apply_from(k, input, cs);
        let start = arena.len() as u32;
        arena.extend_from_slice(out);
        vals.push((start, arena.len() as u32));
        *entry = (*gen, start, arena.len() as u32);
        Some(tail)
    }
}

/// Headers within AWS WAF's inspection limits (the first 200 and the first 8 KB), and whether any were beyond.
pub(crate) fn inspected_headers<'r>(req: &HttpRequest<'r>) -> (&'r [crate::request::Header<'r>], bool) {
    let mut bytes = 0usize;
    for (i, h) in req.headers.iter().enumerate() {
        bytes += h.name.len() + h.value.len() + 4;
        if i >= HEADER_INSPECTION_COUNT || bytes > HEADER_INSPECTION_BYTES {
            return (&req.headers[..i], true);
        }
    }
    (req.headers, false)
}

/// Computes the values of slot `slot` into `v`; returns the slot's state (with `gen` unset).
pub(crate) fn compute(prog: &Program, slot: usize, req: &HttpRequest<'_>, v: &mut Values) -> SlotState {
    let s = &prog.slots[slot];
    let chain = &s.chain;
    if !s.tails.is_empty() {
        let start = v.vals.len() as u32;
        let mut st = SlotState::default();
        let input: &[u8] = match &s.field {
            Field::UriPath => req.uri_path.as_bytes(),
            Field::QueryString => req.query_string.as_bytes(),
            Field::Method => req.method.as_bytes(),
            // The body (the only other single-valued component).
            _ => {
                let (body, over) = body_prefix(prog, req);
                st.oversize = over;
                body
            }
        };
        st.tail = v.push_shared(s, input);
        st.vals = (start, v.vals.len() as u32);
        return st;
    }
    let Values {
        arena,
        vals,
        chain: cs,
        json: js,
        raw,
        ..
    } = v;
    let start = vals.len() as u32;
    let mut st = SlotState::default();
    let mut push =
        |input: &[u8], arena: &mut Vec<u8>, vals: &mut Vec<(u32, u32)>| Values::push(arena, vals, chain, cs, input);
    match &s.field {
        Field::SingleHeader(name) => {
            for value in req.header_values(name) {
                push(value, arena, vals);
            }
        }
        Field::SingleQueryArg(name) => {
            for (n, value) in req.query_args() {
                if n.eq_ignore_ascii_case(name.as_bytes()) {
                    push(value, arena, vals);
                }
            }
        }
        Field::AllQueryArgs => {
            for (_, value) in req.query_args() {
                push(value, arena, vals);
            }
        }
        Field::UriPath => push(req.uri_path.as_bytes(), arena, vals),
        Field::QueryString => push(req.query_string.as_bytes(), arena, vals),
        Field::Method => push(req.method.as_bytes(), arena, vals),
        Field::Body => {
            let (body, over) = body_prefix(prog, req);
            st.oversize = over;
            push(body, arena, vals);
        }
        Field::Json { paths, scope, fallback } => {
            let (body, over) = body_prefix(prog, req);
            st.oversize = over;
            if body.is_empty() {
                // No body is not an invalid body: nothing to inspect, no fallback.
                st.vals = (start, start);
                return st;
            }
            let track = paths.is_some();
            let result = json::walk(body, track, js, |item, bytes, path| {
                let scoped = matches!(
                    (scope, item),
                    (MatchScope::All, _) | (MatchScope::Key, Item::Key) | (MatchScope::Value, Item::Value)
                );
                let included = paths
                    .as_ref()
                    .is_none_or(|ps| ps.iter().any(|p| json::under_pointer(path, p)));
                if scoped && included {
                    push(bytes, arena, vals);
                }
            });
            if result.is_err() {
                match fallback {
                    JsonFallback::Partial => {}
                    JsonFallback::Match => st.forced = Some(true),
                    JsonFallback::NoMatch => st.forced = Some(false),
                    JsonFallback::EvaluateAsString => {
                        vals.truncate(start as usize);
                        push(body, arena, vals);
                    }
                }
            }
        }
        Field::Headers(sel, scope) => {
            let (headers, over) = inspected_headers(req);
            st.oversize = over;
            for h in headers {
                if !sel.selects(h.name.as_bytes(), true) {
                    continue;
                }
                if *scope != MatchScope::Value {
                    push(h.name.as_bytes(), arena, vals);
                }
                if *scope != MatchScope::Key {
                    push(h.value, arena, vals);
                }
            }
        }
        Field::Cookies(sel, scope) => {
            let (mut count, mut bytes) = (0usize, 0usize);
            for (name, value) in req.cookies() {
                count += 1;
                bytes += name.len() + value.len() + 2;
                if count > HEADER_INSPECTION_COUNT || bytes > HEADER_INSPECTION_BYTES {
                    st.oversize = true;
                    break;
                }
                if !selects_cookie(sel, name) {
                    continue;
                }
                if *scope != MatchScope::Value {
                    push(name, arena, vals);
                }
                if *scope != MatchScope::Key {
                    push(value, arena, vals);
                }
            }
        }
        Field::HeaderOrder => {
            let (headers, over) = inspected_headers(req);
            st.oversize = over;
            raw.clear();
            for (i, h) in headers.iter().enumerate() {
                if i > 0 {
                    raw.push(b':');
                }
                raw.extend_from_slice(h.name.as_bytes());
            }
            push(raw, arena, vals);
        }
    }
    st.vals = (start, vals.len() as u32);
    st
}

fn selects_cookie(sel: &NameSel, name: &[u8]) -> bool {
    sel.selects(name, false)
}

/// The inspected body prefix and whether the body is larger than the inspection limit.
pub(crate) fn body_prefix<'r>(prog: &Program, req: &HttpRequest<'r>) -> (&'r [u8], bool) {
    let limit = prog.body_limit;
    let body = &req.body[..req.body.len().min(limit)];
    (body, req.full_body_size() > limit as u64)
}
