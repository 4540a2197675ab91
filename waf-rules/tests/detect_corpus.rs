//! Detection and false-positive rates of the SQLi and XSS detectors on the labelled lists in `tests/data/`.
//!
//! Each test prints its rates (run with `--nocapture` to see them and the misses) and asserts floors/ceilings
//! at the values measured when the lists were written, so a change that loses detections or adds false
//! positives fails. The measured figures are recorded in `docs/waf-detectors.md`.

use moat_waf::detect::sqli::{is_sqli, Sensitivity};
use moat_waf::detect::xss::is_xss;

/// Percent-decodes `s` (`+` is a space); malformed escapes are kept as they are.
fn url_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The inputs of a data file: one per line, `## ` lines skipped, `url:` lines percent-decoded.
fn load(name: &str) -> Vec<Vec<u8>> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with("## ") && !l.is_empty())
        .map(|l| match l.strip_prefix("url:") {
            Some(enc) => url_decode(enc),
            None => l.as_bytes().to_vec(),
        })
        .collect()
}

/// Runs `detect` over `inputs`; returns how many were flagged and prints those that were (or were not).
fn count(label: &str, inputs: &[Vec<u8>], detect: impl Fn(&[u8]) -> bool, show_flagged: bool) -> usize {
    let mut n = 0;
    for input in inputs {
        let hit = detect(input);
        n += usize::from(hit);
        if hit == show_flagged {
            println!(
                "  {label} {}: {}",
                if hit { "flagged" } else { "missed" },
                String::from_utf8_lossy(input)
            );
        }
    }
    println!(
        "{label}: {n}/{} ({:.1}%)",
        inputs.len(),
        100.0 * n as f64 / inputs.len() as f64
    );
    n
}

#[test]
fn sqli_detection_rates() {
    let attacks = load("sqli_attacks.txt");
    assert!(attacks.len() >= 300, "attack list shrank: {}", attacks.len());
    let low = count(
        "sqli attacks LOW",
        &attacks,
        |i| is_sqli(i, Sensitivity::Low).is_some(),
        false,
    );
    let high = count(
        "sqli attacks HIGH",
        &attacks,
        |i| is_sqli(i, Sensitivity::High).is_some(),
        false,
    );
    let pct = |n: usize| 100.0 * n as f64 / attacks.len() as f64;
    assert!(pct(high) >= 99.0, "HIGH detection fell to {:.1}%", pct(high));
    assert!(pct(low) >= 98.0, "LOW detection fell to {:.1}%", pct(low));
}

#[test]
fn sqli_false_positive_rates() {
    let benign = load("sqli_benign.txt");
    assert!(benign.len() >= 250, "benign list shrank: {}", benign.len());
    let low = count(
        "sqli benign LOW",
        &benign,
        |i| is_sqli(i, Sensitivity::Low).is_some(),
        true,
    );
    let high = count(
        "sqli benign HIGH",
        &benign,
        |i| is_sqli(i, Sensitivity::High).is_some(),
        true,
    );
    assert_eq!(low, 0, "LOW must not flag any benign input");
    assert!(high <= 7, "HIGH false positives rose to {high}");
}

#[test]
fn xss_detection_rate() {
    let attacks = load("xss_attacks.txt");
    assert!(attacks.len() >= 250, "attack list shrank: {}", attacks.len());
    let n = count("xss attacks", &attacks, |i| is_xss(i).is_some(), false);
    assert!(
        100.0 * n as f64 / attacks.len() as f64 >= 99.5,
        "XSS detection fell to {n}/{}",
        attacks.len()
    );
}

#[test]
fn xss_false_positive_rate() {
    let benign = load("xss_benign.txt");
    assert!(benign.len() >= 200, "benign list shrank: {}", benign.len());
    let n = count("xss benign", &benign, |i| is_xss(i).is_some(), true);
    assert_eq!(n, 0, "XSS must not flag any benign input");
}

#[test]
fn sqli_high_flags_everything_low_flags() {
    for input in load("sqli_attacks.txt").iter().chain(load("sqli_benign.txt").iter()) {
        if is_sqli(input, Sensitivity::Low).is_some() {
            assert!(
                is_sqli(input, Sensitivity::High).is_some(),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
