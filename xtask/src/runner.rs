//! Running a check and counting its tests: a plain command passes or fails
//! as a whole; a test command's `test result: … N passed; M failed` lines
//! are added up.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::util::root;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub passed: u32,
    pub failed: u32,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// A check without test counts: passes or fails as a whole.
pub(crate) fn plain(cmd: &mut Command) -> Result<Counts> {
    crate::util::run(cmd.current_dir(root()))?;
    Ok(Counts {
        passed: 1,
        failed: 0,
    })
}

/// Runs a test command, echoing its output and adding up its
/// `test result: … N passed; M failed` lines.
pub(crate) fn tests(cmd: &mut Command) -> Result<Counts> {
    let printable = format!("{cmd:?}");
    println!("$ {printable}");
    let mut child = cmd
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {printable}"))?;
    let mut counts = Counts::default();
    let mut saw_result = false;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            if let Some(rest) = line.trim().strip_prefix("test result: ") {
                saw_result = true;
                counts.passed += number_before(rest, " passed");
                counts.failed += number_before(rest, " failed");
            }
        }
    }
    let status = child.wait()?;
    if !status.success() && counts.failed == 0 {
        // A build error or a crash: no test failed, the check did.
        counts.failed = 1;
    }
    if !saw_result && status.success() {
        bail!("{printable} ran no tests");
    }
    Ok(counts)
}

pub(crate) fn number_before(text: &str, marker: &str) -> u32 {
    text.find(marker)
        .and_then(|end| {
            let start = text[..end]
                .rfind(|c: char| !c.is_ascii_digit())
                .map_or(0, |i| i + 1);
            text[start..end].parse().ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::number_before;

    #[test]
    fn reads_cargo_result_lines() {
        let line = "ok. 24 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(number_before(line, " passed"), 24);
        assert_eq!(number_before(line, " failed"), 0);
        let bad = "FAILED. 3 passed; 2 failed; 0 ignored";
        assert_eq!(number_before(bad, " failed"), 2);
        assert_eq!(number_before("nothing here", " passed"), 0);
    }
}
