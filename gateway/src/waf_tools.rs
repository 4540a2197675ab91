//! Operator tools over a WebACL without serving: `moat waf eval` explains the decision for one raw HTTP
//! request, and `moat waf test` runs a suite of requests with expected outcomes, so users can regression-test
//! their exclusions and overrides before deploying them.
//!
//! Both load the WebACL exactly as a stage does (Moat's managed rule groups registered, plus the IP sets,
//! regex pattern sets and rule groups given on the command line) and evaluate with the same engine.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use moat_waf::{Decision, Header, HttpRequest, Resources, WebAcl};
use serde::Deserialize;

/// Why a tool could not run.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The WebACL or a resource did not load.
    #[error("{path}: {message}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the JSON path.
        message: String,
    },
    /// The raw HTTP request is malformed.
    #[error("{0}")]
    Request(String),
    /// The cases file is malformed.
    #[error("{path}: {message}")]
    Cases {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Files a WebACL may reference.
#[derive(Debug, Default, Clone)]
pub struct ResourceFiles {
    /// IP sets (`aws wafv2 get-ip-set` output).
    pub ip_sets: Vec<PathBuf>,
    /// Regex pattern sets.
    pub regex_pattern_sets: Vec<PathBuf>,
    /// Rule groups.
    pub rule_groups: Vec<PathBuf>,
}

fn read(path: &Path) -> Result<String, ToolError> {
    std::fs::read_to_string(path).map_err(|source| ToolError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads the WebACL at `acl` with the resources in `files` and Moat's managed rule groups.
///
/// # Errors
/// A file that cannot be read or does not load, naming it and the JSON path of the problem.
pub fn load_acl(acl: &Path, files: &ResourceFiles) -> Result<WebAcl, ToolError> {
    let mut resources = Resources::new("000000000000", "us-east-1");
    type Add = fn(&mut Resources, &str) -> Result<(), moat_waf::LoadError>;
    let lists: [(&[PathBuf], Add); 3] = [
        (&files.ip_sets, Resources::add_ip_set),
        (&files.regex_pattern_sets, Resources::add_regex_pattern_set),
        (&files.rule_groups, Resources::add_rule_group),
    ];
    for (paths, add) in lists {
        for path in paths {
            add(&mut resources, &read(path)?).map_err(|e| ToolError::Load {
                path: path.clone(),
                message: e.to_string(),
            })?;
        }
    }
    moat_waf::managed::register_builtin(&mut resources).map_err(|e| ToolError::Load {
        path: PathBuf::from("(Moat's managed rule groups)"),
        message: e.to_string(),
    })?;
    WebAcl::load(&read(acl)?, &resources).map_err(|e| ToolError::Load {
        path: acl.to_path_buf(),
        message: e.to_string(),
    })
}

/// A request held as owned parts, viewable as the engine's [`HttpRequest`].
#[derive(Debug, Clone, Default)]
pub struct OwnedRequest {
    /// Client address.
    pub client_ip: Option<IpAddr>,
    /// Method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// `HTTP/1.1`...
    pub version: String,
    /// Headers in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body.
    pub body: Vec<u8>,
}

impl OwnedRequest {
    /// Parses a raw HTTP/1.x request: request line, headers, blank line, body (all of the rest).
    ///
    /// # Errors
    /// When the request line or a header is malformed.
    pub fn parse_raw(raw: &[u8]) -> Result<OwnedRequest, ToolError> {
        // Accept heads written with bare LF line endings as well as CRLF (the body is kept as written).
        let normalised: Vec<u8>;
        let raw = match (find(raw, b"\r\n\r\n"), find(raw, b"\n\n")) {
            (None, Some(end)) => {
                normalised = raw[..end + 2]
                    .iter()
                    .flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] })
                    .chain(raw[end + 2..].iter().copied())
                    .collect();
                &normalised
            }
            _ => raw,
        };
        let mut fields = [httparse::EMPTY_HEADER; 256];
        let mut request = httparse::Request::new(&mut fields);
        let head_len = match request.parse(raw) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                return Err(ToolError::Request(
                    "the request head is incomplete: end it with an empty line".to_owned(),
                ))
            }
            Err(e) => return Err(ToolError::Request(format!("malformed request: {e}"))),
        };
        let target = request.path.unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Ok(OwnedRequest {
            client_ip: None,
            method: request.method.unwrap_or("GET").to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            version: if request.version == Some(0) {
                "HTTP/1.0"
            } else {
                "HTTP/1.1"
            }
            .to_owned(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
            body: raw[head_len..].to_vec(),
        })
    }

    /// Evaluates this request with `acl` and hands the decision to `f`.
    pub fn evaluate<T>(&self, acl: &WebAcl, f: impl FnOnce(&Decision<'_>) -> T) -> T {
        let headers: Vec<Header<'_>> = self
            .headers
            .iter()
            .map(|(name, value)| Header { name, value })
            .collect();
        let inspected = &self.body[..self.body.len().min(acl.body_inspection_limit())];
        let request = HttpRequest {
            client_ip: self.client_ip.unwrap_or(IpAddr::from([192, 0, 2, 1])),
            method: &self.method,
            uri_path: &self.path,
            query_string: &self.query,
            http_version: if self.version.is_empty() {
                "HTTP/1.1"
            } else {
                &self.version
            },
            headers: &headers,
            body: inspected,
            body_size: self.body.len() as u64,
            now_ms: 0,
        };
        let mut scratch = acl.scratch();
        let decision = acl.evaluate(&request, &mut scratch);
        f(&decision)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A human-readable explanation of a decision: action, terminating rule, every matching rule with its
/// group and match details, and the labels.
#[must_use]
pub fn explain(decision: &Decision<'_>) -> String {
    let mut out = String::new();
    let action = decision.action();
    let status = decision
        .custom_response()
        .map(|c| c.status)
        .or_else(|| action.response_status())
        .map_or_else(|| "forwarded".to_owned(), |s| format!("HTTP {s}"));
    let _ = writeln!(out, "action: {} ({status})", action.as_str());
    match decision.terminating_rule() {
        None => {
            let _ = writeln!(out, "terminating rule: Default_Action");
        }
        Some(rule) => {
            let inner = rule.group_rule_id.map(|r| format!(" > {r}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "terminating rule: {}{inner} ({})",
                rule.rule_id,
                rule.rule_type.as_str()
            );
            for detail in rule.match_details() {
                let data: Vec<String> = detail
                    .matched_data()
                    .map(|d| String::from_utf8_lossy(d).into_owned())
                    .collect();
                let _ = writeln!(
                    out,
                    "  {} in {}: {}",
                    detail.condition_type,
                    detail.location,
                    data.join(" ")
                );
            }
        }
    }
    for group in decision.rule_group_list() {
        let _ = writeln!(out, "rule group {} ({}):", group.rule_group_id, group.rule_id);
        for m in group
            .terminating_rule()
            .into_iter()
            .chain(group.non_terminating_matching_rules())
        {
            let overridden = m
                .overridden_action
                .map(|a| format!(" (rule's own action {})", a.as_str()))
                .unwrap_or_default();
            let _ = writeln!(out, "  matched {}: {}{overridden}", m.rule_id, m.action.as_str());
        }
        for m in group.excluded_rules() {
            let _ = writeln!(out, "  excluded {} (counted)", m.rule_id);
        }
    }
    for m in decision.non_terminating_matching_rules() {
        let _ = writeln!(out, "matched (not terminating) {}: {}", m.rule_id, m.action.as_str());
    }
    for (name, value) in decision.insert_headers() {
        let _ = writeln!(out, "inserts header {name}: {value}");
    }
    let labels: Vec<&str> = decision.labels().collect();
    if labels.is_empty() {
        let _ = writeln!(out, "labels: none");
    } else {
        let _ = writeln!(out, "labels:");
        for label in labels {
            let _ = writeln!(out, "  {label}");
        }
    }
    out
}

/// A `moat waf test` cases file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cases {
    /// The cases, run in order.
    pub cases: Vec<Case>,
}

/// One request and what the WebACL must decide.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Shown in the report.
    pub name: String,
    /// Method (default GET).
    #[serde(default)]
    pub method: Option<String>,
    /// Raw path (default `/`).
    #[serde(default)]
    pub path: Option<String>,
    /// Raw query string.
    #[serde(default)]
    pub query: String,
    /// Headers as `[name, value]` pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Body.
    #[serde(default)]
    pub body: String,
    /// Client address (default 192.0.2.1).
    #[serde(default)]
    pub client_ip: Option<IpAddr>,
    /// What must happen.
    pub expect: Expect,
}

/// Expected outcome; fields left out are not checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `ALLOW`, `BLOCK`, `CAPTCHA` or `CHALLENGE`.
    pub action: Option<String>,
    /// The terminating rule (`Default_Action` for none); for a group, the group's rule name or the rule
    /// inside it.
    pub terminating_rule: Option<String>,
    /// Rules that must have matched (terminating or not, in groups or not).
    #[serde(default)]
    pub matched: Vec<String>,
    /// Rules that must not have matched.
    #[serde(default)]
    pub not_matched: Vec<String>,
    /// Labels the request must carry (fully qualified, or a suffix after `:`).
    #[serde(default)]
    pub labels: Vec<String>,
}

impl Case {
    fn request(&self) -> OwnedRequest {
        OwnedRequest {
            client_ip: self.client_ip,
            method: self.method.clone().unwrap_or_else(|| "GET".to_owned()),
            path: self.path.clone().unwrap_or_else(|| "/".to_owned()),
            query: self.query.clone(),
            version: "HTTP/1.1".to_owned(),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
                .collect(),
            body: self.body.as_bytes().to_vec(),
        }
    }

    /// The problems with `decision` against this case's expectations (empty: the case passes).
    #[must_use]
    pub fn check(&self, decision: &Decision<'_>) -> Vec<String> {
        let mut problems = Vec::new();
        let expect = &self.expect;
        if let Some(action) = &expect.action {
            if !decision.action().as_str().eq_ignore_ascii_case(action) {
                problems.push(format!("action {} (expected {action})", decision.action().as_str()));
            }
        }
        let terminating = decision.terminating_rule();
        if let Some(want) = &expect.terminating_rule {
            let names = [
                Some(decision.terminating_rule_id()),
                terminating.as_ref().and_then(|t| t.group_rule_id),
            ];
            if !names.iter().flatten().any(|n| n == want) {
                problems.push(format!(
                    "terminating rule {}{} (expected {want})",
                    decision.terminating_rule_id(),
                    terminating
                        .as_ref()
                        .and_then(|t| t.group_rule_id)
                        .map(|r| format!(" > {r}"))
                        .unwrap_or_default()
                ));
            }
        }
        let mut matched: Vec<&str> = Vec::new();
        if let Some(t) = &terminating {
            matched.push(t.rule_id);
            matched.extend(t.group_rule_id);
        }
        for group in decision.rule_group_list() {
            matched.extend(group.terminating_rule().map(|m| m.rule_id));
            matched.extend(group.non_terminating_matching_rules().map(|m| m.rule_id));
        }
        matched.extend(decision.non_terminating_matching_rules().map(|m| m.rule_id));
        for want in &expect.matched {
            if !matched.contains(&want.as_str()) {
                problems.push(format!("rule {want} did not match (matched: {})", list(&matched)));
            }
        }
        for unwanted in &expect.not_matched {
            if matched.contains(&unwanted.as_str()) {
                problems.push(format!("rule {unwanted} matched"));
            }
        }
        let labels: Vec<&str> = decision.labels().collect();
        for want in &expect.labels {
            let found = labels.iter().any(|l| l == want || l.ends_with(&format!(":{want}")));
            if !found {
                problems.push(format!("label {want} missing (labels: {})", list(&labels)));
            }
        }
        problems
    }
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// Runs every case of `cases_file` against `acl`; returns the report and whether all passed.
///
/// # Errors
/// When the cases file cannot be read or parsed.
pub fn run_cases(acl: &WebAcl, cases_file: &Path) -> Result<(String, bool), ToolError> {
    let text = read(cases_file)?;
    let cases: Cases = serde_yaml::from_str(&text).map_err(|e| ToolError::Cases {
        path: cases_file.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut report = String::new();
    let mut failed = 0;
    for case in &cases.cases {
        let problems = case.request().evaluate(acl, |decision| case.check(decision));
        if problems.is_empty() {
            let _ = writeln!(report, "pass  {}", case.name);
        } else {
            failed += 1;
            let _ = writeln!(report, "FAIL  {}", case.name);
            for problem in problems {
                let _ = writeln!(report, "      {problem}");
            }
        }
    }
    let _ = writeln!(
        report,
        "{} case(s): {} passed, {failed} failed",
        cases.cases.len(),
        cases.cases.len() - failed
    );
    Ok((report, failed == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_requests_with_lf_or_crlf_and_keeps_the_body() {
        let raw = b"POST /orders?x=1 HTTP/1.1\nHost: api.example.com\nContent-Type: application/json\n\n{\"a\":\n1}";
        let req = OwnedRequest::parse_raw(raw).expect("parse");
        assert_eq!(
            (req.method.as_str(), req.path.as_str(), req.query.as_str()),
            ("POST", "/orders", "x=1")
        );
        assert_eq!(req.headers.len(), 2);
        assert_eq!(req.body, b"{\"a\":\n1}", "the body keeps its own line endings");
        assert!(
            OwnedRequest::parse_raw(b"GET / HTTP/1.1\r\nHost: x\r\n").is_err(),
            "no blank line"
        );
        assert!(OwnedRequest::parse_raw(b"NOT A REQUEST\r\n\r\n").is_err());
    }
}
