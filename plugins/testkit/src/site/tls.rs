//! The fake site's certificate: self-signed, fresh per site, for every host name it serves.
//! Nothing needs to trust it: the test browser runs with `--ignore-certificate-errors`, as the
//! real hosts' certificates cannot be had. HTTP/1.1 only: what the plugin sees of a page does
//! not depend on the HTTP version.

use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The server's TLS settings for a certificate covering `hosts` (and 127.0.0.1, for tests that
/// call the site directly).
pub(crate) fn config(hosts: &[String]) -> std::io::Result<RustlsConfig> {
    let mut names = hosts.to_vec();
    names.extend(["localhost".to_owned(), "127.0.0.1".to_owned()]);
    let certified = rcgen::generate_simple_self_signed(names).map_err(std::io::Error::other)?;
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}
