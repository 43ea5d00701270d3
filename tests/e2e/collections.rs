//! Collections end to end: documents join, the owner's hub counts them,
//! closing makes the population due once every document has ended, and the
//! population report is the documents' numbers tested as one — its counts
//! the sums of its documents' reports, every document ranked, the amounts
//! shared across documents placed; cancel and delete take the documents
//! with them; what is refused at the door.

use std::time::{Duration, Instant};

use serde_json::Value;
use shared::contract::api::JobState;

use crate::support::{Client, corpus};

const WAIT: Duration = Duration::from_secs(120);

/// Creates a collection; its JSON.
fn create(client: &Client, body: &str) -> Value {
    let answer = client.call(
        "POST",
        "/api/v1/collections",
        Some(body.as_bytes()),
        &[("content-type", "application/json")],
        201,
    );
    let collection = answer.json();
    let id = collection["id"].as_str().expect("an id");
    assert_eq!(
        answer.header("location"),
        Some(format!("/api/v1/collections/{id}").as_str())
    );
    collection
}

/// Uploads a corpus file into collection `id` (status `expected`).
fn join(client: &Client, id: &str, name: &str, extra: &str, expected: u16) -> Value {
    client
        .call(
            "POST",
            &format!("/api/v1/jobs?filename={name}&collection={id}{extra}"),
            Some(&corpus(name)),
            &[("content-type", "application/pdf")],
            expected,
        )
        .json()
}

/// `POST /collections/{id}/{what}` (close, cancel), answered `status`.
fn act(client: &Client, id: &str, what: &str, status: u16) -> Value {
    client
        .call(
            "POST",
            &format!("/api/v1/collections/{id}/{what}"),
            None,
            &[],
            status,
        )
        .json()
}

/// Long-polls the collection until it has ended.
fn wait_ended(client: &Client, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let c = client
            .call(
                "GET",
                &format!("/api/v1/collections/{id}?wait=5"),
                None,
                &[],
                200,
            )
            .json();
        let state = c["state"].as_str().unwrap_or_default();
        if ["completed", "partial", "error", "cancelled"].contains(&state) {
            return c;
        }
        assert!(start.elapsed() < WAIT, "collection {id} still {state}: {c}");
    }
}

fn sum(reports: &[Value], pointer: &str) -> u64 {
    reports
        .iter()
        .map(|r| r.pointer(pointer).and_then(Value::as_u64).unwrap_or(0))
        .sum()
}

#[test]
fn a_collections_population_is_its_documents_numbers_tested_as_one() {
    let client = Client::owner();
    for bad in [
        "{}",
        "{\"name\": \"  \"}",
        "not json",
        "{\"name\": \"x\", \"nope\": 1}",
    ] {
        let answer = client.call(
            "POST",
            "/api/v1/collections",
            Some(bad.as_bytes()),
            &[("content-type", "application/json")],
            400,
        );
        assert_eq!(answer.error_code(), "bad_request", "{bad}");
    }
    let collection = create(&client, "{\"name\": \"Q3 filings\"}");
    assert_eq!(collection["state"], "open");
    assert_eq!(collection["counts"]["documents"], 0);
    let id = collection["id"].as_str().unwrap().to_owned();

    let names = [
        "pdfplumber-nics-background-checks-2015-11.pdf",
        "pdfplumber-federal-register-2020-17221.pdf",
        "pdfplumber-senate-expenditures.pdf",
    ];
    let mut jobs = Vec::new();
    for name in names {
        let job = join(&client, &id, name, "", 202);
        assert_eq!(job["collection"], id.as_str());
        jobs.push(job["id"].as_str().unwrap().to_owned());
    }
    // The collection's roles are the documents': others are refused; so is
    // a collection that does not exist.
    let refused = join(&client, &id, names[0], "&roles=amount", 400);
    assert_eq!(refused["error"]["code"], "bad_request");
    let unknown = uuid_like(&id);
    join(&client, &unknown, names[0], "", 404);

    // Its documents, in the order they joined, a page at a time.
    let first = client
        .call(
            "GET",
            &format!("/api/v1/collections/{id}/documents?limit=2"),
            None,
            &[],
            200,
        )
        .json();
    assert_eq!(first["documents"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = client
        .call(
            "GET",
            &format!("/api/v1/collections/{id}/documents?limit=2&cursor={cursor}"),
            None,
            &[],
            200,
        )
        .json();
    let listed: Vec<&str> = first["documents"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["documents"].as_array().unwrap())
        .map(|d| d["job_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, jobs.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(rest["next_cursor"].is_null(), "{rest}");

    // While documents wait or run, the collection says when they should be done.
    let now = client
        .call("GET", &format!("/api/v1/collections/{id}"), None, &[], 200)
        .json();
    let unfinished =
        now["counts"]["waiting"].as_u64().unwrap() + now["counts"]["processing"].as_u64().unwrap();
    if unfinished > 0 && now["counts"]["waiting"].as_u64().unwrap() > 0 {
        assert!(now["eta_seconds"].is_u64(), "{now}");
    }
    // No result while open; closed, nothing more joins.
    let early = client.call(
        "GET",
        &format!("/api/v1/collections/{id}/result"),
        None,
        &[],
        409,
    );
    assert_eq!(early.error_code(), "not_ready");
    let closed = act(&client, &id, "close", 202);
    assert_ne!(closed["state"], "open", "{closed}");
    assert!(closed["closed_at"].is_string(), "{closed}");
    let late = join(&client, &id, names[0], "", 409);
    assert_eq!(late["error"]["code"], "conflict");
    act(&client, &id, "close", 409);

    let ended = wait_ended(&client, &id);
    assert_eq!(ended["state"], "completed", "{ended}");
    assert_eq!(ended["counts"]["documents"], 3);
    assert_eq!(ended["counts"]["completed"], 3);
    assert_eq!(ended["progress"]["fraction"], 1.0);

    // The population is its documents' numbers, tested as one.
    let reports: Vec<Value> = jobs.iter().map(|j| client.result(j)).collect();
    let population = client
        .call(
            "GET",
            &format!("/api/v1/collections/{id}/result"),
            None,
            &[],
            200,
        )
        .json();
    assert_eq!(population["documents_analysed"], 3);
    assert_eq!(population["documents_left_out"], 0);
    for pointer in [
        "/numbers/found",
        "/numbers/used",
        "/text/words",
        "/benford/first_digit/n",
        "/benford/first_two_digits/n",
        "/benford/last_two_digits/n",
        "/amounts/count",
        "/pages",
    ] {
        assert_eq!(
            population.pointer(pointer).and_then(Value::as_u64),
            Some(sum(&reports, pointer)),
            "{pointer}"
        );
    }
    // Every document, the least likely by chance first.
    let documents = population["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 3);
    let p: Vec<f64> = documents
        .iter()
        .map(|d| d["p_value"].as_f64().unwrap())
        .collect();
    assert!(p.windows(2).all(|w| w[0] <= w[1]), "{p:?}");
    for (job, report) in jobs.iter().zip(&reports) {
        let d = documents
            .iter()
            .find(|d| d["job_id"] == job.as_str())
            .expect("ranked");
        assert_eq!(d["used"], report["numbers"]["used"]);
        let mad = report["benford"]["first_digit"]["mad"].as_f64().unwrap();
        assert!(
            (d["mad"].as_f64().unwrap() - mad).abs() < 1e-9,
            "{d} vs {mad}"
        );
    }
    // Amounts in several documents, each placed in the documents named.
    for shared in population["shared_amounts"].as_array().unwrap() {
        assert!(shared["documents"].as_u64().unwrap() >= 2, "{shared}");
        let places = shared["places"].as_array().unwrap();
        assert!(places.len() >= 2, "{shared}");
        for place in places {
            assert!(
                jobs.iter().any(|j| place["job_id"] == j.as_str()),
                "{place}"
            );
            assert!(!place["at"].as_array().unwrap().is_empty(), "{shared}");
        }
    }
    // Suspects name their documents.
    let suspects = &population["suspects"];
    assert!(
        suspects["pages"].as_array().unwrap().is_empty(),
        "{suspects}"
    );
    for kind in ["buckets", "duplicates"] {
        for entry in suspects[kind].as_array().unwrap() {
            for place in entry["places"].as_array().unwrap() {
                assert!(
                    jobs.iter().any(|j| place["job_id"] == j.as_str()),
                    "{place}"
                );
                assert!(place["filename"].is_string(), "{place}");
            }
        }
    }
    let repeated = suspects["duplicates"].as_array().unwrap();
    assert!(!repeated.is_empty(), "{suspects}");
    assert!(
        !repeated[0]["places"].as_array().unwrap().is_empty(),
        "{suspects}"
    );
    let csv = client.call(
        "GET",
        &format!("/api/v1/collections/{id}/result?format=csv"),
        None,
        &[],
        200,
    );
    let text = String::from_utf8_lossy(&csv.body).into_owned();
    assert!(
        text.starts_with("rank,job_id,filename,used,mad,excess_mad,p_value\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4, "{text}");

    // Every number, with its document.
    let numbers = client.call(
        "GET",
        &format!("/api/v1/collections/{id}/numbers"),
        None,
        &[],
        200,
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&numbers.body)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an NDJSON row"))
        .collect();
    let mut expected = 0;
    for job in &jobs {
        let own = client.call(
            "GET",
            &format!("/api/v1/jobs/{job}/numbers"),
            None,
            &[],
            200,
        );
        let count = String::from_utf8_lossy(&own.body).lines().count();
        let mine = rows.iter().filter(|r| r["job_id"] == job.as_str()).count();
        assert_eq!(mine, count, "{job}");
        expected += count;
    }
    assert_eq!(rows.len(), expected);
    assert!(
        rows.iter()
            .all(|r| r["filename"].is_string() && r["page"].is_u64())
    );

    // Unchanged: 304; listed; deleted with its documents.
    let shown = client.call("GET", &format!("/api/v1/collections/{id}"), None, &[], 200);
    let etag = shown.header("etag").expect("an ETag").to_owned();
    client.call(
        "GET",
        &format!("/api/v1/collections/{id}"),
        None,
        &[("if-none-match", &etag)],
        304,
    );
    let list = client
        .call("GET", "/api/v1/collections", None, &[], 200)
        .json();
    assert!(
        list["collections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    client.call(
        "DELETE",
        &format!("/api/v1/collections/{id}"),
        None,
        &[],
        204,
    );
    client.call("GET", &format!("/api/v1/collections/{id}"), None, &[], 404);
    for job in &jobs {
        client.call("GET", &format!("/api/v1/jobs/{job}"), None, &[], 404);
    }
}

/// Another collection id than `id` (its last digit changed).
fn uuid_like(id: &str) -> String {
    let mut other = id.to_owned();
    let last = if other.ends_with('0') { '1' } else { '0' };
    other.pop();
    other.push(last);
    other
}

#[test]
fn cancelled_and_empty_collections_end_without_a_result() {
    let client = Client::owner();
    // Cancelled: its documents are cancelled or had ended already.
    let c = create(
        &client,
        "{\"name\": \"to cancel\", \"roles\": [\"amount\"]}",
    );
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["roles"], serde_json::json!(["amount"]));
    let job = join(
        &client,
        &id,
        "pdfplumber-nics-background-checks-2015-11.pdf",
        "",
        202,
    );
    assert_eq!(job["roles"], serde_json::json!(["amount"]));
    let job_id = job["id"].as_str().unwrap().to_owned();
    let cancelled = act(&client, &id, "cancel", 202);
    assert_eq!(cancelled["state"], "cancelled");
    let done = client.wait_terminal(&job_id, WAIT);
    assert!(
        matches!(done.state(), JobState::Cancelled | JobState::Completed),
        "{done:?}"
    );
    let no_result = client.call(
        "GET",
        &format!("/api/v1/collections/{id}/result"),
        None,
        &[],
        409,
    );
    assert_eq!(no_result.error_code(), "conflict");
    act(&client, &id, "close", 409);
    act(&client, &id, "cancel", 409);

    // Closed with no document: nothing to analyse, an error that says so.
    let empty = create(&client, "{\"name\": \"empty\"}");
    let id = empty["id"].as_str().unwrap().to_owned();
    act(&client, &id, "close", 202);
    let ended = wait_ended(&client, &id);
    assert_eq!(ended["state"], "error", "{ended}");
    assert!(ended["error"]["message"].is_string(), "{ended}");
    let failed = client.call(
        "GET",
        &format!("/api/v1/collections/{id}/result"),
        None,
        &[],
        422,
    );
    assert_eq!(failed.error_code(), "analysis_failed");
    // Unknown ids and resources.
    let unknown = uuid_like(&id);
    client.call(
        "GET",
        &format!("/api/v1/collections/{unknown}"),
        None,
        &[],
        404,
    );
    client.call("GET", "/api/v1/collections/not-an-id", None, &[], 404);
    client.call(
        "GET",
        &format!("/api/v1/collections/{id}/nope"),
        None,
        &[],
        404,
    );
    client.call("PUT", &format!("/api/v1/collections/{id}"), None, &[], 405);
}

#[test]
fn each_state_of_a_collection_is_an_event_and_a_signed_webhook() {
    use crate::receiver::Receiver;
    let client = Client::owner();
    let secret = client.webhook_secret.clone().expect("a secret");
    let token = client.token.clone().expect("a token");
    let (status, stream, _) =
        docket_tests::sse::open(&crate::support::base_url(), Some(&token), None, None);
    assert_eq!(status, 200);
    let mut stream = stream.expect("a stream");
    let receiver = Receiver::ok();
    let body = serde_json::json!({"name": "hooked", "callback_url": receiver.url("/c")});
    let c = create(&client, &body.to_string());
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["callback_url"], receiver.url("/c").as_str());
    join(&client, &id, "pdfplumber-senate-expenditures.pdf", "", 202);
    act(&client, &id, "close", 202);
    wait_ended(&client, &id);

    // On the event stream: every version, in order, the last completed.
    let events = stream.until(WAIT, |e| {
        let d: Value = serde_json::from_str(&e.data).unwrap_or_default();
        d["collection"]["id"] == id.as_str() && d["collection"]["state"] == "completed"
    });
    let versions: Vec<u64> = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("collection.updated"))
        .map(|e| serde_json::from_str::<Value>(&e.data).unwrap())
        .filter(|d| d["collection"]["id"] == id.as_str())
        .map(|d| d["collection"]["version"].as_u64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");

    // As webhooks: each state once, signed.
    let hits = receiver.wait_for(WAIT, |h| {
        h.iter()
            .any(|hit| hit.json()["collection"]["state"] == "completed")
    });
    let states: Vec<String> = hits
        .iter()
        .map(|hit| {
            crate::webhooks::verify(&secret, hit).unwrap_or_else(|e| panic!("{e}: {hit:?}"));
            let body = hit.json();
            assert_eq!(body["type"], "collection.updated");
            assert_eq!(body["collection"]["id"], id.as_str());
            body["collection"]["state"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(states, ["open", "processing", "completed"], "{states:?}");
    let ids: std::collections::HashSet<&str> = hits.iter().map(|h| h.id()).collect();
    assert_eq!(ids.len(), 3);

    // The settings choose the collection states announced.
    let saved = client
        .call(
            "PUT",
            "/api/v1/webhooks/settings",
            Some(br#"{"events":["completed"],"collection_events":["completed","error"]}"#),
            &[],
            200,
        )
        .json();
    assert_eq!(
        saved["collection_events"],
        serde_json::json!(["completed", "error"])
    );
    let quiet = Receiver::ok();
    let body = serde_json::json!({"name": "quiet", "callback_url": quiet.url("/q")});
    let id = create(&client, &body.to_string())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    act(&client, &id, "close", 202);
    let ended = wait_ended(&client, &id);
    assert_eq!(ended["state"], "error");
    let hits = quiet.wait_for(WAIT, |h| !h.is_empty());
    std::thread::sleep(Duration::from_secs(2));
    let states: Vec<String> = quiet
        .hits()
        .iter()
        .map(|h| {
            h.json()["collection"]["state"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(states, ["error"], "{states:?} after {hits:?}");
}

#[test]
fn a_long_poll_on_a_collection_is_answered_by_its_next_version() {
    let client = Client::owner();
    let collection = create(&client, "{\"name\": \"long-poll\"}");
    let id = collection["id"].as_str().expect("an id").to_owned();
    let path = format!("/api/v1/collections/{id}?wait=2");
    // Nothing changes: held for the wait, then the same version (304 with
    // its ETag).
    let first = client.call("GET", &format!("/api/v1/collections/{id}"), None, &[], 200);
    let tag = first.header("etag").expect("an ETag").to_owned();
    let start = Instant::now();
    let unchanged = client.call("GET", &path, None, &[("if-none-match", tag.as_str())], 304);
    assert!(
        start.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(unchanged.header("etag"), Some(tag.as_str()));
    // A change while the request waits answers it at once.
    let waiting = {
        let client = client.clone();
        let path = format!("/api/v1/collections/{id}?wait=25");
        let tag = tag.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            let answer = client.call("GET", &path, None, &[("if-none-match", tag.as_str())], 200);
            (start.elapsed(), answer.json())
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    act(&client, &id, "close", 202);
    let (took, changed) = waiting.join().expect("the waiting request");
    assert_ne!(changed["state"], "open", "{changed}");
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
}

#[test]
fn a_running_document_gives_its_collection_an_estimate() {
    let client = Client::owner();
    let collection = create(&client, "{\"name\": \"estimate\"}");
    let id = collection["id"].as_str().expect("an id").to_owned();
    // 117 pages held 200 ms each by a test hook: it runs for a while.
    client.call(
        "POST",
        &format!("/api/v1/jobs?filename=inject-slow-pages.pdf&collection={id}"),
        Some(&corpus("samplefiles-GeoTopo-komprimiert.pdf")),
        &[("content-type", "application/pdf")],
        202,
    );
    let start = Instant::now();
    let running = loop {
        let now = client
            .call("GET", &format!("/api/v1/collections/{id}"), None, &[], 200)
            .json();
        if now["counts"]["processing"] == 1 && now["eta_seconds"].is_u64() {
            break now;
        }
        assert!(start.elapsed() < WAIT, "no estimate while running: {now}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(running["eta_seconds"].as_u64().unwrap() <= 120, "{running}");
    act(&client, &id, "cancel", 202);
    assert_eq!(wait_ended(&client, &id)["state"], "cancelled");
}
