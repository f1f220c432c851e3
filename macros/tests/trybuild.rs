//! The macro's compile errors, as a developer meets them.
//!
//! `tests/fail/*.rs`: the macro's own errors, a missing trait method, the
//! least-data and typed-result rules, with the compiler's output committed
//! as `.stderr` (refresh with `TRYBUILD=overwrite cargo test -p sagac-macros
//! --test trybuild`, then read the diff: these messages are user-facing).
//! The expansions that must build and run (`tests/pass/*.rs`, one file per
//! spec in `spec/` and `spec/examples/`) are ordinary test modules of
//! `tests/expansions.rs`: with no pass case here, trybuild only type-checks
//! the dependencies (`cargo check`) instead of building them a second time.
//!
//! trybuild builds the cases in a crate of its own at
//! `<target>/tests/trybuild/sagac-macros`, which is then their
//! `CARGO_MANIFEST_DIR`. The specs are staged there under the same relative
//! paths they have here (`spec/…` from the workspace, `tests/specs/…` from this
//! crate), so a case reads `saga!("spec/trip.saga.yaml")` and the paths in
//! the snapshots are the ones a reader can open.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("macros/ has a parent")
        .to_path_buf()
}

/// The target directory, as Cargo (and so trybuild) sees it.
fn target_dir() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    PathBuf::from(
        metadata["target_directory"]
            .as_str()
            .expect("target_directory"),
    )
}

fn copy_specs(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.is_dir() {
            copy_specs(&path, &to.join(name));
        } else if name.to_string_lossy().ends_with(".yaml") {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

fn stage_specs() {
    let project = target_dir()
        .join("tests")
        .join("trybuild")
        .join("sagac-macros");
    copy_specs(&workspace_root().join("spec"), &project.join("spec"));
    copy_specs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs"),
        &project.join("tests/specs"),
    );
}

#[test]
fn compile_errors() {
    stage_specs();
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/fail/*.rs");
}

/// Every valid spec of the repository has a pass case, so an example added
/// later is compiled through the macro too.
#[test]
fn every_spec_has_a_pass_case() {
    let root = workspace_root();
    let cases: String = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pass"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let mut missing = Vec::new();
    for dir in ["spec", "spec/examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".saga.yaml") {
                let path = format!("{dir}/{name}");
                if !cases.contains(&format!("\"../{path}\"")) {
                    missing.push(path);
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "specs without a case in macros/tests/pass/: {missing:?}"
    );
}
