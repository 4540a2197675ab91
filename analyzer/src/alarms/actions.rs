//! Running an alarm's actions. Moat's meaning of an action string (CloudWatch's are SNS, EC2 and Auto
//! Scaling ARNs):
//! - `http://HOST[:PORT]/PATH` or `https://...`: a webhook, POSTed the notification JSON
//!   ([`super::history::notification`]) with `Content-Type: application/json` over HTTP/1.1 (TLS by rustls,
//!   server certificates checked against the system's roots); any 2xx answer is success. Connect, write and
//!   read time out after 10 s.
//! - `exec:COMMAND`: `sh -c COMMAND` with the notification JSON on stdin and `MOAT_ALARM_NAME`,
//!   `MOAT_ALARM_STATE` and `MOAT_ALARM_OLD_STATE` in its environment; exit status 0 is success. A command
//!   still running after 60 s is killed.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use super::config::Action;

const NET_TIMEOUT: Duration = Duration::from_secs(10);
const EXEC_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an action failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The webhook could not be reached or written to.
    #[error("{url}: {source}")]
    Io {
        /// The webhook.
        url: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The webhook answered something other than 2xx.
    #[error("{url}: answered {status_line:?}")]
    Status {
        /// The webhook.
        url: String,
        /// The status line it sent.
        status_line: String,
    },
    /// The command could not start or failed.
    #[error("exec:{command}: {message}")]
    Exec {
        /// The command.
        command: String,
        /// What happened.
        message: String,
    },
}

/// The parts of a webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    /// `https://`.
    pub tls: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port (80 or 443 by default).
    pub port: u16,
    /// Path and query, `/` at least.
    pub path: String,
}

/// Splits an `http://` or `https://` URL.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_webhook_url(url: &str) -> Result<WebhookUrl, String> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        return Err(format!("{url:?} does not start with http:// or https://"));
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path
    };
    if authority.contains('@') {
        return Err(format!("{url:?}: user information in webhook URLs is not supported"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{url:?}: unclosed '[' in the host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let port = match port {
        None if tls => 443,
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("{url:?}: port {p:?} is not a number from 0 to 65535"))?,
    };
    if path.chars().any(|c| c.is_ascii_whitespace() || c.is_ascii_control()) {
        return Err(format!("{url:?}: the path has spaces or control characters"));
    }
    if tls && ServerName::try_from(host.to_owned()).is_err() {
        return Err(format!("{url:?}: {host:?} is not a host name TLS can verify"));
    }
    Ok(WebhookUrl {
        tls,
        host: host.to_owned(),
        port,
        path,
    })
}

/// Runs one action with the notification `body`; `env` names the alarm and its states for `exec:`.
///
/// # Errors
/// [`ActionError`] saying what failed.
pub fn run(action: &Action, body: &str, env: &[(&str, &str)]) -> Result<(), ActionError> {
    match action {
        Action::Webhook(url) => post(url, body, system_roots()),
        Action::Exec(command) => exec(command, body, env),
    }
}

/// The system's trusted roots, loaded once (as far as they load: a missing store only fails https).
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            Arc::new(roots)
        })
        .clone()
}

/// POSTs `body` to the webhook `url`, trusting `roots` for https.
///
/// # Errors
/// [`ActionError`] when it cannot be delivered or the answer is not 2xx.
pub fn post(url: &str, body: &str, roots: Arc<RootCertStore>) -> Result<(), ActionError> {
    let io_err = |source| ActionError::Io {
        url: url.to_owned(),
        source,
    };
    let invalid = |m: String| io_err(io::Error::new(io::ErrorKind::InvalidInput, m));
    let parsed = parse_webhook_url(url).map_err(invalid)?;
    let addrs: Vec<_> = (parsed.host.as_str(), parsed.port)
        .to_socket_addrs()
        .map_err(io_err)?
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, NET_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e,
        }
    }
    let tcp = stream.ok_or_else(|| io_err(last))?;
    tcp.set_read_timeout(Some(NET_TIMEOUT)).map_err(io_err)?;
    tcp.set_write_timeout(Some(NET_TIMEOUT)).map_err(io_err)?;
    let host_header = if parsed.host.contains(':') {
        format!("[{}]", parsed.host)
    } else {
        parsed.host.clone()
    };
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {host_header}:{}\r\nUser-Agent: moatctl-alarms\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        parsed.path,
        parsed.port,
        body.len()
    );
    let status_line = if parsed.tls {
        let config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from(parsed.host.clone()).map_err(|e| invalid(format!("TLS: {e}")))?;
        let connection = ClientConnection::new(Arc::new(config), name).map_err(|e| invalid(format!("TLS: {e}")))?;
        exchange(&mut StreamOwned::new(connection, tcp), &request).map_err(io_err)?
    } else {
        exchange(&mut { tcp }, &request).map_err(io_err)?
    };
    let code = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    match code {
        Some(200..=299) if status_line.starts_with("HTTP/") => Ok(()),
        _ => Err(ActionError::Status {
            url: url.to_owned(),
            status_line,
        }),
    }
}

/// Writes the request and reads the answer's status line (at most 8 KiB of the answer).
fn exchange(stream: &mut (impl Read + Write), request: &str) -> io::Result<String> {
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    let mut answer = Vec::with_capacity(256);
    let mut chunk = [0_u8; 1024];
    while answer.len() < 8192 && !answer.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    Ok(text.lines().next().unwrap_or("").trim().to_owned())
}

fn exec(command: &str, body: &str, env: &[(&str, &str)]) -> Result<(), ActionError> {
    let fail = |message: String| ActionError::Exec {
        command: command.to_owned(),
        message,
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| fail(format!("could not start: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input closes the pipe early; that is not a failure.
        match stdin.write_all(body.as_bytes()) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(fail(format!("writing stdin: {e}"))),
            _ => {}
        }
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(fail(format!("exited with {status}"))),
            Ok(None) if started.elapsed() > EXEC_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "still running after {} s; killed",
                    EXEC_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(fail(format!("waiting: {e}"))),
        }
    }
}
