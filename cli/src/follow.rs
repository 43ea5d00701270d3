//! Waiting for submitted jobs in the chosen way (poll, WebSocket, event
//! stream, webhook), and the final print of the jobs with their reports.

use std::time::Duration;

use shared::contract::api::{Job, JobState};
use shared::contract::report::Report;

use crate::client::Api;
use crate::error::{CliError, CliResult, exit};
use crate::hook::Hook;
use crate::interrupt;
use crate::output::{self, Ui};
use crate::sse;
use crate::wait::{self, Mode, Socket};

/// What listens for the jobs' events, opened before they exist.
#[derive(Default)]
pub struct Listening {
    pub socket: Option<Socket>,
    pub stream: Option<sse::Stream>,
    pub hook: Option<Hook>,
}

impl Listening {
    /// The WebSocket or the event stream, when that is how we wait (the
    /// webhook listener is set up by `submit` itself).
    pub fn open(api: &Api, mode: Option<Mode>) -> CliResult<Listening> {
        Ok(Listening {
            socket: (mode == Some(Mode::Ws))
                .then(|| Socket::open(api))
                .transpose()?,
            stream: (mode == Some(Mode::Sse))
                .then(|| sse::Stream::open(api))
                .transpose()?,
            hook: None,
        })
    }
}

/// Waits for the jobs in the chosen way.
pub fn follow(
    api: &Api,
    ui: &Ui,
    mode: Mode,
    listening: Listening,
    ids: &[String],
    timeout: u64,
) -> CliResult<Vec<Job>> {
    let timeout = Duration::from_secs(timeout);
    interrupt::offer_cancel(api, ids);
    let mut seen = |job: &Job| ui.job(job);
    let Listening {
        socket,
        stream,
        hook,
    } = listening;
    match (mode, socket, stream, hook) {
        (Mode::Ws, Some(socket), _, _) => socket.wait(api, ids, timeout, &mut seen),
        (Mode::Sse, _, Some(stream), _) => stream.wait(api, ids, timeout, &mut seen),
        (Mode::Webhook, _, _, Some(hook)) => {
            let mut secrets = vec![api.webhook_secret()?.webhook_secret];
            secrets.extend(api.minted_secret.clone());
            hook.wait(ids, &secrets, timeout, &mut seen, &|m| ui.note(m))
        }
        (Mode::Poll, ..) => wait::poll(api, ids, timeout, false, &mut seen),
        _ => wait::poll(api, ids, timeout, true, &mut seen),
    }
}

/// Prints the final jobs with their reports; exit code 1 when any failed.
pub fn finish(api: &Api, jobs: &[Job], json: bool) -> CliResult<i32> {
    let mut entries = Vec::new();
    for job in jobs {
        let report = match job.state() {
            JobState::Completed => Some(parse_report(&api.result(&job.id, false)?)?),
            _ => None,
        };
        entries.push((job, report));
    }
    if json {
        let value: Vec<serde_json::Value> = entries
            .iter()
            .map(|(job, report)| serde_json::json!({ "job": job, "report": report }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        for (job, report) in &entries {
            println!("{}", output::summary(job, report.as_ref()));
        }
    }
    let failed = jobs.iter().filter(|j| j.state() == JobState::Error).count();
    let cancelled = jobs
        .iter()
        .filter(|j| j.state() == JobState::Cancelled)
        .count();
    if failed + cancelled > 0 {
        eprintln!(
            "docket: of {} job(s), {failed} ended in error, {cancelled} cancelled",
            jobs.len()
        );
        return Ok(exit::JOB_ERROR);
    }
    Ok(exit::COMPLETED)
}

pub fn parse_report(text: &str) -> CliResult<Report> {
    serde_json::from_str(text).map_err(|e| CliError::Network(format!("unexpected report ({e})")))
}

pub fn print_jobs(jobs: &[Job], json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(jobs).unwrap_or_default());
    } else {
        for job in jobs {
            println!("{}", output::job_line(job));
        }
    }
}
