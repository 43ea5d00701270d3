//! A small blocking client for the benchmarks: its own owner token, every
//! 429 waited out (`Retry-After`) and counted, and — when given `patience`
//! — requests sent again while the server is unreachable or answers 5xx
//! (a server being restarted).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Api {
    base: String,
    agent: ureq::Agent,
    token: String,
    /// 429s waited out, shared by the clients of a run.
    pub limited: Arc<AtomicUsize>,
    /// How long to keep sending a request again while the server is down
    /// (`None`: a transport error is an error at once).
    pub patience: Option<Duration>,
}

pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Api {
    /// A client of a new owner (a token minted now).
    pub fn new(
        base: &str,
        limited: Arc<AtomicUsize>,
        patience: Option<Duration>,
    ) -> Result<Api, String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(90)))
            .build()
            .into();
        let mut api = Api {
            base: base.to_owned(),
            agent,
            token: String::new(),
            limited,
            patience,
        };
        let minted = api.send("POST", "/api/v1/tokens", None, &[])?;
        let json: Value = serde_json::from_slice(&minted.body).map_err(|e| e.to_string())?;
        api.token = json["token"].as_str().ok_or("no token")?.to_owned();
        Ok(api)
    }

    fn once(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, String> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !self.token.is_empty() {
            builder = builder.header("authorization", format!("Bearer {}", self.token));
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let sent = match body {
            Some(b) => self
                .agent
                .run(builder.body(b.to_vec()).map_err(|e| e.to_string())?),
            None => self.agent.run(builder.body(()).map_err(|e| e.to_string())?),
        };
        let mut response = sent.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| format!("{method} {path}: {e}"))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// One request, answered (see the module's description for what is
    /// waited out and sent again).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, String> {
        let started = Instant::now();
        loop {
            let wait = match self.once(method, path, body, headers) {
                Ok(answer) if answer.status == 429 => {
                    self.limited.fetch_add(1, Ordering::Relaxed);
                    let secs: u64 = answer
                        .headers
                        .get("retry-after")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1);
                    Duration::from_secs(secs.max(1))
                }
                Ok(answer) if answer.status >= 500 && self.patience.is_some() => {
                    Duration::from_millis(500)
                }
                Ok(answer) => return Ok(answer),
                Err(e) => match self.patience {
                    Some(patience) if started.elapsed() < patience => Duration::from_millis(500),
                    _ => return Err(e),
                },
            };
            if self.patience.is_some_and(|p| started.elapsed() > p) {
                return Err(format!(
                    "{method} {path}: no answer for {:?}",
                    self.patience
                ));
            }
            std::thread::sleep(wait);
        }
    }

    /// The owner's token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A GET answered 200, as JSON.
    pub fn json(&self, path: &str) -> Result<Value, String> {
        let answer = self.send("GET", path, None, &[])?;
        if answer.status != 200 {
            return Err(format!("GET {path}: {}", answer.status));
        }
        serde_json::from_slice(&answer.body).map_err(|e| format!("GET {path}: {e}"))
    }
}

impl Api {
    /// Every job of the owner, through every page of the listing.
    pub fn all_jobs(&self) -> Result<Vec<shared::contract::api::Job>, String> {
        let mut jobs = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/jobs?limit=100&cursor={c}"),
                None => "/api/v1/jobs?limit=100".to_owned(),
            };
            let page = self.json(&path)?;
            let batch: Vec<shared::contract::api::Job> =
                serde_json::from_value(page["jobs"].clone()).map_err(|e| e.to_string())?;
            jobs.extend(batch);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(jobs),
            }
        }
    }
}

/// The JSON log lines (`shared::delivery::oplog`) in a server's log file.
pub fn oplog_lines(log: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.find(r#"{"log":"docket.job""#).map(|i| &l[i..]))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
