//! Resumable uploads (the IETF draft's creation, offset retrieval, append and
//! cancellation) against a real server: an upload whose connection is cut
//! three times at random offsets and resumed each time makes one job with the
//! file's SHA-256 and the native engine's result; a wrong offset is refused
//! with the offset kept; another owner's upload does not exist; nothing can
//! be appended once complete; a file that is no PDF is refused and thrown
//! away; and an upload nobody finishes expires and frees its quota (on a
//! server of its own with a five-second expiry). Then the big files' path:
//! a 48 MiB image-heavy PDF is analysed by range reads, reading under 5 % of
//! it, with the native report; 40 MB of noise behind a header ends
//! `damaged` without being read whole; a cross-reference offset past the end
//! is rebuilt by scanning the objects, by range reads; a file cut short is
//! read as far as it goes, with a `truncated_file` warning.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use docket_tests::big::padded_pdf;
use docket_tests::expect::{check, outcome_of};
use docket_tests::server;
use sha2::{Digest, Sha256};
use shared::contract::api::{Job, JobState};
use shared::jobs::upload::PART_SIZE;

use crate::support::{Answer, Client};

/// `POST /jobs` with `Upload-Complete: ?0`: the upload's address.
fn create(client: &Client, length: usize, first: &[u8], status: u16) -> (Answer, String) {
    let length = length.to_string();
    let answer = client.call(
        "POST",
        "/api/v1/jobs?filename=big.pdf",
        Some(first),
        &[("upload-complete", "?0"), ("upload-length", &length)],
        status,
    );
    let location = answer.header("location").unwrap_or_default().to_owned();
    (answer, location)
}

/// The offset the server kept (`HEAD`).
fn offset(client: &Client, location: &str) -> u64 {
    let answer = client.call("HEAD", location, None, &[], 204);
    answer
        .header("upload-offset")
        .and_then(|v| v.parse().ok())
        .expect("Upload-Offset")
}

fn append(
    client: &Client,
    location: &str,
    offset: u64,
    bytes: &[u8],
    complete: bool,
    status: u16,
) -> Answer {
    let offset = offset.to_string();
    client.call(
        "PATCH",
        location,
        Some(bytes),
        &[
            ("upload-offset", &offset),
            ("upload-complete", if complete { "?1" } else { "?0" }),
            ("content-type", "application/partial-upload"),
        ],
        status,
    )
}

/// Sends the rest of the file from `offset` as the last append, but breaks
/// the connection after `cut` bytes of it.
fn append_cut(base: &str, token: &str, location: &str, offset: u64, rest: &[u8], cut: usize) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Upload-Offset: {offset}\r\nUpload-Complete: ?1\r\n\
         Content-Type: application/partial-upload\r\nContent-Length: {}\r\n\r\n",
        rest.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    for chunk in rest[..cut].chunks(256 * 1024) {
        if stream.write_all(chunk).is_err() {
            break;
        }
    }
    stream.flush().ok();
    // Let the server take in what was sent, then cut the connection.
    std::thread::sleep(Duration::from_millis(1500));
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
}

/// The offset once the server has settled what a cut append brought (its
/// last part may still be in flight when the connection breaks).
fn settled_offset(client: &Client, location: &str) -> u64 {
    let mut last = offset(client, location);
    loop {
        std::thread::sleep(Duration::from_millis(700));
        let now = offset(client, location);
        if now == last {
            return now;
        }
        last = now;
    }
}

#[test]
fn an_upload_cut_three_times_and_resumed_makes_one_job_of_the_whole_file() {
    let client = Client::owner();
    let token = client.token.clone().expect("a token");
    let bytes = padded_pdf(3 * PART_SIZE as usize + 1_500_000, 0x5eed);
    let len = bytes.len();
    let (created, location) = create(&client, len, &[], 201);
    assert!(location.starts_with("/api/v1/uploads/"), "{location}");
    assert_eq!(created.header("upload-offset"), Some("0"));
    assert!(
        created
            .header("upload-limit")
            .is_some_and(|l| l.starts_with("max-size=") && !l.contains("min-append-size")),
        "{created:?}"
    );
    // Three cuts, each at a random point of what is left.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut kept = 0u64;
    let mut offsets = Vec::new();
    for _ in 0..3 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let rest = &bytes[kept as usize..];
        // Somewhere before the end, often past a part boundary: what
        // arrived is kept either way (the whole parts, and the rest as the
        // tail), though the append said it was the last.
        let most = (rest.len() as u64 / 2).min(PART_SIZE + PART_SIZE / 2);
        let cut = (65_536 + seed % most) as usize;
        append_cut(
            &crate::support::base_url(),
            &token,
            &location,
            kept,
            rest,
            cut,
        );
        // What arrived before the cut is kept: whole parts and the tail.
        let now = settled_offset(&client, &location);
        assert!(
            now <= kept + cut as u64,
            "kept {now}, more than the {cut} sent"
        );
        assert!(
            now > kept,
            "an append that carried bytes moved the upload on"
        );
        offsets.push((kept + cut as u64, now));
        kept = now;
    }
    eprintln!("cut at / kept: {offsets:?}");
    let done = append(&client, &location, kept, &bytes[kept as usize..], true, 202);
    assert_eq!(done.header("upload-complete"), Some("?1"));
    let job: Job = serde_json::from_slice(&done.body).expect("a job");
    assert_eq!(job.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(job.size_bytes, len as u64);
    // One job, whatever the cuts did.
    let list = client.call("GET", "/api/v1/jobs", None, &[], 200).json();
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(1), "{list}");
    let ended = client.wait_terminal(&job.id, Duration::from_secs(180));
    let result = (ended.state() == JobState::Completed).then(|| client.result(&job.id));
    check(&ended, result.as_ref(), &outcome_of(&bytes)).unwrap_or_else(|e| panic!("{e}"));
    // The upload now says it is complete, and takes nothing more.
    let head = client.call("HEAD", &location, None, &[], 204);
    assert_eq!(head.header("upload-complete"), Some("?1"));
    let more = append(&client, &location, len as u64, b"more", false, 400);
    assert_eq!(more.error_code(), "upload_completed");
}

#[test]
fn appends_of_any_size_move_the_upload_on_by_what_they_carry() {
    let client = Client::owner();
    let bytes = padded_pdf(2 * PART_SIZE as usize + 300_000, 0x7a11);
    let len = bytes.len();
    // A first append shorter than the PDF check reads, then an empty one.
    let (created, location) = create(&client, len, &bytes[..100], 201);
    assert_eq!(created.header("upload-offset"), Some("100"));
    let empty = append(&client, &location, 100, &[], false, 204);
    assert_eq!(empty.header("upload-offset"), Some("100"));
    // Then appends of an odd size (as a stream-reading tus client cuts
    // them): each moves the offset by exactly what it carried, across the
    // part boundaries, the tail kept between them.
    let mut kept = 100u64;
    let step = 3_000_001usize;
    while kept as usize + step < len {
        let chunk = &bytes[kept as usize..kept as usize + step];
        let answer = append(&client, &location, kept, chunk, false, 204);
        kept += step as u64;
        assert_eq!(
            answer.header("upload-offset"),
            Some(kept.to_string().as_str())
        );
        assert_eq!(offset(&client, &location), kept);
    }
    let done = append(&client, &location, kept, &bytes[kept as usize..], true, 202);
    let job: Job = serde_json::from_slice(&done.body).expect("a job");
    assert_eq!(job.sha256, hex::encode(Sha256::digest(&bytes)));
    assert_eq!(job.size_bytes, len as u64);
    let ended = client.wait_terminal(&job.id, Duration::from_secs(180));
    let result = (ended.state() == JobState::Completed).then(|| client.result(&job.id));
    check(&ended, result.as_ref(), &outcome_of(&bytes)).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_wrong_offset_another_owner_and_a_non_pdf_are_refused() {
    let client = Client::owner();
    let bytes = padded_pdf(PART_SIZE as usize + 10_000, 7);
    // The first request carries the first part and a little more: both are
    // kept (the part as a part, the rest as the tail).
    let at = PART_SIZE + 5_000;
    let first = &bytes[..at as usize];
    let (created, location) = create(&client, bytes.len(), first, 201);
    let kept = at.to_string();
    assert_eq!(created.header("upload-offset"), Some(kept.as_str()));
    assert_eq!(created.json()["offset"], at);

    // Another offset: 409 with the one the server has.
    let wrong = append(&client, &location, 5, &bytes[5..], true, 409);
    assert_eq!(wrong.error_code(), "offset_mismatch");
    assert_eq!(wrong.header("upload-offset"), Some(kept.as_str()));
    // More bytes than the upload's length: 400, nothing changes.
    let mut long = bytes[at as usize..].to_vec();
    long.extend_from_slice(b"trailing");
    append(&client, &location, at, &long, true, 400);
    assert_eq!(offset(&client, &location), at);

    // Another owner: no such upload, whatever the method.
    let other = Client::owner();
    other.call("HEAD", &location, None, &[], 404);
    assert_eq!(
        append(&other, &location, at, b"x", false, 404).error_code(),
        "not_found"
    );
    other.call("DELETE", &location, None, &[], 404);
    assert_eq!(offset(&client, &location), at);

    // Abandoned: gone, and its address answers 404.
    client.call("DELETE", &location, None, &[], 204);
    client.call("HEAD", &location, None, &[], 404);

    // A file that is no PDF is refused at its first bytes and thrown away.
    let noise = vec![b'x'; 4096];
    let (_, location) = create(&client, 1_000_000, &[], 201);
    let refused = append(&client, &location, 0, &noise, false, 415);
    assert_eq!(refused.error_code(), "not_a_pdf");
    client.call("HEAD", &location, None, &[], 404);
    // Creation without a length: 411.
    let answer = client.call(
        "POST",
        "/api/v1/jobs?filename=a.pdf",
        Some(&[]),
        &[("upload-complete", "?0")],
        411,
    );
    assert_eq!(answer.error_code(), "length_required");
}

#[test]
fn an_upload_nobody_finishes_expires_and_frees_its_quota() {
    let work = crate::crash::work_dir();
    let server = server::start(
        &work.join("expiry-state"),
        &work.join("wrangler-expiry.log"),
        &[
            ("UPLOAD_EXPIRY_SECONDS", "5"),
            ("QUOTA_STORED_BYTES", "30000000"),
        ],
    );
    let client = Client::owner_at(&server.url());
    let bytes = padded_pdf(PART_SIZE as usize + 1000, 3);
    let (_, location) = create(&client, 20_000_000, &bytes[..PART_SIZE as usize], 201);
    assert_eq!(offset(&client, &location), PART_SIZE);
    // Its 20 MB are held: another as big does not fit the 30 MB quota.
    let (refused, _) = create(&client, 20_000_000, &[], 429);
    assert_eq!(refused.error_code(), "quota_exceeded");
    // Five seconds on, the hub's alarm has thrown it away.
    let start = Instant::now();
    while client.call_any("HEAD", &location).status != 404 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the upload outlived its expiry"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let (_, again) = create(&client, 20_000_000, &[], 201);
    assert!(again.starts_with("/api/v1/uploads/"));
}

/// Sends `bytes` as a resumable upload in one append; the job.
fn upload_resumably(client: &Client, bytes: &[u8]) -> Job {
    let (_, location) = create(client, bytes.len(), &[], 201);
    let done = append(client, &location, 0, bytes, true, 202);
    serde_json::from_slice(&done.body).expect("a job")
}

#[test]
fn a_big_image_heavy_pdf_is_analysed_by_range_reads_reading_a_small_share() {
    // 12 pages with 4 MiB images: 48 MiB, over the 32 MiB a file may be
    // read whole — so only range reads can analyse it.
    let path = crate::crash::work_dir().join("images-48MiB.pdf");
    docket_tests::big::write_image_heavy(&path, 48 << 20, 4 << 20, 11).expect("write");
    let bytes = std::fs::read(&path).expect("read");
    let client = Client::owner();
    let job = upload_resumably(&client, &bytes);
    let ended = client.wait_terminal(&job.id, Duration::from_secs(180));
    assert_eq!(ended.state(), JobState::Completed, "{ended:?}");
    let result = client.result(&job.id);
    let native = docket_tests::expect::native_report(&bytes).expect("a native report");
    docket_tests::expect::same_report(&result, &native).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(result["reading"]["path"], "ranges");
    let read = result["reading"]["bytes_read"]
        .as_u64()
        .expect("bytes_read");
    assert!(
        read * 20 < bytes.len() as u64,
        "{read} bytes read of {}",
        bytes.len()
    );
}

#[test]
fn random_bytes_behind_a_header_end_damaged_without_being_read_whole() {
    // 40 MB of noise after `%PDF-1.7`: no cross-reference data to read by
    // ranges, and over the 32 MiB a file is read whole for repairs.
    let mut bytes = b"%PDF-1.7\n".to_vec();
    let mut state = 0x1234_5678_9abc_def1_u64;
    while bytes.len() < 40_000_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    let client = Client::owner();
    let job = upload_resumably(&client, &bytes);
    let ended = client.wait_terminal(&job.id, Duration::from_secs(120));
    assert_eq!(ended.state(), JobState::Error, "{ended:?}");
    let error = ended.error.expect("an error");
    assert_eq!(error.code.as_str(), "damaged", "{error:?}");
    assert!(error.message.contains("reading it whole"), "{error:?}");
}

#[test]
fn an_xref_offset_past_the_end_is_rebuilt_by_scanning() {
    let good = std::fs::read(
        docket_tests::expect::corpus_dir().join("pdfplumber-senate-expenditures.pdf"),
    )
    .expect("a corpus file");
    let at = good
        .windows(9)
        .rposition(|w| w == b"startxref")
        .expect("startxref");
    let mut bytes = good[..at].to_vec();
    bytes.extend_from_slice(b"startxref\n987654321\n%%EOF\n");
    let client = Client::owner();
    let job = client.submit(&bytes, "past-the-end.pdf");
    let ended = client.wait_terminal(&job.id, Duration::from_secs(120));
    let result = (ended.state() == JobState::Completed).then(|| client.result(&job.id));
    check(&ended, result.as_ref(), &outcome_of(&bytes)).unwrap_or_else(|e| panic!("{e}"));
    let result = result.expect("completed");
    assert_eq!(result["reading"]["path"], "ranges");
    // The same numbers as the intact file.
    match outcome_of(&good) {
        docket_tests::expect::Outcome::Completed { numbers_found, .. } => {
            assert_eq!(result["numbers"]["found"], numbers_found);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_file_cut_short_is_read_as_far_as_it_goes() {
    let good =
        std::fs::read(docket_tests::expect::corpus_dir().join("pdfplumber-ca-warn-report.pdf"))
            .expect("a corpus file");
    // A download that stopped at a quarter: no table, no trailer, the last
    // pages' objects gone.
    let bytes = good[..good.len() / 4].to_vec();
    let client = Client::owner();
    let job = client.submit(&bytes, "cut-short.pdf");
    let ended = client.wait_terminal(&job.id, Duration::from_secs(120));
    let result = (ended.state() == JobState::Completed).then(|| client.result(&job.id));
    check(&ended, result.as_ref(), &outcome_of(&bytes)).unwrap_or_else(|e| panic!("{e}"));
    let result = result.expect("completed");
    assert_eq!(result["reading"]["path"], "ranges");
    let warnings = result["warnings"].as_array().expect("warnings");
    let cut = warnings
        .iter()
        .find(|w| w["code"] == "truncated_file")
        .unwrap_or_else(|| panic!("no truncated_file in {warnings:?}"));
    assert!(
        cut["message"]
            .as_str()
            .is_some_and(|m| m.contains("ends early")),
        "{cut}"
    );
    let skipped = cut["pages"].as_array().expect("pages").len();
    assert!(skipped > 0 && skipped < 16, "{cut}");
    // The job carries the warning too.
    assert!(
        ended
            .warnings
            .iter()
            .any(|w| w.code.as_str() == "truncated_file"),
        "{ended:?}"
    );
}
