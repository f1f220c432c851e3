//! `sagac package`: every function of a saga's stack as a Lambda
//! deployment package, in cargo-lambda's layout
//! (`<out>/<function>/bootstrap.zip`), plus the code key parameters the
//! generated template takes (`<out>/<saga>.template-config.json`, in the
//! format of CodePipeline's template configuration files).
//!
//! The functions are those the template asks code for,
//! `sagac_core::emit::cfn::artifacts`, the list the template's parameters
//! are declared from, so the two cannot disagree. Each function's binary is
//! the cargo binary target of the same name (`flight`, `outbox-dispatcher`),
//! looked up in the project's `cargo metadata`: a workspace member's, else a
//! dependency's (a project that depends on `sagac-runtime` gets its
//! dispatcher and projector from it).
//!
//! Every binary is checked before it is zipped: an ELF executable for the
//! function's architecture, needing no glibc newer than `provided.al2023`'s
//! 2.34, under Lambda's 250 MB unzipped limit. The zips are reproducible
//! (`archive`), and the key of each is `<function>/<sha256 of bootstrap>.zip`,
//! so an unchanged function keeps its key and gets no new version.

mod archive;
mod cargo;
mod elf;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use sagac_core::emit::cfn::{self, Artifact};
use sagac_core::ir::{Architecture, Saga};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub use cargo::Workspace;

use crate::{FAILED, USAGE};

/// A failure of `package` or `deploy`, by its exit code.
#[derive(Debug)]
pub enum Error {
    /// Usage, I/O or environment (exit 2).
    Usage(String),
    /// A check or an operation failed (exit 1).
    Failed(String),
}

impl Error {
    /// Prints the error and gives its exit code.
    pub fn report(self) -> ExitCode {
        let (code, text) = match self {
            Error::Usage(text) => (USAGE, text),
            Error::Failed(text) => (FAILED, text),
        };
        eprintln!("error: {text}");
        ExitCode::from(code)
    }
}

/// A Lambda architecture, as `--arch` names it.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Arch {
    /// Graviton (`aarch64-unknown-linux-gnu`).
    Arm64,
    /// Intel and AMD (`x86_64-unknown-linux-gnu`).
    #[value(name = "x86_64")]
    X86_64,
}

impl From<Arch> for Architecture {
    fn from(arch: Arch) -> Self {
        match arch {
            Arch::Arm64 => Architecture::Arm64,
            Arch::X86_64 => Architecture::X86_64,
        }
    }
}

/// The arguments of `sagac package`.
#[derive(Args, Debug)]
pub struct PackageArgs {
    /// The saga spec.
    pub spec: PathBuf,
    /// The architecture to build for [default: the spec's
    /// `deployment.architecture`].
    #[arg(long, value_enum)]
    pub arch: Option<Arch>,
    /// The cargo profile (`release`, `dev`, or one of the project's own).
    #[arg(long, default_value = "release", value_parser = profile_name)]
    pub profile: String,
    /// Output directory [default: the cargo target directory's `lambda/`].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The project's Cargo.toml [default: cargo's search from the current
    /// directory].
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Build with `cargo --locked` (as CI should: Cargo.lock must be up to
    /// date).
    #[arg(long)]
    pub locked: bool,
    /// Then upload each zip to this S3 bucket under its key, unless an
    /// object is already there (the key names the content).
    #[arg(long, value_name = "BUCKET")]
    pub upload: Option<String>,
}

fn profile_name(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(text.to_owned())
    } else {
        Err("a cargo profile name: letters, digits, `-` and `_`".into())
    }
}

/// One packaged function.
#[derive(Debug, Clone)]
pub struct Packaged {
    /// What the template knows of it.
    pub artifact: Artifact,
    /// The zip on disk.
    pub zip: PathBuf,
    /// Its S3 key, `<function>/<sha256 of bootstrap>.zip`.
    pub key: String,
    /// The zip's size in bytes.
    pub size: u64,
}

/// Lambda's limit on a function's unzipped code (250 MB).
const UNZIPPED_LIMIT: u64 = 262_144_000;

/// The file of code key parameters in `out` for `saga`.
pub fn parameter_file(out: &Path, saga: &Saga) -> PathBuf {
    out.join(format!("{}.template-config.json", saga.kebab))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A size for people: `812 B`, `4.2 KiB`, `13.0 MiB`.
pub fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / KIB / KIB)
    }
}

/// The default output directory of a project: `<target dir>/lambda`.
pub fn default_out(manifest_path: Option<&Path>) -> Result<PathBuf, Error> {
    Ok(Workspace::load(manifest_path, false)?
        .target_dir
        .join("lambda"))
}

/// Runs `sagac package`.
pub fn run(args: &PackageArgs) -> ExitCode {
    let saga = match crate::build::compile(&args.spec) {
        Ok(saga) => saga,
        Err(code) => return code,
    };
    match package(args, &saga) {
        Ok(packaged) => match &args.upload {
            Some(bucket) => match crate::aws::upload_all(bucket, &packaged) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => e.report(),
            },
            None => ExitCode::SUCCESS,
        },
        Err(e) => e.report(),
    }
}

fn package(args: &PackageArgs, saga: &Saga) -> Result<Vec<Packaged>, Error> {
    let started = Instant::now();
    let architecture: Architecture = args.arch.map_or(saga.deployment.architecture, Into::into);
    if architecture != saga.deployment.architecture {
        eprintln!(
            "warning: the spec's functions run on {} (deployment.architecture): {} packages do not fit its template, and `sagac deploy` refuses them",
            saga.deployment.architecture.as_aws(),
            architecture.as_aws()
        );
    }
    let target = cfn::rust_target(architecture);
    let artifacts = cfn::artifacts(saga);
    let workspace = Workspace::load(args.manifest_path.as_deref(), true)?;

    // Every function's binary, or every function without one.
    let mut binaries = Vec::new();
    let mut missing = Vec::new();
    for artifact in &artifacts {
        match workspace.binary(&artifact.binary) {
            Ok(binary) => binaries.push(binary),
            Err(why) => missing.push(format!(
                "function `{}` ({}): {why}",
                artifact.prefix, artifact.parameter
            )),
        }
    }
    if !missing.is_empty() {
        return Err(Error::Failed(format!(
            "{} names functions this project does not build:\n  {}\n\
             A function's binary is the cargo binary target named after it: a service's is named after the service \
             (`[[bin]] name = \"…\"` in the crate that implements it), the outbox dispatcher's and the projector's \
             are sagac-runtime's `outbox-dispatcher` and `projector` (a dependency of the project provides them)",
            args.spec.display(),
            missing.join("\n  ")
        )));
    }

    let host = cargo::host(&workspace.root)?;
    let linker = cargo::linker(&workspace.root, target, &host)?;
    let (major, minor) = cfn::RUNTIME_GLIBC;
    eprintln!(
        "packaging {} ({} function{}) for {} ({target}, {}), profile {}, linked by {}",
        saga.name,
        artifacts.len(),
        if artifacts.len() == 1 { "" } else { "s" },
        architecture.as_aws(),
        cfn::RUNTIME,
        args.profile,
        linker.describe(),
    );
    let executables = cargo::Build {
        workspace: &workspace,
        target,
        linker: &linker,
        profile: &args.profile,
        locked: args.locked,
    }
    .run(&binaries)?;

    let out = match &args.out {
        Some(out) => out.clone(),
        None => workspace.target_dir.join("lambda"),
    };
    let mut problems = Vec::new();
    let mut packaged = Vec::new();
    let mut zips = Vec::new();
    let mut rows = vec![vec![
        "function".to_owned(),
        "zip".to_owned(),
        "size".to_owned(),
        "glibc".to_owned(),
        "sha256 (zip)".to_owned(),
    ]];
    for artifact in &artifacts {
        let exe = &executables[&artifact.binary];
        let binary = std::fs::read(exe)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", exe.display())))?;
        let glibc = match check(&binary, architecture, (major, minor)) {
            Ok(Fit {
                glibc,
                unusual: libraries,
            }) => {
                if !libraries.is_empty() {
                    eprintln!(
                        "warning: function `{}` loads {}, which {} may not have: link it statically",
                        artifact.prefix,
                        libraries.join(", "),
                        cfn::RUNTIME
                    );
                }
                glibc.map_or_else(|| "none".to_owned(), |(a, b)| format!("{a}.{b}"))
            }
            Err(why) => {
                problems.push(format!(
                    "function `{}` ({}): {why}",
                    artifact.prefix,
                    exe.display()
                ));
                continue;
            }
        };
        let zip = archive::bootstrap_zip(&binary).map_err(Error::Usage)?;
        let path = out.join(&artifact.prefix).join("bootstrap.zip");
        rows.push(vec![
            artifact.prefix.clone(),
            path.display().to_string(),
            size(zip.len() as u64),
            glibc,
            sha256(&zip),
        ]);
        packaged.push(Packaged {
            artifact: artifact.clone(),
            zip: path,
            key: artifact.key(&sha256(&binary)),
            size: zip.len() as u64,
        });
        zips.push(zip);
    }
    if !problems.is_empty() {
        return Err(Error::Failed(format!(
            "{} of {} function binaries cannot run on Lambda:\n  {}",
            problems.len(),
            artifacts.len(),
            problems.join("\n  ")
        )));
    }

    // Written only when every function passed, so the directory always
    // holds one consistent package (the previous one, or this one).
    for (p, zip) in packaged.iter().zip(&zips) {
        write(&p.zip, zip)?;
    }
    let mut parameters = Map::new();
    for p in &packaged {
        parameters.insert(p.artifact.parameter.clone(), Value::from(p.key.as_str()));
    }
    let config = parameter_file(&out, saga);
    let text = serde_json::to_string_pretty(&json!({ "Parameters": parameters }))
        .unwrap_or_default()
        + "\n";
    write(&config, text.as_bytes())?;

    let mut text = sagac_executor::render::columns(&rows, &[false, false, true, true, false]);
    text.push_str(&format!(
        "code keys ({} parameters) in {}\n",
        packaged.len(),
        config.display()
    ));
    crate::build::say(&text);
    eprintln!("packaged in {:.1} s", started.elapsed().as_secs_f64());
    let _ = std::io::stdout().flush();
    Ok(packaged)
}

/// The shared libraries every `provided.al2023` system has: glibc's own
/// and the GCC runtime Rust's standard library unwinds with.
const SYSTEM_LIBRARIES: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libgcc_s.so.1",
    "ld-linux-aarch64.so.1",
    "ld-linux-x86-64.so.2",
];

/// Whether `binary` is an executable for `architecture`.
fn fits(binary: &[u8], architecture: Architecture) -> bool {
    elf::inspect(binary).is_ok_and(|exe| exe.machine == machine(architecture))
}

fn machine(architecture: Architecture) -> elf::Machine {
    match architecture {
        Architecture::Arm64 => elf::Machine::Aarch64,
        Architecture::X86_64 => elf::Machine::X86_64,
    }
}

/// What [`check`] finds in a binary that can be a `bootstrap`.
#[derive(Debug)]
struct Fit {
    /// The newest glibc version it needs, if it needs glibc.
    glibc: Option<(u32, u32)>,
    /// The shared libraries it loads beyond [`SYSTEM_LIBRARIES`].
    unusual: Vec<String>,
}

/// Why `binary` cannot be a `bootstrap` for `architecture`, if it cannot.
fn check(binary: &[u8], architecture: Architecture, glibc: (u32, u32)) -> Result<Fit, String> {
    let exe = elf::inspect(binary)?;
    let expected = machine(architecture);
    if exe.machine != expected {
        return Err(format!(
            "it is a {} executable, not {} ({})",
            exe.machine,
            expected,
            architecture.as_aws()
        ));
    }
    let too_new = exe.glibc_newer_than(glibc);
    if !too_new.is_empty() {
        let needs: Vec<String> = too_new
            .iter()
            .map(|r| {
                let symbols = match r.symbols.len() {
                    0 => String::new(),
                    1..=5 => format!(" for {}", r.symbols.join(", ")),
                    n => format!(" for {} and {} more", r.symbols[..5].join(", "), n - 5),
                };
                format!("{} from {}{symbols}", r.version, r.library)
            })
            .collect();
        return Err(format!(
            "it needs a glibc newer than {}'s {}.{}: {}. Link it against glibc {}.{} (with cargo-zigbuild on PATH, sagac does) or build it on Amazon Linux 2023",
            cfn::RUNTIME,
            glibc.0,
            glibc.1,
            needs.join("; "),
            glibc.0,
            glibc.1,
        ));
    }
    if binary.len() as u64 > UNZIPPED_LIMIT {
        return Err(format!(
            "it is {}, over Lambda's limit of 250 MB of unzipped code (build with --profile release, or strip it)",
            size(binary.len() as u64)
        ));
    }
    let unusual = exe
        .needed
        .iter()
        .filter(|l| !SYSTEM_LIBRARIES.contains(&l.as_str()))
        .cloned()
        .collect();
    Ok(Fit {
        glibc: exe.newest_glibc(),
        unusual,
    })
}

/// Writes through a temporary file in the same directory, so a reader never
/// sees half a file.
fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |e: std::io::Error| Error::Usage(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(format!(".sagac-tmp-{}", std::process::id()));
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, bytes).map_err(fail)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(e)
    })
}

/// The packages `sagac package` wrote for `saga` in `out`, checked against
/// the spec: every function the template needs has its key in the
/// parameter file, and its zip is there and holds the `bootstrap` that key
/// names (a zip rebuilt since, or a key file of another build, is refused).
pub fn load(out: &Path, saga: &Saga, spec: &Path) -> Result<Vec<Packaged>, Error> {
    let config = parameter_file(out, saga);
    let again = format!("run `sagac package {}` first", spec.display());
    let text = std::fs::read_to_string(&config).map_err(|e| {
        Error::Usage(format!(
            "no package of {} in {} ({}: {e}): {again}",
            saga.name,
            out.display(),
            config.display()
        ))
    })?;
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("{} is not JSON ({e}): {again}", config.display())))?;
    let keys = parsed["Parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut packaged = Vec::new();
    let mut problems = Vec::new();
    for artifact in cfn::artifacts(saga) {
        let Some(key) = keys.get(&artifact.parameter).and_then(Value::as_str) else {
            problems.push(format!(
                "{} has no {}",
                config.display(),
                artifact.parameter
            ));
            continue;
        };
        let zip = out.join(&artifact.prefix).join("bootstrap.zip");
        let bytes = match std::fs::read(&zip) {
            Ok(bytes) => bytes,
            Err(e) => {
                problems.push(format!("cannot read {}: {e}", zip.display()));
                continue;
            }
        };
        match archive::read_bootstrap(&bytes) {
            Ok(bootstrap) if artifact.key(&sha256(&bootstrap)) != key => problems.push(format!(
                "{} no longer holds the bootstrap of {key} (packaged again since?)",
                zip.display()
            )),
            Ok(bootstrap) if !fits(&bootstrap, saga.deployment.architecture) => {
                problems.push(format!(
                    "{} is not an executable for {}, the architecture of the spec's functions (packaged with --arch?)",
                    zip.display(),
                    saga.deployment.architecture.as_aws()
                ));
            }
            Ok(_) => {
                packaged.push(Packaged {
                    key: key.to_owned(),
                    zip,
                    size: bytes.len() as u64,
                    artifact,
                });
            }
            Err(why) => problems.push(format!("{}: {why}", zip.display())),
        }
    }
    if problems.is_empty() {
        Ok(packaged)
    } else {
        Err(Error::Usage(format!(
            "the package of {} in {} is incomplete or stale:\n  {}\n{again}",
            saga.name,
            out.display(),
            problems.join("\n  ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(size(812), "812 B");
        assert_eq!(size(4300), "4.2 KiB");
        assert_eq!(size(13 * 1024 * 1024), "13.0 MiB");
    }

    #[test]
    fn a_binary_for_another_machine_is_refused() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        #[cfg(target_arch = "x86_64")]
        let (mine, other) = (Architecture::X86_64, Architecture::Arm64);
        #[cfg(target_arch = "aarch64")]
        let (mine, other) = (Architecture::Arm64, Architecture::X86_64);
        let why = check(&me, other, (9, 99)).unwrap_err();
        assert!(why.contains("executable, not"), "{why}");
        // The test binary itself, with a glibc limit below what it needs.
        let why = check(&me, mine, (2, 0)).unwrap_err();
        assert!(
            why.contains("needs a glibc newer than provided.al2023's 2.0"),
            "{why}"
        );
        assert!(why.contains("GLIBC_2."), "{why}");
        assert!(
            check(b"#!/bin/sh\n", mine, (2, 34))
                .unwrap_err()
                .contains("not an ELF")
        );
    }
}
