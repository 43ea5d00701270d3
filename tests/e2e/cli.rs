//! The `docket` CLI against the server: each `--wait` mode brings a PDF to
//! `completed` and prints the same result, and tells a job's story once and
//! in order (caught while waiting behind a backlog, or already processing);
//! the webhook listener refuses forged and stale deliveries; every failure
//! has its exit code. (`cargo xtask test`
//! builds the CLI and sets `DOCKET_CLI`.)

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::support::{base_url, corpus};

const SMALL: &str = "pdfminer-issue-00369-excel.pdf";

fn cli() -> PathBuf {
    PathBuf::from(std::env::var_os("DOCKET_CLI").expect("DOCKET_CLI is set by cargo xtask test"))
}

/// A throw-away home for the CLI's config (so each test mints its own token).
struct Home {
    dir: PathBuf,
}

impl Home {
    fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("docket-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Home { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(cli());
        cmd.args(args)
            .env("DOCKET_URL", base_url())
            .env("DOCKET_CONFIG", self.dir.join("config.json"))
            .env_remove("DOCKET_TOKEN")
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run docket")
    }

    /// A corpus file copied under another name.
    fn file(&self, from: &str, name: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, corpus(from)).expect("write");
        path.display().to_string()
    }

    fn secret(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("config.json")).expect("config");
        let config: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let servers = config["servers"].as_object().expect("servers");
        let entry = servers.values().next().expect("one server");
        entry["webhook_secret"].as_str().expect("secret").to_owned()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited")
}

#[test]
fn each_wait_mode_completes_a_pdf_and_prints_the_same_result() {
    let home = Home::new("modes");
    let file = home.file(SMALL, "table.pdf");
    let mut printed = Vec::new();
    for mode in ["poll", "ws", "webhook", "sse"] {
        let out = home.run(&[
            "submit",
            "--quiet",
            "--wait",
            mode,
            "--timeout",
            "120",
            &file,
        ]);
        assert_eq!(
            code(&out),
            0,
            "{mode}: {}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        let (id, rest) = stdout.split_once("  ").expect("a job line");
        assert_eq!(id.len(), 36, "{mode}: {stdout}");
        assert!(rest.starts_with("table.pdf  completed"), "{mode}: {stdout}");
        assert!(stdout.contains("first digit:"), "{mode}: {stdout}");
        printed.push(rest.to_owned());
    }
    assert_eq!(
        printed[0], printed[1],
        "poll and ws printed different results"
    );
    assert_eq!(
        printed[0], printed[2],
        "poll and webhook printed different results"
    );
    assert_eq!(
        printed[0], printed[3],
        "poll and sse printed different results"
    );

    // --json gives the job and the report.
    let out = home.run(&["submit", "--json", "--quiet", "--wait", "ws", &file]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json[0]["job"]["state"], "completed");
    assert!(json[0]["report"]["pages"].as_u64().is_some_and(|p| p >= 1));
}

#[test]
fn the_webhook_listener_refuses_forged_and_stale_deliveries() {
    let home = Home::new("forged");
    // Fails its first two attempts (test hook): a few seconds to work with.
    let file = home.file(SMALL, "inject-failure-2-forged.pdf");
    let mut child = home
        .command(&["submit", "--wait", "webhook", "--timeout", "120", &file])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn docket");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the CLI says where it listens");
        if let Some(url) = line.split("listening for webhooks at ").nth(1) {
            break url.trim().to_owned();
        }
    };

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = br#"{"type":"job.updated","job":{}}"#;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let post = |id: &str, timestamp: i64, signature: &str| {
        agent
            .post(&url)
            .header("webhook-id", id)
            .header("webhook-timestamp", &timestamp.to_string())
            .header("webhook-signature", signature)
            .send(&body[..])
            .expect("the listener answers")
            .status()
            .as_u16()
    };
    // A signature made with another secret.
    let forged =
        shared::delivery::webhooks::sign("whsec_Zm9yZ2VkLXNlY3JldA==", "msg_forged", now, body)
            .expect("sign");
    assert_eq!(post("msg_forged", now, &forged), 401);
    // The right secret, but ten minutes old (a replay).
    let secret = home.secret();
    let stale =
        shared::delivery::webhooks::sign(&secret, "msg_stale", now - 600, body).expect("sign");
    assert_eq!(post("msg_stale", now - 600, &stale), 401);

    let out = child.wait_with_output().expect("the CLI ends");
    reader.join().expect("reader");
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(out.status.code(), Some(0), "{rest:?}");
    assert!(
        text(&out.stdout).contains("completed"),
        "{}",
        text(&out.stdout)
    );
    let rejections = rest
        .iter()
        .filter(|l| l.contains("rejected a webhook delivery"))
        .count();
    assert_eq!(rejections, 2, "{rest:?}");
}

#[test]
fn failures_end_with_their_exit_codes_and_say_why() {
    let home = Home::new("codes");
    // Timeout: the job takes longer than a second (two failed attempts first).
    let slow = home.file(SMALL, "inject-failure-2-slow.pdf");
    let out = home.run(&[
        "submit",
        "--quiet",
        "--wait",
        "poll",
        "--timeout",
        "1",
        &slow,
    ]);
    assert_eq!(code(&out), 3, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("gave up waiting"),
        "{}",
        text(&out.stderr)
    );

    // A job that ends in error.
    let locked = home.file("pdfplumber-password-example.pdf", "locked.pdf");
    let out = home.run(&["submit", "--quiet", "--wait", "ws", &locked]);
    assert_eq!(code(&out), 1, "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("error: encrypted"),
        "{}",
        text(&out.stdout)
    );

    // The server says no.
    let not_pdf = home.dir.join("notes.pdf");
    std::fs::write(&not_pdf, "just text").expect("write");
    let out = home.run(&["submit", &not_pdf.display().to_string()]);
    assert_eq!(code(&out), 4);
    assert!(
        text(&out.stderr).contains("not_a_pdf"),
        "{}",
        text(&out.stderr)
    );

    // Nobody there.
    let out = home.run(&["--server", "http://127.0.0.1:9", "jobs"]);
    assert_eq!(code(&out), 4);
    assert!(
        text(&out.stderr).contains("could not talk to the server"),
        "{}",
        text(&out.stderr)
    );

    // Usage.
    assert_eq!(code(&home.run(&["submit"])), 2);
    assert_eq!(
        code(&home.run(&["submit", "--wait", "carrier-pigeon", "x.pdf"])),
        2
    );
    let out = home.run(&["submit", "/nonexistent/report.pdf"]);
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn status_jobs_result_and_delete_work_on_one_job() {
    let home = Home::new("crud");
    let out = home.run(&["token"]);
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).trim().starts_with("dkt_"));

    let file = home.file(SMALL, "one.pdf");
    let out = home.run(&["submit", "--json", &file]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let jobs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let id = jobs[0]["id"].as_str().expect("id").to_owned();

    let out = home.run(&["status", "--quiet", "--wait", "poll", &id]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("one.pdf  completed"));

    let out = home.run(&["jobs", "--state", "completed"]);
    assert!(text(&out.stdout).contains(&id), "{}", text(&out.stdout));

    let out = home.run(&["result", &id, "--format", "csv"]);
    assert!(
        text(&out.stdout).starts_with("test,"),
        "{}",
        text(&out.stdout)
    );
    let out = home.run(&["result", &id, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(report["benford"]["first_digit"].is_object());
    let out = home.run(&["result", &id]);
    assert!(
        text(&out.stdout).contains("digit  count"),
        "{}",
        text(&out.stdout)
    );

    assert_eq!(code(&home.run(&["delete", &id])), 0);
    let out = home.run(&["status", &id]);
    assert_eq!(code(&out), 4);
    assert!(
        text(&out.stderr).contains("not_found"),
        "{}",
        text(&out.stderr)
    );
}

/// Ctrl-C while waiting asks whether to cancel the unfinished jobs (the
/// answer read from stdin); yes cancels them and exits 130. `docket cancel`
/// cancels by id.
#[test]
fn ctrl_c_while_waiting_offers_to_cancel_and_cancel_does() {
    let home = Home::new("cancel");
    // 117 pages at 200 ms a page (test hook): it is still running when
    // interrupted.
    let file = home.file(
        "samplefiles-GeoTopo-komprimiert.pdf",
        "inject-slow-pages.pdf",
    );
    let mut child = home
        .command(&["submit", &file, "--wait", "poll", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run docket");
    std::thread::sleep(Duration::from_secs(4));
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"y\n").expect("answer");
    }
    let output = child.wait_with_output().expect("docket");
    let err = text(&output.stderr);
    assert_eq!(code(&output), 130, "{err}");
    assert!(err.contains("Cancel the 1 unfinished job(s)?"), "{err}");
    assert!(err.contains("cancel asked"), "{err}");
    // The job ends cancelled.
    let jobs = home.run(&["jobs", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&jobs.stdout).expect("JSON");
    let id = list["jobs"][0]["id"].as_str().expect("a job").to_owned();
    let status = home.run(&["status", &id, "--wait", "poll", "--json"]);
    assert_eq!(code(&status), 1, "{}", text(&status.stderr));
    let ended: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    assert_eq!(ended[0]["job"]["state"], "cancelled", "{ended}");

    // `docket cancel`: a finished job is refused (exit 4, the server's word).
    let done = home.run(&[
        "submit",
        &home.file(SMALL, "small.pdf"),
        "--wait",
        "poll",
        "--json",
    ]);
    assert_eq!(code(&done), 0, "{}", text(&done.stderr));
    let done: serde_json::Value = serde_json::from_slice(&done.stdout).expect("JSON");
    let refused = home.run(&["cancel", done[0]["job"]["id"].as_str().expect("id")]);
    assert_eq!(code(&refused), 4);
    assert!(
        text(&refused.stderr).contains("conflict"),
        "{}",
        text(&refused.stderr)
    );
    // … and a cancelled one answers as cancelled again.
    let again = home.run(&["cancel", &id]);
    assert_eq!(code(&again), 0, "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("cancelled"));
}

#[test]
fn submit_resumes_an_interrupted_upload_of_the_same_file() {
    use sha2::{Digest, Sha256};
    use shared::jobs::upload::PART_SIZE;

    let home = Home::new("resume");
    let bytes = docket_tests::big::padded_pdf(3 * PART_SIZE as usize + 700_000, 11);
    let path = home.dir.join("big.pdf");
    std::fs::write(&path, &bytes).expect("write");
    let file = path.display().to_string();
    // The first run goes slowly (4 MB/s) and is killed once the server has
    // kept a part.
    let mut first = home
        .command(&["submit", &file, "--limit-rate", "4000000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start docket");
    let saved = home.dir.join("uploads.json");
    let start = std::time::Instant::now();
    let location = loop {
        assert!(start.elapsed() < Duration::from_secs(60), "no upload saved");
        if let Some(location) = std::fs::read_to_string(&saved)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| {
                v["uploads"]
                    .as_object()
                    .and_then(|m| m.values().next().cloned())
            })
            .and_then(|u| u["location"].as_str().map(str::to_owned))
        {
            break location;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text_config = std::fs::read_to_string(home.dir.join("config.json")).expect("config");
    let config: serde_json::Value = serde_json::from_str(&text_config).expect("JSON");
    let token = config["servers"]
        .as_object()
        .and_then(|m| m.values().next())
        .and_then(|e| e["token"].as_str())
        .expect("a token")
        .to_owned();
    let mut owner = crate::support::Client::anonymous();
    owner.token = Some(token);
    loop {
        assert!(start.elapsed() < Duration::from_secs(120), "no part kept");
        let head = owner.call("HEAD", &location, None, &[], 204);
        let kept: u64 = head
            .header("upload-offset")
            .and_then(|v| v.parse().ok())
            .expect("Upload-Offset");
        if kept >= PART_SIZE {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    first.kill().expect("kill docket");
    let _ = first.wait();

    // Run again: it goes on where the server stands, and makes one job.
    let second = home.run(&["--json", "submit", &file, "--wait", "poll"]);
    let stderr = text(&second.stderr);
    assert_eq!(code(&second), 0, "{stderr}");
    assert!(stderr.contains("resuming the upload"), "{stderr}");
    let printed: serde_json::Value = serde_json::from_slice(&second.stdout).expect("JSON");
    let job = printed
        .as_array()
        .and_then(|a| a.first())
        .map(|e| e.get("job").unwrap_or(e).clone())
        .expect("a job");
    assert_eq!(job["sha256"], hex::encode(Sha256::digest(&bytes)));
    assert_eq!(job["state"], "completed", "{job}");
    let list = owner.call("GET", "/api/v1/jobs", None, &[], 200).json();
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(1), "{list}");
    // Done: the saved place is gone.
    let left = std::fs::read_to_string(&saved).unwrap_or_default();
    assert!(!left.contains(&location), "{left}");
}

/// Every mode `--wait` takes.
const MODES: [&str; 5] = ["poll", "long-poll", "ws", "sse", "webhook"];

/// A state's place in the state machine's order, from a printed line's
/// words (`queued (#2 in line…)`, `processing…`, `completed…`).
fn rank_of(words: &str) -> u8 {
    if words.starts_with("queued") || words.starts_with("uploaded") {
        0
    } else if words.starts_with("processing") {
        1
    } else {
        2
    }
}

/// The queue place of a `queued (#N in line…)` line.
fn place_of(words: &str) -> Option<u32> {
    let rest = words.strip_prefix("queued (#")?;
    rest.split(' ').next()?.parse().ok()
}

/// What the CLI printed of job `id`: its lines on stderr, then its summary
/// line on stdout; checked to be a strictly increasing walk of the state
/// machine (a queue place may repeat only when it changes), no line
/// twice, the final state once, last.
fn check_story(mode: &str, id: &str, out: &Output) -> Vec<String> {
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    let mut story: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(id))
        .map(|l| l.trim_start().to_owned())
        .collect();
    let summary = stdout
        .lines()
        .find_map(|l| l.strip_prefix(id))
        .unwrap_or_else(|| panic!("{mode}: no summary for {id} in {stdout}"));
    story.push(summary.trim_start().to_owned());
    let words: Vec<&str> = story
        .iter()
        .map(|l| l.split_once("  ").map_or(l.as_str(), |(_, w)| w))
        .collect();
    for pair in words.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let forward = rank_of(b) > rank_of(a)
            || matches!((place_of(a), place_of(b)), (Some(p), Some(q)) if q != p);
        assert!(forward, "{mode}: {a:?} then {b:?} in {story:#?}");
    }
    let mut seen = std::collections::HashSet::new();
    for line in &story {
        assert!(seen.insert(line), "{mode}: {line:?} twice in {story:#?}");
    }
    let last = words.last().copied().unwrap_or_default();
    assert!(last.starts_with("completed"), "{mode}: {story:#?}");
    assert_eq!(
        words.iter().filter(|w| rank_of(w) == 2).count(),
        1,
        "{mode}: the final state more than once: {story:#?}"
    );
    story
}

/// Submits `pages` pages of amounts without waiting: the job's id.
fn submit_text(home: &Home, pages: u32, seed: u64) -> String {
    let path = home.dir.join(format!("pages-{pages}-{seed}.pdf"));
    docket_tests::big::write_text_only(&path, pages, seed).expect("generated PDF");
    let out = home.run(&["--json", "submit", &path.display().to_string()]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let jobs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    jobs[0]["id"].as_str().expect("an id").to_owned()
}

#[test]
fn every_wait_mode_tells_a_waiting_jobs_story_once_and_in_order() {
    let home = Home::new("story-waiting");
    let file = home.file(SMALL, "small.pdf");
    for (i, mode) in MODES.into_iter().enumerate() {
        // A backlog in front of it.
        for k in 0..2 {
            submit_text(&home, 150, 10 * i as u64 + k);
        }
        let out = home.run(&["submit", "--wait", mode, "--timeout", "180", &file]);
        assert_eq!(code(&out), 0, "{mode}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let id = stdout.split("  ").next().expect("a job line").to_owned();
        let story = check_story(mode, &id, &out);
        eprintln!("{mode}: {story:#?}");
    }
}

#[test]
fn every_wait_mode_tells_a_running_jobs_story_once_and_in_order() {
    let home = Home::new("story-running");
    for (i, mode) in MODES.into_iter().enumerate() {
        // Caught while processing (a webhook is chosen when submitting:
        // that mode submits a job that starts at once).
        if mode == "webhook" {
            let path = home.dir.join("hooked.pdf");
            docket_tests::big::write_text_only(&path, 450, 999).expect("generated PDF");
            let out = home.run(&[
                "submit",
                "--wait",
                mode,
                "--timeout",
                "180",
                &path.display().to_string(),
            ]);
            assert_eq!(code(&out), 0, "{mode}: {}", text(&out.stderr));
            let stdout = text(&out.stdout);
            let hooked = stdout.split("  ").next().expect("a job line").to_owned();
            check_story(mode, &hooked, &out);
            continue;
        }
        let id = submit_text(&home, 450, 100 + i as u64);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let out = home.run(&["--json", "status", &id]);
            let jobs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            if jobs[0]["state"] != "uploaded" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{mode}: never started"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = home.run(&["status", &id, "--wait", mode, "--timeout", "180"]);
        assert_eq!(code(&out), 0, "{mode}: {}", text(&out.stderr));
        let story = check_story(mode, &id, &out);
        eprintln!("{mode}: {story:#?}");
    }
}

#[test]
fn a_collection_from_the_cli_new_add_close_and_its_result() {
    let home = Home::new("collection");
    let out = home.run(&[
        "--json",
        "collection",
        "new",
        "filings",
        "--roles",
        "amount,count",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(created["state"], "open");
    let id = created["id"].as_str().expect("an id").to_owned();
    let files = [
        home.file("pdfplumber-nics-background-checks-2015-11.pdf", "nics.pdf"),
        home.file("pdfplumber-senate-expenditures.pdf", "senate.pdf"),
    ];
    let out = home.run(&[
        "collection",
        "add",
        &id,
        &files[0],
        &files[1],
        "--wait",
        "poll",
        "--timeout",
        "180",
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).matches("completed").count(),
        2,
        "{}",
        text(&out.stdout)
    );
    // Roles are the collection's: an add that names others is refused.
    let refused = home.run(&["collection", "add", &id, &files[0], "--roles", "amount"]);
    assert_eq!(code(&refused), 4, "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("collection's roles"),
        "{}",
        text(&refused.stderr)
    );

    let out = home.run(&["collection", "close", &id]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = home.run(&["collection", "status", &id, "--wait", "--timeout", "120"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("completed: 2 of 2 documents ended"),
        "{stdout}"
    );
    assert!(stdout.contains("2 documents (0 left out)"), "{stdout}");
    assert!(stdout.contains("documents that deviate most"), "{stdout}");
    // The story on stderr moves forward only.
    let stderr = text(&out.stderr);
    let states: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.split("  ").nth(2))
        .filter_map(|w| w.split(':').next())
        .collect();
    assert!(
        states
            .windows(2)
            .all(|w| w[0] == w[1] || w[0] == "processing"),
        "{stderr}"
    );

    let out = home.run(&["collection", "result", &id, "--csv"]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.starts_with("rank,job_id,filename,used"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let out = home.run(&["collection", "documents", &id]);
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "{}",
        text(&out.stdout)
    );

    let out = home.run(&["collection", "delete", &id]);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let gone = home.run(&["collection", "status", &id]);
    assert_eq!(code(&gone), 4, "{}", text(&gone.stderr));
}
