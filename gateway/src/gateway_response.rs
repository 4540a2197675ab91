//! Gateway responses: the answers API Gateway itself gives when a request never reaches, or fails at, its
//! integration (<https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html>).
//!
//! Each type has AWS's default status code and falls back to `DEFAULT_4XX` / `DEFAULT_5XX` customisations,
//! as on AWS. The default body is AWS's default template `{"message":$context.error.messageString}`.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};

/// A gateway response type, with its AWS name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum ResponseType {
    AccessDenied,
    ApiConfigurationError,
    AuthorizerConfigurationError,
    AuthorizerFailure,
    BadRequestParameters,
    BadRequestBody,
    Default4xx,
    Default5xx,
    ExpiredToken,
    IntegrationFailure,
    IntegrationTimeout,
    InvalidApiKey,
    InvalidSignature,
    MissingAuthenticationToken,
    QuotaExceeded,
    RequestTooLarge,
    ResourceNotFound,
    Throttled,
    Unauthorized,
    UnsupportedMediaType,
    WafFiltered,
    /// Moat: the client sent its request too slowly (`limits.body_read_timeout`).
    RequestTimeout,
    /// Moat: request line and headers over `limits.max_header_bytes`.
    RequestHeaderFieldsTooLarge,
}

impl ResponseType {
    /// Every type, in the order of AWS's table (Moat's own types last).
    pub const ALL: [ResponseType; 23] = [
        ResponseType::AccessDenied,
        ResponseType::ApiConfigurationError,
        ResponseType::AuthorizerConfigurationError,
        ResponseType::AuthorizerFailure,
        ResponseType::BadRequestParameters,
        ResponseType::BadRequestBody,
        ResponseType::Default4xx,
        ResponseType::Default5xx,
        ResponseType::ExpiredToken,
        ResponseType::IntegrationFailure,
        ResponseType::IntegrationTimeout,
        ResponseType::InvalidApiKey,
        ResponseType::InvalidSignature,
        ResponseType::MissingAuthenticationToken,
        ResponseType::QuotaExceeded,
        ResponseType::RequestTooLarge,
        ResponseType::ResourceNotFound,
        ResponseType::Throttled,
        ResponseType::Unauthorized,
        ResponseType::UnsupportedMediaType,
        ResponseType::WafFiltered,
        ResponseType::RequestTimeout,
        ResponseType::RequestHeaderFieldsTooLarge,
    ];

    /// The AWS name (`MISSING_AUTHENTICATION_TOKEN`), as `$context.error.responseType` shows it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ResponseType::AccessDenied => "ACCESS_DENIED",
            ResponseType::ApiConfigurationError => "API_CONFIGURATION_ERROR",
            ResponseType::AuthorizerConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR",
            ResponseType::AuthorizerFailure => "AUTHORIZER_FAILURE",
            ResponseType::BadRequestParameters => "BAD_REQUEST_PARAMETERS",
            ResponseType::BadRequestBody => "BAD_REQUEST_BODY",
            ResponseType::Default4xx => "DEFAULT_4XX",
            ResponseType::Default5xx => "DEFAULT_5XX",
            ResponseType::ExpiredToken => "EXPIRED_TOKEN",
            ResponseType::IntegrationFailure => "INTEGRATION_FAILURE",
            ResponseType::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            ResponseType::InvalidApiKey => "INVALID_API_KEY",
            ResponseType::InvalidSignature => "INVALID_SIGNATURE",
            ResponseType::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            ResponseType::QuotaExceeded => "QUOTA_EXCEEDED",
            ResponseType::RequestTooLarge => "REQUEST_TOO_LARGE",
            ResponseType::ResourceNotFound => "RESOURCE_NOT_FOUND",
            ResponseType::Throttled => "THROTTLED",
            ResponseType::Unauthorized => "UNAUTHORIZED",
            ResponseType::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ResponseType::WafFiltered => "WAF_FILTERED",
            ResponseType::RequestTimeout => "REQUEST_TIMEOUT",
            ResponseType::RequestHeaderFieldsTooLarge => "REQUEST_HEADER_FIELDS_TOO_LARGE",
        }
    }

    /// Looks a type up by its AWS name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<ResponseType> {
        ResponseType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The default status code. INTEGRATION_FAILURE is 502 in Moat (a refused or reset upstream connection
    /// is a bad gateway); AWS documents 504 for it.
    #[must_use]
    pub fn default_status(self) -> StatusCode {
        let code = match self {
            ResponseType::AccessDenied
            | ResponseType::ExpiredToken
            | ResponseType::InvalidApiKey
            | ResponseType::InvalidSignature
            | ResponseType::MissingAuthenticationToken
            | ResponseType::WafFiltered => 403,
            ResponseType::ApiConfigurationError
            | ResponseType::AuthorizerConfigurationError
            | ResponseType::AuthorizerFailure
            | ResponseType::Default5xx => 500,
            ResponseType::BadRequestParameters | ResponseType::BadRequestBody | ResponseType::Default4xx => 400,
            ResponseType::IntegrationFailure => 502,
            ResponseType::IntegrationTimeout => 504,
            ResponseType::QuotaExceeded | ResponseType::Throttled => 429,
            ResponseType::RequestTooLarge => 413,
            ResponseType::ResourceNotFound => 404,
            ResponseType::Unauthorized => 401,
            ResponseType::UnsupportedMediaType => 415,
            ResponseType::RequestTimeout => 408,
            ResponseType::RequestHeaderFieldsTooLarge => 431,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The default `$context.error.message` of this type.
    #[must_use]
    pub fn default_message(self) -> &'static str {
        match self {
            ResponseType::AccessDenied | ResponseType::WafFiltered => "Forbidden",
            ResponseType::MissingAuthenticationToken => "Missing Authentication Token",
            ResponseType::IntegrationTimeout => "Endpoint request timed out",
            ResponseType::IntegrationFailure => "Bad Gateway",
            ResponseType::RequestTooLarge => "Request Too Long",
            ResponseType::ResourceNotFound => "Not Found",
            ResponseType::Throttled => "Too Many Requests",
            ResponseType::QuotaExceeded => "Limit Exceeded",
            ResponseType::Unauthorized => "Unauthorized",
            ResponseType::UnsupportedMediaType => "Unsupported Media Type",
            ResponseType::RequestTimeout => "Request Timeout",
            ResponseType::RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
            ResponseType::BadRequestBody | ResponseType::BadRequestParameters | ResponseType::Default4xx => {
                "Bad Request"
            }
            ResponseType::ExpiredToken => "The security token included in the request is expired",
            ResponseType::InvalidApiKey => "Forbidden",
            ResponseType::InvalidSignature => {
                "The request signature we calculated does not match the signature you provided"
            }
            ResponseType::ApiConfigurationError
            | ResponseType::AuthorizerConfigurationError
            | ResponseType::AuthorizerFailure
            | ResponseType::Default5xx => "Internal server error",
        }
    }

    /// The `DEFAULT_4XX` or `DEFAULT_5XX` type this one falls back to.
    #[must_use]
    pub fn family(self) -> ResponseType {
        if self.default_status().is_server_error() {
            ResponseType::Default5xx
        } else {
            ResponseType::Default4xx
        }
    }
}

/// One customised gateway response (AWS `PutGatewayResponse`): status, headers and body template.
#[derive(Debug, Clone, Default)]
pub struct Customisation {
    /// Replacement status code.
    pub status: Option<StatusCode>,
    /// Extra headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body template.
    pub body: Option<String>,
}

/// The gateway responses of one API: AWS defaults plus the API's customisations.
#[derive(Debug, Clone, Default)]
pub struct GatewayResponses {
    custom: BTreeMap<ResponseType, Customisation>,
}

/// A gateway response ready to send.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Status code.
    pub status: StatusCode,
    /// Headers besides the ones every response carries.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body.
    pub body: Bytes,
}

const DEFAULT_TEMPLATE: &str = "{\"message\":$context.error.messageString}";

impl GatewayResponses {
    /// Responses with customisations.
    #[must_use]
    pub fn new(custom: BTreeMap<ResponseType, Customisation>) -> Self {
        GatewayResponses { custom }
    }

    /// Renders the response of `kind` for the request `request_id`, with `message` as
    /// `$context.error.message`. Lookup order as on AWS: the type itself, then its `DEFAULT_4XX`/`DEFAULT_5XX`.
    #[must_use]
    pub fn render(&self, kind: ResponseType, message: &str, request_id: &str) -> Rendered {
        let own = self.custom.get(&kind);
        let family = self.custom.get(&kind.family());
        let status = own
            .and_then(|c| c.status)
            .or_else(|| family.and_then(|c| c.status))
            .unwrap_or_else(|| kind.default_status());
        let mut headers = Vec::new();
        for custom in [family, own].into_iter().flatten() {
            headers.extend(custom.headers.iter().cloned());
        }
        let template = own
            .and_then(|c| c.body.as_deref())
            .or_else(|| family.and_then(|c| c.body.as_deref()))
            .unwrap_or(DEFAULT_TEMPLATE);
        let body = render_template(template, kind, message, request_id);
        Rendered {
            status,
            headers,
            body: Bytes::from(body),
        }
    }
}

/// Substitutes the `$context` variables a gateway-response template may use.
fn render_template(template: &str, kind: ResponseType, message: &str, request_id: &str) -> String {
    const VARS: [&str; 4] = [
        "$context.error.messageString",
        "$context.error.message",
        "$context.error.responseType",
        "$context.requestId",
    ];
    let mut out = String::with_capacity(template.len() + message.len() + 16);
    let mut rest = template;
    while let Some(at) = rest.find("$context.") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match VARS.iter().find(|v| tail.starts_with(**v)) {
            Some(var) => {
                match *var {
                    "$context.error.messageString" => {
                        out.push_str(&serde_json::Value::from(message).to_string());
                    }
                    "$context.error.message" => out.push_str(message),
                    "$context.error.responseType" => out.push_str(kind.name()),
                    _ => out.push_str(request_id),
                }
                rest = &tail[var.len()..];
            }
            None => {
                out.push_str("$context.");
                rest = &tail["$context.".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_aws() {
        let responses = GatewayResponses::default();
        let r = responses.render(
            ResponseType::MissingAuthenticationToken,
            "Missing Authentication Token",
            "id",
        );
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(&r.body[..], br#"{"message":"Missing Authentication Token"}"#);
        let r = responses.render(ResponseType::ResourceNotFound, "Not Found", "id");
        assert_eq!(
            (r.status.as_u16(), &r.body[..]),
            (404, &br#"{"message":"Not Found"}"#[..])
        );
        assert_eq!(ResponseType::IntegrationTimeout.default_status().as_u16(), 504);
    }

    #[test]
    fn customisation_falls_back_to_family() {
        let mut custom = BTreeMap::new();
        custom.insert(
            ResponseType::Default4xx,
            Customisation {
                status: None,
                headers: vec![(HeaderName::from_static("x-a"), HeaderValue::from_static("1"))],
                body: Some("{\"e\":$context.error.messageString,\"t\":\"$context.error.responseType\",\"id\":\"$context.requestId\"}".into()),
            },
        );
        let responses = GatewayResponses::new(custom);
        let r = responses.render(ResponseType::MissingAuthenticationToken, "a \"q\"", "rid");
        assert_eq!(r.status.as_u16(), 403);
        assert_eq!(r.headers.len(), 1);
        assert_eq!(
            std::str::from_utf8(&r.body).expect("utf8"),
            r#"{"e":"a \"q\"","t":"MISSING_AUTHENTICATION_TOKEN","id":"rid"}"#
        );
    }

    #[test]
    fn names_round_trip() {
        for kind in ResponseType::ALL {
            assert_eq!(ResponseType::from_name(kind.name()), Some(kind));
        }
    }
}
