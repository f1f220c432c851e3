//! The layering rule, checked on the source: dependencies point inward only.
//!
//! A service's `src/domain/` is pure Rust: it names no AWS crate, no Lambda
//! runtime, no sagac runtime and no executor, and nothing from the layers
//! around it. So is the shared kernel (`services/kernel`), whose values every
//! domain re-exports, and its manifest declares no dependency at all.
//! `src/application/` may use the domain, but no AWS crate or runtime either.
//! A mention anywhere, comments included, fails the check, because a comment
//! naming one of them is usually the first step toward using it.
//!
//! Each service's `tests/layering.rs` calls these checks on its own crate,
//! so the rule is written once here.

use std::fs;
use std::path::{Path, PathBuf};

/// What neither a domain, the kernel nor an application may mention.
pub const INFRASTRUCTURE: &[&str] = &[
    "aws_",
    "aws-sdk",
    "aws-config",
    "lambda_runtime",
    "sagac_runtime",
    "sagac-runtime",
    "tokio",
];

/// The layers around the domain, which it must not reach out to.
pub const OUTER_LAYERS: &[&str] = &[
    "crate::application",
    "crate::handlers",
    "crate::adapters",
    "crate::in_memory",
];

/// Panics unless the service at `manifest_dir` (its `CARGO_MANIFEST_DIR`)
/// keeps `src/domain/` pure, and unless the shared kernel it re-exports is
/// pure too.
pub fn assert_domain_is_pure(manifest_dir: &str) {
    let forbidden: Vec<&str> = INFRASTRUCTURE.iter().chain(OUTER_LAYERS).copied().collect();
    let mut violations = violations_under(&source(manifest_dir, "domain"), &forbidden);
    violations.extend(violations_under(&kernel_dir().join("src"), &forbidden));
    violations.extend(kernel_manifest_dependencies());
    assert!(
        violations.is_empty(),
        "the domain must stay pure:\n{}",
        violations.join("\n")
    );
}

/// Panics unless the service at `manifest_dir` keeps `src/application/` free
/// of infrastructure.
pub fn assert_application_uses_no_infrastructure(manifest_dir: &str) {
    let violations = violations_under(&source(manifest_dir, "application"), INFRASTRUCTURE);
    assert!(
        violations.is_empty(),
        "the application must not touch infrastructure:\n{}",
        violations.join("\n")
    );
}

/// Panics unless the check catches what it is meant to, and only that.
pub fn assert_the_check_catches_what_it_is_meant_to() {
    assert_eq!(
        mentions("use tokio::sync::Mutex;", INFRASTRUCTURE),
        vec!["tokio"]
    );
    assert_eq!(
        mentions(
            "let c = aws_sdk_dynamodb::Client::new(&config);",
            INFRASTRUCTURE
        ),
        vec!["aws_"]
    );
    assert_eq!(
        mentions("// uses sagac_runtime::Step", INFRASTRUCTURE),
        vec!["sagac_runtime"]
    );
    assert_eq!(
        mentions("use crate::application::reserve;", OUTER_LAYERS),
        vec!["crate::application"]
    );
    // Words that merely contain a forbidden one are not mentions of it.
    for line in [
        "fn withdraws_seats(pytokio: u8) {}",
        "fn withdraws_rooms(pytokio: u8) {}",
        "fn withdraws_funds(pytokio: u8) {}",
    ] {
        assert!(mentions(line, INFRASTRUCTURE).is_empty(), "{line}");
    }
    // A manifest section that declares dependencies is one.
    assert_eq!(
        dependency_sections("[package]\nname = \"k\"\n\n[dev-dependencies]\nx = \"1\"\n"),
        vec!["[dev-dependencies]"]
    );
    assert_eq!(
        dependency_sections("[target.'cfg(unix)'.dependencies]\n"),
        vec!["[target.'cfg(unix)'.dependencies]"]
    );
    assert!(dependency_sections("[package]\n# No [dependencies].\n").is_empty());
}

fn source(manifest_dir: &str, layer: &str) -> PathBuf {
    Path::new(manifest_dir).join("src").join(layer)
}

/// The shared kernel's crate, `services/kernel`, next to this one.
fn kernel_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("services/testkit has a parent")
        .join("kernel")
}

/// The kernel manifest's dependency sections, as violations.
fn kernel_manifest_dependencies() -> Vec<String> {
    let manifest = kernel_dir().join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    dependency_sections(&text)
        .into_iter()
        .map(|section| {
            format!(
                "{}: {section}: the kernel depends on nothing",
                manifest.display()
            )
        })
        .collect()
}

/// The table headers of a manifest that declare dependencies of any kind.
fn dependency_sections(manifest: &str) -> Vec<&str> {
    manifest
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with('[') && line.contains("dependencies"))
        .collect()
}

/// Every `.rs` file under `root` that mentions one of `forbidden`, as
/// `path:line: word`.
fn violations_under(root: &Path, forbidden: &[&str]) -> Vec<String> {
    assert!(root.is_dir(), "{} is missing", root.display());
    let mut files = Vec::new();
    collect_rust_files(root, &mut files);
    assert!(!files.is_empty(), "no Rust file under {}", root.display());
    let mut violations = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            for word in mentions(line, forbidden) {
                violations.push(format!("{}:{}: {word}", file.display(), number + 1));
            }
        }
    }
    violations
}

fn collect_rust_files(directory: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The forbidden words `line` mentions, each starting at a word boundary.
pub fn mentions<'a>(line: &str, forbidden: &[&'a str]) -> Vec<&'a str> {
    forbidden
        .iter()
        .copied()
        .filter(|word| {
            line.match_indices(word).any(|(start, _)| {
                !line[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|before| before.is_alphanumeric() || before == '_')
            })
        })
        .collect()
}
