//! The per-slot matcher passes of the evaluation loop: the regex pass (a slot's own multi-pattern automaton, or
//! its group's union automaton when the slot's value is shared) and the string pass (Aho-Corasick).

use regex_automata::Input;

use super::{Ev, State};
use crate::eval::fields::SlotState;

/// Values shorter than this are searched for strings with the slot's standard automaton directly.
const PROBE_MIN_LEN: usize = 64;

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Ev<'_, '_, '_> {
    pub(super) fn regex(&mut self, slot: u32, s: SlotState) {
        let i = slot as usize;
        if self.st.slots[i].regex_gen == self.st.gen {
            return;
        }
        self.st.slots[i].regex_gen = self.st.gen;
        self.st.slots[i].regex_any = false;
        let Some(re) = self.prog.slots[i].regex.as_ref() else {
            return;
        };
        if let (Some((u, first)), Some(tail)) = (self.prog.slots[i].union, s.tail) {
            self.union_regex(i, s, u as usize, first as usize, tail);
            return;
        }
        let State {
            values,
            regex_sets,
            regex_bits,
            regex_off,
            ..
        } = &mut *self.st;
        let Some((cache, set)) = regex_sets[i].as_mut() else {
            return;
        };
        set.clear();
        for k in s.vals.0 as usize..s.vals.1 as usize {
            let input = Input::new(values.get(k)).earliest(true);
            // Most values match no pattern: one earliest-stopping search proves that far more cheaply than
            // the overlapping search, which only runs on values where some pattern matches.
            if re.search_half_with(cache, &input).is_none() {
                continue;
            }
            re.which_overlapping_matches_with(cache, &input.earliest(false), set);
            if set.is_full() {
                break;
            }
        }
        if set.is_empty() {
            return;
        }
        let off = regex_off[i] as usize;
        for p in 0..set.capacity() {
            regex_bits[off + p] = set.contains(regex_automata::PatternID::new_unchecked(p));
        }
        self.st.slots[i].regex_any = true;
    }

    /// The regex pass of slot `i` through its group's union automaton: the union is searched once per request
    /// and tail (the slots of the group whose value has this tail share it), and the slot's pattern bits are
    /// its part of the union's matches.
    fn union_regex(&mut self, i: usize, s: SlotState, u: usize, first: usize, tail: u32) {
        let Some(union) = self.prog.unions.get(u) else {
            return;
        };
        let gen = self.st.gen;
        let State {
            values,
            union_sets,
            regex_bits,
            regex_off,
            ..
        } = &mut *self.st;
        let Some((cache, set, key)) = union_sets.get_mut(u) else {
            return;
        };
        if *key != (gen, tail) {
            *key = (gen, tail);
            set.clear();
            for k in s.vals.0 as usize..s.vals.1 as usize {
                let input = Input::new(values.get(k)).earliest(true);
                if union.regex.search_half_with(cache, &input).is_none() {
                    continue;
                }
                union
                    .regex
                    .which_overlapping_matches_with(cache, &input.earliest(false), set);
            }
        }
        if set.is_empty() {
            return;
        }
        let off = regex_off[i] as usize;
        let n = self.prog.slots[i].regex_count;
        let mut any = false;
        for p in 0..n {
            let hit = set.contains(regex_automata::PatternID::new_unchecked(first + p));
            regex_bits[off + p] = hit;
            any |= hit;
        }
        self.st.slots[i].regex_any = any;
    }

    pub(super) fn ac(&mut self, slot: u32, s: SlotState) {
        let i = slot as usize;
        if self.st.slots[i].ac_gen == self.st.gen {
            return;
        }
        self.st.slots[i].ac_gen = self.st.gen;
        self.st.slots[i].ac_any = false;
        let Some(ac) = self.prog.slots[i].ac.as_ref() else {
            return;
        };
        let n = self.prog.slots[i].ac_count;
        let off = self.st.ac_off[i] as usize;
        let mut remaining = n;
        let mut cleared = false;
        for k in s.vals.0 as usize..s.vals.1 as usize {
            let v = self.st.values.get(k);
            // As for regexes: a value containing no string at all is proved so by one (prefiltered) search.
            // The probe's vectorised search needs some length to pay (on short values it falls back to
            // Rabin-Karp, slower than the standard automaton's DFA).
            let probe = match &self.prog.slots[i].ac_probe {
                Some(p) if v.len() >= PROBE_MIN_LEN => p,
                _ => ac,
            };
            if probe.find(v).is_none() {
                continue;
            }
            let bits = &mut self.st.ac_bits[off..off + n];
            if !cleared {
                bits.iter_mut().for_each(|b| *b = (false, false));
                cleared = true;
                self.st.slots[i].ac_any = true;
            }
            for m in ac.find_overlapping_iter(v) {
                let b = &mut bits[m.pattern().as_usize()];
                if b.1 {
                    continue;
                }
                b.0 = true;
                let left = m.start() == 0 || !is_word(v[m.start() - 1]);
                let right = m.end() == v.len() || !is_word(v[m.end()]);
                if left && right {
                    b.1 = true;
                    remaining -= 1;
                    if remaining == 0 {
                        return;
                    }
                }
            }
        }
    }
}
