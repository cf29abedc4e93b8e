//! TLS set-up with rustls and the `ring` provider (no cmake or nasm needed to build): the
//! proxy's client configuration, and the self-signed certificate local `https://localhost/`
//! listeners present.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// rustls refused the configuration.
    #[error("could not set up TLS: {0}")]
    Rustls(#[from] rustls::Error),
    /// The certificate could not be generated.
    #[error("could not generate the local listener's certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// The proxy's HTTP client could not be built.
    #[error("could not set up the proxy's HTTP client: {0}")]
    Client(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The proxy's client TLS: the platform's trust store, TLS 1.2+, HTTP/1.1.
pub fn client_config() -> Result<rustls::ClientConfig, TlsSetupError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A server configuration with a fresh self-signed certificate for `localhost`, `127.0.0.1`
/// and `::1` (browsers will warn once; the user accepts it for the local callback).
pub fn self_signed_server_config() -> Result<Arc<rustls::ServerConfig>, TlsSetupError> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)?;
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_configurations_build() {
        assert!(client_config().is_ok());
        let server = self_signed_server_config().unwrap();
        assert_eq!(server.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
