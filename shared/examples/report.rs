//! Prints the analysis report of one PDF as JSON: `cargo run -p docket-shared
//! --features analysis --example report -- FILE` (`MAX_PAGES=N` raises the
//! page limit, as the Worker's setting does).
fn main() {
    let path = std::env::args().nth(1).expect("usage: report FILE");
    let bytes = std::fs::read(&path).expect("readable file");
    let start = std::time::Instant::now();
    let clock = move || start.elapsed().as_secs_f64() * 1000.0;
    let mut limits = shared::analysis::Limits::default();
    if let Some(pages) = std::env::var("MAX_PAGES").ok().and_then(|v| v.parse().ok()) {
        limits.max_pages = pages;
    }
    match shared::analysis::analyse(&bytes, &limits, &clock, &mut |_, _| {}) {
        Ok(report) => println!("{}", serde_json::to_string_pretty(&report).expect("json")),
        Err(e) => {
            eprintln!("{}: {e}", e.code());
            std::process::exit(1);
        }
    }
}
