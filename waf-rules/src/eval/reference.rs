//! A deliberately simple reference evaluator: it interprets the parsed model directly (no slots, no predicate
//! memo, no multi-pattern automata, a recursive JSON reader, one regex at a time) so that the compiled engine can
//! be checked against it (`tests/differential.rs`). It is slow and allocates freely; do not use it to serve
//! traffic.
//!
//! Rate-based statements are outside its scope (they never match here); differential cases leave them out.
//! Firewall Manager pre- and post-process rule groups are evaluated before and after the ACL's rules.

use std::collections::HashMap;
use std::net::IpAddr;

use regex_automata::meta;

use crate::compile::{compile_regex, Action, Resources, DEFAULT_BODY_LIMIT};
use crate::detect::{sqli, xss};
use crate::model::*;
use crate::request::HttpRequest;
use crate::transform::{Chain, TextTransformation as Step};

/// What the reference evaluator decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefDecision {
    /// ALLOW, BLOCK, CAPTCHA or CHALLENGE.
    pub action: Action,
    /// The terminating ACL rule, `None` for the default action.
    pub terminating_rule: Option<String>,
    /// The terminating rule inside a rule group.
    pub group_rule: Option<String>,
    /// Fully qualified labels, in the order added.
    pub labels: Vec<String>,
    /// Top-level rules that matched with Count (including groups overridden to Count).
    pub non_terminating: Vec<String>,
}

/// The reference evaluator for one ACL.
pub struct Reference<'a> {
    acl: &'a WebAclModel,
    res: &'a Resources,
    regexes: HashMap<String, meta::Regex>,
}

struct Run<'r, 'a> {
    req: &'r HttpRequest<'a>,
    labels: Vec<String>,
    limit: usize,
}

fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn transform(list: &[TextTransformation], v: &[u8]) -> Vec<u8> {
    let steps: Vec<Step> = list
        .iter()
        .filter_map(|t| {
            t.kind.parse().ok().map(|kind| Step {
                priority: t.priority,
                kind,
            })
        })
        .collect();
    let chain = Chain::from_aws(&steps).unwrap_or_default();
    let mut s = crate::transform::Scratch::new();
    chain.apply(v, &mut s).to_vec()
}

/// Values of a component: (values, oversize, forced result).
type Values = (Vec<Vec<u8>>, bool, Option<bool>);

fn query_pairs(q: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    q.split('&')
        .map(|s| s.trim_matches([' ', '\t']))
        .filter(|s| !s.is_empty())
        .map(|s| match s.split_once('=') {
            Some((n, v)) => (n.as_bytes().to_vec(), v.as_bytes().to_vec()),
            None => (s.as_bytes().to_vec(), Vec::new()),
        })
        .collect()
}

/// A naive recursive JSON reader: (is_key, bytes, pointer) items until the first error.
struct Json<'b> {
    s: &'b [u8],
    i: usize,
    items: Vec<(bool, Vec<u8>, String)>,
}

impl Json<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && b" \t\r\n".contains(&self.s[self.i]) {
            self.i += 1;
        }
    }
    fn string(&mut self) -> Option<Vec<u8>> {
        let text = std::str::from_utf8(&self.s[self.i..])
            .unwrap_or_else(|e| std::str::from_utf8(&self.s[self.i..self.i + e.valid_up_to()]).unwrap_or_default());
        // Find the closing quote honouring escapes, then let serde_json decode it.
        let b = text.as_bytes();
        let mut j = 1;
        while j < b.len() {
            match b[j] {
                b'\\' => j += 2,
                b'"' => break,
                _ => j += 1,
            }
        }
        if j >= b.len() {
            // Possibly invalid UTF-8 inside: fall back to raw bytes without escapes.
            let rest = &self.s[self.i + 1..];
            let end = rest.iter().position(|&c| c == b'"' || c == b'\\')?;
            if rest[end] != b'"' || rest[..end].iter().any(|&c| c < 0x20) {
                return None;
            }
            self.i += end + 2;
            return Some(rest[..end].to_vec());
        }
        let v: String = serde_json::from_str(&text[..=j]).ok()?;
        self.i += j + 1;
        Some(v.into_bytes())
    }
    fn value(&mut self, path: &str, depth: usize) -> Option<()> {
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return None;
                    }
                    let k = self.string()?;
                    let kp = format!(
                        "{path}/{}",
                        String::from_utf8_lossy(&k).replace('~', "~0").replace('/', "~1")
                    );
                    self.items.push((true, k, kp.clone()));
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    self.value(&kp, depth + 1)?;
                    self.ws();
                    match self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Some(());
                }
                let mut n = 0;
                loop {
                    self.value(&format!("{path}/{n}"), depth + 1)?;
                    n += 1;
                    self.ws();
                    match self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => {
                let v = self.string()?;
                self.items.push((false, v, path.to_owned()));
                Some(())
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !b" \t\r\n,]}".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let tok = &self.s[start..self.i];
                let ok = matches!(tok, b"true" | b"false" | b"null")
                    || serde_json::from_slice::<serde_json::Number>(tok).is_ok();
                if !ok || (depth > 0 && self.i == self.s.len()) {
                    return None;
                }
                self.items.push((false, tok.to_vec(), path.to_owned()));
                Some(())
            }
        }
    }
}

impl<'a> Reference<'a> {
    /// A reference evaluator for `acl` (already parsed and checked) with `res`.
    pub fn new(acl: &'a WebAclModel, res: &'a Resources) -> Self {
        Self {
            acl,
            res,
            regexes: HashMap::new(),
        }
    }

    fn regex(&mut self, p: &str, v: &[u8]) -> bool {
        if !self.regexes.contains_key(p) {
            match compile_regex(p) {
                Ok(r) => {
                    self.regexes.insert(p.to_owned(), r);
                }
                Err(_) => return false,
            }
        }
        self.regexes.get(p).is_some_and(|r| r.is_match(v))
    }

    fn values(&self, run: &Run<'_, '_>, f: &FieldToMatch, tt: &[TextTransformation]) -> Result<Values, bool> {
        let req = run.req;
        let t = |v: &[u8]| transform(tt, v);
        let header_limit = || {
            let mut total = 0;
            let mut n = 0;
            for h in req.headers {
                total += h.name.len() + h.value.len() + 4;
                if n >= 200 || total > 8192 {
                    return (n, true);
                }
                n += 1;
            }
            (n, false)
        };
        let body = &req.body[..req.body.len().min(run.limit)];
        let body_over = req.body_size.max(req.body.len() as u64) > run.limit as u64;
        Ok(match f {
            FieldToMatch::SingleHeader(n) => (
                req.headers
                    .iter()
                    .filter(|h| h.name.eq_ignore_ascii_case(&n.name))
                    .map(|h| t(h.value))
                    .collect(),
                false,
                None,
            ),
            FieldToMatch::SingleQueryArgument(n) => (
                query_pairs(req.query_string)
                    .into_iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(n.name.as_bytes()))
                    .map(|(_, v)| t(&v))
                    .collect(),
                false,
                None,
            ),
            FieldToMatch::AllQueryArguments(_) => (
                query_pairs(req.query_string).into_iter().map(|(_, v)| t(&v)).collect(),
                false,
                None,
            ),
            FieldToMatch::UriPath(_) => (vec![t(req.uri_path.as_bytes())], false, None),
            FieldToMatch::QueryString(_) => (vec![t(req.query_string.as_bytes())], false, None),
            FieldToMatch::Method(_) => (vec![t(req.method.as_bytes())], false, None),
            FieldToMatch::Body(_) => (vec![t(body)], body_over, None),
            FieldToMatch::JsonBody(_) if body.is_empty() => (Vec::new(), body_over, None),
            FieldToMatch::JsonBody(j) => {
                let mut p = Json {
                    s: body,
                    i: 0,
                    items: Vec::new(),
                };
                let ok = p.value("", 0).is_some() && {
                    p.ws();
                    p.i == body.len()
                };
                let pick = |(is_key, v, path): &(bool, Vec<u8>, String)| {
                    let scoped = match j.match_scope {
                        MatchScope::All => true,
                        MatchScope::Key => *is_key,
                        MatchScope::Value => !*is_key,
                    };
                    let incl = j.match_pattern.included_paths.as_ref().is_none_or(|ps| {
                        ps.iter()
                            .any(|ptr| ptr.is_empty() || path == ptr || path.starts_with(&format!("{ptr}/")))
                    });
                    (scoped && incl).then(|| t(v))
                };
                let vals: Vec<Vec<u8>> = p.items.iter().filter_map(pick).collect();
                if ok {
                    (vals, body_over, None)
                } else {
                    match j.invalid_fallback_behavior {
                        None => (vals, body_over, None),
                        Some(BodyParsingFallbackBehavior::Match) => (vals, body_over, Some(true)),
                        Some(BodyParsingFallbackBehavior::NoMatch) => (vals, body_over, Some(false)),
                        Some(BodyParsingFallbackBehavior::EvaluateAsString) => (vec![t(body)], body_over, None),
                    }
                }
            }
            FieldToMatch::Headers(h) => {
                let (n, over) = header_limit();
                let p = &h.match_pattern;
                let mut vals = Vec::new();
                for hd in &req.headers[..n] {
                    let lname = hd.name.to_ascii_lowercase();
                    let has = |l: &Vec<String>| l.iter().any(|x| x.to_ascii_lowercase() == lname);
                    let sel = match (&p.included_headers, &p.excluded_headers) {
                        (Some(i), _) => has(i),
                        (None, Some(e)) => !has(e),
                        _ => true,
                    };
                    if sel {
                        if h.match_scope != MatchScope::Value {
                            vals.push(t(hd.name.as_bytes()));
                        }
                        if h.match_scope != MatchScope::Key {
                            vals.push(t(hd.value));
                        }
                    }
                }
                (vals, over, None)
            }
            FieldToMatch::Cookies(c) => {
                let p = &c.match_pattern;
                let mut vals = Vec::new();
                let (mut n, mut bytes, mut over) = (0, 0, false);
                'outer: for hd in req.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("cookie")) {
                    for part in hd.value.split(|&b| b == b';') {
                        let part = String::from_utf8_lossy(part).to_string();
                        let part = part.trim_matches([' ', '\t']);
                        if part.is_empty() {
                            continue;
                        }
                        let (name, value) = part.split_once('=').unwrap_or((part, ""));
                        n += 1;
                        bytes += name.len() + value.len() + 2;
                        if n > 200 || bytes > 8192 {
                            over = true;
                            break 'outer;
                        }
                        let has = |l: &Vec<String>| l.iter().any(|x| x == name);
                        let sel = match (&p.included_cookies, &p.excluded_cookies) {
                            (Some(i), _) => has(i),
                            (None, Some(e)) => !has(e),
                            _ => true,
                        };
                        if sel {
                            if c.match_scope != MatchScope::Value {
                                vals.push(t(name.as_bytes()));
                            }
                            if c.match_scope != MatchScope::Key {
                                vals.push(t(value.as_bytes()));
                            }
                        }
                    }
                }
                (vals, over, None)
            }
            FieldToMatch::HeaderOrder(_) => {
                let (n, over) = header_limit();
                let names: Vec<&str> = req.headers[..n].iter().map(|h| h.name).collect();
                (vec![t(names.join(":").as_bytes())], over, None)
            }
            FieldToMatch::Ja3Fingerprint(f) | FieldToMatch::Ja4Fingerprint(f) | FieldToMatch::UriFragment(f) => {
                return Err(f.fallback_behavior == FallbackBehavior::Match)
            }
        })
    }

    fn oversize_of(f: &FieldToMatch) -> OversizeHandling {
        match f {
            FieldToMatch::Body(b) => b.oversize_handling.unwrap_or(OversizeHandling::Continue),
            FieldToMatch::JsonBody(j) => j.oversize_handling.unwrap_or(OversizeHandling::Continue),
            FieldToMatch::Headers(h) => h.oversize_handling,
            FieldToMatch::Cookies(c) => c.oversize_handling,
            FieldToMatch::HeaderOrder(h) => h.oversize_handling,
            _ => OversizeHandling::Continue,
        }
    }

    fn field_test(
        &mut self,
        run: &Run<'_, '_>,
        f: &FieldToMatch,
        tt: &[TextTransformation],
        mut test: impl FnMut(&mut Self, &[u8]) -> bool,
    ) -> bool {
        let (vals, over, forced) = match self.values(run, f, tt) {
            Ok(v) => v,
            Err(m) => return m,
        };
        if over {
            match Self::oversize_of(f) {
                OversizeHandling::Match => return true,
                OversizeHandling::NoMatch => return false,
                OversizeHandling::Continue => {}
            }
        }
        if let Some(m) = forced {
            return m;
        }
        vals.iter().any(|v| test(self, v))
    }

    fn forwarded(req: &HttpRequest<'_>, header: &str) -> Option<Vec<String>> {
        let h = req.headers.iter().find(|h| h.name.eq_ignore_ascii_case(header))?;
        Some(
            String::from_utf8_lossy(h.value)
                .split(',')
                .map(|s| s.trim().to_owned())
                .collect(),
        )
    }

    fn ip_of(req: &HttpRequest<'_>, cfg: &Option<ForwardedIpConfig>) -> Result<IpAddr, bool> {
        match cfg {
            None => Ok(req.client_ip),
            Some(c) => {
                let fb = c.fallback_behavior == FallbackBehavior::Match;
                let list = Self::forwarded(req, &c.header_name).ok_or(fb)?;
                list.first().and_then(|s| s.parse().ok()).ok_or(fb)
            }
        }
    }

    fn in_set(set: &IpSetModel, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v => v,
        };
        set.addresses
            .iter()
            .filter_map(|a| parse_cidr(a))
            .any(|(net, len)| match (net, ip) {
                (IpAddr::V4(n), IpAddr::V4(i)) => {
                    let shift = 32 - u32::from(len);
                    shift == 32 || (u32::from(n) >> shift) == (u32::from(i) >> shift)
                }
                (IpAddr::V6(n), IpAddr::V6(i)) => {
                    let shift = 128 - u32::from(len);
                    shift == 128 || (u128::from(n) >> shift) == (u128::from(i) >> shift)
                }
                _ => false,
            })
    }

    fn label_match(labels: &[String], scope: LabelMatchScope, key: &str, ns: &str) -> bool {
        labels.iter().any(|l| {
            let (subject, key) = if key.starts_with("awswaf:") {
                (Some(l.as_str()), key.to_owned())
            } else {
                (l.strip_prefix(ns), key.to_owned())
            };
            let Some(subject) = subject else { return false };
            match scope {
                LabelMatchScope::Label => {
                    if key.starts_with("awswaf:") {
                        subject == key
                    } else {
                        l == &format!("{ns}{key}") || l.ends_with(&format!(":{key}"))
                    }
                }
                LabelMatchScope::Namespace => {
                    let k = format!("{}:", key.trim_end_matches(':'));
                    subject.starts_with(&k) && subject.len() > k.len()
                }
            }
        })
    }

    fn stmt(&mut self, run: &mut Run<'_, '_>, st: &Statement, ns: &str) -> bool {
        match st {
            Statement::ByteMatchStatement(s) => {
                let n = s.search_bytes().to_vec();
                let pc = s.positional_constraint;
                self.field_test(run, &s.field_to_match, &s.text_transformations, |_, v| match pc {
                    PositionalConstraint::Exactly => v == &n[..],
                    PositionalConstraint::StartsWith => v.starts_with(&n),
                    PositionalConstraint::EndsWith => v.ends_with(&n),
                    PositionalConstraint::Contains => v.windows(n.len()).any(|w| w == &n[..]),
                    PositionalConstraint::ContainsWord => (0..v.len().saturating_sub(n.len() - 1)).any(|i| {
                        v[i..].starts_with(&n)
                            && (i == 0 || !word(v[i - 1]))
                            && (i + n.len() == v.len() || !word(v[i + n.len()]))
                    }),
                })
            }
            Statement::SqliMatchStatement(s) => {
                let sens = if s.sensitivity_level == Some(SensitivityLevel::High) {
                    sqli::Sensitivity::High
                } else {
                    sqli::Sensitivity::Low
                };
                self.field_test(run, &s.field_to_match, &s.text_transformations, |_, v| {
                    sqli::is_sqli(v, sens).is_some()
                })
            }
            Statement::XssMatchStatement(s) => {
                self.field_test(run, &s.field_to_match, &s.text_transformations, |_, v| {
                    xss::is_xss(v).is_some()
                })
            }
            Statement::SizeConstraintStatement(s) => {
                let (op, size) = (s.comparison_operator, s.size);
                self.field_test(run, &s.field_to_match, &s.text_transformations, |_, v| {
                    let n = v.len() as i64;
                    match op {
                        ComparisonOperator::Eq => n == size,
                        ComparisonOperator::Ne => n != size,
                        ComparisonOperator::Le => n <= size,
                        ComparisonOperator::Lt => n < size,
                        ComparisonOperator::Ge => n >= size,
                        ComparisonOperator::Gt => n > size,
                    }
                })
            }
            Statement::RegexMatchStatement(s) => {
                let p = s.regex_string.clone();
                self.field_test(run, &s.field_to_match, &s.text_transformations, |me, v| me.regex(&p, v))
            }
            Statement::RegexPatternSetReferenceStatement(s) => {
                let Some(set) = self.res.regex_pattern_set(&s.arn).cloned() else {
                    return false;
                };
                self.field_test(run, &s.field_to_match, &s.text_transformations, |me, v| {
                    set.regular_expression_list.iter().any(|r| me.regex(&r.regex_string, v))
                })
            }
            Statement::IpSetReferenceStatement(s) => {
                let Some(set) = self.res.ip_set(&s.arn) else {
                    return false;
                };
                match &s.ip_set_forwarded_ip_config {
                    None => Self::in_set(set, run.req.client_ip),
                    Some(c) => {
                        let fb = c.fallback_behavior == FallbackBehavior::Match;
                        let Some(list) = Self::forwarded(run.req, &c.header_name) else {
                            return fb;
                        };
                        let chosen: Vec<&String> = match c.position {
                            ForwardedIpPosition::First => list.first().into_iter().collect(),
                            ForwardedIpPosition::Last => list.last().into_iter().collect(),
                            ForwardedIpPosition::Any => list.iter().rev().take(10).collect(),
                        };
                        let ips: Vec<IpAddr> = chosen.iter().filter_map(|s| s.parse().ok()).collect();
                        if ips.is_empty() {
                            return fb;
                        }
                        ips.into_iter().any(|ip| Self::in_set(set, ip))
                    }
                }
            }
            Statement::GeoMatchStatement(g) => {
                let Some(db) = self.res.geo.clone() else { return false };
                match Self::ip_of(run.req, &g.forwarded_ip_config) {
                    Err(fb) => fb,
                    Ok(ip) => {
                        let country = db.country(ip);
                        if let Some(c) = country {
                            let prefix = if g.forwarded_ip_config.is_some() {
                                "awswaf:forwardedip"
                            } else {
                                "awswaf:clientip"
                            };
                            let label = format!("{prefix}:geo:country:{}", String::from_utf8_lossy(&c));
                            if !run.labels.contains(&label) && c.iter().all(u8::is_ascii_uppercase) {
                                run.labels.push(label);
                            }
                        }
                        country.is_some_and(|c| g.country_codes.iter().any(|cc| cc.as_bytes() == c))
                    }
                }
            }
            Statement::AsnMatchStatement(a) => {
                let Some(db) = self.res.asn.clone() else { return false };
                match Self::ip_of(run.req, &a.forwarded_ip_config) {
                    Err(fb) => fb,
                    Ok(ip) => db.asn(ip).is_some_and(|n| a.asn_list.contains(&i64::from(n))),
                }
            }
            Statement::LabelMatchStatement(l) => Self::label_match(&run.labels, l.scope, &l.key, ns),
            Statement::AndStatement(a) => a.statements.iter().all(|s| self.stmt(run, s, ns)),
            Statement::OrStatement(o) => o.statements.iter().any(|s| self.stmt(run, s, ns)),
            Statement::NotStatement(n) => !self.stmt(run, &n.statement, ns),
            Statement::RateBasedStatement(_)
            | Statement::ManagedRuleGroupStatement(_)
            | Statement::RuleGroupReferenceStatement(_) => false,
        }
    }

    fn kind(a: &RuleAction) -> Action {
        match a {
            RuleAction::Block(_) => Action::Block,
            RuleAction::Allow(_) => Action::Allow,
            RuleAction::Count(_) => Action::Count,
            RuleAction::Captcha(_) => Action::Captcha,
            RuleAction::Challenge(_) => Action::Challenge,
        }
    }

    fn add(run: &mut Run<'_, '_>, ns: &str, rule: &Rule) {
        for l in &rule.rule_labels {
            let full = format!("{ns}{}", l.name);
            if !run.labels.contains(&full) {
                run.labels.push(full);
            }
        }
    }

    /// Evaluates `req`.
    pub fn evaluate(&mut self, req: &HttpRequest<'_>) -> RefDecision {
        let acl = self.acl;
        let limit = acl
            .association_config
            .as_ref()
            .and_then(|a| a.request_body.get(&AssociatedResourceType::ApiGateway))
            .map_or(DEFAULT_BODY_LIMIT, |c| c.default_size_inspection_limit.bytes());
        let mut run = Run {
            req,
            labels: Vec::new(),
            limit,
        };
        let ns = acl
            .label_namespace
            .clone()
            .unwrap_or_else(|| format!("awswaf:{}:webacl:{}:", self.res.account_id(), acl.name));
        // Firewall Manager pre-process groups, the ACL's rules, then post-process groups, each by priority.
        let fm = |list: &[FirewallManagerRuleGroup]| -> Vec<Rule> {
            let mut v: Vec<Rule> = list
                .iter()
                .map(|g| Rule {
                    name: g.name.clone(),
                    priority: g.priority,
                    statement: match &g.firewall_manager_statement.managed_rule_group_statement {
                        Some(m) => Statement::ManagedRuleGroupStatement(Box::new(m.clone())),
                        None => match &g.firewall_manager_statement.rule_group_reference_statement {
                            Some(r) => Statement::RuleGroupReferenceStatement(r.clone()),
                            None => Statement::OrStatement(OrStatement { statements: Vec::new() }),
                        },
                    },
                    action: None,
                    override_action: Some(g.override_action.clone()),
                    rule_labels: Vec::new(),
                    visibility_config: None,
                    captcha_config: None,
                    challenge_config: None,
                })
                .collect();
            v.sort_by_key(|r| r.priority);
            v
        };
        let mut own = acl.rules.clone();
        own.sort_by_key(|r| r.priority);
        let mut all = fm(&acl.pre_process_firewall_manager_rule_groups);
        all.extend(own);
        all.extend(fm(&acl.post_process_firewall_manager_rule_groups));
        let mut non_terminating = Vec::new();
        for rule in &all {
            let group = match &rule.statement {
                Statement::ManagedRuleGroupStatement(m) => {
                    self.res.managed_rule_group(&m.vendor_name, &m.name).map(|g| {
                        (
                            g.clone(),
                            g.label_namespace.clone().unwrap_or_default(),
                            &m.excluded_rules,
                            &m.rule_action_overrides,
                            m.scope_down_statement.as_deref(),
                        )
                    })
                }
                Statement::RuleGroupReferenceStatement(r) => self.res.rule_group(&r.arn).map(|g| {
                    let gns = g
                        .label_namespace
                        .clone()
                        .unwrap_or_else(|| format!("awswaf:{}:rulegroup:{}:", self.res.account_id(), g.name));
                    (g.clone(), gns, &r.excluded_rules, &r.rule_action_overrides, None)
                }),
                _ => None,
            };
            if let Some((g, gns, excluded, overrides, scope_down)) = group {
                if let Some(sd) = scope_down {
                    if !self.stmt(&mut run, sd, &ns) {
                        continue;
                    }
                }
                let mut grules: Vec<&Rule> = g.rules.iter().collect();
                grules.sort_by_key(|r| r.priority);
                for gr in grules {
                    if !self.stmt(&mut run, &gr.statement, &gns) {
                        continue;
                    }
                    Self::add(&mut run, &gns, gr);
                    let own = gr.action.as_ref().map_or(Action::Count, Self::kind);
                    let act = match overrides.iter().find(|o| o.name == gr.name) {
                        Some(o) => Self::kind(&o.action_to_use),
                        None if excluded.iter().any(|e| e.name == gr.name) => Action::Count,
                        None => own,
                    };
                    if act == Action::Count {
                        continue;
                    }
                    Self::add(&mut run, &ns, rule);
                    if matches!(rule.override_action, Some(OverrideAction::Count(_))) {
                        non_terminating.push(rule.name.clone());
                        break;
                    }
                    return RefDecision {
                        action: act,
                        terminating_rule: Some(rule.name.clone()),
                        group_rule: Some(gr.name.clone()),
                        labels: run.labels,
                        non_terminating,
                    };
                }
                continue;
            }
            if !self.stmt(&mut run, &rule.statement, &ns) {
                continue;
            }
            Self::add(&mut run, &ns, rule);
            let act = rule.action.as_ref().map_or(Action::Count, Self::kind);
            if act == Action::Count {
                non_terminating.push(rule.name.clone());
                continue;
            }
            return RefDecision {
                action: act,
                terminating_rule: Some(rule.name.clone()),
                group_rule: None,
                labels: run.labels,
                non_terminating,
            };
        }
        RefDecision {
            action: match acl.default_action {
                DefaultAction::Allow(_) => Action::Allow,
                DefaultAction::Block(_) => Action::Block,
            },
            terminating_rule: None,
            group_rule: None,
            labels: run.labels,
            non_terminating,
        }
    }
}
