//! A real S3-compatible server for the tests: `moto_server` from the virtualenv `scripts/test-all`
//! creates at `tests/.venv`, on a free local port, killed on drop. Objects are read back with
//! requests signed here (AWS Signature V4, written independently of the worker's S3 client).

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::{RT, free_port, tail};

/// The credentials and region the tests give the worker (moto accepts any).
pub const ACCESS_KEY_ID: &str = "test";
/// See [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "test";
/// See [`ACCESS_KEY_ID`].
pub const REGION: &str = "us-east-1";

/// `<repo>/tests/.venv/bin/moto_server`; panics with what to do when it is missing.
pub fn moto_server_bin() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository holds host/");
    let path = repo.join("tests/.venv/bin/moto_server");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test-all once (it creates the virtualenv tests/.venv with \
         `python3 -m venv tests/.venv && tests/.venv/bin/pip install 'moto[server]'`)",
        path.display()
    );
    path
}

/// An object as read back from the server.
#[derive(Debug, Clone)]
pub struct Object {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its ETag, quotes removed (`<md5>-<parts>` for a multipart upload).
    pub etag: String,
}

/// A running `moto_server`.
pub struct Moto {
    /// Its port.
    pub port: u16,
    child: Option<Child>,
    dir: TempDir,
    http: reqwest::Client,
}

impl Moto {
    /// Starts `moto_server` on a free port and waits until it answers.
    pub fn start() -> Self {
        let bin = moto_server_bin();
        let http = {
            let _guard = RT.enter();
            reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("http client")
        };
        let mut last_log = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir");
            let port = free_port();
            let log = File::create(dir.path().join("moto.log")).expect("moto log");
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
            let mut moto = Moto { port, child: Some(child), dir, http: http.clone() };
            if moto.wait_ready(Duration::from_secs(20)) {
                return moto;
            }
            last_log = moto.log();
        }
        panic!("moto_server did not start\n--- its log ---\n{}", tail(&last_log, 40));
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                return false;
            }
            if self.request("GET", "/", &[]).is_some_and(|(status, _, _)| status == 200) {
                return true;
            }
            thread::sleep(Duration::from_millis(100));
        }
        false
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `http://127.0.0.1:<port>`, for `storage.s3.endpoint`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// Creates a bucket (a plain PUT, which moto takes).
    pub fn create_bucket(&self, bucket: &str) {
        let (status, _, body) =
            self.request("PUT", &format!("/{bucket}"), &[]).unwrap_or_else(|| panic!("moto did not answer"));
        assert_eq!(status, 200, "create bucket {bucket}: {}", String::from_utf8_lossy(&body));
    }

    /// An object, read with a signed GET; `None` when it does not exist.
    pub fn get(&self, bucket: &str, key: &str) -> Option<Object> {
        let (status, etag, bytes) =
            self.request("GET", &format!("/{bucket}/{key}"), &[]).unwrap_or_else(|| panic!("moto did not answer"));
        match status {
            200 => Some(Object { bytes, etag }),
            404 => None,
            _ => panic!("GET /{bucket}/{key}: HTTP {status}: {}", String::from_utf8_lossy(&bytes)),
        }
    }

    /// The keys in a bucket (ListObjectsV2, first page).
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let (status, _, body) = self
            .request("GET", &format!("/{bucket}"), &[("list-type", "2")])
            .unwrap_or_else(|| panic!("moto did not answer"));
        let text = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(status, 200, "list {bucket}: {text}");
        text.split("<Key>").skip(1).filter_map(|rest| rest.split("</Key>").next()).map(str::to_owned).collect()
    }

    /// Unfinished multipart uploads in a bucket (ListMultipartUploads), as their keys.
    pub fn pending_multipart_uploads(&self, bucket: &str) -> Vec<String> {
        let (status, _, body) = self
            .request("GET", &format!("/{bucket}"), &[("uploads", "")])
            .unwrap_or_else(|| panic!("moto did not answer"));
        let text = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(status, 200, "list multipart uploads of {bucket}: {text}");
        text.split("<Upload>")
            .skip(1)
            .filter_map(|u| u.split("<Key>").nth(1))
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }

    /// A SigV4-signed request with an empty body: `(status, etag, body)`, or `None` when the
    /// server did not answer.
    fn request(&self, method: &str, path: &str, query: &[(&str, &str)]) -> Option<(u16, String, Vec<u8>)> {
        let host = format!("127.0.0.1:{}", self.port);
        let now = chrono::Utc::now();
        let (amz_date, date) = (now.format("%Y%m%dT%H%M%SZ").to_string(), now.format("%Y%m%d").to_string());
        let payload_hash = hex(&Sha256::digest(b""));
        let mut pairs: Vec<(String, String)> = query.iter().map(|(k, v)| (encode(k, true), encode(v, true))).collect();
        pairs.sort();
        let canonical_query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let canonical_query = canonical_query.join("&");
        let canonical_path = encode(path, false);
        let signed_headers = "host;x-amz-content-sha256;x-amz-date";
        let canonical_request = format!(
            "{method}\n{canonical_path}\n{canonical_query}\nhost:{host}\nx-amz-content-sha256:{payload_hash}\n\
             x-amz-date:{amz_date}\n\n{signed_headers}\n{payload_hash}"
        );
        let scope = format!("{date}/{REGION}/s3/aws4_request");
        let string_to_sign =
            format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical_request.as_bytes())));
        let mut key = hmac(format!("AWS4{SECRET_ACCESS_KEY}").as_bytes(), date.as_bytes());
        for part in [REGION, "s3", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
        );
        let url = if canonical_query.is_empty() {
            format!("http://{host}{canonical_path}")
        } else {
            format!("http://{host}{canonical_path}?{canonical_query}")
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let request = self
            .http
            .request(method, url)
            .header("x-amz-date", amz_date)
            .header("x-amz-content-sha256", payload_hash)
            .header("authorization", authorization);
        RT.block_on(async move {
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            let etag = response
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned();
            let body = response.bytes().await.ok()?.to_vec();
            Some((status, etag, body))
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() {
            eprintln!("--- moto_server log (last 30 lines) ---\n{}", tail(&self.log(), 30));
        }
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SigV4 URI encoding: everything but unreserved characters (and `/` in paths) as `%XX`.
fn encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
