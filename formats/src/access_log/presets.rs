//! The example formats API Gateway's console offers (CLF, JSON, XML, CSV) for REST and HTTP APIs, and
//! Moat's default.
//!
//! REST: "Access logging for REST APIs", section "Access log formats",
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html> (before 2024:
//! `set-up-logging.html`). HTTP: "Configure logging for HTTP APIs in API Gateway", section "Example log
//! formats", <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html>.
//!
//! The templates are copied character for character from those pages, with one exception: the current
//! REST page prints the CLF example as `[$context.requestTime]"$context.httpMethod` with no space. That
//! page's own CloudFormation example, the pre-2024 page (which wrapped the example over several lines)
//! and Common Log Format itself have `] "`; Moat keeps the space.

use crate::record::ApiType;

/// One of the ready-made access-log formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Common Log Format, as the console offers it.
    Clf,
    /// The console's JSON example: every value a quoted string.
    Json,
    /// The console's XML example: `<request id="...">` with one element per field.
    Xml,
    /// The console's CSV example: the CLF fields, comma-separated.
    Csv,
    /// Moat's default: the console's JSON example plus `responseLatency` and `isCanaryRequest`.
    Default,
}

impl Preset {
    /// Every preset, in the order the console lists them, then Moat's default.
    pub const ALL: [Preset; 5] = [Preset::Clf, Preset::Json, Preset::Xml, Preset::Csv, Preset::Default];

    /// The name used in config files: `clf`, `json`, `xml`, `csv` or `default`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Preset::Clf => "clf",
            Preset::Json => "json",
            Preset::Xml => "xml",
            Preset::Csv => "csv",
            Preset::Default => "default",
        }
    }

    /// The preset called `name` (case-insensitive), if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The format string of this preset for `api`.
    #[must_use]
    pub fn template(self, api: ApiType) -> &'static str {
        match (api, self) {
            (ApiType::Rest, Preset::Clf) => REST_CLF,
            (ApiType::Rest, Preset::Json) => REST_JSON,
            (ApiType::Rest, Preset::Xml) => REST_XML,
            (ApiType::Rest, Preset::Csv) => REST_CSV,
            (ApiType::Rest, Preset::Default) => REST_DEFAULT,
            (ApiType::Http, Preset::Clf) => HTTP_CLF,
            (ApiType::Http, Preset::Json) => HTTP_JSON,
            (ApiType::Http, Preset::Xml) => HTTP_XML,
            (ApiType::Http, Preset::Csv) => HTTP_CSV,
            (ApiType::Http, Preset::Default) => HTTP_DEFAULT,
        }
    }
}

/// REST CLF example (see the module docs for the one space Moat keeps).
pub const REST_CLF: &str = "$context.identity.sourceIp $context.identity.caller $context.identity.user \
[$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status \
$context.responseLength $context.requestId $context.extendedRequestId";

/// REST JSON example, verbatim (including its irregular spacing).
pub const REST_JSON: &str = "{ \"requestId\":\"$context.requestId\", \
\"extendedRequestId\":\"$context.extendedRequestId\",\"ip\": \"$context.identity.sourceIp\", \
\"caller\":\"$context.identity.caller\", \"user\":\"$context.identity.user\", \
\"requestTime\":\"$context.requestTime\", \"httpMethod\":\"$context.httpMethod\", \
\"resourcePath\":\"$context.resourcePath\", \"status\":\"$context.status\", \
\"protocol\":\"$context.protocol\", \"responseLength\":\"$context.responseLength\" }";

/// REST XML example, verbatim.
pub const REST_XML: &str = "<request id=\"$context.requestId\"> \
<extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> \
<caller>$context.identity.caller</caller> <user>$context.identity.user</user> \
<requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> \
<resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> \
<protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>";

/// REST CSV example, verbatim.
pub const REST_CSV: &str = "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,\
$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,\
$context.responseLength,$context.requestId,$context.extendedRequestId";

/// HTTP CLF example, verbatim.
pub const HTTP_CLF: &str = "$context.identity.sourceIp - - [$context.requestTime] \"$context.httpMethod \
$context.routeKey $context.protocol\" $context.status $context.responseLength $context.requestId";

/// HTTP JSON example, verbatim.
pub const HTTP_JSON: &str = "{ \"requestId\":\"$context.requestId\", \"ip\": \"$context.identity.sourceIp\", \
\"requestTime\":\"$context.requestTime\", \"httpMethod\":\"$context.httpMethod\",\
\"routeKey\":\"$context.routeKey\", \"status\":\"$context.status\",\"protocol\":\"$context.protocol\", \
\"responseLength\":\"$context.responseLength\" }";

/// HTTP XML example, verbatim.
pub const HTTP_XML: &str = "<request id=\"$context.requestId\"> <ip>$context.identity.sourceIp</ip> \
<requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> \
<routeKey>$context.routeKey</routeKey> <status>$context.status</status> \
<protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>";

/// HTTP CSV example, verbatim.
pub const HTTP_CSV: &str = "$context.identity.sourceIp,$context.requestTime,$context.httpMethod,\
$context.routeKey,$context.protocol,$context.status,$context.responseLength,$context.requestId";

/// Moat's REST default: [`REST_JSON`] plus `responseLatency` (the latency `moatctl canary` compares) and
/// `isCanaryRequest` (which side of the split served the request), both quoted like the other fields.
pub const REST_DEFAULT: &str = "{ \"requestId\":\"$context.requestId\", \
\"extendedRequestId\":\"$context.extendedRequestId\",\"ip\": \"$context.identity.sourceIp\", \
\"caller\":\"$context.identity.caller\", \"user\":\"$context.identity.user\", \
\"requestTime\":\"$context.requestTime\", \"httpMethod\":\"$context.httpMethod\", \
\"resourcePath\":\"$context.resourcePath\", \"status\":\"$context.status\", \
\"protocol\":\"$context.protocol\", \"responseLength\":\"$context.responseLength\", \
\"responseLatency\":\"$context.responseLatency\", \"isCanaryRequest\":\"$context.isCanaryRequest\" }";

/// Moat's HTTP default: [`HTTP_JSON`] plus `responseLatency` and `isCanaryRequest`, as for REST.
pub const HTTP_DEFAULT: &str = "{ \"requestId\":\"$context.requestId\", \"ip\": \"$context.identity.sourceIp\", \
\"requestTime\":\"$context.requestTime\", \"httpMethod\":\"$context.httpMethod\",\
\"routeKey\":\"$context.routeKey\", \"status\":\"$context.status\",\"protocol\":\"$context.protocol\", \
\"responseLength\":\"$context.responseLength\", \"responseLatency\":\"$context.responseLatency\", \
\"isCanaryRequest\":\"$context.isCanaryRequest\" }";
