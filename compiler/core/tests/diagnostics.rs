//! The error messages are part of the product: every spec in `spec/invalid/`
//! is compiled and its rendered diagnostics are snapshotted, and every valid
//! spec (the reference and `spec/examples/`) must compile and match the
//! committed JSON Schema.
//!
//! Review changed snapshots with `cargo insta review` (or run with
//! `INSTA_UPDATE=always` and read the `.snap` diff in git).

use std::collections::BTreeSet;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use sagac_core::codes::Code;
use sagac_core::diagnostic::{self, Diagnostic};
use sagac_core::source::SourceFile;

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec")
}

/// Compiles `bytes`, turning a panic into a test failure that names the file.
fn compile(
    name: &str,
    bytes: &[u8],
) -> Result<sagac_core::ir::Saga, (SourceFile, Vec<Diagnostic>)> {
    match catch_unwind(AssertUnwindSafe(|| sagac_core::compile_bytes(name, bytes))) {
        Ok(result) => result,
        Err(_) => panic!("the front end panicked on {name}"),
    }
}

/// The code a file in `spec/invalid/` targets, from its name (`S020-...`).
fn targeted_code(path: &Path) -> &str {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    file.split('-').next().unwrap_or_default()
}

#[test]
fn invalid_specs() {
    insta::glob!("../../../spec/invalid", "*.saga.yaml", |path| {
        let bytes = fs::read(path).expect("read the spec");
        let file_name = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let name = format!("spec/invalid/{file_name}");
        let (file, diagnostics) = match compile(&name, &bytes) {
            Ok(_) => panic!("{name} compiled, but it is in spec/invalid/"),
            Err(failure) => failure,
        };
        let code = targeted_code(path);
        assert!(
            Code::parse(code).is_some(),
            "{name}: `{code}` is not a diagnostic code"
        );
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert!(
            codes.contains(&code),
            "{name} targets {code} but reported {codes:?}"
        );
        if !bytes.is_empty() {
            for d in &diagnostics {
                assert!(
                    d.span.is_some(),
                    "{name}: {} has no position: {}",
                    d.code.as_str(),
                    d.message
                );
            }
        }
        insta::assert_snapshot!(diagnostic::render(&file, &diagnostics));
    });
}

/// Editors and CI annotations read the JSON form; pin it for a few kinds of
/// diagnostic (with a help line and a note, with a position, without one).
#[test]
fn json_form() {
    for file in [
        "S004-duplicate-step-key.saga.yaml",
        "S020-unknown-service-typo.saga.yaml",
        "S002-empty-file.saga.yaml",
    ] {
        let name = format!("spec/invalid/{file}");
        let bytes = fs::read(spec_dir().join("invalid").join(file)).expect("read the spec");
        let (source, diagnostics) = compile(&name, &bytes).expect_err("the spec is invalid");
        insta::assert_json_snapshot!(
            file.trim_end_matches(".saga.yaml"),
            diagnostic::to_json(&source, &diagnostics)
        );
    }
}

/// Every code has at least one committed example, except those that cannot
/// sensibly be committed as a file (see `spec/invalid/README.md`), which
/// `tests/malformed.rs` generates.
#[test]
fn every_code_has_an_invalid_spec() {
    let generated = ["S007"];
    let covered: BTreeSet<String> = fs::read_dir(spec_dir().join("invalid"))
        .expect("spec/invalid exists")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .filter(|name| name.ends_with(".saga.yaml"))
        .map(|name| name.split('-').next().unwrap_or_default().to_owned())
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c) && !generated.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "no file in spec/invalid/ for {missing:?}"
    );
}

fn valid_specs() -> Vec<PathBuf> {
    let mut specs = Vec::new();
    for dir in [spec_dir(), spec_dir().join("examples")] {
        for entry in fs::read_dir(&dir).expect("spec directory exists") {
            let path = entry.expect("directory entry").path();
            if path.to_str().is_some_and(|p| p.ends_with(".saga.yaml")) {
                specs.push(path);
            }
        }
    }
    specs.sort();
    assert!(
        specs.len() >= 6,
        "expected the reference spec and the examples, found {specs:?}"
    );
    specs
}

#[test]
fn valid_specs_compile() {
    for path in valid_specs() {
        let bytes = fs::read(&path).expect("read the spec");
        let name = path.display().to_string();
        if let Err((file, diagnostics)) = compile(&name, &bytes) {
            panic!(
                "{name} does not compile:\n{}",
                diagnostic::render(&file, &diagnostics)
            );
        }
    }
}

/// The committed schema is what editors use: every valid spec must pass it,
/// and every spec must point its editor at it.
#[test]
fn valid_specs_match_the_committed_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(spec_dir().join("saga.schema.json"))
            .expect("spec/saga.schema.json exists"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    for path in valid_specs() {
        let text = fs::read_to_string(&path).expect("read the spec");
        let first = text.lines().next().unwrap_or_default();
        let reference = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| {
                panic!(
                    "{} must start with the yaml-language-server schema comment",
                    path.display()
                )
            });
        let target = path.parent().expect("spec has a directory").join(reference);
        assert!(
            fs::canonicalize(&target).ok()
                == fs::canonicalize(spec_dir().join("saga.schema.json")).ok(),
            "{}: the schema comment points at {reference}, not at spec/saga.schema.json",
            path.display()
        );
        let document = sagac_core::yaml::parse(&text)
            .expect("valid YAML")
            .to_json();
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} fails the schema: {errors:#?}",
            path.display()
        );
    }
}
