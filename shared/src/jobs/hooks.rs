//! Test hooks: failure injection keyed on a job's file name (`inject-…`),
//! compiled only with the `test-hooks` feature, as tokio's `test-util`.
//! `cargo xtask dev` and the end-to-end tests build the worker with it (and
//! still turn the hooks on only with `DOCKET_TEST_HOOKS=1`); `cargo xtask
//! build --release` and `wrangler deploy` build without, and `cargo xtask
//! test` checks that such a worker holds none of these names.

/// Test-only failure injection (honoured only when the operator turns test
/// hooks on): a job whose filename starts `inject-failure-N` fails its first N
/// attempts; `inject-failure-always` fails every attempt.
pub fn injected_failure(filename: &str, attempt: u32) -> bool {
    let Some(rest) = filename.strip_prefix("inject-failure-") else {
        return false;
    };
    if rest.starts_with("always") {
        return true;
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u32>().is_ok_and(|n| attempt <= n)
}

/// Test-only slice failure (test hooks only): in a job whose filename starts
/// `inject-slice-failure-N`, the second slice (from page `size + 1`) fails
/// its first N tries (`try_no` counts from 1), as a platform failure would.
pub fn injected_slice_failure(filename: &str, first: u32, size: u32, try_no: u32) -> bool {
    let Some(rest) = filename.strip_prefix("inject-slice-failure-") else {
        return false;
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    first == size.max(1) + 1 && digits.parse::<u32>().is_ok_and(|n| try_no <= n)
}

/// Test-only crash injection (test hooks only): a job whose filename starts
/// `inject-crash-always` gets no answer for any delivery of its message, as
/// when the isolate dies mid-analysis, so the queue's own retries run out and
/// the message reaches the dead-letter queue.
pub fn injected_crash(filename: &str) -> bool {
    filename.starts_with("inject-crash-always")
}

/// Test-only orphan injection (test hooks only): the upload of a file whose
/// name starts `inject-orphan` stops after its PDF is stored and before its
/// job is made (as a request that dies there), and keeps its reservation.
pub fn injected_orphan(filename: &str) -> bool {
    filename.starts_with("inject-orphan")
}

/// Test-only slow writes (test hooks only): a job whose filename starts
/// `inject-slow-save` waits this long between checking that its record still
/// exists and writing it, which widens the window a `DELETE` can race into.
pub fn injected_slow_save(filename: &str) -> Option<u32> {
    filename.starts_with("inject-slow-save").then_some(300)
}

/// Test-only slow analysis (test hooks only): a job whose filename starts
/// `inject-slow-pages` waits this long (ms) after each page, so that it is
/// still processing when a test acts on it (a cancel): 200 ms, or N ms for
/// `inject-slow-pages-N`.
pub fn injected_slow_page(filename: &str) -> Option<u32> {
    let rest = filename.strip_prefix("inject-slow-pages")?;
    let digits: String = rest
        .strip_prefix('-')
        .unwrap_or("")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(digits.parse().unwrap_or(200))
}

/// Test-only late delivery (test hooks only): the first attempt of a job
/// whose filename starts `inject-late-first` waits before the consumer asks
/// the hub whether it may run — a message that was only slow, overtaken
/// meanwhile by the watchdog's next attempt. `inject-late-first-N` waits N
/// ms, otherwise 40 s.
pub fn injected_late_first(filename: &str, attempt: u32) -> Option<u32> {
    let rest = filename.strip_prefix("inject-late-first")?;
    if attempt != 1 {
        return None;
    }
    let digits: String = rest
        .trim_start_matches('-')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(digits.parse().unwrap_or(40_000))
}

/// Test-only stall injection (test hooks only): a job whose filename starts
/// `inject-stall-N` has its first N attempts dropped silently, as if the message
/// were lost, so that the sweep's stuck-job check has something to find.
pub fn injected_stall(filename: &str, attempt: u32) -> bool {
    filename
        .strip_prefix("inject-stall-")
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| attempt <= n)
}

/// Test-only slow population (test hooks only): a collection whose name
/// starts `inject-slow-population` has its population's analysis held 15 s
/// before it starts, so that a test can kill the server during it.
pub fn injected_slow_population(name: &str) -> Option<u32> {
    name.starts_with("inject-slow-population").then_some(15_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_pages_take_200_ms_unless_told() {
        assert_eq!(injected_slow_page("inject-slow-pages.pdf"), Some(200));
        assert_eq!(injected_slow_page("inject-slow-pages-5-long.pdf"), Some(5));
        assert_eq!(injected_slow_page("inject-slow-pages-x.pdf"), Some(200));
        assert_eq!(injected_slow_page("report.pdf"), None);
    }

    #[test]
    fn only_the_second_slice_fails_and_only_its_first_deliveries() {
        let name = "inject-slice-failure-2.pdf";
        assert!(injected_slice_failure(name, 11, 10, 1));
        assert!(injected_slice_failure(name, 11, 10, 2));
        assert!(!injected_slice_failure(name, 11, 10, 3));
        assert!(!injected_slice_failure(name, 1, 10, 1));
        assert!(!injected_slice_failure(name, 21, 10, 1));
        assert!(!injected_slice_failure("report.pdf", 11, 10, 1));
    }

    #[test]
    fn only_the_first_attempt_is_late() {
        assert_eq!(
            injected_late_first("inject-late-first.pdf", 1),
            Some(40_000)
        );
        assert_eq!(injected_late_first("inject-late-first.pdf", 2), None);
        assert_eq!(injected_late_first("report.pdf", 1), None);
        assert_eq!(
            injected_late_first("inject-late-first-3000.pdf", 1),
            Some(3000)
        );
    }

    #[test]
    fn stall_injection_names() {
        assert!(injected_stall("inject-stall-1.pdf", 1));
        assert!(!injected_stall("inject-stall-1.pdf", 2));
        assert!(!injected_stall("report.pdf", 1));
    }

    #[test]
    fn crash_injection_names() {
        assert!(injected_crash("inject-crash-always.pdf"));
        assert!(!injected_crash("inject-crash.pdf"));
        assert!(!injected_crash("report.pdf"));
    }

    #[test]
    fn failure_injection_names() {
        assert!(injected_failure("inject-failure-2.pdf", 1));
        assert!(injected_failure("inject-failure-2.pdf", 2));
        assert!(!injected_failure("inject-failure-2.pdf", 3));
        assert!(injected_failure("inject-failure-always.pdf", 99));
        assert!(!injected_failure("report.pdf", 1));
        assert!(!injected_failure("inject-failure-x.pdf", 1));
    }
}
