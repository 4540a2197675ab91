//! Slots of one single-valued component (body, URI path, query string) whose transformation chains give the same
//! bytes on a request share one value and one search of a union regex (`compile::share`). Random values made of
//! the bytes the chains act on (backslashes, `^`, `%` escapes, entities, upper case, quotes, spaces) must give
//! the same labels in the compiled engine as in the reference evaluator, whichever slots happen to share.

mod support;

use moat_waf::eval::reference::Reference;
use moat_waf::model::parse_web_acl;
use moat_waf::{Resources, WebAcl};
use proptest::prelude::*;
use support::{Owned, Req};

/// (transformations, regex, string) per rule; every rule is repeated for each component.
const CHAINS: &[(&[&str], &str, &str)] = &[
    (
        &["JS_DECODE", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "LOWERCASE"],
        r"<x|a\\b",
        "x^",
    ),
    (&["URL_DECODE_UNI", "HTML_ENTITY_DECODE", "LOWERCASE"], r"<x|\\", "ab"),
    (&["LOWERCASE"], r"x\^y|<x", "\\"),
    (&["NONE"], r"A|&lt;", "X"),
    (&["URL_DECODE_UNI", "CMD_LINE_UNIX"], r"x y|\^|^a", "b c"),
    (&["URL_DECODE_UNI", "CMD_LINE_WIN"], r"x y|\\|\^", "a\\b"),
    (&["CMD_LINE_WIN"], r"ab|^x", "x y"),
    (&["CMD_LINE_UNIX"], r"b$|a\^", "xy"),
];

const FIELDS: &[(&str, &str)] = &[
    ("body", "Body: {}"),
    ("path", "UriPath: {}"),
    ("query", "QueryString: {}"),
];

fn acl() -> String {
    let mut out = String::from("Name: shared\nDefaultAction: {Allow: {}}\nRules:\n");
    let mut prio = 0;
    for (fname, field) in FIELDS {
        for (i, (steps, regex, needle)) in CHAINS.iter().enumerate() {
            let tt: Vec<String> = steps
                .iter()
                .enumerate()
                .map(|(p, t)| format!("{{Priority: {p}, Type: {t}}}"))
                .collect();
            let tt = tt.join(", ");
            let b64 = base64_encode(needle.as_bytes());
            for (kind, stmt) in [
                (
                    "re",
                    format!("RegexMatchStatement: {{RegexString: '{regex}', FieldToMatch: {{{field}}}, TextTransformations: [{tt}]}}"),
                ),
                (
                    "str",
                    format!("ByteMatchStatement: {{SearchString: {b64}, FieldToMatch: {{{field}}}, TextTransformations: [{tt}], PositionalConstraint: CONTAINS}}"),
                ),
            ] {
                out.push_str(&format!(
                    "  - Name: {fname}-{i}-{kind}\n    Priority: {prio}\n    Action: {{Count: {{}}}}\n    RuleLabels: [{{Name: \"{fname}:{i}:{kind}\"}}]\n    Statement:\n      {stmt}\n"
                ));
                prio += 1;
            }
        }
    }
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(T[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn value(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "a", "b", "x", "y", "A", "X", "\\", "\\\\", "^", "^\n", "%5c", "%5e", "%41", "&lt;", "&#x5c;", "<",
                " ", "  ", "\"", "'", ",", ";", "\\u005c", "\\x41", "%u005c",
            ][..],
        ),
        0..max,
    )
    .prop_map(|v| v.concat())
}

fn request() -> impl Strategy<Value = Req> {
    (value(8), value(8), value(12)).prop_map(|(path, query, body)| Req {
        ip: "192.0.2.1".into(),
        method: "POST".into(),
        path: format!("/{}", path.replace(['?', '#'], "")),
        query: query.replace('#', ""),
        body,
        ..Req::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    #[test]
    fn shared_slot_values_agree_with_reference(reqs in prop::collection::vec(request(), 1..4)) {
        let text = acl();
        let res = Resources::new("111122223333", "us-east-1");
        let acl = WebAcl::load(&text, &res).unwrap();
        let model = parse_web_acl(&text).unwrap();
        let mut reference = Reference::new(&model, &res);
        let mut scratch = acl.scratch();
        for r in &reqs {
            let owned = Owned::from_req(r);
            owned.with(|req| {
                let d = acl.evaluate(req, &mut scratch);
                let got = d.labels().map(str::to_owned).collect::<Vec<_>>();
                let rd = reference.evaluate(req);
                prop_assert_eq!(got, rd.labels, "request {:?}", r);
                Ok(())
            })?;
        }
    }
}

#[test]
fn shared_values_match_where_expected() {
    let text = acl();
    let acl = WebAcl::load(&text, &Resources::new("111122223333", "us-east-1")).unwrap();
    let mut scratch = acl.scratch();
    let req = Req {
        ip: "192.0.2.1".into(),
        method: "POST".into(),
        // CMD_LINE_WIN and CMD_LINE_UNIX agree on this body (no `\`, no `^`): both give "x y".
        body: "\"X\"  Y".into(),
        ..Req::default()
    };
    Owned::from_req(&req).with(|r| {
        let d = acl.evaluate(r, &mut scratch);
        let labels: Vec<&str> = d.labels().collect();
        for hit in ["body:4:re", "body:5:re", "body:6:str"] {
            assert!(labels.iter().any(|l| l.ends_with(hit)), "{hit}: {labels:?}");
        }
        assert!(!labels.iter().any(|l| l.ends_with("body:7:re")), "{labels:?}");
    });
}
