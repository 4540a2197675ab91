//! Sharing between slots that inspect the same single-valued component (URI path, query string, method, body)
//! through different transformation chains.
//!
//! On a given request most steps of a chain leave the value as it is (no `%`, no `&`, no backslash...). The steps
//! before the first one that may change the raw value ([`Chain::first_change`]) can be dropped, so two slots whose
//! remaining steps ("tails") are the same produce the same bytes: the value is computed once and aliased. Every
//! tail a slot can reach gets an id here, interned by (component, steps); the evaluator keys its per-request value
//! cache by that id.
//!
//! The regexes of the slots that can share a value are also compiled together into one union automaton per group
//! of such slots: when a slot's value is shared, one search of the union answers for every slot of the group that
//! has this value, instead of one search per slot.

use std::collections::HashMap;

use regex_automata::meta;

use super::program::{Field, Slot};
use super::{regex_config, regex_syntax, SLOT_REGEX_SIZE_LIMIT};
use crate::transform::TransformationType;

/// A union automaton over the regexes of several slots (their patterns one after another).
#[derive(Debug)]
pub(crate) struct RegexUnion {
    pub regex: meta::Regex,
}

/// The components whose one value is shared between slots.
fn single_valued(field: &Field) -> bool {
    matches!(field, Field::UriPath | Field::QueryString | Field::Method | Field::Body)
}

/// Fills every slot's `tails` and `union` and returns the number of tail ids and the union automata.
///
/// `regexes[i]` are the regex sources of slot `i`, in the order of its own automaton's pattern ids.
pub(crate) fn plan(slots: &mut [Slot], regexes: &[Vec<String>]) -> (usize, Vec<RegexUnion>) {
    let mut ids: HashMap<(Field, Vec<TransformationType>), u32> = HashMap::new();
    let mut intern = |field: &Field, steps: Vec<TransformationType>| -> u32 {
        let n = ids.len() as u32;
        *ids.entry((field.clone(), steps)).or_insert(n)
    };
    // Which slots reach each tail.
    let mut reach: Vec<Vec<usize>> = Vec::new();
    for (i, slot) in slots.iter_mut().enumerate() {
        if !single_valued(&slot.field) {
            continue;
        }
        let steps = slot.chain.steps();
        // A step that always may change the value is as far as the first change can be.
        let last = steps.iter().position(|s| s.always_may_change()).unwrap_or(steps.len());
        let mut tails = Vec::with_capacity(last + 1);
        for k in 0..=last {
            let plain = intern(&slot.field, steps[k..].to_vec());
            let canon = match steps.get(k) {
                Some(&TransformationType::CmdLineWin) => {
                    let mut v = steps[k..].to_vec();
                    v[0] = TransformationType::CmdLineUnix;
                    intern(&slot.field, v)
                }
                _ => plain,
            };
            for t in [plain, canon] {
                if reach.len() <= t as usize {
                    reach.resize(t as usize + 1, Vec::new());
                }
                if !reach[t as usize].contains(&i) {
                    reach[t as usize].push(i);
                }
            }
            tails.push((plain, canon));
        }
        slot.tails = tails.into_boxed_slice();
    }
    // Groups: slots connected by a tail they can both reach (union-find).
    let mut parent: Vec<usize> = (0..slots.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for r in &reach {
        for w in r.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut unions = Vec::new();
    for root in 0..slots.len() {
        let members: Vec<usize> = (0..slots.len())
            .filter(|&i| slots[i].regex.is_some() && !slots[i].tails.is_empty() && find(&mut parent, i) == root)
            .collect();
        if members.len() < 2 {
            continue;
        }
        let mut all: Vec<&str> = Vec::new();
        let mut offsets = Vec::with_capacity(members.len());
        for &i in &members {
            offsets.push(all.len() as u32);
            all.extend(regexes[i].iter().map(String::as_str));
        }
        // Each member compiled alone, so the union compiles too; should it not, the slots keep their own.
        let Ok(regex) = meta::Regex::builder()
            .syntax(regex_syntax())
            .configure(regex_config(SLOT_REGEX_SIZE_LIMIT))
            .build_many(&all)
        else {
            continue;
        };
        let u = unions.len() as u32;
        unions.push(RegexUnion { regex });
        for (&i, &off) in members.iter().zip(&offsets) {
            slots[i].union = Some((u, off));
        }
    }
    (ids.len(), unions)
}
