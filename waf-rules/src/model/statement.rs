//! Rule statements and the request components they inspect (`Statement`, `FieldToMatch`, `TextTransformation`).
//!
//! Every type mirrors the WAFv2 API shape of the same name, field for field, with the API's PascalCase names.
//! A structure of which exactly one member may be set (`Statement`, `FieldToMatch`, `RuleAction`, ...) is an enum
//! here: serde then rejects both a missing choice and two choices at once.

use serde::{Deserialize, Deserializer};

/// An empty JSON object, `{}`, as used by `"UriPath": {}` or `"All": {}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// One rule statement: exactly one of the 16 WAFv2 statement types.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Statement {
    /// Search a request component for a string.
    ByteMatchStatement(ByteMatchStatement),
    /// Detect SQL injection in a request component.
    SqliMatchStatement(SqliMatchStatement),
    /// Detect cross-site scripting in a request component.
    XssMatchStatement(XssMatchStatement),
    /// Compare the size of a request component.
    SizeConstraintStatement(SizeConstraintStatement),
    /// Match the country of the client IP (or a forwarded IP).
    GeoMatchStatement(GeoMatchStatement),
    /// Run the rules of a rule group referenced by ARN.
    RuleGroupReferenceStatement(RuleGroupReferenceStatement),
    /// Match the client IP (or a forwarded IP) against an IP set.
    #[serde(rename = "IPSetReferenceStatement")]
    IpSetReferenceStatement(IpSetReferenceStatement),
    /// Match a request component against the regexes of a regex pattern set.
    RegexPatternSetReferenceStatement(RegexPatternSetReferenceStatement),
    /// Rate limiting by aggregation key.
    RateBasedStatement(Box<RateBasedStatement>),
    /// All nested statements match.
    AndStatement(AndStatement),
    /// At least one nested statement matches.
    OrStatement(OrStatement),
    /// The nested statement does not match.
    NotStatement(NotStatement),
    /// Run the rules of a managed rule group identified by vendor and name.
    ManagedRuleGroupStatement(Box<ManagedRuleGroupStatement>),
    /// Match labels added by earlier rules.
    LabelMatchStatement(LabelMatchStatement),
    /// Match a request component against one regex.
    RegexMatchStatement(RegexMatchStatement),
    /// Match the autonomous system number of the client IP (or a forwarded IP).
    AsnMatchStatement(AsnMatchStatement),
}

impl Statement {
    /// The API name of the statement type (`"ByteMatchStatement"`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::ByteMatchStatement(_) => "ByteMatchStatement",
            Self::SqliMatchStatement(_) => "SqliMatchStatement",
            Self::XssMatchStatement(_) => "XssMatchStatement",
            Self::SizeConstraintStatement(_) => "SizeConstraintStatement",
            Self::GeoMatchStatement(_) => "GeoMatchStatement",
            Self::RuleGroupReferenceStatement(_) => "RuleGroupReferenceStatement",
            Self::IpSetReferenceStatement(_) => "IPSetReferenceStatement",
            Self::RegexPatternSetReferenceStatement(_) => "RegexPatternSetReferenceStatement",
            Self::RateBasedStatement(_) => "RateBasedStatement",
            Self::AndStatement(_) => "AndStatement",
            Self::OrStatement(_) => "OrStatement",
            Self::NotStatement(_) => "NotStatement",
            Self::ManagedRuleGroupStatement(_) => "ManagedRuleGroupStatement",
            Self::LabelMatchStatement(_) => "LabelMatchStatement",
            Self::RegexMatchStatement(_) => "RegexMatchStatement",
            Self::AsnMatchStatement(_) => "AsnMatchStatement",
        }
    }
}

/// Decodes an API `Blob` field: base64, as the WAFv2 JSON API and `aws wafv2 get-web-acl` print it.
fn base64_blob<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    use base64::Engine as _;
    let text = Option::<String>::deserialize(d)?;
    text.map(|t| {
        base64::engine::general_purpose::STANDARD
            .decode(t.as_bytes())
            .map_err(|e| {
                serde::de::Error::custom(format_args!(
                "not valid base64 ({e}); SearchString is a blob, base64-encoded as `aws wafv2 get-web-acl` prints it \
                 (\"YmFkQm90\" for badBot)"
            ))
            })
    })
    .transpose()
}

/// `ByteMatchStatement` (a "string match" in the console).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ByteMatchStatement {
    /// The bytes to search for, decoded from base64 (the API's blob encoding).
    #[serde(default, deserialize_with = "base64_blob")]
    pub search_string: Option<Vec<u8>>,
    /// CloudFormation's `SearchStringBase64`: the same bytes, also base64. Exactly one of the two must be set.
    #[serde(default, deserialize_with = "base64_blob")]
    pub search_string_base64: Option<Vec<u8>>,
    /// What to inspect.
    pub field_to_match: FieldToMatch,
    /// Applied to the component before matching.
    pub text_transformations: Vec<TextTransformation>,
    /// Where the string must occur.
    pub positional_constraint: PositionalConstraint,
}

impl ByteMatchStatement {
    /// The search bytes, whichever field carried them.
    pub fn search_bytes(&self) -> &[u8] {
        self.search_string
            .as_deref()
            .or(self.search_string_base64.as_deref())
            .unwrap_or_default()
    }
}

/// `PositionalConstraint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionalConstraint {
    /// The whole component equals the string.
    Exactly,
    /// The component starts with the string.
    StartsWith,
    /// The component ends with the string.
    EndsWith,
    /// The string occurs anywhere.
    Contains,
    /// The string occurs bounded by non-word bytes (not `[A-Za-z0-9_]`) or the component's ends.
    ContainsWord,
}

/// `SqliMatchStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SqliMatchStatement {
    /// What to inspect.
    pub field_to_match: FieldToMatch,
    /// Applied before detection.
    pub text_transformations: Vec<TextTransformation>,
    /// `LOW` (default) or `HIGH`.
    #[serde(default)]
    pub sensitivity_level: Option<SensitivityLevel>,
}

/// `SensitivityLevel` of a SQLi match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SensitivityLevel {
    /// Fewer false positives (the default).
    Low,
    /// More detections.
    High,
}

/// `XssMatchStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct XssMatchStatement {
    /// What to inspect.
    pub field_to_match: FieldToMatch,
    /// Applied before detection.
    pub text_transformations: Vec<TextTransformation>,
}

/// `SizeConstraintStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SizeConstraintStatement {
    /// What to measure.
    pub field_to_match: FieldToMatch,
    /// How the size compares with `Size`.
    pub comparison_operator: ComparisonOperator,
    /// Bytes, 0 to 21474836480.
    pub size: i64,
    /// Applied before measuring.
    pub text_transformations: Vec<TextTransformation>,
}

/// `ComparisonOperator`: `size OP Size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComparisonOperator {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less or equal.
    Le,
    /// Less.
    Lt,
    /// Greater or equal.
    Ge,
    /// Greater.
    Gt,
}

/// `GeoMatchStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GeoMatchStatement {
    /// ISO 3166-1 alpha-2 country codes.
    pub country_codes: Vec<String>,
    /// Take the IP from a header instead of the connection.
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
}

/// `AsnMatchStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AsnMatchStatement {
    /// Autonomous system numbers.
    pub asn_list: Vec<i64>,
    /// Take the IP from a header instead of the connection.
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
}

/// `ForwardedIPConfig`: the first IP of a header such as `X-Forwarded-For`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ForwardedIpConfig {
    /// Header name (case-insensitive).
    pub header_name: String,
    /// What to do when the header is missing or holds no valid IP.
    pub fallback_behavior: FallbackBehavior,
}

/// `FallbackBehavior` for a missing forwarded IP, fingerprint or fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FallbackBehavior {
    /// Treat as a match.
    Match,
    /// Treat as no match.
    NoMatch,
}

/// `IPSetReferenceStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpSetReferenceStatement {
    /// The IP set's ARN (Moat also accepts its name).
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Take the IP from a header instead of the connection.
    #[serde(default, rename = "IPSetForwardedIPConfig")]
    pub ip_set_forwarded_ip_config: Option<IpSetForwardedIpConfig>,
}

/// `IPSetForwardedIPConfig`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct IpSetForwardedIpConfig {
    /// Header name (case-insensitive).
    pub header_name: String,
    /// What to do when the header is missing or holds no valid IP.
    pub fallback_behavior: FallbackBehavior,
    /// Which IP of a comma-separated list: `FIRST`, `LAST` or `ANY` (the last 10).
    pub position: ForwardedIpPosition,
}

/// `Position` in an `IPSetForwardedIPConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForwardedIpPosition {
    /// The first address.
    First,
    /// The last address.
    Last,
    /// Any of the last ten addresses.
    Any,
}

/// `RegexPatternSetReferenceStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexPatternSetReferenceStatement {
    /// The regex pattern set's ARN (Moat also accepts its name).
    #[serde(rename = "ARN")]
    pub arn: String,
    /// What to inspect.
    pub field_to_match: FieldToMatch,
    /// Applied before matching.
    pub text_transformations: Vec<TextTransformation>,
}

/// `RegexMatchStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RegexMatchStatement {
    /// The regex.
    pub regex_string: String,
    /// What to inspect.
    pub field_to_match: FieldToMatch,
    /// Applied before matching.
    pub text_transformations: Vec<TextTransformation>,
}

/// `LabelMatchStatement`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct LabelMatchStatement {
    /// `LABEL` or `NAMESPACE`.
    pub scope: LabelMatchScope,
    /// The label or namespace, fully qualified or relative to the statement's context.
    pub key: String,
}

/// `LabelMatchScope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LabelMatchScope {
    /// Match a whole label.
    Label,
    /// Match labels under a namespace.
    Namespace,
}

/// `AndStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AndStatement {
    /// At least two statements.
    pub statements: Vec<Statement>,
}

/// `OrStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OrStatement {
    /// At least two statements.
    pub statements: Vec<Statement>,
}

/// `NotStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NotStatement {
    /// The negated statement.
    pub statement: Box<Statement>,
}

/// `RuleGroupReferenceStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleGroupReferenceStatement {
    /// The rule group's ARN (Moat also accepts its name).
    #[serde(rename = "ARN")]
    pub arn: String,
    /// Rules whose action becomes Count (the older form of `RuleActionOverrides`).
    #[serde(default)]
    pub excluded_rules: Vec<ExcludedRule>,
    /// Per-rule action overrides.
    #[serde(default)]
    pub rule_action_overrides: Vec<RuleActionOverride>,
}

/// `ManagedRuleGroupStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ManagedRuleGroupStatement {
    /// Vendor (`AWS` for AWS managed rules).
    pub vendor_name: String,
    /// Group name (`AWSManagedRulesCommonRuleSet`).
    pub name: String,
    /// Version; accepted and kept (Moat runs the registered group).
    #[serde(default)]
    pub version: Option<String>,
    /// Rules whose action becomes Count.
    #[serde(default)]
    pub excluded_rules: Vec<ExcludedRule>,
    /// Only requests matching this statement are evaluated by the group.
    #[serde(default)]
    pub scope_down_statement: Option<Box<Statement>>,
    /// Group-specific configuration (login paths, bot control level, ...); accepted and kept.
    #[serde(default)]
    pub managed_rule_group_configs: Vec<serde_json::Value>,
    /// Per-rule action overrides.
    #[serde(default)]
    pub rule_action_overrides: Vec<RuleActionOverride>,
}

/// `ExcludedRule`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ExcludedRule {
    /// Rule name within the group.
    pub name: String,
}

/// `RuleActionOverride`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RuleActionOverride {
    /// Rule name within the group.
    pub name: String,
    /// The action to use instead of the rule's own.
    pub action_to_use: super::RuleAction,
}

/// `RateBasedStatement`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateBasedStatement {
    /// Requests per evaluation window above which the rule matches (10 to 2,000,000,000).
    pub limit: i64,
    /// Window length: 60, 120, 300 or 600 seconds (default 300).
    #[serde(default)]
    pub evaluation_window_sec: Option<i64>,
    /// How requests are grouped.
    pub aggregate_key_type: AggregateKeyType,
    /// Only requests matching this statement are counted.
    #[serde(default)]
    pub scope_down_statement: Option<Box<Statement>>,
    /// Required for `FORWARDED_IP`.
    #[serde(default, rename = "ForwardedIPConfig")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
    /// Required for `CUSTOM_KEYS`: 1 to 5 keys.
    #[serde(default)]
    pub custom_keys: Vec<RateBasedCustomKey>,
}

/// `AggregateKeyType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AggregateKeyType {
    /// The client IP.
    Ip,
    /// The IP in `ForwardedIPConfig`'s header.
    #[serde(rename = "FORWARDED_IP")]
    ForwardedIp,
    /// `CustomKeys`.
    CustomKeys,
    /// One counter for all requests matching the scope-down statement.
    Constant,
}

/// `RateBasedStatementCustomKey`: exactly one aggregation component.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RateBasedCustomKey {
    /// A header's value.
    Header(RateLimitNamed),
    /// A cookie's value.
    Cookie(RateLimitNamed),
    /// A query argument's value.
    QueryArgument(RateLimitNamed),
    /// The query string.
    QueryString(RateLimitTransformed),
    /// The method.
    #[serde(rename = "HTTPMethod")]
    HttpMethod(Empty),
    /// The forwarded IP (requires the statement's `ForwardedIPConfig`).
    #[serde(rename = "ForwardedIP")]
    ForwardedIp(Empty),
    /// The client IP.
    #[serde(rename = "IP")]
    Ip(Empty),
    /// The labels under a namespace.
    LabelNamespace(RateLimitLabelNamespace),
    /// The URI path.
    UriPath(RateLimitTransformed),
    /// The JA3 fingerprint (not available behind API Gateway).
    #[serde(rename = "JA3Fingerprint")]
    Ja3Fingerprint(FallbackOnly),
    /// The JA4 fingerprint (not available behind API Gateway).
    #[serde(rename = "JA4Fingerprint")]
    Ja4Fingerprint(FallbackOnly),
    /// The client's autonomous system number.
    #[serde(rename = "ASN")]
    Asn(Empty),
}

/// A named custom key component with transformations.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateLimitNamed {
    /// Header, cookie or argument name.
    pub name: String,
    /// Applied to the value before it becomes part of the key.
    pub text_transformations: Vec<TextTransformation>,
}

/// A custom key component with transformations only.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateLimitTransformed {
    /// Applied to the value before it becomes part of the key.
    pub text_transformations: Vec<TextTransformation>,
}

/// `RateLimitLabelNamespace`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RateLimitLabelNamespace {
    /// The namespace, ending in `:`.
    pub namespace: String,
}

/// A component with only a `FallbackBehavior` (`UriFragment`, `JA3Fingerprint`, `JA4Fingerprint`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FallbackOnly {
    /// What to do when the component is not available.
    pub fallback_behavior: FallbackBehavior,
}

/// `TextTransformation`: one step of a statement's transformation list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TextTransformation {
    /// Lower runs first; distinct within a list.
    pub priority: u32,
    /// AWS type name (`"URL_DECODE"`), checked when the ACL is compiled.
    #[serde(rename = "Type")]
    pub kind: String,
}

/// `FieldToMatch`: exactly one of the 14 request components.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FieldToMatch {
    /// One header's value.
    SingleHeader(NamedField),
    /// One query argument's value.
    SingleQueryArgument(NamedField),
    /// Every query argument's value.
    AllQueryArguments(Empty),
    /// The URI path.
    UriPath(Empty),
    /// The query string (without `?`).
    QueryString(Empty),
    /// The body (its first inspection-limit bytes).
    Body(BodyField),
    /// The HTTP method.
    Method(Empty),
    /// The body parsed as JSON.
    JsonBody(JsonBodyField),
    /// Headers, selected by name.
    Headers(HeadersField),
    /// Cookies, selected by name.
    Cookies(CookiesField),
    /// The header names in order, colon-separated.
    HeaderOrder(OversizeOnly),
    /// The JA3 TLS fingerprint (not available behind API Gateway).
    #[serde(rename = "JA3Fingerprint")]
    Ja3Fingerprint(FallbackOnly),
    /// The JA4 TLS fingerprint (not available behind API Gateway).
    #[serde(rename = "JA4Fingerprint")]
    Ja4Fingerprint(FallbackOnly),
    /// The URI fragment (never sent to a server).
    UriFragment(FallbackOnly),
}

impl std::hash::Hash for Empty {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// A component selected by name (`SingleHeader`, `SingleQueryArgument`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NamedField {
    /// Case-insensitive name.
    pub name: String,
}

/// `Body`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BodyField {
    /// Default `CONTINUE`.
    #[serde(default)]
    pub oversize_handling: Option<OversizeHandling>,
}

/// A component with only an `OversizeHandling` (`HeaderOrder`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OversizeOnly {
    /// Required.
    pub oversize_handling: OversizeHandling,
}

/// `OversizeHandling`: what to do when the component exceeds what AWS WAF inspects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OversizeHandling {
    /// Inspect what is within the limit.
    Continue,
    /// Treat as a match.
    Match,
    /// Treat as no match.
    NoMatch,
}

/// `MatchScope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchScope {
    /// Keys and values.
    All,
    /// Keys only.
    Key,
    /// Values only.
    Value,
}

/// `JsonBody`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct JsonBodyField {
    /// Which elements.
    pub match_pattern: JsonMatchPattern,
    /// Keys, values or both.
    pub match_scope: MatchScope,
    /// What to do with a body that is not valid JSON.
    #[serde(default)]
    pub invalid_fallback_behavior: Option<BodyParsingFallbackBehavior>,
    /// Default `CONTINUE`.
    #[serde(default)]
    pub oversize_handling: Option<OversizeHandling>,
}

/// `JsonMatchPattern`: `All` or `IncludedPaths` (JSON Pointers).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct JsonMatchPattern {
    /// Every element.
    #[serde(default)]
    pub all: Option<Empty>,
    /// Elements at these JSON Pointers (RFC 6901), and everything below them.
    #[serde(default)]
    pub included_paths: Option<Vec<String>>,
}

/// `BodyParsingFallbackBehavior`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BodyParsingFallbackBehavior {
    /// Treat as a match.
    Match,
    /// Treat as no match.
    NoMatch,
    /// Inspect the body as plain text.
    EvaluateAsString,
}

/// `Headers`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeadersField {
    /// Which headers.
    pub match_pattern: HeaderMatchPattern,
    /// Names, values or both.
    pub match_scope: MatchScope,
    /// Required.
    pub oversize_handling: OversizeHandling,
}

/// `HeaderMatchPattern`: exactly one of the three.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HeaderMatchPattern {
    /// Every header.
    #[serde(default)]
    pub all: Option<Empty>,
    /// Only these (case-insensitive).
    #[serde(default)]
    pub included_headers: Option<Vec<String>>,
    /// All but these (case-insensitive).
    #[serde(default)]
    pub excluded_headers: Option<Vec<String>>,
}

/// `Cookies`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CookiesField {
    /// Which cookies.
    pub match_pattern: CookieMatchPattern,
    /// Names, values or both.
    pub match_scope: MatchScope,
    /// Required.
    pub oversize_handling: OversizeHandling,
}

/// `CookieMatchPattern`: exactly one of the three.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct CookieMatchPattern {
    /// Every cookie.
    #[serde(default)]
    pub all: Option<Empty>,
    /// Only these (case-sensitive).
    #[serde(default)]
    pub included_cookies: Option<Vec<String>>,
    /// All but these (case-sensitive).
    #[serde(default)]
    pub excluded_cookies: Option<Vec<String>>,
}
