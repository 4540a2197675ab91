//! The `$context` variables API Gateway documents for access logs, which API types support each, and
//! where Moat takes its value from.
//!
//! Sources, checked against the stored copies of AWS's pages:
//! - REST: "Variables for access logging for API Gateway",
//!   <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html>
//!   (before 2024 split over "`$context` Variables for data models, authorizers, mapping templates, and
//!   CloudWatch access logging" and "`$context` Variables for access logging only").
//! - HTTP: "Customize HTTP API access logs",
//!   <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html>.
//! - REST, added in 2025 and announced on the AWS Compute Blog, which points to these pages:
//!   `$context.customDomain.routingRuleIdMatched` (routing rules,
//!   <https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-routing-mode.html>) and
//!   `$context.integration.responseTransferMode` / `timeToAllHeaders` / `timeToFirstContent` (response
//!   streaming, <https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html>).
//! - Moat: `$context.isCanaryRequest`. Neither access-log page lists it (checked: the 2023 developer-guide
//!   sources of both pages and the current HTTP page); it exists in API Gateway's mapping-template `$context` ("Indicates if the
//!   request was directed to the canary"). Moat accepts it in access logs of both API types as its canary
//!   marker and renders `true` or `false`.
//!
//! Variables Moat has no data for (authorizers, Cognito and IAM identities, client certificates, request
//! and response overrides, ...) are still valid names and render as `-`, as AWS renders empty values.

use crate::record::ApiType;

/// Where the value of a variable comes from in a [`RequestRecord`](crate::record::RequestRecord).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    AccountId,
    ApiId,
    /// `integration.request_id`.
    AwsEndpointRequestId,
    BasePathMatched,
    /// `request_length + response_length`.
    DataProcessed,
    DomainName,
    DomainPrefix,
    ErrorMessage,
    /// `error.message` as a quoted JSON string.
    ErrorMessageString,
    ErrorResponseType,
    ErrorValidation,
    ExtendedRequestId,
    HttpMethod,
    IntegrationError,
    IntegrationLatency,
    IntegrationStatus,
    IsCanary,
    Path,
    Protocol,
    RequestId,
    /// `request_time_epoch_ms` in CLF.
    RequestTime,
    RequestTimeEpoch,
    ResourceId,
    ResourcePath,
    ResponseLatency,
    ResponseLength,
    RouteKey,
    ClientIp,
    Stage,
    Status,
    UserAgent,
    WafLatency,
    WafResponseCode,
    WafStatus,
    WebAclArn,
    XrayTraceId,
    /// No data in Moat yet: renders `-`.
    Empty,
}

const REST: u8 = 1;
const HTTP: u8 = 2;
const BOTH: u8 = REST | HTTP;

/// One access-log `$context` variable (or family, for parametric names).
#[derive(Debug, Clone, Copy)]
pub struct ContextVariable {
    /// The name after `$context.`, e.g. `identity.sourceIp`. Parametric families end in a placeholder:
    /// `authorizer.claims.{property}`.
    pub name: &'static str,
    apis: u8,
    pub(crate) source: Source,
}

impl ContextVariable {
    const fn new(name: &'static str, apis: u8, source: Source) -> Self {
        ContextVariable { name, apis, source }
    }

    /// Whether AWS (or Moat, for `isCanaryRequest`) allows this variable in access logs of `api`.
    #[must_use]
    pub fn supports(&self, api: ApiType) -> bool {
        let bit = match api {
            ApiType::Rest => REST,
            ApiType::Http => HTTP,
        };
        self.apis & bit != 0
    }

    /// Whether the name is a family that takes a trailing parameter (`requestOverride.header.{name}`).
    #[must_use]
    pub fn is_parametric(&self) -> bool {
        self.name.ends_with('}')
    }

    /// For a parametric family, the fixed part of the name including the final dot.
    pub(crate) fn prefix(&self) -> Option<&'static str> {
        let brace = self.name.find('{')?;
        Some(&self.name[..brace])
    }

    /// Whether Moat fills the variable from a request (false: it always renders `-` for now).
    #[must_use]
    pub fn has_moat_value(&self) -> bool {
        self.source != Source::Empty
    }
}

use Source as S;

/// Every variable, in the alphabetical order of AWS's tables. Parametric families come after the
/// exact names they share a prefix with.
pub static CONTEXT_VARIABLES: &[ContextVariable] = &[
    ContextVariable::new("accountId", BOTH, S::AccountId),
    ContextVariable::new("apiId", BOTH, S::ApiId),
    ContextVariable::new("authorize.error", REST, S::Empty),
    ContextVariable::new("authorize.latency", REST, S::Empty),
    ContextVariable::new("authorize.status", REST, S::Empty),
    ContextVariable::new("authorizer.error", BOTH, S::Empty),
    ContextVariable::new("authorizer.integrationLatency", REST, S::Empty),
    ContextVariable::new("authorizer.integrationStatus", REST, S::Empty),
    ContextVariable::new("authorizer.latency", REST, S::Empty),
    ContextVariable::new("authorizer.principalId", BOTH, S::Empty),
    ContextVariable::new("authorizer.requestId", REST, S::Empty),
    ContextVariable::new("authorizer.status", REST, S::Empty),
    ContextVariable::new("authorizer.claims.{property}", BOTH, S::Empty),
    ContextVariable::new("authorizer.{property}", BOTH, S::Empty),
    ContextVariable::new("authenticate.error", REST, S::Empty),
    ContextVariable::new("authenticate.latency", REST, S::Empty),
    ContextVariable::new("authenticate.status", REST, S::Empty),
    ContextVariable::new("awsEndpointRequestId", BOTH, S::AwsEndpointRequestId),
    ContextVariable::new("awsEndpointRequestId2", HTTP, S::Empty),
    ContextVariable::new("customDomain.basePathMatched", BOTH, S::BasePathMatched),
    ContextVariable::new("customDomain.routingRuleIdMatched", REST, S::Empty),
    ContextVariable::new("dataProcessed", HTTP, S::DataProcessed),
    ContextVariable::new("domainName", BOTH, S::DomainName),
    ContextVariable::new("domainPrefix", BOTH, S::DomainPrefix),
    ContextVariable::new("error.message", BOTH, S::ErrorMessage),
    ContextVariable::new("error.messageString", BOTH, S::ErrorMessageString),
    ContextVariable::new("error.responseType", BOTH, S::ErrorResponseType),
    ContextVariable::new("error.validationErrorString", REST, S::ErrorValidation),
    ContextVariable::new("extendedRequestId", BOTH, S::ExtendedRequestId),
    ContextVariable::new("httpMethod", BOTH, S::HttpMethod),
    ContextVariable::new("identity.accountId", BOTH, S::Empty),
    ContextVariable::new("identity.apiKey", REST, S::Empty),
    ContextVariable::new("identity.apiKeyId", REST, S::Empty),
    ContextVariable::new("identity.caller", BOTH, S::Empty),
    ContextVariable::new("identity.clientCert.clientCertPem", BOTH, S::Empty),
    ContextVariable::new("identity.clientCert.issuerDN", BOTH, S::Empty),
    ContextVariable::new("identity.clientCert.serialNumber", BOTH, S::Empty),
    ContextVariable::new("identity.clientCert.subjectDN", BOTH, S::Empty),
    ContextVariable::new("identity.clientCert.validity.notAfter", BOTH, S::Empty),
    ContextVariable::new("identity.clientCert.validity.notBefore", BOTH, S::Empty),
    ContextVariable::new("identity.cognitoAuthenticationProvider", BOTH, S::Empty),
    ContextVariable::new("identity.cognitoAuthenticationType", BOTH, S::Empty),
    ContextVariable::new("identity.cognitoIdentityId", BOTH, S::Empty),
    ContextVariable::new("identity.cognitoIdentityPoolId", BOTH, S::Empty),
    ContextVariable::new("identity.principalOrgId", BOTH, S::Empty),
    ContextVariable::new("identity.sourceIp", BOTH, S::ClientIp),
    ContextVariable::new("identity.user", BOTH, S::Empty),
    ContextVariable::new("identity.userAgent", BOTH, S::UserAgent),
    ContextVariable::new("identity.userArn", BOTH, S::Empty),
    ContextVariable::new("integration.error", BOTH, S::IntegrationError),
    ContextVariable::new("integration.integrationStatus", BOTH, S::IntegrationStatus),
    ContextVariable::new("integration.latency", BOTH, S::IntegrationLatency),
    ContextVariable::new("integration.requestId", BOTH, S::AwsEndpointRequestId),
    ContextVariable::new("integration.responseTransferMode", REST, S::Empty),
    ContextVariable::new("integration.status", BOTH, S::IntegrationStatus),
    ContextVariable::new("integration.timeToAllHeaders", REST, S::Empty),
    ContextVariable::new("integration.timeToFirstContent", REST, S::Empty),
    ContextVariable::new("integrationErrorMessage", BOTH, S::IntegrationError),
    ContextVariable::new("integrationLatency", BOTH, S::IntegrationLatency),
    ContextVariable::new("integrationStatus", BOTH, S::IntegrationStatus),
    ContextVariable::new("isCanaryRequest", BOTH, S::IsCanary),
    ContextVariable::new("path", BOTH, S::Path),
    ContextVariable::new("protocol", BOTH, S::Protocol),
    ContextVariable::new("requestId", BOTH, S::RequestId),
    ContextVariable::new("requestOverride.header.{name}", REST, S::Empty),
    ContextVariable::new("requestOverride.path.{name}", REST, S::Empty),
    ContextVariable::new("requestOverride.querystring.{name}", REST, S::Empty),
    ContextVariable::new("requestTime", BOTH, S::RequestTime),
    ContextVariable::new("requestTimeEpoch", BOTH, S::RequestTimeEpoch),
    ContextVariable::new("resourceId", REST, S::ResourceId),
    ContextVariable::new("resourcePath", REST, S::ResourcePath),
    ContextVariable::new("responseLatency", BOTH, S::ResponseLatency),
    ContextVariable::new("responseLength", BOTH, S::ResponseLength),
    ContextVariable::new("responseOverride.header.{name}", REST, S::Empty),
    ContextVariable::new("responseOverride.status", REST, S::Empty),
    ContextVariable::new("routeKey", HTTP, S::RouteKey),
    ContextVariable::new("stage", BOTH, S::Stage),
    ContextVariable::new("status", BOTH, S::Status),
    ContextVariable::new("waf.error", REST, S::Empty),
    ContextVariable::new("waf.latency", REST, S::WafLatency),
    ContextVariable::new("waf.status", REST, S::WafStatus),
    ContextVariable::new("wafResponseCode", REST, S::WafResponseCode),
    ContextVariable::new("webaclArn", REST, S::WebAclArn),
    ContextVariable::new("xrayTraceId", REST, S::XrayTraceId),
];

/// How a name after `$context.` resolved.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup {
    /// An exact name or a parametric family that `api` supports.
    Found(&'static ContextVariable),
    /// A known name (or family) that only the other API type supports.
    OtherApiOnly,
    /// Not a documented access-log variable.
    Unknown,
}

/// Whether the parametric family takes header names, whose parameter may also contain `-`.
pub(crate) fn takes_header_name(var: &ContextVariable) -> bool {
    var.name.ends_with(".header.{name}")
}

/// The parametric family whose prefix `name` starts with (longest prefix first), with a non-empty
/// parameter after it.
pub(crate) fn parametric_for(name: &str) -> Option<&'static ContextVariable> {
    CONTEXT_VARIABLES
        .iter()
        .filter_map(|v| v.prefix().map(|p| (v, p)))
        .filter(|(_, p)| name.len() > p.len() && name.starts_with(p))
        .max_by_key(|(_, p)| p.len())
        .map(|(v, _)| v)
}

/// Resolves `name` (the text after `$context.`) for `api`: an exact name first, then a parametric
/// family, each preferring what `api` supports.
pub(crate) fn lookup(name: &str, api: ApiType) -> Lookup {
    let exact = CONTEXT_VARIABLES.iter().find(|v| !v.is_parametric() && v.name == name);
    if let Some(v) = exact {
        if v.supports(api) {
            return Lookup::Found(v);
        }
    }
    let family = parametric_for(name);
    if let Some(v) = family {
        if v.supports(api) {
            return Lookup::Found(v);
        }
    }
    if exact.or(family).is_some() {
        Lookup::OtherApiOnly
    } else {
        Lookup::Unknown
    }
}

/// The exact (non-parametric) variable called `name`, if any.
#[must_use]
pub fn variable(name: &str) -> Option<&'static ContextVariable> {
    CONTEXT_VARIABLES.iter().find(|v| v.name == name)
}
