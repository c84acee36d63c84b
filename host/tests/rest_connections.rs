//! The REST API bounds its connections (docs/REFERENCE.md section 4: "Slow or idle connections are closed;
//! the number of open connections is bounded"), with the real binary and raw sockets:
//! - a client that sends half a request head and stalls is disconnected after
//!   `api.header_timeout_secs`, and so is one that sends nothing, or stays idle after a response;
//! - a request body that stalls, or trickles in too slowly, is cut after `api.body_timeout_secs`
//!   with a 408 in the API's error shape, and starts nothing;
//! - above `api.max_connections` a connection is not served: it waits (in the accept queue) and
//!   is served once another closes.
//!
//! Timeouts here are 1 s; the tests only wait generously for what must happen, never assert how
//! fast it happened.

mod support;

use std::{
    io::{ErrorKind, Read, Write},
    net::TcpStream,
    thread,
    time::{Duration, Instant},
};

use support::*;

/// Longer than any timeout configured here, by far.
const PATIENCE: Duration = Duration::from_secs(15);

/// A worker without Redis whose `[api]` section is `api`. The harness's own health check would
/// keep a pooled connection open, so readiness is awaited here, on connections that close.
fn worker(api: &str) -> Worker {
    let mut worker = Worker::spawn("redis://127.0.0.1:1", &format!("[redis]\nenabled = false\n[api]\n{api}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(worker.is_running(), "the worker exited:\n{}", worker.log());
        if let Ok(mut stream) = connect(&worker) {
            let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: meetbot\r\nConnection: close\r\n\r\n");
            if read_until_closed(&mut stream, Duration::from_secs(5)).is_some_and(|text| text.contains(" 200 ")) {
                return worker;
            }
        }
        assert!(Instant::now() < deadline, "the worker did not answer /health:\n{}", worker.log());
        thread::sleep(Duration::from_millis(50));
    }
}

fn connect(worker: &Worker) -> std::io::Result<TcpStream> {
    TcpStream::connect(("127.0.0.1", worker.api_port))
}

/// Everything the server sends until it closes the connection; `None` if it is still open after
/// `within`.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let deadline = Instant::now() + within;
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        stream.set_read_timeout(Some(left.max(Duration::from_millis(1)))).expect("read timeout");
        match stream.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&received).into_owned()),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return None,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                return Some(String::from_utf8_lossy(&received).into_owned());
            }
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// One keep-alive response: its head and a `Content-Length` body.
fn read_response(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(PATIENCE)).expect("read timeout");
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    while !received.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("a response");
        assert!(n == 1, "closed mid-response: {:?}", String::from_utf8_lossy(&received));
        received.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&received).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Content-Length in {head}"));
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("the body");
    head + &String::from_utf8_lossy(&body)
}

#[test]
fn a_half_sent_header_is_cut_off() {
    let worker = worker("header_timeout_secs = 1");
    let mut stream = connect(&worker).expect("connect");
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: meetbot\r\nX-Slow: ").expect("half a head");
    let closed = read_until_closed(&mut stream, PATIENCE);
    let text = closed.unwrap_or_else(|| panic!("a half-sent head held the connection for {PATIENCE:?}"));
    assert!(!text.contains(" 200 "), "a half-sent head was answered: {text}");

    let mut silent = connect(&worker).expect("connect");
    assert!(read_until_closed(&mut silent, PATIENCE).is_some(), "a connection that sends nothing stays open");
}

#[test]
fn an_idle_keep_alive_connection_is_closed() {
    let worker = worker("header_timeout_secs = 1");
    let mut stream = connect(&worker).expect("connect");
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: meetbot\r\n\r\n").expect("request");
    let response = read_response(&mut stream);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(!response.to_ascii_lowercase().contains("connection: close"), "kept alive at first: {response}");
    let rest = read_until_closed(&mut stream, PATIENCE);
    assert_eq!(rest.as_deref(), Some(""), "an idle keep-alive connection is closed, with nothing more sent");
}

#[test]
fn a_stalled_or_trickling_body_is_cut_with_408() {
    let worker = worker("body_timeout_secs = 1");
    let head =
        "POST /v1/jobs HTTP/1.1\r\nHost: meetbot\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n";

    let mut stalled = connect(&worker).expect("connect");
    stalled.write_all(head.as_bytes()).expect("head");
    stalled.write_all(br#"{"url": "https://script.test/"#).expect("part of the body");
    let text = read_until_closed(&mut stalled, PATIENCE).expect("a stalled body is cut");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.ends_with(r#"{"success":false,"error":"request body not received within 1 s"}"#), "{text}");

    // Bytes keep coming, one every 200 ms, but the whole body is not there within the second.
    let mut trickling = connect(&worker).expect("connect");
    trickling.write_all(head.as_bytes()).expect("head");
    trickling.set_read_timeout(Some(Duration::from_millis(200))).expect("read timeout");
    let started = Instant::now();
    let mut answer = Vec::new();
    while started.elapsed() < PATIENCE {
        if trickling.write_all(b" ").is_err() {
            break;
        }
        let mut buf = [0u8; 1024];
        match trickling.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "a trickling body is cut too: {answer:?}");

    let mut check = connect(&worker).expect("connect");
    check.write_all(b"GET /isbusy HTTP/1.1\r\nHost: meetbot\r\nConnection: close\r\n\r\n").expect("request");
    let busy = read_until_closed(&mut check, PATIENCE).expect("answered");
    assert!(busy.ends_with(r#"{"success":true,"data":0}"#), "nothing was started: {busy}");
}

#[test]
fn connections_above_the_limit_wait_until_others_close() {
    let worker = worker("max_connections = 2\nheader_timeout_secs = 60");
    // Two keep-alive connections, each served once so that it surely holds a slot.
    let mut held: Vec<TcpStream> = (0..2).map(|_| connect(&worker).expect("connect")).collect();
    for stream in &mut held {
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: meetbot\r\n\r\n").expect("request");
        assert!(read_response(stream).starts_with("HTTP/1.1 200"));
    }

    let mut third = connect(&worker).expect("the kernel still completes the handshake");
    third.write_all(b"GET /health HTTP/1.1\r\nHost: meetbot\r\nConnection: close\r\n\r\n").expect("request");
    let waiting = read_until_closed(&mut third, Duration::from_secs(2));
    assert!(waiting.is_none(), "a third connection was served (or closed) at the limit: {waiting:?}");

    drop(held);
    let served = read_until_closed(&mut third, PATIENCE).expect("served once the others closed");
    assert!(served.starts_with("HTTP/1.1 200") && served.contains("healthy"), "{served}");
}
