//! Top-level WAFv2 objects: `WebACL`, `RuleGroup`, `IPSet`, `RegexPatternSet`, and the pieces of a `Rule`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::statement::{Empty, Statement};

/// `WebACL`, as `aws wafv2 get-web-acl` prints it (inside `{"WebACL": ...}`) or bare.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct WebAclModel {
    /// Name (also the label namespace component).
    pub name: String,
    /// Id; accepted and kept.
    #[serde(default)]
    pub id: Option<String>,
    /// ARN; built from account, region, name and id when absent.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// Action when no rule terminates.
    pub default_action: DefaultAction,
    /// Description; accepted and kept.
    #[serde(default)]
    pub description: Option<String>,
    /// The rules, evaluated in `Priority` order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Metrics settings; accepted and kept.
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
    /// Data protection (log redaction) settings; accepted and kept.
    #[serde(default)]
    pub data_protection_config: Option<serde_json::Value>,
    /// Capacity; accepted and kept.
    #[serde(default)]
    pub capacity: Option<i64>,
    /// Firewall Manager rule groups evaluated before the rules.
    #[serde(default)]
    pub pre_process_firewall_manager_rule_groups: Vec<FirewallManagerRuleGroup>,
    /// Firewall Manager rule groups evaluated after the rules.
    #[serde(default)]
    pub post_process_firewall_manager_rule_groups: Vec<FirewallManagerRuleGroup>,
    /// Accepted and kept.
    #[serde(default)]
    pub managed_by_firewall_manager: Option<bool>,
    /// The ACL's label namespace (`awswaf:<account>:webacl:<name>:`); derived when absent.
    #[serde(default)]
    pub label_namespace: Option<String>,
    /// Bodies for custom Block responses, by key.
    #[serde(default)]
    pub custom_response_bodies: BTreeMap<String, CustomResponseBody>,
    /// CAPTCHA settings; accepted and kept.
    #[serde(default)]
    pub captcha_config: Option<ImmunityConfig>,
    /// Challenge settings; accepted and kept.
    #[serde(default)]
    pub challenge_config: Option<ImmunityConfig>,
    /// Token domains; accepted and kept.
    #[serde(default)]
    pub token_domains: Vec<String>,
    /// Body inspection size per resource type; Moat reads `API_GATEWAY`.
    #[serde(default)]
    pub association_config: Option<AssociationConfig>,
    /// Accepted and kept.
    #[serde(default)]
    pub retrofitted_by_firewall_manager: Option<bool>,
    /// Accepted and kept.
    #[serde(default, rename = "OnSourceDDoSProtectionConfig")]
    pub on_source_ddos_protection_config: Option<serde_json::Value>,
    /// Accepted and kept.
    #[serde(default)]
    pub application_config: Option<serde_json::Value>,
}

/// `RuleGroup`, as `aws wafv2 get-rule-group` prints it (inside `{"RuleGroup": ...}`) or bare.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleGroupModel {
    /// Name.
    pub name: String,
    /// Id; accepted and kept.
    #[serde(default)]
    pub id: Option<String>,
    /// Capacity; accepted and kept.
    #[serde(default)]
    pub capacity: Option<i64>,
    /// ARN; built from account, region, name and id when absent.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// Description; accepted and kept.
    #[serde(default)]
    pub description: Option<String>,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Metrics settings; accepted and kept.
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
    /// The group's label namespace (`awswaf:<account>:rulegroup:<name>:`); derived when absent.
    #[serde(default)]
    pub label_namespace: Option<String>,
    /// Bodies for custom Block responses of the group's rules.
    #[serde(default)]
    pub custom_response_bodies: BTreeMap<String, CustomResponseBody>,
    /// Labels the group's rules add; accepted and kept.
    #[serde(default)]
    pub available_labels: Vec<LabelSummary>,
    /// Labels the group's rules match; accepted and kept.
    #[serde(default)]
    pub consumed_labels: Vec<LabelSummary>,
}

/// `LabelSummary`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LabelSummary {
    /// Label name.
    pub name: String,
}

/// `IPSet`, as `aws wafv2 get-ip-set` prints it (inside `{"IPSet": ...}`) or bare.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSetModel {
    /// Name.
    pub name: String,
    /// Id; accepted and kept.
    #[serde(default)]
    pub id: Option<String>,
    /// ARN.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// Description; accepted and kept.
    #[serde(default)]
    pub description: Option<String>,
    /// `IPV4` or `IPV6`: every address must be of this version.
    #[serde(rename = "IPAddressVersion")]
    pub ip_address_version: IpAddressVersion,
    /// CIDR blocks (`192.0.2.0/24`, `2001:db8::/32`; `/32` and `/128` for single addresses).
    pub addresses: Vec<String>,
}

/// `IPAddressVersion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum IpAddressVersion {
    /// IPv4.
    #[serde(rename = "IPV4")]
    Ipv4,
    /// IPv6.
    #[serde(rename = "IPV6")]
    Ipv6,
}

/// `RegexPatternSet`, as `aws wafv2 get-regex-pattern-set` prints it (inside `{"RegexPatternSet": ...}`) or bare.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexPatternSetModel {
    /// Name.
    pub name: String,
    /// Id; accepted and kept.
    #[serde(default)]
    pub id: Option<String>,
    /// ARN.
    #[serde(default, rename = "ARN")]
    pub arn: Option<String>,
    /// Description; accepted and kept.
    #[serde(default)]
    pub description: Option<String>,
    /// The patterns; a request component matches the set when any pattern matches.
    pub regular_expression_list: Vec<RegexEntry>,
}

/// `Regex`: one entry of a regex pattern set.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexEntry {
    /// The pattern.
    pub regex_string: String,
}

/// `Rule`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Rule {
    /// Unique within the ACL or group; the rule id in logs.
    pub name: String,
    /// Evaluation order, lowest first; unique within the ACL or group.
    pub priority: i64,
    /// What the rule matches.
    pub statement: Statement,
    /// For rules whose statement is not a rule group.
    #[serde(default)]
    pub action: Option<RuleAction>,
    /// For rules whose statement is a rule group.
    #[serde(default)]
    pub override_action: Option<OverrideAction>,
    /// Labels added when the rule matches.
    #[serde(default)]
    pub rule_labels: Vec<LabelName>,
    /// Metrics settings; accepted and kept.
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
    /// Accepted and kept.
    #[serde(default)]
    pub captcha_config: Option<ImmunityConfig>,
    /// Accepted and kept.
    #[serde(default)]
    pub challenge_config: Option<ImmunityConfig>,
}

/// `Label`: a label name in `RuleLabels`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LabelName {
    /// `ns1:ns2:name`, relative to the rule's namespace.
    pub name: String,
}

/// `RuleAction`: exactly one action.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RuleAction {
    /// Block, optionally with a custom response.
    Block(BlockAction),
    /// Allow, optionally inserting request headers.
    Allow(HandlingAction),
    /// Count (add labels, continue), optionally inserting request headers.
    Count(HandlingAction),
    /// CAPTCHA puzzle.
    Captcha(HandlingAction),
    /// Silent browser challenge.
    Challenge(HandlingAction),
}

/// `DefaultAction`: Allow or Block.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DefaultAction {
    /// Allow, optionally inserting request headers.
    Allow(HandlingAction),
    /// Block, optionally with a custom response.
    Block(BlockAction),
}

/// `OverrideAction` of a rule group rule: `None` (the group's own actions) or `Count`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum OverrideAction {
    /// Count every match of the group instead of applying its terminating action.
    Count(HandlingAction),
    /// Keep the group's actions.
    None(Empty),
}

/// `BlockAction`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BlockAction {
    /// A custom response instead of the default 403.
    #[serde(default)]
    pub custom_response: Option<CustomResponse>,
}

/// `AllowAction`, `CountAction`, `CaptchaAction`, `ChallengeAction`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HandlingAction {
    /// Headers to insert into the request forwarded upstream.
    #[serde(default)]
    pub custom_request_handling: Option<CustomRequestHandling>,
}

/// `CustomRequestHandling`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomRequestHandling {
    /// Each is inserted as `x-amzn-waf-<Name>`.
    pub insert_headers: Vec<CustomHttpHeader>,
}

/// `CustomHTTPHeader`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomHttpHeader {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

/// `CustomResponse`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomResponse {
    /// 200 to 599.
    pub response_code: i64,
    /// A key of the ACL's (or rule group's) `CustomResponseBodies`.
    #[serde(default)]
    pub custom_response_body_key: Option<String>,
    /// Response headers.
    #[serde(default)]
    pub response_headers: Vec<CustomHttpHeader>,
}

/// `CustomResponseBody`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CustomResponseBody {
    /// `TEXT_PLAIN`, `TEXT_HTML` or `APPLICATION_JSON`.
    pub content_type: ResponseContentType,
    /// The body.
    pub content: String,
}

/// `ResponseContentType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResponseContentType {
    /// `text/plain`.
    TextPlain,
    /// `text/html`.
    TextHtml,
    /// `application/json`.
    ApplicationJson,
}

impl ResponseContentType {
    /// The `Content-Type` header value.
    pub fn mime(self) -> &'static str {
        match self {
            Self::TextPlain => "text/plain",
            Self::TextHtml => "text/html",
            Self::ApplicationJson => "application/json",
        }
    }
}

/// `VisibilityConfig`; accepted and kept (Moat has no CloudWatch metrics or sampling).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct VisibilityConfig {
    /// Accepted and kept.
    pub sampled_requests_enabled: bool,
    /// Accepted and kept.
    #[serde(rename = "CloudWatchMetricsEnabled")]
    pub cloud_watch_metrics_enabled: bool,
    /// Accepted and kept.
    pub metric_name: String,
}

/// `CaptchaConfig` / `ChallengeConfig`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ImmunityConfig {
    /// How long a solved token stays valid.
    #[serde(default)]
    pub immunity_time_property: Option<ImmunityTimeProperty>,
}

/// `ImmunityTimeProperty`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ImmunityTimeProperty {
    /// Seconds.
    pub immunity_time: i64,
}

/// `AssociationConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AssociationConfig {
    /// Per resource type (`API_GATEWAY`, `CLOUDFRONT`, `COGNITO_USER_POOL`, `APP_RUNNER_SERVICE`,
    /// `VERIFIED_ACCESS_INSTANCE`, `AMPLIFY`).
    #[serde(default)]
    pub request_body: BTreeMap<AssociatedResourceType, RequestBodyConfig>,
}

/// `AssociatedResourceType` keys of `AssociationConfig.RequestBody`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssociatedResourceType {
    /// CloudFront distributions.
    Cloudfront,
    /// API Gateway REST API stages (what Moat is).
    ApiGateway,
    /// Cognito user pools.
    CognitoUserPool,
    /// App Runner services.
    AppRunnerService,
    /// Verified Access instances.
    VerifiedAccessInstance,
    /// Amplify apps.
    Amplify,
}

/// `RequestBodyAssociatedResourceTypeConfig`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RequestBodyConfig {
    /// `KB_16` (default), `KB_32`, `KB_48` or `KB_64`.
    pub default_size_inspection_limit: SizeInspectionLimit,
}

/// `SizeInspectionLimit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum SizeInspectionLimit {
    /// 16 KB.
    #[serde(rename = "KB_16")]
    Kb16,
    /// 32 KB.
    #[serde(rename = "KB_32")]
    Kb32,
    /// 48 KB.
    #[serde(rename = "KB_48")]
    Kb48,
    /// 64 KB.
    #[serde(rename = "KB_64")]
    Kb64,
}

impl SizeInspectionLimit {
    /// The limit in bytes (KB = 1024 bytes).
    pub fn bytes(self) -> usize {
        1024 * match self {
            Self::Kb16 => 16,
            Self::Kb32 => 32,
            Self::Kb48 => 48,
            Self::Kb64 => 64,
        }
    }
}

/// `FirewallManagerRuleGroup` (pre- and post-process groups).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FirewallManagerRuleGroup {
    /// Name.
    pub name: String,
    /// Order among the pre- or post-process groups.
    pub priority: i64,
    /// The group.
    pub firewall_manager_statement: FirewallManagerStatement,
    /// `None` or `Count`.
    pub override_action: OverrideAction,
    /// Accepted and kept.
    #[serde(default)]
    pub visibility_config: Option<VisibilityConfig>,
}

/// `FirewallManagerStatement`: a managed or referenced rule group.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FirewallManagerStatement {
    /// A managed rule group.
    #[serde(default)]
    pub managed_rule_group_statement: Option<super::statement::ManagedRuleGroupStatement>,
    /// A rule group by ARN.
    #[serde(default)]
    pub rule_group_reference_statement: Option<super::statement::RuleGroupReferenceStatement>,
}
