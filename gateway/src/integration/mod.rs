//! Integrations: what serves a route. [`HttpProxy`] forwards to an HTTP endpoint (streaming, pooled);
//! [`Mock`] answers with a fixed response.

pub mod deadline;
pub mod h1;
pub mod upstream;

use std::time::Duration;

use bytes::Bytes;
use http::uri::Authority;
use http::{HeaderMap, StatusCode};

/// A route's integration, with stage variables already applied.
#[derive(Debug)]
pub enum Integration {
    /// `http_proxy`.
    HttpProxy(HttpProxy),
    /// `mock`.
    Mock(Mock),
}

/// A fixed response.
#[derive(Debug)]
pub struct Mock {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// An HTTP proxy integration.
#[derive(Debug)]
pub struct HttpProxy {
    /// `host:port` of the endpoint.
    pub authority: Authority,
    /// The endpoint's index in the worker's connection pool.
    pub endpoint: usize,
    /// `authority` as the `Host` header sent to the endpoint (built once, cloned per request).
    pub host_header: http::HeaderValue,
    /// The path and query of the endpoint URI, with path-parameter slots.
    pub path: Vec<UriPart>,
    /// The URI as configured after stage-variable substitution (for execution logs).
    pub uri_text: String,
    /// Integration timeout.
    pub timeout: Duration,
}

/// A piece of an integration URI's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriPart {
    /// Literal text.
    Literal(String),
    /// The value of the route's path parameter with this index.
    Param(usize),
}

/// Why an integration URI is invalid.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UriError {
    /// Not `http://host[:port]/path`.
    #[error("`{0}` is not an http:// URI with a host (e.g. http://127.0.0.1:8080/items/{{id}}); https endpoints are not supported yet")]
    Shape(String),
    /// Uses a path parameter the route does not have.
    #[error("`{{{0}}}` is not a path parameter of this route (route parameters: {1})")]
    UnknownParam(String, String),
    /// Unclosed brace.
    #[error("unclosed `{{` in `{0}`")]
    Unclosed(String),
}

impl HttpProxy {
    /// Compiles `uri` (stage variables already substituted) for a route with `params`.
    ///
    /// # Errors
    /// A [`UriError`] naming the problem.
    pub fn compile(uri: &str, params: &[String], timeout: Duration) -> Result<HttpProxy, UriError> {
        let rest = uri
            .strip_prefix("http://")
            .ok_or_else(|| UriError::Shape(uri.to_owned()))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => match rest.find('?') {
                Some(q) => (&rest[..q], &rest[q..]),
                None => (rest, "/"),
            },
        };
        if authority.is_empty() || authority.contains('{') || authority.contains('@') {
            return Err(UriError::Shape(uri.to_owned()));
        }
        let authority: Authority = authority.parse().map_err(|_| UriError::Shape(uri.to_owned()))?;
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = path.as_str();
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| UriError::Unclosed(uri.to_owned()))?
                + open;
            let name = rest[open + 1..close].trim_end_matches('+');
            let index = params.iter().position(|p| p == name).ok_or_else(|| {
                UriError::UnknownParam(
                    name.to_owned(),
                    if params.is_empty() {
                        "none".to_owned()
                    } else {
                        params.join(", ")
                    },
                )
            })?;
            if !literal.is_empty() {
                parts.push(UriPart::Literal(std::mem::take(&mut literal)));
            }
            parts.push(UriPart::Param(index));
            rest = &rest[close + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(UriPart::Literal(literal));
        }
        let host_header =
            http::HeaderValue::from_str(authority.as_str()).map_err(|_| UriError::Shape(uri.to_owned()))?;
        Ok(HttpProxy {
            endpoint: upstream::endpoint_id(&authority),
            host_header,
            authority,
            path: parts,
            uri_text: uri.to_owned(),
            timeout,
        })
    }

    /// Writes the endpoint's path and query for one request into `out`: parameters substituted, and the
    /// client's query string appended (after `&` when the endpoint URI has its own query).
    pub fn write_path_and_query<'p>(&self, param: impl Fn(usize) -> &'p str, query: Option<&str>, out: &mut String) {
        for part in &self.path {
            match part {
                UriPart::Literal(text) => out.push_str(text),
                UriPart::Param(index) => out.push_str(param(*index)),
            }
        }
        if let Some(query) = query.filter(|q| !q.is_empty()) {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(query);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn substitutes_params_and_appends_query() {
        let proxy = HttpProxy::compile("http://127.0.0.1:9/p/{id}/x", &names(&["id"]), Duration::from_secs(1))
            .expect("compile");
        let mut out = String::new();
        proxy.write_path_and_query(|_| "42", Some("a=1"), &mut out);
        assert_eq!(out, "/p/42/x?a=1");
        let proxy =
            HttpProxy::compile("http://h/{proxy}?k=v", &names(&["proxy"]), Duration::from_secs(1)).expect("compile");
        let mut out = String::new();
        proxy.write_path_and_query(|_| "a/b", Some("c=d"), &mut out);
        assert_eq!(out, "/a/b?k=v&c=d");
        let proxy = HttpProxy::compile("http://h:81", &[], Duration::from_secs(1)).expect("compile");
        let mut out = String::new();
        proxy.write_path_and_query(|_| "", None, &mut out);
        assert_eq!(out, "/");
    }

    #[test]
    fn rejects_bad_uris() {
        assert!(matches!(
            HttpProxy::compile("ftp://x/", &[], Duration::ZERO),
            Err(UriError::Shape(_))
        ));
        assert!(matches!(
            HttpProxy::compile("http:///x", &[], Duration::ZERO),
            Err(UriError::Shape(_))
        ));
        assert!(matches!(
            HttpProxy::compile("http://h/{nope}", &names(&["id"]), Duration::ZERO),
            Err(UriError::UnknownParam(..))
        ));
        assert!(matches!(
            HttpProxy::compile("http://h/{x", &[], Duration::ZERO),
            Err(UriError::Unclosed(_))
        ));
    }
}
