//! What the CLI prints. Results go to stdout (text, or JSON with `--json`);
//! progress goes to stderr: bars on a terminal, plain lines otherwise, so
//! scripts can read stdout undisturbed.
//!
//! The plain lines tell each job's story once and in order ([`Ui::job`]): a
//! copy of a job no newer than the one shown (`Job::is_newer_than`, the
//! project's one ordering rule), or in an earlier state, is never printed;
//! a line is printed when the state changes (a queue place too, when it
//! moves), not for progress within a state; and the final state is left to
//! the summary that follows it.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use shared::contract::api::{Job, JobState};
use shared::contract::collection::Collection;
use shared::contract::report::Report;
use shared::forensics::benford::DigitTest;

use crate::client::Progress;

/// What is shown of one job.
struct Shown {
    bar: Option<ProgressBar>,
    newest: Option<Job>,
    step: String,
}

/// Progress on stderr.
pub struct Ui {
    bars: Option<MultiProgress>,
    /// Per job: its bar (terminal), the newest copy seen and the story's
    /// last step printed.
    jobs: Mutex<HashMap<String, Shown>>,
    quiet: bool,
}

impl Ui {
    /// Bars when stderr is a terminal; `quiet` prints no progress at all.
    pub fn new(quiet: bool) -> Ui {
        let tty = std::io::stderr().is_terminal() && !quiet;
        Ui {
            bars: tty.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            jobs: Mutex::new(HashMap::new()),
            quiet,
        }
    }

    /// A progress callback for one upload.
    pub fn upload(&self, name: &str, total: u64) -> Progress {
        match &self.bars {
            Some(bars) => {
                let bar = bars.add(ProgressBar::new(total));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:24!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message(format!("↑ {name}"));
                Arc::new(move |sent, _| {
                    bar.set_position(sent);
                    if sent >= total {
                        bar.finish_and_clear();
                    }
                })
            }
            None => Arc::new(|_, _| {}),
        }
    }

    /// Shows a job's latest state (called on every update a waiter sees,
    /// in whatever order the updates come; see the module's rules).
    pub fn job(&self, job: &Job) {
        if self.quiet {
            return;
        }
        let Ok(mut jobs) = self.jobs.lock() else {
            return;
        };
        let shown = jobs.entry(job.id.clone()).or_insert_with(|| Shown {
            bar: self.bar("pages", &job.filename),
            newest: None,
            step: String::new(),
        });
        if let Some(newest) = &shown.newest
            && (newest.is_newer_than(job) || rank(job.state()) < rank(newest.state()))
        {
            return; // an older copy (a replay, a slow poll): already told
        }
        // A waiting job's copy without its place (an event) says nothing
        // new about a place already shown.
        let placeless = job.state() == JobState::Uploaded && job.queue.is_none();
        let step = match &shown.newest {
            Some(newest) if placeless && newest.state() == JobState::Uploaded => shown.step.clone(),
            _ => story_step(job),
        };
        shown.newest = Some(job.clone());
        match &shown.bar {
            Some(bar) => {
                if let Some(p) = job.progress {
                    bar.set_length(u64::from(p.pages_total.max(1)));
                    bar.set_position(u64::from(p.pages_done));
                }
                bar.set_prefix(job.state().as_str().to_owned());
                if job.state().is_terminal() {
                    bar.finish_and_clear();
                }
            }
            None => {
                if step != shown.step && !job.state().is_terminal() {
                    eprintln!("{}  {}  {}", job.id, job.filename, state_words(job));
                }
                shown.step = step;
            }
        }
    }

    /// Shows a collection's latest version: a bar of its documents ended on
    /// a terminal, else a line when its state or its documents ended change.
    pub fn collection(&self, c: &Collection) {
        if self.quiet {
            return;
        }
        let Ok(mut shown) = self.jobs.lock() else {
            return;
        };
        let entry = shown.entry(c.id.clone()).or_insert_with(|| Shown {
            bar: self.bar("documents", &c.name),
            newest: None,
            step: String::new(),
        });
        let step = format!("{} {}", c.state(), c.progress.documents_done);
        match &entry.bar {
            Some(bar) => {
                bar.set_length(u64::from(c.progress.documents_total.max(1)));
                bar.set_position(u64::from(c.progress.documents_done));
                bar.set_prefix(c.state().as_str().to_owned());
                if c.state().is_terminal() {
                    bar.finish_and_clear();
                }
            }
            None if step != entry.step => {
                eprintln!("{}  {}  {}", c.id, c.name, state_words_of_collection(c));
            }
            None => {}
        }
        entry.step = step;
    }

    /// A bar of `pos/len {unit}` named `name` (on a terminal only).
    fn bar(&self, unit: &str, name: &str) -> Option<ProgressBar> {
        self.bars.as_ref().map(|bars| {
            let bar = bars.add(ProgressBar::new(1));
            let template = format!("{{msg:24!}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{prefix}}");
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(name.to_owned());
            bar
        })
    }

    /// A message that does not disturb the bars.
    pub fn note(&self, text: &str) {
        match &self.bars {
            Some(bars) => {
                let _ = bars.println(text);
            }
            None => eprintln!("{text}"),
        }
    }
}

/// `processing (page 3 of 12)`, `error: encrypted — …`.
pub fn state_words(job: &Job) -> String {
    match (job.state(), &job.error, job.progress) {
        (JobState::Error, Some(e), _) => format!("error: {} — {}", e.code, e.message),
        (JobState::Processing, _, Some(p)) => match p.eta_seconds {
            Some(eta) => format!(
                "processing (page {} of {}, about {eta} s left)",
                p.pages_done, p.pages_total
            ),
            None => format!("processing (page {} of {})", p.pages_done, p.pages_total),
        },
        (JobState::Uploaded, _, _) if job.queue.is_some() => {
            let q = job.queue.map_or((0, 0), |q| (q.position, q.eta_seconds));
            format!("queued (#{} in line, done in about {} s)", q.0, q.1)
        }
        (JobState::Completed, _, _) if !job.warnings.is_empty() => {
            let pages: usize = job.warnings.iter().map(|w| w.pages.len()).sum();
            format!("completed, {pages} page(s) with warnings")
        }
        (JobState::Processing, _, None) if job.attempt > 1 => {
            format!("processing (attempt {})", job.attempt)
        }
        (state, _, _) => state.as_str().to_owned(),
    }
}

/// `processing: 2 of 3 documents ended (1 waiting, 0 running, 2 completed, 0 failed, 0 cancelled)`.
pub fn state_words_of_collection(c: &Collection) -> String {
    let n = c.counts;
    let mut words = format!(
        "{}: {} of {} documents ended ({} waiting, {} running, {} completed, {} failed, {} \
         cancelled)",
        c.state(),
        n.ended(),
        n.documents,
        n.waiting,
        n.processing,
        n.completed,
        n.error,
        n.cancelled
    );
    if let Some(e) = &c.error {
        words.push_str(&format!(" — {}", e.message));
    }
    words
}

/// A state's place in the state machine's order.
fn rank(state: JobState) -> u8 {
    match state {
        JobState::Uploaded => 0,
        JobState::Processing => 1,
        _ => 2,
    }
}

/// What makes a new line in a job's story: its state, and while it waits
/// its place in line (not the estimate), while it runs its attempt (not
/// its progress).
fn story_step(job: &Job) -> String {
    match job.state() {
        JobState::Uploaded => match job.queue {
            Some(q) => format!("queued #{}", q.position),
            None => "uploaded".to_owned(),
        },
        JobState::Processing => format!("processing {}", job.attempt),
        state => state.as_str().to_owned(),
    }
}

/// One line per job: id, file, state.
pub fn job_line(job: &Job) -> String {
    format!("{}  {}  {}", job.id, job.filename, state_words(job))
}

/// What a finished job found, in a few lines (the same whichever way the
/// CLI waited).
pub fn summary(job: &Job, report: Option<&Report>) -> String {
    let mut out = job_line(job);
    for warning in &job.warnings {
        out.push_str(&format!("\n  warning: {}", warning.message));
    }
    if let Some(r) = report {
        out.push_str(&format!(
            "\n  {} page{}, PDF {}, {} words, {} numbers found, {} used for Benford",
            r.pages,
            if r.pages == 1 { "" } else { "s" },
            r.pdf_version,
            r.text.words,
            r.numbers.found,
            r.numbers.used
        ));
        if let Some(title) = r.metadata.title.as_deref().filter(|t| !t.is_empty()) {
            out.push_str(&format!("\n  title: {title}"));
        }
        let first = &r.benford.first_digit;
        out.push_str(&format!("\n  first digit: {}", verdict(first)));
        out.push_str(&format!("\n  {}", first.conformity.explain()));
    }
    out
}

pub fn verdict(test: &DigitTest) -> String {
    use shared::forensics::benford::{chance_words, class_name, needs_words, p_words, thousands};
    format!(
        "{} ({} numbers{}; {}; χ² {:.2}, {})",
        class_name(test.conformity),
        thousands(test.n),
        needs_words(test),
        chance_words(test),
        test.chi_square,
        p_words(test.p_value)
    )
}

/// The first-digit table: digit, count, observed and expected shares.
pub fn digit_table(report: &Report) -> String {
    let t = &report.benford.first_digit;
    let mut out = String::from("digit  count  observed  expected\n");
    for (i, count) in t.counts.iter().enumerate() {
        out.push_str(&format!(
            "{:>5}  {:>5}  {:>8.4}  {:>8.4}\n",
            i + 1,
            count,
            t.observed.get(i).copied().unwrap_or_default(),
            t.expected.get(i).copied().unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::contract::api::{ErrorBody, ErrorCode, Progress as Pages};

    /// A job walked to `state` through the state machine.
    fn job(state: JobState) -> Job {
        let new = shared::jobs::state::NewJob {
            id: "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f".into(),
            filename: "q3.pdf".into(),
            ..Default::default()
        };
        Job::uploaded(new, "t").walked_to(state, "t").unwrap()
    }

    #[test]
    fn states_read_as_words() {
        let mut processing = job(JobState::Processing);
        processing.progress = Some(Pages {
            pages_done: 3,
            pages_total: 12,
            eta_seconds: None,
        });
        assert_eq!(state_words(&processing), "processing (page 3 of 12)");
        let mut failed = job(JobState::Error);
        failed.error = Some(ErrorBody::new(ErrorCode::Encrypted, "password needed"));
        assert_eq!(state_words(&failed), "error: encrypted — password needed");
        assert_eq!(
            job_line(&job(JobState::Completed)),
            "6f1c1f5e-4b0a-4c1e-9a55-2b1f0c3d4e5f  q3.pdf  completed"
        );
        assert_eq!(state_words(&job(JobState::Cancelled)), "cancelled");
        let mut waiting = job(JobState::Uploaded);
        waiting.queue = Some(shared::contract::api::QueueInfo {
            position: 2,
            eta_seconds: 7,
        });
        assert_eq!(
            state_words(&waiting),
            "queued (#2 in line, done in about 7 s)"
        );
    }

    #[test]
    fn a_partly_read_job_says_which_pages() {
        let mut partly = job(JobState::Completed);
        partly.warnings = vec![shared::contract::api::Warning {
            code: shared::contract::api::WarningCode::UnreadableContent,
            message: "1 page could not be read and was skipped (page 2: …)".into(),
            pages: vec![2],
        }];
        assert_eq!(state_words(&partly), "completed, 1 page(s) with warnings");
        assert!(
            summary(&partly, None).contains("\n  warning: 1 page could not be read"),
            "{}",
            summary(&partly, None)
        );
    }
}
