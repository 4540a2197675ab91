//! Statements to predicate trees; fields to inspection slots; rate-based statements to counters.

use super::program::*;
use super::{compile_regex, Builder, Ctx};
use crate::eval::rate::RateCounters;
use crate::model::*;
use crate::transform::{Chain, TextTransformation as Step};

/// The chain of a validated transformation list (invalid lists were reported by validation; identity here).
pub(crate) fn chain_of(list: &[TextTransformation]) -> Chain {
    let steps: Option<Vec<Step>> = list
        .iter()
        .map(|t| {
            t.kind.parse().ok().map(|kind| Step {
                priority: t.priority,
                kind,
            })
        })
        .collect();
    steps.and_then(|s| Chain::from_aws(&s).ok()).unwrap_or_default()
}

/// A component to inspect: a slot (with its oversize handling), or a constant for components that never exist
/// behind API Gateway (JA3/JA4 fingerprints, URI fragment) decided by their `FallbackBehavior`.
pub(crate) enum Target {
    Slot(u32, OversizeHandling),
    Const(bool),
}

/// The normalised [`Field`] of a `FieldToMatch`, with its oversize handling, or the fallback result.
pub(crate) fn field_of(f: &FieldToMatch) -> Result<(Field, OversizeHandling), bool> {
    let cont = OversizeHandling::Continue;
    Ok(match f {
        FieldToMatch::SingleHeader(n) => (Field::SingleHeader(n.name.to_ascii_lowercase()), cont),
        FieldToMatch::SingleQueryArgument(n) => (Field::SingleQueryArg(n.name.to_ascii_lowercase()), cont),
        FieldToMatch::AllQueryArguments(_) => (Field::AllQueryArgs, cont),
        FieldToMatch::UriPath(_) => (Field::UriPath, cont),
        FieldToMatch::QueryString(_) => (Field::QueryString, cont),
        FieldToMatch::Method(_) => (Field::Method, cont),
        FieldToMatch::Body(b) => (Field::Body, b.oversize_handling.unwrap_or(cont)),
        FieldToMatch::JsonBody(j) => (
            Field::Json {
                paths: j
                    .match_pattern
                    .included_paths
                    .as_ref()
                    .map(|p| p.iter().map(|s| s.as_bytes().into()).collect()),
                scope: j.match_scope,
                fallback: match j.invalid_fallback_behavior {
                    None => JsonFallback::Partial,
                    Some(BodyParsingFallbackBehavior::Match) => JsonFallback::Match,
                    Some(BodyParsingFallbackBehavior::NoMatch) => JsonFallback::NoMatch,
                    Some(BodyParsingFallbackBehavior::EvaluateAsString) => JsonFallback::EvaluateAsString,
                },
            },
            j.oversize_handling.unwrap_or(cont),
        ),
        FieldToMatch::Headers(h) => {
            let p = &h.match_pattern;
            let lower = |v: &Vec<String>| v.iter().map(|s| s.to_ascii_lowercase()).collect();
            let sel = match (&p.included_headers, &p.excluded_headers) {
                (Some(i), _) => NameSel::Include(lower(i)),
                (None, Some(e)) => NameSel::Exclude(lower(e)),
                _ => NameSel::All,
            };
            (Field::Headers(sel, h.match_scope), h.oversize_handling)
        }
        FieldToMatch::Cookies(c) => {
            let p = &c.match_pattern;
            let sel = match (&p.included_cookies, &p.excluded_cookies) {
                (Some(i), _) => NameSel::Include(i.iter().cloned().collect()),
                (None, Some(e)) => NameSel::Exclude(e.iter().cloned().collect()),
                _ => NameSel::All,
            };
            (Field::Cookies(sel, c.match_scope), c.oversize_handling)
        }
        FieldToMatch::HeaderOrder(h) => (Field::HeaderOrder, h.oversize_handling),
        FieldToMatch::Ja3Fingerprint(f) | FieldToMatch::Ja4Fingerprint(f) | FieldToMatch::UriFragment(f) => {
            return Err(f.fallback_behavior == FallbackBehavior::Match)
        }
    })
}

fn target(b: &mut Builder<'_>, f: &FieldToMatch, tt: &[TextTransformation]) -> Target {
    match field_of(f) {
        Ok((field, oversize)) => Target::Slot(b.slot(field, chain_of(tt)), oversize),
        Err(m) => Target::Const(m),
    }
}

fn leaf(b: &mut Builder<'_>, t: Target, make: impl FnOnce(&mut Builder<'_>, u32) -> PredKind) -> Expr {
    match t {
        Target::Const(m) => Expr::Const(m),
        Target::Slot(slot, oversize) => {
            let kind = make(b, slot);
            Expr::Pred(b.pred(Pred { kind, oversize }))
        }
    }
}

pub(crate) fn ip_source_forwarded(f: &Option<ForwardedIpConfig>) -> IpSource {
    match f {
        None => IpSource::Client,
        Some(f) => IpSource::Forwarded {
            header: f.header_name.clone(),
            fallback_match: f.fallback_behavior == FallbackBehavior::Match,
            position: Position::First,
        },
    }
}

/// Compiles a (non-group, non-rate) statement in context `ctx`; `path` is the statement's JSON path.
pub(crate) fn expr(b: &mut Builder<'_>, st: &Statement, ctx: &Ctx<'_>, path: &str) -> Expr {
    let path = format!("{path}.{}", st.type_name());
    let ip_only = |kind| Expr::Pred(kind);
    match st {
        Statement::ByteMatchStatement(s) => {
            let t = target(b, &s.field_to_match, &s.text_transformations);
            let needle: Box<[u8]> = s.search_bytes().into();
            let pc = s.positional_constraint;
            leaf(b, t, |b, slot| {
                let ac = match pc {
                    PositionalConstraint::Contains | PositionalConstraint::ContainsWord => b.slot_needle(slot, &needle),
                    _ => u32::MAX,
                };
                PredKind::Bytes { slot, pc, needle, ac }
            })
        }
        Statement::SqliMatchStatement(s) => {
            let high = s.sensitivity_level == Some(SensitivityLevel::High);
            let t = target(b, &s.field_to_match, &s.text_transformations);
            leaf(b, t, |_, slot| PredKind::Sqli { slot, high })
        }
        Statement::XssMatchStatement(s) => {
            let t = target(b, &s.field_to_match, &s.text_transformations);
            leaf(b, t, |_, slot| PredKind::Xss { slot })
        }
        Statement::SizeConstraintStatement(s) => {
            let t = target(b, &s.field_to_match, &s.text_transformations);
            leaf(b, t, |_, slot| PredKind::Size {
                slot,
                op: s.comparison_operator,
                size: s.size,
            })
        }
        Statement::RegexMatchStatement(s) => {
            if let Err(e) = compile_regex(&s.regex_string) {
                b.problem(&format!("{path}.RegexString"), e);
                return Expr::Const(false);
            }
            let t = target(b, &s.field_to_match, &s.text_transformations);
            leaf(b, t, |b, slot| PredKind::Regex {
                slot,
                patterns: Box::new([b.slot_regex(slot, &s.regex_string)]),
            })
        }
        Statement::RegexPatternSetReferenceStatement(s) => {
            let Some(set) = b.res.regex_pattern_set(&s.arn).cloned() else {
                b.problem(
                    &format!("{path}.ARN"),
                    format!("unknown regex pattern set {:?} (register it in Resources)", s.arn),
                );
                return Expr::Const(false);
            };
            let mut ok = true;
            for (i, r) in set.regular_expression_list.iter().enumerate() {
                if let Err(e) = compile_regex(&r.regex_string) {
                    b.problem(&format!("{path}.ARN -> {} RegularExpressionList[{i}]", set.name), e);
                    ok = false;
                }
            }
            if !ok {
                return Expr::Const(false);
            }
            if set.regular_expression_list.is_empty() {
                return Expr::Const(false);
            }
            let t = target(b, &s.field_to_match, &s.text_transformations);
            leaf(b, t, |b, slot| {
                let patterns = set
                    .regular_expression_list
                    .iter()
                    .map(|r| b.slot_regex(slot, &r.regex_string))
                    .collect();
                PredKind::Regex { slot, patterns }
            })
        }
        Statement::IpSetReferenceStatement(s) => {
            let Some(table) = b.ip_table(&s.arn, &format!("{path}.ARN")) else {
                return Expr::Const(false);
            };
            let source = match &s.ip_set_forwarded_ip_config {
                None => IpSource::Client,
                Some(f) => IpSource::Forwarded {
                    header: f.header_name.clone(),
                    fallback_match: f.fallback_behavior == FallbackBehavior::Match,
                    position: match f.position {
                        ForwardedIpPosition::First => Position::First,
                        ForwardedIpPosition::Last => Position::Last,
                        ForwardedIpPosition::Any => Position::Any,
                    },
                },
            };
            ip_only(b.pred(Pred {
                kind: PredKind::Ip { table, source },
                oversize: OversizeHandling::Continue,
            }))
        }
        Statement::GeoMatchStatement(s) => {
            if b.res.geo.is_none() {
                b.problem(
                    &path,
                    "GeoMatchStatement needs a country database (Resources::set_geo_database)",
                );
                return Expr::Const(false);
            }
            let codes = s
                .country_codes
                .iter()
                .filter_map(|c| match c.as_bytes() {
                    [x, y] => Some([*x, *y]),
                    _ => None,
                })
                .collect();
            ip_only(b.pred(Pred {
                kind: PredKind::Geo {
                    codes,
                    source: ip_source_forwarded(&s.forwarded_ip_config),
                },
                oversize: OversizeHandling::Continue,
            }))
        }
        Statement::AsnMatchStatement(s) => {
            if b.res.asn.is_none() {
                b.problem(
                    &path,
                    "AsnMatchStatement needs an ASN database (Resources::set_asn_database)",
                );
                return Expr::Const(false);
            }
            let asns = s.asn_list.iter().filter_map(|&a| u32::try_from(a).ok()).collect();
            ip_only(b.pred(Pred {
                kind: PredKind::Asn {
                    asns,
                    source: ip_source_forwarded(&s.forwarded_ip_config),
                },
                oversize: OversizeHandling::Continue,
            }))
        }
        Statement::LabelMatchStatement(s) => Expr::Labels(b.label_matches(s.scope, &s.key, ctx.ns)),
        Statement::AndStatement(a) => Expr::And(
            a.statements
                .iter()
                .enumerate()
                .map(|(i, s)| expr(b, s, ctx, &format!("{path}.Statements[{i}]")))
                .collect(),
        ),
        Statement::OrStatement(o) => {
            let list: Vec<Expr> = o
                .statements
                .iter()
                .enumerate()
                .map(|(i, s)| expr(b, s, ctx, &format!("{path}.Statements[{i}]")))
                .collect();
            Expr::Or(fuse_or(&b.preds, list))
        }
        Statement::NotStatement(n) => Expr::Not(Box::new(expr(b, &n.statement, ctx, &format!("{path}.Statement")))),
        // Nesting of these was reported by validation.
        Statement::RateBasedStatement(_)
        | Statement::ManagedRuleGroupStatement(_)
        | Statement::RuleGroupReferenceStatement(_) => Expr::Const(false),
    }
}

/// Compiles a rate-based statement; returns its index in the program's rate rules.
/// A predicate that can join an [`AnyOf`]: its slot, oversize handling, and its string or its regex patterns.
type Fusable<'p> = (u32, OversizeHandling, Option<(u32, bool)>, Option<&'p [u32]>);

/// The string or regex predicate `e` as a member of an [`AnyOf`].
fn fusable<'p>(preds: &'p [Pred], e: &Expr) -> Option<Fusable<'p>> {
    let Expr::Pred(id) = e else { return None };
    let pred = preds.get(*id as usize)?;
    match &pred.kind {
        PredKind::Bytes { slot, pc, ac, .. } => match pc {
            PositionalConstraint::Contains => Some((*slot, pred.oversize, Some((*ac, false)), None)),
            PositionalConstraint::ContainsWord => Some((*slot, pred.oversize, Some((*ac, true)), None)),
            _ => None,
        },
        PredKind::Regex { slot, patterns } => Some((*slot, pred.oversize, None, Some(patterns))),
        _ => None,
    }
}

/// Whether evaluating `e` can have an effect beyond its value: SQLi / XSS predicates record match details,
/// GeoMatch adds country labels. Everything else may be evaluated in any order, or not at all.
fn has_effects(preds: &[Pred], e: &Expr) -> bool {
    match e {
        Expr::Pred(id) => preds.get(*id as usize).is_none_or(|p| {
            matches!(
                p.kind,
                PredKind::Sqli { .. } | PredKind::Xss { .. } | PredKind::Geo { .. }
            )
        }),
        Expr::And(list) | Expr::Or(list) => list.iter().any(|e| has_effects(preds, e)),
        Expr::Not(e) => has_effects(preds, e),
        Expr::Labels(_) | Expr::Const(_) | Expr::AnyOf(_) => false,
    }
}

/// The members of an `Or`, with each group of string and regex predicates on the same slot (and oversize
/// handling) fused into one [`AnyOf`] placed where its first member was. Groups never reach across a member
/// with effects ([`has_effects`]), so whatever had effects is evaluated exactly when it was before; a group
/// of one predicate stays as it is.
pub(crate) fn fuse_or(preds: &[Pred], list: Vec<Expr>) -> Box<[Expr]> {
    /// A member of the fused list while it is built: an expression, or a group (its first member kept for
    /// when it stays alone).
    enum Member {
        One(Expr),
        Group(Expr, AnyOf, usize),
    }
    let mut out: Vec<Member> = Vec::with_capacity(list.len());
    // Index in `out` of the open group of each (slot, oversize) since the last member with effects.
    let mut open: Vec<((u32, OversizeHandling), usize)> = Vec::new();
    for e in list {
        if has_effects(preds, &e) {
            open.clear();
            out.push(Member::One(e));
            continue;
        }
        let Some((slot, oversize, string, regex)) = fusable(preds, &e) else {
            out.push(Member::One(e));
            continue;
        };
        let group = match open.iter().find(|(k, _)| *k == (slot, oversize)) {
            Some(&(_, at)) => at,
            None => {
                open.push(((slot, oversize), out.len()));
                let empty = AnyOf {
                    slot,
                    oversize,
                    strings: Box::default(),
                    regexes: Box::default(),
                };
                out.push(Member::Group(e.clone(), empty, 0));
                out.len() - 1
            }
        };
        if let Some(Member::Group(_, any, members)) = out.get_mut(group) {
            if let Some(s) = string {
                any.strings = any.strings.iter().copied().chain([s]).collect();
            }
            if let Some(r) = regex {
                any.regexes = any.regexes.iter().chain(r).copied().collect();
            }
            *members += 1;
        }
    }
    out.into_iter()
        .map(|m| match m {
            Member::One(e) | Member::Group(e, _, 1) => e,
            Member::Group(_, any, _) => Expr::AnyOf(Box::new(any)),
        })
        .collect()
}

pub(crate) fn rate(b: &mut Builder<'_>, rb: &RateBasedStatement, rule: &str, ctx: &Ctx<'_>, path: &str) -> u32 {
    let scope_down = rb
        .scope_down_statement
        .as_deref()
        .map(|s| expr(b, s, ctx, &format!("{path}.ScopeDownStatement")));
    let forwarded = rb
        .forwarded_ip_config
        .as_ref()
        .map(|f| (f.header_name.clone(), f.fallback_behavior == FallbackBehavior::Match));
    let (key, key_type) = match rb.aggregate_key_type {
        AggregateKeyType::Ip => (RateKey::Ip, "IP"),
        AggregateKeyType::ForwardedIp => (RateKey::Forwarded, "FORWARDED_IP"),
        AggregateKeyType::Constant => (RateKey::Constant, "CONSTANT"),
        AggregateKeyType::CustomKeys => {
            let mut parts = Vec::new();
            for (i, k) in rb.custom_keys.iter().enumerate() {
                parts.push(match k {
                    RateBasedCustomKey::Header(n) => KeyPart::Slot(b.slot(
                        Field::SingleHeader(n.name.to_ascii_lowercase()),
                        chain_of(&n.text_transformations),
                    )),
                    RateBasedCustomKey::Cookie(n) => KeyPart::Slot(b.slot(
                        Field::Cookies(NameSel::Include(Box::new([n.name.clone()])), MatchScope::Value),
                        chain_of(&n.text_transformations),
                    )),
                    RateBasedCustomKey::QueryArgument(n) => KeyPart::Slot(b.slot(
                        Field::SingleQueryArg(n.name.to_ascii_lowercase()),
                        chain_of(&n.text_transformations),
                    )),
                    RateBasedCustomKey::QueryString(t) => {
                        KeyPart::Slot(b.slot(Field::QueryString, chain_of(&t.text_transformations)))
                    }
                    RateBasedCustomKey::UriPath(t) => {
                        KeyPart::Slot(b.slot(Field::UriPath, chain_of(&t.text_transformations)))
                    }
                    RateBasedCustomKey::HttpMethod(_) => KeyPart::Slot(b.slot(Field::Method, Chain::identity())),
                    RateBasedCustomKey::Ip(_) => KeyPart::Ip,
                    RateBasedCustomKey::ForwardedIp(_) => KeyPart::ForwardedIp,
                    RateBasedCustomKey::LabelNamespace(ns) => {
                        KeyPart::Labels(b.label_matches(LabelMatchScope::Namespace, &ns.namespace, ctx.ns))
                    }
                    RateBasedCustomKey::Ja3Fingerprint(f) | RateBasedCustomKey::Ja4Fingerprint(f) => {
                        KeyPart::Fingerprint(f.fallback_behavior == FallbackBehavior::Match)
                    }
                    RateBasedCustomKey::Asn(_) => {
                        if b.res.asn.is_none() {
                            b.problem(
                                &format!("{path}.CustomKeys[{i}].ASN"),
                                "ASN keys need an ASN database (Resources::set_asn_database)",
                            );
                        }
                        KeyPart::Asn
                    }
                });
            }
            (RateKey::Custom(parts.into()), "CUSTOM_KEYS")
        }
    };
    let window_sec = rb.evaluation_window_sec.unwrap_or(300).clamp(60, 600) as u32;
    let id = b.rates.len() as u32;
    b.rates.push(RateRule {
        name: rule.to_owned(),
        limit: rb.limit.max(0) as u64,
        window_sec,
        key,
        key_type,
        forwarded,
        scope_down,
        counters: RateCounters::new(u64::from(window_sec) * 1000),
    });
    id
}

/// The geo labels AWS adds for every request a GeoMatch statement evaluates, per country (interned when the
/// statement tree contains a GeoMatchStatement, so that label match statements can see them).
pub(crate) fn intern_geo_labels(b: &mut Builder<'_>, st: &Statement) {
    fn walk(st: &Statement, found: &mut (bool, bool)) {
        match st {
            Statement::GeoMatchStatement(g) => {
                if g.forwarded_ip_config.is_some() {
                    found.1 = true
                } else {
                    found.0 = true
                }
            }
            Statement::AndStatement(AndStatement { statements })
            | Statement::OrStatement(OrStatement { statements }) => statements.iter().for_each(|s| walk(s, found)),
            Statement::NotStatement(n) => walk(&n.statement, found),
            Statement::RateBasedStatement(r) => {
                if let Some(s) = &r.scope_down_statement {
                    walk(s, found)
                }
            }
            Statement::ManagedRuleGroupStatement(m) => {
                if let Some(s) = &m.scope_down_statement {
                    walk(s, found)
                }
            }
            _ => {}
        }
    }
    let mut found = (false, false);
    walk(st, &mut found);
    for (want, prefix) in [
        (found.0, "awswaf:clientip:geo:country:"),
        (found.1, "awswaf:forwardedip:geo:country:"),
    ] {
        if want {
            for a in b'A'..=b'Z' {
                for c in b'A'..=b'Z' {
                    b.intern_label(format!("{prefix}{}{}", a as char, c as char));
                }
            }
        }
    }
}

/// The id of the geo country label for `code` under `prefix`, computed from the interned label order.
pub(crate) fn geo_label_name(forwarded: bool, code: [u8; 2]) -> String {
    let prefix = if forwarded {
        "awswaf:forwardedip:geo:country:"
    } else {
        "awswaf:clientip:geo:country:"
    };
    format!("{prefix}{}{}", code[0] as char, code[1] as char)
}

#[cfg(test)]
#[path = "fuse_tests.rs"]
mod fuse_tests;
