//! Redis as production runs it: a `redis-server` with a TLS port whose certificate a private CA
//! made by the test signed, and ACL users.
//!
//! The server also listens on a plain port for the test itself: [`TlsRedis::server`] is an
//! ordinary [`RedisServer`] on that port, as the `default` user, so every harness helper (records,
//! lists, waits) works unchanged while the worker under test goes through TLS or a restricted user.
//! Certificates and keys are generated per test into a temporary folder; none is ever committed.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::Mutex,
    thread,
    time::{Duration, Instant},
};

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

use super::{RedisServer, free_port};

/// The password the tests give ACL users.
pub const PASSWORD: &str = "s3cret-acl-pass";

/// DER as PEM text.
fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A certificate authority made for one test.
pub struct TestCa {
    key: KeyPair,
    params: CertificateParams,
    /// Its certificate, PEM.
    pub cert_pem: String,
}

/// A certificate and its key, PEM.
pub struct Issued {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key (PKCS#8).
    pub key_pem: String,
}

impl TestCa {
    /// A new self-signed CA named `name`.
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("CA certificate");
        Self { cert_pem: pem("CERTIFICATE", cert.der()), key, params }
    }

    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Issued {
        let key = KeyPair::generate().expect("key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).expect("params");
        params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("client"));
        params.extended_key_usages = vec![usage];
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("signed certificate");
        Issued { cert_pem: pem("CERTIFICATE", cert.der()), key_pem: pem("PRIVATE KEY", &key.serialize_der()) }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    pub fn server_certificate(&self) -> Issued {
        self.issue(&["127.0.0.1", "localhost"], ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate.
    pub fn client_certificate(&self) -> Issued {
        self.issue(&["meetbot-worker"], ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// Whether the TLS port wants a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCertificates {
    /// `--tls-auth-clients no`.
    NotAsked,
    /// `--tls-auth-clients yes`: signed by the server's CA.
    Required,
}

/// A `redis-server` with a TLS port (and a plain one for the test).
pub struct TlsRedis {
    /// The plain port, as `default`: for the test's own reads and writes.
    pub server: RedisServer,
    /// The TLS port.
    pub tls_port: u16,
    /// The CA that signed the server's certificate (and accepts client certificates).
    pub ca: TestCa,
    files: TempDir,
}

impl TlsRedis {
    /// Starts a server whose TLS certificate `ca` signed.
    pub fn start(ca: TestCa, clients: ClientCertificates) -> Self {
        let files = tempfile::tempdir().expect("tempdir");
        let server_cert = ca.server_certificate();
        let write = |name: &str, text: &str| {
            let path = files.path().join(name);
            std::fs::write(&path, text).expect("write a TLS file");
            path
        };
        let cert = write("server.pem", &server_cert.cert_pem);
        let key = write("server.key", &server_cert.key_pem);
        let ca_file = write("server-ca.pem", &ca.cert_pem);
        let auth_clients = if clients == ClientCertificates::Required { "yes" } else { "no" };
        for _ in 0..5 {
            let (port, tls_port) = (free_port(), free_port());
            let dir = tempfile::tempdir().expect("tempdir");
            let log = File::create(dir.path().join("redis.log")).expect("redis log");
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--tls-port", &tls_port.to_string()])
                .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
                .arg("--tls-cert-file")
                .arg(&cert)
                .arg("--tls-key-file")
                .arg(&key)
                .arg("--tls-ca-cert-file")
                .arg(&ca_file)
                .args(["--tls-auth-clients", auth_clients])
                .arg("--dir")
                .arg(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("spawn redis-server (is it installed?)");
            let mut server = RedisServer { port, password: None, child: Some(child), dir, conn: Mutex::new(None) };
            if answers(&mut server) {
                return Self { server, tls_port, ca, files };
            }
        }
        panic!("could not start redis-server with TLS (does this redis-server support --tls-port?)");
    }

    /// `rediss://[user:password@]127.0.0.1:<tls port>`.
    pub fn rediss_url(&self, user: Option<&str>) -> String {
        match user {
            Some(user) => format!("rediss://{user}:{PASSWORD}@127.0.0.1:{}", self.tls_port),
            None => format!("rediss://127.0.0.1:{}", self.tls_port),
        }
    }

    /// Writes `text` into the test's TLS folder; its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, text).expect("write a TLS file");
        path
    }

    /// The server's CA as a file, for `redis.tls_ca_file`.
    pub fn ca_file(&self) -> PathBuf {
        self.file("ca.pem", &self.ca.cert_pem)
    }
}

/// Waits until the freshly spawned server answers PING on its plain port; false when it exited
/// (a port taken meanwhile) or never answered.
fn answers(server: &mut RedisServer) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(Ok(Some(_))) = server.child.as_mut().map(std::process::Child::try_wait) {
            server.child = None;
            return false;
        }
        if server.ping() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    server.kill9();
    false
}

/// A config value naming a file, for a TOML overlay.
pub fn toml_path(path: &Path) -> String {
    toml::Value::String(path.display().to_string()).to_string()
}

// ---------------------------------------------------------------------------------------------
// ACL users
// ---------------------------------------------------------------------------------------------

/// The rules of the `ACL SETUSER meetbot ...` line the README documents for the default config,
/// password placeholder and all, split into words.
pub fn documented_rules() -> Vec<String> {
    let readme = include_str!("../../../README.md");
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("ACL SETUSER meetbot "))
        .expect("README.md documents an `ACL SETUSER meetbot ...` line");
    line.split_whitespace().skip(3).map(str::to_owned).collect()
}

/// Creates (or resets) `user` with `rules`, `>PASSWORD` standing for [`PASSWORD`].
pub fn set_user(redis: &RedisServer, user: &str, rules: &[String]) {
    let mut cmd = redis::cmd("ACL");
    cmd.arg("SETUSER").arg(user);
    for rule in rules {
        cmd.arg(if rule == ">PASSWORD" { format!(">{PASSWORD}") } else { rule.clone() });
    }
    let _: () = redis.query(&cmd);
}

/// `redis://user:password@127.0.0.1:<port>`.
pub fn user_url(redis: &RedisServer, user: &str) -> String {
    format!("redis://{user}:{PASSWORD}@127.0.0.1:{}", redis.port)
}
