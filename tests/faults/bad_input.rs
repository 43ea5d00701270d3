//! Bad input, everywhere: every bad file in the corpus, a truncated PDF,
//! random bytes behind a `%PDF-` header, a decompression bomb, a 100-level
//! nested object, an over-limit upload, and malformed headers, bodies, paths
//! and queries on every endpoint. Each gets its clear error (JSON, the right
//! status and code, checked against the OpenAPI document by the client),
//! the worker keeps serving, and jobs submitted around the sweep complete
//! with the right result.

use std::time::Duration;

use docket_tests::expect::{Outcome, Sample, check, corpus_samples};
use shared::contract::api::Job;

use crate::pdfs;
use crate::support::{Client, max_upload_bytes, raw_request};

const WAIT: Duration = Duration::from_secs(120);

fn result(client: &Client, job: &Job) -> Option<serde_json::Value> {
    let answer = client.call_any("GET", &format!("/api/v1/jobs/{}/result", job.id));
    (answer.status == 200).then(|| answer.json())
}

fn ends_as_expected(client: &Client, sample: &Sample) {
    if sample.outcome == Outcome::Refused {
        let answer = client.call(
            "POST",
            &format!("/api/v1/jobs?filename={}", sample.name),
            Some(&sample.bytes),
            &[("content-type", "application/pdf")],
            415,
        );
        assert_eq!(answer.error_code(), "not_a_pdf");
        return;
    }
    let job = client.submit(&sample.bytes, &sample.name);
    let done = client.wait_terminal(&job.id, WAIT);
    check(&done, result(client, &done).as_ref(), &sample.outcome)
        .unwrap_or_else(|e| panic!("{}: {e}", sample.name));
}

#[test]
fn bad_documents_end_in_their_error_and_nothing_else_is_affected() {
    let client = Client::owner();
    let good = Sample::load(
        &docket_tests::expect::corpus_dir().join("pdfplumber-nics-background-checks-2015-11.pdf"),
    );
    let before = client.submit(&good.bytes, "before.pdf");

    // The corpus's bad files: each with the code the engine gives it.
    let bad: Vec<Sample> = corpus_samples(u64::MAX)
        .into_iter()
        .filter(|s| matches!(s.outcome, Outcome::Error(_) | Outcome::Refused))
        .collect();
    assert!(
        bad.len() >= 2,
        "the corpus has its encrypted and empty files"
    );
    let truncated = Sample::generated("truncated.pdf", good.bytes[..good.bytes.len() / 2].to_vec());
    let random = Sample::generated("random.pdf", pdfs::random_with_header(20_000, 7));
    let bomb = Sample::generated("bomb.pdf", pdfs::decompression_bomb(64 << 20));
    // 100 levels in all (the page and its resources are two): lopdf's
    // parser reads up to 100; far deeper must fail cleanly, not overflow.
    let nested = Sample::generated("nested.pdf", pdfs::nested(98));
    let abyss = Sample::generated("abyss.pdf", pdfs::nested(100_000));
    assert_eq!(bomb.outcome, Outcome::Error("too_large".into()));
    assert!(matches!(random.outcome, Outcome::Error(_)));
    assert!(
        matches!(abyss.outcome, Outcome::Error(_)),
        "{:?}",
        abyss.outcome
    );
    assert!(
        matches!(
            nested.outcome,
            Outcome::Completed {
                numbers_found: 3,
                ..
            }
        ),
        "{:?}",
        nested.outcome
    );
    for sample in bad
        .iter()
        .chain([&truncated, &random, &bomb, &nested, &abyss])
    {
        ends_as_expected(&client, sample);
        println!("{}: {:?}", sample.name, sample.outcome);
    }

    // The jobs around the sweep complete with the right result.
    let after = client.submit(&good.bytes, "after.pdf");
    for job in [before, after] {
        let done = client.wait_terminal(&job.id, WAIT);
        check(&done, result(&client, &done).as_ref(), &good.outcome)
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn an_upload_over_the_limit_is_413_and_the_server_keeps_serving() {
    let client = Client::owner();
    let limit = max_upload_bytes() as usize;
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(limit + 1, b' ');
    let answer = client.call(
        "POST",
        "/api/v1/jobs?filename=big.pdf",
        Some(&big),
        &[("content-type", "application/pdf")],
        413,
    );
    assert_eq!(answer.error_code(), "payload_too_large");
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&limit.to_string())
                || m.contains("MiB")
                || m.contains("MB"))
    );
    // Nothing was stored.
    let listed = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    assert_eq!(listed["jobs"].as_array().map(Vec::len), Some(0));
    client.call("GET", "/api/v1/health", None, &[], 200);
}

/// Every endpoint, with the headers a broken or hostile client sends.
#[test]
fn malformed_headers_bodies_paths_and_queries_get_clear_errors_on_every_endpoint() {
    let client = Client::owner();
    let job = client.submit(
        &crate::support::corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "target.pdf",
    );
    let id = job.id.as_str();
    let endpoints: Vec<(&str, String)> = vec![
        ("GET", "/api/v1/jobs".into()),
        ("POST", "/api/v1/jobs?filename=a.pdf".into()),
        ("GET", format!("/api/v1/jobs/{id}")),
        ("DELETE", format!("/api/v1/jobs/{id}")),
        ("GET", format!("/api/v1/jobs/{id}/result")),
        ("GET", "/api/v1/webhook-secret".into()),
        ("POST", "/api/v1/webhook-secret/rotate".into()),
        ("POST", "/api/v1/events/ticket".into()),
        ("GET", "/api/v1/events".into()),
    ];
    let anonymous = Client::anonymous();
    let bad_auth = [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer dkt_",
        "Bearer dkt_not-a-real-token",
        "Bearer dkt_\"quoted\"",
        "Token abc",
    ];
    for (method, path) in &endpoints {
        // The event stream is a WebSocket first: without an upgrade it is 426
        // whatever the token (tests/e2e/events.rs refuses bad tokens at the
        // handshake).
        if path.ends_with("/events") {
            let answer =
                anonymous.call_any_with(method, path, None, &[("authorization", "Bearer")]);
            assert_eq!(answer.status, 426, "{answer:?}");
            continue;
        }
        for auth in bad_auth {
            let answer = anonymous.call_any_with(
                method,
                path,
                Some(b"%PDF-1.7"),
                &[("authorization", auth)],
            );
            assert_eq!(
                answer.status, 401,
                "{method} {path} with {auth:?}: {answer:?}"
            );
            assert_eq!(answer.error_code(), "unauthorized");
        }
        // Without a token at all.
        let answer = anonymous.call_any(method, path);
        assert_eq!(answer.status, 401, "{method} {path}: {answer:?}");
    }
    // Raw requests a normal client will not send: non-ASCII and control bytes
    // in the token, a path that climbs, a path of 10,000 characters.
    for head in [
        "GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dkt_\u{e9}\u{e9}\r\nConnection: close\r\n\r\n".to_owned(),
        "GET /api/v1/jobs/../tokens HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_owned(),
        format!(
            "GET /api/v1/jobs/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "a".repeat(10_000)
        ),
    ] {
        let (status, text) = raw_request(&head, b"");
        assert!(
            matches!(status, 400 | 401 | 404 | 405 | 414 | 431),
            "{status}: {text}"
        );
        if status < 414 {
            assert!(text.contains("\"error\""), "not a JSON error: {text}");
        }
    }
    // Malformed paths and queries, with a valid token.
    for (path, status, code) in [
        ("/api/v1/jobs/%ZZ".to_owned(), 404, "not_found"),
        ("/api/v1/jobs/not-a-uuid".to_owned(), 404, "not_found"),
        (format!("/api/v1/jobs/{id}/result/extra"), 404, "not_found"),
        (
            format!("/api/v1/jobs/{}", "9".repeat(2000)),
            404,
            "not_found",
        ),
        ("/api/v1/jobs?limit=abc".to_owned(), 400, "bad_request"),
        ("/api/v1/jobs?limit=0".to_owned(), 400, "bad_request"),
        ("/api/v1/jobs?limit=-5".to_owned(), 400, "bad_request"),
        ("/api/v1/jobs?state=done".to_owned(), 400, "bad_request"),
        ("/api/v1/jobs?cursor=%00%FF".to_owned(), 400, "bad_request"),
        (format!("/api/v1/jobs/{id}?wait=soon"), 400, "bad_request"),
        (format!("/api/v1/jobs/{id}?wait=-1"), 400, "bad_request"),
        (
            format!("/api/v1/jobs/{id}/result?format=xml"),
            400,
            "bad_request",
        ),
    ] {
        let answer = client.call_any("GET", &path);
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (status, code),
            "GET {path}"
        );
    }
    // Bad headers with a valid token.
    for (headers, status, code) in [
        (
            vec![("idempotency-key", "has spaces in it")],
            400,
            "bad_request",
        ),
        (vec![("idempotency-key", "")], 400, "bad_request"),
    ] {
        let answer = client.call_any_with(
            "POST",
            "/api/v1/jobs?filename=k.pdf",
            Some(b"%PDF-1.7\n"),
            &headers,
        );
        assert_eq!(
            (answer.status, answer.error_code().as_str()),
            (status, code),
            "{headers:?}"
        );
    }
    let long_key = "k".repeat(300);
    let answer = client.call_any_with(
        "POST",
        "/api/v1/jobs?filename=k.pdf",
        Some(b"%PDF-1.7\n"),
        &[("idempotency-key", &long_key)],
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    // A garbage If-None-Match is simply a different version.
    client.call(
        "GET",
        &format!("/api/v1/jobs/{id}"),
        None,
        &[("if-none-match", "garbage, W/\"x\", \"")],
        200,
    );
    // JSON (malformed or not) where a PDF belongs is not a PDF; on body-less
    // endpoints a body is ignored.
    let answer = client.call_any_with(
        "POST",
        "/api/v1/jobs?filename=j.pdf",
        Some(b"{\"not\": json"),
        &[("content-type", "application/json")],
    );
    assert_eq!(
        (answer.status, answer.error_code().as_str()),
        (415, "not_a_pdf")
    );
    for path in ["/api/v1/events/ticket", "/api/v1/tokens"] {
        let answer = client.call_any_with(
            "POST",
            path,
            Some(b"{\"broken"),
            &[("content-type", "application/json")],
        );
        assert_eq!(answer.status, 201, "POST {path}: {answer:?}");
    }
    // A bad filename and a bad callback URL.
    let answer = client.call_any_with(
        "POST",
        "/api/v1/jobs?filename=..%2F..%2Fetc",
        Some(b"%PDF-1.7\n"),
        &[],
    );
    assert_eq!(
        (answer.status, answer.error_code().as_str()),
        (400, "invalid_filename")
    );
    let answer = client.call_any_with(
        "POST",
        "/api/v1/jobs?filename=c.pdf&callback_url=javascript%3Aalert(1)",
        Some(b"%PDF-1.7\n"),
        &[],
    );
    assert_eq!(
        (answer.status, answer.error_code().as_str()),
        (400, "invalid_callback_url")
    );

    // Still serving, and the job from the start is fine.
    client.call("GET", "/api/v1/health", None, &[], 200);
    let done = client.wait_terminal(id, WAIT);
    assert_eq!(
        done.state(),
        shared::contract::api::JobState::Completed,
        "{done:?}"
    );
}
