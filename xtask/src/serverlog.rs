//! The servers' logs after an end-to-end run: a run whose `wrangler dev`
//! logged an error (`✘ [ERROR]`) or an uncaught exception fails, whatever
//! its tests said. Every suite's servers log to `target/xtask/wrangler-*.log`
//! (the ones the tests start themselves too), so one look covers them all.
//!
//! One kind of line is excused, by what it says rather than by where it is:
//! this machine resolves no host names, so a webhook to a made-up host
//! (schemathesis invents them) fails its DNS lookup. workerd logs that
//! failure itself (`DNS lookup failed`), and reports the request's own body
//! as an uncaught `internal error` right after it; Docket's code has caught
//! and recorded the failed delivery by then (`what":"webhook"`).
//!
//! And a start that lost a race for its port (`Address already in use`):
//! the free ports a test's server is given are free a moment before wrangler
//! binds them, another test's server may take one first, and the harness
//! (`devserver`) then starts it once more. Such a server never served.
//!
//! And a client that hung up on a streamed body (an event stream, a list of
//! numbers): when its connection is reset while the runtime writes to it,
//! workerd reports `Uncaught Error: Network connection lost.` for the body's
//! request (its debug log shows the reset `writev` first). Docket's body
//! (`edge/src/pipe.rs`) sees the same hang-up and logs `client_left`; so as
//! many of those reports are excused as Docket logged hang-ups, no more.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::runner::Counts;

/// How many lines with text after a failed DNS lookup workerd's report of
/// the same request may come (other requests' lines come between).
const DNS_ECHO_LINES: usize = 8;

/// An offending line of a log.
#[derive(Debug, PartialEq, Eq)]
pub struct Offence {
    pub log: PathBuf,
    pub line: usize,
    pub text: String,
}

/// How long each server log was before a run: the logs are appended to
/// (a restarted server keeps its file), so a run reads only what it added.
/// A log removed and written anew during the run (a test's server starts
/// on a fresh log) is another file: it is read whole.
pub struct Marks(HashMap<PathBuf, (u64, u64)>);

impl Marks {
    pub fn take(work: &Path) -> std::io::Result<Marks> {
        let mut marks = HashMap::new();
        for log in logs(work)? {
            let meta = std::fs::metadata(&log)?;
            marks.insert(log, (birth(&meta), meta.len()));
        }
        Ok(Marks(marks))
    }

    /// Where this run's part of `log` begins.
    fn start_of(&self, log: &Path) -> std::io::Result<usize> {
        let made = birth(&std::fs::metadata(log)?);
        Ok(match self.0.get(log) {
            Some(&(before, len)) if before == made => len as usize,
            _ => 0,
        })
    }
}

fn logs(work: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(work)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("wrangler-") && n.ends_with(".log"))
        })
        .collect();
    logs.sort();
    Ok(logs)
}

/// Which file a log is: its inode and when it was made (an inode freed by a
/// removal is handed to the next file at once).
fn birth(meta: &std::fs::Metadata) -> u64 {
    let made = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    meta.ino() ^ made
}

/// The offending lines every `wrangler-*.log` in `work` gained since `marks`
/// (line numbers count from where the run began in that file).
pub fn offences_since(work: &Path, marks: &Marks) -> std::io::Result<Vec<Offence>> {
    let mut found = Vec::new();
    for log in logs(work)? {
        let from = marks.start_of(&log)?;
        let bytes = std::fs::read(&log)?;
        let text = String::from_utf8_lossy(bytes.get(from..).unwrap_or_default());
        for (line, text) in offending_lines(&text) {
            found.push(Offence {
                log: log.clone(),
                line,
                text,
            });
        }
    }
    Ok(found)
}

/// One check's counts: passed when no log gained an offending line since
/// `marks`, failed (each line printed) otherwise.
pub fn verdict(work: &Path, marks: &Marks) -> anyhow::Result<Counts> {
    let offences = offences_since(work, marks)?;
    if offences.is_empty() {
        println!("server logs: no error and no uncaught exception");
        return Ok(Counts {
            passed: 1,
            failed: 0,
        });
    }
    for o in &offences {
        eprintln!(
            "{}: line {} of this run's part: {}",
            o.log.display(),
            o.line,
            o.text
        );
    }
    eprintln!(
        "FAILED: server logs: {} error or uncaught-exception line(s)",
        offences.len()
    );
    Ok(Counts {
        passed: 0,
        failed: 1,
    })
}

/// Docket's line for a client that hung up on a streamed body
/// (`edge/src/pipe.rs`'s `CLIENT_LEFT`).
const CLIENT_LEFT: &str = r#""what":"client_left""#;
/// workerd's report of the same hang-up.
const CONNECTION_LOST: &str = "Uncaught Error: Network connection lost.";

/// The offending lines of one log (1-based numbers, colours stripped).
fn offending_lines(log: &str) -> Vec<(usize, String)> {
    let mut hang_ups = log.lines().filter(|l| l.contains(CLIENT_LEFT)).count();
    let mut found = Vec::new();
    let mut last_dns: Option<usize> = None;
    // Lines with text in them (the echo's distance is counted in those).
    let mut seen = 0;
    for (i, raw) in log.lines().enumerate() {
        let line = strip_colours(raw);
        if line.trim().is_empty() {
            continue;
        }
        seen += 1;
        if line.contains("DNS lookup failed") {
            last_dns = Some(seen);
            continue;
        }
        let error = line.contains("✘ [ERROR]") || line.contains("Uncaught");
        if !error {
            continue;
        }
        let echo_of_dns = line.contains("Uncaught Error: internal error")
            && last_dns.is_some_and(|d| seen - d <= DNS_ECHO_LINES);
        let lost_its_port = line.contains("✘ [ERROR] Address already in use");
        let hang_up = line.contains(CONNECTION_LOST) && hang_ups > 0;
        if hang_up {
            hang_ups -= 1;
        }
        if !echo_of_dns && !lost_its_port && !hang_up {
            found.push((i + 1, line.trim().to_owned()));
        }
    }
    found
}

/// The line without its terminal colour codes (`ESC [ … m`).
fn strip_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_uncaught_exceptions_are_found_with_their_line() {
        let log = "[wrangler:info] Ready\n\
                   \u{1b}[31m✘ \u{1b}[41;31m[\u{1b}[41;97mERROR\u{1b}[41;31m]\u{1b}[0m boom\n\
                   ok\n\
                   Uncaught (in promise) TypeError: x\n";
        assert_eq!(
            offending_lines(log),
            vec![
                (2, "✘ [ERROR] boom".to_owned()),
                (4, "Uncaught (in promise) TypeError: x".to_owned())
            ]
        );
        assert!(offending_lines("[wrangler:info] GET / 200 OK\n▲ [WARNING] slow\n").is_empty());
    }

    #[test]
    fn only_the_echo_of_a_failed_dns_lookup_is_excused() {
        let log = "✘ [ERROR] e = kj: failed: DNS lookup failed.; params.host = vr.y.com\n\
                   \n  stack: workerd@51f50be\n\n\
                   {\"what\":\"webhook\"}\n\
                   ✘ [ERROR] Uncaught Error: internal error; reference = abc\n";
        assert!(offending_lines(log).is_empty());
        // Far from any lookup, the same line counts.
        let far = format!(
            "{log}{}✘ [ERROR] Uncaught Error: internal error; reference = d\n",
            "x\n".repeat(20)
        );
        assert_eq!(offending_lines(&far).len(), 1);
        // Another error after a lookup counts.
        let other = "DNS lookup failed\n✘ [ERROR] Uncaught Error: Network connection lost.\n";
        assert_eq!(offending_lines(other).len(), 1);
    }

    #[test]
    fn a_log_written_anew_during_the_run_is_read_whole() {
        let work = std::env::temp_dir().join(format!("serverlog-{}", std::process::id()));
        std::fs::create_dir_all(&work).unwrap();
        let log = work.join("wrangler-t.log");
        std::fs::write(&log, "old line\n".repeat(50)).unwrap();
        let marks = Marks::take(&work).unwrap();
        // A fresh log, shorter than the old one, with an error in it.
        std::fs::remove_file(&log).unwrap();
        std::fs::write(&log, "✘ [ERROR] new\n").unwrap();
        let found = offences_since(&work, &marks).unwrap();
        // Appended to instead: only what was added counts.
        let marks = Marks::take(&work).unwrap();
        let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        std::io::Write::write_all(&mut file, b"fine\n").unwrap();
        let added = offences_since(&work, &marks).unwrap();
        std::fs::remove_dir_all(&work).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(added.is_empty(), "{added:?}");
    }

    #[test]
    fn a_lost_connection_is_excused_once_for_each_hang_up_docket_logged() {
        let lost = "✘ [ERROR] Uncaught Error: Network connection lost.\n";
        let left = "{\"log\":\"docket.stream\",\"what\":\"client_left\"}\n";
        assert!(offending_lines(&format!("{lost}{left}{left}{lost}")).is_empty());
        // Without a hang-up, or more reports than hang-ups: they count.
        assert_eq!(offending_lines(lost).len(), 1);
        let more = format!("{left}{lost}{lost}");
        assert_eq!(offending_lines(&more), vec![(3, lost.trim().to_owned())]);
        // A hang-up excuses nothing else.
        let other = format!("{left}✘ [ERROR] Uncaught Error: internal error\n");
        assert_eq!(offending_lines(&other).len(), 1);
    }

    #[test]
    fn a_start_that_lost_its_port_is_excused() {
        let log = "✘ [ERROR] Address already in use (127.0.0.1:43067). Please check that you \
                   are not already running a server on this address\n\
                   ✘ [ERROR] Address family not supported\n";
        assert_eq!(
            offending_lines(log),
            vec![(2, "✘ [ERROR] Address family not supported".to_owned())]
        );
    }
}
