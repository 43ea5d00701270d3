//! Soak: `DOCKET_SOAK_SECONDS` (default 1,800) of mixed load from
//! `DOCKET_SOAK_CLIENTS` clients (default 6, each its own owner) against one
//! server started the way `cargo xtask dev` starts it, with the default
//! settings. Each client does one thing after another, drawn at random
//! (`DOCKET_SOAK_SEED` repeats a run): a corpus file (good, failing or
//! refused) followed to its end; a big single upload (8–40 MB); a resumable
//! upload whose first append's connection drops part-way, resumed from the
//! offset `HEAD` gives; an upload followed on Server-Sent Events, the stream
//! dropped after the first event and resumed with `Last-Event-ID`; the same
//! on a WebSocket resumed with `since=`; an upload with a webhook to a
//! receiver that fails every event's first attempt (`503`, `Retry-After:
//! 1`); an upload cancelled at once; a finished job deleted.
//!
//! Both workerd processes of the server are sampled every 10 s (resident
//! MiB): the runtime that runs the worker (with miniflare's simulated KV,
//! R2, queues and objects) and wrangler's local proxy in front of it.
//! The run fails when: wrangler exits or stops answering its health check;
//! any action's outcome is wrong (a job not ending as the native engine
//! says, a resumed upload whose job's SHA-256 is not the file's, a stream
//! that misses the end); a job is lost (not listed by its owner) or stuck
//! (unfinished 300 s after the load stops); a webhook's event is never
//! delivered; or, in a run of 10 minutes or more, the runtime's memory is not
//! flat (the median of the last quarter of samples more than 25 % over the
//! second quarter's). `cargo xtask bench soak` runs it for 30 minutes (and
//! checks the server's log for errors); `cargo xtask test` a short form.

#[path = "../e2e/receiver.rs"]
#[allow(dead_code)]
mod receiver;
#[path = "../e2e/socket.rs"]
#[allow(dead_code)]
mod socket;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::net::TcpStream;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use docket_tests::api::Api;
use docket_tests::big::padded_pdf;
use docket_tests::dice::{Dice, env_or, seed};
use docket_tests::expect::{Outcome, Sample, check, corpus_samples};
use docket_tests::server;
use docket_tests::sse;
use receiver::Receiver;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::contract::api::{Job, JobState};
use shared::delivery::events::ServerMessage;
use socket::{Auth, EventSocket};

/// How long a followed job may take to end.
const FOLLOW: Duration = Duration::from_secs(300);

/// What a client does next, with its weight out of 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Act {
    Small,
    Big,
    Resumable,
    Sse,
    Socket,
    Webhook,
    Cancel,
    Delete,
}

const ACTS: [(Act, u64); 8] = [
    (Act::Small, 30),
    (Act::Big, 8),
    (Act::Resumable, 12),
    (Act::Sse, 12),
    (Act::Socket, 12),
    (Act::Webhook, 12),
    (Act::Cancel, 7),
    (Act::Delete, 7),
];

/// The actions a run draws from: all, or those `DOCKET_SOAK_ONLY` names
/// (`Sse,Socket`), to look at one kind alone.
fn acts() -> Vec<(Act, u64)> {
    let only = std::env::var("DOCKET_SOAK_ONLY").unwrap_or_default();
    ACTS.into_iter()
        .filter(|(act, _)| only.is_empty() || only.split(',').any(|o| o == format!("{act:?}")))
        .collect()
}

fn draw(dice: &mut Dice, acts: &[(Act, u64)]) -> Act {
    let mut roll = dice.below(acts.iter().map(|(_, w)| w).sum());
    for &(act, weight) in acts {
        if roll < weight {
            return act;
        }
        roll -= weight;
    }
    Act::Small
}

/// One client: its owner, what it made, and what went wrong.
struct Client<'a> {
    api: Api,
    base: &'a str,
    samples: &'a [Sample],
    receiver: &'a Receiver,
    dice: Dice,
    /// Jobs it made and has not deleted.
    made: Vec<String>,
    /// Jobs whose webhook must deliver their end.
    hooked: Vec<String>,
    done: BTreeMap<Act, usize>,
    failures: Vec<String>,
}

impl Client<'_> {
    fn upload(&self, bytes: &[u8], name: &str, query: &str) -> Result<(u16, Option<Job>), String> {
        let answer = self.api.send(
            "POST",
            &format!("/api/v1/jobs?filename={name}{query}"),
            Some(bytes),
            &[("content-type", "application/pdf")],
        )?;
        let job = if answer.status == 202 {
            Some(serde_json::from_slice(&answer.body).map_err(|e| format!("{name}: {e}"))?)
        } else {
            None
        };
        Ok((answer.status, job))
    }

    /// Uploads `bytes`, expecting a job.
    fn submit(&mut self, bytes: &[u8], name: &str, query: &str) -> Result<Job, String> {
        match self.upload(bytes, name, query)? {
            (_, Some(job)) => {
                self.made.push(job.id.clone());
                Ok(job)
            }
            (status, None) => Err(format!("{name}: upload answered {status}")),
        }
    }

    fn follow(&self, id: &str) -> Result<Job, String> {
        let started = Instant::now();
        loop {
            let answer = self
                .api
                .send("GET", &format!("/api/v1/jobs/{id}?wait=20"), None, &[])?;
            if answer.status != 200 && answer.status != 304 {
                return Err(format!("GET job {id}: {}", answer.status));
            }
            if answer.status == 200 {
                let job: Job = serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
                if job.state().is_terminal() {
                    return Ok(job);
                }
            }
            if started.elapsed() > FOLLOW {
                return Err(format!("job {id} unfinished after {FOLLOW:?}"));
            }
        }
    }

    /// Checks a job's end against the native engine's for its file.
    fn expect_end(&self, job: &Job, expected: &Outcome) -> Result<(), String> {
        let result = if job.state() == JobState::Completed {
            let answer =
                self.api
                    .send("GET", &format!("/api/v1/jobs/{}/result", job.id), None, &[])?;
            Some(serde_json::from_slice::<Value>(&answer.body).map_err(|e| e.to_string())?)
        } else {
            None
        };
        check(job, result.as_ref(), expected).map_err(|e| format!("{}: {e}", job.filename))
    }

    fn small(&mut self) -> Result<(), String> {
        let sample = &self.samples[self.dice.below(self.samples.len() as u64) as usize];
        if sample.outcome == Outcome::Refused {
            let (status, _) = self.upload(&sample.bytes, &sample.name, "")?;
            return match status {
                415 => Ok(()),
                other => Err(format!("{}: answered {other}, not 415", sample.name)),
            };
        }
        let job = self.submit(&sample.bytes, &sample.name, "")?;
        let ended = self.follow(&job.id)?;
        self.expect_end(&ended, &sample.outcome)
    }

    fn big(&mut self) -> Result<(), String> {
        // Under the analysis' 32 MiB (`MAX_ANALYSIS_BYTES`).
        let len = (8 + self.dice.below(23)) as usize * 1_000_000;
        let sample = Sample::generated("soak-big.pdf", padded_pdf(len, self.dice.below(1 << 40)));
        let job = self.submit(&sample.bytes, &sample.name, "")?;
        let ended = self.follow(&job.id)?;
        self.expect_end(&ended, &sample.outcome)
    }

    /// A resumable upload whose first append drops part-way.
    fn resumable(&mut self) -> Result<(), String> {
        let len = (9 + self.dice.below(12)) as usize * 1_000_000;
        let bytes = padded_pdf(len, self.dice.below(1 << 40));
        let created = self.api.send(
            "POST",
            "/api/v1/jobs?filename=soak-resumable.pdf",
            Some(&[]),
            &[
                ("upload-complete", "?0"),
                ("upload-length", &bytes.len().to_string()),
                ("content-type", "application/pdf"),
            ],
        )?;
        let location = match (created.status, created.headers.get("location")) {
            (201, Some(l)) => l.clone(),
            (status, _) => return Err(format!("resumable creation answered {status}")),
        };
        let cut = 1_000_000 + self.dice.below((bytes.len() / 2) as u64) as usize;
        self.broken_append(&location, &bytes, cut)?;
        let mut job = None;
        for _ in 0..10 {
            let head = self.api.send("HEAD", &location, None, &[])?;
            let offset: usize = head
                .headers
                .get("upload-offset")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("HEAD {location}: {} without Upload-Offset", head.status))?;
            let rest = &bytes[offset.min(bytes.len())..];
            let append = self.api.send(
                "PATCH",
                &location,
                Some(rest),
                &[
                    ("upload-offset", &offset.to_string()),
                    ("upload-complete", "?1"),
                    ("content-type", "application/partial-upload"),
                ],
            );
            // A refusal sent before the body was read reaches the client
            // as a reset through wrangler's local proxy: as any resumable
            // client does, ask where the upload stands and go on.
            let Ok(append) = append else {
                std::thread::sleep(Duration::from_millis(500));
                continue;
            };
            match append.status {
                202 => {
                    job = Some(
                        serde_json::from_slice::<Job>(&append.body).map_err(|e| e.to_string())?,
                    );
                    break;
                }
                // The broken append is still being settled: ask again.
                409 => std::thread::sleep(Duration::from_millis(500)),
                other => return Err(format!("PATCH {location} from {offset}: {other}")),
            }
        }
        let job = job.ok_or_else(|| format!("{location}: the upload never completed"))?;
        self.made.push(job.id.clone());
        let ended = self.follow(&job.id)?;
        let sha = hex::encode(Sha256::digest(&bytes));
        if ended.sha256 != sha {
            return Err(format!(
                "job {}: sha256 {:?}, not {sha}",
                job.id, ended.sha256
            ));
        }
        match ended.state() {
            JobState::Completed => Ok(()),
            other => Err(format!("resumed upload {} ended {other:?}", job.id)),
        }
    }

    /// Sends the first `cut` bytes of an append that promised all of them,
    /// then closes the connection.
    fn broken_append(&self, location: &str, bytes: &[u8], cut: usize) -> Result<(), String> {
        let address = self.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
        let head = format!(
            "PATCH {location} HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {}\r\n\
             upload-offset: 0\r\nupload-complete: ?1\r\ncontent-type: application/partial-upload\r\n\
             content-length: {}\r\n\r\n",
            self.api.token(),
            bytes.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(&bytes[..cut.min(bytes.len())]))
            .map_err(|e| format!("the broken append: {e}"))?;
        std::thread::sleep(Duration::from_millis(200));
        drop(stream);
        Ok(())
    }

    /// A good corpus file (for the streams and webhooks).
    fn good(&mut self) -> Sample {
        let good: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Completed { .. }))
            .collect();
        good[self.dice.below(good.len() as u64) as usize].clone()
    }

    fn sse(&mut self) -> Result<(), String> {
        let sample = self.good();
        let token = self.api.token().to_owned();
        let (status, stream, _) = sse::open(self.base, Some(&token), None, None);
        let mut stream = stream.ok_or_else(|| format!("SSE answered {status}"))?;
        let job = self.submit(&sample.bytes, &sample.name, "")?;
        let about = |e: &shared::delivery::sse::Event| {
            serde_json::from_str::<Value>(&e.data)
                .ok()
                .filter(|d| d["job"]["id"] == job.id.as_str())
        };
        let deadline = Instant::now() + FOLLOW;
        let mut last_id = None;
        let mut ended = false;
        while let Some(event) = stream.next(deadline) {
            if let Some(data) = about(&event) {
                last_id = event.id.clone();
                ended = is_end(&data["job"]["state"]);
                break;
            }
        }
        drop(stream);
        let last_id = last_id.ok_or("no event about the job on the first stream")?;
        if !ended {
            let (status, stream, _) = sse::open(self.base, Some(&token), None, Some(&last_id));
            let mut stream = stream.ok_or_else(|| format!("SSE resumed: {status}"))?;
            while let Some(event) = stream.next(deadline) {
                if about(&event).is_some_and(|d| is_end(&d["job"]["state"])) {
                    ended = true;
                    break;
                }
            }
        }
        let job = self.follow(&job.id)?;
        if !ended {
            return Err(format!("SSE never told the end of job {}", job.id));
        }
        self.expect_end(&job, &sample.outcome)
    }

    fn socket(&mut self) -> Result<(), String> {
        let sample = self.good();
        let token = self.api.token().to_owned();
        let mut ws = EventSocket::open(self.base, Auth::Bearer(&token), None)
            .map_err(|r| format!("WebSocket refused: {}", r.status))?;
        let job = self.submit(&sample.bytes, &sample.name, "")?;
        let deadline = Instant::now() + FOLLOW;
        let first = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match ws.next(left) {
                Some(ServerMessage::JobUpdated { seq, job: j }) if j.id == job.id => {
                    break (seq, j.state().is_terminal());
                }
                Some(_) => {}
                None => return Err(format!("no event about job {} on the socket", job.id)),
            }
        };
        ws.close();
        let (seq, mut ended) = first;
        if !ended {
            let mut ws = EventSocket::open(self.base, Auth::Bearer(&token), Some(seq))
                .map_err(|r| format!("WebSocket resumed: refused {}", r.status))?;
            while let Some(message) = ws.next(deadline.saturating_duration_since(Instant::now())) {
                if let ServerMessage::JobUpdated { job: j, .. } = message
                    && j.id == job.id
                    && j.state().is_terminal()
                {
                    ended = true;
                    break;
                }
            }
            ws.close();
        }
        let job = self.follow(&job.id)?;
        if !ended {
            return Err(format!("the socket never told the end of job {}", job.id));
        }
        self.expect_end(&job, &sample.outcome)
    }

    fn webhook(&mut self) -> Result<(), String> {
        let sample = self.good();
        let url = self.receiver.url("/soak");
        let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
        let job = self.submit(
            &sample.bytes,
            &sample.name,
            &format!("&callback_url={encoded}"),
        )?;
        self.hooked.push(job.id.clone());
        let ended = self.follow(&job.id)?;
        self.expect_end(&ended, &sample.outcome)
    }

    fn cancel(&mut self) -> Result<(), String> {
        let sample = self.good();
        let job = self.submit(&sample.bytes, &sample.name, "")?;
        let answer = self.api.send(
            "POST",
            &format!("/api/v1/jobs/{}/cancel", job.id),
            None,
            &[],
        )?;
        let ended = self.follow(&job.id)?;
        match (answer.status, ended.state()) {
            (202, JobState::Cancelled) => Ok(()),
            // It ended before the cancel arrived.
            (409, state) if state != JobState::Cancelled => {
                self.expect_end(&ended, &sample.outcome)
            }
            (status, state) => Err(format!("cancel answered {status}, job ended {state:?}")),
        }
    }

    fn delete(&mut self) -> Result<(), String> {
        let Some(id) = self.made.first().cloned() else {
            return Ok(());
        };
        self.follow(&id)?;
        let gone = self
            .api
            .send("DELETE", &format!("/api/v1/jobs/{id}"), None, &[])?;
        if gone.status != 204 {
            return Err(format!("DELETE job {id}: {}", gone.status));
        }
        self.made.retain(|m| *m != id);
        self.hooked.retain(|m| *m != id);
        let after = self
            .api
            .send("GET", &format!("/api/v1/jobs/{id}"), None, &[])?;
        match after.status {
            404 => Ok(()),
            other => Err(format!("job {id} answered {other} after its DELETE")),
        }
    }

    fn run(&mut self, until: Instant, stop: &AtomicBool) {
        let acts = acts();
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            let act = draw(&mut self.dice, &acts);
            let outcome = catch_unwind(AssertUnwindSafe(|| match act {
                Act::Small => self.small(),
                Act::Big => self.big(),
                Act::Resumable => self.resumable(),
                Act::Sse => self.sse(),
                Act::Socket => self.socket(),
                Act::Webhook => self.webhook(),
                Act::Cancel => self.cancel(),
                Act::Delete => self.delete(),
            }))
            .unwrap_or_else(|panic| {
                Err(panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a panic".to_owned()))
            });
            *self.done.entry(act).or_default() += 1;
            if let Err(e) = outcome {
                eprintln!("soak: {act:?}: {e}");
                self.failures.push(format!("{act:?}: {e}"));
            }
        }
    }
}

/// Whether an event's job has ended (the state machine's rule, `shared`'s).
fn is_end(state: &Value) -> bool {
    serde_json::from_value::<JobState>(state.clone()).is_ok_and(|s| s.is_terminal())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let seconds = env_or("DOCKET_SOAK_SECONDS", 1_800);
    let clients = env_or("DOCKET_SOAK_CLIENTS", 6).max(1) as usize;
    let seed = seed("DOCKET_SOAK_SEED");
    let samples = corpus_samples(2_000_000);
    assert!(samples.len() >= 10, "the corpus is missing files");
    println!(
        "soak: {seconds} s of mixed load from {clients} clients over {} corpus files (seed {seed})",
        samples.len()
    );
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/xtask");
    std::fs::create_dir_all(&work).expect("target/xtask");
    let mut wrangler = server::start(
        &work.join("soak-state"),
        &work.join("wrangler-soak.log"),
        &[],
    );
    let base = wrangler.url();
    let group = wrangler.group().expect("a running server");
    // Every event's first attempt fails; the second (after Retry-After) is taken.
    let receiver = Receiver::start(
        0,
        Arc::new(|before| match before {
            0 => (503, vec![("retry-after", "1".to_owned())]),
            _ => (200, vec![]),
        }),
    );
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let stop = AtomicBool::new(false);
    let mut down: Option<String> = None;
    // (seconds, the runtime's MiB, the proxy's MiB)
    let mut memory: Vec<(f64, f64, f64)> = Vec::new();
    let finished: Mutex<Vec<Client>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for c in 0..clients {
            let (base, samples, receiver, stop, finished) =
                (&base, &samples, &receiver, &stop, &finished);
            s.spawn(move || {
                let api =
                    Api::new(base, Arc::default(), None).unwrap_or_else(|e| panic!("a token: {e}"));
                let mut client = Client {
                    api,
                    base,
                    samples,
                    receiver,
                    dice: Dice(seed.wrapping_add(c as u64 * 0x9E37_79B9) | 1),
                    made: Vec::new(),
                    hooked: Vec::new(),
                    done: BTreeMap::new(),
                    failures: Vec::new(),
                };
                client.run(until, stop);
                if let Ok(mut all) = finished.lock() {
                    all.push(client);
                }
            });
        }
        let mut next = Instant::now();
        while Instant::now() < until {
            if Instant::now() >= next {
                next += Duration::from_secs(10);
                let rss = server::workerd_rss(group);
                memory.push((started.elapsed().as_secs_f64(), rss.runtime, rss.proxy));
                if let Some(status) = wrangler.exited() {
                    down = Some(format!("wrangler dev exited ({status})"));
                } else if !devserver::health_ok(wrangler.port()) {
                    down = Some("the health check went unanswered".to_owned());
                }
                if down.is_some() {
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    let load_ended = started.elapsed();
    let clients = finished.into_inner().unwrap_or_default();

    let mut failures: Vec<String> = clients.iter().flat_map(|c| c.failures.clone()).collect();
    if let Some(why) = &down {
        failures.push(format!("the server went down: {why}"));
    }
    // Lost or stuck: every job made and not deleted is listed, and ends.
    let (mut lost, mut stuck) = (0, 0);
    let mut made = 0;
    for client in &clients {
        made += client.made.len();
        let deadline = Instant::now() + FOLLOW;
        loop {
            let listed = client.api.all_jobs().unwrap_or_default();
            let ids: HashSet<&str> = listed.iter().map(|j| j.id.as_str()).collect();
            let open: Vec<&Job> = listed.iter().filter(|j| !j.state().is_terminal()).collect();
            if open.is_empty() || Instant::now() > deadline {
                lost += client
                    .made
                    .iter()
                    .filter(|id| !ids.contains(id.as_str()))
                    .count();
                stuck += open.len();
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    // Every hooked job's end delivered (its first attempt refused).
    let hooked: Vec<&String> = clients.iter().flat_map(|c| &c.hooked).collect();
    let delivered = |hits: &[receiver::Hit]| -> usize {
        hooked
            .iter()
            .filter(|id| {
                hits.iter().any(|h| {
                    let body = h.json();
                    body["job"]["id"] == id.as_str() && is_end(&body["job"]["state"])
                })
            })
            .count()
    };
    let hits = receiver.wait_for(Duration::from_secs(60), |hits| {
        delivered(hits) == hooked.len()
    });
    let undelivered = hooked.len() - delivered(&hits);
    if lost > 0 || stuck > 0 || undelivered > 0 {
        failures.push(format!(
            "{lost} lost, {stuck} stuck, {undelivered} webhook ends undelivered"
        ));
    }

    let mut done: BTreeMap<Act, usize> = BTreeMap::new();
    for client in &clients {
        for (act, n) in &client.done {
            *done.entry(*act).or_default() += n;
        }
    }
    println!(
        "soak: {:.0} s of load, {} actions ({done:?}); {made} jobs kept, {} webhook jobs",
        load_ended.as_secs_f64(),
        done.values().sum::<usize>(),
        hooked.len()
    );
    let rss: Vec<f64> = memory.iter().map(|m| m.1).collect();
    let proxy: Vec<f64> = memory.iter().map(|m| m.2).collect();
    let quarter = rss.len() / 4;
    let (second, last) = if quarter > 0 {
        (
            median(&rss[quarter..2 * quarter]),
            median(&rss[3 * quarter..]),
        )
    } else {
        (median(&rss), median(&rss))
    };
    println!(
        "workerd resident memory, every 10 s (MiB, the runtime / wrangler's proxy): {}",
        memory
            .iter()
            .map(|(t, m, p)| format!("{t:.0}s {m:.0}/{p:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "wrangler's proxy (not judged: local only): {:.0} → {:.0} MiB",
        proxy.first().copied().unwrap_or(0.0),
        proxy.last().copied().unwrap_or(0.0)
    );
    println!(
        "the runtime: min {:.0}, max {:.0} MiB; median of the second quarter {second:.0}, of the last {last:.0} ({:+.1} %)",
        rss.iter().copied().fold(f64::INFINITY, f64::min),
        rss.iter().copied().fold(0.0, f64::max),
        if second > 0.0 {
            (last / second - 1.0) * 100.0
        } else {
            0.0
        }
    );
    if seconds >= 600 && last > second * 1.25 {
        failures.push(format!(
            "the runtime's memory grew: {second:.0} → {last:.0} MiB between the second and the last quarter"
        ));
    }
    println!(
        "soak: {lost} lost, {stuck} stuck, {undelivered} undelivered, {} failures",
        failures.len()
    );
    drop(wrangler);
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("FAILED: {f}");
        }
        std::process::exit(1);
    }
}
