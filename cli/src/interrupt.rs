//! Ctrl-C while the CLI waits for jobs: it asks on stderr whether to cancel
//! the jobs that have not finished and reads the answer from stdin (`y` or
//! `yes`; anything else, or no input at all — a script — leaves them
//! running and says how to cancel them later), then exits with
//! [`INTERRUPTED`](crate::error::exit::INTERRUPTED).

use std::io::{BufRead, Write};

use crate::client::Api;
use crate::error::exit;
use crate::output;

/// Whether an answer to the prompt means yes.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// From now on, Ctrl-C offers to cancel the unfinished ones of `ids`.
pub fn offer_cancel(api: &Api, ids: &[String]) {
    let api = api.same_owner();
    let ids = ids.to_vec();
    let installed = ctrlc::set_handler(move || {
        let unfinished: Vec<&String> = ids
            .iter()
            .filter(|id| api.job(id).map_or(true, |j| j.state().is_active()))
            .collect();
        if !unfinished.is_empty() {
            ask_and_cancel(&api, &unfinished);
        }
        std::process::exit(exit::INTERRUPTED);
    });
    if let Err(e) = installed {
        eprintln!("docket: Ctrl-C will not offer to cancel ({e})");
    }
}

fn ask_and_cancel(api: &Api, ids: &[&String]) {
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "\ndocket: interrupted. Cancel the {} unfinished job(s)? [y/N] ",
        ids.len()
    );
    let _ = err.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if !is_yes(&answer) {
        let list: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
        eprintln!(
            "docket: the jobs keep running; `docket cancel {}` stops them",
            list.join(" ")
        );
        return;
    }
    for id in ids {
        match api.cancel(id) {
            Ok(job) => eprintln!("docket: cancel asked: {}", output::job_line(&job)),
            Err(e) => eprintln!("docket: could not cancel {id}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_yes_cancels() {
        assert!(is_yes("y\n"));
        assert!(is_yes(" YES "));
        assert!(!is_yes(""));
        assert!(!is_yes("n"));
        assert!(!is_yes("yeah"));
    }
}
