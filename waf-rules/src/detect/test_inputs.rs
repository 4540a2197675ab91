//! Inputs for the prefilter equivalence tests of both detectors: every line of the labelled lists in
//! `waf-rules/tests/data/` and every value of the WAF corpus (`tests/waf-corpus/*.jsonl`), raw and after the
//! usual text transformations, plus proptest strategies that mix detector-relevant fragments.

use std::collections::BTreeSet;

use proptest::prelude::*;

use crate::transform::TransformationType;

/// The inputs of one labelled list, as `tests/detect_corpus.rs` reads them (`url:` lines percent-decoded).
pub(crate) fn list(name: &str) -> Vec<Vec<u8>> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with("## ") && !l.is_empty())
        .map(|l| match l.strip_prefix("url:") {
            Some(enc) => TransformationType::UrlDecode.apply_to_vec(enc.as_bytes()),
            None => l.as_bytes().to_vec(),
        })
        .collect()
}

/// Runs `same` (which asserts that a detector with and without its prefilter agree, and says whether the
/// full detector ran) on every input, and prints how often the full detector ran.
pub(crate) fn check_agreement(detector: &str, what: &str, inputs: &[Vec<u8>], same: fn(&[u8]) -> bool) {
    let ran = inputs.iter().filter(|input| same(input)).count();
    println!(
        "{detector} prefilter: full detector ran on {ran}/{} {what}",
        inputs.len()
    );
}

/// Every line of `waf-rules/tests/data/*.txt` (`## ` comments skipped): as written and, for `url:` lines,
/// percent-decoded.
pub(crate) fn data_lines() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "tests/data lists missing");
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for line in text.lines().filter(|l| !l.starts_with("## ") && !l.is_empty()) {
            out.insert(line.as_bytes().to_vec());
            if let Some(enc) = line.strip_prefix("url:") {
                out.insert(TransformationType::UrlDecode.apply_to_vec(enc.as_bytes()));
            }
        }
    }
    out.into_iter().collect()
}

fn split_pairs(s: &[u8], sep: u8, out: &mut BTreeSet<Vec<u8>>) {
    for part in s.split(|&b| b == sep) {
        out.insert(part.to_vec());
        if let Some(eq) = part.iter().position(|&b| b == b'=') {
            out.insert(part[..eq].to_vec());
            out.insert(part[eq + 1..].to_vec());
        }
    }
}

fn json_leaves(v: &serde_json::Value, out: &mut BTreeSet<Vec<u8>>) {
    match v {
        serde_json::Value::String(s) => {
            out.insert(s.as_bytes().to_vec());
        }
        serde_json::Value::Number(n) => {
            out.insert(n.to_string().into_bytes());
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_leaves(x, out)),
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                out.insert(k.as_bytes().to_vec());
                json_leaves(x, out);
            }
        }
        _ => {}
    }
}

/// The values a WAF rule inspects in each corpus request: the path and its segments, the query string, each
/// argument name and value, each header value (cookies split at `;`), the body, its JSON leaves and keys or its
/// form fields; each raw, URL-decoded, URL- then HTML-entity-decoded, and URL-decoded then lower-cased.
pub(crate) fn corpus_values() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/waf-corpus");
    let mut base = BTreeSet::new();
    let mut records = 0;
    for name in ["attacks.jsonl", "benign.jsonl"] {
        let path = format!("{dir}/{name}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let rec: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}"));
            records += 1;
            let field = |k: &str| {
                rec.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .as_bytes()
                    .to_vec()
            };
            let (path, query, body) = (field("path"), field("query"), field("body"));
            split_pairs(&path, b'/', &mut base);
            split_pairs(&query, b'&', &mut base);
            split_pairs(&body, b'&', &mut base);
            base.insert(path);
            base.insert(query);
            if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&body) {
                json_leaves(&doc, &mut base);
            }
            base.insert(body);
            for h in rec.get("headers").and_then(|h| h.as_array()).into_iter().flatten() {
                if let Some(v) = h.get(1).and_then(|v| v.as_str()) {
                    base.insert(v.as_bytes().to_vec());
                    split_pairs(v.as_bytes(), b';', &mut base);
                }
            }
        }
    }
    assert!(records >= 1000, "WAF corpus missing or truncated: {records} records");
    let mut out = BTreeSet::new();
    for v in base {
        let url = TransformationType::UrlDecode.apply_to_vec(&v);
        out.insert(TransformationType::HtmlEntityDecode.apply_to_vec(&url));
        out.insert(TransformationType::Lowercase.apply_to_vec(&url));
        out.insert(url);
        out.insert(v);
    }
    out.into_iter().collect()
}

/// Byte strings made of `fragments` (each possibly upper-cased), with optional separators between them.
pub(crate) fn fragment_soup(fragments: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<u8>> {
    let piece = (
        prop::sample::select(fragments),
        any::<bool>(),
        prop::sample::select(SEPARATORS),
    );
    prop::collection::vec(piece, 0..max).prop_map(|pieces| {
        let mut out = Vec::new();
        for (frag, upper, sep) in pieces {
            if upper {
                out.extend(frag.bytes().map(|b| b.to_ascii_uppercase()));
            } else {
                out.extend_from_slice(frag.as_bytes());
            }
            out.extend_from_slice(sep.as_bytes());
        }
        out
    })
}

const SEPARATORS: &[&str] = &["", "", "", " ", " ", "\t", "\n", "/**/", "'", "\""];

/// `input` edited: a few bytes replaced, fragments inserted, ranges removed.
pub(crate) fn mutate(inputs: Vec<Vec<u8>>, fragments: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let edit = (
        0..3u8,
        any::<prop::sample::Index>(),
        prop::sample::select(fragments),
        any::<u8>(),
        0..8usize,
    );
    (prop::sample::select(inputs), prop::collection::vec(edit, 0..4)).prop_map(|(mut v, edits)| {
        for (op, at, frag, byte, len) in edits {
            let i = at.index(v.len() + 1);
            match op {
                0 => {
                    v.splice(i..i, frag.bytes());
                }
                1 => {
                    v.drain(i..(i + len).min(v.len()));
                }
                _ => {
                    if let Some(b) = v.get_mut(i) {
                        *b = byte;
                    } else {
                        v.push(byte);
                    }
                }
            }
        }
        v
    })
}

/// Proptest cases per property: `default`, or `PROPTEST_CASES` when set (for long soak runs).
pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
