//! The HTTP side of the CLI: one method per API call, errors turned into
//! [`CliError`] with the server's own message, 429 answered by waiting the
//! server's `Retry-After` and trying again, and uploads that report progress.

mod collections;
mod uploads;

pub use uploads::Appended;

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use shared::contract::api::{Job, JobState};
use shared::contract::auth::TokenResponse;
use shared::contract::listing::JobList;
use shared::delivery::client::{ApiError, path, retry_after};
use shared::delivery::webhooks::SecretResponse;
use ureq::http::Response;
use ureq::{Body, SendBody};

use crate::config::{Config, Credentials};
use crate::error::{CliError, CliResult};

/// How many times a 429 is waited out before giving up.
const RATE_LIMIT_RETRIES: u32 = 5;
/// The longest `Retry-After` waited out for a 429.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(120);

pub struct Api {
    base: String,
    agent: ureq::Agent,
    token: Option<String>,
    /// The webhook secret minted with the token, when known.
    pub minted_secret: Option<String>,
}

/// A poll's answer.
pub enum Polled {
    /// The job (changed, or the first look), with its ETag.
    Job { job: Box<Job>, etag: Option<String> },
    /// 304: as before.
    Unchanged,
}

impl Api {
    /// A client without a token.
    pub fn anonymous(server: &str) -> Api {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent(concat!("docket-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Api {
            base: server.trim_end_matches('/').to_owned(),
            agent,
            token: None,
            minted_secret: None,
        }
    }

    /// A client with the owner token from `token` (`--token`/`DOCKET_TOKEN`),
    /// else the one saved for this server, else a new one (minted and saved).
    pub fn owner(server: &str, token: Option<String>) -> CliResult<Api> {
        let mut api = Api::anonymous(server);
        if let Some(token) = token {
            api.token = Some(token);
            return Ok(api);
        }
        let config = Config::load()?;
        if let Some(saved) = config.servers.get(&Config::key(server)) {
            api.token = Some(saved.token.clone());
            api.minted_secret = saved.webhook_secret.clone();
            return Ok(api);
        }
        let minted = api.mint_and_save()?;
        eprintln!(
            "docket: no token for {server} yet; minted one and saved it in {}",
            minted.display()
        );
        Ok(api)
    }

    /// Mints a token and saves it for this server; returns the config path.
    pub fn mint_and_save(&mut self) -> CliResult<std::path::PathBuf> {
        let minted: TokenResponse = self.call_json("POST", &path::tokens(), None)?;
        let mut config = Config::load()?;
        config.servers.insert(
            Config::key(&self.base),
            Credentials {
                token: minted.token.clone(),
                webhook_secret: Some(minted.webhook_secret.clone()),
            },
        );
        let path = config.save()?;
        self.token = Some(minted.token);
        self.minted_secret = Some(minted.webhook_secret);
        Ok(path)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request (again after a 429, as the server asks), returns the
    /// answer whatever its status.
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        mut body: Option<&mut dyn FnMut() -> CliResult<SendBody<'static>>>,
    ) -> CliResult<Response<Body>> {
        let mut tries = 0;
        loop {
            let mut builder = ureq::http::Request::builder()
                .method(method)
                .uri(self.url(path));
            if let Some(token) = &self.token {
                builder = builder.header("authorization", format!("Bearer {token}"));
            }
            for (k, v) in headers {
                builder = builder.header(*k, v);
            }
            let result = match body.as_mut() {
                Some(make) => {
                    let request = builder
                        .body(make()?)
                        .map_err(|e| CliError::Usage(format!("bad request: {e}")))?;
                    self.agent.run(request)
                }
                None => {
                    let request = builder
                        .body(())
                        .map_err(|e| CliError::Usage(format!("bad request: {e}")))?;
                    self.agent.run(request)
                }
            };
            let response = result.map_err(|e| CliError::Network(format!("{} ({e})", self.base)))?;
            if response.status().as_u16() == 429 && tries < RATE_LIMIT_RETRIES {
                let wait = retry_after_of(&response)
                    .unwrap_or(Duration::from_secs(1))
                    .min(MAX_RATE_LIMIT_WAIT);
                eprintln!("docket: the server is rate-limiting; waiting {wait:?} as it asks");
                std::thread::sleep(wait);
                tries += 1;
                continue;
            }
            return Ok(response);
        }
    }

    /// A call whose 2xx answer is JSON.
    fn call_json<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        headers: Option<&[(&str, String)]>,
    ) -> CliResult<T> {
        let response = self.send(method, path, headers.unwrap_or_default(), None)?;
        json_or_error(response)
    }

    pub fn job(&self, id: &str) -> CliResult<Job> {
        self.call_json("GET", &path::job(id), None)
    }

    /// `GET /jobs/{id}?wait=N` with `If-None-Match`: returns when the job
    /// changes or the server's wait ends.
    pub fn poll(
        &self,
        id: &str,
        etag: Option<&str>,
        wait_secs: u32,
    ) -> CliResult<(Polled, Option<Duration>)> {
        let headers: Vec<(&str, String)> = etag
            .map(|e| vec![("if-none-match", e.to_owned())])
            .unwrap_or_default();
        let response = self.send("GET", &path::job_wait(id, wait_secs), &headers, None)?;
        let retry = retry_after_of(&response);
        if response.status().as_u16() == 304 {
            return Ok((Polled::Unchanged, retry));
        }
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let job: Job = json_or_error(response)?;
        Ok((
            Polled::Job {
                job: Box::new(job),
                etag,
            },
            retry,
        ))
    }

    pub fn jobs(
        &self,
        state: Option<JobState>,
        limit: u32,
        cursor: Option<&str>,
    ) -> CliResult<JobList> {
        self.call_json("GET", &path::jobs(limit, state, cursor), None)
    }

    /// The report as the server sends it (JSON) or its digit table (CSV).
    pub fn result(&self, id: &str, csv: bool) -> CliResult<String> {
        let response = self.send("GET", &path::result(id, csv), &[], None)?;
        text_or_error(response)
    }

    /// `GET /events` as Server-Sent Events, resuming after `last_seq`: the
    /// open response, whose body is the stream (an error answer as the
    /// error it carries). The agent's overall timeout ends a stream after
    /// two minutes; the caller reconnects with the last id.
    pub fn event_stream(&self, last_seq: Option<u64>) -> CliResult<Response<Body>> {
        let mut headers = vec![("accept", shared::delivery::sse::CONTENT_TYPE.to_owned())];
        if let Some(seq) = last_seq {
            headers.push(("last-event-id", seq.to_string()));
        }
        let response = self.send("GET", &path::events(None, None), &headers, None)?;
        if response.status().is_success() {
            Ok(response)
        } else {
            text_or_error(response)
                .and_then(|text| Err(CliError::Network(format!("no event stream: {text}"))))
        }
    }

    /// `POST /jobs/{id}/cancel`: the job, `cancelled` or still stopping.
    pub fn cancel(&self, id: &str) -> CliResult<Job> {
        self.call_json("POST", &path::cancel(id), None)
    }

    /// A second client for the same server and owner (for another thread).
    pub fn same_owner(&self) -> Api {
        let mut api = Api::anonymous(&self.base);
        api.token = self.token.clone();
        api
    }

    pub fn delete(&self, id: &str) -> CliResult<()> {
        let response = self.send("DELETE", &path::job(id), &[], None)?;
        text_or_error(response).map(|_| ())
    }

    pub fn webhook_secret(&self) -> CliResult<SecretResponse> {
        self.call_json("GET", &path::webhook_secret(), None)
    }
}

/// Reads the body of a 2xx answer as JSON, or the error it carries.
fn json_or_error<T: DeserializeOwned>(response: Response<Body>) -> CliResult<T> {
    let text = text_or_error(response)?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Network(format!("unexpected answer ({e}): {text}")))
}

/// The body of a 2xx answer, or the error it carries.
fn text_or_error(mut response: Response<Body>) -> CliResult<String> {
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| CliError::Network(format!("reading the answer failed: {e}")))?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    Err(CliError::Api(ApiError::from_answer(status, &text)))
}

/// The answer's `Retry-After`, read by `shared::delivery::client`.
fn retry_after_of(response: &Response<Body>) -> Option<Duration> {
    let header = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    retry_after(header, now)
}

/// Told `(bytes sent, bytes in all)` as an upload goes.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;
