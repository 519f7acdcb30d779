//! The shape of the code, checked: the engine knows neither the terminal
//! nor the command line, only the binary's entry uses `cli`, no two
//! modules (top-level, or siblings inside one) import each other, and the
//! screen's widgets read no file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/` with its module path (`["parse", "json"]`),
/// its code without comments and without its `#[cfg(test)]` tail.
fn sources() -> Vec<(Vec<String>, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "tests.rs") && !p.components().any(|c| c.as_os_str() == "tests"))
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            let mut module: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if module.last().is_some_and(|l| l == "mod") {
                module.pop();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let code: String =
                code.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
            (module, code)
        })
        .collect()
}

/// The identifiers that follow `prefix` in `code` (`crate::` → `store`, …).
fn after(code: &str, prefix: &str) -> BTreeSet<String> {
    code.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &code[i + prefix.len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            (end > 0).then(|| rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn the_engine_knows_neither_the_terminal_nor_the_command_line() {
    for (module, code) in sources() {
        let top = module.first().map_or("", String::as_str);
        if top != "tui" {
            for ui in ["ratatui", "crossterm"] {
                assert!(!code.contains(&format!("{ui}::")), "{module:?} uses {ui}: only tui/ knows the terminal");
            }
        }
        if !matches!(top, "cli" | "main") {
            assert!(!code.contains("clap::"), "{module:?} uses clap: only cli knows the command line");
        }
        if top != "main" && top != "cli" {
            assert!(!after(&code, "crate::").contains("cli"), "{module:?} uses cli: only the binary's entry does");
        }
    }
}

/// Drawing only draws: the widgets under `tui/view/` read the state the
/// jobs loaded, never a file (no line read again, no line counted, no
/// parse, no link looked up).
#[test]
fn the_frame_reads_no_file() {
    let reads = [
        "line_text",
        "entry_text",
        "line_of",
        "lines_of",
        "read_line",
        "std::fs",
        "parse_line",
        "links::links",
        "RecordView::load",
    ];
    for (module, code) in sources() {
        if module.first().is_some_and(|m| m == "tui") && module.get(1).is_some_and(|m| m == "view") {
            for r in reads {
                assert!(!code.contains(r), "{module:?} calls {r}: a frame draws what the jobs loaded");
            }
        }
    }
}

#[test]
fn no_two_modules_import_each_other() {
    let modules: BTreeSet<Vec<String>> = sources().into_iter().map(|(m, _)| m).collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in sources() {
        let Some(top) = module.first() else { continue };
        if matches!(top.as_str(), "main" | "lib") {
            continue;
        }
        for m in after(&code, "crate::") {
            if &m != top && modules.contains(&vec![m.clone()]) {
                deps.entry(top.clone()).or_default().insert(m);
            }
        }
        // Siblings inside one module (`tui::app` and `tui::view`).
        if let [parent, child] = module.as_slice() {
            let uses = after(&code, "super::").into_iter().chain(after(&code, &format!("crate::{parent}::")));
            for m in uses {
                if &m != child && modules.contains(&vec![parent.clone(), m.clone()]) {
                    deps.entry(format!("{parent}::{child}")).or_default().insert(format!("{parent}::{m}"));
                }
            }
        }
    }
    assert!(deps.get("tui::view").is_some_and(|d| d.contains("tui::app")), "the scan sees nothing: {deps:?}");
    let cycles: Vec<(&String, &String)> = deps
        .iter()
        .flat_map(|(a, bs)| bs.iter().map(move |b| (a, b)))
        .filter(|(a, b)| a < b && deps.get(*b).is_some_and(|d| d.contains(*a)))
        .collect();
    assert!(cycles.is_empty(), "modules that import each other: {cycles:?}");
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn the_readme_is_short_and_every_doc_link_resolves() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.len() <= 15 * 1024, "README.md is {} bytes; the rest belongs in docs/", readme.len());
    let mut pages = vec![root.join("README.md"), root.join("CONTRIBUTING.md")];
    pages.extend(std::fs::read_dir(root.join("docs")).unwrap().map(|e| e.unwrap().path()));
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.starts_with("http") || target.contains(' ') || target.is_empty() {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let dest = if file.is_empty() { page.clone() } else { page.parent().unwrap().join(file) };
            assert!(dest.exists(), "{}: link to {target}: no such file", page.display());
            if !anchor.is_empty() {
                let dest_text = std::fs::read_to_string(&dest).unwrap();
                let found = dest_text
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .filter_map(|l| l.trim_start_matches('#').strip_prefix(' '))
                    .any(|h| slug(h) == anchor);
                assert!(found, "{}: link to {target}: no such heading", page.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} links seen");
}

#[test]
fn the_generated_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages = [
        ("docs/audit-rules.md", linelens::audit::rules::markdown()),
        ("docs/formats.md", linelens::parse::formats::markdown()),
    ];
    for (page, made) in pages {
        let path = root.join(page);
        if std::env::var_os("LINELENS_WRITE_DOCS").is_some() {
            std::fs::write(&path, &made).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            text == made,
            "{page} is stale: run `LINELENS_WRITE_DOCS=1 cargo test --test architecture` and commit it"
        );
    }
}
