//! The layering rule, checked on the source: dependencies point inward only.
//!
//! `src/domain/` is pure Rust: it names no AWS crate, no Lambda runtime, no
//! sagac runtime and no executor, and nothing from the layers around it.
//! `src/application/` may use the domain, but no AWS crate or runtime either.
//! A mention anywhere, comments included, fails the test, because a comment
//! naming one of them is usually the first step toward using it.

use std::fs;
use std::path::{Path, PathBuf};

/// What neither the domain nor the application may mention.
const INFRASTRUCTURE: &[&str] = &[
    "aws_",
    "aws-sdk",
    "aws-config",
    "lambda_runtime",
    "sagac_runtime",
    "sagac-runtime",
    "tokio",
];

/// The layers around the domain, which it must not reach out to.
const OUTER_LAYERS: &[&str] = &[
    "crate::application",
    "crate::handlers",
    "crate::adapters",
    "crate::in_memory",
];

#[test]
fn the_domain_depends_on_nothing_outside_itself() {
    let forbidden: Vec<&str> = INFRASTRUCTURE.iter().chain(OUTER_LAYERS).copied().collect();
    let violations = violations_under(&source("domain"), &forbidden);
    assert!(
        violations.is_empty(),
        "the domain must stay pure:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_application_depends_on_no_infrastructure() {
    let violations = violations_under(&source("application"), INFRASTRUCTURE);
    assert!(
        violations.is_empty(),
        "the application must not touch infrastructure:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_catches_what_it_is_meant_to() {
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
    assert!(mentions("fn withdraws_funds(pytokio: u8) {}", INFRASTRUCTURE).is_empty());
}

fn source(layer: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer)
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
fn mentions<'a>(line: &str, forbidden: &[&'a str]) -> Vec<&'a str> {
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
