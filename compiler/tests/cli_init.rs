//! `sagac init` and `sagac scaffold`, as a new user meets them: a project
//! created from nothing is checked, built, tested with cargo and run; a
//! spec handed to a developer gets stub crates that compile and whose
//! tests pass, and a spec change is reported against the existing crate.
//!
//! The projects' cargo builds share this workspace's target directory and
//! lock file (copied in, run `--offline`), so they compile only the
//! generated crates: sagac's own crates and every dependency are the ones
//! the workspace build already made.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::{scratch, text, workspace};

fn sagac_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sagac"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs and requires success, showing both streams otherwise.
fn ok(what: &str, output: Output) -> String {
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "{what} failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    stdout + &stderr
}

/// The target directory this workspace builds into.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `cargo <args>` in `dir`, with this workspace's target directory and lock.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let command = |args: &[&str]| {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command
            .args(args)
            .arg("--offline")
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target_dir())
            .env_remove("RUSTFLAGS")
            .stdin(Stdio::null());
        command
    };
    command(args).output().unwrap()
}

/// A fresh directory for a project whose crates cargo builds, at the same
/// path in every run: cargo records a build's sources by absolute path, so
/// an earlier run's project at another path (with the same crate names)
/// would make its artifacts look up to date; at the same path, the files
/// written now are newer than they are.
fn project_root(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sagac-project-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn checkout() -> String {
    workspace().display().to_string()
}

#[test]
fn a_project_from_init_checks_builds_tests_and_runs() {
    let root = project_root("init-minimal");
    let dir = root.join("order-desk");
    let out = ok(
        "sagac init",
        sagac_in(&root, &["init", "order-desk", "--sagac-path", &checkout()]),
    );
    assert!(out.contains("created the OrderDesk project"), "{out}");
    let spec = "spec/order-desk.saga.yaml";
    for path in [
        spec,
        "spec/saga.schema.json",
        "Cargo.toml",
        "README.md",
        ".gitignore",
        ".github/workflows/ci.yml",
        "services/inventory/src/domain.rs",
        "services/payments/tests/payments.rs",
        "local/tests/saga.rs",
        "generated/order-desk/statemachine.asl.json",
    ] {
        assert!(dir.join(path).is_file(), "init wrote no {path}");
    }
    // The schema beside the spec is the one `sagac schema` prints.
    let schema = ok("sagac schema", sagac_in(&dir, &["schema"]));
    assert_eq!(
        std::fs::read_to_string(dir.join("spec/saga.schema.json")).unwrap(),
        schema
    );

    ok("sagac check", sagac_in(&dir, &["check", spec]));
    ok(
        "sagac build --check",
        sagac_in(&dir, &["build", spec, "--check"]),
    );
    let run = ok("sagac run", sagac_in(&dir, &["run", spec]));
    assert!(run.contains("\"status\":\"PLACED\""), "{run}");

    ok("cargo fmt --check", {
        let mut fmt = Command::new("cargo");
        fmt.args(["fmt", "--", "--check"]).current_dir(&dir);
        fmt.output().unwrap()
    });
    let tests = ok("cargo test", cargo(&dir, &["test", "--workspace"]));
    for test in [
        "reserves_the_units_it_has ... ok",
        "refuses_more_than_it_has ... ok",
        "a_release_puts_the_units_back_once ... ok",
        "declines_a_declined_card_and_writes_nothing ... ok",
        "a_refund_refunds_once ... ok",
        "the_sample_request_succeeds ... ok",
        "every_failure_path_ends_as_the_spec_says ... ok",
    ] {
        assert!(tests.contains(test), "no `{test}` in\n{tests}");
    }

    // Never overwrites: a second init into the project refuses, and with
    // --existing names what is in the way and writes nothing.
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    std::fs::write(dir.join("README.md"), "mine\n").unwrap();
    let again = sagac_in(&root, &["init", "order-desk"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again).1.contains("is not empty"),
        "{}",
        text(&again).1
    );
    let again = sagac_in(&root, &["init", "order-desk", "--existing"]);
    assert_eq!(again.status.code(), Some(2));
    let (_, stderr) = text(&again);
    assert!(stderr.contains("exists: order-desk/README.md"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("README.md")).unwrap(),
        "mine\n"
    );
    assert!(readme.contains("sagac verify"), "{readme}");
}

#[test]
fn the_travel_starter_is_the_reference_saga() {
    let root = scratch("init-travel");
    ok(
        "sagac init --template travel",
        sagac_in(&root, &["init", "trips", "--template", "travel"]),
    );
    let dir = root.join("trips");
    assert_eq!(
        std::fs::read_to_string(dir.join("spec/trips.saga.yaml")).unwrap(),
        std::fs::read_to_string(workspace().join("spec/trip.saga.yaml")).unwrap()
    );
    let spec = "spec/trips.saga.yaml";
    ok("sagac check", sagac_in(&dir, &["check", spec]));
    ok(
        "sagac build --check",
        sagac_in(&dir, &["build", spec, "--check"]),
    );
    let run = ok("sagac run", sagac_in(&dir, &["run", spec]));
    assert!(run.contains("\"status\":\"CONFIRMED\""), "{run}");
    // Real services, not stubs: the end-to-end test is written and the
    // local runner seeds the demo data the sample request books. (Their
    // `cargo test` is not run here: the crates are named like this
    // workspace's own services/flight, hotel and payment, which share the
    // target directory; the scaffold snapshots hold every file.)
    for service in ["flight", "hotel", "payment"] {
        let application =
            std::fs::read_to_string(dir.join(format!("services/{service}/src/application.rs")))
                .unwrap();
        assert!(
            application.contains("Change::for_step") && !application.contains("not_implemented"),
            "{application}"
        );
        assert!(
            dir.join(format!("services/{service}/tests/{service}.rs"))
                .is_file()
        );
    }
    assert!(dir.join("local/tests/saga.rs").is_file());
    let local = std::fs::read_to_string(dir.join("local/src/lib.rs")).unwrap();
    for seed in ["flight::adapters::seed_demo", "hotel::adapters::seed_demo"] {
        assert!(local.contains(seed), "{local}");
    }
    // Without --sagac-path the manifests name sagac's repository and tag.
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!("tag = \"v{}\"", env!("CARGO_PKG_VERSION"))),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!("git = \"{}\"", env!("CARGO_PKG_REPOSITORY")))
            && !env!("CARGO_PKG_REPOSITORY").is_empty(),
        "{manifest}"
    );
}

#[test]
fn bad_init_input_is_a_clean_error() {
    let root = scratch("init-bad");
    let bad = sagac_in(&root, &["init", "Shop"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).1.contains("`Shop` cannot name a project"),
        "{}",
        text(&bad).1
    );
    assert!(
        !root.join("Shop").exists(),
        "nothing is created for a bad name"
    );
    let bad = sagac_in(&root, &["init", "x", "--sagac-path", "/nonexistent"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).1.contains("--sagac-path"), "{}", text(&bad).1);
}

/// A project with sagac's crates declared for its members, holding the
/// loyalty-redemption example spec and its generated outputs. (Its services,
/// `points` and `vouchers`, share no crate or binary name with this
/// workspace, whose target directory the project builds in.)
fn loyalty_project(name: &str) -> PathBuf {
    let dir = project_root(name);
    let sagac = checkout();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [\"services/*\"]\n\n[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[workspace.dependencies]\nsagac-runtime = {{ path = \"{sagac}/runtime\" }}\nsagac-macros = {{ path = \"{sagac}/macros\" }}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n[profile.dev]\ndebug = \"line-tables-only\"\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("spec")).unwrap();
    std::fs::copy(
        workspace().join("spec/examples/loyalty-redemption.saga.yaml"),
        dir.join("spec/loyalty-redemption.saga.yaml"),
    )
    .unwrap();
    ok(
        "sagac build",
        sagac_in(&dir, &["build", "spec/loyalty-redemption.saga.yaml"]),
    );
    dir
}

const LOYALTY: &str = "spec/loyalty-redemption.saga.yaml";

#[test]
fn scaffold_writes_the_missing_service_and_reports_the_existing_one() {
    let dir = loyalty_project("scaffold");
    let first = ok(
        "scaffold --service points",
        sagac_in(&dir, &["scaffold", LOYALTY, "--service", "points"]),
    );
    assert!(first.contains("created services/points"), "{first}");
    assert!(!dir.join("services/vouchers").exists());

    // The second run: points exists (nothing written, nothing missing),
    // vouchers is the service without a crate.
    let points = std::fs::read_to_string(dir.join("services/points/src/application.rs")).unwrap();
    let second = ok("scaffold", sagac_in(&dir, &["scaffold", LOYALTY]));
    assert!(
        second.contains("services/points: exists, nothing written; it defines every method"),
        "{second}"
    );
    assert!(second.contains("created services/vouchers"), "{second}");
    assert_eq!(
        std::fs::read_to_string(dir.join("services/points/src/application.rs")).unwrap(),
        points
    );
    // The stubs name their spec location and the generated types.
    let vouchers =
        std::fs::read_to_string(dir.join("services/vouchers/src/application.rs")).unwrap();
    assert!(
        vouchers.contains("declared at spec/loyalty-redemption.saga.yaml:"),
        "{vouchers}"
    );
    assert!(
        vouchers.contains("Result<Voucher, IssueVoucherError>"),
        "{vouchers}"
    );
    assert!(!vouchers.contains("todo!"), "{vouchers}");

    let tests = ok("cargo test", cargo(&dir, &["test", "--workspace"]));
    for test in [
        "hold_points ... ok",
        "release_hold ... ok",
        "burn_points ... ok",
        "issue_voucher ... ok",
        "revoke_voucher ... ok",
    ] {
        assert!(tests.contains(test), "no `{test}` in\n{tests}");
    }

    // The spec renames a compensation: scaffold lists the method the crate
    // lacks, with its location, and the compiler refuses the crate too.
    let text_of = std::fs::read_to_string(dir.join(LOYALTY)).unwrap();
    std::fs::write(
        dir.join(LOYALTY),
        text_of.replace("action: release_hold", "action: free_hold"),
    )
    .unwrap();
    let changed = sagac_in(&dir, &["scaffold", LOYALTY]);
    assert_eq!(changed.status.code(), Some(1));
    let (stdout, _) = text(&changed);
    assert!(
        stdout.contains("the spec asks `PointsService` for 1 method it does not define"),
        "{stdout}"
    );
    assert!(
        stdout.contains("async fn free_hold(&self, command: ReleasePointsHoldCommand) -> Result<Option<PointsHold>, ReleasePointsHoldError>"),
        "{stdout}"
    );
    assert!(
        stdout.contains("// spec/loyalty-redemption.saga.yaml:"),
        "{stdout}"
    );
    let build = cargo(&dir, &["build", "-p", "points"]);
    assert!(!build.status.success());
    let (_, stderr) = text(&build);
    assert!(stderr.contains("free_hold"), "{stderr}");
}

#[test]
fn scaffold_refuses_an_unknown_service() {
    let dir = loyalty_project("scaffold-unknown");
    let out = sagac_in(&dir, &["scaffold", LOYALTY, "--service", "point"]);
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(stderr.contains("has no service `point`"), "{stderr}");
    assert!(stderr.contains("points"), "{stderr}");
    assert!(!dir.join("services").exists());
}
