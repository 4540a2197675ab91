//! Unit tests of the JSON reader, the rate counters and IP tables.

use super::json::{under_pointer, walk, Item, JsonScratch};
use super::rate::{RateCounters, BUCKETS, MAX_KEYS_PER_RULE};
use crate::compile::ipset::IpTable;
use crate::model::parse_ip_set;

fn items(input: &str, track: bool) -> (Vec<(Item, String, String)>, bool) {
    let mut js = JsonScratch::default();
    let mut out = Vec::new();
    let ok = walk(input.as_bytes(), track, &mut js, |i, b, p| {
        out.push((
            i,
            String::from_utf8_lossy(b).into_owned(),
            String::from_utf8_lossy(p).into_owned(),
        ))
    })
    .is_ok();
    (out, ok)
}

#[test]
fn json_items_and_pointers() {
    let (got, ok) = items(r#" {"a": [1, {"b~/c": "x\ny"}], "": true, "d": null} "#, true);
    assert!(ok);
    let want = [
        (Item::Key, "a", "/a"),
        (Item::Value, "1", "/a/0"),
        (Item::Key, "b~/c", "/a/1/b~0~1c"),
        (Item::Value, "x\ny", "/a/1/b~0~1c"),
        (Item::Key, "", "/"),
        (Item::Value, "true", "/"),
        (Item::Key, "d", "/d"),
        (Item::Value, "null", "/d"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(i, v, p)| (*i, v.to_string(), p.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn json_escapes_and_surrogates() {
    let (got, ok) = items(r#"["\u0041\u00e9\ud83d\ude00\/\\\"", "\ud800x"]"#, false);
    assert!(ok);
    assert_eq!(got[0].1, "Aé😀/\\\"");
    assert_eq!(got[1].1, "\u{fffd}x");
}

#[test]
fn json_errors_stop_after_what_was_read() {
    for (text, n) in [
        (r#"{"a": "x", }"#, 2),
        (r#"{"a": tru}"#, 1),
        (r#"[1, 2"#, 1),
        (r#"[1, 2]x"#, 2),
        (r#"{"a" "b"}"#, 1),
        ("[\"a\u{1}\"]", 0),
        (r#"[1.]"#, 0),
        (r#"[-]"#, 0),
        (r#"{"a": [12"#, 1),
        ("", 0),
    ] {
        let (got, ok) = items(text, false);
        assert!(!ok, "{text} parsed");
        assert_eq!(got.len(), n, "{text}: {got:?}");
    }
    // A complete top-level number at the end of input is fine; inside a container it may be cut off.
    assert!(items("12", false).1);
    assert!(!items("[12", false).1);
}

#[test]
fn json_deep_nesting_is_not_recursive() {
    // Pointers are tracked but not copied out here (the test closure only counts), so this stays linear.
    let mut js = JsonScratch::default();
    let deep = "[".repeat(200_000) + &"]".repeat(200_000);
    assert!(walk(deep.as_bytes(), true, &mut js, |_, _, _| {}).is_ok());
    let open = "{\"a\":".repeat(100_000);
    let mut keys = 0;
    assert!(walk(open.as_bytes(), true, &mut js, |_, _, p| keys +=
        usize::from(p.len() >= 2))
    .is_err());
    assert_eq!(keys, 100_000);
}

#[test]
fn json_pointer_prefixes() {
    assert!(under_pointer(b"/a/b", b"/a"));
    assert!(under_pointer(b"/a", b"/a"));
    assert!(!under_pointer(b"/ab", b"/a"));
    assert!(under_pointer(b"/anything", b""));
}

#[test]
fn rate_counters_slide_and_forget() {
    let c = RateCounters::new(60_000);
    for i in 0..5 {
        assert_eq!(c.hit(7, 1_000 + i), i + 1);
    }
    // Half a window later all five still count.
    assert_eq!(c.hit(7, 31_000), 6);
    // Just over a window after the first burst, only the later hit remains.
    assert_eq!(c.hit(7, 1_000 + 60_000 + 5_000), 2);
    assert_eq!(c.hit(8, 70_000), 1);
    const { assert!(BUCKETS >= 10) };
}

#[test]
fn rate_counters_are_bounded() {
    let c = RateCounters::new(60_000);
    let mut untracked = 0;
    for k in 0..(MAX_KEYS_PER_RULE as u64 + 5_000) {
        let key = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        c.hit(key, 0);
        if c.hit(key, 1) == 1 {
            untracked += 1;
        }
    }
    assert!(c.len() <= MAX_KEYS_PER_RULE);
    assert!(untracked >= 5_000);
    // A window later the idle keys are dropped to make room.
    let fresh = 0xDEAD_BEEF_u64 << 8;
    assert_eq!(c.hit(fresh, 120_000), 1);
    assert_eq!(c.hit(fresh, 120_001), 2);
}

#[test]
fn ip_tables_merge_and_look_up() {
    let set = parse_ip_set(
        r#"{"Name":"s","IPAddressVersion":"IPV4","Addresses":["10.0.0.0/9","10.128.0.0/9","192.0.2.255/32","0.0.0.0/1"]}"#,
    )
    .unwrap();
    let t = IpTable::new(&set);
    for (ip, want) in [
        ("10.255.255.255", true),
        ("11.0.0.0", true),
        ("127.255.255.255", true),
        ("128.0.0.0", false),
        ("192.0.2.255", true),
        ("192.0.2.254", false),
        ("::ffff:10.1.2.3", true),
        ("2001:db8::1", false),
    ] {
        assert_eq!(t.contains(ip.parse().unwrap()), want, "{ip}");
    }
}

#[test]
fn a_warm_scratch_stops_growing() {
    use crate::{Header, HttpRequest, Resources, WebAcl};
    let acl = WebAcl::load(
        r#"{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
          {"Name": "c", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "x"}],
           "Statement": {"SqliMatchStatement": {"FieldToMatch": {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL"}},
             "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}},
          {"Name": "r", "Priority": 1, "Action": {"Count": {}},
           "Statement": {"RegexMatchStatement": {"RegexString": "a+b", "FieldToMatch": {"Headers": {"MatchPattern": {"All": {}},
             "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}, "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}}]}"#,
        &Resources::default(),
    )
    .unwrap();
    let headers = [
        Header {
            name: "X-A",
            value: b"AAB",
        },
        Header {
            name: "Host",
            value: b"h",
        },
    ];
    let req = HttpRequest {
        client_ip: "192.0.2.1".parse().unwrap(),
        method: "POST",
        uri_path: "/",
        query_string: "",
        http_version: "HTTP/1.1",
        headers: &headers,
        body: br#"{"q": "1' or '1'='1", "list": [1, 2, "x%41"]}"#,
        body_size: 0,
        now_ms: 0,
    };
    let mut s = acl.scratch();
    let first = acl.evaluate(&req, &mut s).non_terminating_matching_rules().count();
    assert_eq!(first, 2);
    let warm = s.st.capacity();
    for _ in 0..50 {
        assert_eq!(acl.evaluate(&req, &mut s).non_terminating_matching_rules().count(), 2);
    }
    assert_eq!(s.st.capacity(), warm);
}

fn collect_value(v: &serde_json::Value, path: &str, out: &mut Vec<(Item, String, String)>) {
    let esc = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}/{}", esc(k));
                out.push((Item::Key, k.clone(), p.clone()));
                collect_value(x, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_value(x, &format!("{path}/{i}"), out);
            }
        }
        serde_json::Value::String(s) => out.push((Item::Value, s.clone(), path.to_owned())),
        other => out.push((Item::Value, other.to_string(), path.to_owned())),
    }
}

fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i32>().prop_map(serde_json::Value::from),
        "[a-z~/\"\\\\\u{e9}\u{1F600}\n ]{0,6}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("[a-z~/]{0,4}", inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn json_reader_agrees_with_serde_json(v in json_value(), pretty in proptest::bool::ANY) {
        let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { serde_json::to_string(&v).unwrap() };
        let (got, ok) = items(&text, true);
        proptest::prop_assert!(ok, "{}", text);
        let mut want = Vec::new();
        collect_value(&v, "", &mut want);
        proptest::prop_assert_eq!(got, want);
    }

    #[test]
    fn json_reader_never_panics_on_prefixes(v in json_value(), cut in 0usize..200) {
        let text = serde_json::to_string(&v).unwrap();
        let cut = cut.min(text.len());
        let mut js = JsonScratch::default();
        let complete = walk(&text.as_bytes()[..cut], true, &mut js, |_, _, _| {}).is_ok();
        // Only the whole document (or a prefix that is itself a complete scalar) parses.
        proptest::prop_assert!(!complete || cut == text.len() || serde_json::from_str::<serde_json::Value>(&text[..cut]).is_ok());
    }
}
