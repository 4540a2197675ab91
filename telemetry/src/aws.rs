//! The AWS SDK configuration every AWS sink shares: the standard chain for credentials and region
//! (environment, shared config files, web identity, ECS and instance metadata), `AWS_ENDPOINT_URL`
//! honoured, HTTPS through rustls with ring (the crypto Moat's own TLS uses).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

/// Overrides on top of the standard AWS configuration chain; every field left empty comes from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// The region (`AWS_REGION` and the profile otherwise).
    pub region: Option<String>,
    /// The endpoint of every service (`AWS_ENDPOINT_URL` and the profile otherwise), such as a
    /// `moto_server` or a VPC endpoint.
    pub endpoint_url: Option<String>,
    /// Fixed credentials, for tests and local emulators; production leaves this empty and uses the
    /// standard chain.
    pub static_credentials: Option<StaticCredentials>,
}

/// An access key pair given directly instead of through the credential chain.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// Loads the SDK configuration: the standard chain with `settings` on top. Must run inside a tokio
/// runtime (the chain may read files and call instance metadata).
pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint.clone());
    }
    if let Some(keys) = &settings.static_credentials {
        loader = loader.credentials_provider(Credentials::new(
            keys.access_key_id.clone(),
            keys.secret_access_key.clone(),
            None,
            None,
            "moat-config",
        ));
    }
    loader.load().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_secret() {
        let keys = StaticCredentials {
            access_key_id: "AKIDEXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI".to_owned(),
        };
        let shown = format!("{keys:?}");
        assert!(
            shown.contains("AKIDEXAMPLE") && !shown.contains("wJalrXUtnFEMI"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn settings_override_the_chain() {
        let config = sdk_config(&AwsSettings {
            region: Some("eu-west-3".to_owned()),
            endpoint_url: Some("http://127.0.0.1:1".to_owned()),
            static_credentials: None,
        })
        .await;
        assert_eq!(config.region().map(Region::as_ref), Some("eu-west-3"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:1"));
    }
}
