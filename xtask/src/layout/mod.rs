//! `cargo xtask layout`: the structure rules ARCHITECTURE.md states, checked
//! from the sources (#26): no import cycle between the files of a crate nor
//! between its top-level modules, no file in `edge/`, `app/` or `cli/` over
//! 400 lines, no file's code (its `#[cfg(test)]` items and test files left
//! out) over 500 lines anywhere, and in `edge/` no import from a lower layer
//! to a higher one ([`EDGE_LAYERS`]).
//!
//! Imports are read with `syn`: every `use` and every path in the code,
//! resolved to the deepest module file it names; a module's references to
//! its own children (declaring and re-exporting them) are the module tree,
//! not imports.
//! What the code breaks today and is still to be mended is listed in
//! `xtask/layout-baseline.txt`; the check fails on anything not in that list
//! (a new cycle or big file) and on a listed entry that no longer occurs, so
//! the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use syn::visit::Visit;

mod graph;
mod imports;

use graph::cycles;
use imports::{Paths, is_test_item, module_path, resolve, test_lines};

use crate::util::root;

/// The crates checked, by folder, with the line limit of their files.
const CRATES: [(&str, Option<usize>); 7] = [
    ("shared", None),
    ("edge", Some(400)),
    ("app", Some(400)),
    ("cli", Some(400)),
    ("xtask", None),
    ("devserver", None),
    ("tests", None),
];

/// The edge's layers, lowest first: a top-level module may import its own
/// layer and those below, never one above (ARCHITECTURE.md's invariants).
/// A module not listed is a finding until it is given its layer.
const EDGE_LAYERS: [(&str, u8); 17] = [
    // Base: settings, errors, helpers, streamed bodies, the test hooks' switch.
    ("config", 0),
    ("error", 0),
    ("util", 0),
    ("pipe", 0),
    ("hooks", 0),
    // Storage (KV, R2) and what the Durable Objects share (transport,
    // protocol, SQLite helpers).
    ("store", 1),
    ("objects", 1),
    // The Durable Objects and their clients.
    ("hub", 2),
    ("line", 2),
    ("limiter", 2),
    // Services: the job writer, new jobs, uploads, retention, webhooks.
    ("jobs", 3),
    ("intake", 3),
    ("uploads", 3),
    ("retention", 3),
    ("webhooks", 3),
    // Adapters: HTTP routes and the queue consumer.
    ("routes", 4),
    ("consumer", 4),
];

/// Lines of code (tests aside) any file may have.
const CODE_LINES: usize = 500;

const BASELINE: &str = "xtask/layout-baseline.txt";

/// Runs the check: prints every finding, fails on those not in the
/// baseline and on baseline entries that are gone.
pub fn check() -> Result<()> {
    let root = root();
    let mut found = BTreeSet::new();
    for (krate, limit) in CRATES {
        found.extend(findings(&root.join(krate), krate, limit, false)?);
    }
    let baseline_text = std::fs::read_to_string(root.join(BASELINE)).unwrap_or_default();
    let baseline: BTreeSet<String> = baseline_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let new: Vec<&String> = found.difference(&baseline).collect();
    let gone: Vec<&String> = baseline.difference(&found).collect();
    println!(
        "layout: {} finding(s), {} of them known in {BASELINE}",
        found.len(),
        found.intersection(&baseline).count()
    );
    for f in found.intersection(&baseline) {
        println!("  known: {f}");
    }
    for f in &new {
        println!("  NEW:   {f}");
    }
    for f in &gone {
        println!("  GONE:  {f} (mended: remove it from {BASELINE})");
    }
    if !new.is_empty() || !gone.is_empty() {
        bail!(
            "{} new finding(s), {} baseline entr(ies) gone",
            new.len(),
            gone.len()
        );
    }
    Ok(())
}

/// `cargo xtask layout --edges CRATE`: every import edge between the
/// crate's top-level modules, then between its files, one a line.
pub fn edges(krate: &str) -> Result<()> {
    let limit = CRATES
        .iter()
        .find(|(k, _)| *k == krate)
        .and_then(|(_, l)| *l);
    findings(&root().join(krate), krate, limit, true)?;
    Ok(())
}

/// One crate's findings, each a line: `cycle <crate>: a, b, c` (files in
/// one cycle), `modules <crate>: a, b` (top-level modules), `lines <file> >
/// N`, `code <file> > N`. With `print`, the edges too.
fn findings(dir: &Path, krate: &str, limit: Option<usize>, print: bool) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    // Source files of the crate's library or binary (src/), keyed by module
    // path; every file for the size rules.
    let src = dir.join("src");
    let mut modules: BTreeMap<Vec<String>, PathBuf> = BTreeMap::new();
    for file in &files {
        if let Ok(rel) = file.strip_prefix(&src) {
            modules.insert(module_path(rel), file.clone());
        }
    }
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
        let rel = file
            .strip_prefix(root())
            .unwrap_or(file)
            .display()
            .to_string();
        let ast = syn::parse_file(&text).with_context(|| format!("parsing {rel}"))?;
        let lines = text.lines().count();
        if let Some(limit) = limit
            && lines > limit
        {
            out.push(format!("lines {rel} > {limit}"));
        }
        // Test code is "tests aside": integration tests and the tests crate.
        let test_file = rel.split('/').any(|c| c == "tests");
        let code = lines - test_lines(&ast);
        if code > CODE_LINES && !test_file {
            out.push(format!("code {rel} > {CODE_LINES}"));
        }
        let Ok(srel) = file.strip_prefix(&src) else {
            continue;
        };
        let me = module_path(srel);
        let mut paths = Paths::default();
        for item in ast.items.iter().filter(|i| !is_test_item(i)) {
            paths.visit_item(item);
        }
        let edges = graph.entry(me.clone()).or_default();
        for path in paths.found {
            // A module declaring, using and re-exporting its own children is
            // the module tree, not an import: only edges to modules outside
            // the file's own subtree count.
            if let Some(target) = resolve(&me, &path, &modules)
                && !target.starts_with(&me)
            {
                edges.insert(target);
            }
        }
    }
    for cycle in cycles(&graph) {
        out.push(format!("cycle {krate}: {}", show(&cycle)));
    }
    if print {
        for (from, tos) in &graph {
            for to in tos {
                println!(
                    "file {} -> {}",
                    show(std::slice::from_ref(from)),
                    show(std::slice::from_ref(to))
                );
            }
        }
    }
    // Top-level modules: a file's edges go from its first segment to the
    // target's first segment.
    let mut top: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (from, tos) in &graph {
        let Some(a) = from.first() else { continue };
        for to in tos {
            if let Some(b) = to.first()
                && a != b
            {
                top.entry(vec![a.clone()])
                    .or_default()
                    .insert(vec![b.clone()]);
            }
        }
    }
    for cycle in cycles(&top) {
        out.push(format!("modules {krate}: {}", show(&cycle)));
    }
    if krate == "edge" {
        out.extend(layer_findings(&top));
    }
    if print {
        for (from, tos) in &top {
            for to in tos {
                println!(
                    "module {} -> {}",
                    show(std::slice::from_ref(from)),
                    show(std::slice::from_ref(to))
                );
            }
        }
    }
    Ok(out)
}

/// `layer edge: a -> b` for an import upwards, `layer edge: a has no
/// layer` for a module [`EDGE_LAYERS`] does not place.
fn layer_findings(top: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<String> {
    let layer = |m: &str| EDGE_LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (from, tos) in top {
        for m in std::iter::once(from).chain(tos) {
            let name = m.join("::");
            if layer(&name).is_none() && seen.insert(name.clone()) {
                out.push(format!("layer edge: {name} has no layer"));
            }
        }
        let a = from.join("::");
        for to in tos {
            let b = to.join("::");
            if let (Some(la), Some(lb)) = (layer(&a), layer(&b))
                && la < lb
            {
                out.push(format!("layer edge: {a} -> {b}"));
            }
        }
    }
    out
}

fn show(cycle: &[Vec<String>]) -> String {
    cycle
        .iter()
        .map(|m| {
            if m.is_empty() {
                "crate".to_owned()
            } else {
                m.join("::")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | "fuzz" | "node_modules" | "build" | "pkg") {
                collect(&path, out)?;
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut g: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(vec![a.to_string()])
                .or_default()
                .insert(vec![b.to_string()]);
            g.entry(vec![b.to_string()]).or_default();
        }
        g
    }

    #[test]
    fn cycles_are_the_strongly_connected_components() {
        let g = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e")]);
        assert_eq!(show(&cycles(&g)[0]), "a, b, c");
        assert_eq!(cycles(&g).len(), 1);
        assert!(cycles(&graph(&[("a", "b"), ("b", "c")])).is_empty());
    }

    #[test]
    fn an_import_upwards_is_a_layer_finding() {
        let g = graph(&[("hub", "store"), ("store", "routes"), ("routes", "nowhere")]);
        let found = layer_findings(&g);
        assert!(
            found.contains(&"layer edge: store -> routes".to_string()),
            "{found:?}"
        );
        assert!(
            found.contains(&"layer edge: nowhere has no layer".to_string()),
            "{found:?}"
        );
        assert!(
            !found.iter().any(|f| f.contains("hub -> store")),
            "{found:?}"
        );
    }
}
