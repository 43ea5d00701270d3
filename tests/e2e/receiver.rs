//! A real HTTP receiver for webhook deliveries (tiny_http on 127.0.0.1): it
//! records every request and answers each according to a script that sees
//! how many times that `webhook-id` has arrived before.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tiny_http::{Header, Response, Server};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Unix milliseconds at arrival.
    pub at_ms: f64,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Unix seconds at arrival.
    pub fn at(&self) -> u64 {
        (self.at_ms / 1000.0) as u64
    }

    pub fn id(&self) -> &str {
        self.header("webhook-id").unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// What to answer: a status and extra headers.
pub type Reply = (u16, Vec<(&'static str, String)>);

/// Decides the answer from the number of earlier arrivals of the same id.
pub type Script = Arc<dyn Fn(usize) -> Reply + Send + Sync>;

pub struct Receiver {
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
    hits: Arc<Mutex<Vec<Hit>>>,
    pub port: u16,
}

impl Receiver {
    /// Answers 200 to everything.
    pub fn ok() -> Receiver {
        Receiver::start(0, Arc::new(|_| (200, vec![])))
    }

    /// Listens on `port` (0: any free one).
    pub fn start(port: u16, script: Script) -> Receiver {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::new(Mutex::new(Vec::new()));
        let server = Arc::new(
            Server::http(("127.0.0.1", port)).unwrap_or_else(|e| panic!("bind {port}: {e}")),
        );
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .expect("an IP address");
        let (srv, record) = (Arc::clone(&server), Arc::clone(&hits));
        let thread = std::thread::spawn(move || {
            for mut request in srv.incoming_requests() {
                let mut body = Vec::new();
                let _ = request.as_reader().read_to_end(&mut body);
                let headers: Vec<(String, String)> = request
                    .headers()
                    .iter()
                    .map(|h| (h.field.to_string(), h.value.to_string()))
                    .collect();
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                let hit = Hit {
                    path: request.url().to_owned(),
                    headers,
                    body,
                    at_ms: now.as_secs_f64() * 1000.0,
                };
                let seen = {
                    let mut hits = record.lock().expect("hits");
                    let seen = hits.iter().filter(|h| h.id() == hit.id()).count();
                    hits.push(hit);
                    seen
                };
                let (status, extra) = script(seen);
                let mut response = Response::from_string("ok").with_status_code(status);
                for (name, value) in extra {
                    response = response.with_header(
                        Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("header"),
                    );
                }
                let _ = request.respond(response);
            }
        });
        Receiver {
            server,
            thread: Some(thread),
            hits,
            port,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }

    /// Waits until `done` holds for the hits so far; fails after `timeout`.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[Hit]) -> bool) -> Vec<Hit> {
        let start = Instant::now();
        loop {
            let hits = self.hits();
            if done(&hits) {
                return hits;
            }
            assert!(
                start.elapsed() < timeout,
                "the receiver did not get what was expected within {timeout:?}; it got {:#?}",
                summary(&hits)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Hits grouped by webhook-id.
    pub fn by_id(&self) -> BTreeMap<String, Vec<Hit>> {
        let mut ids: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
        for hit in self.hits() {
            ids.entry(hit.id().to_owned()).or_default().push(hit);
        }
        ids
    }
}

/// Stops listening (the port is closed) when the test is done with it.
impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn summary(hits: &[Hit]) -> Vec<String> {
    hits.iter()
        .map(|h| {
            let state = h.json()["job"]["state"].as_str().unwrap_or("?").to_owned();
            format!("{} {} {state}", h.path, h.id())
        })
        .collect()
}
