//! [`Resources`]: everything a WebACL may reference, registered by the gateway before ACLs are loaded.

use std::collections::HashMap;
use std::sync::Arc;

use super::ipset::GeoDb;
use crate::model::{
    parse_ip_set, parse_regex_pattern_set, parse_rule_group, IpSetModel, LoadError, Problem, RegexPatternSetModel,
    RuleGroupModel,
};

/// What a WebACL may reference: IP sets and regex pattern sets (by ARN, or by name as a convenience), rule groups
/// (by ARN or name), managed rule groups (by vendor and name), the optional country and ASN databases, and the
/// account id and region used to build ARNs and label namespaces.
///
/// Documents are parsed and checked when added; a WebACL is compiled against the resources as they are when
/// [`crate::WebAcl::load`] runs (later additions do not change compiled ACLs).
#[derive(Debug, Clone)]
pub struct Resources {
    account_id: String,
    region: String,
    ip_sets: Vec<Arc<IpSetModel>>,
    regex_sets: Vec<Arc<RegexPatternSetModel>>,
    rule_groups: Vec<Arc<RuleGroupModel>>,
    managed: HashMap<(String, String), Arc<RuleGroupModel>>,
    pub(crate) geo: Option<Arc<GeoDb>>,
    pub(crate) asn: Option<Arc<GeoDb>>,
}

impl Default for Resources {
    /// Account `000000000000` in `us-east-1`, nothing registered.
    fn default() -> Self {
        Self::new("000000000000", "us-east-1")
    }
}

fn problem(path: &str, message: String) -> LoadError {
    LoadError::Invalid(vec![Problem {
        path: path.to_owned(),
        rule: None,
        message,
    }])
}

impl Resources {
    /// No resources, for `account_id` (12 digits in AWS) and `region` (`us-east-1`).
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            region: region.into(),
            ip_sets: Vec::new(),
            regex_sets: Vec::new(),
            rule_groups: Vec::new(),
            managed: HashMap::new(),
            geo: None,
            asn: None,
        }
    }

    /// The account id used in ARNs and label namespaces.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The region used in ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The ARN AWS would give a regional resource of `kind` (`webacl`, `rulegroup`, `ipset`, `regexpatternset`).
    pub fn arn(&self, kind: &str, name: &str, id: Option<&str>) -> String {
        format!(
            "arn:aws:wafv2:{}:{}:regional/{kind}/{name}/{}",
            self.region,
            self.account_id,
            id.unwrap_or("moat")
        )
    }

    /// Registers an IP set (JSON or YAML, as `aws wafv2 get-ip-set` prints it or bare).
    pub fn add_ip_set(&mut self, text: &str) -> Result<(), LoadError> {
        let mut set = parse_ip_set(text)?;
        if set.arn.is_none() {
            set.arn = Some(self.arn("ipset", &set.name, set.id.as_deref()));
        }
        self.ip_sets.push(Arc::new(set));
        Ok(())
    }

    /// Registers a regex pattern set (as `aws wafv2 get-regex-pattern-set` prints it or bare).
    pub fn add_regex_pattern_set(&mut self, text: &str) -> Result<(), LoadError> {
        let mut set = parse_regex_pattern_set(text)?;
        if set.arn.is_none() {
            set.arn = Some(self.arn("regexpatternset", &set.name, set.id.as_deref()));
        }
        self.regex_sets.push(Arc::new(set));
        Ok(())
    }

    /// Registers a customer rule group (as `aws wafv2 get-rule-group` prints it or bare), referenced by
    /// `RuleGroupReferenceStatement`.
    pub fn add_rule_group(&mut self, text: &str) -> Result<(), LoadError> {
        let mut group = parse_rule_group(text)?;
        if group.arn.is_none() {
            group.arn = Some(self.arn("rulegroup", &group.name, group.id.as_deref()));
        }
        self.rule_groups.push(Arc::new(group));
        Ok(())
    }

    /// Registers a managed rule group, written as a RuleGroup document, under `vendor_name` and the document's
    /// `Name` (for `ManagedRuleGroupStatement`). Its label namespace is the document's `LabelNamespace`, else
    /// `awswaf:managed:<vendor, lower-case>:<Name>:`. A later registration of the same pair replaces it.
    pub fn add_managed_rule_group(&mut self, vendor_name: &str, text: &str) -> Result<(), LoadError> {
        let mut group = parse_rule_group(text)?;
        if group.label_namespace.is_none() {
            group.label_namespace = Some(format!(
                "awswaf:managed:{}:{}:",
                vendor_name.to_ascii_lowercase(),
                group.name
            ));
        }
        self.managed
            .insert((vendor_name.to_owned(), group.name.clone()), Arc::new(group));
        Ok(())
    }

    /// Sets the MaxMind-format country database (GeoIP2/GeoLite2 Country or City) used by `GeoMatchStatement`.
    pub fn set_geo_database(&mut self, mmdb: Vec<u8>) -> Result<(), LoadError> {
        let db = GeoDb::new(mmdb).map_err(|e| problem("(geo database)", e))?;
        self.geo = Some(Arc::new(db));
        Ok(())
    }

    /// Sets the MaxMind-format ASN database (GeoLite2 ASN) used by `AsnMatchStatement` and `ASN` rate keys.
    pub fn set_asn_database(&mut self, mmdb: Vec<u8>) -> Result<(), LoadError> {
        let db = GeoDb::new(mmdb).map_err(|e| problem("(ASN database)", e))?;
        self.asn = Some(Arc::new(db));
        Ok(())
    }

    /// The IP set with ARN `key`, else named `key`, else named like the name component of the ARN
    /// (`.../ipset/<name>/<id>`).
    pub fn ip_set(&self, key: &str) -> Option<&Arc<IpSetModel>> {
        find(&self.ip_sets, key, |s| (s.arn.as_deref(), s.name.as_str()))
    }

    /// The regex pattern set with ARN or name `key` (as for [`Self::ip_set`]).
    pub fn regex_pattern_set(&self, key: &str) -> Option<&Arc<RegexPatternSetModel>> {
        find(&self.regex_sets, key, |s| (s.arn.as_deref(), s.name.as_str()))
    }

    /// The rule group with ARN or name `key` (as for [`Self::ip_set`]).
    pub fn rule_group(&self, key: &str) -> Option<&Arc<RuleGroupModel>> {
        find(&self.rule_groups, key, |g| (g.arn.as_deref(), g.name.as_str()))
    }

    /// The managed rule group registered as (`vendor`, `name`).
    pub fn managed_rule_group(&self, vendor: &str, name: &str) -> Option<&Arc<RuleGroupModel>> {
        self.managed.get(&(vendor.to_owned(), name.to_owned()))
    }
}

fn find<'a, T>(items: &'a [Arc<T>], key: &str, ids: impl Fn(&T) -> (Option<&str>, &str)) -> Option<&'a Arc<T>> {
    items
        .iter()
        .rev()
        .find(|t| ids(t).0 == Some(key))
        .or_else(|| items.iter().rev().find(|t| ids(t).1 == key))
        .or_else(|| {
            // arn:aws:wafv2:<region>:<account>:regional/<kind>/<name>/<id>
            let name = key.strip_prefix("arn:")?.rsplit('/').nth(1)?;
            items.iter().rev().find(|t| ids(t).1 == name)
        })
}
