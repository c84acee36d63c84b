//! The certificates of a `rediss://` connection, from the PEM files `redis.tls_ca_file` (the CA
//! that signed the server's certificate, instead of the system's roots) and `redis.tls_cert_file` /
//! `redis.tls_key_file` (a client certificate, for servers that require one).
//!
//! The same function checks the files when the configuration is loaded and reads them when the
//! client is built, so a file that passed the check is exactly what the connection uses, and a bad
//! one stops start-up with the key that names it rather than failing every connection later.

use std::{path::Path, sync::Arc};

use redis::{ClientTlsConfig, TlsCertificates};
use rustls::{
    RootCertStore,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
};

use super::RedisConfig;

/// A TLS file that cannot be used, with the key that names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` = {}: {reason}", path.display())]
pub struct TlsFileError {
    /// The config key, e.g. `redis.tls_ca_file`.
    pub key: &'static str,
    /// The file as configured.
    pub path: std::path::PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// The certificates for `config`, or `None` when no TLS file is configured (a `rediss://` URL then
/// trusts the system's roots).
///
/// # Errors
/// A file is set without a `rediss://` URL, cannot be read, holds no PEM item of the right kind, or
/// the client certificate and key do not go together.
pub fn certificates(config: &RedisConfig) -> Result<Option<TlsCertificates>, TlsFileError> {
    let ca = given(&config.tls_ca_file);
    let cert = given(&config.tls_cert_file);
    let key = given(&config.tls_key_file);
    if ca.is_none() && cert.is_none() && key.is_none() {
        return Ok(None);
    }
    let plain = !config.url.starts_with("rediss://");
    let error = |key: &'static str, path: &Path, reason: &str| TlsFileError {
        key,
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let root_cert = match ca {
        Some(path) if plain => return Err(error("redis.tls_ca_file", path, NEEDS_REDISS)),
        Some(path) => {
            let pem = read(path, "redis.tls_ca_file")?;
            check_roots(&pem).map_err(|reason| error("redis.tls_ca_file", path, &reason))?;
            Some(pem)
        }
        None => None,
    };
    let client_tls = match (cert, key) {
        (None, None) => None,
        (Some(path), None) => {
            return Err(error(
                "redis.tls_key_file",
                Path::new(""),
                &format!("required with `redis.tls_cert_file` = {}", path.display()),
            ));
        }
        (None, Some(path)) => {
            return Err(error(
                "redis.tls_cert_file",
                Path::new(""),
                &format!("required with `redis.tls_key_file` = {}", path.display()),
            ));
        }
        (Some(path), Some(_)) if plain => return Err(error("redis.tls_cert_file", path, NEEDS_REDISS)),
        (Some(cert_path), Some(key_path)) => {
            let client_cert = read(cert_path, "redis.tls_cert_file")?;
            let client_key = read(key_path, "redis.tls_key_file")?;
            check_client_pair(&client_cert, &client_key).map_err(|(key, reason)| {
                error(key, if key == "redis.tls_key_file" { key_path } else { cert_path }, &reason)
            })?;
            Some(ClientTlsConfig { client_cert, client_key })
        }
    };
    Ok(Some(TlsCertificates { client_tls, root_cert }))
}

const NEEDS_REDISS: &str = "TLS files need a rediss:// `redis.url` (this one is not TLS)";

fn given(path: &Path) -> Option<&Path> {
    (!path.as_os_str().is_empty()).then_some(path)
}

fn read(path: &Path, key: &'static str) -> Result<Vec<u8>, TlsFileError> {
    std::fs::read(path).map_err(|e| TlsFileError { key, path: path.to_path_buf(), reason: format!("cannot read: {e}") })
}

/// Every certificate in `pem` must parse and be usable as a trust anchor, as redis-rs will add them.
fn check_roots(pem: &[u8]) -> Result<(), String> {
    let certs = certificates_in(pem)?;
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| format!("not a usable CA certificate: {e}"))?;
    }
    Ok(())
}

/// The chain and key must parse and belong together; the error names the file at fault.
fn check_client_pair(cert: &[u8], key: &[u8]) -> Result<(), (&'static str, String)> {
    let chain = certificates_in(cert).map_err(|reason| ("redis.tls_cert_file", reason))?;
    let private_key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| ("redis.tls_key_file", format!("no PEM private key found: {e}")))?;
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ("redis.tls_cert_file", e.to_string()))?
        .with_root_certificates(RootCertStore::empty())
        .with_client_auth_cert(chain, private_key)
        .map_err(|e| ("redis.tls_key_file", format!("unusable with `redis.tls_cert_file`: {e}")))?;
    Ok(())
}

fn certificates_in(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use base64::Engine;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    use super::*;

    fn pem(label: &str, der: &[u8]) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64")).collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
    }

    /// A CA, a client certificate it signed with its key, and an unrelated key, as files.
    struct Files {
        _dir: tempfile::TempDir,
        ca: PathBuf,
        cert: PathBuf,
        key: PathBuf,
        other_key: PathBuf,
    }

    fn files() -> Files {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_key = KeyPair::generate().expect("key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA");
        let issuer = Issuer::new(ca_params, &ca_key);
        let client_key = KeyPair::generate().expect("key");
        let client = CertificateParams::new(vec!["meetbot".to_owned()])
            .expect("params")
            .signed_by(&client_key, &issuer)
            .expect("client certificate");
        let write = |name: &str, text: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        Files {
            ca: write("ca.pem", pem("CERTIFICATE", ca_cert.der())),
            cert: write("client.pem", pem("CERTIFICATE", client.der())),
            key: write("client.key", pem("PRIVATE KEY", &client_key.serialize_der())),
            other_key: write("other.key", pem("PRIVATE KEY", &KeyPair::generate().expect("key").serialize_der())),
            _dir: dir,
        }
    }

    fn redis(ca: &Path, cert: &Path, key: &Path) -> RedisConfig {
        RedisConfig {
            url: "rediss://127.0.0.1:6380".to_owned(),
            tls_ca_file: ca.to_path_buf(),
            tls_cert_file: cert.to_path_buf(),
            tls_key_file: key.to_path_buf(),
            ..RedisConfig::default()
        }
    }

    fn key_and_reason(config: &RedisConfig) -> (&'static str, String) {
        let error = certificates(config).expect_err("refused");
        (error.key, error.reason)
    }

    #[test]
    fn no_file_means_the_system_roots() {
        let config = RedisConfig { url: "rediss://h:1".to_owned(), ..RedisConfig::default() };
        assert!(certificates(&config).expect("fine").is_none());
    }

    #[test]
    fn good_files_give_roots_and_a_client_certificate() {
        let f = files();
        let tls = certificates(&redis(&f.ca, &f.cert, &f.key)).expect("fine").expect("some");
        assert!(tls.root_cert.is_some_and(|pem| pem.starts_with(b"-----BEGIN CERTIFICATE-----")));
        assert!(tls.client_tls.is_some());
        let ca_only = certificates(&redis(&f.ca, Path::new(""), Path::new(""))).expect("fine").expect("some");
        assert!(ca_only.client_tls.is_none());
        let client_only = certificates(&redis(Path::new(""), &f.cert, &f.key)).expect("fine").expect("some");
        assert!(client_only.root_cert.is_none());
    }

    #[test]
    fn bad_files_name_their_key() {
        let f = files();
        let none = Path::new("");
        let (key, reason) = key_and_reason(&redis(Path::new("/nonexistent/ca.pem"), none, none));
        assert_eq!(key, "redis.tls_ca_file");
        assert!(reason.starts_with("cannot read: "), "{reason}");
        let (key, reason) = key_and_reason(&redis(&f.key, none, none));
        assert_eq!(
            (key, reason.as_str()),
            ("redis.tls_ca_file", "no PEM certificate (-----BEGIN CERTIFICATE-----) in it")
        );
        let (key, _) = key_and_reason(&redis(none, &f.cert, none));
        assert_eq!(key, "redis.tls_key_file");
        let (key, _) = key_and_reason(&redis(none, none, &f.key));
        assert_eq!(key, "redis.tls_cert_file");
        let (key, reason) = key_and_reason(&redis(none, &f.cert, &f.ca));
        assert_eq!(key, "redis.tls_key_file");
        assert!(reason.starts_with("no PEM private key"), "{reason}");
        let (key, reason) = key_and_reason(&redis(none, &f.key, &f.key));
        assert_eq!(key, "redis.tls_cert_file", "{reason}");
        let (key, reason) = key_and_reason(&redis(none, &f.cert, &f.other_key));
        assert_eq!(key, "redis.tls_key_file", "{reason}");
    }

    #[test]
    fn tls_files_need_a_rediss_url() {
        let f = files();
        let mut config = redis(&f.ca, Path::new(""), Path::new(""));
        config.url = "redis://127.0.0.1:6379".to_owned();
        assert_eq!(key_and_reason(&config), ("redis.tls_ca_file", NEEDS_REDISS.to_owned()));
    }
}
