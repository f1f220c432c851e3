//! Cargo, as `sagac package` drives it: which package builds each function
//! (from `cargo metadata`), which toolchain can build for the function's
//! target, and the build itself (the executables come from cargo's JSON
//! messages, not from guessed paths).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::Error;

/// The project `cargo metadata` describes.
pub struct Workspace {
    /// Its root directory.
    pub root: PathBuf,
    /// Its target directory (`target/`, or `CARGO_TARGET_DIR`).
    pub target_dir: PathBuf,
    /// `--manifest-path`, when given.
    manifest_path: Option<PathBuf>,
    packages: Vec<Package>,
}

struct Package {
    name: String,
    member: bool,
    bins: Vec<String>,
}

/// Where a function's binary comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// The cargo package.
    pub package: String,
    /// The binary target.
    pub name: String,
}

impl Workspace {
    /// Runs `cargo metadata` for the project of `manifest_path` (or of the
    /// current directory). `dependencies` lists the packages the project
    /// depends on too, where a function's binary may live (`sagac-runtime`'s
    /// outbox dispatcher in a project that depends on it).
    pub fn load(manifest_path: Option<&Path>, dependencies: bool) -> Result<Self, Error> {
        let mut command = Command::new(cargo());
        command.args(["metadata", "--format-version", "1"]);
        if !dependencies {
            command.arg("--no-deps");
        }
        if let Some(path) = manifest_path {
            command.arg("--manifest-path").arg(path);
        }
        let output = command
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| Error::Usage(format!("cannot run `cargo metadata`: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(Error::Usage(format!(
                "`cargo metadata` failed, so the functions' cargo packages are unknown:\n{}\n(run sagac in the project's directory, or pass --manifest-path)",
                stderr.trim_end()
            )));
        }
        let metadata: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| Error::Usage(format!("`cargo metadata` printed no JSON: {e}")))?;
        Ok(Self::from_metadata(&metadata, manifest_path))
    }

    fn from_metadata(metadata: &Value, manifest_path: Option<&Path>) -> Self {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let members: Vec<&str> = metadata["workspace_members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let packages = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Package {
                name: text(&p["name"]),
                member: p["id"].as_str().is_some_and(|id| members.contains(&id)),
                bins: p["targets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|t| {
                        t["kind"]
                            .as_array()
                            .is_some_and(|k| k.iter().any(|k| k == "bin"))
                    })
                    .map(|t| text(&t["name"]))
                    .collect(),
            })
            .collect();
        Self {
            root: PathBuf::from(text(&metadata["workspace_root"])),
            target_dir: PathBuf::from(text(&metadata["target_directory"])),
            manifest_path: manifest_path.map(Path::to_path_buf),
            packages,
        }
    }

    /// The package whose binary target is named `name`: a workspace
    /// member's when one has it, else a dependency's. Two candidates at the
    /// same level are an error, as is none.
    pub fn binary(&self, name: &str) -> Result<Binary, String> {
        for member in [true, false] {
            let mut found: Vec<&str> = self
                .packages
                .iter()
                .filter(|p| p.member == member && p.bins.iter().any(|b| b == name))
                .map(|p| p.name.as_str())
                .collect();
            found.sort_unstable();
            found.dedup();
            match found.as_slice() {
                [] => continue,
                [package] => {
                    return Ok(Binary {
                        package: (*package).to_owned(),
                        name: name.to_owned(),
                    });
                }
                several => {
                    return Err(format!(
                        "{} packages have a binary named `{name}`: {}; keep one (the function's binary is found by its name)",
                        if member {
                            "several workspace"
                        } else {
                            "several dependency"
                        },
                        several.join(", ")
                    ));
                }
            }
        }
        Err(format!(
            "no binary named `{name}` in the workspace at {} or its dependencies",
            self.root.display()
        ))
    }
}

/// The `cargo` to run: `$CARGO` when sagac runs under cargo, else the one
/// on `PATH` (rustup's proxy, which honours `rust-toolchain.toml`).
fn cargo() -> OsString {
    // Under `cargo run`, $CARGO is the toolchain's own cargo, not the proxy;
    // the proxy is what picks the project's toolchain, so prefer it.
    if find_in_path("cargo").is_some() {
        OsString::from("cargo")
    } else {
        std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
    }
}

/// The first executable named `name` on `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How the binaries get linked for their target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linker {
    /// `cargo zigbuild`, against glibc `major.minor`'s symbols (what
    /// cargo-lambda does): any host, any target, and never a glibc
    /// symbol newer than the runtime's.
    Zig,
    /// Plain `cargo build` with the host's linker (target = host).
    Host,
    /// Plain `cargo build` with a cross linker (`aarch64-linux-gnu-gcc`,
    /// Debian's `gcc-aarch64-linux-gnu`).
    Cross(String),
    /// Plain `cargo build` with the linker the environment variable of
    /// this name configures.
    Configured(String),
}

impl Linker {
    /// What the summary line says.
    pub fn describe(&self) -> String {
        match self {
            Linker::Zig => "cargo-zigbuild".into(),
            Linker::Host => "the host's linker".into(),
            Linker::Cross(linker) => linker.clone(),
            Linker::Configured(variable) => format!("${variable}"),
        }
    }
}

fn rustc_output(workspace: &Path, args: &[&str]) -> Result<String, Error> {
    let output = Command::new("rustc")
        .args(args)
        .current_dir(workspace)
        .output()
        .map_err(|e| Error::Usage(format!("cannot run `rustc {}`: {e}", args.join(" "))))?;
    if !output.status.success() {
        return Err(Error::Usage(format!(
            "`rustc {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim_end()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The host's target triple, by the project's toolchain.
pub fn host(workspace: &Path) -> Result<String, Error> {
    let verbose = rustc_output(workspace, &["-vV"])?;
    verbose
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| Error::Usage("`rustc -vV` names no host".into()))
}

fn env_name(target: &str) -> String {
    target.replace(['-', '.'], "_").to_uppercase()
}

/// Picks the linker for `target`, after checking that the project's
/// toolchain has the target's standard library. The error says how to
/// install what is missing.
pub fn linker(workspace: &Path, target: &str, host: &str) -> Result<Linker, Error> {
    let libdir = rustc_output(workspace, &["--print", "target-libdir", "--target", target])?;
    let libdir = PathBuf::from(libdir.trim());
    let installed = std::fs::read_dir(&libdir).is_ok_and(|mut d| {
        d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libstd-")))
    });
    if !installed {
        return Err(Error::Usage(format!(
            "the Rust standard library for {target} is not installed in the project's toolchain: run `rustup target add {target}` in {}",
            workspace.display()
        )));
    }
    if find_in_path("cargo-zigbuild").is_some() {
        return Ok(Linker::Zig);
    }
    if target == host {
        return Ok(Linker::Host);
    }
    let variable = format!("CARGO_TARGET_{}_LINKER", env_name(target));
    if std::env::var_os(&variable).is_some() {
        return Ok(Linker::Configured(variable));
    }
    let arch = target.split('-').next().unwrap_or(target);
    let gcc = format!("{arch}-linux-gnu-gcc");
    if find_in_path(&gcc).is_some() {
        return Ok(Linker::Cross(gcc));
    }
    let debian = format!("gcc-{arch}-linux-gnu");
    Err(Error::Usage(format!(
        "no linker for {target} on this {host} machine. Install one of:\n  \
         - cargo-zigbuild with zig (links against glibc {major}.{minor}, like cargo-lambda): `pip install ziglang cargo-zigbuild`, or `cargo install --locked cargo-zigbuild` plus zig from ziglang.org; this repository's scripts/setup-tools.sh puts both in .cache/bin\n  \
         - Debian's cross compiler: `apt-get install {debian}` (then sagac uses {gcc})\n\
         or set CARGO_TARGET_{env}_LINKER to a linker for {target}",
        major = sagac_core::emit::cfn::RUNTIME_GLIBC.0,
        minor = sagac_core::emit::cfn::RUNTIME_GLIBC.1,
        env = env_name(target),
    )))
}

/// One `cargo build` of every binary in `binaries`.
pub struct Build<'a> {
    /// The project.
    pub workspace: &'a Workspace,
    /// The target triple.
    pub target: &'a str,
    /// The linker.
    pub linker: &'a Linker,
    /// The cargo profile (`release`, `dev`, or a custom one).
    pub profile: &'a str,
    /// `--locked`.
    pub locked: bool,
}

impl Build<'_> {
    /// Builds the binaries and returns each one's executable, by binary name.
    pub fn run(&self, binaries: &[Binary]) -> Result<BTreeMap<String, PathBuf>, Error> {
        let mut command = Command::new(cargo());
        let (major, minor) = sagac_core::emit::cfn::RUNTIME_GLIBC;
        match self.linker {
            Linker::Zig => {
                command
                    .arg("zigbuild")
                    .arg("--target")
                    .arg(format!("{}.{major}.{minor}", self.target));
            }
            Linker::Host | Linker::Cross(_) | Linker::Configured(_) => {
                command.arg("build").arg("--target").arg(self.target);
            }
        }
        if let Linker::Cross(linker) = self.linker {
            let target = env_name(self.target);
            command.env(format!("CARGO_TARGET_{target}_LINKER"), linker);
            // C code in dependencies (aws-lc-sys, ...) is compiled for the
            // target by the matching compiler.
            let cc = format!("CC_{}", self.target.replace('-', "_"));
            if std::env::var_os(&cc).is_none() {
                command.env(cc, linker);
            }
        }
        command
            .args(["--profile", self.profile])
            .arg("--message-format=json-render-diagnostics");
        if self.locked {
            command.arg("--locked");
        }
        if let Some(path) = &self.workspace.manifest_path {
            command.arg("--manifest-path").arg(path);
        }
        let mut packages: Vec<&str> = binaries.iter().map(|b| b.package.as_str()).collect();
        packages.sort_unstable();
        packages.dedup();
        for package in packages {
            command.args(["-p", package]);
        }
        for binary in binaries {
            command.args(["--bin", &binary.name]);
        }
        self.remap_paths(&mut command);
        let output = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| Error::Usage(format!("cannot run cargo: {e}")))?;
        let mut executables = BTreeMap::new();
        for line in output.stdout.split(|&b| b == b'\n') {
            let Ok(message) = serde_json::from_slice::<Value>(line) else {
                continue;
            };
            if message["reason"] != "compiler-artifact" {
                continue;
            }
            let is_bin = message["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"));
            if let (true, Some(name), Some(exe)) = (
                is_bin,
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            ) {
                executables.insert(name.to_owned(), PathBuf::from(exe));
            }
        }
        if !output.status.success() {
            return Err(Error::Failed(format!(
                "cargo could not build the functions for {} (its errors are above)",
                self.target
            )));
        }
        for binary in binaries {
            if !executables.contains_key(&binary.name) {
                return Err(Error::Failed(format!(
                    "cargo built no executable for binary `{}` of package `{}`",
                    binary.name, binary.package
                )));
            }
        }
        Ok(executables)
    }

    /// Remaps the project's and cargo's directories in the binaries (panic
    /// locations, debug info) to fixed names, so that the same sources give
    /// the same binary, and the same content-addressed key, in any checkout.
    /// Appends to `RUSTFLAGS` when the environment sets it; otherwise adds to
    /// `build.rustflags` (so flags from Cargo configuration files still apply,
    /// unless they are target-specific: cargo then ignores `build.rustflags`).
    fn remap_paths(&self, command: &mut Command) {
        let mut flags = vec![format!(
            "--remap-path-prefix={}=/src",
            self.workspace.root.display()
        )];
        if let Some(home) = cargo_home() {
            flags.push(format!("--remap-path-prefix={}=/cargo", home.display()));
        }
        if let Some(encoded) = std::env::var_os("CARGO_ENCODED_RUSTFLAGS") {
            let mut all = encoded.to_string_lossy().into_owned();
            for flag in &flags {
                if !all.is_empty() {
                    all.push('\u{1f}');
                }
                all.push_str(flag);
            }
            command.env("CARGO_ENCODED_RUSTFLAGS", all);
        } else if let Some(plain) = std::env::var_os("RUSTFLAGS") {
            let mut all = plain.to_string_lossy().into_owned();
            for flag in &flags {
                all.push(' ');
                all.push_str(flag);
            }
            command.env("RUSTFLAGS", all);
        } else {
            let quoted: Vec<String> = flags
                .iter()
                .map(|f| serde_json::to_string(f).unwrap_or_default())
                .collect();
            command
                .arg("--config")
                .arg(format!("build.rustflags=[{}]", quoted.join(", ")));
        }
    }
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .and_then(|p| p.canonicalize().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workspace() -> Workspace {
        let bin = |name: &str| json!({ "kind": ["bin"], "name": name });
        let lib = |name: &str| json!({ "kind": ["lib"], "name": name });
        let metadata = json!({
            "workspace_root": "/project",
            "target_directory": "/project/target",
            "workspace_members": ["flight 0.1.0", "box-office 0.1.0", "tools 0.1.0", "more-tools 0.1.0"],
            "packages": [
                { "id": "flight 0.1.0", "name": "flight", "targets": [lib("flight"), bin("flight")] },
                { "id": "box-office 0.1.0", "name": "box-office", "targets": [bin("seating"), bin("billing")] },
                { "id": "tools 0.1.0", "name": "tools", "targets": [bin("twice")] },
                { "id": "more-tools 0.1.0", "name": "more-tools", "targets": [bin("twice")] },
                { "id": "sagac-runtime 0.1.0", "name": "sagac-runtime", "targets": [lib("sagac_runtime"), bin("outbox-dispatcher"), bin("projector")] },
                { "id": "fork 0.1.0", "name": "fork", "targets": [bin("flight")] },
            ],
        });
        Workspace::from_metadata(&metadata, None)
    }

    #[test]
    fn a_function_is_the_binary_named_after_it() {
        let ws = workspace();
        let found = |name: &str| ws.binary(name).map(|b| b.package);
        assert_eq!(
            found("flight").unwrap(),
            "flight",
            "a member wins over a dependency"
        );
        assert_eq!(found("seating").unwrap(), "box-office");
        assert_eq!(found("billing").unwrap(), "box-office");
        assert_eq!(found("outbox-dispatcher").unwrap(), "sagac-runtime");
        let twice = found("twice").unwrap_err();
        assert!(twice.contains("more-tools, tools"), "{twice}");
        let none = found("hotel").unwrap_err();
        assert!(none.contains("no binary named `hotel`"), "{none}");
        assert_eq!(ws.target_dir, Path::new("/project/target"));
    }
}
