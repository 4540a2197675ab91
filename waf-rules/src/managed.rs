//! The managed rule groups Moat ships, compiled into the binary: Moat's own rule groups with AWS's vendor,
//! group, rule and label names (`rules/aws/*.json`, documented in `docs/waf-managed-rules.md`), so a
//! `ManagedRuleGroupStatement` exported from AWS resolves to a group of the same purpose and its
//! `ExcludedRules`, `RuleActionOverrides` and label matches keep working. The patterns are Moat's, not AWS's
//! (AWS does not publish them).
//!
//! The IP reputation groups reference IP sets that ship empty (`rules/aws/ipsets/`): an operator loads a list
//! by registering an IP set with the same `Name` before calling [`register_builtin`], which then leaves that
//! name alone.

use crate::compile::Resources;
use crate::model::LoadError;

/// One shipped rule group.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinGroup {
    /// `VendorName` in a `ManagedRuleGroupStatement`.
    pub vendor_name: &'static str,
    /// `Name` in a `ManagedRuleGroupStatement`.
    pub name: &'static str,
    /// The RuleGroup document (as `aws wafv2 get-rule-group` prints it).
    pub document: &'static str,
}

/// Every shipped rule group.
pub const GROUPS: &[BuiltinGroup] = &[
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesAdminProtectionRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesAdminProtectionRuleSet.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesAmazonIpReputationList",
        document: include_str!("../../rules/aws/AWSManagedRulesAmazonIpReputationList.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesCommonRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesCommonRuleSet.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesKnownBadInputsRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesKnownBadInputsRuleSet.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesLinuxRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesLinuxRuleSet.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesPHPRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesPHPRuleSet.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesSQLiRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesSQLiRuleSet.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesUnixRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesUnixRuleSet.json"),
    },
    BuiltinGroup {
        vendor_name: "AWS",
        name: "AWSManagedRulesWindowsRuleSet",
        document: include_str!("../../rules/aws/AWSManagedRulesWindowsRuleSet.json"),
    },
];

/// The IP sets the shipped groups reference, by `Name` (empty lists).
pub const IP_SETS: &[(&str, &str)] = &[
    (
        "AWSManagedIPDDoSList-IPV4",
        include_str!("../../rules/aws/ipsets/AWSManagedIPDDoSList-IPV4.json"),
    ),
    (
        "AWSManagedIPDDoSList-IPV6",
        include_str!("../../rules/aws/ipsets/AWSManagedIPDDoSList-IPV6.json"),
    ),
    (
        "AWSManagedIPReputationList-IPV4",
        include_str!("../../rules/aws/ipsets/AWSManagedIPReputationList-IPV4.json"),
    ),
    (
        "AWSManagedIPReputationList-IPV6",
        include_str!("../../rules/aws/ipsets/AWSManagedIPReputationList-IPV6.json"),
    ),
    (
        "AWSManagedReconnaissanceList-IPV4",
        include_str!("../../rules/aws/ipsets/AWSManagedReconnaissanceList-IPV4.json"),
    ),
    (
        "AWSManagedReconnaissanceList-IPV6",
        include_str!("../../rules/aws/ipsets/AWSManagedReconnaissanceList-IPV6.json"),
    ),
];

/// Registers every shipped group in `resources`, and the shipped (empty) IP sets whose names `resources`
/// does not already hold.
///
/// # Errors
/// Only if a shipped document fails to parse, which the crate's tests rule out.
pub fn register_builtin(resources: &mut Resources) -> Result<(), LoadError> {
    for (name, document) in IP_SETS {
        if resources.ip_set(name).is_none() {
            resources.add_ip_set(document)?;
        }
    }
    for group in GROUPS {
        resources.add_managed_rule_group(group.vendor_name, group.document)?;
    }
    Ok(())
}
