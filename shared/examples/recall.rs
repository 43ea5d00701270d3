//! Compares the numbers this engine finds with those in `pdftotext`'s output
//! (poppler-utils), file by file: `cargo run -p docket-shared --features
//! analysis --example recall -- tests/corpus/*.pdf`. With `--write DIR` it
//! also writes each file's reference number list to `DIR/<file>.numbers`.

use std::collections::HashMap;
use std::process::Command;

use shared::analysis::extract::Extractor;
use shared::reading::numbers::{find_numbers, overlap};

fn multiset(text: &str) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for n in find_numbers(text) {
        *m.entry(n.text).or_insert(0) += 1;
    }
    m
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let write_dir = args.iter().position(|a| a == "--write").map(|i| {
        let dir = args.remove(i + 1);
        args.remove(i);
        dir
    });
    let show = args
        .iter()
        .position(|a| a == "--show")
        .map(|i| args.remove(i))
        .is_some();
    for path in &args {
        let name = std::path::Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let reference = Command::new("pdftotext")
            .args([path.as_str(), "-"])
            .output();
        let Ok(reference) = reference else {
            eprintln!("pdftotext is not installed (apt-get install poppler-utils)");
            std::process::exit(2);
        };
        if !reference.status.success() {
            println!("{name}: pdftotext failed, skipped");
            continue;
        }
        let reference = String::from_utf8_lossy(&reference.stdout).into_owned();
        let bytes = std::fs::read(path).unwrap();
        let doc = match lopdf::Document::load_mem(&bytes) {
            Ok(d) => d,
            Err(e) => {
                println!("{name}: lopdf: {e}");
                continue;
            }
        };
        let mut ex = Extractor::new(64 << 20);
        let mut ours = String::new();
        for (_, id) in doc.get_pages() {
            ours.push_str(&ex.page_text(&doc, id).unwrap_or_default());
            ours.push('\x0c');
        }
        if show {
            println!("{ours}");
        }
        let (r, o) = (multiset(&reference), multiset(&ours));
        let total_r: usize = r.values().sum();
        let total_o: usize = o.values().sum();
        let (recall, precision) = overlap(&r, &o);
        println!(
            "{name:60} ref {total_r:6} ours {total_o:6} recall {recall:.4} precision {precision:.4}"
        );
        let mut missing: Vec<_> = r
            .iter()
            .filter(|(k, v)| o.get(*k).unwrap_or(&0) < v)
            .map(|(k, v)| format!("{k}x{}", v - o.get(k).unwrap_or(&0)))
            .collect();
        missing.sort();
        let mut extra: Vec<_> = o
            .iter()
            .filter(|(k, v)| r.get(*k).unwrap_or(&0) < v)
            .map(|(k, v)| format!("{k}x{}", v - r.get(k).unwrap_or(&0)))
            .collect();
        extra.sort();
        if recall < 0.99 || precision < 0.99 {
            println!("   missing: {:?}", &missing[..missing.len().min(25)]);
            println!("   extra:   {:?}", &extra[..extra.len().min(25)]);
        }
        if let Some(dir) = &write_dir {
            let list: Vec<String> = find_numbers(&reference)
                .into_iter()
                .map(|n| n.text)
                .collect();
            std::fs::write(format!("{dir}/{name}.numbers"), list.join("\n") + "\n").unwrap();
        }
    }
}
