//! Compilation of a parsed WebACL, with its referenced resources, into a program: rules in evaluation order,
//! rule groups inlined per reference, statements turned into trees of deduplicated predicates over deduplicated
//! inspection slots, and each slot's patterns merged into one regex automaton and one Aho-Corasick automaton.

pub(crate) mod ipset;
pub(crate) mod program;
mod resources;
pub(crate) mod share;
mod statements;

pub use ipset::GeoDb;
pub use program::{Action, ResponseContentType};
pub use resources::Resources;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use regex_automata::{meta, util::syntax};

use crate::model::{
    CustomResponse, CustomResponseBody, DefaultAction, HandlingAction, LabelMatchScope, LoadError, OverrideAction,
    Problem, Rule, RuleAction, RuleGroupModel, Statement, WebAclModel,
};
use crate::transform::Chain;
use program::*;

/// Largest compiled NFA of one user regex (bytes); larger patterns are load errors naming the rule.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Largest compiled NFA of all the regexes of one inspection slot together.
pub const SLOT_REGEX_SIZE_LIMIT: usize = 32 << 20;
/// Default body inspection limit (16 KB), as AWS for API Gateway.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024;

/// The regex syntax Moat accepts: byte-oriented, ASCII classes and case folding (like PCRE without UTF mode);
/// backreferences, look-around, atomic groups, possessive quantifiers and recursion are syntax errors.
pub(crate) fn regex_syntax() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

fn regex_config(limit: usize) -> meta::Config {
    meta::Config::new()
        .match_kind(regex_automata::MatchKind::All)
        .utf8_empty(false)
        .backtrack(false)
        .nfa_size_limit(Some(limit))
}

/// Finds PCRE possessive quantifiers (`a++`, `a*+`, `a?+`, `a{2}+`), which regex-syntax would otherwise read as a
/// repetition of a repetition with different meaning.
struct PossessiveFinder;

impl regex_syntax::ast::Visitor for PossessiveFinder {
    type Output = ();
    type Err = ();

    fn finish(self) -> Result<(), ()> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &regex_syntax::ast::Ast) -> Result<(), ()> {
        match ast {
            regex_syntax::ast::Ast::Repetition(rep) if matches!(*rep.ast, regex_syntax::ast::Ast::Repetition(_)) => {
                Err(())
            }
            _ => Ok(()),
        }
    }
}

/// Compiles one regex alone, for validation (and for the reference evaluator).
pub(crate) fn compile_regex(pattern: &str) -> Result<meta::Regex, String> {
    if let Ok(ast) = regex_syntax::ast::parse::Parser::new().parse(pattern) {
        if regex_syntax::ast::visit(&ast, PossessiveFinder).is_err() {
            return Err(format!(
                "regex {pattern:?} is not supported: possessive quantifiers (a quantifier directly after another, \
                 like `a++`) are not supported"
            ));
        }
    }
    meta::Regex::builder()
        .syntax(regex_syntax())
        .configure(regex_config(REGEX_SIZE_LIMIT))
        .build(pattern)
        .map_err(|e| {
            if e.size_limit().is_some() {
                format!("regex {pattern:?} is too large once compiled (limit {REGEX_SIZE_LIMIT} bytes)")
            } else if let Some(syntax) = e.syntax_error() {
                format!(
                    "regex {pattern:?} is not supported: {}",
                    syntax.to_string().replace('\n', " ")
                )
            } else {
                format!("regex {pattern:?} is not supported: {e}")
            }
        })
}

#[derive(Default)]
struct SlotBuild {
    regexes: Vec<String>,
    regex_index: HashMap<String, u32>,
    needles: Vec<Vec<u8>>,
    needle_index: HashMap<Vec<u8>, u32>,
}

/// The naming context of the rules being compiled: the ACL's, or a rule group's.
pub(crate) struct Ctx<'a> {
    pub ns: &'a str,
    pub bodies: &'a BTreeMap<String, CustomResponseBody>,
}

pub(crate) struct Builder<'r> {
    res: &'r Resources,
    problems: Vec<Problem>,
    rule: Option<String>,
    slot_index: HashMap<(Field, Chain), u32>,
    slots: Vec<(Field, Chain, SlotBuild)>,
    pred_index: HashMap<Pred, u32>,
    preds: Vec<Pred>,
    labels: Vec<String>,
    label_index: HashMap<String, u32>,
    rates: Vec<RateRule>,
    ip_index: HashMap<String, u32>,
    ip_tables: Vec<ipset::IpTable>,
}

/// A resolved rule group reference.
struct Resolved {
    model: Arc<RuleGroupModel>,
    id: String,
    managed: bool,
    ns: String,
}

impl<'r> Builder<'r> {
    fn new(res: &'r Resources) -> Self {
        Self {
            res,
            problems: Vec::new(),
            rule: None,
            slot_index: HashMap::new(),
            slots: Vec::new(),
            pred_index: HashMap::new(),
            preds: Vec::new(),
            labels: Vec::new(),
            label_index: HashMap::new(),
            rates: Vec::new(),
            ip_index: HashMap::new(),
            ip_tables: Vec::new(),
        }
    }

    pub(crate) fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_owned(),
            rule: self.rule.clone(),
            message: message.into(),
        });
    }

    fn intern_label(&mut self, full: String) -> u32 {
        if let Some(&id) = self.label_index.get(&full) {
            return id;
        }
        let id = self.labels.len() as u32;
        self.label_index.insert(full.clone(), id);
        self.labels.push(full);
        id
    }

    /// Label ids matching a `LabelMatchStatement` (or a rate key namespace) in context `ns`.
    pub(crate) fn label_matches(&self, scope: LabelMatchScope, key: &str, ns: &str) -> Box<[u32]> {
        let qualified = key.starts_with("awswaf:");
        let hits = self.labels.iter().enumerate().filter(|(_, label)| match scope {
            LabelMatchScope::Label => {
                // The name, optionally preceded by any of its namespaces up to the full label; unqualified keys
                // only see labels of the statement's own context.
                (qualified || label.starts_with(ns))
                    && (label.as_str() == key || label.strip_suffix(key).is_some_and(|head| head.ends_with(':')))
            }
            LabelMatchScope::Namespace => {
                let key = key.trim_end_matches(':');
                let rest = if qualified {
                    Some(label.as_str())
                } else {
                    label.strip_prefix(ns)
                };
                rest.and_then(|r| r.strip_prefix(key))
                    .is_some_and(|r| r.len() > 1 && r.starts_with(':'))
            }
        });
        hits.map(|(i, _)| i as u32).collect()
    }

    pub(crate) fn slot(&mut self, field: Field, chain: Chain) -> u32 {
        let key = (field, chain);
        if let Some(&id) = self.slot_index.get(&key) {
            return id;
        }
        let id = self.slots.len() as u32;
        self.slots.push((key.0.clone(), key.1.clone(), SlotBuild::default()));
        self.slot_index.insert(key, id);
        id
    }

    pub(crate) fn slot_regex(&mut self, slot: u32, pattern: &str) -> u32 {
        let b = &mut self.slots[slot as usize].2;
        if let Some(&id) = b.regex_index.get(pattern) {
            return id;
        }
        let id = b.regexes.len() as u32;
        b.regexes.push(pattern.to_owned());
        b.regex_index.insert(pattern.to_owned(), id);
        id
    }

    pub(crate) fn slot_needle(&mut self, slot: u32, needle: &[u8]) -> u32 {
        let b = &mut self.slots[slot as usize].2;
        if let Some(&id) = b.needle_index.get(needle) {
            return id;
        }
        let id = b.needles.len() as u32;
        b.needles.push(needle.to_vec());
        b.needle_index.insert(needle.to_vec(), id);
        id
    }

    pub(crate) fn pred(&mut self, pred: Pred) -> u32 {
        if let Some(&id) = self.pred_index.get(&pred) {
            return id;
        }
        let id = self.preds.len() as u32;
        self.preds.push(pred.clone());
        self.pred_index.insert(pred, id);
        id
    }

    pub(crate) fn ip_table(&mut self, key: &str, path: &str) -> Option<u32> {
        let Some(set) = self.res.ip_set(key).cloned() else {
            self.problem(
                path,
                format!("unknown IP set {key:?} (register it in Resources by ARN or name)"),
            );
            return None;
        };
        let arn = set.arn.clone().unwrap_or_else(|| set.name.clone());
        if let Some(&id) = self.ip_index.get(&arn) {
            return Some(id);
        }
        let id = self.ip_tables.len() as u32;
        self.ip_tables.push(ipset::IpTable::new(&set));
        self.ip_index.insert(arn, id);
        Some(id)
    }

    fn action(&mut self, action: &RuleAction, bodies: &BTreeMap<String, CustomResponseBody>, path: &str) -> CAction {
        match action {
            RuleAction::Block(b) => CAction {
                kind: Action::Block,
                insert_headers: Box::new([]),
                response: b.custom_response.as_ref().map(|r| self.response(r, bodies, path)),
            },
            RuleAction::Allow(h) => handling(Action::Allow, h),
            RuleAction::Count(h) => handling(Action::Count, h),
            RuleAction::Captcha(h) => handling(Action::Captcha, h),
            RuleAction::Challenge(h) => handling(Action::Challenge, h),
        }
    }

    fn response(
        &mut self,
        r: &CustomResponse,
        bodies: &BTreeMap<String, CustomResponseBody>,
        path: &str,
    ) -> CustomResp {
        let body = match &r.custom_response_body_key {
            Some(key) => match bodies.get(key) {
                Some(b) => Some((b.content.clone(), b.content_type)),
                None => {
                    self.problem(path, format!("unknown CustomResponseBodyKey {key:?}"));
                    None
                }
            },
            None => None,
        };
        CustomResp {
            status: u16::try_from(r.response_code).unwrap_or(403),
            headers: r
                .response_headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            body,
        }
    }

    fn resolve(&mut self, st: &Statement, path: &str) -> Option<Resolved> {
        match st {
            Statement::ManagedRuleGroupStatement(m) => match self.res.managed_rule_group(&m.vendor_name, &m.name) {
                Some(model) => Some(Resolved {
                    ns: model.label_namespace.clone().unwrap_or_default(),
                    id: format!("{}#{}", m.vendor_name, m.name),
                    managed: true,
                    model: model.clone(),
                }),
                None => {
                    self.problem(
                        path,
                        format!(
                            "unknown managed rule group {}/{} (not registered in Resources)",
                            m.vendor_name, m.name
                        ),
                    );
                    None
                }
            },
            Statement::RuleGroupReferenceStatement(r) => match self.res.rule_group(&r.arn) {
                Some(model) => Some(Resolved {
                    ns: model
                        .label_namespace
                        .clone()
                        .unwrap_or_else(|| format!("awswaf:{}:rulegroup:{}:", self.res.account_id(), model.name)),
                    id: model.arn.clone().unwrap_or_else(|| r.arn.clone()),
                    managed: false,
                    model: model.clone(),
                }),
                None => {
                    self.problem(
                        path,
                        format!("unknown rule group {:?} (register it in Resources)", r.arn),
                    );
                    None
                }
            },
            _ => None,
        }
    }

    /// Interns the labels of `rule` (and, for a group statement, of the group's rules).
    fn prepass(&mut self, rule: &Rule, ns: &str, path: &str) {
        for l in &rule.rule_labels {
            self.intern_label(format!("{ns}{}", l.name));
        }
        if let Some(r) = self.resolve(&rule.statement, path) {
            for gr in &r.model.rules {
                for l in &gr.rule_labels {
                    self.intern_label(format!("{}{}", r.ns, l.name));
                }
                statements::intern_geo_labels(self, &gr.statement);
            }
        }
        statements::intern_geo_labels(self, &rule.statement);
    }

    fn labels_of(&mut self, rule: &Rule, ns: &str) -> Box<[u32]> {
        rule.rule_labels
            .iter()
            .map(|l| self.intern_label(format!("{ns}{}", l.name)))
            .collect()
    }

    fn plain_rule(&mut self, rule: &Rule, ctx: &Ctx<'_>, path: &str) -> CRule {
        let labels = self.labels_of(rule, ctx.ns);
        let spath = format!("{path}.Statement");
        let body = match &rule.statement {
            Statement::RateBasedStatement(rb) => RuleBody::Rate(statements::rate(
                self,
                rb,
                &rule.name,
                ctx,
                &format!("{spath}.RateBasedStatement"),
            )),
            st => RuleBody::Expr(statements::expr(self, st, ctx, &spath)),
        };
        let action = match &rule.action {
            Some(a) => self.action(a, ctx.bodies, &format!("{path}.Action")),
            None => handling(Action::Count, &HandlingAction::default()),
        };
        CRule {
            name: rule.name.clone(),
            labels,
            body,
            action,
            original: None,
            excluded: false,
        }
    }

    fn group_rule(&mut self, rule: &Rule, acl: &Ctx<'_>, path: &str) -> Option<TopRule> {
        let resolved = self.resolve(&rule.statement, &format!("{path}.Statement"))?;
        let (excluded, overrides, scope_down) = match &rule.statement {
            Statement::ManagedRuleGroupStatement(m) => (
                &m.excluded_rules,
                &m.rule_action_overrides,
                m.scope_down_statement.as_deref(),
            ),
            Statement::RuleGroupReferenceStatement(r) => (&r.excluded_rules, &r.rule_action_overrides, None),
            _ => return None,
        };
        let excluded: HashSet<&str> = excluded.iter().map(|e| e.name.as_str()).collect();
        let scope_down = scope_down.map(|s| {
            let kind = if resolved.managed {
                "ManagedRuleGroupStatement"
            } else {
                "RuleGroupReferenceStatement"
            };
            statements::expr(self, s, acl, &format!("{path}.Statement.{kind}.ScopeDownStatement"))
        });
        let mut override_actions = HashMap::new();
        for (i, o) in overrides.iter().enumerate() {
            let a = self.action(
                &o.action_to_use,
                acl.bodies,
                &format!("{path}.RuleActionOverrides[{i}]"),
            );
            override_actions.insert(o.name.as_str(), a);
        }
        let gctx = Ctx {
            ns: &resolved.ns,
            bodies: &resolved.model.custom_response_bodies,
        };
        let mut order: Vec<&Rule> = resolved.model.rules.iter().collect();
        order.sort_by_key(|r| r.priority);
        let mut rules = Vec::with_capacity(order.len());
        for gr in order {
            let gpath = format!("{path} -> {} rule {:?}", resolved.id, gr.name);
            let mut c = self.plain_rule(gr, &gctx, &gpath);
            if let Some(a) = override_actions.get(gr.name.as_str()) {
                c.original = Some(c.action.kind);
                c.action = a.clone();
            } else if excluded.contains(gr.name.as_str()) {
                c.original = Some(c.action.kind);
                c.action = handling(Action::Count, &HandlingAction::default());
                c.excluded = true;
            }
            rules.push(c);
        }
        let override_count = match &rule.override_action {
            Some(OverrideAction::Count(h)) => Some(handling(Action::Count, h)),
            _ => None,
        };
        Some(TopRule::Group {
            name: rule.name.clone(),
            labels: self.labels_of(rule, acl.ns),
            group: Box::new(Group {
                id: resolved.id,
                managed: resolved.managed,
                scope_down,
                override_count,
                rules,
            }),
        })
    }

    fn top_rule(&mut self, rule: &Rule, ctx: &Ctx<'_>, path: &str) -> Option<TopRule> {
        self.rule = Some(rule.name.clone());
        let out = match rule.statement {
            Statement::ManagedRuleGroupStatement(_) | Statement::RuleGroupReferenceStatement(_) => {
                self.group_rule(rule, ctx, path)
            }
            _ => Some(TopRule::Rule(self.plain_rule(rule, ctx, path))),
        };
        self.rule = None;
        out
    }

    fn finish_slots(&mut self) -> (Vec<Slot>, Vec<Vec<String>>) {
        let slots = std::mem::take(&mut self.slots);
        let mut out = Vec::with_capacity(slots.len());
        let mut sources = Vec::with_capacity(slots.len());
        for (field, chain, b) in slots {
            let regex = if b.regexes.is_empty() {
                None
            } else {
                match meta::Regex::builder()
                    .syntax(regex_syntax())
                    .configure(regex_config(SLOT_REGEX_SIZE_LIMIT))
                    .build_many(&b.regexes)
                {
                    Ok(r) => Some(r),
                    Err(e) => {
                        self.problem(
                            &format!("(regexes on {})", field.location()),
                            format!(
                                "the {} regexes inspecting this component together are too large: {e}",
                                b.regexes.len()
                            ),
                        );
                        None
                    }
                }
            };
            // Whether any string occurs at all (the usual answer being no) is asked of a leftmost-first
            // automaton: only those get the vectorised multi-literal prefilter (Teddy), standard ones
            // (which report every overlapping match) walk their DFA byte by byte.
            let ac_probe = if b.needles.is_empty() {
                None
            } else {
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                    .build(&b.needles)
                    .ok()
            };
            let ac = if b.needles.is_empty() {
                None
            } else {
                match AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::Standard)
                    .build(&b.needles)
                {
                    Ok(a) => Some(a),
                    Err(e) => {
                        self.problem(&format!("(strings on {})", field.location()), e.to_string());
                        None
                    }
                }
            };
            out.push(Slot {
                field,
                chain,
                regex,
                regex_count: b.regexes.len(),
                ac,
                ac_probe,
                ac_count: b.needles.len(),
                tails: Box::default(),
                union: None,
            });
            sources.push(b.regexes);
        }
        (out, sources)
    }
}

fn handling(kind: Action, h: &HandlingAction) -> CAction {
    CAction {
        kind,
        insert_headers: h
            .custom_request_handling
            .iter()
            .flat_map(|c| c.insert_headers.iter())
            .map(|h| (format!("x-amzn-waf-{}", h.name), h.value.clone()))
            .collect(),
        response: None,
    }
}

/// Compiles a validated WebACL against `res`.
pub(crate) fn compile(model: &WebAclModel, res: &Resources) -> Result<Program, LoadError> {
    let mut b = Builder::new(res);
    let ns = model
        .label_namespace
        .clone()
        .unwrap_or_else(|| format!("awswaf:{}:webacl:{}:", res.account_id(), model.name));
    let ctx = Ctx {
        ns: &ns,
        bodies: &model.custom_response_bodies,
    };
    // Firewall Manager groups become rules before and after the ACL's own.
    let fm_rule = |g: &crate::model::FirewallManagerRuleGroup| Rule {
        name: g.name.clone(),
        priority: g.priority,
        statement: match (
            &g.firewall_manager_statement.managed_rule_group_statement,
            &g.firewall_manager_statement.rule_group_reference_statement,
        ) {
            (Some(m), _) => Statement::ManagedRuleGroupStatement(Box::new(m.clone())),
            (None, Some(r)) => Statement::RuleGroupReferenceStatement(r.clone()),
            (None, None) => Statement::AndStatement(crate::model::AndStatement { statements: Vec::new() }),
        },
        action: None,
        override_action: Some(g.override_action.clone()),
        rule_labels: Vec::new(),
        visibility_config: None,
        captcha_config: None,
        challenge_config: None,
    };
    let mut ordered: Vec<(u8, i64, String, Rule)> = Vec::new();
    for (i, g) in model.pre_process_firewall_manager_rule_groups.iter().enumerate() {
        ordered.push((
            0,
            g.priority,
            format!("PreProcessFirewallManagerRuleGroups[{i}]"),
            fm_rule(g),
        ));
    }
    for (i, r) in model.rules.iter().enumerate() {
        ordered.push((1, r.priority, format!("Rules[{i}]"), r.clone()));
    }
    for (i, g) in model.post_process_firewall_manager_rule_groups.iter().enumerate() {
        ordered.push((
            2,
            g.priority,
            format!("PostProcessFirewallManagerRuleGroups[{i}]"),
            fm_rule(g),
        ));
    }
    ordered.sort_by_key(|(phase, prio, _, _)| (*phase, *prio));
    for (_, _, path, rule) in &ordered {
        b.rule = Some(rule.name.clone());
        b.prepass(rule, &ns, path);
        b.rule = None;
    }
    b.problems.clear(); // resolution problems are reported again, once, below
    let mut rules = Vec::with_capacity(ordered.len());
    for (_, _, path, rule) in &ordered {
        if let Some(r) = b.top_rule(rule, &ctx, path) {
            rules.push(r);
        }
    }
    let default_action = match &model.default_action {
        DefaultAction::Allow(h) => handling(Action::Allow, h),
        DefaultAction::Block(bl) => b.action(&RuleAction::Block(bl.clone()), ctx.bodies, "DefaultAction"),
    };
    let (mut slots, sources) = b.finish_slots();
    if !b.problems.is_empty() {
        return Err(LoadError::Invalid(b.problems));
    }
    let (tail_count, unions) = share::plan(&mut slots, &sources);
    let body_limit = model
        .association_config
        .as_ref()
        .and_then(|a| a.request_body.get(&crate::model::AssociatedResourceType::ApiGateway))
        .map_or(DEFAULT_BODY_LIMIT, |c| c.default_size_inspection_limit.bytes());
    let geo_labels = [false, true].map(|forwarded| {
        let first = statements::geo_label_name(forwarded, *b"AA");
        if !b.label_index.contains_key(&first) {
            return Vec::new();
        }
        (0..26 * 26)
            .filter_map(|k| {
                let code = [b'A' + (k / 26) as u8, b'A' + (k % 26) as u8];
                b.label_index.get(&statements::geo_label_name(forwarded, code)).copied()
            })
            .collect()
    });
    Ok(Program {
        name: model.name.clone(),
        arn: model
            .arn
            .clone()
            .unwrap_or_else(|| res.arn("webacl", &model.name, model.id.as_deref())),
        body_limit,
        default_action,
        rules,
        slots,
        tail_count,
        unions,
        preds: b.preds,
        labels: b.labels,
        geo_labels,
        rates: b.rates,
        ip_tables: b.ip_tables,
        geo: res.geo.clone(),
        asn: res.asn.clone(),
    })
}
