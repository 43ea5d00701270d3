//! Compares the lazy loader with lopdf's full load on each file: which files
//! it loads, whether every page's text is the same, and the time of each.
//! `cargo run --release -p docket-shared --features analysis --example loaders -- FILE...`
use std::time::Instant;

use shared::analysis::extract::Extractor;
use shared::analysis::loader;

fn texts(doc: &lopdf::Document) -> Vec<String> {
    let mut extractor = Extractor::new(64 << 20);
    doc.get_pages()
        .values()
        .map(|&p| extractor.page_text(doc, p).unwrap_or_default())
        .collect()
}

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("file");
        let name = path.rsplit('/').next().unwrap_or(&path);
        let t = Instant::now();
        let lazy = loader::load(&bytes, 64 << 20);
        let lazy_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let full = lopdf::Document::load_mem(&bytes);
        let full_ms = t.elapsed().as_secs_f64() * 1e3;
        match (lazy, full) {
            (Ok(lazy), Ok(full)) => {
                let same = texts(&lazy) == texts(&full);
                println!(
                    "{name:50} lazy {lazy_ms:7.2} ms ({:5} objects)  full {full_ms:7.2} ms ({:5} objects)  same text: {same}",
                    lazy.objects.len(),
                    full.objects.len()
                );
            }
            (Err(e), _) => println!("{name:50} lazy: {e}"),
            (Ok(_), Err(e)) => println!("{name:50} full failed: {e}"),
        }
    }
}
