//! `willis serve` as a user starts it: the binary listens, answers the health
//! check, serves the sign-in page and the stateless assessment, shares the
//! journal file with the other commands, and stops cleanly on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use common::{ok, sample, willis};

/// A running server, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `willis serve` on a free port with the journal at `db`, and waits
/// for the line that says where it runs.
fn serve(db: &str, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--db", db, "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut child = willis(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("willis serve starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("willis serve says where it runs before exiting")
            .unwrap();
        if let Some(rest) = line.strip_prefix("Willis is running at ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}

/// One HTTP/1.1 request; the status and the body.
fn http(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_answers_health_pages_and_the_stateless_assessment() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/willis.db", dir.path().display());
    let server = serve(&db, &[]);
    let (status, body) = http(&server.base, "GET", "/healthz", "");
    assert_eq!((status, body.trim()), (200, "ok"));
    let (status, body) = http(&server.base, "GET", "/signin", "");
    assert_eq!(status, 200);
    assert!(body.contains("<form"), "{body}");
    let record = std::fs::read_to_string(sample("typical-low-ferritin.json")).unwrap();
    let (status, body) = http(&server.base, "POST", "/api/v1/assess", &record);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("willis-assessment/1"), "{body}");
    let (status, body) = http(&server.base, "GET", "/api/v1/openapi.json", "");
    assert_eq!(status, 200);
    assert!(body.contains("\"openapi\":\"3.1"), "{body}");
}

#[test]
fn the_web_app_and_the_command_line_share_one_journal() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/willis.db", dir.path().display());
    ok(&mut willis(&[
        "--db",
        &db,
        "log",
        "condition",
        "peripheral-neuropathy",
    ]));
    let server = serve(&db, &[]);
    let (status, body) = http(
        &server.base,
        "POST",
        "/api/v1/signup",
        r#"{"username":"ana","password":"a long pass phrase"}"#,
    );
    assert_eq!(status, 201, "{body}");
    // The command line's own user has no password: nobody can sign in as it.
    let (status, _) = http(
        &server.base,
        "POST",
        "/api/v1/login",
        r#"{"username":"local","password":"a long pass phrase"}"#,
    );
    assert_eq!(status, 401);
}

#[test]
fn sign_up_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/willis.db", dir.path().display());
    let server = serve(&db, &["--no-signup"]);
    let (status, body) = http(
        &server.base,
        "POST",
        "/api/v1/signup",
        r#"{"username":"ana","password":"a long pass phrase"}"#,
    );
    assert_eq!(status, 403, "{body}");
}

#[test]
fn a_bad_public_url_or_address_is_a_clear_error() {
    let out = willis(&["serve", "--public-url", "example.org"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--public-url"), "{err}");
    let out = willis(&["serve", "--addr", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--addr"), "{err}");
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/willis.db", dir.path().display());
    let mut server = serve(&db, &[]);
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// Starts `willis serve` expecting it to fail before listening; its stderr.
fn serve_fails(extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/willis.db", dir.path().display());
    let mut args = vec!["serve", "--db", &db, "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let out = willis(&args).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("Willis is running at"), "{err}");
    err
}

#[test]
fn cds_hooks_are_refused_until_configured_and_open_with_a_loud_warning() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/willis.db", dir.path().display());
    let server = serve(&db, &[]);
    let (status, body) = http(&server.base, "GET", "/cds-services", "");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("OperationOutcome"), "{body}");
    drop(server);

    // The warning is printed before the address line.
    let mut child = willis(&[
        "serve",
        "--db",
        &db,
        "--addr",
        "127.0.0.1:0",
        "--cds-insecure-no-auth",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut before = Vec::new();
    let base = loop {
        let line = lines.next().expect("willis serve starts").unwrap();
        if let Some(rest) = line.strip_prefix("Willis is running at ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        before.push(line);
    };
    std::thread::spawn(move || for _ in lines {});
    let server = Server { child, base };
    let warning = before.join("\n");
    assert!(warning.contains("NOT authenticated"), "{warning}");
    assert!(before.len() >= 3, "a multi-line warning: {warning}");
    let (status, body) = http(&server.base, "GET", "/cds-services", "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("willis-rls-patient-view"), "{body}");
}

#[test]
fn cds_flags_are_checked_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("trust.json");
    std::fs::write(&trust, r#"{"issuers": []}"#).unwrap();
    let trust = trust.display().to_string();
    let err = serve_fails(&["--cds-trust", &trust, "--cds-insecure-no-auth"]);
    assert!(
        err.contains("--cds-insecure-no-auth") && err.contains("--cds-trust"),
        "{err}"
    );
    let missing = dir.path().join("missing.json").display().to_string();
    let err = serve_fails(&["--cds-trust", &missing]);
    assert!(
        err.contains("--cds-trust") && err.contains("missing.json"),
        "{err}"
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"issuers": [{"jwks": {"keys": []}}]}"#).unwrap();
    let err = serve_fails(&["--cds-trust", &bad.display().to_string()]);
    assert!(err.contains("bad.json") && err.contains("iss"), "{err}");
}
