//! The analysis benchmark (`cargo xtask bench analysis` runs it): throughput of
//! the engine over the corpus against `pdftotext` on the same files in the same
//! run, and each file's peak memory (each file analysed in a child process that
//! reports its peak RSS).
//!
//! `bench FILE...` prints the table, with a `CORPUS` line (all files but
//! generated ones) and an `ALL` line; `bench --one FILE` analyses one file, read by
//! ranges as the worker reads R2, and
//! prints `peak_rss_kib=N`; `bench --repeat N FILE...` only analyses the files N
//! times each (a steady load to run under a profiler).

use std::process::Command;
use std::time::Instant;

use shared::analysis::source::{ByteSource, ReadError, ready};
use shared::analysis::{Limits, analyse, analyse_from};

/// A file read by ranges (`read_at`).
struct FileSource(std::fs::File, u64);

impl ByteSource for FileSource {
    fn len(&self) -> u64 {
        self.1
    }

    async fn read(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, ReadError> {
        use std::os::unix::fs::FileExt;
        let end = offset.saturating_add(len).min(self.1);
        let mut buf = vec![0; end.saturating_sub(offset) as usize];
        self.0
            .read_exact_at(&mut buf, offset)
            .map_err(|e| ReadError(e.to_string()))?;
        Ok(buf)
    }
}

/// Files whose name starts so are generated, not from the corpus: the
/// `CORPUS` line leaves them out.
const GENERATED: &str = "generated-";

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn clock() -> impl Fn() -> f64 {
    let start = Instant::now();
    move || start.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--one") {
        // Read by ranges from the file, as the worker reads R2.
        let file = std::fs::File::open(&args[1]).expect("file");
        let len = file.metadata().expect("metadata").len();
        let before = peak_rss_kib();
        let _ = ready(analyse_from(
            FileSource(file, len),
            &Limits::default(),
            &clock(),
            &mut |_, _| {},
        ));
        println!("peak_rss_kib={} baseline_kib={before}", peak_rss_kib());
        return;
    }
    if args.first().map(String::as_str) == Some("--repeat") {
        let n: usize = args[1].parse().expect("--repeat N");
        let files: Vec<Vec<u8>> = args[2..]
            .iter()
            .map(|p| std::fs::read(p).expect("file"))
            .collect();
        let t = Instant::now();
        for _ in 0..n {
            for bytes in &files {
                let _ = analyse(bytes, &Limits::default(), &clock(), &mut |_, _| {});
            }
        }
        println!(
            "{:.1} ms per round",
            t.elapsed().as_secs_f64() * 1000.0 / n as f64
        );
        return;
    }
    let rounds = 5;
    let me = std::env::current_exe().expect("exe");
    println!(
        "{:48} {:>9} {:>10} {:>10} {:>7} {:>10}",
        "file", "KiB", "ours MB/s", "pdftotext", "ratio", "peak MiB"
    );
    let (mut total_bytes, mut total_ours, mut total_ref) = (0u64, 0f64, 0f64);
    // The same without the generated documents: (bytes, ours s, pdftotext s).
    let mut corpus = (0u64, 0f64, 0f64);
    for path in &args {
        let bytes = std::fs::read(path).expect("file");
        let name = std::path::Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let ok = analyse(&bytes, &Limits::default(), &clock(), &mut |_, _| {}).is_ok();
        let reference_ok = Command::new("pdftotext")
            .args([path.as_str(), "/dev/null"])
            .status()
            .is_ok_and(|s| s.success());
        if !ok || !reference_ok {
            continue;
        }
        // Rounds alternate the two tools, and each keeps its fastest round:
        // on a shared machine the noise only ever adds time.
        let (mut ours, mut reference) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            let t = Instant::now();
            let _ = analyse(&bytes, &Limits::default(), &clock(), &mut |_, _| {});
            ours = ours.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let _ = Command::new("pdftotext")
                .args([path.as_str(), "/dev/null"])
                .status();
            reference = reference.min(t.elapsed().as_secs_f64());
        }
        let peak = Command::new(&me)
            .args(["--one", path])
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("peak_rss_kib=")?.parse::<f64>().ok())
            })
            .unwrap_or(0.0);
        let mb = bytes.len() as f64 / 1e6;
        println!(
            "{name:48} {:>9.0} {:>10.1} {:>10.1} {:>7.2} {:>10.1}",
            bytes.len() as f64 / 1024.0,
            mb / ours,
            mb / reference,
            reference / ours,
            peak / 1024.0
        );
        total_bytes += bytes.len() as u64;
        total_ours += ours;
        total_ref += reference;
        if !name.starts_with(GENERATED) {
            corpus.0 += bytes.len() as u64;
            corpus.1 += ours;
            corpus.2 += reference;
        }
    }
    for (label, (bytes, ours, reference)) in [
        ("CORPUS", corpus),
        ("ALL", (total_bytes, total_ours, total_ref)),
    ] {
        let mb = bytes as f64 / 1e6;
        println!(
            "{label:48} {:>9.0} {:>10.1} {:>10.1} {:>7.2}",
            bytes as f64 / 1024.0,
            mb / ours,
            mb / reference,
            reference / ours
        );
    }
}
