//! `sagac verify` through the real binary: every spec the project ships
//! holds on every path; the table is snapshotted; JUnit XML is written.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn specs() -> Vec<String> {
    let mut out = vec!["spec/trip.saga.yaml".to_owned()];
    let mut examples: Vec<String> = std::fs::read_dir(workspace().join("spec/examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".saga.yaml"))
        .map(|n| format!("spec/examples/{n}"))
        .collect();
    examples.sort();
    out.extend(examples);
    out
}

#[test]
fn every_spec_holds_on_every_path() {
    for spec in specs() {
        let junit = std::env::temp_dir().join(format!(
            "sagac-verify-{}-{}.xml",
            std::process::id(),
            spec.replace('/', "_")
        ));
        let output = Command::new(env!("CARGO_BIN_EXE_sagac"))
            .args(["verify", &spec, "--junit", junit.to_str().unwrap()])
            .current_dir(workspace())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{spec}:\n{text}");
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains("failures=\"0\""), "{spec}: {xml}");
        // The timing differs from run to run.
        let table: String = text
            .lines()
            .filter(|l| !l.contains(" paths, "))
            .map(|l| format!("{l}\n"))
            .collect();
        let name = spec
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".saga.yaml")
            .to_owned();
        insta::assert_snapshot!(format!("verify_{name}"), table);
    }
}
