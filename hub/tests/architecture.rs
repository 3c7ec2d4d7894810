//! The hub's rooms, checked (ARCHITECTURE.md): no domain module names the HTTP layer, and no
//! chain of `crate::` imports between files of different modules comes back to where it
//! started. Reads the sources as text: a `use crate::…` or a `crate::…` path in code is an
//! import of the file that path leads to.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, relative to it, with its text up to its unit tests.
fn files() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                // Test modules may reach anywhere; they are not part of the rooms.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                out.insert(rel, code.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &src(), &mut out);
    out.retain(|f, _| !f.ends_with("tests.rs") && !f.contains("/tests/"));
    out
}

/// The top-level module a file belongs to (`print/jobs.rs` → `print`, `state.rs` → `state`).
fn module(file: &str) -> &str {
    file.split('/').next().unwrap().trim_end_matches(".rs")
}

/// The `crate::` paths a file names, each as its segments (`crate::print::new_job` →
/// `["print", "new_job"]`; a `use crate::store::{A, B}` → `["store"]`).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && {
            let c = code.as_bytes()[i - 1];
            c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
        } {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        let path: Vec<String> = rest
            .split("::")
            .map_while(|seg| {
                let name: String = seg
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                (!name.is_empty() && name.len() == seg.len()).then_some(name)
            })
            .collect();
        // The last segment may end in punctuation (`new_job(`): take its leading name too.
        let last = rest.split("::").nth(path.len()).map(|seg| {
            seg.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        });
        let mut path = path;
        if let Some(l) = last.filter(|l| !l.is_empty()) {
            path.push(l);
        }
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// The file a `crate::` path leads to: the longest prefix that names a module file.
fn resolve(files: &BTreeMap<String, String>, path: &[String]) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let dir = path[..n].join("/");
        [format!("{dir}.rs"), format!("{dir}/mod.rs")]
            .into_iter()
            .find(|f| files.contains_key(f))
    })
}

fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let files = files();
    files
        .iter()
        .map(|(file, code)| {
            let to = crate_paths(code)
                .iter()
                .filter_map(|p| resolve(&files, p))
                .filter(|to| module(to) != module(file))
                .collect();
            (file.clone(), to)
        })
        .collect()
}

#[test]
fn only_the_http_faces_name_the_api() {
    // `cli` assembles the server; `background` starts the edge's one loop (the idempotency
    // sweep finishes requests whose process died, writing their HTTP answers). The console is
    // the other face for people: it shares the API's session cookie and guard.
    let faces = ["api", "console", "cli", "main", "lib"];
    let mut offenders = Vec::new();
    for (file, code) in files() {
        if faces.contains(&module(&file)) {
            continue;
        }
        for path in crate_paths(&code) {
            let allowed =
                file == "background.rs" && path.starts_with(&["api".into(), "idempotency".into()]);
            if path[0] == "api" && !allowed {
                offenders.push(format!("{file}: crate::{}", path.join("::")));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "domain code names the HTTP layer: {offenders:#?}"
    );
}

#[test]
fn no_file_imports_come_back_to_where_they_started() {
    let graph = imports();
    // Depth-first search with colours: a grey node met again closes a cycle.
    fn visit<'a>(
        n: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        grey: &mut Vec<&'a str>,
        black: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = grey.iter().position(|g| *g == n) {
            let mut cycle: Vec<String> = grey[at..].iter().map(|s| s.to_string()).collect();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if black.contains(n) {
            return None;
        }
        grey.push(n);
        for to in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(to, graph, grey, black) {
                return Some(c);
            }
        }
        grey.pop();
        black.insert(n);
        None
    }
    let mut black = BTreeSet::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut Vec::new(), &mut black) {
            panic!("imports go round: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_checks_see_imports() {
    // Guards the two tests above against reading nothing: known edges are found.
    let graph = imports();
    assert!(
        graph["shipments/purchase.rs"].contains("print/mod.rs"),
        "{graph:#?}"
    );
    assert!(
        graph["api/shipments.rs"]
            .iter()
            .any(|f| f.starts_with("shipments/"))
    );
    assert!(!graph["state.rs"].is_empty());
}
