//! Actions run for real: an `exec:` command writing a temp file, webhooks (plain and TLS) to listeners on
//! port 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;

use std::sync::Arc;

use crate::alarms::actions::{parse_webhook_url, post, run, ActionError, WebhookUrl};
use crate::alarms::config::Action;

#[test]
fn exec_action_gets_the_notification_on_stdin_and_the_alarm_in_its_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.json");
    let command = format!(
        "cat > '{}'; echo \"$MOAT_ALARM_NAME $MOAT_ALARM_OLD_STATE $MOAT_ALARM_STATE\" >> '{0}'",
        out.display()
    );
    let env = [
        ("MOAT_ALARM_NAME", "Slow"),
        ("MOAT_ALARM_STATE", "ALARM"),
        ("MOAT_ALARM_OLD_STATE", "OK"),
    ];
    run(&Action::Exec(command), r#"{"AlarmName":"Slow"}"#, &env).expect("command ran");
    let written = std::fs::read_to_string(&out).expect("the command wrote its file");
    assert_eq!(written, "{\"AlarmName\":\"Slow\"}Slow OK ALARM\n");
}

#[test]
fn exec_action_failure_is_reported() {
    let err = run(&Action::Exec("exit 3".into()), "{}", &[]).expect_err("exit 3 fails");
    assert!(
        matches!(&err, ActionError::Exec { message, .. } if message.contains("exit status: 3")),
        "{err}"
    );
}

/// Serves one request on a loopback port chosen by the OS; returns the URL and a handle yielding the
/// request (head and body).
fn one_shot_server(status: &'static str) -> (String, thread::JoinHandle<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header line");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("length");
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let mut stream = reader.into_inner();
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("answer");
        (head, String::from_utf8(body).expect("utf-8"))
    });
    (format!("http://127.0.0.1:{port}/hooks/moat?x=1"), handle)
}

#[test]
fn webhook_posts_the_notification_json() {
    let (url, server) = one_shot_server("204 No Content");
    run(
        &Action::Webhook(url.clone()),
        r#"{"AlarmName":"Slow","NewStateValue":"ALARM"}"#,
        &[],
    )
    .expect("posted");
    let (head, body) = server.join().expect("server");
    assert!(head.starts_with("POST /hooks/moat?x=1 HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("Content-Type: application/json\r\n"), "{head}");
    assert_eq!(body, r#"{"AlarmName":"Slow","NewStateValue":"ALARM"}"#);
}

#[test]
fn webhook_non_2xx_is_a_failure() {
    let (url, server) = one_shot_server("500 Internal Server Error");
    let err = run(&Action::Webhook(url), "{}", &[]).expect_err("500 fails");
    server.join().expect("server");
    assert!(
        matches!(&err, ActionError::Status { status_line, .. } if status_line.contains("500")),
        "{err}"
    );
}

#[test]
fn webhook_urls_are_split_into_scheme_host_port_and_path() {
    let url = |tls, host: &str, port, path: &str| WebhookUrl {
        tls,
        host: host.into(),
        port,
        path: path.into(),
    };
    assert_eq!(
        parse_webhook_url("http://example.test"),
        Ok(url(false, "example.test", 80, "/"))
    );
    assert_eq!(
        parse_webhook_url("https://example.test"),
        Ok(url(true, "example.test", 443, "/"))
    );
    assert_eq!(
        parse_webhook_url("http://h:8080/a/b?c=d"),
        Ok(url(false, "h", 8080, "/a/b?c=d"))
    );
    assert_eq!(
        parse_webhook_url("http://[::1]:9000?q"),
        Ok(url(false, "::1", 9000, "/?q"))
    );
    assert!(parse_webhook_url("http://:80/").is_err());
    assert!(parse_webhook_url("http://u:p@h/").is_err());
    assert!(parse_webhook_url("http://h/a b").is_err());
    assert!(parse_webhook_url("ftp://h/").is_err());
}

/// A TLS listener on a loopback port with a certificate for 127.0.0.1 from a CA made here; serves one
/// request and returns (URL, roots trusting the CA, handle yielding the body).
fn one_shot_tls_server() -> (String, Arc<rustls::RootCertStore>, thread::JoinHandle<String>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&key, &ca, &ca_key)
        .expect("leaf");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).expect("root");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        let connection = rustls::ServerConnection::new(Arc::new(config)).expect("connection");
        let mut reader = BufReader::new(rustls::StreamOwned::new(connection, tcp));
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header line");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("length");
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let mut stream = reader.into_inner();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .expect("answer");
        stream.conn.send_close_notify();
        let _ = stream.flush();
        String::from_utf8(body).expect("utf-8")
    });
    (format!("https://127.0.0.1:{port}/hook"), Arc::new(roots), handle)
}

#[test]
fn https_webhook_is_posted_over_tls_and_checks_the_certificate() {
    let (url, roots, server) = one_shot_tls_server();
    post(&url, r#"{"AlarmName":"Slow"}"#, roots).expect("posted over TLS");
    assert_eq!(server.join().expect("server"), r#"{"AlarmName":"Slow"}"#);
    // The same kind of server is not trusted without its CA.
    let (url, _, server) = one_shot_tls_server();
    let err = post(&url, "{}", Arc::new(rustls::RootCertStore::empty())).expect_err("untrusted certificate");
    assert!(
        err.to_string().contains("certificate") || err.to_string().contains("Unknown"),
        "{err}"
    );
    assert!(server.join().is_err(), "the handshake failed on the server side too");
}
