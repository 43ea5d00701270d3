//! `cargo xtask layout`: the structure rules ARCHITECTURE.md states, checked
//! from the sources (#26): no import cycle between the files of a crate nor
//! between its top-level modules, no file in `edge/`, `app/` or `cli/` over
//! 400 lines, no file's code (its `#[cfg(test)]` items and test files left
//! out) over 500 lines anywhere.
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
            if let Some(target) = resolve(&me, &path, &modules, srel)
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
                println!("file {} -> {}", show(&[from.clone()]), show(&[to.clone()]));
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
    if print {
        for (from, tos) in &top {
            for to in tos {
                println!(
                    "module {} -> {}",
                    show(&[from.clone()]),
                    show(&[to.clone()])
                );
            }
        }
    }
    Ok(out)
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

/// `a/b.rs` and `a/b/mod.rs` → `[a, b]`; `lib.rs`, `main.rs` → `[]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The module file a path names: `crate::a::b::Thing` → the deepest of
/// `[a, b]`, `[a]` that is a file; `super::` and `self::` from `me`.
fn resolve(
    me: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, PathBuf>,
    rel: &Path,
) -> Option<Vec<String>> {
    let mut base: Vec<String>;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            base = Vec::new();
            rest = &path[1..];
        }
        Some("self") | Some("super") => {
            // In `a/b.rs` (module a::b) `self` is a::b; in `mod.rs` too.
            base = me.to_vec();
            let _ = rel;
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => rest = &rest[1..],
                    "super" => {
                        base.pop()?;
                        rest = &rest[1..];
                    }
                    _ => break,
                }
            }
        }
        // A path from a child module declared in this file (`jobs::create`
        // after `mod jobs;`), or an item of this file's own.
        Some(first) if modules.contains_key(&[me, &[first.to_owned()]].concat()) => {
            base = me.to_vec();
        }
        _ => return None,
    }
    let mut best = None;
    for segment in rest {
        base.push(segment.clone());
        if modules.contains_key(&base) {
            best = Some(base.clone());
        } else {
            break;
        }
    }
    best.or_else(|| {
        // `use super::Thing` names the parent module itself.
        let parent: Vec<String> = base[..base.len().saturating_sub(rest.len())].to_vec();
        modules.contains_key(&parent).then_some(parent)
    })
}

/// Every path in `use` trees and in the code (those that name none of the
/// crate's modules are dropped when resolved).
#[derive(Default)]
struct Paths {
    found: Vec<Vec<String>>,
}

impl Paths {
    fn tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.leaf(prefix, &n.ident.to_string()),
            syn::UseTree::Rename(r) => self.leaf(prefix, &r.ident.to_string()),
            syn::UseTree::Glob(_) => self.leaf(prefix, "*"),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.tree(prefix, t);
                }
            }
        }
    }

    fn leaf(&mut self, prefix: &[String], last: &str) {
        let mut path = prefix.to_vec();
        if last != "self" && last != "*" {
            path.push(last.to_owned());
        }
        self.push(path);
    }

    fn push(&mut self, path: Vec<String>) {
        if !path.is_empty() {
            self.found.push(path);
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !m.attrs.iter().any(is_cfg_test) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        // Paths inside macro calls (`format!`, `view!`) as plain tokens:
        // `crate :: a :: b` sequences, at any depth of brackets.
        let mut tokens = Vec::new();
        flatten(m.tokens.clone(), &mut tokens);
        let mut i = 0;
        while i < tokens.len() {
            let starts = tokens[i]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_');
            if starts && tokens.get(i + 1).map(String::as_str) == Some(":") {
                let mut path = vec![tokens[i].clone()];
                let mut j = i + 1;
                while tokens.get(j).map(String::as_str) == Some(":")
                    && tokens.get(j + 1).map(String::as_str) == Some(":")
                {
                    match tokens.get(j + 2) {
                        Some(next) => path.push(next.clone()),
                        None => break,
                    }
                    j += 3;
                }
                self.push(path);
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
    }
}

fn flatten(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
    for t in tokens {
        match t {
            proc_macro2::TokenTree::Group(g) => {
                out.push(String::new());
                flatten(g.stream(), out);
                out.push(String::new());
            }
            other => out.push(other.to_string()),
        }
    }
}

fn is_cfg_test(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("cfg")
        && attr
            .meta
            .require_list()
            .is_ok_and(|l| l.tokens.to_string().contains("test"))
}

fn is_test_item(item: &syn::Item) -> bool {
    let attrs = match item {
        syn::Item::Mod(m) => &m.attrs,
        syn::Item::Fn(f) => &f.attrs,
        syn::Item::Use(u) => &u.attrs,
        syn::Item::Impl(i) => &i.attrs,
        _ => return false,
    };
    attrs.iter().any(is_cfg_test)
}

/// Lines taken by `#[cfg(test)]` items.
fn test_lines(ast: &syn::File) -> usize {
    use syn::spanned::Spanned;
    ast.items
        .iter()
        .filter(|i| is_test_item(i))
        .map(|i| {
            let span = i.span();
            span.end().line.saturating_sub(span.start().line) + 1
        })
        .sum()
}

/// The strongly connected components of more than one node (Tarjan), each
/// sorted, in sorted order.
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        next: usize,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(edges) = s.graph.get(v) {
            for w in edges {
                let Some((w, _)) = s.graph.get_key_value(w) else {
                    continue;
                };
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[w].min(s.low[v]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.index[w].min(s.low[v]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
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
    fn paths_resolve_to_the_deepest_module_file() {
        let modules: BTreeMap<Vec<String>, PathBuf> = [
            vec![],
            vec!["a".to_string()],
            vec!["a".to_string(), "b".to_string()],
            vec!["c".to_string()],
        ]
        .into_iter()
        .map(|m| (m, PathBuf::new()))
        .collect();
        let p = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
        let me = p("a::b");
        let rel = Path::new("a/b.rs");
        assert_eq!(
            resolve(&me, &p("crate::a::b::Thing"), &modules, rel),
            Some(p("a::b"))
        );
        assert_eq!(
            resolve(&me, &p("super::Thing"), &modules, rel),
            Some(p("a"))
        );
        assert_eq!(
            resolve(&me, &p("super::super::c::f"), &modules, rel),
            Some(p("c"))
        );
        assert_eq!(resolve(&me, &p("std::fmt"), &modules, rel), None);
        // From the crate root, `a::f` names the child module `a`.
        assert_eq!(
            resolve(&[], &p("a::f"), &modules, Path::new("lib.rs")),
            Some(p("a"))
        );
    }

    #[test]
    fn uses_and_macro_paths_are_found() {
        let file: syn::File = syn::parse_str(
            "use crate::{a::{self, B}, c::*}; fn f() { super::g(); format!(\"{}\", crate::d::E); }\
             #[cfg(test)] mod tests { use crate::z; }",
        )
        .expect("parse");
        let mut paths = Paths::default();
        for item in file.items.iter().filter(|i| !is_test_item(i)) {
            paths.visit_item(item);
        }
        let found: Vec<String> = paths.found.iter().map(|p| p.join("::")).collect();
        for want in [
            "crate::a",
            "crate::a::B",
            "crate::c",
            "super::g",
            "crate::d::E",
        ] {
            assert!(found.contains(&want.to_string()), "{want}: {found:?}");
        }
        assert!(!found.iter().any(|f| f.contains('z')), "{found:?}");
        assert_eq!(test_lines(&file), 1);
    }
}
