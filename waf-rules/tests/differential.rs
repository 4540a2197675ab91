//! Runs every case of `tests/cases/*.yaml` through the compiled engine and the reference evaluator; both must give
//! the expected decision, and the same terminating rule, labels and non-terminating matches as each other.

mod support;

use moat_waf::eval::reference::Reference;
use moat_waf::model::parse_web_acl;
use support::{Case, Owned};

fn cases() -> Vec<(String, Case)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("cases dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let list: Vec<Case> = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.extend(list.into_iter().map(|c| (stem.clone(), c)));
    }
    out
}

#[test]
fn case_files() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, case) in cases() {
        let id = format!("{file}: {}", case.name);
        let loaded = case.load();
        if let Some(want) = &case.load_error {
            match loaded {
                Ok(_) => failures.push(format!("{id}: loaded, expected error containing {want:?}")),
                Err(e) if !e.to_string().contains(want.as_str()) => {
                    failures.push(format!("{id}: error {e} does not contain {want:?}"))
                }
                Err(_) => checked += 1,
            }
            continue;
        }
        let (acl, res) = match loaded {
            Ok(x) => x,
            Err(e) => {
                failures.push(format!("{id}: load error {e}"));
                continue;
            }
        };
        let model = parse_web_acl(&case.acl_json()).expect("model");
        let mut reference = Reference::new(&model, &res);
        let mut scratch = acl.scratch();
        for (i, r) in case.requests.iter().enumerate() {
            let owned = Owned::from_req(r);
            let rid = format!("{id} [request {i}]");
            owned.with(|req| {
                let d = acl.evaluate(req, &mut scratch);
                let rd = reference.evaluate(req);
                let action = d.action().as_str();
                let rule = d.terminating_rule().map(|t| t.rule_id.to_owned());
                let group_rule = d.terminating_rule().and_then(|t| t.group_rule_id.map(str::to_owned));
                let labels: Vec<String> = d.labels().map(str::to_owned).collect();
                let nonterm: Vec<String> = d
                    .non_terminating_matching_rules()
                    .map(|m| m.rule_id.to_owned())
                    .collect();
                // Engine against reference.
                if (action, &rule, &group_rule, &labels, &nonterm)
                    != (
                        rd.action.as_str(),
                        &rd.terminating_rule,
                        &rd.group_rule,
                        &rd.labels,
                        &rd.non_terminating,
                    )
                {
                    failures.push(format!(
                        "{rid}: engine ({action}, {rule:?}, {group_rule:?}, {labels:?}, {nonterm:?}) != reference \
                         ({}, {:?}, {:?}, {:?}, {:?})",
                        rd.action.as_str(),
                        rd.terminating_rule,
                        rd.group_rule,
                        rd.labels,
                        rd.non_terminating
                    ));
                }
                // Engine against the expectation.
                if let Some(e) = &r.expect {
                    let mut bad = Vec::new();
                    if e.action != action {
                        bad.push(format!("action {action} (want {})", e.action));
                    }
                    if e.rule != rule {
                        bad.push(format!("rule {rule:?} (want {:?})", e.rule));
                    }
                    if e.group_rule.is_some() && e.group_rule != group_rule {
                        bad.push(format!("group rule {group_rule:?} (want {:?})", e.group_rule));
                    }
                    if let Some(l) = &e.labels {
                        if *l != labels {
                            bad.push(format!("labels {labels:?} (want {l:?})"));
                        }
                    }
                    if let Some(n) = &e.non_terminating {
                        if *n != nonterm {
                            bad.push(format!("non-terminating {nonterm:?} (want {n:?})"));
                        }
                    }
                    if let Some(s) = e.status {
                        let got = d.custom_response().map(|c| c.status);
                        if got != Some(s) {
                            bad.push(format!("status {got:?} (want {s})"));
                        }
                    }
                    if !bad.is_empty() {
                        failures.push(format!("{rid}: {}", bad.join(", ")));
                    }
                }
                checked += 1;
            });
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 50, "only {checked} checks ran");
}
