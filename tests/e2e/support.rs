//! The test client: every call states the status it expects, and failures show
//! the whole answer.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use shared::contract::api::Job;

/// The server under test.
pub fn base_url() -> String {
    std::env::var("DOCKET_URL").expect(
        "DOCKET_URL is not set: run the end-to-end tests with `cargo xtask test`, which starts wrangler dev",
    )
}

/// A file from the test corpus (`tests/corpus`).
pub fn corpus(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("DOCKET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn max_upload_bytes() -> u64 {
    std::env::var("DOCKET_MAX_UPLOAD_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("DOCKET_MAX_UPLOAD_BYTES is set by cargo xtask test")
}

/// One HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error.code` of an error answer.
    pub fn error_code(&self) -> String {
        let json = self.json();
        let code = json["error"]["code"].as_str();
        let message = json["error"]["message"].as_str();
        assert!(
            code.is_some() && message.is_some_and(|m| !m.is_empty()),
            "not an error answer: {json}"
        );
        code.unwrap_or_default().to_owned()
    }
}

/// An API client, optionally with an owner token.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    pub token: Option<String>,
    /// The webhook secret minted with the token.
    pub webhook_secret: Option<String>,
    /// How many times a request that got no answer at all is sent again
    /// (0: fail at once; the crash test sets it while its server restarts).
    pub transport_retries: u32,
}

impl Client {
    /// A client without a token.
    pub fn anonymous() -> Client {
        Client::anonymous_at(&base_url())
    }

    /// A client without a token, of the server at `base`.
    pub fn anonymous_at(base: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client {
            base: base.to_owned(),
            agent,
            token: None,
            webhook_secret: None,
            transport_retries: 0,
        }
    }

    /// A client with a freshly minted owner token.
    pub fn owner() -> Client {
        Client::owner_at(&base_url())
    }

    /// A client with an owner token minted by the server at `base`.
    pub fn owner_at(base: &str) -> Client {
        let mut client = Client::anonymous_at(base);
        let answer = client.call("POST", "/api/v1/tokens", None, &[], 201);
        let json = answer.json();
        let token = json["token"].as_str().expect("token").to_owned();
        assert!(token.starts_with("dkt_"));
        let secret = json["webhook_secret"].as_str().expect("webhook_secret");
        assert!(secret.starts_with("whsec_"));
        client.token = Some(token);
        client.webhook_secret = Some(secret.to_owned());
        client
    }

    /// Sends a request and asserts its status.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
        expected_status: u16,
    ) -> Answer {
        let answer = self.send(method, path, body, headers);
        assert_eq!(
            answer.status,
            expected_status,
            "{method} {path}: {answer:?} / {}",
            String::from_utf8_lossy(&answer.body)
        );
        answer
    }

    /// Sends a body-less request and returns whatever it answers.
    pub fn call_any(&self, method: &str, path: &str) -> Answer {
        self.send(method, path, None, &[])
    }

    /// Sends a request and returns whatever it answers (used by `tests/limits`).
    #[allow(dead_code)]
    pub fn call_any_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send(method, path, body, headers)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let attempt = || {
            let mut builder = ureq::http::Request::builder().method(method).uri(&url);
            if let Some(token) = &self.token {
                builder = builder.header("authorization", format!("Bearer {token}"));
            }
            for (k, v) in headers {
                builder = builder.header(*k, *v);
            }
            match body {
                Some(bytes) => self
                    .agent
                    .run(builder.body(bytes.to_vec()).expect("request")),
                None => self.agent.run(builder.body(()).expect("request")),
            }
        };
        let mut tries = 0;
        let mut restarts = 0;
        let answer = loop {
            match attempt() {
                Ok(mut response) => {
                    let answer = Answer {
                        status: response.status().as_u16(),
                        headers: response
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                            .collect(),
                        body: response
                            .body_mut()
                            .with_config()
                            .limit(64 * 1024 * 1024)
                            .read_to_vec()
                            .unwrap_or_default(),
                    };
                    // wrangler dev's own proxy, not Docket, answers this when
                    // the local runtime reloads under a request that is not a
                    // GET; it asks for the request again.
                    if answer.status == 503
                        && restarts < 3
                        && answer
                            .body
                            .starts_with(b"Your worker restarted mid-request")
                    {
                        eprintln!("{method} {path}: wrangler dev reloaded mid-request; again");
                        restarts += 1;
                        continue;
                    }
                    break answer;
                }
                // A server that is restarting drops connections for a moment;
                // and after wrangler's proxy broke off the exchange before
                // (the 503 above), the connection it leaves may be reset.
                Err(e) if tries < self.transport_retries.max(restarts) => {
                    eprintln!("{method} {path}: {e}; trying again");
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("{method} {path}: {e}"),
            }
        };
        let status = answer.status;
        if status >= 500 {
            eprintln!(
                "{method} {path}: {status}: {}",
                String::from_utf8_lossy(&answer.body)
            );
        }
        check_against_openapi(method, path, &answer);
        answer
    }

    /// Uploads a PDF; expects 202 and returns the job.
    pub fn submit(&self, bytes: &[u8], filename: &str) -> Job {
        let path = format!("/api/v1/jobs?filename={filename}");
        let answer = self.call(
            "POST",
            &path,
            Some(bytes),
            &[("content-type", "application/pdf")],
            202,
        );
        serde_json::from_slice(&answer.body).expect("a job")
    }

    /// A completed job's report (200 expected).
    pub fn result(&self, id: &str) -> Value {
        self.call("GET", &format!("/api/v1/jobs/{id}/result"), None, &[], 200)
            .json()
    }

    pub fn job(&self, id: &str) -> Job {
        let answer = self.call("GET", &format!("/api/v1/jobs/{id}"), None, &[], 200);
        serde_json::from_slice(&answer.body).expect("a job")
    }

    /// Polls until the job is terminal (honouring nothing fancy: 200 ms steps).
    pub fn wait_terminal(&self, id: &str, timeout: Duration) -> Job {
        let start = Instant::now();
        loop {
            let job = self.job(id);
            if job.state().is_terminal() {
                return job;
            }
            assert!(
                start.elapsed() < timeout,
                "job {id} still {} after {timeout:?}: {job:?}",
                job.state()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn check_against_openapi(method: &str, path: &str, answer: &Answer) {
    crate::openapi::check(
        method,
        path,
        answer.status,
        answer.header("content-type"),
        &answer.body,
    );
}

/// Sends a raw HTTP/1.1 request head plus `body_sent` bytes and reads the answer
/// (for requests a normal client will not send: a lying Content-Length, chunked
/// uploads).
pub fn raw_request(head: &str, body_sent: &[u8]) -> (u16, String) {
    let base = base_url();
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("write head");
    let _ = stream.write_all(body_sent);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read until the head and the (small) error body are in.
    while let Ok(n) = stream.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    (status, text)
}
