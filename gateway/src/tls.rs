//! TLS termination: one rustls server config whose certificate is chosen by SNI among the custom domains
//! that have one. TLS 1.2 and 1.3 only (rustls offers nothing older); ALPN offers `h2` and `http/1.1`.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::server::ResolvesServerCertUsingSni;
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

use crate::config::compile::Problems;
use crate::config::raw::RawConfig;

/// Builds the server config from the domains' certificates; problems name the domain's field.
pub fn server_config(raw: &RawConfig, base_dir: &Path, problems: &mut Problems) -> Option<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut resolver = ResolvesServerCertUsingSni::new();
    let mut any = false;
    for (i, domain) in raw.domains.iter().enumerate() {
        let path = format!("domains[{i}]");
        let (cert_file, key_file) = match (&domain.certificate, &domain.key) {
            (Some(cert), Some(key)) => (base_dir.join(cert), base_dir.join(key)),
            (None, None) => continue,
            (Some(_), None) => {
                problems.push(format!("{path}.key"), "a certificate needs its private key (`key:`)");
                continue;
            }
            (None, Some(_)) => {
                problems.push(
                    format!("{path}.certificate"),
                    "a key needs its certificate chain (`certificate:`)",
                );
                continue;
            }
        };
        let certs = match read_certs(&cert_file) {
            Ok(certs) => certs,
            Err(message) => {
                problems.push(format!("{path}.certificate"), message);
                continue;
            }
        };
        let key = match read_key(&key_file) {
            Ok(key) => key,
            Err(message) => {
                problems.push(format!("{path}.key"), message);
                continue;
            }
        };
        let signing = match provider.key_provider.load_private_key(key) {
            Ok(signing) => signing,
            Err(e) => {
                problems.push(
                    format!("{path}.key"),
                    format!("{}: unsupported private key: {e}", key_file.display()),
                );
                continue;
            }
        };
        let certified = CertifiedKey::new(certs, signing);
        if let Err(e) = resolver.add(&domain.name.to_ascii_lowercase(), certified) {
            problems.push(format!("{path}.certificate"), format!("{}: {e}", cert_file.display()));
            continue;
        }
        any = true;
    }
    if !any {
        problems.push(
            "listeners",
            "a TLS listener needs at least one domain with `certificate` and `key`",
        );
        return None;
    }
    let builder = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| problems.push("listeners", format!("TLS setup failed: {e}")))
        .ok()?;
    let mut config = builder.with_no_client_auth().with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Some(config)
}

fn read_certs(path: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let certs: Result<Vec<_>, _> = rustls_pemfile::certs(&mut BufReader::new(file)).collect();
    let certs = certs.map_err(|e| format!("{}: not a PEM certificate chain: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate found", path.display()));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<rustls::pki_types::PrivateKeyDer<'static>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    rustls_pemfile::private_key(&mut BufReader::new(file))
        .map_err(|e| format!("{}: not a PEM private key: {e}", path.display()))?
        .ok_or_else(|| format!("{}: no PEM private key found", path.display()))
}
