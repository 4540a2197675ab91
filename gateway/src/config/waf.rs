//! `stages.<name>.waf`: loading a stage's WebACL and the resources it references from files, compiled once
//! per file however many stages name it. Every problem names the config field, the file, and (from
//! `moat-waf`) the JSON path inside the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use moat_telemetry::cloudwatch_logs::names::{default_waf_log_group, validate_waf_log_group};
use moat_waf::{Resources, WebAcl};

use super::compile::{field, Problems};
use super::raw::RawWaf;
use crate::logging::{SinkRegistry, DEFAULT_KEEP_FILES, DEFAULT_QUEUE_BATCHES, DEFAULT_ROTATE_BYTES};
use crate::waf::{StageWaf, WafLogging};

/// Loads stages' WebACLs for one config.
pub struct WafLoader {
    base_dir: PathBuf,
    account_id: String,
    region: String,
    /// Compiled WebACLs by the files they are built from, so stages sharing one are compiled once (whatever
    /// their WAF logs).
    compiled: HashMap<String, Arc<WebAcl>>,
}

impl WafLoader {
    /// A loader resolving paths against `base_dir`, with ARNs in `account_id` / `region`.
    #[must_use]
    pub fn new(base_dir: &Path, account_id: &str, region: &str) -> WafLoader {
        WafLoader {
            base_dir: base_dir.to_path_buf(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            compiled: HashMap::new(),
        }
    }

    fn read(&self, path: &str, at: &str, problems: &mut Problems) -> Option<Vec<u8>> {
        let resolved = self.base_dir.join(path);
        match std::fs::read(&resolved) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                problems.push(at, format!("cannot read `{}`: {e}", resolved.display()));
                None
            }
        }
    }

    fn read_text(&self, path: &str, at: &str, problems: &mut Problems) -> Option<String> {
        let bytes = self.read(path, at, problems)?;
        match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                problems.push(at, format!("`{path}` is not UTF-8 text"));
                None
            }
        }
    }

    /// The resources named in `raw`, then Moat's managed rule groups (whose empty IP reputation lists a
    /// user's IP set of the same name replaces).
    fn resources(&self, raw: &RawWaf, at: &str, problems: &mut Problems) -> Resources {
        let mut resources = Resources::new(self.account_id.clone(), self.region.clone());
        type Add = fn(&mut Resources, &str) -> Result<(), moat_waf::LoadError>;
        let lists: [(&str, &[String], Add); 3] = [
            ("ip_sets", &raw.ip_sets, Resources::add_ip_set),
            (
                "regex_pattern_sets",
                &raw.regex_pattern_sets,
                Resources::add_regex_pattern_set,
            ),
            ("rule_groups", &raw.rule_groups, Resources::add_rule_group),
        ];
        for (name, files, add) in lists {
            for (i, file) in files.iter().enumerate() {
                let item = format!("{}[{i}]", field(at, name));
                if let Some(text) = self.read_text(file, &item, problems) {
                    if let Err(e) = add(&mut resources, &text) {
                        problems.push(item, format!("{file}: {e}"));
                    }
                }
            }
        }
        if let Err(e) = moat_waf::managed::register_builtin(&mut resources) {
            problems.push(at, format!("Moat's managed rule groups: {e}"));
        }
        if let Some(file) = &raw.geo_database {
            let item = field(at, "geo_database");
            if let Some(bytes) = self.read(file, &item, problems) {
                if let Err(e) = resources.set_geo_database(bytes) {
                    problems.push(item, format!("{file}: {e}"));
                }
            }
        }
        resources
    }

    /// Compiles the `waf:` block at config path `at` for stage `stage` of API `api_id`.
    pub fn stage_waf(
        &mut self,
        raw: &RawWaf,
        at: &str,
        (api_id, stage): (&str, &str),
        sinks: &mut SinkRegistry,
        problems: &mut Problems,
    ) -> Option<StageWaf> {
        let key = format!(
            "{:?}",
            (
                &raw.web_acl,
                &raw.ip_sets,
                &raw.regex_pattern_sets,
                &raw.rule_groups,
                &raw.geo_database
            )
        );
        let acl = match self.compiled.get(&key) {
            Some(acl) => Arc::clone(acl),
            None => {
                let resources = self.resources(raw, at, problems);
                let item = field(at, "web_acl");
                let text = self.read_text(&raw.web_acl, &item, problems)?;
                match WebAcl::load(&text, &resources) {
                    Ok(acl) => {
                        let acl = Arc::new(acl);
                        self.compiled.insert(key, Arc::clone(&acl));
                        acl
                    }
                    Err(e) => {
                        problems.push(item, format!("{}: {e}", raw.web_acl));
                        return None;
                    }
                }
            }
        };
        let log = raw.log.as_ref().map(|log| {
            let at_log = field(at, "log");
            if log.destination.is_none() && log.cloudwatch.is_none() {
                problems.push(
                    field(&at_log, "destination"),
                    "a WAF log needs a destination (`stdout` or a file), `cloudwatch`, or both",
                );
            }
            let group = log.cloudwatch.as_ref().and_then(|cw| {
                let at_group = field(&field(&at_log, "cloudwatch"), "log_group");
                let group = match &cw.log_group {
                    Some(group) => validate_waf_log_group(&at_group, group).map(|()| group.clone()),
                    None => default_waf_log_group(&at_group, acl.name()),
                };
                group.map_err(|e| problems.push(at_group, e.to_string())).ok()
            });
            let sink = sinks
                .sink(
                    log.destination.as_deref(),
                    group.as_deref(),
                    (
                        log.rotate_bytes.unwrap_or(DEFAULT_ROTATE_BYTES),
                        log.keep_files.unwrap_or(DEFAULT_KEEP_FILES),
                        log.queue_batches.unwrap_or(DEFAULT_QUEUE_BATCHES),
                    ),
                )
                .unwrap_or_else(|message| {
                    problems.push(field(&at_log, "destination"), message);
                    None
                });
            WafLogging {
                sink,
                redacted_headers: log.redacted_fields.headers.clone(),
                redact_query_string: log.redacted_fields.query_string,
                redact_uri_path: log.redacted_fields.uri_path,
                redact_method: log.redacted_fields.method,
            }
        });
        Some(StageWaf {
            arn: acl.arn().into(),
            acl,
            http_source_id: format!("{}:{api_id}:{stage}", self.account_id).into(),
            log,
        })
    }
}
