//! The walking skeleton, end to end: upload → R2/KV → queue → analysis →
//! completed or error, polled over HTTP; and what is refused at the door.

use std::time::Duration;

use sha2::{Digest, Sha256};
use shared::contract::api::JobState;

use crate::support::{Client, corpus, max_upload_bytes, raw_request};

const WAIT: Duration = Duration::from_secs(90);

#[test]
fn health_answers() {
    let answer = Client::anonymous().call("GET", "/api/v1/health", None, &[], 200);
    assert_eq!(answer.json()["status"], "ok");
}

#[test]
fn the_spa_is_served_at_the_root_and_for_client_routes() {
    let client = Client::anonymous();
    for path in ["/", "/jobs/some-id"] {
        let answer = client.call("GET", path, None, &[], 200);
        let html = String::from_utf8_lossy(&answer.body);
        assert!(html.contains("<title>Docket"), "{path}: {html}");
    }
    let unknown_api = client.call("GET", "/api/v1/nope", None, &[], 404);
    assert_eq!(unknown_api.error_code(), "not_found");
}

#[test]
fn a_table_pdf_is_analysed_to_completed_with_its_page_count() {
    let client = Client::owner();
    let bytes = corpus("pdfplumber-nics-background-checks-2015-11.pdf");
    let path = "/api/v1/jobs?filename=nics.pdf";
    let answer = client.call(
        "POST",
        path,
        Some(&bytes),
        &[("content-type", "application/pdf")],
        202,
    );
    let job: shared::contract::api::Job = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(job.state(), JobState::Uploaded);
    assert_eq!(job.filename, "nics.pdf");
    assert_eq!(job.size_bytes, bytes.len() as u64);
    assert_eq!(job.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(
        answer.header("location"),
        Some(format!("/api/v1/jobs/{}", job.id).as_str())
    );
    assert!(answer.header("retry-after").is_some());

    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Completed, "{done:?}");
    assert_eq!(done.attempt, 1);
    assert_eq!(
        done.progress.map(|p| (p.pages_done, p.pages_total)),
        Some((1, 1))
    );

    let result = client.call(
        "GET",
        &format!("/api/v1/jobs/{}/result", job.id),
        None,
        &[],
        200,
    );
    let report = result.json();
    assert_eq!(report["pages"], 1);
    assert_eq!(report["encrypted"], false);
    // pdftotext finds 1,242 numbers in this table; so does the engine.
    assert_eq!(report["numbers"]["found"], 1242);
    let first = &report["benford"]["first_digit"];
    assert_eq!(first["counts"].as_array().map(Vec::len), Some(9));
    // Most of the table's numbers are below 10; some 470 are used.
    assert!(
        first["n"]
            .as_u64()
            .is_some_and(|n| (400..1242).contains(&n)),
        "{first}"
    );
    assert!(
        first["p_value"].as_f64().is_some_and(|p| p < 0.01),
        "{first}"
    );
    // Far beyond chance for 475 numbers, but the excess over what chance
    // gives stays within the marginal bound: Nigrini's raw class says
    // nonconformity, the calibrated headline marginal.
    assert!(
        first["mad_p_value"].as_f64().is_some_and(|p| p < 0.01),
        "{first}"
    );
    assert_eq!(first["nigrini_class"], "nonconformity");
    assert_eq!(first["conformity"], "marginal");
    assert_eq!(first["needed"], 246);
    // 475 numbers are too few for the first two digits (it needs ~1,300).
    assert_eq!(
        report["benford"]["first_two_digits"]["conformity"],
        "insufficient_data"
    );
    assert_eq!(report["per_page"][0]["numbers_found"], 1242);
}

#[test]
fn a_multi_page_report_counts_all_pages() {
    let client = Client::owner();
    let job = client.submit(&corpus("pdfplumber-ca-warn-report.pdf"), "warn.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Completed, "{done:?}");
    let report = client.result(&job.id);
    assert_eq!(report["pages"], 16);
}

#[test]
fn a_password_protected_pdf_ends_in_error_encrypted() {
    let client = Client::owner();
    let job = client.submit(&corpus("pdfplumber-password-example.pdf"), "secret.pdf");
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Error, "{done:?}");
    let error = done.error.expect("a failed job carries its error");
    assert_eq!(error.code.as_str(), "encrypted");
    assert!(error.message.contains("encrypted"));

    // The result endpoint answers with the job's error.
    let answer = client.call(
        "GET",
        &format!("/api/v1/jobs/{}/result", job.id),
        None,
        &[],
        422,
    );
    assert_eq!(answer.error_code(), "encrypted");
    assert_eq!(answer.json()["job"]["state"], "error");
}

#[test]
fn a_non_pdf_is_refused_with_415_and_creates_no_job() {
    let client = Client::owner();
    let answer = client.call(
        "POST",
        "/api/v1/jobs?filename=notes.pdf",
        Some(b"just some text, not a PDF at all"),
        &[("content-type", "application/pdf")],
        415,
    );
    assert_eq!(answer.error_code(), "not_a_pdf");
}

#[test]
fn an_empty_file_is_refused_at_upload() {
    let client = Client::owner();
    let empty = corpus("pdfplumber-empty.pdf");
    assert!(empty.is_empty());
    let answer = client.call("POST", "/api/v1/jobs", Some(&empty), &[], 415);
    assert_eq!(answer.error_code(), "not_a_pdf");
}

#[test]
fn a_bad_filename_is_400() {
    let client = Client::owner();
    let bytes = corpus("pdfminer-issue-886-xref-stream-widths.pdf");
    let answer = client.call(
        "POST",
        "/api/v1/jobs?filename=..%2Fetc%2Fpasswd",
        Some(&bytes),
        &[],
        400,
    );
    assert_eq!(answer.error_code(), "invalid_filename");
}

#[test]
fn an_upload_over_the_limit_is_413_stating_the_limit() {
    let client = Client::owner();
    let limit = max_upload_bytes();
    // The whole body is sent (wrangler's local proxy waits for it); the worker
    // refuses on the declared length without reading it.
    let mut body = b"%PDF-1.4\n".to_vec();
    body.resize(limit as usize + 1, b' ');
    let answer = client.call("POST", "/api/v1/jobs", Some(&body), &[], 413);
    assert_eq!(answer.error_code(), "payload_too_large");
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(&limit.to_string()),
        "the message states the limit: {message}"
    );
}

#[test]
fn a_chunked_upload_without_length_is_411() {
    let client = Client::owner();
    let token = client.token.clone().unwrap();
    let head = format!(
        "POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/pdf\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let (status, text) = raw_request(&head, b"9\r\n%PDF-1.4\n\r\n0\r\n\r\n");
    assert_eq!(status, 411, "{text}");
    assert!(text.contains("length_required"), "{text}");
}

#[test]
fn every_job_endpoint_needs_a_valid_token() {
    let anonymous = Client::anonymous();
    let id = "0f8e3c2a-1b4d-4e5f-9a8b-7c6d5e4f3a2b";
    for (method, path) in [
        ("POST", "/api/v1/jobs".to_owned()),
        ("GET", format!("/api/v1/jobs/{id}")),
        ("GET", format!("/api/v1/jobs/{id}/result")),
    ] {
        let answer = anonymous.call(method, &path, None, &[], 401);
        assert_eq!(answer.error_code(), "unauthorized");
    }
    let mut forged = Client::anonymous();
    forged.token = Some(format!("dkt_{}", "A".repeat(43)));
    let answer = forged.call("GET", &format!("/api/v1/jobs/{id}"), None, &[], 401);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown token")
    );
}

#[test]
fn another_owners_job_is_404() {
    let alice = Client::owner();
    let bob = Client::owner();
    let job = alice.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "a.pdf",
    );
    let answer = bob.call("GET", &format!("/api/v1/jobs/{}", job.id), None, &[], 404);
    assert_eq!(answer.error_code(), "not_found");
    bob.call(
        "GET",
        &format!("/api/v1/jobs/{}/result", job.id),
        None,
        &[],
        404,
    );
    alice.wait_terminal(&job.id, WAIT);
}

#[test]
fn polling_supports_etag_and_304() {
    let client = Client::owner();
    let job = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "x.pdf",
    );
    let done = client.wait_terminal(&job.id, WAIT);
    let path = format!("/api/v1/jobs/{}", done.id);
    let first = client.call("GET", &path, None, &[], 200);
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert!(
        first.header("retry-after").is_none(),
        "no Retry-After once terminal"
    );
    let again = client.call("GET", &path, None, &[("if-none-match", &etag)], 304);
    assert!(again.body.is_empty());
    client.call("GET", &path, None, &[("if-none-match", "\"other\"")], 200);
}

#[test]
fn malformed_job_ids_are_404_not_errors() {
    let client = Client::owner();
    for id in [
        "nope",
        "..%2F..%2Fx",
        "0F8E3C2A-1B4D-4E5F-9A8B-7C6D5E4F3A2B",
    ] {
        let answer = client.call("GET", &format!("/api/v1/jobs/{id}"), None, &[], 404);
        assert_eq!(answer.error_code(), "not_found");
    }
}

#[test]
fn a_deleted_job_is_gone_with_its_result() {
    let alice = Client::owner();
    let bob = Client::owner();
    let job = alice.submit(&corpus("pdfplumber-cupertino_usd_4-6-16.pdf"), "budget.pdf");
    alice.wait_terminal(&job.id, WAIT);
    let path = format!("/api/v1/jobs/{}", job.id);
    // Someone else's job cannot be deleted (or even seen).
    assert_eq!(
        bob.call("DELETE", &path, None, &[], 404).error_code(),
        "not_found"
    );
    let answer = alice.call("DELETE", &path, None, &[], 204);
    assert!(answer.body.is_empty());
    alice.call("GET", &path, None, &[], 404);
    alice.call("GET", &format!("{path}/result"), None, &[], 404);
    alice.call("DELETE", &path, None, &[], 404);
}

#[test]
fn a_job_deleted_while_processing_stays_deleted() {
    let client = Client::owner();
    let job = client.submit(&corpus("samplefiles-GeoTopo-komprimiert.pdf"), "long.pdf");
    let path = format!("/api/v1/jobs/{}", job.id);
    // Delete it once the consumer has picked it up (usually mid-analysis; under
    // load the local isolate may serve this poll only after the analysis).
    let start = std::time::Instant::now();
    while client.job(&job.id).state() == JobState::Uploaded {
        assert!(start.elapsed() < WAIT, "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    client.call("DELETE", &path, None, &[], 204);
    // Give the consumer time to finish whatever it had started.
    std::thread::sleep(Duration::from_secs(6));
    client.call("GET", &path, None, &[], 404);
    client.call("GET", &format!("{path}/result"), None, &[], 404);
}

#[test]
fn the_digit_table_downloads_as_csv() {
    let client = Client::owner();
    let job = client.submit(
        &corpus("pdfplumber-nics-background-checks-2015-11.pdf"),
        "nics.pdf",
    );
    assert_eq!(
        client.wait_terminal(&job.id, WAIT).state(),
        JobState::Completed
    );
    let path = format!("/api/v1/jobs/{}/result", job.id);
    let report = client.call("GET", &path, None, &[], 200).json();
    let csv = client.call("GET", &format!("{path}?format=csv"), None, &[], 200);
    assert!(
        csv.header("content-type")
            .is_some_and(|t| t.starts_with("text/csv"))
    );
    let text = String::from_utf8(csv.body).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], shared::contract::report::DIGIT_TABLE_HEADER);
    assert_eq!(lines.len(), 1 + 9 + 10 + 90 + 900 + 100 + 90);
    let first_counts: Vec<u64> = lines[1..10]
        .iter()
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let json_counts: Vec<u64> =
        serde_json::from_value(report["benford"]["first_digit"]["counts"].clone()).unwrap();
    assert_eq!(first_counts, json_counts);
    let unknown = client.call("GET", &format!("{path}?format=xml"), None, &[], 400);
    assert_eq!(unknown.error_code(), "bad_request");
}

#[test]
fn an_idempotent_submit_returns_the_same_job_and_refuses_a_different_body() {
    let client = Client::owner();
    let bytes = corpus("pdfplumber-la-precinct-bulletin-2014-p1.pdf");
    let path = "/api/v1/jobs?filename=bulletin.pdf";
    let key = [("idempotency-key", "order-42")];
    let first = client.call("POST", path, Some(&bytes), &key, 202);
    let second = client.call("POST", path, Some(&bytes), &key, 202);
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert!(first.header("idempotent-replayed").is_none());

    let other = corpus("pdfplumber-cupertino_usd_4-6-16.pdf");
    let conflict = client.call("POST", path, Some(&other), &key, 409);
    assert_eq!(conflict.error_code(), "conflict");
    // Same bytes under another name is another request too.
    let renamed = client.call(
        "POST",
        "/api/v1/jobs?filename=x.pdf",
        Some(&bytes),
        &key,
        409,
    );
    assert_eq!(renamed.error_code(), "conflict");

    // The key is the owner's own: someone else's same key makes their own job.
    let stranger = Client::owner();
    let theirs = stranger.call("POST", path, Some(&bytes), &key, 202);
    assert_ne!(theirs.json()["id"], first.json()["id"]);

    let id = first.json()["id"].as_str().unwrap().to_owned();
    let done = client.wait_terminal(&id, WAIT);
    assert_eq!((done.state(), done.attempt), (JobState::Completed, 1));
}

/// Regression: a replay kept the quota reservation its upload took, so 20
/// replays filled the active-jobs quota (default 20) for ten minutes.
#[test]
fn idempotent_replays_hold_no_place_in_the_active_jobs_quota() {
    let client = Client::owner();
    let bytes = corpus("pdfminer-issue-886-xref-stream-widths.pdf");
    let path = "/api/v1/jobs?filename=replayed.pdf";
    let key = [("idempotency-key", "replay-30")];
    let first = client.call("POST", path, Some(&bytes), &key, 202).json();
    for _ in 0..30 {
        let again = client.call("POST", path, Some(&bytes), &key, 202);
        assert_eq!(again.json()["id"], first["id"]);
    }
    // A new upload still has its place.
    let other = corpus("pdfplumber-la-precinct-bulletin-2014-p1.pdf");
    client.call(
        "POST",
        "/api/v1/jobs?filename=new.pdf",
        Some(&other),
        &[],
        202,
    );
}

#[test]
fn a_malformed_idempotency_key_is_400() {
    let client = Client::owner();
    let bytes = corpus("pdfminer-issue-886-xref-stream-widths.pdf");
    let answer = client.call(
        "POST",
        "/api/v1/jobs",
        Some(&bytes),
        &[("idempotency-key", "two words")],
        400,
    );
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
}

#[test]
fn a_long_poll_answers_as_soon_as_the_job_changes() {
    let client = Client::owner();
    let job = client.submit(&corpus("samplefiles-GeoTopo-komprimiert.pdf"), "long.pdf");
    let path = format!("/api/v1/jobs/{}", job.id);
    let first = client.call("GET", &path, None, &[], 200);
    let seen: shared::contract::api::Job = serde_json::from_slice(&first.body).unwrap();
    let etag = first.header("etag").unwrap().to_owned();
    if seen.state().is_terminal() {
        return; // finished before the first poll: nothing left to wait for
    }
    let start = std::time::Instant::now();
    let answer = client.call(
        "GET",
        &format!("{path}?wait=25"),
        None,
        &[("if-none-match", &etag)],
        200,
    );
    let changed: shared::contract::api::Job = serde_json::from_slice(&answer.body).unwrap();
    assert!(changed.is_newer_than(&seen), "{changed:?} vs {seen:?}");
    assert!(changed.version() > seen.version());
    assert_ne!(answer.header("etag"), Some(etag.as_str()));
    // It did not sit out the 25 s.
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
    client.wait_terminal(&job.id, WAIT);
}

#[test]
fn a_long_poll_on_a_finished_job_or_a_stale_etag_answers_at_once() {
    let client = Client::owner();
    let job = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "x.pdf",
    );
    client.wait_terminal(&job.id, WAIT);
    let path = format!("/api/v1/jobs/{}?wait=25", job.id);
    let start = std::time::Instant::now();
    client.call("GET", &path, None, &[], 200);
    client.call("GET", &path, None, &[("if-none-match", "\"stale\"")], 200);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let bad = client.call(
        "GET",
        &format!("/api/v1/jobs/{}?wait=soon", job.id),
        None,
        &[],
        400,
    );
    assert_eq!(bad.error_code(), "bad_request");
}

#[test]
fn the_job_list_pages_newest_first_filters_by_state_and_forgets_deleted_jobs() {
    let client = Client::owner();
    let files = [
        "pdfminer-issue-886-xref-stream-widths.pdf",
        "pdfplumber-password-example.pdf",
        "pdfminer-issue-00369-excel.pdf",
        "pdfplumber-cupertino_usd_4-6-16.pdf",
        "samplefiles-habibi.pdf",
    ];
    let submitted: Vec<String> = files
        .iter()
        .map(|f| client.submit(&corpus(f), "f.pdf").id)
        .collect();
    for id in &submitted {
        client.wait_terminal(id, WAIT);
    }
    let newest_first: Vec<String> = submitted.iter().rev().cloned().collect();

    // Pages of two, following the cursor.
    let mut seen = Vec::new();
    let mut path = "/api/v1/jobs?limit=2".to_owned();
    for _ in 0..5 {
        let page = client.call("GET", &path, None, &[], 200).json();
        let ids: Vec<String> = page["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(ids.len() <= 2);
        seen.extend(ids);
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/jobs?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, newest_first);

    let errors = client
        .call("GET", "/api/v1/jobs?state=error", None, &[], 200)
        .json();
    let error_ids: Vec<&str> = errors["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(error_ids, [submitted[1].as_str()]);

    // Nobody else sees them.
    let stranger = Client::owner()
        .call("GET", "/api/v1/jobs", None, &[], 200)
        .json();
    assert_eq!(stranger["jobs"].as_array().map(Vec::len), Some(0));

    // A deleted job leaves the list.
    client.call(
        "DELETE",
        &format!("/api/v1/jobs/{}", submitted[0]),
        None,
        &[],
        204,
    );
    let all = client
        .call("GET", "/api/v1/jobs?limit=100", None, &[], 200)
        .json();
    let ids: Vec<&str> = all["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4);
    assert!(!ids.contains(&submitted[0].as_str()));

    for bad in ["limit=0", "limit=1000", "state=done", "cursor=nonsense"] {
        let answer = client.call("GET", &format!("/api/v1/jobs?{bad}"), None, &[], 400);
        assert_eq!(answer.error_code(), "bad_request", "{bad}");
    }
}

#[test]
fn the_result_of_an_unfinished_job_is_409_with_the_job() {
    let client = Client::owner();
    // Ask straight after the upload; a job that already finished is retried
    // with a new upload (the check below must see an unfinished one).
    for _ in 0..3 {
        let job = client.submit(&corpus("samplefiles-GeoTopo-komprimiert.pdf"), "long.pdf");
        let path = format!("/api/v1/jobs/{}/result", job.id);
        let first = client.call("GET", &format!("/api/v1/jobs/{}", job.id), None, &[], 200);
        let seen: shared::contract::api::Job = serde_json::from_slice(&first.body).unwrap();
        if seen.state().is_terminal() {
            continue;
        }
        let answer = client.call_any("GET", &path);
        if answer.status == 200 {
            continue; // finished in between
        }
        assert_eq!(answer.status, 409, "{answer:?}");
        assert_eq!(answer.error_code(), "not_ready");
        assert_eq!(answer.json()["job"]["id"], job.id.as_str());
        assert!(answer.header("retry-after").is_some());
        return;
    }
    panic!("three uploads finished before their result was asked for");
}

/// `cargo xtask test` runs the server with `CORS_ORIGINS=https://app.example`.
#[test]
fn cors_answers_listed_origins_only() {
    let client = Client::owner();
    let ok = client.call(
        "GET",
        "/api/v1/jobs",
        None,
        &[("origin", "https://app.example")],
        200,
    );
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(
        ok.header("access-control-expose-headers")
            .is_some_and(|h| h.contains("etag"))
    );
    let other = client.call(
        "GET",
        "/api/v1/jobs",
        None,
        &[("origin", "https://evil.example")],
        200,
    );
    assert!(other.header("access-control-allow-origin").is_none());

    let preflight = Client::anonymous().call(
        "OPTIONS",
        "/api/v1/jobs",
        None,
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, idempotency-key",
            ),
        ],
        204,
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .is_some_and(|h| h.contains("idempotency-key"))
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|h| h.contains("DELETE"))
    );
    let refused = Client::anonymous().call(
        "OPTIONS",
        "/api/v1/jobs",
        None,
        &[("origin", "https://evil.example")],
        204,
    );
    assert!(refused.header("access-control-allow-origin").is_none());
    // Errors carry the headers too, so a listed page can read them.
    let denied = Client::anonymous().call(
        "GET",
        "/api/v1/jobs",
        None,
        &[("origin", "https://app.example")],
        401,
    );
    assert_eq!(
        denied.header("access-control-allow-origin"),
        Some("https://app.example")
    );
}

#[test]
fn unknown_routes_and_wrong_methods_are_json_errors() {
    let client = Client::owner();
    assert_eq!(
        client
            .call("GET", "/api/v1/nothing/here", None, &[], 404)
            .error_code(),
        "not_found"
    );
    assert_eq!(
        client
            .call("PUT", "/api/v1/jobs", None, &[], 405)
            .error_code(),
        "method_not_allowed"
    );
    let refused = client.call("POST", "/api/v1/health", None, &[], 405);
    assert_eq!(refused.error_code(), "method_not_allowed");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"));
    // A method the platform's types do not know is not served as GET.
    let (status, text) = raw_request(
        "QUERY /api/v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(status, 405, "{text}");
    assert!(text.contains("method_not_allowed"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("allow: get, post, options"),
        "{text}"
    );
    let (status, text) = raw_request(
        "PROPFIND /api/v1/nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    );
    assert_eq!(status, 404, "{text}");
}

#[test]
fn a_disallowed_callback_url_is_400_with_the_reason_and_nothing_is_stored() {
    let client = Client::owner();
    let bytes = corpus("pdfminer-issue-886-xref-stream-widths.pdf");
    for (url, why) in [
        ("http%3A%2F%2F169.254.169.254%2Flatest", "metadata"),
        // (The tests' server allows loopback, for their receivers.)
        ("http%3A%2F%2F0xa000001%2F", "private"), // 10.0.0.1 in hex
        ("http%3A%2F%2F167772161%2F", "private"), // … in decimal
        ("http%3A%2F%2F0300.0250.0.1%2F", "private"), // 192.168.0.1 in octal
        ("http%3A%2F%2F100.64.0.1%2F", "carrier-grade"),
        ("http%3A%2F%2F%5Bfe80%3A%3A1%5D%2F", "link-local"),
        (
            "http%3A%2F%2Fmetadata.google.internal%2F",
            "not a public host",
        ),
        ("http%3A%2F%2F%5B%3A%3Affff%3A10.0.0.1%5D%2F", "private"),
        ("ftp%3A%2F%2Fexample.com%2F", "scheme"),
        ("https%3A%2F%2Fuser%3Apw%40example.com%2F", "user name"),
        ("https%3A%2F%2Fexample.com%3A8443%2F", "port"),
    ] {
        let answer = client.call(
            "POST",
            &format!("/api/v1/jobs?callback_url={url}"),
            Some(&bytes),
            &[],
            400,
        );
        assert_eq!(answer.error_code(), "invalid_callback_url", "{url}");
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(why), "{url}: {message}");
    }
    let list = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_document_without_numbers_still_has_a_report_and_a_csv() {
    let client = Client::owner();
    let job = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "words.pdf",
    );
    assert_eq!(
        client.wait_terminal(&job.id, WAIT).state(),
        JobState::Completed
    );
    let path = format!("/api/v1/jobs/{}/result", job.id);
    let report = client.call("GET", &path, None, &[], 200).json();
    assert_eq!(report["numbers"]["used"], 0);
    assert_eq!(
        report["benford"]["first_digit"]["conformity"],
        "insufficient_data"
    );
    let csv = client.call("GET", &format!("{path}?format=csv"), None, &[], 200);
    assert_eq!(
        String::from_utf8(csv.body).unwrap().lines().count(),
        1 + 9 + 10 + 90 + 900 + 100 + 90
    );
}

#[test]
fn only_an_unfinished_job_of_ones_own_can_be_cancelled() {
    let client = Client::owner();
    let job = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "cancel-me-late.pdf",
    );
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Completed);
    let path = format!("/api/v1/jobs/{}/cancel", job.id);
    let refused = client.call("POST", &path, None, &[], 409);
    assert_eq!(refused.json()["error"]["code"], "conflict");
    // Nothing changed: the result is still there.
    assert_eq!(client.job(&job.id).version(), done.version());
    client.call(
        "GET",
        &format!("/api/v1/jobs/{}/result", job.id),
        None,
        &[],
        200,
    );
    // Another owner's job and an unknown one are 404; GET is 405.
    Client::owner().call("POST", &path, None, &[], 404);
    client.call(
        "POST",
        "/api/v1/jobs/00000000-0000-4000-8000-000000000000/cancel",
        None,
        &[],
        404,
    );
    client.call("GET", &path, None, &[], 405);
}

#[test]
fn a_waiting_job_shows_its_place_and_a_running_one_its_time_left() {
    let client = Client::owner();
    // The first job's message is held 4 s before it asks to run (test hook),
    // so both wait in the line for a while; the second is behind the first.
    let first = client.submit(
        &corpus("pdfminer-issue-886-xref-stream-widths.pdf"),
        "inject-late-first-4000.pdf",
    );
    let second = client.submit(
        &corpus("samplefiles-GeoTopo-komprimiert.pdf"),
        "inject-slow-pages.pdf",
    );
    let (a, b) = (client.job(&first.id), client.job(&second.id));
    let (qa, qb) = (
        a.queue
            .unwrap_or_else(|| panic!("no place for a waiting job: {a:?}")),
        b.queue
            .unwrap_or_else(|| panic!("no place for a waiting job: {b:?}")),
    );
    assert!(
        qa.position >= 1 && qb.position > qa.position,
        "{qa:?} {qb:?}"
    );
    assert!(qb.eta_seconds >= qa.eta_seconds, "{qa:?} {qb:?}");
    // The listing shows the same places.
    let page = client
        .call("GET", "/api/v1/jobs?state=uploaded", None, &[], 200)
        .json();
    let listed = page["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["id"] == second.id.as_str())
        .cloned();
    if let Some(listed) = listed {
        assert!(listed["queue"]["position"].as_u64().is_some(), "{listed}");
    }
    // Once it runs (117 pages at 200 ms each), its own pace gives the time left.
    let start = std::time::Instant::now();
    let running = loop {
        let now = client.job(&second.id);
        if now.progress.is_some_and(|p| p.eta_seconds.is_some()) {
            break now;
        }
        assert!(
            start.elapsed() < WAIT && now.state().is_active(),
            "no time left shown: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        running.queue.is_none(),
        "a running job has no place in line"
    );
    let progress = running.progress.expect("progress");
    // 200 ms a page for what is left, give or take.
    let left = f64::from(progress.pages_total - progress.pages_done) * 0.2;
    let eta = f64::from(progress.eta_seconds.unwrap_or_default());
    assert!(eta >= left * 0.5 && eta <= left * 2.0 + 2.0, "{progress:?}");
    client.call(
        "POST",
        &format!("/api/v1/jobs/{}/cancel", second.id),
        None,
        &[],
        202,
    );
    let done = client.wait_terminal(&first.id, WAIT);
    assert!(done.queue.is_none());
}

#[test]
fn the_upload_chooses_which_roles_of_numbers_enter_the_tests() {
    use shared::reading::roles::{Role, Roles};
    let client = Client::owner();
    let bytes = corpus("pdfplumber-nics-background-checks-2015-11.pdf");
    // An unknown role: 400 naming it, and no job.
    let refused = client.call(
        "POST",
        "/api/v1/jobs?filename=nics.pdf&roles=amount,cats",
        Some(&bytes),
        &[("content-type", "application/pdf")],
        400,
    );
    assert_eq!(refused.error_code(), "bad_request");
    let message = refused.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("`cats`"), "{message}");
    let list = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(0));

    // Amounts only.
    let answer = client.call(
        "POST",
        "/api/v1/jobs?filename=nics.pdf&roles=amount",
        Some(&bytes),
        &[("content-type", "application/pdf")],
        202,
    );
    let job: shared::contract::api::Job = serde_json::from_value(answer.json()).unwrap();
    assert_eq!(job.roles, Some(Roles::of(&[Role::Amount])));
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Completed, "{done:?}");
    assert_eq!(done.roles, Some(Roles::of(&[Role::Amount])));
    let only = client.result(&job.id);
    // And the default, for comparison.
    let default = client.submit(&bytes, "nics-default.pdf");
    assert_eq!(default.roles, None);
    client.wait_terminal(&default.id, WAIT);
    let all = client.result(&default.id);

    let rows = only["numbers"]["roles"].as_array().unwrap();
    assert_eq!(rows.len(), Role::ALL.len());
    for row in rows {
        let amount = row["role"] == "amount";
        assert_eq!(row["selected"], amount, "{row}");
        if !amount {
            assert_eq!(row["used"], 0, "{row}");
        }
    }
    let used = only["numbers"]["used"].as_u64().unwrap();
    assert_eq!(rows[0]["used"].as_u64(), Some(used));
    assert_eq!(only["benford"]["first_digit"]["n"].as_u64(), Some(used));
    assert!(used > 0 && used < all["numbers"]["used"].as_u64().unwrap());
    // The same numbers were found either way.
    assert_eq!(only["numbers"]["found"], all["numbers"]["found"]);
    let native = docket_tests::expect::native_report(&bytes).expect("native report");
    docket_tests::expect::same_report(&all, &native).unwrap();
}

#[test]
fn tables_are_listed_and_chosen_columns_alone_are_tested() {
    let client = Client::owner();
    let bytes = corpus("pdfplumber-nics-background-checks-2015-11.pdf");
    for bad in ["columns=", "columns=,%20,"] {
        let answer = client.call(
            "POST",
            &format!("/api/v1/jobs?filename=nics.pdf&{bad}"),
            Some(&bytes),
            &[("content-type", "application/pdf")],
            400,
        );
        assert_eq!(answer.error_code(), "bad_request", "{bad}");
    }
    let answer = client.call(
        "POST",
        "/api/v1/jobs?filename=nics.pdf&columns=handgun,%20TOTALS",
        Some(&bytes),
        &[("content-type", "application/pdf")],
        202,
    );
    let job = answer.json();
    assert_eq!(job["columns"], serde_json::json!(["handgun", "TOTALS"]));
    let id = job["id"].as_str().unwrap().to_owned();
    let done = client.wait_terminal(&id, WAIT);
    assert_eq!(done.state(), JobState::Completed, "{done:?}");
    let chosen = client.result(&id);
    let default = client.submit(&bytes, "nics-all.pdf");
    client.wait_terminal(&default.id, WAIT);
    let all = client.result(&default.id);

    // The tables: as the report holds them, and by page.
    let tables = client
        .call("GET", &format!("/api/v1/jobs/{id}/tables"), None, &[], 200)
        .json();
    assert_eq!(tables, chosen["tables"]);
    assert_eq!(tables["chosen"], serde_json::json!(["handgun", "TOTALS"]));
    assert!(tables["found"].as_u64().unwrap() >= 1, "{tables}");
    let columns = tables["columns"].as_array().unwrap();
    let column = |name: &str| {
        columns
            .iter()
            .find(|c| c["header"] == name)
            .unwrap_or_else(|| panic!("no {name} column in {tables}"))
    };
    let (handgun, totals) = (column("Handgun"), column("Totals"));
    assert!(handgun["numbers"].as_u64().unwrap() > 50, "{handgun}");
    let used = chosen["numbers"]["used"].as_u64().unwrap();
    assert_eq!(
        handgun["used"].as_u64().unwrap() + totals["used"].as_u64().unwrap(),
        used
    );
    assert_eq!(tables["used"].as_u64(), Some(used));
    assert!(used > 50 && used < all["numbers"]["used"].as_u64().unwrap());
    assert!(all["tables"]["chosen"].is_null());
    let first = &tables["tables"][0];
    assert_eq!(first["page"], 1);
    assert_eq!(first["bbox"].as_array().map(Vec::len), Some(4));
    let page_one = client
        .call(
            "GET",
            &format!("/api/v1/jobs/{id}/tables?page=1"),
            None,
            &[],
            200,
        )
        .json();
    assert_eq!(page_one["tables"], tables["tables"]);
    let page_two = client
        .call(
            "GET",
            &format!("/api/v1/jobs/{id}/tables?page=2"),
            None,
            &[],
            200,
        )
        .json();
    assert_eq!(page_two["tables"], serde_json::json!([]));
    let refused = client.call(
        "GET",
        &format!("/api/v1/jobs/{id}/tables?page=0"),
        None,
        &[],
        400,
    );
    assert_eq!(refused.error_code(), "bad_request");

    // Every number used stands in a chosen column, and says so.
    let list = client.call("GET", &format!("/api/v1/jobs/{id}/numbers"), None, &[], 200);
    let rows: Vec<serde_json::Value> = String::from_utf8(list.body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let in_chosen = |r: &serde_json::Value| r["column"] == "Handgun" || r["column"] == "Totals";
    assert_eq!(
        rows.iter().filter(|r| r["used"] == true).count() as u64,
        used
    );
    assert!(rows.iter().filter(|r| r["used"] == true).all(in_chosen));
    assert!(
        rows.iter()
            .filter(|r| in_chosen(r))
            .all(|r| r["table"].as_u64() >= Some(1))
    );
}

#[test]
fn the_numbers_behind_a_report_are_listed_and_its_pages_drawn() {
    let client = Client::owner();
    let bytes = corpus("pdfplumber-nics-background-checks-2015-11.pdf");
    let job = client.submit(&bytes, "nics.pdf");
    // Not finished: 409 with the job, as the result.
    let early = client.call_any("GET", &format!("/api/v1/jobs/{}/numbers", job.id));
    assert!(matches!(early.status, 200 | 409), "{}", early.status);
    let done = client.wait_terminal(&job.id, WAIT);
    assert_eq!(done.state(), JobState::Completed);
    let report = client.result(&job.id);
    let base = format!("/api/v1/jobs/{}", job.id);

    let list = client.call("GET", &format!("{base}/numbers"), None, &[], 200);
    assert_eq!(list.header("content-type"), Some("application/x-ndjson"));
    let rows: Vec<serde_json::Value> = String::from_utf8(list.body.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows.len() as u64,
        report["numbers"]["listed"].as_u64().unwrap()
    );
    assert_eq!(report["numbers"]["listed"], report["numbers"]["found"]);
    let used = rows.iter().filter(|r| r["used"] == true).count() as u64;
    assert_eq!(used, report["numbers"]["used"].as_u64().unwrap());
    assert!(
        rows.iter()
            .all(|r| r["bbox"].as_array().is_some_and(|b| b.len() == 4))
    );
    // Every suspect is in the list, at its place.
    let suspects = &report["suspects"];
    let places = suspects["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .chain(suspects["buckets"].as_array().unwrap())
        .flat_map(|s| s["places"].as_array().unwrap().clone());
    let mut seen = 0;
    for place in places {
        seen += 1;
        assert!(
            rows.iter().any(|r| r["page"] == place["page"]
                && r["text"] == place["text"]
                && r["bbox"] == place["bbox"]),
            "{place}"
        );
    }
    assert!(seen > 0, "nics repeats amounts: {suspects}");

    let csv = client.call(
        "GET",
        &format!("{base}/numbers?format=csv&page=1"),
        None,
        &[],
        200,
    );
    let csv = String::from_utf8(csv.body).unwrap();
    assert!(csv.starts_with("page,text,value,role,rule,used,x0,y0,x1,y1,line,table,column\n"));
    assert_eq!(
        csv.lines().count(),
        1 + rows.iter().filter(|r| r["page"] == 1).count()
    );
    for bad in ["format=xml", "page=0", "page=one"] {
        let answer = client.call("GET", &format!("{base}/numbers?{bad}"), None, &[], 400);
        assert_eq!(answer.error_code(), "bad_request", "{bad}");
    }
    Client::owner().call("GET", &format!("{base}/numbers"), None, &[], 404);

    let view = client
        .call("GET", &format!("{base}/pages/1"), None, &[], 200)
        .json();
    assert_eq!(view["page"], 1);
    let lines = view["lines"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["text"].as_str().unwrap().starts_with("Alabama"))
    );
    let media = view["media_box"].as_array().unwrap();
    assert!(media[2].as_f64().unwrap() > media[0].as_f64().unwrap());
    let missing = client.call("GET", &format!("{base}/pages/99"), None, &[], 404);
    assert!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no page 99")
    );
    client.call("GET", &format!("{base}/pages/first"), None, &[], 400);
    // Deleted with the job.
    client.call("DELETE", &base, None, &[], 204);
    client.call("GET", &format!("{base}/numbers"), None, &[], 404);
}
