//! `FakeSite` over real HTTPS (no browser): a folder's files at the served host names, its
//! `index.html` for every other path with the query left to the page, the page-event endpoint
//! (bounded), and a refusal for hosts it does not serve.

use std::{net::SocketAddr, time::Duration};

use meetbot_plugin_testkit::{EVENT_PATH, FakeSite, MAX_BODY};

/// The toy platform's pages (tests/toy/pages) and host.
mod toy {
    pub const HOST: &str = "meet.toy.example";
    pub const PAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/toy/pages");
}

/// A client that sends `host` to the site, as Chromium does with the site's resolver rules.
fn client(site: &FakeSite, hosts: &[&str]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().danger_accept_invalid_certs(true).timeout(Duration::from_secs(10));
    for host in hosts {
        builder = builder.resolve(host, SocketAddr::from(([127, 0, 0, 1], site.port())));
    }
    builder.build().expect("client")
}

#[tokio::test]
async fn serves_files_and_the_index_for_every_room() {
    let site = FakeSite::serve_dir(&[toy::HOST], toy::PAGES).expect("site");
    let http = client(&site, &[toy::HOST]);
    let base = format!("https://{}:{}", toy::HOST, site.port());
    let script = http.get(format!("{base}/toy.js")).send().await.expect("script");
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(script.headers()["cache-control"], "no-store");
    for room in ["/weekly-sync?scenario=denied", "/", "/a/b/c", "/../../etc/passwd"] {
        let page = http.get(format!("{base}{room}")).send().await.expect("page");
        assert_eq!(page.status(), 200, "{room}");
        assert!(page.text().await.expect("body").contains("<title>Toy Meet</title>"), "{room}");
    }
    assert_eq!(
        site.chromium_args(),
        [
            format!("--host-resolver-rules=MAP {} 127.0.0.1:{}", toy::HOST, site.port()),
            "--ignore-certificate-errors".to_owned()
        ]
    );
}

#[tokio::test]
async fn keeps_page_events_and_refuses_bad_or_big_ones() {
    let site = FakeSite::serve_router(&["meet.example.com", "*.example.org"], axum::Router::new()).expect("site");
    let http = client(&site, &["meet.example.com", "us05web.example.org"]);
    let post =
        |host: &str, body: String| http.post(format!("https://{host}:{}{EVENT_PATH}", site.port())).body(body).send();
    let ok = post("meet.example.com", r#"{"kind":"join_asked","detail":"Notes Bot"}"#.to_owned()).await.expect("post");
    assert_eq!(ok.status(), 204);
    let waiting = site.wait_page_event("leave_clicked", Duration::from_secs(5));
    let (event, posted) = tokio::join!(waiting, post("us05web.example.org", r#"{"kind":"leave_clicked"}"#.to_owned()));
    assert_eq!(posted.expect("post").status(), 204);
    assert_eq!(event.expect("arrived").detail, "");
    assert_eq!(post("meet.example.com", "not json".to_owned()).await.expect("post").status(), 400);
    let big = format!(r#"{{"kind":"x","detail":"{}"}}"#, "a".repeat(MAX_BODY));
    assert_eq!(post("meet.example.com", big).await.expect("post").status(), 413);
    let kinds: Vec<String> = site.page_events().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["join_asked", "leave_clicked"]);
    assert!(site.wait_page_event("never", Duration::from_millis(50)).await.is_none());
}

#[tokio::test]
async fn refuses_hosts_it_does_not_serve() {
    let site = FakeSite::serve_router(&["meet.example.com"], axum::Router::new()).expect("site");
    let http = client(&site, &["other.example.com", "example.com"]);
    for host in ["other.example.com", "example.com"] {
        let response = http.get(format!("https://{host}:{}/room", site.port())).send().await.expect("get");
        assert_eq!(response.status(), 421, "{host}");
    }
    assert!(FakeSite::serve_dir(&["meet.example.com"], "/nonexistent").is_err());
    assert!(FakeSite::serve_router(&["not a host"], axum::Router::new()).is_err());
}
