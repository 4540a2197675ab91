//! Semantic checks and the build of the runtime objects. Problems are collected as `(field path, message)`
//! pairs so that one run reports all of them; [`super::load_str`] adds file and line.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use moat_formats::record::ApiType;
use rustc_hash::FxHashMap;

use super::locate::push_key;
use super::raw::{RawApi, RawConfig, RawIntegration, RawRoute, RawStage};
use super::{parse_duration, LoadOptions};
use crate::gateway_response::{Customisation, GatewayResponses, ResponseType};
use crate::integration::{HttpProxy, Integration, Mock};
use crate::logging::{self, SinkRegistry};
use crate::routing::{RouteKey, RouteTable};
use crate::runtime::{Api, Canary, Cidr, Domain, Gateway, Limits, ListenerSpec, Mapping, Route, Stage, StageVariant};
use crate::tls;

use super::waf::WafLoader;

/// Problems found so far: field path and message.
#[derive(Debug, Default)]
pub struct Problems(Vec<(String, String)>);

impl Problems {
    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push((path.into(), message.into()));
    }
}

/// Integration timeout when none is configured (API Gateway's default, 29 s).
pub const DEFAULT_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);

/// `base.key`, with `key` quoted when it is not a plain identifier.
pub(crate) fn field(base: &str, key: &str) -> String {
    let mut path = base.to_owned();
    push_key(&mut path, key);
    path
}

/// Checks `raw` and builds the gateway. Relative paths resolve against `base_dir`.
///
/// # Errors
/// Every problem found, as `(field path, message)`.
pub fn compile(raw: &RawConfig, base_dir: &Path, options: LoadOptions) -> Result<Gateway, Vec<(String, String)>> {
    let mut problems = Problems::default();
    let listeners = listeners(raw, &mut problems);
    let limits = limits(raw, &mut problems);
    let threads = options
        .threads
        .or(raw.server.threads)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    if threads == 0 || threads > 1024 {
        problems.push("server.threads", "must be 1 to 1024");
    }
    let grace_period = duration_or(
        &raw.server.grace_period,
        "server.grace_period",
        Duration::from_secs(30),
        &mut problems,
    );
    let mut trusted_proxies = Vec::new();
    for (i, text) in raw.server.trusted_proxies.iter().enumerate() {
        match Cidr::parse(text) {
            Ok(cidr) => trusted_proxies.push(cidr),
            Err(message) => problems.push(format!("server.trusted_proxies[{i}]"), message),
        }
    }
    let account_id = raw
        .server
        .account_id
        .clone()
        .unwrap_or_else(|| "000000000000".to_owned());
    if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
        problems.push("server.account_id", "must be 12 digits, as an AWS account id");
    }
    let region = raw.server.region.clone().unwrap_or_else(|| "us-east-1".to_owned());

    let before = problems.0.len();
    let telemetry =
        super::telemetry::telemetry_settings(&raw.telemetry, base_dir, (&region, &account_id), &mut problems);
    let telemetry = (problems.0.len() == before).then_some(telemetry);
    let mut sinks = SinkRegistry::new(base_dir, options.open_sinks, telemetry);
    if let Err(message) = sinks.start_telemetry_if_configured() {
        problems.push("telemetry", message);
    }
    let mut wafs = WafLoader::new(base_dir, &account_id, &region);
    let mut apis: Vec<Arc<Api>> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (i, raw_api) in raw.apis.iter().enumerate() {
        let path = format!("apis[{i}]");
        if apis.iter().any(|a| &*a.name == raw_api.name.as_str()) {
            problems.push(
                field(&path, "name"),
                format!("another API is already named `{}`", raw_api.name),
            );
        }
        let mut shared = Shared {
            sinks: &mut sinks,
            wafs: &mut wafs,
            region: &region,
        };
        if let Some(api) = api(raw_api, &path, &account_id, &mut shared, &mut problems) {
            if let Some(other) = ids.insert(api.id.to_string(), i) {
                problems.push(
                    field(&path, "id"),
                    format!("apis[{other}] has the same id `{}`", api.id),
                );
            }
            apis.push(Arc::new(api));
        }
    }
    if raw.apis.is_empty() {
        problems.push("apis", "no API is defined: add at least one under `apis:`");
    }

    let domains = domains(raw, &apis, &mut problems);
    let tls = if listeners.iter().any(|l| l.tls) {
        tls::server_config(raw, base_dir, &mut problems).map(Arc::new)
    } else {
        None
    };

    if problems.0.is_empty() {
        Ok(Gateway {
            listeners,
            threads,
            grace_period,
            trusted_proxies,
            account_id: account_id.into(),
            region: region.into(),
            limits,
            domains,
            apis,
            tls,
            telemetry: sinks.hub(),
        })
    } else {
        Err(problems.0)
    }
}

pub(super) fn duration_or(value: &Option<String>, path: &str, default: Duration, problems: &mut Problems) -> Duration {
    match value.as_deref().map(parse_duration) {
        None => default,
        Some(Ok(d)) if !d.is_zero() => d,
        Some(Ok(_)) => {
            problems.push(path, "must be longer than zero");
            default
        }
        Some(Err(message)) => {
            problems.push(path, message);
            default
        }
    }
}

fn listeners(raw: &RawConfig, problems: &mut Problems) -> Vec<ListenerSpec> {
    let mut out = Vec::new();
    let parse = |text: &str, path: &str, problems: &mut Problems| -> Option<SocketAddr> {
        match text.parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                problems.push(
                    path,
                    format!("`{text}` is not IP:port, e.g. 127.0.0.1:8080 or [::1]:8443"),
                );
                None
            }
        }
    };
    if let Some(listen) = &raw.listen {
        if let Some(address) = parse(listen, "listen", problems) {
            out.push(ListenerSpec { address, tls: false });
        }
    }
    for (i, listener) in raw.listeners.iter().enumerate() {
        if let Some(address) = parse(&listener.address, &format!("listeners[{i}].address"), problems) {
            out.push(ListenerSpec {
                address,
                tls: listener.tls,
            });
        }
    }
    if raw.listen.is_none() && raw.listeners.is_empty() {
        problems.push("listen", "no listener: set `listen: 127.0.0.1:8080` or `listeners:`");
    }
    out
}

fn limits(raw: &RawConfig, problems: &mut Problems) -> Limits {
    let l = &raw.limits;
    let max_header_bytes = l.max_header_bytes.unwrap_or(10_240);
    if !(1024..=1_048_576).contains(&max_header_bytes) {
        problems.push("limits.max_header_bytes", "must be 1024 to 1048576 bytes");
    }
    let max_response_header_bytes = l.max_response_header_bytes.unwrap_or(65_536);
    if !(1024..=1_048_576).contains(&max_response_header_bytes) {
        problems.push("limits.max_response_header_bytes", "must be 1024 to 1048576 bytes");
    }
    let max_body_bytes = l.max_body_bytes.unwrap_or(10 * 1024 * 1024);
    if max_body_bytes == 0 {
        problems.push("limits.max_body_bytes", "must be at least 1 byte");
    }
    let max_connections = l.max_connections.unwrap_or(10_000);
    if max_connections == 0 {
        problems.push("limits.max_connections", "must be at least 1");
    }
    let http2_max_concurrent_streams = l.http2_max_concurrent_streams.unwrap_or(100);
    if http2_max_concurrent_streams == 0 {
        problems.push("limits.http2_max_concurrent_streams", "must be at least 1");
    }
    Limits {
        max_header_bytes,
        max_response_header_bytes,
        max_body_bytes,
        header_read_timeout: duration_or(
            &l.header_read_timeout,
            "limits.header_read_timeout",
            Duration::from_secs(10),
            problems,
        ),
        body_read_timeout: duration_or(
            &l.body_read_timeout,
            "limits.body_read_timeout",
            Duration::from_secs(30),
            problems,
        ),
        idle_timeout: duration_or(
            &l.idle_timeout,
            "limits.idle_timeout",
            Duration::from_secs(60),
            problems,
        ),
        max_connections,
        http2_max_concurrent_streams,
    }
}

/// A 10-character lower-case alphanumeric id derived from `seed` (stable across restarts).
fn derived_id(seed: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..len)
        .map(|_| {
            hash = hash
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            #[allow(clippy::cast_possible_truncation)]
            let index = (hash >> 33) as usize % ALPHABET.len();
            char::from(ALPHABET[index])
        })
        .collect()
}

/// What every API's stages share while a config compiles: log sinks and compiled WebACLs.
struct Shared<'a> {
    sinks: &'a mut SinkRegistry,
    /// The region in ARNs.
    region: &'a str,
    wafs: &'a mut WafLoader,
}

fn api(raw: &RawApi, path: &str, account_id: &str, shared: &mut Shared<'_>, problems: &mut Problems) -> Option<Api> {
    let api_type = match raw.api_type.as_str() {
        "rest" => ApiType::Rest,
        "http" => ApiType::Http,
        other => {
            problems.push(
                field(path, "type"),
                format!("`{other}` is not an API type: use `rest` or `http`"),
            );
            return None;
        }
    };
    let id = raw.id.clone().unwrap_or_else(|| derived_id(&raw.name, 10));
    if id.len() != 10 || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        problems.push(
            field(path, "id"),
            "must be 10 lower-case letters or digits, like an API Gateway API id",
        );
    }
    let responses = Arc::new(gateway_responses(
        &raw.gateway_responses,
        &field(path, "gateway_responses"),
        problems,
    ));
    // Route keys of every deployment, checked once.
    let mut deployments: BTreeMap<Option<&str>, (&BTreeMap<String, RawRoute>, String)> = BTreeMap::new();
    deployments.insert(None, (&raw.routes, field(path, "routes")));
    for (name, deployment) in &raw.deployments {
        let deployments_path = field(path, "deployments");
        deployments.insert(
            Some(name.as_str()),
            (&deployment.routes, field(&field(&deployments_path, name), "routes")),
        );
    }
    let mut keys: HashMap<Option<&str>, Vec<Option<RouteKey>>> = HashMap::new();
    for (deployment, (routes, routes_path)) in &deployments {
        let parsed = routes
            .keys()
            .map(|key| match RouteKey::parse(key) {
                Ok(parsed) if parsed.is_default && api_type == ApiType::Rest => {
                    problems.push(
                        field(routes_path, key),
                        "REST APIs have no `$default` route: use `ANY /{proxy+}` (and `ANY /` for the root)",
                    );
                    None
                }
                Ok(parsed) => Some(parsed),
                Err(e) => {
                    problems.push(field(routes_path, key), e.to_string());
                    None
                }
            })
            .collect();
        keys.insert(*deployment, parsed);
    }
    let mut stages = FxHashMap::default();
    let mut default_stage = None;
    for (name, raw_stage) in &raw.stages {
        let stage_path = field(&field(path, "stages"), name);
        let valid_name = if name == "$default" {
            api_type == ApiType::Http
        } else {
            !name.is_empty()
                && name.len() <= 128
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !valid_name {
            problems.push(
                stage_path.clone(),
                "a stage name is letters, digits, `_` or `-` (HTTP APIs may also have `$default`)",
            );
            continue;
        }
        let context = StageContext {
            api: raw,
            api_id: &id,
            api_type,
            stage_name: name,
            stage_path: &stage_path,
            deployments: &deployments,
            keys: &keys,
        };
        if let Some(stage) = stage(&context, raw_stage, account_id, &responses, shared, problems) {
            let stage = Arc::new(stage);
            if name == "$default" {
                default_stage = Some(Arc::clone(&stage));
            }
            stages.insert(name.clone(), stage);
        }
    }
    if raw.stages.is_empty() {
        problems.push(
            field(path, "stages"),
            "no stage: an API is served through its stages (e.g. `stages: {prod: {}}`)",
        );
    }
    Some(Api {
        name: raw.name.as_str().into(),
        id: id.into(),
        api_type,
        stages,
        default_stage,
    })
}

type Deployments<'a> = BTreeMap<Option<&'a str>, (&'a BTreeMap<String, RawRoute>, String)>;

struct StageContext<'a> {
    api: &'a RawApi,
    api_id: &'a str,
    api_type: ApiType,
    stage_name: &'a str,
    stage_path: &'a str,
    deployments: &'a Deployments<'a>,
    keys: &'a HashMap<Option<&'a str>, Vec<Option<RouteKey>>>,
}

fn stage(
    cx: &StageContext<'_>,
    raw: &RawStage,
    account_id: &str,
    responses: &Arc<GatewayResponses>,
    shared: &mut Shared<'_>,
    problems: &mut Problems,
) -> Option<Stage> {
    let deployment = resolve_deployment(
        cx,
        raw.deployment.as_deref(),
        &field(cx.stage_path, "deployment"),
        problems,
    )?;
    for name in raw.variables.keys() {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            problems.push(
                field(&field(cx.stage_path, "variables"), name),
                "a stage variable name is letters, digits or `_`",
            );
        }
    }
    let main = variant(cx, deployment, &raw.variables, "stage", problems);
    let canary = match &raw.canary {
        None => None,
        Some(canary) => {
            let canary_path = field(cx.stage_path, "canary");
            if !(0.0..=100.0).contains(&canary.percent) || canary.percent.is_nan() {
                problems.push(
                    field(&canary_path, "percent"),
                    format!("{} is not a percentage: use 0.0 to 100.0", canary.percent),
                );
            }
            let canary_deployment = match canary.deployment.as_deref() {
                Some(name) => resolve_deployment(cx, Some(name), &field(&canary_path, "deployment"), problems),
                None => Some(deployment),
            };
            let mut variables = raw.variables.clone();
            variables.extend(canary.variables.iter().map(|(k, v)| (k.clone(), v.clone())));
            canary_deployment.map(|d| Canary {
                threshold: Canary::threshold_for(canary.percent),
                percent: canary.percent,
                variant: variant(cx, d, &variables, "canary", problems),
            })
        }
    };
    let logging = logging::stage_logging(
        raw,
        &logging::StageIdentity {
            api_type: cx.api_type,
            api_name: &cx.api.name,
            region: shared.region,
            api_id: cx.api_id,
            stage: cx.stage_name,
            account_id,
        },
        cx.stage_path,
        shared.sinks,
        problems,
    );
    let waf = raw.waf.as_ref().and_then(|waf| {
        let at = field(cx.stage_path, "waf");
        shared
            .wafs
            .stage_waf(waf, &at, (cx.api_id, cx.stage_name), shared.sinks, problems)
    });
    Some(Stage {
        name: cx.stage_name.into(),
        api_name: cx.api.name.as_str().into(),
        api_id: cx.api_id.into(),
        api_type: cx.api_type,
        main,
        canary,
        gateway_responses: Arc::clone(responses),
        logging,
        waf,
    })
}

fn resolve_deployment<'a>(
    cx: &StageContext<'a>,
    name: Option<&'a str>,
    path: &str,
    problems: &mut Problems,
) -> Option<Option<&'a str>> {
    match name {
        None => Some(None),
        Some(name) if cx.deployments.contains_key(&Some(name)) => Some(Some(name)),
        Some(name) => {
            let known: Vec<&str> = cx.api.deployments.keys().map(String::as_str).collect();
            problems.push(
                path,
                format!(
                    "no deployment named `{name}` in this API (deployments: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            );
            None
        }
    }
}

fn variant(
    cx: &StageContext<'_>,
    deployment: Option<&str>,
    variables: &BTreeMap<String, String>,
    whose: &str,
    problems: &mut Problems,
) -> StageVariant {
    let mut routes = RouteTable::new();
    let Some((raw_routes, routes_path)) = cx.deployments.get(&deployment) else {
        return StageVariant { routes };
    };
    let keys = cx.keys.get(&deployment).map_or(&[][..], Vec::as_slice);
    for ((text, raw_route), key) in raw_routes.iter().zip(keys) {
        let Some(key) = key else { continue };
        let route_path = field(routes_path, text);
        let params: Vec<String> = key.param_names().map(str::to_owned).collect();
        let integration_path = field(&route_path, "integration");
        let context = VariableContext {
            variables,
            whose,
            stage_name: cx.stage_name,
        };
        let Some(integration) = integration(&raw_route.integration, &params, &integration_path, &context, problems)
        else {
            continue;
        };
        let resource_id = derived_id(&format!("{}{}", cx.api_id, key.resource_path), 6);
        let route = Route {
            route_key: text.as_str().into(),
            resource_path: key.resource_path.as_str().into(),
            resource_id: resource_id.into(),
            param_names: params,
            integration,
        };
        routes.insert(key.clone(), route);
    }
    StageVariant { routes }
}

struct VariableContext<'a> {
    variables: &'a BTreeMap<String, String>,
    whose: &'a str,
    stage_name: &'a str,
}

/// Substitutes `${stageVariables.name}`.
fn substitute(text: &str, cx: &VariableContext<'_>) -> Result<String, String> {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let tail = &rest[at + OPEN.len()..];
        let close = tail.find('}').ok_or_else(|| format!("unclosed `{OPEN}` in `{text}`"))?;
        let name = &tail[..close];
        let value = cx.variables.get(name).ok_or_else(|| {
            let known: Vec<&str> = cx.variables.keys().map(String::as_str).collect();
            format!(
                "uses `${{stageVariables.{name}}}`, which {}stage `{}` does not define (its variables: {})",
                if cx.whose == "canary" { "the canary of " } else { "" },
                cx.stage_name,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )
        })?;
        out.push_str(value);
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn integration(
    raw: &RawIntegration,
    params: &[String],
    path: &str,
    cx: &VariableContext<'_>,
    problems: &mut Problems,
) -> Option<Integration> {
    match raw.kind.as_str() {
        "http_proxy" => {
            for (set, name) in [
                (raw.status.is_some(), "status"),
                (!raw.headers.is_empty(), "headers"),
                (raw.body.is_some(), "body"),
            ] {
                if set {
                    problems.push(field(path, name), "only `mock` integrations have this field");
                }
            }
            let Some(uri) = &raw.uri else {
                problems.push(
                    field(path, "uri"),
                    "an `http_proxy` integration needs a `uri`, e.g. http://127.0.0.1:8080/{proxy}",
                );
                return None;
            };
            let timeout = match raw.timeout.as_deref().map(parse_duration) {
                None => DEFAULT_INTEGRATION_TIMEOUT,
                Some(Ok(t)) if t >= Duration::from_millis(50) && t <= Duration::from_secs(300) => t,
                Some(Ok(_)) => {
                    problems.push(
                        field(path, "timeout"),
                        "must be 50ms to 300s (API Gateway's default is 29s)",
                    );
                    return None;
                }
                Some(Err(message)) => {
                    problems.push(field(path, "timeout"), message);
                    return None;
                }
            };
            let uri = match substitute(uri, cx) {
                Ok(uri) => uri,
                Err(message) => {
                    problems.push(field(path, "uri"), message);
                    return None;
                }
            };
            match HttpProxy::compile(&uri, params, timeout) {
                Ok(proxy) => Some(Integration::HttpProxy(proxy)),
                Err(e) => {
                    problems.push(field(path, "uri"), e.to_string());
                    None
                }
            }
        }
        "mock" => {
            for (set, name) in [(raw.uri.is_some(), "uri"), (raw.timeout.is_some(), "timeout")] {
                if set {
                    problems.push(field(path, name), "only `http_proxy` integrations have this field");
                }
            }
            let status = status_code(raw.status.unwrap_or(200), &field(path, "status"), problems)?;
            let headers = header_map(&raw.headers, &field(path, "headers"), problems);
            let body = match raw.body.as_deref().map(|b| substitute(b, cx)) {
                None => String::new(),
                Some(Ok(body)) => body,
                Some(Err(message)) => {
                    problems.push(field(path, "body"), message);
                    return None;
                }
            };
            Some(Integration::Mock(Mock {
                status,
                headers,
                body: body.into(),
            }))
        }
        other => {
            problems.push(
                field(path, "type"),
                format!("`{other}` is not an integration type: use `http_proxy` or `mock`"),
            );
            None
        }
    }
}

fn status_code(code: u16, path: &str, problems: &mut Problems) -> Option<StatusCode> {
    match StatusCode::from_u16(code) {
        Ok(status) if (200..=599).contains(&code) => Some(status),
        _ => {
            problems.push(path, format!("{code} is not a status code: use 200 to 599"));
            None
        }
    }
}

fn header_pairs(raw: &BTreeMap<String, String>, path: &str, problems: &mut Problems) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::new();
    for (name, value) in raw {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(name), Ok(value)) => out.push((name, value)),
            (Err(_), _) => problems.push(field(path, name), "not a valid header name"),
            (_, Err(_)) => problems.push(field(path, name), "not a valid header value (visible ASCII only)"),
        }
    }
    out
}

fn header_map(raw: &BTreeMap<String, String>, path: &str, problems: &mut Problems) -> HeaderMap {
    header_pairs(raw, path, problems).into_iter().collect()
}

fn gateway_responses(
    raw: &BTreeMap<String, super::raw::RawGatewayResponse>,
    path: &str,
    problems: &mut Problems,
) -> GatewayResponses {
    let mut custom = BTreeMap::new();
    for (name, response) in raw {
        let entry_path = field(path, name);
        let Some(kind) = ResponseType::from_name(name) else {
            let names: Vec<&str> = ResponseType::ALL.iter().map(|t| t.name()).collect();
            problems.push(
                entry_path,
                format!(
                    "`{name}` is not a gateway response type; use one of {}",
                    names.join(", ")
                ),
            );
            continue;
        };
        let status = response
            .status
            .and_then(|code| status_code(code, &field(&entry_path, "status"), problems));
        custom.insert(
            kind,
            Customisation {
                status,
                headers: header_pairs(&response.headers, &field(&entry_path, "headers"), problems),
                body: response.body.clone(),
            },
        );
    }
    GatewayResponses::new(custom)
}

fn domains(raw: &RawConfig, apis: &[Arc<Api>], problems: &mut Problems) -> FxHashMap<String, Domain> {
    let mut out: FxHashMap<String, Domain> = FxHashMap::default();
    for (i, domain) in raw.domains.iter().enumerate() {
        let path = format!("domains[{i}]");
        let name = domain.name.trim().to_ascii_lowercase();
        if name.is_empty() || name.contains('/') || name.contains(':') {
            problems.push(
                field(&path, "name"),
                "a domain name is a host name such as api.example.com (no scheme, port or path)",
            );
            continue;
        }
        if out.contains_key(&name) {
            problems.push(field(&path, "name"), format!("`{name}` is defined twice"));
            continue;
        }
        let mut mappings = Vec::new();
        for (j, mapping) in domain.mappings.iter().enumerate() {
            let mapping_path = format!("{path}.mappings[{j}]");
            let base_path = mapping.base_path.trim_matches('/');
            let base_path = if base_path == "(none)" { "" } else { base_path };
            if mappings.iter().any(|m: &Mapping| m.base_path == base_path) {
                problems.push(
                    field(&mapping_path, "base_path"),
                    format!("base path `{base_path}` is mapped twice"),
                );
                continue;
            }
            let Some(api) = apis.iter().find(|a| *a.name == *mapping.api) else {
                let names: Vec<&str> = apis.iter().map(|a| &*a.name).collect();
                problems.push(
                    field(&mapping_path, "api"),
                    format!("no API named `{}` (APIs: {})", mapping.api, names.join(", ")),
                );
                continue;
            };
            let Some(stage) = api.stages.get(&mapping.stage) else {
                let mut names: Vec<&str> = api.stages.keys().map(String::as_str).collect();
                names.sort_unstable();
                problems.push(
                    field(&mapping_path, "stage"),
                    format!(
                        "API `{}` has no stage `{}` (stages: {})",
                        api.name,
                        mapping.stage,
                        names.join(", ")
                    ),
                );
                continue;
            };
            mappings.push(Mapping {
                base_path: base_path.to_owned(),
                api: Arc::clone(api),
                stage: Arc::clone(stage),
            });
        }
        mappings.sort_by_key(|m| std::cmp::Reverse(m.base_path.len()));
        out.insert(name.clone(), Domain { name, mappings });
    }
    out
}
