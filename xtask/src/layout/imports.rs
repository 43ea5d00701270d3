//! Reading a crate's imports with `syn`: each file's module path, every
//! `use` and every path in its code (macro bodies too), resolved to the
//! deepest module file it names; `#[cfg(test)]` items left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// `a/b.rs` and `a/b/mod.rs` → `[a, b]`; `lib.rs`, `main.rs` → `[]`.
pub fn module_path(rel: &Path) -> Vec<String> {
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
pub fn resolve(
    me: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, PathBuf>,
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
pub struct Paths {
    pub found: Vec<Vec<String>>,
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

pub fn is_test_item(item: &syn::Item) -> bool {
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
pub fn test_lines(ast: &syn::File) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            resolve(&me, &p("crate::a::b::Thing"), &modules),
            Some(p("a::b"))
        );
        assert_eq!(resolve(&me, &p("super::Thing"), &modules), Some(p("a")));
        assert_eq!(
            resolve(&me, &p("super::super::c::f"), &modules),
            Some(p("c"))
        );
        assert_eq!(resolve(&me, &p("std::fmt"), &modules), None);
        // From the crate root, `a::f` names the child module `a`.
        assert_eq!(resolve(&[], &p("a::f"), &modules), Some(p("a")));
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
