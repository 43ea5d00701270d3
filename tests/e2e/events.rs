//! The WebSocket event stream: ordered per-owner events, isolation between
//! owners, replay on reconnect, subscriptions, tickets and hibernation.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use shared::contract::api::{Job, JobState};
use shared::delivery::events::ServerMessage;

use crate::socket::{Auth, EventSocket};
use crate::support::{Client, base_url, corpus, raw_request};

/// A small PDF that analyses to `completed`.
const SMALL: &str = "pdfminer-issue-00369-excel.pdf";

fn socket(client: &Client, since: Option<u64>) -> EventSocket {
    let token = client.token.as_deref().expect("an owner");
    EventSocket::open(&base_url(), Auth::Bearer(token), since)
        .unwrap_or_else(|r| panic!("connect refused: {r:?}"))
}

fn mint_ticket(client: &Client) -> String {
    let answer = client.call("POST", "/api/v1/events/ticket", None, &[], 201);
    let json = answer.json();
    assert!(
        json["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    json["ticket"].as_str().expect("ticket").to_owned()
}

/// Reads events until every job in `jobs` is terminal (as seen on the
/// socket), failing after `timeout`.
fn until_terminal(
    ws: &mut EventSocket,
    jobs: &HashSet<String>,
    timeout: Duration,
    seen: &mut Vec<ServerMessage>,
) {
    let deadline = Instant::now() + timeout;
    let mut done: HashSet<String> = terminal_jobs(seen);
    while !jobs.iter().all(|id| done.contains(id)) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(message) = ws.next(left) else {
            let missing: Vec<_> = jobs.iter().filter(|id| !done.contains(*id)).collect();
            panic!("no terminal event for {missing:?} within {timeout:?}; got {seen:#?}");
        };
        if let ServerMessage::JobUpdated { job, .. } = &message
            && job.state().is_terminal()
        {
            done.insert(job.id.clone());
        }
        seen.push(message);
    }
}

fn terminal_jobs(seen: &[ServerMessage]) -> HashSet<String> {
    seen.iter()
        .filter_map(|m| match m {
            ServerMessage::JobUpdated { job, .. } if job.state().is_terminal() => {
                Some(job.id.clone())
            }
            _ => None,
        })
        .collect()
}

/// Every job's versions, in the order the socket delivered them.
fn by_job(seen: &[ServerMessage]) -> BTreeMap<String, Vec<Job>> {
    let mut jobs: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    for message in seen {
        if let ServerMessage::JobUpdated { job, .. } = message {
            jobs.entry(job.id.clone())
                .or_default()
                .push((**job).clone());
        }
    }
    jobs
}

/// The versions of one job make a legal walk of the state machine:
/// `uploaded` first, time never goes back, and it ends terminal.
fn assert_legal_walk(id: &str, versions: &[Job]) {
    let states: Vec<JobState> = versions.iter().map(|j| j.state()).collect();
    assert_eq!(
        states.first(),
        Some(&JobState::Uploaded),
        "{id}: {states:?}"
    );
    for pair in versions.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            b.is_newer_than(a),
            "{id}: each event is a newer version: {states:?}"
        );
        assert!(
            a.state() == b.state() || shared::jobs::state::transition(a.state(), b.state()).is_ok(),
            "{id}: illegal step {} → {}: {states:?}",
            a.state(),
            b.state()
        );
    }
    assert!(
        states.last().is_some_and(|s| s.is_terminal()),
        "{id}: {states:?}"
    );
}

fn assert_contiguous(seen: &[ServerMessage], first: u64) {
    let seqs: Vec<u64> = seen.iter().filter_map(ServerMessage::seq).collect();
    let expected: Vec<u64> = (first..first + seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "seqs are not 1-step increasing");
}

#[test]
fn twenty_concurrent_jobs_reach_their_owners_socket_in_order_and_no_one_elses() {
    let alice = Client::owner();
    let bob = Client::owner();
    let mut alice_ws = socket(&alice, None);
    let mut bob_ws = socket(&bob, None);
    let pdf = corpus(SMALL);

    let ids: HashSet<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let (alice, pdf) = (&alice, &pdf);
                s.spawn(move || alice.submit(pdf, &format!("c{i}.pdf")).id)
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("submit"))
            .collect()
    });
    assert_eq!(ids.len(), 20);
    let bobs_job = bob.submit(&pdf, "bob.pdf").id;

    let mut seen = Vec::new();
    until_terminal(&mut alice_ws, &ids, Duration::from_secs(120), &mut seen);
    // A fresh owner's hub numbers from 1, one step per event.
    assert_contiguous(&seen, 1);
    let jobs = by_job(&seen);
    assert_eq!(
        jobs.keys().cloned().collect::<HashSet<_>>(),
        ids,
        "alice's socket must see exactly alice's jobs"
    );
    for (id, versions) in &jobs {
        assert_legal_walk(id, versions);
        let last = versions.last().expect("versions");
        assert_eq!(last.state(), JobState::Completed, "{id}: {last:?}");
        assert_eq!(alice.job(id).state(), last.state(), "{id}: the API agrees");
    }
    // Nothing more (in particular nothing of Bob's) arrives for Alice.
    if let Some(extra) = alice_ws.next(Duration::from_millis(500)) {
        panic!("unexpected event on alice's socket: {extra:?}");
    }

    let mut bobs = Vec::new();
    until_terminal(
        &mut bob_ws,
        &HashSet::from([bobs_job.clone()]),
        Duration::from_secs(60),
        &mut bobs,
    );
    assert_contiguous(&bobs, 1);
    assert!(bobs.iter().all(|m| m.job_id() == Some(bobs_job.as_str())));
}

#[test]
fn a_reconnect_with_since_misses_nothing_and_repeats_nothing() {
    let owner = Client::owner();
    let mut ws = socket(&owner, None);
    let pdf = corpus(SMALL);
    let ids: HashSet<String> = (0..6)
        .map(|i| owner.submit(&pdf, &format!("r{i}.pdf")).id)
        .collect();

    // Read a few events, then drop the connection mid-stream.
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let message = ws
            .next(Duration::from_secs(30))
            .expect("the first events arrive");
        seen.push(message);
    }
    let last = seen.last().and_then(ServerMessage::seq).expect("a seq");
    ws.close();
    // Let the jobs move on while nobody listens.
    std::thread::sleep(Duration::from_millis(1500));

    let mut again = socket(&owner, Some(last));
    until_terminal(&mut again, &ids, Duration::from_secs(120), &mut seen);
    assert_contiguous(&seen, 1);
    let jobs = by_job(&seen);
    assert_eq!(jobs.len(), ids.len());
    for (id, versions) in &jobs {
        assert_legal_walk(id, versions);
    }

    // Reconnecting with the last seq replays nothing.
    let end = seen.last().and_then(ServerMessage::seq).expect("a seq");
    let mut idle = socket(&owner, Some(end));
    assert_eq!(idle.next(Duration::from_millis(500)), None);

    // A seq the hub never issued asks the client to reload.
    let mut lost = socket(&owner, Some(end + 1_000));
    assert_eq!(
        lost.next(Duration::from_secs(10)),
        Some(ServerMessage::Resync { seq: end })
    );
}

#[test]
fn a_subscription_narrows_the_stream_and_bad_messages_are_answered() {
    let owner = Client::owner();
    let pdf = corpus(SMALL);
    let mut ws = socket(&owner, None);

    ws.send("ping");
    assert_eq!(
        ws.next_text(Duration::from_secs(10)).as_deref(),
        Some("pong")
    );

    ws.send("{\"subscribe\": 5}");
    match ws.next(Duration::from_secs(10)) {
        Some(ServerMessage::Error { error }) => assert_eq!(error.code.as_str(), "bad_request"),
        other => panic!("expected an error message, got {other:?}"),
    }

    let first = owner.submit(&pdf, "first.pdf").id;
    let mut seen = Vec::new();
    until_terminal(
        &mut ws,
        &HashSet::from([first.clone()]),
        Duration::from_secs(60),
        &mut seen,
    );

    ws.send(&format!("{{\"subscribe\": [\"{first}\"]}}"));
    assert_eq!(
        ws.next(Duration::from_secs(10)),
        Some(ServerMessage::Subscribed {
            jobs: Some(vec![first.clone()])
        })
    );
    let second = owner.submit(&pdf, "second.pdf").id;
    owner.wait_terminal(&second, Duration::from_secs(60));
    // Deleting the subscribed job is its last event.
    owner.call("DELETE", &format!("/api/v1/jobs/{first}"), None, &[], 204);
    match ws.next(Duration::from_secs(10)) {
        Some(ServerMessage::JobDeleted { job_id, .. }) => assert_eq!(job_id, first),
        other => panic!("expected job.deleted for {first}, got {other:?}"),
    }
    assert_eq!(
        ws.next(Duration::from_millis(500)),
        None,
        "nothing of the unsubscribed job"
    );

    // Back to everything: the next job is heard again.
    ws.send("{\"subscribe\": null}");
    assert_eq!(
        ws.next(Duration::from_secs(10)),
        Some(ServerMessage::Subscribed { jobs: None })
    );
    let third = owner.submit(&pdf, "third.pdf").id;
    let mut more = Vec::new();
    until_terminal(
        &mut ws,
        &HashSet::from([third]),
        Duration::from_secs(60),
        &mut more,
    );
}

#[test]
fn tickets_open_one_socket_each_and_bad_ones_are_refused_before_the_upgrade() {
    let owner = Client::owner();
    let base = base_url();
    let ticket = mint_ticket(&owner);
    let mut ws = EventSocket::open(&base, Auth::Ticket(&ticket), None).expect("a good ticket");
    ws.send("ping");
    assert_eq!(
        ws.next_text(Duration::from_secs(10)).as_deref(),
        Some("pong")
    );

    // A raw handshake, to read the refusal's body whole.
    let refused = |query: &str, token: Option<&str>, status: u16, code: &str| {
        let host = base.trim_start_matches("http://");
        let authorization = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "GET /api/v1/events?{query} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n{authorization}\r\n"
        );
        let (got, text) = raw_request(&head, b"");
        assert_eq!(got, status, "{query}: {text}");
        let body = &text[text.find('{').unwrap_or(0)..=text.rfind('}').unwrap_or(0)];
        let json: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        assert_eq!(json["error"]["code"], code, "{json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    };
    // Used already: a WebSocket client sees the 401…
    let again = EventSocket::open(&base, Auth::Ticket(&ticket), None).err();
    assert_eq!(again.map(|r| r.status), Some(401));
    // …with the reason in the body.
    refused(&format!("ticket={ticket}"), None, 401, "unauthorized");
    // Well-formed but never issued.
    let forged = format!("{}A", &ticket[..ticket.len() - 1]);
    refused(&format!("ticket={forged}"), None, 401, "unauthorized");
    // Not a ticket at all.
    refused("ticket=hello", None, 401, "unauthorized");
    // No credentials at all.
    refused("since=0", None, 401, "unauthorized");
    // A bad token on the header.
    refused(
        "",
        Some("dkt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        401,
        "unauthorized",
    );
    // The header works too, and a bad since is refused with the reason.
    let token = owner.token.as_deref();
    refused("since=-1", token, 400, "bad_request");
    // A good ticket with a bad since is refused, and stays unused.
    let another = mint_ticket(&owner);
    refused(
        &format!("ticket={another}&since=minus-one"),
        None,
        400,
        "bad_request",
    );
    assert!(EventSocket::open(&base, Auth::Ticket(&another), None).is_ok());

    // Without an upgrade, the endpoint says what it is.
    let plain = owner.call("GET", "/api/v1/events", None, &[], 426);
    assert_eq!(plain.error_code(), "upgrade_required");
    // Tickets need a token.
    let anonymous = Client::anonymous();
    anonymous.call("POST", "/api/v1/events/ticket", None, &[], 401);
}

#[test]
fn an_idle_socket_still_gets_the_next_event_after_the_hub_hibernated() {
    let owner = Client::owner();
    let mut ws = socket(&owner, None);
    let before = owner
        .call("GET", "/api/v1/_test/hub", None, &[], 200)
        .json();
    assert_eq!(before["sockets"], 1, "{before}");

    // Idle well past the runtime's hibernation delay (10 s).
    std::thread::sleep(Duration::from_secs(15));
    let after = owner
        .call("GET", "/api/v1/_test/hub", None, &[], 200)
        .json();
    assert_ne!(
        before["instance"], after["instance"],
        "the hub was not evicted while idle: {before} / {after}"
    );
    assert_eq!(
        after["sockets"], 1,
        "the socket survived hibernation: {after}"
    );

    let id = owner.submit(&corpus(SMALL), "late.pdf").id;
    let mut seen = Vec::new();
    until_terminal(
        &mut ws,
        &HashSet::from([id]),
        Duration::from_secs(60),
        &mut seen,
    );
    assert_contiguous(&seen, 1);
}

#[test]
fn a_socket_hears_the_places_of_waiting_jobs() {
    let client = Client::owner();
    let mut ws = socket(&client, None);
    let held = client.submit(&corpus(SMALL), "inject-late-first-4000.pdf");
    let deadline = Instant::now() + Duration::from_secs(20);
    let place = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ws.next(left) {
            Some(ServerMessage::Queue { job_id, queue }) if job_id == held.id => break queue,
            Some(_) => {}
            None => panic!("no job.queue event for {} within 20 s", held.id),
        }
    };
    assert!(place.position >= 1, "{place:?}");
    client.wait_terminal(&held.id, Duration::from_secs(60));
}
