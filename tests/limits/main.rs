//! Rate limits and quotas against a real `wrangler dev` started with small
//! limits (`cargo xtask test` sets them: 3 tokens/min per address, uploads
//! 4/min and 6/day, 40 requests/min, 2 tickets/min, 2 active jobs, 1 MB stored,
//! 3 jobs kept). Each test is its own owner from its own client address, so
//! they run side by side.

#[path = "../e2e/openapi.rs"]
mod openapi;
#[allow(dead_code)]
#[path = "../e2e/support.rs"]
mod support;

use std::time::Duration;

use shared::contract::api::Job;
use support::{Answer, Client, corpus};

const SMALL: &str = "pdfminer-issue-00369-excel.pdf";
/// 2.9 MB, over the 1 MB storage quota.
const LARGE: &str = "pdfplumber-chelsea_pdta.pdf";

/// A new owner, minted from `address` (the header Cloudflare sets; the local
/// server passes the client's).
fn owner_from(address: &str) -> Client {
    let mut client = Client::anonymous();
    let answer = client.call(
        "POST",
        "/api/v1/tokens",
        None,
        &[("cf-connecting-ip", address)],
        201,
    );
    client.token = Some(answer.json()["token"].as_str().expect("token").to_owned());
    client
}

fn upload(client: &Client, name: &str, file: &str) -> Answer {
    client.call_any_with(
        "POST",
        &format!("/api/v1/jobs?filename={name}"),
        Some(&corpus(file)),
        &[("content-type", "application/pdf")],
    )
}

/// Follows a job to its end with long-polls (few requests).
fn finish(client: &Client, id: &str) -> Job {
    for _ in 0..20 {
        let answer = client.call("GET", &format!("/api/v1/jobs/{id}?wait=20"), None, &[], 200);
        let job: Job = serde_json::from_slice(&answer.body).expect("a job");
        if job.state().is_terminal() {
            return job;
        }
    }
    panic!("job {id} did not finish");
}

fn job_count(client: &Client) -> usize {
    let list = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    list["jobs"].as_array().map_or(0, Vec::len)
}

fn number(answer: &Answer, header: &str) -> u64 {
    answer
        .header(header)
        .unwrap_or_else(|| panic!("no {header}: {answer:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{header} is not a number: {answer:?}"))
}

/// A 429 with the code, the limit in the message, and when to come back.
fn assert_refused(answer: &Answer, code: &str, says: &str) -> u64 {
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.error_code(), code);
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains(says), "{message}");
    let retry = number(answer, "retry-after");
    assert!(retry >= 1, "{answer:?}");
    retry
}

#[test]
fn minting_tokens_is_limited_per_client_address() {
    let client = Client::anonymous();
    let mint = |address: &str| {
        client.call_any_with(
            "POST",
            "/api/v1/tokens",
            None,
            &[("cf-connecting-ip", address)],
        )
    };
    for left in [2, 1, 0] {
        let answer = mint("198.51.100.1");
        assert_eq!(answer.status, 201, "{answer:?}");
        assert_eq!(number(&answer, "ratelimit-limit"), 3);
        assert_eq!(number(&answer, "ratelimit-remaining"), left);
        assert!(number(&answer, "ratelimit-reset") <= 60);
    }
    let refused = mint("198.51.100.1");
    let retry = assert_refused(&refused, "rate_limited", "3/min");
    assert!(retry <= 120, "{retry}");
    assert_eq!(number(&refused, "ratelimit-remaining"), 0);
    // Another address is not affected.
    assert_eq!(mint("198.51.100.2").status, 201);
}

#[test]
fn uploads_are_limited_per_minute_and_per_day_and_the_limits_reset() {
    let owner = owner_from("198.51.100.10");
    let mut accepted = 0;
    let mut waited_for_the_minute = false;
    loop {
        let answer = upload(&owner, "rate.pdf", SMALL);
        if answer.status == 202 {
            accepted += 1;
            assert_eq!(
                number(&answer, "ratelimit-limit"),
                4,
                "the minute is the closest"
            );
            let job: Job = serde_json::from_slice(&answer.body).expect("job");
            finish(&owner, &job.id);
            // Deleted, so that the jobs quota stays out of the way.
            owner.call(
                "DELETE",
                &format!("/api/v1/jobs/{}", job.id),
                None,
                &[],
                204,
            );
            continue;
        }
        if accepted < 6 {
            // The minute's limit: nothing stored; it resets.
            let retry = assert_refused(&answer, "rate_limited", "4/min");
            assert!(accepted >= 4, "refused after only {accepted}");
            assert_eq!(job_count(&owner), 0);
            assert!(retry <= 90, "{retry}");
            std::thread::sleep(Duration::from_secs(retry));
            waited_for_the_minute = true;
            continue;
        }
        // The day's limit, after six.
        let retry = assert_refused(&answer, "rate_limited", "6/day");
        assert!(retry > 3600, "{retry}");
        break;
    }
    assert!(waited_for_the_minute);
    assert_eq!(job_count(&owner), 0);
}

#[test]
fn requests_are_limited_and_every_answer_says_how_many_are_left() {
    let owner = owner_from("198.51.100.20");
    let mut last_remaining = u64::MAX;
    for _ in 0..40 {
        let answer = owner.call("GET", "/api/v1/jobs", None, &[], 200);
        assert_eq!(number(&answer, "ratelimit-limit"), 40);
        let remaining = number(&answer, "ratelimit-remaining");
        assert!(
            remaining < last_remaining,
            "{remaining} after {last_remaining}"
        );
        last_remaining = remaining;
    }
    let refused = owner.call_any_with("GET", "/api/v1/jobs", None, &[]);
    assert_refused(&refused, "rate_limited", "40/min");
    // Another owner is not affected.
    let other = owner_from("198.51.100.21");
    other.call("GET", "/api/v1/jobs", None, &[], 200);
}

#[test]
fn websocket_tickets_are_limited() {
    let owner = owner_from("198.51.100.30");
    for _ in 0..2 {
        owner.call("POST", "/api/v1/events/ticket", None, &[], 201);
    }
    let refused = owner.call_any_with("POST", "/api/v1/events/ticket", None, &[]);
    assert_refused(&refused, "rate_limited", "2/min");
}

#[test]
fn the_active_jobs_quota_holds_uploads_until_jobs_finish() {
    let owner = owner_from("198.51.100.40");
    // Each fails twice before it completes: a few seconds of being active.
    let slow: Vec<Job> = (0..2)
        .map(|i| {
            let answer = upload(&owner, &format!("inject-failure-2-{i}.pdf"), SMALL);
            assert_eq!(answer.status, 202, "{answer:?}");
            serde_json::from_slice(&answer.body).expect("job")
        })
        .collect();
    let refused = upload(&owner, "third.pdf", SMALL);
    let retry = assert_refused(&refused, "quota_exceeded", "still being analysed");
    assert_eq!(retry, 5);
    assert_eq!(
        job_count(&owner),
        2,
        "nothing stored for the refused upload"
    );
    for job in &slow {
        finish(&owner, &job.id);
    }
    assert_eq!(upload(&owner, "third.pdf", SMALL).status, 202);
}

#[test]
fn the_jobs_quota_is_freed_by_deleting() {
    let owner = owner_from("198.51.100.50");
    let mut ids = Vec::new();
    for i in 0..3 {
        let answer = upload(&owner, &format!("kept-{i}.pdf"), SMALL);
        assert_eq!(answer.status, 202, "{answer:?}");
        let job: Job = serde_json::from_slice(&answer.body).expect("job");
        finish(&owner, &job.id);
        ids.push(job.id);
    }
    let refused = upload(&owner, "fourth.pdf", SMALL);
    assert_refused(&refused, "quota_exceeded", "delete some");
    assert_eq!(job_count(&owner), 3);
    owner.call(
        "DELETE",
        &format!("/api/v1/jobs/{}", ids[0]),
        None,
        &[],
        204,
    );
    assert_eq!(upload(&owner, "fourth.pdf", SMALL).status, 202);
}

#[test]
fn the_storage_quota_refuses_an_upload_that_would_not_fit() {
    let owner = owner_from("198.51.100.60");
    let refused = upload(&owner, "large.pdf", LARGE);
    assert_refused(&refused, "quota_exceeded", "storage");
    assert_eq!(job_count(&owner), 0, "nothing stored");
    assert_eq!(upload(&owner, "small.pdf", SMALL).status, 202);
}
