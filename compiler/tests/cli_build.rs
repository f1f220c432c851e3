//! `sagac build`, `build --check` and `graph` through the real binary: what is
//! written, what is left alone, what the drift check reports, exit codes.

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

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sagac-build-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const SPEC: &str = "spec/trip.saga.yaml";

#[test]
fn build_writes_every_file_then_nothing() {
    let out = out_dir("twice");
    let dir = out.to_str().unwrap();
    let first = sagac(&["build", SPEC, "--out", dir]);
    let (stdout, stderr) = text(&first);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("happy path: 5 state transitions"),
        "{stdout}"
    );
    for file in [
        "statemachine.asl.json",
        "sfn-mock-config.json",
        "diagram.md",
        "sample-input.json",
        "events/flight/reserve_flight.json",
        "events/payment/refund_payment.json",
        "sagac-manifest.txt",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let asl = std::fs::read_to_string(out.join("statemachine.asl.json")).unwrap();
    assert!(asl.ends_with("}\n"));
    let second = sagac(&["build", SPEC, "--out", dir]);
    let (stdout, _) = text(&second);
    assert!(stdout.contains("(0 written,"), "{stdout}");
    let check = sagac(&["build", SPEC, "--out", dir, "--check"]);
    assert_eq!(check.status.code(), Some(0), "{:?}", text(&check));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn check_names_every_stale_missing_and_extra_file() {
    let out = out_dir("check");
    let dir = out.to_str().unwrap();
    assert_eq!(sagac(&["build", SPEC, "--out", dir]).status.code(), Some(0));
    std::fs::write(out.join("diagram.md"), "edited\n").unwrap();
    std::fs::remove_file(out.join("events/hotel/cancel_hotel.json")).unwrap();
    // A file an earlier build wrote and this one no longer produces.
    let manifest = out.join("sagac-manifest.txt");
    let mut listed = std::fs::read_to_string(&manifest).unwrap();
    listed.push_str("events/hotel/old_action.json\n");
    std::fs::write(&manifest, listed).unwrap();
    std::fs::write(out.join("events/hotel/old_action.json"), "{}\n").unwrap();
    // A file sagac never wrote: not its business.
    std::fs::write(out.join("NOTES.md"), "mine\n").unwrap();

    let check = sagac(&["build", SPEC, "--out", dir, "--check"]);
    let (_, stderr) = text(&check);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stale: ") && stderr.contains("diagram.md"),
        "{stderr}"
    );
    assert!(
        stderr.contains("missing: ") && stderr.contains("cancel_hotel.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains("extra: ") && stderr.contains("old_action.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stale: ") && stderr.contains("sagac-manifest.txt"),
        "{stderr}"
    );
    assert!(!stderr.contains("NOTES.md"), "{stderr}");
    assert!(
        stderr.contains("run `sagac build spec/trip.saga.yaml --out"),
        "{stderr}"
    );
    // --check writes nothing.
    assert_eq!(
        std::fs::read_to_string(out.join("diagram.md")).unwrap(),
        "edited\n"
    );

    let build = sagac(&["build", SPEC, "--out", dir]);
    let (stdout, stderr) = text(&build);
    assert_eq!(build.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("1 removed"), "{stdout}");
    assert!(!out.join("events/hotel/old_action.json").exists());
    assert!(out.join("NOTES.md").exists());
    assert_eq!(
        sagac(&["build", SPEC, "--out", dir, "--check"])
            .status
            .code(),
        Some(0)
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// A checkout with `core.autocrlf` has every generated file with CRLF line
/// endings: the same text, so `--check` passes and `build` rewrites nothing;
/// a real change is still stale.
#[test]
fn crlf_checkout_is_up_to_date() {
    let out = out_dir("crlf");
    let dir = out.to_str().unwrap();
    assert_eq!(sagac(&["build", SPEC, "--out", dir]).status.code(), Some(0));
    let manifest = std::fs::read_to_string(out.join("sagac-manifest.txt")).unwrap();
    let files: Vec<&str> = manifest
        .lines()
        .filter(|l| !l.starts_with('#'))
        .chain(["sagac-manifest.txt"])
        .collect();
    assert!(files.len() > 5, "{files:?}");
    for file in &files {
        let path = out.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
    }
    let check = sagac(&["build", SPEC, "--out", dir, "--check"]);
    assert_eq!(check.status.code(), Some(0), "{:?}", text(&check));
    let again = sagac(&["build", SPEC, "--out", dir]);
    let (stdout, _) = text(&again);
    assert!(stdout.contains("(0 written,"), "{stdout}");
    let diagram = out.join("diagram.md");
    let edited = std::fs::read_to_string(&diagram).unwrap() + "edited\r\n";
    std::fs::write(&diagram, edited).unwrap();
    let check = sagac(&["build", SPEC, "--out", dir, "--check"]);
    let (_, stderr) = text(&check);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stale: ") && stderr.contains("diagram.md"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn build_of_an_invalid_spec_exits_one_and_writes_nothing() {
    let out = out_dir("invalid");
    let text = std::fs::read_to_string(workspace().join(SPEC)).unwrap();
    let broken = text.replacen("service: hotel", "service: hotell", 1);
    let spec = std::env::temp_dir().join(format!(
        "sagac-build-{}-broken.saga.yaml",
        std::process::id()
    ));
    std::fs::write(&spec, broken).unwrap();
    let output = sagac(&[
        "build",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("hotell"));
    assert!(!out.exists());
    let _ = std::fs::remove_file(spec);
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(sagac(&["build"]).status.code(), Some(2));
    assert_eq!(
        sagac(&["build", "no/such/spec.saga.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        sagac(&["graph", "no/such/spec.saga.yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn graph_prints_the_flowchart() {
    let output = sagac(&["graph", SPEC]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("flowchart TD\n"), "{stdout}");
    assert!(
        stdout.contains("ReserveHotel -.->|\"NoRoomsAvailable, HotelNotFound\"| CancelFlight"),
        "{stdout}"
    );
}
