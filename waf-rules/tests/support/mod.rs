//! Shared test support: the case-file format of `tests/cases/*.yaml` and owned requests.

#![allow(dead_code)]

pub mod mmdb;

use std::net::IpAddr;

use moat_waf::{Header, HttpRequest, LoadError, Resources, WebAcl};
use serde::Deserialize;

/// A request described in a case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Req {
    #[serde(default = "default_ip")]
    pub ip: String,
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Extra headers `name: value` repeated `count` times (for oversize tests).
    #[serde(default)]
    pub repeat_header: Option<(String, String, usize)>,
    #[serde(default)]
    pub body: String,
    /// The body repeated this many times.
    #[serde(default)]
    pub body_repeat: Option<usize>,
    #[serde(default)]
    pub body_size: Option<u64>,
    #[serde(default)]
    pub now_ms: u64,
    #[serde(default)]
    pub expect: Option<Expect>,
}

fn default_ip() -> String {
    "192.0.2.10".into()
}
fn default_method() -> String {
    "GET".into()
}
fn default_path() -> String {
    "/".into()
}

/// A request as an empty case-file entry describes it (the serde defaults).
impl Default for Req {
    fn default() -> Self {
        Req {
            ip: default_ip(),
            method: default_method(),
            path: default_path(),
            query: String::new(),
            headers: Vec::new(),
            repeat_header: None,
            body: String::new(),
            body_repeat: None,
            body_size: None,
            now_ms: 0,
            expect: None,
        }
    }
}

/// What a case expects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub action: String,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub group_rule: Option<String>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default)]
    pub non_terminating: Option<Vec<String>>,
    #[serde(default)]
    pub status: Option<u16>,
}

/// Resources of a case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseResources {
    #[serde(default)]
    pub ip_sets: Vec<serde_json::Value>,
    #[serde(default)]
    pub regex_pattern_sets: Vec<serde_json::Value>,
    #[serde(default)]
    pub rule_groups: Vec<serde_json::Value>,
    #[serde(default)]
    pub managed: Vec<Managed>,
}

/// A managed rule group of a case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Managed {
    pub vendor: String,
    pub group: serde_json::Value,
}

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// The AWS documentation page the case follows, if any.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub default: Option<String>,
    /// Extra top-level WebACL fields.
    #[serde(default)]
    pub acl: serde_json::Map<String, serde_json::Value>,
    pub rules: Vec<serde_json::Value>,
    #[serde(default)]
    pub resources: CaseResources,
    #[serde(default)]
    pub load_error: Option<String>,
    #[serde(default)]
    pub requests: Vec<Req>,
}

impl Case {
    pub fn acl_json(&self) -> String {
        let mut acl = serde_json::Map::new();
        acl.insert("Name".into(), "test-acl".into());
        let default = match self.default.as_deref() {
            Some("BLOCK") => serde_json::json!({"Block": {}}),
            _ => serde_json::json!({"Allow": {}}),
        };
        acl.insert("DefaultAction".into(), default);
        acl.insert("Rules".into(), self.rules.clone().into());
        for (k, v) in &self.acl {
            acl.insert(k.clone(), v.clone());
        }
        serde_json::Value::Object(acl).to_string()
    }

    pub fn resources(&self) -> Resources {
        let mut res = Resources::new("111122223333", "us-east-1");
        for s in &self.resources.ip_sets {
            res.add_ip_set(&s.to_string()).expect("ip set");
        }
        for s in &self.resources.regex_pattern_sets {
            res.add_regex_pattern_set(&s.to_string()).expect("regex pattern set");
        }
        for g in &self.resources.rule_groups {
            res.add_rule_group(&g.to_string()).expect("rule group");
        }
        for m in &self.resources.managed {
            res.add_managed_rule_group(&m.vendor, &m.group.to_string())
                .expect("managed group");
        }
        res
    }

    pub fn load(&self) -> Result<(WebAcl, Resources), LoadError> {
        let res = self.resources();
        WebAcl::load(&self.acl_json(), &res).map(|acl| (acl, res))
    }
}

/// Owned request data from which an [`HttpRequest`] is borrowed.
pub struct Owned {
    pub ip: IpAddr,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub body_size: u64,
    pub now_ms: u64,
}

impl Owned {
    pub fn from_req(r: &Req) -> Self {
        let mut headers: Vec<(String, Vec<u8>)> = r
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
            .collect();
        if let Some((n, v, count)) = &r.repeat_header {
            for _ in 0..*count {
                headers.push((n.clone(), v.clone().into_bytes()));
            }
        }
        let body = r.body.repeat(r.body_repeat.unwrap_or(1)).into_bytes();
        Self {
            ip: r.ip.parse().expect("ip"),
            method: r.method.clone(),
            path: r.path.clone(),
            query: r.query.clone(),
            body_size: r.body_size.unwrap_or(body.len() as u64),
            headers,
            body,
            now_ms: r.now_ms,
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&HttpRequest<'_>) -> T) -> T {
        let headers: Vec<Header<'_>> = self.headers.iter().map(|(n, v)| Header { name: n, value: v }).collect();
        let req = HttpRequest {
            client_ip: self.ip,
            method: &self.method,
            uri_path: &self.path,
            query_string: &self.query,
            http_version: "HTTP/1.1",
            headers: &headers,
            body: &self.body,
            body_size: self.body_size,
            now_ms: self.now_ms,
        };
        f(&req)
    }
}
