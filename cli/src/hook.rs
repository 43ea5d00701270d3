//! `--wait webhook`: a local listener (tiny_http) that receives the jobs'
//! signed deliveries and verifies them with `shared::delivery::webhooks::verify`.

use std::collections::HashSet;
use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use shared::contract::api::Job;
use shared::delivery::webhooks;

use crate::error::{CliError, CliResult};
use crate::wait::{Pending, left};

/// The local receiver for `--wait webhook`.
pub struct Hook {
    server: tiny_http::Server,
    url: String,
}

/// Largest delivery body read.
const MAX_DELIVERY_BYTES: u64 = 4 * 1024 * 1024;

impl Hook {
    /// Listens on `listen` (e.g. `127.0.0.1:0`); the callback URL is
    /// `public_url` when given (a tunnel), else the listener's own.
    pub fn start(listen: &str, public_url: Option<&str>) -> CliResult<Hook> {
        let server = tiny_http::Server::http(listen)
            .map_err(|e| CliError::Usage(format!("cannot listen on {listen}: {e}")))?;
        let address = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| CliError::Usage(format!("{listen} is not an IP address")))?;
        let url = match public_url {
            Some(url) => url.to_owned(),
            None => format!("http://{address}/docket-webhook"),
        };
        Ok(Hook { server, url })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Receives deliveries until the jobs are terminal. `secrets` are the
    /// owner's signing secrets (current first).
    pub fn wait(
        &self,
        ids: &[String],
        secrets: &[String],
        timeout: Duration,
        seen: &mut dyn FnMut(&Job),
        note: &dyn Fn(&str),
    ) -> CliResult<Vec<Job>> {
        let deadline = Instant::now() + timeout;
        let mut pending = Pending::new(ids);
        let mut delivered: HashSet<String> = HashSet::new();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        while !pending.finished() {
            let wait = left(deadline, timeout)?;
            let request = match self.server.recv_timeout(wait.min(Duration::from_secs(1))) {
                Ok(Some(request)) => request,
                Ok(None) => continue,
                Err(e) => {
                    return Err(CliError::Network(format!(
                        "the webhook listener failed: {e}"
                    )));
                }
            };
            match check(request, &secrets, &mut delivered) {
                Ok(Some(job)) => {
                    if pending.take(&job) {
                        seen(&job);
                    }
                }
                Ok(None) => {}
                Err(why) => note(&format!("docket: rejected a webhook delivery: {why}")),
            }
        }
        Ok(pending.into_jobs(ids))
    }
}

/// Verifies one delivery and answers it: 401 for a bad or stale signature,
/// 400 for a body that is not an event, 204 otherwise. Returns the job of a
/// first delivery (`None` for a repeat of a `webhook-id` already seen).
fn check(
    mut request: tiny_http::Request,
    secrets: &[&str],
    delivered: &mut HashSet<String>,
) -> Result<Option<Job>, String> {
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_owned())
    };
    let (id, timestamp, signature) = (
        header("webhook-id").unwrap_or_default(),
        header("webhook-timestamp").unwrap_or_default(),
        header("webhook-signature").unwrap_or_default(),
    );
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_DELIVERY_BYTES)
        .read_to_end(&mut body);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let verdict = match read {
        Err(e) => Err((400, format!("unreadable body: {e}"))),
        Ok(_) => webhooks::verify(secrets, &id, &timestamp, &signature, &body, now)
            .map_err(|e| (401, e.to_string()))
            .and_then(|()| {
                #[derive(serde::Deserialize)]
                struct Event {
                    job: Job,
                }
                serde_json::from_slice::<Event>(&body)
                    .map(|e| e.job)
                    .map_err(|e| (400, format!("not a job event: {e}")))
            }),
    };
    match verdict {
        Ok(job) => {
            let _ = request.respond(tiny_http::Response::empty(204));
            Ok(delivered.insert(id).then_some(job))
        }
        Err((status, why)) => {
            let _ = request
                .respond(tiny_http::Response::from_string(why.clone()).with_status_code(status));
            Err(why)
        }
    }
}
