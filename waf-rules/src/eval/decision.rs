//! [`Decision`]: the outcome of one evaluation, borrowed from the [`Scratch`] it was computed in, with everything
//! an AWS WAF log record needs.

use super::engine::{ActRef, Rec, State};
use super::Scratch;
use crate::compile::program::{Action, CAction, PredKind, Program, ResponseContentType, RuleBody, TopRule};

/// `terminatingRuleType` in AWS WAF logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleType {
    /// An ordinary rule.
    Regular,
    /// A rate-based rule.
    RateBased,
    /// A rule whose statement is a `ManagedRuleGroupStatement`.
    ManagedRuleGroup,
    /// A rule whose statement is a `RuleGroupReferenceStatement`.
    Group,
}

impl RuleType {
    /// The log name (`"MANAGED_RULE_GROUP"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regular => "REGULAR",
            Self::RateBased => "RATE_BASED",
            Self::ManagedRuleGroup => "MANAGED_RULE_GROUP",
            Self::Group => "GROUP",
        }
    }
}

/// One SQLi or XSS detection that contributed to a rule's match (`ruleMatchDetails` in logs).
#[derive(Clone, Copy, Debug)]
pub struct MatchDetail<'s> {
    /// `"SQL_INJECTION"` or `"XSS"`.
    pub condition_type: &'static str,
    /// `"LOW"` / `"HIGH"` for SQL injection; `None` for XSS.
    pub sensitivity_level: Option<&'static str>,
    /// Where: `"HEADER"`, `"QUERY_STRING"`, `"URI"`, `"BODY"`, `"ALL_QUERY_ARGS"`, `"SINGLE_QUERY_ARG"`,
    /// `"HEADERS"`, `"COOKIES"`, `"METHOD"`, `"HEADER_ORDER"`.
    pub location: &'static str,
    state: &'s State,
    tokens: (u32, u32),
}

impl<'s> MatchDetail<'s> {
    /// The matched tokens (after the rule's transformations), like `matchedData` (`["10", "AND", "1"]`).
    pub fn matched_data(&self) -> impl Iterator<Item = &'s [u8]> + 's {
        let st = self.state;
        st.detail_tokens[self.tokens.0 as usize..self.tokens.1 as usize]
            .iter()
            .map(move |&(s, e)| &st.detail_bytes[s as usize..e as usize])
    }
}

/// A matching rule: in `nonTerminatingMatchingRules`, or a rule inside a rule group.
#[derive(Clone, Copy, Debug)]
pub struct RuleMatch<'s> {
    /// The rule's `Name`.
    pub rule_id: &'s str,
    /// The action applied (COUNT for non-terminating matches).
    pub action: Action,
    /// The rule's own action when an override (ExcludedRules, RuleActionOverrides, or the group's
    /// `OverrideAction: Count`) replaced it.
    pub overridden_action: Option<Action>,
    /// True when the rule is in the group statement's `ExcludedRules` (`EXCLUDED_AS_COUNT` in logs).
    pub excluded: bool,
    prog: &'s Program,
    state: &'s State,
    details: (u32, u32),
}

impl<'s> RuleMatch<'s> {
    /// SQLi/XSS match details (`ruleMatchDetails`).
    pub fn match_details(&self) -> impl Iterator<Item = MatchDetail<'s>> + 's {
        details(self.prog, self.state, self.details)
    }
}

fn details<'s>(prog: &'s Program, st: &'s State, range: (u32, u32)) -> impl Iterator<Item = MatchDetail<'s>> + 's {
    st.detail_preds[range.0 as usize..range.1 as usize]
        .iter()
        .map(move |&p| {
            let pred = &prog.preds[p as usize];
            let (condition_type, sensitivity_level) = match pred.kind {
                PredKind::Sqli { high, .. } => ("SQL_INJECTION", Some(if high { "HIGH" } else { "LOW" })),
                _ => ("XSS", None),
            };
            let location = pred.slot().map_or("", |s| prog.slots[s as usize].field.location());
            MatchDetail {
                condition_type,
                sensitivity_level,
                location,
                state: st,
                tokens: st.pred_detail[p as usize],
            }
        })
}

/// The rule that ended evaluation.
#[derive(Clone, Copy, Debug)]
pub struct TerminatingRule<'s> {
    /// `terminatingRuleId`: the ACL rule's `Name` (for a rule group, the name of the rule holding it).
    pub rule_id: &'s str,
    /// `terminatingRuleType`.
    pub rule_type: RuleType,
    /// For a rule group: the rule inside the group that terminated (`ruleGroupList[].terminatingRule.ruleId`).
    pub group_rule_id: Option<&'s str>,
    prog: &'s Program,
    state: &'s State,
    details: (u32, u32),
}

impl<'s> TerminatingRule<'s> {
    /// `terminatingRuleMatchDetails`: SQLi/XSS detections of the terminating rule.
    pub fn match_details(&self) -> impl Iterator<Item = MatchDetail<'s>> + 's {
        details(self.prog, self.state, self.details)
    }
}

/// A custom Block response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomResponse<'s> {
    /// Status code.
    pub status: u16,
    /// Response headers (names as configured).
    pub headers: &'s [(String, String)],
    /// The body from `CustomResponseBodies`, if a key was given.
    pub body: Option<&'s str>,
    /// The body's content type.
    pub content_type: Option<ResponseContentType>,
}

/// A rule group evaluated for this request (`ruleGroupList[]`).
#[derive(Clone, Copy, Debug)]
pub struct RuleGroupMatch<'s> {
    /// `ruleGroupId`: the group's ARN, or `Vendor#Name` for managed groups.
    pub rule_group_id: &'s str,
    /// The ACL rule holding the group.
    pub rule_id: &'s str,
    prog: &'s Program,
    state: &'s State,
    recs: (u32, u32),
    terminating: Option<u32>,
}

impl<'s> RuleGroupMatch<'s> {
    fn rec(&self, i: u32) -> RuleMatch<'s> {
        rule_match(self.prog, self.state, &self.state.group_recs[i as usize])
    }

    /// The group rule that terminated the group (its action possibly overridden).
    pub fn terminating_rule(&self) -> Option<RuleMatch<'s>> {
        self.terminating.map(|i| self.rec(i))
    }

    /// Group rules that matched with action COUNT (their own, or overridden), excluded rules included.
    pub fn non_terminating_matching_rules(&self) -> impl Iterator<Item = RuleMatch<'s>> + 's {
        let this = *self;
        (self.recs.0..self.recs.1)
            .filter(move |&i| Some(i) != this.terminating)
            .map(move |i| this.rec(i))
    }

    /// Matching rules listed in `ExcludedRules` (`excludedRules` in logs).
    pub fn excluded_rules(&self) -> impl Iterator<Item = RuleMatch<'s>> + 's {
        self.non_terminating_matching_rules().filter(|r| r.excluded)
    }
}

/// A rate-based rule whose limit was exceeded (`rateBasedRuleList[]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateBasedMatch<'s> {
    /// `rateBasedRuleName`.
    pub rate_based_rule_name: &'s str,
    /// `limitKey`: `IP`, `FORWARDED_IP`, `CUSTOM_KEYS` or `CONSTANT`.
    pub limit_key: &'static str,
    /// `maxRateAllowed`.
    pub max_rate_allowed: u64,
    /// `evaluationWindowSec`.
    pub evaluation_window_sec: u32,
}

fn rule_match<'s>(prog: &'s Program, st: &'s State, r: &Rec) -> RuleMatch<'s> {
    let top = &prog.rules[r.top as usize];
    let rule_id = match (top, r.inner) {
        (TopRule::Group { group, .. }, Some(j)) => group.rules[j as usize].name.as_str(),
        _ => top.name(),
    };
    RuleMatch {
        rule_id,
        action: r.action,
        overridden_action: r.overridden,
        excluded: r.excluded,
        prog,
        state: st,
        details: r.details,
    }
}

fn action_of(prog: &Program, a: ActRef) -> Option<&CAction> {
    match a {
        ActRef::Default => Some(&prog.default_action),
        ActRef::Top(t) => match &prog.rules[t as usize] {
            TopRule::Rule(r) => Some(&r.action),
            TopRule::Group { .. } => None,
        },
        ActRef::Inner(t, j) => match &prog.rules[t as usize] {
            TopRule::Group { group, .. } => group.rules.get(j as usize).map(|r| &r.action),
            TopRule::Rule(_) => None,
        },
        ActRef::GroupOverride(t) => match &prog.rules[t as usize] {
            TopRule::Group { group, .. } => group.override_count.as_ref(),
            TopRule::Rule(_) => None,
        },
    }
}

/// The outcome of [`crate::WebAcl::evaluate`], borrowed from the scratch it was computed in.
#[derive(Clone, Copy, Debug)]
pub struct Decision<'s> {
    prog: &'s Program,
    st: &'s State,
}

impl<'s> Decision<'s> {
    pub(crate) fn new(scratch: &'s Scratch) -> Self {
        Self {
            prog: &scratch.prog,
            st: &scratch.st,
        }
    }

    /// `action`: ALLOW, BLOCK, CAPTCHA or CHALLENGE (never COUNT).
    pub fn action(&self) -> Action {
        self.st.action
    }

    /// True when no rule terminated and the default action applied (`terminatingRuleId: "Default_Action"`).
    pub fn is_default_action(&self) -> bool {
        self.st.term.is_none()
    }

    /// The terminating rule, or `None` for the default action.
    pub fn terminating_rule(&self) -> Option<TerminatingRule<'s>> {
        let t = self.st.term?;
        let top = &self.prog.rules[t.top as usize];
        let (rule_type, group_rule_id) = match top {
            TopRule::Rule(r) => (
                if matches!(r.body, RuleBody::Rate(_)) {
                    RuleType::RateBased
                } else {
                    RuleType::Regular
                },
                None,
            ),
            TopRule::Group { group, .. } => (
                if group.managed {
                    RuleType::ManagedRuleGroup
                } else {
                    RuleType::Group
                },
                t.inner
                    .and_then(|j| group.rules.get(j as usize))
                    .map(|r| r.name.as_str()),
            ),
        };
        Some(TerminatingRule {
            rule_id: top.name(),
            rule_type,
            group_rule_id,
            prog: self.prog,
            state: self.st,
            details: t.details,
        })
    }

    /// `terminatingRuleId` as logged: the rule name, or `Default_Action`.
    pub fn terminating_rule_id(&self) -> &'s str {
        self.terminating_rule().map_or("Default_Action", |t| t.rule_id)
    }

    /// The custom response of a Block (the terminating rule's, or the default action's), if it has one.
    pub fn custom_response(&self) -> Option<CustomResponse<'s>> {
        if self.st.action != Action::Block {
            return None;
        }
        let r = action_of(self.prog, self.st.term_act)?.response.as_ref()?;
        Some(CustomResponse {
            status: r.status,
            headers: &r.headers,
            body: r.body.as_ref().map(|(b, _)| b.as_str()),
            content_type: r.body.as_ref().map(|(_, t)| *t),
        })
    }

    /// The status to answer with when the request is not forwarded: the custom response's, else 403 (BLOCK),
    /// 405 (CAPTCHA) or 202 (CHALLENGE); `None` for ALLOW.
    pub fn response_status(&self) -> Option<u16> {
        self.custom_response()
            .map(|r| r.status)
            .or_else(|| self.st.action.response_status())
    }

    /// Request headers to insert before forwarding (`CustomRequestHandling` of matching Count rules and of the
    /// terminating Allow or default Allow), names prefixed `x-amzn-waf-`. Meaningful only when the request is
    /// forwarded (action ALLOW).
    pub fn insert_headers(&self) -> impl Iterator<Item = (&'s str, &'s str)> + 's {
        let prog = self.prog;
        self.st
            .headers
            .iter()
            .filter_map(move |&a| action_of(prog, a))
            .flat_map(|a| a.insert_headers.iter())
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Fully qualified labels added to the request, in the order they were added.
    pub fn labels(&self) -> impl Iterator<Item = &'s str> + 's {
        let prog = self.prog;
        self.st.labels.iter().map(move |&l| prog.labels[l as usize].as_str())
    }

    /// Top-level `nonTerminatingMatchingRules`: rules with action Count, and rule groups whose terminating match
    /// was overridden to Count by `OverrideAction: Count`.
    pub fn non_terminating_matching_rules(&self) -> impl Iterator<Item = RuleMatch<'s>> + 's {
        let (prog, st) = (self.prog, self.st);
        st.top_recs.iter().map(move |r| rule_match(prog, st, r))
    }

    /// `ruleGroupList`: every rule group evaluated (its scope-down statement matched), in order.
    pub fn rule_group_list(&self) -> impl Iterator<Item = RuleGroupMatch<'s>> + 's {
        let (prog, st) = (self.prog, self.st);
        st.groups.iter().map(move |g| {
            let top = &prog.rules[g.top as usize];
            let rule_group_id = match top {
                TopRule::Group { group, .. } => group.id.as_str(),
                TopRule::Rule(r) => r.name.as_str(),
            };
            RuleGroupMatch {
                rule_group_id,
                rule_id: top.name(),
                prog,
                state: st,
                recs: g.recs,
                terminating: g.terminating,
            }
        })
    }

    /// `rateBasedRuleList`: rate-based rules whose limit this request exceeded.
    pub fn rate_based_rule_list(&self) -> impl Iterator<Item = RateBasedMatch<'s>> + 's {
        let prog = self.prog;
        self.st.rate_hits.iter().map(move |&i| {
            let r = &prog.rates[i as usize];
            RateBasedMatch {
                rate_based_rule_name: &r.name,
                limit_key: r.key_type,
                max_rate_allowed: r.limit,
                evaluation_window_sec: r.window_sec,
            }
        })
    }
}
