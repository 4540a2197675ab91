//! The evaluation loop: rules in order, memoised predicates over lazily computed slots, one multi-pattern pass
//! per slot for all its regexes and all its strings, labels, rule groups and rate-based counters.

use std::hash::Hasher;
use std::net::IpAddr;

use regex_automata::{meta, PatternSet};

mod passes;

use super::fields::{self, SlotState, Values};
use super::Scratch;
use crate::compile::ipset::canonical;
use crate::compile::program::*;
use crate::detect::{sqli, xss};
use crate::model::{ComparisonOperator, OversizeHandling, PositionalConstraint};
use crate::request::{forwarded_ip, forwarded_tail, HttpRequest, Pick};

/// Which compiled action a record refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ActRef {
    Default,
    Top(u32),
    Inner(u32, u32),
    GroupOverride(u32),
}

/// A matching rule: top-level (`inner == None`) or inside the group of top rule `top`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rec {
    pub top: u32,
    pub inner: Option<u32>,
    pub action: Action,
    pub overridden: Option<Action>,
    pub excluded: bool,
    /// Range into `State::detail_preds`.
    pub details: (u32, u32),
}

/// A rule group evaluated in this request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GroupRec {
    pub top: u32,
    /// Range of its rules' records in `State::group_recs`.
    pub recs: (u32, u32),
    /// Index in `State::group_recs` of the rule that terminated the group.
    pub terminating: Option<u32>,
}

/// The terminating rule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Term {
    pub top: u32,
    pub inner: Option<u32>,
    pub details: (u32, u32),
}

/// All per-request state; see [`Scratch`].
#[derive(Debug)]
pub(crate) struct State {
    gen: u32,
    slots: Vec<SlotState>,
    pub values: Values,
    regex_off: Vec<u32>,
    regex_bits: Vec<bool>,
    regex_sets: Vec<Option<(meta::Cache, PatternSet)>>,
    /// Per union automaton: its cache, its matches, and the (generation, tail id) of the value they are for.
    union_sets: Vec<(meta::Cache, PatternSet, (u32, u32))>,
    ac_off: Vec<u32>,
    ac_bits: Vec<(bool, bool)>,
    pred_gen: Vec<u32>,
    pred_val: Vec<bool>,
    /// Per predicate: range into `detail_tokens` of an SQLi/XSS match's tokens.
    pub pred_detail: Vec<(u32, u32)>,
    pub detail_tokens: Vec<(u32, u32)>,
    pub detail_bytes: Vec<u8>,
    pub detail_preds: Vec<u32>,
    label_gen: Vec<u32>,
    pub labels: Vec<u32>,
    pub top_recs: Vec<Rec>,
    pub group_recs: Vec<Rec>,
    pub groups: Vec<GroupRec>,
    pub rate_hits: Vec<u32>,
    pub headers: Vec<ActRef>,
    pub action: Action,
    pub term: Option<Term>,
    pub term_act: ActRef,
}

impl State {
    pub fn new(prog: &Program) -> Self {
        let mut regex_off = Vec::with_capacity(prog.slots.len());
        let mut ac_off = Vec::with_capacity(prog.slots.len());
        let (mut r, mut a) = (0u32, 0u32);
        for s in &prog.slots {
            regex_off.push(r);
            ac_off.push(a);
            r += s.regex_count as u32;
            a += s.ac_count as u32;
        }
        Self {
            gen: 0,
            slots: vec![SlotState::default(); prog.slots.len()],
            values: Values {
                tails: vec![(0, 0, 0); prog.tail_count],
                ..Values::default()
            },
            regex_off,
            regex_bits: vec![false; r as usize],
            regex_sets: prog
                .slots
                .iter()
                .map(|s| {
                    s.regex
                        .as_ref()
                        .map(|re| (re.create_cache(), PatternSet::new(re.pattern_len())))
                })
                .collect(),
            union_sets: prog
                .unions
                .iter()
                .map(|u| (u.regex.create_cache(), PatternSet::new(u.regex.pattern_len()), (0, 0)))
                .collect(),
            ac_off,
            ac_bits: vec![(false, false); a as usize],
            pred_gen: vec![0; prog.preds.len()],
            pred_val: vec![false; prog.preds.len()],
            pred_detail: vec![(0, 0); prog.preds.len()],
            detail_tokens: Vec::new(),
            detail_bytes: Vec::new(),
            detail_preds: Vec::new(),
            label_gen: vec![0; prog.labels.len()],
            labels: Vec::new(),
            top_recs: Vec::new(),
            group_recs: Vec::new(),
            groups: Vec::new(),
            rate_hits: Vec::new(),
            headers: Vec::new(),
            action: Action::Allow,
            term: None,
            term_act: ActRef::Default,
        }
    }

    fn begin(&mut self) {
        if self.gen == u32::MAX {
            self.gen = 0;
            self.slots.iter_mut().for_each(|s| *s = SlotState::default());
            self.pred_gen.iter_mut().for_each(|g| *g = 0);
            self.label_gen.iter_mut().for_each(|g| *g = 0);
            self.values.tails.iter_mut().for_each(|t| t.0 = 0);
            self.union_sets.iter_mut().for_each(|u| u.2 = (0, 0));
        }
        self.gen += 1;
        self.values.gen = self.gen;
        self.values.clear();
        self.detail_tokens.clear();
        self.detail_bytes.clear();
        self.detail_preds.clear();
        self.labels.clear();
        self.top_recs.clear();
        self.group_recs.clear();
        self.groups.clear();
        self.rate_hits.clear();
        self.headers.clear();
        self.term = None;
        self.term_act = ActRef::Default;
    }

    /// Sum of the capacities of every growable buffer (tests check that a warm scratch stops growing).
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.values.arena.capacity()
            + self.values.vals.capacity()
            + self.values.raw.capacity()
            + self.detail_tokens.capacity()
            + self.detail_bytes.capacity()
            + self.detail_preds.capacity()
            + self.labels.capacity()
            + self.top_recs.capacity()
            + self.group_recs.capacity()
            + self.groups.capacity()
            + self.rate_hits.capacity()
            + self.headers.capacity()
            + self.values.chain.capacity()
    }

    fn add_label(&mut self, id: u32) {
        if let Some(g) = self.label_gen.get_mut(id as usize) {
            if *g != self.gen {
                *g = self.gen;
                self.labels.push(id);
            }
        }
    }

    fn has_label(&self, id: u32) -> bool {
        self.label_gen.get(id as usize) == Some(&self.gen)
    }
}

struct Ev<'p, 'r, 's> {
    prog: &'p Program,
    req: &'s HttpRequest<'r>,
    st: &'s mut State,
}

/// Runs the ACL over `req`, leaving the outcome in `scratch`.
pub(crate) fn run(req: &HttpRequest<'_>, scratch: &mut Scratch) {
    let prog: &Program = &scratch.prog;
    let st = &mut scratch.st;
    st.begin();
    let mut ev = Ev { prog, req, st };
    ev.rules();
}

impl Ev<'_, '_, '_> {
    fn rules(&mut self) {
        let prog = self.prog;
        for (ti, rule) in prog.rules.iter().enumerate() {
            let ti = ti as u32;
            match rule {
                TopRule::Rule(r) => {
                    if !self.body(&r.body) {
                        continue;
                    }
                    for &l in r.labels.iter() {
                        self.st.add_label(l);
                    }
                    let details = self.details(&r.body);
                    if r.action.kind == Action::Count {
                        self.st.top_recs.push(Rec {
                            top: ti,
                            inner: None,
                            action: Action::Count,
                            overridden: None,
                            excluded: false,
                            details,
                        });
                        self.st.headers.push(ActRef::Top(ti));
                        continue;
                    }
                    self.terminate(
                        r.action.kind,
                        Term {
                            top: ti,
                            inner: None,
                            details,
                        },
                        ActRef::Top(ti),
                    );
                    return;
                }
                TopRule::Group { labels, group, .. } => {
                    if self.group(ti, labels, group) {
                        return;
                    }
                }
            }
        }
        self.st.action = match prog.default_action.kind {
            Action::Block => Action::Block,
            _ => Action::Allow,
        };
        self.st.headers.push(ActRef::Default);
    }

    fn terminate(&mut self, action: Action, term: Term, act: ActRef) {
        self.st.action = action;
        self.st.term = Some(term);
        self.st.term_act = act;
        if action == Action::Allow {
            self.st.headers.push(act);
        }
    }

    /// Evaluates a rule group; true when it terminated the ACL.
    fn group(&mut self, ti: u32, labels: &[u32], group: &Group) -> bool {
        if let Some(sd) = &group.scope_down {
            if !self.expr(sd) {
                return false;
            }
        }
        let start = self.st.group_recs.len() as u32;
        let mut terminating = None;
        for (j, r) in group.rules.iter().enumerate() {
            if !self.body(&r.body) {
                continue;
            }
            for &l in r.labels.iter() {
                self.st.add_label(l);
            }
            let details = self.details(&r.body);
            self.st.group_recs.push(Rec {
                top: ti,
                inner: Some(j as u32),
                action: r.action.kind,
                overridden: r.original,
                excluded: r.excluded,
                details,
            });
            if r.action.kind == Action::Count {
                self.st.headers.push(ActRef::Inner(ti, j as u32));
                continue;
            }
            terminating = Some((j as u32, r.action.kind, details));
            break;
        }
        let end = self.st.group_recs.len() as u32;
        self.st.groups.push(GroupRec {
            top: ti,
            recs: (start, end),
            terminating: terminating.map(|_| end - 1),
        });
        let Some((j, kind, details)) = terminating else {
            return false;
        };
        for &l in labels {
            self.st.add_label(l);
        }
        if group.override_count.is_some() {
            self.st.top_recs.push(Rec {
                top: ti,
                inner: None,
                action: Action::Count,
                overridden: Some(kind),
                excluded: false,
                details,
            });
            self.st.headers.push(ActRef::GroupOverride(ti));
            return false;
        }
        self.terminate(
            kind,
            Term {
                top: ti,
                inner: Some(j),
                details,
            },
            ActRef::Inner(ti, j),
        );
        true
    }

    fn body(&mut self, body: &RuleBody) -> bool {
        match body {
            RuleBody::Expr(e) => self.expr(e),
            RuleBody::Rate(id) => self.rate(*id),
        }
    }

    /// Records the SQLi/XSS predicates that made `body` match (not those under a NOT); returns their range.
    fn details(&mut self, body: &RuleBody) -> (u32, u32) {
        let start = self.st.detail_preds.len() as u32;
        let expr = match body {
            RuleBody::Expr(e) => Some(e),
            RuleBody::Rate(id) => self.prog.rates[*id as usize].scope_down.as_ref(),
        };
        if let Some(e) = expr {
            self.collect_details(e);
        }
        (start, self.st.detail_preds.len() as u32)
    }

    fn collect_details(&mut self, e: &Expr) {
        match e {
            Expr::Pred(p) => {
                let p = *p as usize;
                let is_detect = matches!(self.prog.preds[p].kind, PredKind::Sqli { .. } | PredKind::Xss { .. });
                if is_detect && self.st.pred_gen[p] == self.st.gen && self.st.pred_val[p] {
                    self.st.detail_preds.push(p as u32);
                }
            }
            Expr::And(list) | Expr::Or(list) => list.iter().for_each(|e| self.collect_details(e)),
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr) -> bool {
        match e {
            Expr::Pred(p) => self.pred(*p),
            Expr::Labels(ids) => ids.iter().any(|&id| self.st.has_label(id)),
            Expr::And(list) => list.iter().all(|e| self.expr(e)),
            Expr::Or(list) => list.iter().any(|e| self.expr(e)),
            Expr::Not(e) => !self.expr(e),
            Expr::Const(b) => *b,
            Expr::AnyOf(any) => self.any_of(any),
        }
    }

    fn any_of(&mut self, any: &AnyOf) -> bool {
        let slot = any.slot;
        let i = slot as usize;
        let s = self.slot(slot);
        if s.oversize {
            match any.oversize {
                OversizeHandling::Match => return true,
                OversizeHandling::NoMatch => return false,
                OversizeHandling::Continue => {}
            }
        }
        if let Some(forced) = s.forced {
            return forced;
        }
        if !any.strings.is_empty() {
            self.ac(slot, s);
            if self.st.slots[i].ac_any {
                let bits = &self.st.ac_bits[self.st.ac_off[i] as usize..];
                let hit = any.strings.iter().any(|&(k, word)| {
                    bits.get(k as usize)
                        .is_some_and(|&(contains, as_word)| if word { as_word } else { contains })
                });
                if hit {
                    return true;
                }
            }
        }
        if !any.regexes.is_empty() {
            self.regex(slot, s);
            if self.st.slots[i].regex_any {
                let bits = &self.st.regex_bits[self.st.regex_off[i] as usize..];
                return any.regexes.iter().any(|&k| bits.get(k as usize) == Some(&true));
            }
        }
        false
    }

    fn slot(&mut self, slot: u32) -> SlotState {
        let i = slot as usize;
        if self.st.slots[i].gen != self.st.gen {
            let mut s = fields::compute(self.prog, i, self.req, &mut self.st.values);
            s.gen = self.st.gen;
            self.st.slots[i] = s;
        }
        self.st.slots[i]
    }

    fn pred(&mut self, id: u32) -> bool {
        let i = id as usize;
        if self.st.pred_gen[i] == self.st.gen {
            return self.st.pred_val[i];
        }
        let v = self.compute_pred(id);
        self.st.pred_gen[i] = self.st.gen;
        self.st.pred_val[i] = v;
        v
    }

    fn compute_pred(&mut self, id: u32) -> bool {
        let prog = self.prog;
        let p = &prog.preds[id as usize];
        if let Some(slot) = p.slot() {
            let s = self.slot(slot);
            if s.oversize {
                match p.oversize {
                    OversizeHandling::Match => return true,
                    OversizeHandling::NoMatch => return false,
                    OversizeHandling::Continue => {}
                }
            }
            if let Some(forced) = s.forced {
                return forced;
            }
            let (a, b) = (s.vals.0 as usize, s.vals.1 as usize);
            return match &p.kind {
                PredKind::Bytes { pc, needle, ac, .. } => match pc {
                    PositionalConstraint::Exactly => (a..b).any(|k| self.st.values.get(k) == &needle[..]),
                    PositionalConstraint::StartsWith => (a..b).any(|k| self.st.values.get(k).starts_with(needle)),
                    PositionalConstraint::EndsWith => (a..b).any(|k| self.st.values.get(k).ends_with(needle)),
                    PositionalConstraint::Contains => {
                        self.ac(slot, s);
                        self.st.slots[slot as usize].ac_any
                            && self.st.ac_bits[(self.st.ac_off[slot as usize] + ac) as usize].0
                    }
                    PositionalConstraint::ContainsWord => {
                        self.ac(slot, s);
                        self.st.slots[slot as usize].ac_any
                            && self.st.ac_bits[(self.st.ac_off[slot as usize] + ac) as usize].1
                    }
                },
                PredKind::Regex { patterns, .. } => {
                    self.regex(slot, s);
                    let off = self.st.regex_off[slot as usize];
                    self.st.slots[slot as usize].regex_any
                        && patterns.iter().any(|&pi| self.st.regex_bits[(off + pi) as usize])
                }
                PredKind::Sqli { high, .. } => {
                    let sens = if *high {
                        sqli::Sensitivity::High
                    } else {
                        sqli::Sensitivity::Low
                    };
                    for k in a..b {
                        let v = self.st.values.get(k);
                        if let Some(m) = sqli::is_sqli(v, sens) {
                            self.record_detail(id, k, m.spans());
                            return true;
                        }
                    }
                    false
                }
                PredKind::Xss { .. } => {
                    for k in a..b {
                        if let Some(m) = xss::is_xss(self.st.values.get(k)) {
                            self.record_detail(id, k, &[m.span]);
                            return true;
                        }
                    }
                    false
                }
                PredKind::Size { op, size, .. } => (a..b).any(|k| {
                    let len = self.st.values.get(k).len() as i64;
                    match op {
                        ComparisonOperator::Eq => len == *size,
                        ComparisonOperator::Ne => len != *size,
                        ComparisonOperator::Le => len <= *size,
                        ComparisonOperator::Lt => len < *size,
                        ComparisonOperator::Ge => len >= *size,
                        ComparisonOperator::Gt => len > *size,
                    }
                }),
                _ => false,
            };
        }
        match &p.kind {
            PredKind::Ip { table, source } => {
                let t = &prog.ip_tables[*table as usize];
                self.ip_test(source, |ip| t.contains(ip))
            }
            PredKind::Geo { codes, source } => {
                let Some(db) = prog.geo.as_deref() else { return false };
                let forwarded = matches!(source, IpSource::Forwarded { .. });
                let mut country = None;
                let hit = self.ip_test(source, |ip| {
                    country = db.country(ip);
                    country.is_some_and(|c| codes.contains(&c))
                });
                if let Some(c) = country {
                    self.geo_label(forwarded, c);
                }
                hit
            }
            PredKind::Asn { asns, source } => {
                let Some(db) = prog.asn.as_deref() else { return false };
                self.ip_test(source, |ip| db.asn(ip).is_some_and(|a| asns.contains(&a)))
            }
            _ => false,
        }
    }

    fn geo_label(&mut self, forwarded: bool, code: [u8; 2]) {
        if !code.iter().all(u8::is_ascii_uppercase) {
            return;
        }
        let table = &self.prog.geo_labels[usize::from(forwarded)];
        let k = usize::from(code[0] - b'A') * 26 + usize::from(code[1] - b'A');
        if let Some(&id) = table.get(k) {
            self.st.add_label(id);
        }
    }

    fn ip_test(&self, source: &IpSource, mut test: impl FnMut(IpAddr) -> bool) -> bool {
        match source {
            IpSource::Client => test(self.req.client_ip),
            IpSource::Forwarded {
                header,
                fallback_match,
                position,
            } => match position {
                Position::First | Position::Last => {
                    let pick = if *position == Position::First {
                        Pick::First
                    } else {
                        Pick::Last
                    };
                    match forwarded_ip(self.req, header, pick) {
                        Some(ip) => test(ip),
                        None => *fallback_match,
                    }
                }
                Position::Any => {
                    let Some(tail) = forwarded_tail(self.req, header) else {
                        return *fallback_match;
                    };
                    let mut any_valid = false;
                    for ip in tail.flatten() {
                        any_valid = true;
                        if test(ip) {
                            return true;
                        }
                    }
                    !any_valid && *fallback_match
                }
            },
        }
    }

    fn record_detail(&mut self, pred: u32, value: usize, spans: &[(usize, usize)]) {
        let v = self.st.values.vals[value];
        let start = self.st.detail_tokens.len() as u32;
        for &(s, e) in spans {
            let (vs, ve) = (v.0 as usize, v.1 as usize);
            let (s, e) = ((vs + s).min(ve), (vs + e).min(ve));
            let bs = self.st.detail_bytes.len() as u32;
            let State {
                values, detail_bytes, ..
            } = &mut *self.st;
            detail_bytes.extend_from_slice(&values.arena[s..e]);
            self.st.detail_tokens.push((bs, self.st.detail_bytes.len() as u32));
        }
        self.st.pred_detail[pred as usize] = (start, self.st.detail_tokens.len() as u32);
    }

    fn rate(&mut self, id: u32) -> bool {
        let prog = self.prog;
        let r = &prog.rates[id as usize];
        if let Some(sd) = &r.scope_down {
            if !self.expr(sd) {
                return false;
            }
        }
        let mut h = r.counters.hasher();
        match &r.key {
            RateKey::Ip => h.write(&ip_bytes(canonical(self.req.client_ip))),
            RateKey::Constant => {}
            RateKey::Forwarded => {
                let Some((header, fallback)) = &r.forwarded else {
                    return false;
                };
                match forwarded_ip(self.req, header, Pick::First) {
                    Some(ip) => h.write(&ip_bytes(canonical(ip))),
                    None => return *fallback,
                }
            }
            RateKey::Custom(parts) => {
                for part in parts.iter() {
                    h.write_u8(0xff);
                    match part {
                        KeyPart::Slot(slot) => {
                            let s = self.slot(*slot);
                            if s.vals.0 == s.vals.1 {
                                return false;
                            }
                            let v = self.st.values.get(s.vals.0 as usize);
                            h.write_usize(v.len());
                            h.write(v);
                        }
                        KeyPart::Ip => h.write(&ip_bytes(canonical(self.req.client_ip))),
                        KeyPart::ForwardedIp => {
                            let Some((header, _)) = &r.forwarded else { return false };
                            match forwarded_ip(self.req, header, Pick::First) {
                                Some(ip) => h.write(&ip_bytes(canonical(ip))),
                                None => return false,
                            }
                        }
                        KeyPart::Labels(ids) => {
                            let mut any = false;
                            for &l in self.st.labels.iter() {
                                if ids.contains(&l) {
                                    any = true;
                                    h.write_u32(l);
                                }
                            }
                            if !any {
                                return false;
                            }
                        }
                        KeyPart::Asn => match prog.asn.as_deref().and_then(|db| db.asn(self.req.client_ip)) {
                            Some(a) => h.write_u32(a),
                            None => return false,
                        },
                        KeyPart::Fingerprint(fallback_match) => {
                            if !fallback_match {
                                return false;
                            }
                        }
                    }
                }
            }
        }
        let count = r.counters.hit(h.finish(), self.req.now_ms);
        if count > r.limit {
            self.st.rate_hits.push(id);
            true
        } else {
            false
        }
    }
}

fn ip_bytes(ip: IpAddr) -> [u8; 17] {
    let mut out = [0u8; 17];
    match ip {
        IpAddr::V4(a) => {
            out[0] = 4;
            out[1..5].copy_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            out[0] = 6;
            out[1..].copy_from_slice(&a.octets());
        }
    }
    out
}
