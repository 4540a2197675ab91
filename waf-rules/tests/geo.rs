//! GeoMatchStatement and AsnMatchStatement over MaxMind-format databases (built in memory by the tests).
//! https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-geo-match.html
//! https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-asn-match.html

mod support;

use moat_waf::{Action, Resources, WebAcl};
use support::{mmdb, Owned, Req};

fn resources() -> Resources {
    let mut res = Resources::new("111122223333", "us-east-1");
    let geo = mmdb::build(
        &[
            ("192.0.2.0", 24, mmdb::country("FR")),
            ("198.51.100.0", 24, mmdb::country("US")),
        ],
        "GeoLite2-Country",
    );
    res.set_geo_database(geo).expect("geo db");
    let asn = mmdb::build(&[("203.0.113.0", 24, mmdb::asn(64496))], "GeoLite2-ASN");
    res.set_asn_database(asn).expect("asn db");
    res
}

fn req(ip: &str, headers: &[(&str, &str)]) -> Owned {
    Owned::from_req(&Req {
        ip: ip.into(),
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        ..Req::default()
    })
}

const ACL: &str = r#"
Name: geo
DefaultAction: {Allow: {}}
Rules:
  - Name: fr
    Priority: 0
    Action: {Count: {}}
    Statement: {GeoMatchStatement: {CountryCodes: [FR, DE]}}
  - Name: fwd-us
    Priority: 1
    Action: {Count: {}}
    Statement: {GeoMatchStatement: {CountryCodes: [US], ForwardedIPConfig: {HeaderName: X-Forwarded-For, FallbackBehavior: NO_MATCH}}}
  - Name: by-label
    Priority: 2
    Action: {Block: {}}
    Statement:
      AndStatement:
        Statements:
          - LabelMatchStatement: {Scope: LABEL, Key: "awswaf:clientip:geo:country:US"}
          - LabelMatchStatement: {Scope: LABEL, Key: "awswaf:forwardedip:geo:country:FR"}
  - Name: asn
    Priority: 3
    Action: {Challenge: {}}
    Statement: {AsnMatchStatement: {AsnList: [64496, 64497]}}
"#;

#[test]
fn geo_match_and_geo_labels() {
    let res = resources();
    let acl = WebAcl::load(ACL, &res).unwrap();
    let mut s = acl.scratch();

    let r = req("192.0.2.7", &[]);
    r.with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Allow);
        let nt: Vec<_> = d.non_terminating_matching_rules().map(|m| m.rule_id).collect();
        assert_eq!(nt, ["fr"]);
        let labels: Vec<_> = d.labels().collect();
        assert_eq!(labels, ["awswaf:clientip:geo:country:FR"]);
    });

    let r = req("198.51.100.1", &[("X-Forwarded-For", "192.0.2.1")]);
    r.with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Block);
        assert_eq!(d.terminating_rule_id(), "by-label");
        let labels: Vec<_> = d.labels().collect();
        assert_eq!(
            labels,
            ["awswaf:clientip:geo:country:US", "awswaf:forwardedip:geo:country:FR"]
        );
    });

    let r = req("192.0.2.7", &[("X-Forwarded-For", "198.51.100.9")]);
    r.with(|q| {
        let d = acl.evaluate(q, &mut s);
        let nt: Vec<_> = d.non_terminating_matching_rules().map(|m| m.rule_id).collect();
        assert_eq!(nt, ["fr", "fwd-us"]);
    });

    // An address the database does not know: no country, no label, no match.
    let r = req("10.0.0.1", &[]);
    r.with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Allow);
        assert_eq!(d.labels().count(), 0);
        assert_eq!(d.non_terminating_matching_rules().count(), 0);
    });
}

#[test]
fn asn_match() {
    let res = resources();
    let acl = WebAcl::load(ACL, &res).unwrap();
    let mut s = acl.scratch();
    req("203.0.113.99", &[]).with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Challenge);
        assert_eq!(d.terminating_rule_id(), "asn");
    });
    req("198.51.100.1", &[]).with(|q| assert_eq!(acl.evaluate(q, &mut s).action(), Action::Allow));
}

#[test]
fn a_bad_database_is_a_load_error() {
    let mut res = Resources::default();
    assert!(res.set_geo_database(b"not a database".to_vec()).is_err());
}
