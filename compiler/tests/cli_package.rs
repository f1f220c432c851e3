//! `sagac package` through the real binary, on the fixture project
//! (`fixtures/package`: the echo saga, whose two functions are tiny
//! dependency-free binaries, so cross-compiling them for arm64 takes
//! seconds). The full reference saga packages by hand in a few minutes:
//! `sagac package spec/trip.saga.yaml --profile dev` (README).
//!
//! The packages are checked with other tools than the ones that made them:
//! the zip reader of the `zip` crate and the raw local header bytes for the
//! entry, `readelf` (binutils) for the machine and the glibc versions.

mod support;

use std::io::{Cursor, Read};
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};
use support::{fixture, package, sagac, scratch, spec, text};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The one entry of a package, checked: named `bootstrap`, mode 0755, the
/// zip epoch as its time.
fn bootstrap(zip: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    assert_eq!(archive.len(), 1, "one entry");
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap");
    assert_eq!(entry.unix_mode(), Some(0o100_755), "a regular file, 0755");
    assert_eq!(entry.last_modified(), Some(zip::DateTime::default()));
    // The local file header's DOS time and date: 00:00:00 on 1980-01-01.
    assert_eq!(&zip[0..4], b"PK\x03\x04");
    assert_eq!(&zip[10..14], &[0, 0, 0x21, 0]);
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    bytes
}

/// `readelf`'s view of an executable: its machine line and the GLIBC_x.y
/// versions it requires.
fn readelf(binary: &[u8], dir: &Path) -> Option<(String, Vec<(u32, u32)>)> {
    let path = dir.join("bootstrap");
    std::fs::write(&path, binary).unwrap();
    let header = Command::new("readelf").arg("-h").arg(&path).output().ok()?;
    let machine = String::from_utf8_lossy(&header.stdout)
        .lines()
        .find(|l| l.trim_start().starts_with("Machine:"))?
        .to_owned();
    let versions = Command::new("readelf").arg("-V").arg(&path).output().ok()?;
    let text = String::from_utf8_lossy(&versions.stdout).into_owned();
    let mut glibc: Vec<(u32, u32)> = text
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.');
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
        })
        .collect();
    glibc.sort_unstable();
    glibc.dedup();
    Some((machine, glibc))
}

#[test]
fn arm64_packages_are_single_executable_bootstraps_and_reproducible() {
    let dir = scratch("package-arm64");
    let first = dir.join("first");
    let output = package(&first);
    let (stdout, stderr) = text(&output);
    assert!(
        stderr.contains("for arm64 (aarch64-unknown-linux-gnu, provided.al2023)"),
        "{stderr}"
    );

    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(first.join("echo.template-config.json")).unwrap())
            .unwrap();
    let keys = config["Parameters"].as_object().unwrap();
    assert_eq!(
        keys.keys().collect::<Vec<_>>(),
        ["EchoCodeKey", "OutboxDispatcherCodeKey"],
        "one code key per function, named as the template names them"
    );
    let mut zips = Vec::new();
    for (function, parameter) in [
        ("echo", "EchoCodeKey"),
        ("outbox-dispatcher", "OutboxDispatcherCodeKey"),
    ] {
        let path = first.join(function).join("bootstrap.zip");
        let zip = std::fs::read(&path).unwrap();
        let binary = bootstrap(&zip);
        // An aarch64 ELF executable.
        assert_eq!(&binary[0..4], b"\x7fELF");
        assert_eq!(
            u16::from_le_bytes([binary[18], binary[19]]),
            183,
            "EM_AARCH64"
        );
        if let Some((machine, glibc)) = readelf(&binary, &dir) {
            assert!(machine.contains("AArch64"), "{machine}");
            let newest = glibc.last().copied().expect("glibc symbol versions");
            assert!(newest <= (2, 34), "{function} needs glibc {newest:?}");
        }
        // The key names the bootstrap's content.
        assert_eq!(
            keys[parameter],
            format!("{function}/{}.zip", sha256(&binary))
        );
        // Neither the checkout's nor cargo's directory is in the binary
        // (both are remapped), so another checkout gives the same key.
        for path in [fixture(), support::workspace()] {
            let needle = path.to_string_lossy().into_owned();
            assert!(
                !binary.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{function}'s binary contains {needle}"
            );
        }
        // Size and digest are printed.
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{function} ")))
            .unwrap_or_else(|| panic!("no line for {function}:\n{stdout}"));
        assert!(line.contains(&sha256(&zip)), "{line}");
        assert!(line.contains(" KiB") || line.contains(" MiB"), "{line}");
        assert!(
            line.split_whitespace()
                .any(|w| w.starts_with("2.") && w.len() <= 4),
            "the newest glibc it needs: {line}"
        );
        zips.push(zip);
    }

    // The same sources, copied to another directory and built from
    // scratch in another target directory: byte-identical zips.
    let copy = dir.join("copy");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "echo.saga.yaml",
        "src/bin/echo.rs",
        "src/bin/outbox-dispatcher.rs",
    ] {
        let to = copy.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture().join(file), to).unwrap();
    }
    let second = dir.join("second");
    let output = sagac(&[
        "package",
        copy.join("echo.saga.yaml").to_str().unwrap(),
        "--manifest-path",
        copy.join("Cargo.toml").to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
    ])
    .env("CARGO_TARGET_DIR", dir.join("copy-target"))
    .output()
    .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Compiling echo-functions"),
        "a fresh build: {stderr}"
    );
    for (zip, function) in zips.iter().zip(["echo", "outbox-dispatcher"]) {
        let again = std::fs::read(second.join(function).join("bootstrap.zip")).unwrap();
        assert!(
            again == *zip,
            "{function}: the second package differs from the first"
        );
    }
    assert_eq!(
        std::fs::read(second.join("echo.template-config.json")).unwrap(),
        std::fs::read(first.join("echo.template-config.json")).unwrap()
    );
}

/// The directory of the `cargo` on `PATH` (rustup's proxies).
fn cargo_dir() -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .find(|d| d.join("cargo").is_file())
        .expect("cargo on PATH")
}

#[test]
fn without_a_cross_linker_the_error_says_how_to_install_one() {
    let cargo = cargo_dir();
    if cargo.join("cargo-zigbuild").exists() || cargo.join("aarch64-linux-gnu-gcc").exists() {
        eprintln!(
            "skipped: a cross linker lives beside cargo in {}",
            cargo.display()
        );
        return;
    }
    let out = scratch("package-no-linker");
    let manifest = fixture().join("Cargo.toml");
    let output = sagac(&[
        "package",
        spec().to_str().unwrap(),
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .env(
        "PATH",
        std::env::join_paths([cargo, "/usr/bin".into(), "/bin".into()]).unwrap(),
    )
    .env_remove("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER")
    .output()
    .unwrap();
    let (_, stderr) = text(&output);
    if Path::new("/usr/bin/aarch64-linux-gnu-gcc").exists() {
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        return;
    }
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no linker for aarch64-unknown-linux-gnu"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pip install ziglang cargo-zigbuild"),
        "{stderr}"
    );
    assert!(
        stderr.contains("apt-get install gcc-aarch64-linux-gnu"),
        "{stderr}"
    );
    assert!(stderr.contains("scripts/setup-tools.sh"), "{stderr}");
    assert!(!out.join("echo.template-config.json").exists());
}

#[test]
fn a_function_the_project_does_not_build_is_named_with_the_rule() {
    // The ticket-sale saga's services (seating, billing) are not binaries
    // of the fixture project.
    let out = scratch("package-missing");
    let manifest = fixture().join("Cargo.toml");
    let output = sagac(&[
        "package",
        "spec/examples/ticket-sale.saga.yaml",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("function `seating` (SeatingCodeKey): no binary named `seating`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("function `billing` (BillingCodeKey): no binary named `billing`"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("function `outbox-dispatcher`"),
        "the fixture builds that one: {stderr}"
    );
    assert!(
        stderr.contains("the cargo binary target named after it"),
        "{stderr}"
    );
}

#[test]
fn bad_input_is_a_clean_error() {
    let run = |args: &[&str]| {
        let output = sagac(args).output().unwrap();
        let (_, stderr) = text(&output);
        assert!(!stderr.contains("panicked"), "{stderr}");
        (output.status.code(), stderr)
    };
    let spec = spec();
    let spec = spec.to_str().unwrap();
    let (code, err) = run(&["package", "no/such.saga.yaml"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot read `no/such.saga.yaml`"), "{err}");
    let (code, err) = run(&["package", spec, "--arch", "sparc"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("possible values: arm64, x86_64"), "{err}");
    let (code, err) = run(&["package", spec, "--profile", "fast build"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("a cargo profile name"), "{err}");
    let (code, err) = run(&[
        "package",
        spec,
        "--manifest-path",
        "/nonexistent/Cargo.toml",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`cargo metadata` failed"), "{err}");
    assert!(err.contains("--manifest-path"), "{err}");
    // An invalid spec is the spec's diagnostics, exit 1.
    let broken = scratch("package-broken").join("broken.saga.yaml");
    std::fs::write(&broken, "sagac: 1\nname: Broken\nsteps: nope\n").unwrap();
    let (code, err) = run(&["package", broken.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("broken.saga.yaml:"), "{err}");
}
