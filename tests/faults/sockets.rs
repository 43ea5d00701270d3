//! WebSocket clients dropped mid-stream, again and again, without a close
//! frame (as when a network goes away), each reconnecting with `since` = the
//! last event it saw: every client ends with every event of the owner, in
//! order, none missed and none twice, and sees every job reach its end.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use shared::delivery::events::ServerMessage;

use crate::socket::{Auth, EventSocket};
use crate::support::{Client, base_url, corpus};

const CLIENTS: u64 = 4;
const JOBS: usize = 30;

/// Follows the owner's events until `jobs` of its jobs have ended, dropping
/// the connection after a few events each time (1–5, varying per client).
fn follow(token: &str, jobs: usize, seed: u64) -> (Vec<u64>, usize) {
    let base = base_url();
    let mut seqs: Vec<u64> = Vec::new();
    let mut ended: HashSet<String> = HashSet::new();
    let mut drops = 0;
    let mut state = seed;
    let start = Instant::now();
    while ended.len() < jobs {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "client {seed}: only {} of {} jobs ended within 180 s",
            ended.len(),
            jobs
        );
        let since = seqs.last().copied().unwrap_or(0);
        let mut ws =
            EventSocket::open(&base, Auth::Bearer(token), Some(since)).expect("the socket opens");
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let budget = 1 + (state >> 33) % 5;
        let mut read = 0;
        while read < budget {
            match ws.next(Duration::from_secs(20)) {
                Some(ServerMessage::JobUpdated { seq, job }) => {
                    seqs.push(seq);
                    if job.state().is_terminal() {
                        ended.insert(job.id.clone());
                    }
                    read += 1;
                }
                Some(ServerMessage::Resync { seq }) => {
                    panic!("client {seed}: told to resync at {seq}: events were lost")
                }
                // Places in the queue of waiting jobs: unnumbered, not events.
                Some(ServerMessage::Queue { .. }) => {}
                Some(other) => panic!("client {seed}: unexpected {other:?}"),
                None => break,
            }
        }
        // Gone without a close frame.
        drop(ws);
        drops += 1;
    }
    (seqs, drops)
}

#[test]
fn sockets_dropped_mid_stream_and_reconnected_with_since_miss_nothing() {
    let owner = Client::owner();
    let token = owner.token.clone().expect("a token");
    let pdf = corpus("pdfminer-issue-886-xref-stream-widths.pdf");
    // The clients come and go while the jobs are uploaded and analysed (the
    // owner is new: all its jobs are these).
    let results: HashMap<u64, (Vec<u64>, usize)> = std::thread::scope(|s| {
        let token = &token;
        let handles: Vec<_> = (1..=CLIENTS)
            .map(|c| s.spawn(move || (c, follow(token, JOBS, c))))
            .collect();
        for i in 0..JOBS {
            owner.submit(&pdf, &format!("drop-{i}.pdf"));
            std::thread::sleep(Duration::from_millis(50));
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("a client"))
            .collect()
    });
    for (client, (seqs, drops)) in results {
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(
            seqs, expected,
            "client {client} ({drops} drops): events missing, repeated or out of order"
        );
        assert!(drops >= 5, "client {client} was dropped only {drops} times");
        println!(
            "client {client}: {} events in order over {drops} connections",
            seqs.len()
        );
    }
}
