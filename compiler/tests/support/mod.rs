//! What the `sagac package` and `sagac deploy` tests share: the fixture
//! project (`fixtures/package`: the echo saga and a crate with its two
//! functions), the tools `scripts/setup-tools.sh` installs on `PATH`, a
//! packaging run, and a moto server (CloudFormation + S3) on loopback.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The fixture project.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package")
}

/// The echo saga's spec.
pub fn spec() -> PathBuf {
    fixture().join("echo.saga.yaml")
}

/// A fresh directory for one test's output.
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sagac-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `PATH` with the repository's tool cache first (cargo-zigbuild and zig,
/// from scripts/setup-tools.sh), as scripts/test.sh has it.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![workspace().join(".cache/bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap()
}

/// A `sagac` command with the tool path, run in the repository root, the
/// fixture's builds in a target directory of the tests' own.
pub fn sagac(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sagac"));
    command
        .args(args)
        .current_dir(workspace())
        .env("PATH", tool_path())
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("package-fixture-target"),
        )
        .stdin(Stdio::null());
    command
}

/// Stdout and stderr as text.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `sagac package` of the echo saga (for arm64, as its spec says) into `out`.
pub fn package(out: &Path) -> Output {
    let manifest = fixture().join("Cargo.toml");
    let output = sagac(&[
        "package",
        spec().to_str().unwrap(),
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--locked",
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .expect("sagac runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "sagac package failed (run scripts/setup-tools.sh: it installs the arm64 target and cargo-zigbuild)\n{stdout}\n{stderr}"
    );
    output
}

/// A moto server: `AWS_ENDPOINT_URL` when set (scripts/test.sh starts one),
/// else one started from `.cache/venv` for this test process (`sagac-moto`).
pub use sagac_moto::endpoint;

/// A `sagac` command talking to moto through the standard AWS variables.
pub fn sagac_on_moto(args: &[&str]) -> Command {
    let mut command = sagac(args);
    command
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    command
}

/// The SDK configuration for moto, for the tests' own checks.
pub async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// Runs a future of the tests' own checks.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A name no earlier run used on a long-lived moto server.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}
