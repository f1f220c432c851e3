//! `sagac check`, `explain` and `schema` through the real binary: exit codes,
//! where diagnostics go, and that hostile input never panics.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sagac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sagac"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("sagac runs")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sagac-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn valid_spec_exits_zero() {
    let output = sagac(&["check", "spec/trip.saga.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn invalid_spec_exits_one_with_rustc_style_diagnostics() {
    let text = std::fs::read_to_string(workspace().join("spec/trip.saga.yaml")).unwrap();
    let broken = text.replacen("service: hotel", "service: hotell", 1);
    let path = temp_file("typo.saga.yaml", broken.as_bytes());
    let output = sagac(&["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("error[S020]: unknown service `hotell`"),
        "{err}"
    );
    assert!(err.contains("did you mean `hotel`?"), "{err}");
    assert!(err.contains("typo.saga.yaml:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn json_format_reports_positions() {
    let text = std::fs::read_to_string(workspace().join("spec/trip.saga.yaml")).unwrap();
    let broken = text.replacen("writes: HotelBooking", "writes: HotelBookin", 1);
    let path = temp_file("json.saga.yaml", broken.as_bytes());
    let output = sagac(&["check", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let diagnostics: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &diagnostics[0];
    assert_eq!(first["code"], "S021");
    assert!(first["line"].as_u64().unwrap() > 1);
    assert!(first["column"].as_u64().unwrap() >= 1);
    assert_eq!(first["help"], "did you mean `HotelBooking`?");
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(
        sagac(&["check", "does/not/exist.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(sagac(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(sagac(&["check"]).status.code(), Some(2));
    assert_eq!(sagac(&["explain", "S999"]).status.code(), Some(2));
}

#[test]
fn hostile_input_exits_one_without_panic() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.yaml", Vec::new(), "S002"),
        (
            "binary.yaml",
            vec![0x7f, b'E', b'L', b'F', 0, 0, 1, 2],
            "S008",
        ),
        ("latin1.yaml", b"name: caf\xe9\n".to_vec(), "S008"),
        (
            "deep.yaml",
            format!("a: {}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "S006",
        ),
        ("docs.yaml", b"a: 1\n---\nb: 2\n".to_vec(), "S003"),
        ("dup.yaml", b"a: 1\na: 2\n".to_vec(), "S004"),
        ("huge.yaml", vec![b'#'; 9 * 1024 * 1024], "S007"),
    ];
    for (name, bytes, code) in cases {
        let path = temp_file(name, &bytes);
        let output = sagac(&["check", path.to_str().unwrap()]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(&format!("error[{code}]")), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn explain_prints_the_long_form() {
    let output = sagac(&["explain", "s040"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("S040: step kinds out of order"), "{text}");
    assert!(text.contains("pivot"));
}

/// Every `` `sagac <command>` `` the CLI's texts mention (the explanations, the
/// diagnostics' help lines as the snapshots show them, `--help`, and the
/// unknown-code message) is a command this binary has.
#[test]
fn texts_name_only_existing_commands() {
    let mut texts = Vec::new();
    for code in sagac_core::codes::Code::ALL {
        let output = sagac(&["explain", code.as_str()]);
        texts.push(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    for args in [&["--help"][..], &["build", "--help"], &["check", "--help"]] {
        texts.push(String::from_utf8_lossy(&sagac(args).stdout).into_owned());
    }
    let unknown = sagac(&["explain", "S999"]);
    let last = sagac_core::codes::Code::ALL.last().unwrap().as_str();
    assert!(
        stderr(&unknown).contains(&format!("to {last},")),
        "{}",
        stderr(&unknown)
    );
    texts.push(stderr(&unknown));
    let snapshots = workspace().join("compiler/core/tests/snapshots");
    for entry in std::fs::read_dir(snapshots).unwrap() {
        texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut mentioned = std::collections::BTreeSet::new();
    for text in &texts {
        for (at, _) in text.match_indices("`sagac ") {
            let word: String = text[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase())
                .collect();
            if !word.is_empty() {
                mentioned.insert(word);
            }
        }
    }
    for command in &mentioned {
        let output = sagac(&[command, "--help"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "a text mentions `sagac {command}`, which does not exist"
        );
    }
    assert!(mentioned.contains("explain"), "{mentioned:?}");
}
