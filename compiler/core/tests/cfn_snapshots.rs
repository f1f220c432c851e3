//! Every CloudFormation-side output of every valid spec, snapshotted:
//! `template.yaml`, `pipeline.yaml`, `datadog-dashboard.json` and the
//! files under `schema/`, for the reference spec and each spec in
//! `spec/examples/`. The independent checks (cfn-lint, checkov, a moto
//! deployment of the tables) run over the same outputs in `tests/cfn/`.
//!
//! `template.yaml` embeds the state machine definition; that definition is
//! the ASL emitter's output and is snapshotted by its tests as
//! `statemachine.asl.json`, so here it is replaced by one marker line (the
//! rest of the file is byte for byte what `sagac build` writes). That the
//! template's definition equals `statemachine.asl.json` is checked by
//! `cfn_invariants.rs` (round trip through a YAML parser) and by the
//! substitution oracle in `tests/python`. Review with `cargo insta review`.

use std::fs;
use std::path::Path;

use sagac_core::emit::{self, OutputFile};

fn outputs(path: &Path) -> Vec<OutputFile> {
    let bytes = fs::read(path).expect("read the spec");
    let name = path.display().to_string();
    let saga = match sagac_core::compile_bytes(&name, &bytes) {
        Ok(saga) => saga,
        Err((file, diagnostics)) => panic!(
            "{name} does not compile:\n{}",
            sagac_core::diagnostic::render(&file, &diagnostics)
        ),
    };
    emit::build(&saga)
}

fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.contents.as_str())
        .unwrap_or_else(|| panic!("no {path} in the build"))
}

/// The template with the state machine's `Definition` block replaced by a
/// marker line.
fn without_definition(template: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in template.lines() {
        if skipping {
            if line.starts_with("      ")
                && !line.starts_with("      Definition")
                && line.as_bytes().get(6) == Some(&b' ')
            {
                continue;
            }
            skipping = false;
        }
        if line.starts_with("      Definition:") {
            out.push_str(
                "      Definition: <statemachine.asl.json, snapshotted by the ASL tests>\n",
            );
            skipping = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn snapshot_all(path: &Path) {
    let files = outputs(path);
    let stem = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default()
        .trim_end_matches(".saga.yaml")
        .to_owned();
    insta::with_settings!({ snapshot_suffix => stem, input_file => path }, {
        insta::assert_snapshot!("template", without_definition(file(&files, "template.yaml")));
        insta::assert_snapshot!("pipeline", file(&files, "pipeline.yaml"));
        insta::assert_snapshot!("dashboard", file(&files, "datadog-dashboard.json"));
        let mut schemas = String::new();
        for f in files.iter().filter(|f| f.path.starts_with("schema/")) {
            schemas.push_str(&format!("=== {} ===\n{}", f.path, f.contents));
        }
        insta::assert_snapshot!("schemas", schemas);
    });
}

/// The reference spec and every example, each under its own name.
#[test]
fn every_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec");
    let mut specs = Vec::new();
    for dir in [root.clone(), root.join("examples")] {
        let mut found: Vec<_> = fs::read_dir(&dir)
            .expect("spec dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".saga.yaml"))
            .collect();
        found.sort();
        specs.extend(found);
    }
    assert!(specs.len() > 1, "no specs found");
    for spec in specs {
        snapshot_all(&spec);
    }
}
