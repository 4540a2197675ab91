use super::*;

fn table(keys: &[&str]) -> RouteTable<String> {
    let mut table = RouteTable::new();
    for key in keys {
        assert!(table.insert(RouteKey::parse(key).expect(key), (*key).to_owned()));
    }
    table
}

fn find<'t>(table: &'t RouteTable<String>, method: &str, path: &str) -> Option<&'t str> {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    table.find(&method, path).map(|m| table.value(m.route).as_str())
}

#[test]
fn exact_path_beats_parameter_beats_greedy() {
    let t = table(&["GET /pets/dog", "GET /pets/{id}", "GET /pets/{proxy+}", "GET /{proxy+}"]);
    assert_eq!(find(&t, "GET", "/pets/dog"), Some("GET /pets/dog"));
    assert_eq!(find(&t, "GET", "/pets/cat"), Some("GET /pets/{id}"));
    assert_eq!(find(&t, "GET", "/pets/cat/toys"), Some("GET /pets/{proxy+}"));
    assert_eq!(find(&t, "GET", "/owners/1"), Some("GET /{proxy+}"));
}

#[test]
fn method_specific_beats_any_and_default_is_last() {
    let t = table(&["ANY /orders", "POST /orders", "$default"]);
    assert_eq!(find(&t, "POST", "/orders"), Some("POST /orders"));
    assert_eq!(find(&t, "GET", "/orders"), Some("ANY /orders"));
    assert_eq!(find(&t, "GET", "/nothing"), Some("$default"));
}

#[test]
fn leftmost_literal_wins() {
    let t = table(&["GET /{a}/b", "GET /a/{b}"]);
    assert_eq!(find(&t, "GET", "/a/b"), Some("GET /a/{b}"));
}

#[test]
fn params_are_ranges_into_the_path() {
    let t = table(&["GET /products/{id}/reviews/{review}", "ANY /files/{path+}"]);
    let path = "/products/42/reviews/7";
    let found = t.find(&Method::GET, path).expect("match");
    assert_eq!(found.params.get(path, 0), "42");
    assert_eq!(found.params.get(path, 1), "7");
    let path = "/files/a/b/c.txt";
    let found = t.find(&Method::DELETE, path).expect("match");
    assert_eq!(found.params.get(path, 0), "a/b/c.txt");
}

#[test]
fn root_and_trailing_slash() {
    let t = table(&["GET /", "GET /a"]);
    assert_eq!(find(&t, "GET", "/"), Some("GET /"));
    assert_eq!(find(&t, "GET", "/a/"), Some("GET /a"));
    assert_eq!(find(&t, "GET", "/a//"), None);
}

#[test]
fn greedy_needs_at_least_one_segment() {
    let t = table(&["ANY /{proxy+}"]);
    assert_eq!(find(&t, "GET", "/"), None);
    assert_eq!(find(&t, "GET", "/x"), Some("ANY /{proxy+}"));
}

#[test]
fn bad_route_keys_are_rejected() {
    assert_eq!(RouteKey::parse("GET products"), Err(RouteKeyError::Shape));
    assert_eq!(RouteKey::parse("FETCH /a"), Err(RouteKeyError::Method("FETCH".into())));
    assert_eq!(RouteKey::parse("GET /{a+}/b"), Err(RouteKeyError::GreedyNotLast));
    assert_eq!(RouteKey::parse("GET /a{b}"), Err(RouteKeyError::Param("a{b}".into())));
    assert_eq!(
        RouteKey::parse("GET /{a}/{a}"),
        Err(RouteKeyError::DuplicateParam("a".into()))
    );
    assert_eq!(RouteKey::parse("GET //a"), Err(RouteKeyError::EmptySegment));
}
