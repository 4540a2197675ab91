//! The WebACL loader on arbitrary text: it must return a load error or a WebACL, never panic, and never take
//! more than linear time. Seeded from the shipped rule groups and the example WebACL (see ../README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use moat_waf::{managed, Resources, WebAcl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut resources = Resources::new("123456789012", "us-east-1");
    if managed::register_builtin(&mut resources).is_err() {
        return;
    }
    // The same text as every kind of document, so one corpus exercises every parser.
    let _ = WebAcl::load(text, &resources);
    let _ = resources.add_ip_set(text);
    let _ = resources.add_regex_pattern_set(text);
    let _ = resources.add_rule_group(text);
    let _ = resources.add_managed_rule_group("Fuzz", text);
});
