//! `sagac init` and `sagac scaffold`: the file-system side of
//! `sagac-scaffold`, which renders the files. Nothing is ever overwritten:
//! every path is checked before the first write, and each file is created
//! with `create_new`, so a file that appears meanwhile is not clobbered
//! either.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use sagac_core::source::SourceFile;
use sagac_scaffold::{File, Init, Layout, Sagac, Template};

use crate::build::{compile, outputs, say};
use crate::{FAILED, USAGE, read};

/// The arguments of `sagac init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// The directory of the new project (created if missing).
    pub dir: PathBuf,
    /// The project's name [default: the directory's name]: lower-case
    /// letters, digits, `-` and `_`. The minimal saga is named after it.
    #[arg(long)]
    pub name: Option<String>,
    /// The starter project.
    #[arg(long, value_enum, default_value_t = StarterTemplate::Minimal)]
    pub template: StarterTemplate,
    /// Create the project in a directory that already has files (none of
    /// them is overwritten: if one is in the way, nothing is written).
    #[arg(long)]
    pub existing: bool,
    /// Take sagac's crates from this local checkout of sagac (path
    /// dependencies) instead of its git repository at this release's tag.
    #[arg(long, value_name = "DIR")]
    pub sagac_path: Option<PathBuf>,
}

/// The starter projects.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StarterTemplate {
    /// A small order saga: reserve stock, then charge the customer.
    Minimal,
    /// The reference travel booking saga (flight, hotel, payment): seat,
    /// room and payment logic.
    Travel,
}

/// The arguments of `sagac scaffold`.
#[derive(Args, Debug)]
pub struct ScaffoldArgs {
    /// The spec, inside the current directory (the project root).
    pub spec: PathBuf,
    /// Only this service (repeatable) [default: every service].
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// The directory of the service crates, inside the project root.
    #[arg(long, value_name = "DIR", default_value = "services")]
    pub out: PathBuf,
    /// For crates outside a workspace that declares sagac's crates: take
    /// them from this local checkout of sagac instead of its git repository.
    #[arg(long, value_name = "DIR")]
    pub sagac_path: Option<PathBuf>,
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(USAGE)
}

fn sagac_source(path: Option<&Path>) -> Result<Sagac, ExitCode> {
    let Some(path) = path else {
        return Ok(Sagac::release());
    };
    let root = std::fs::canonicalize(path).map_err(|e| {
        usage(&format!(
            "--sagac-path `{}` cannot be read: {e}",
            path.display()
        ))
    })?;
    if !root.join("runtime").join("Cargo.toml").is_file() {
        return Err(usage(&format!(
            "--sagac-path `{}` is not a checkout of sagac (it has no runtime/Cargo.toml)",
            path.display()
        )));
    }
    Ok(Sagac::Path(root.display().to_string()))
}

/// `sagac init DIR [--name NAME] [--template minimal|travel]`.
pub fn init(args: &InitArgs) -> ExitCode {
    let sagac = match sagac_source(args.sagac_path.as_deref()) {
        Ok(sagac) => sagac,
        Err(code) => return code,
    };
    let dir = &args.dir;
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
        && !args.existing
    {
        return usage(&format!(
            "`{}` is not empty; pass --existing to create the project among its files (nothing is overwritten)",
            dir.display()
        ));
    }
    if dir.exists() && !dir.is_dir() {
        return usage(&format!(
            "`{}` exists and is not a directory",
            dir.display()
        ));
    }
    let name = match &args.name {
        Some(name) => name.clone(),
        None => {
            let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            match normalise(&absolute).file_name() {
                Some(name) => name.to_string_lossy().into_owned(),
                None => return usage("the directory has no name; pass --name"),
            }
        }
    };
    let template = match args.template {
        StarterTemplate::Minimal => Template::Minimal,
        StarterTemplate::Travel => Template::Travel,
    };
    let project = match sagac_scaffold::init(&Init {
        name,
        template,
        sagac,
    }) {
        Ok(project) => project,
        Err(sagac_scaffold::Error::InvalidName(message)) => return usage(&message),
        Err(error) => {
            eprintln!("error: internal: {error}");
            return ExitCode::from(FAILED);
        }
    };
    let mut files = project.files;
    let generated = format!("generated/{}", project.saga.kebab);
    files.extend(outputs(&project.saga).into_iter().map(|f| File {
        path: format!("{generated}/{}", f.path),
        contents: f.contents,
    }));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Err(code) = write_all(dir, &files) {
        return code;
    }
    let spec = &project.spec_path;
    let cd = dir.display();
    say(&format!(
        "created the {} project in {cd} ({} files): spec {spec}, {} service crate{}, generated/ built\n\n\
         next:\n  cd {cd}\n  sagac check {spec}\n  sagac run {spec}\n  cargo test --workspace\n  \
         cargo run -p local -- verify\n",
        project.saga.name,
        files.len(),
        project.saga.services.len(),
        if project.saga.services.len() == 1 {
            ""
        } else {
            "s"
        },
    ));
    ExitCode::SUCCESS
}

/// `text` as rustfmt formats it (edition 2024), or unchanged when rustfmt
/// is not installed or refuses it: the templates are close to formatted
/// already, but names from the spec change line lengths.
fn rustfmt(text: &str) -> String {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let child = Command::new(std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into()))
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return text.to_owned();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => {
            String::from_utf8(out.stdout).unwrap_or_else(|_| text.to_owned())
        }
        _ => text.to_owned(),
    }
}

/// Checks that no file is in the way, then writes every one (Rust files
/// through rustfmt).
fn write_all(dir: &Path, files: &[File]) -> Result<(), ExitCode> {
    let in_the_way: Vec<String> = files
        .iter()
        .map(|f| on_disk(dir, &f.path))
        .filter(|p| p.symlink_metadata().is_ok())
        .map(|p| p.display().to_string())
        .collect();
    if !in_the_way.is_empty() {
        for path in &in_the_way {
            eprintln!("exists: {path}");
        }
        return Err(usage(&format!(
            "{} file{} would be overwritten; nothing was written",
            in_the_way.len(),
            if in_the_way.len() == 1 { "" } else { "s" }
        )));
    }
    for file in files {
        let path = on_disk(dir, &file.path);
        let contents = if file.path.ends_with(".rs") {
            rustfmt(&file.contents)
        } else {
            file.contents.clone()
        };
        if let Err(error) = create(&path, contents.as_bytes()) {
            return Err(usage(&format!(
                "cannot write `{}`: {error}",
                path.display()
            )));
        }
    }
    Ok(())
}

fn create(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)
}

fn on_disk(dir: &Path, relative: &str) -> PathBuf {
    relative
        .split('/')
        .fold(dir.to_path_buf(), |p, c| p.join(c))
}

/// `a/./b/../c` → `a/c`, lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to the current directory, `/`-separated, when it is
/// inside it.
fn inside_cwd(path: &Path, what: &str) -> Result<String, ExitCode> {
    let cwd = std::env::current_dir().map_err(|e| usage(&format!("no current directory: {e}")))?;
    let absolute = normalise(&cwd.join(path));
    let cwd = normalise(&cwd);
    let relative = absolute.strip_prefix(&cwd).map_err(|_| {
        usage(&format!(
            "{what} `{}` is outside the current directory; run sagac scaffold from the project root",
            path.display()
        ))
    })?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

/// Whether the project root's manifest declares sagac's crates for its
/// members (`[workspace.dependencies]` with `sagac-runtime`).
fn workspace_declares_sagac() -> bool {
    let Ok(text) = std::fs::read_to_string("Cargo.toml") else {
        return false;
    };
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[workspace.dependencies]";
        } else if in_section && line.starts_with("sagac-runtime") {
            return true;
        }
    }
    false
}

/// `sagac scaffold SPEC [--service NAME]... [--out DIR]`.
pub fn scaffold(args: &ScaffoldArgs) -> ExitCode {
    let sagac = match sagac_source(args.sagac_path.as_deref()) {
        Ok(sagac) => sagac,
        Err(code) => return code,
    };
    let (spec, out) = match (
        inside_cwd(&args.spec, "the spec"),
        inside_cwd(&args.out, "--out"),
    ) {
        (Ok(spec), Ok(out)) => (spec, out),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let saga = match compile(&args.spec) {
        Ok(saga) => saga,
        Err(code) => return code,
    };
    let bytes = match read(&args.spec) {
        Ok(bytes) => bytes,
        Err(code) => return code,
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let file = SourceFile::new(spec.as_str(), text);
    let layout = Layout {
        spec: spec.clone(),
        services: out.clone(),
        generated: format!("generated/{}", saga.kebab),
    };
    let known: Vec<&str> = saga.services.iter().map(|s| s.name.as_str()).collect();
    if let Some(unknown) = args.services.iter().find(|s| !known.contains(&s.as_str())) {
        let mut message = format!("`{}` has no service `{unknown}`", args.spec.display());
        if let Some(help) =
            sagac_core::diagnostic::did_you_mean(unknown, "service", known.iter().copied())
        {
            message.push_str(&format!("; {help}"));
        }
        return usage(&message);
    }
    let selected: Vec<&str> = known
        .iter()
        .copied()
        .filter(|s| args.services.is_empty() || args.services.iter().any(|a| a == s))
        .collect();
    let (existing, new): (Vec<&str>, Vec<&str>) = selected
        .iter()
        .partition(|s| Path::new(&args.out).join(s).exists());
    let mut missing_methods = 0;
    for service in &existing {
        missing_methods += report_existing(&saga, &file, &args.out, service);
    }
    if !new.is_empty() {
        let names: Vec<String> = new.iter().map(|s| (*s).to_owned()).collect();
        let files = match sagac_scaffold::scaffold(
            &saga,
            &file,
            &layout,
            &names,
            &sagac,
            workspace_declares_sagac(),
        ) {
            Ok(files) => files,
            Err(error) => return usage(&error.to_string()),
        };
        if let Err(code) = write_all(Path::new("."), &files) {
            return code;
        }
        for service in &new {
            let methods = sagac_scaffold::methods(&saga, &file, service);
            say(&format!(
                "created {out}/{service}: the `{service}` service, {} stub{} returning Saga.NotImplemented, one test each\n",
                methods.len(),
                if methods.len() == 1 { "" } else { "s" }
            ));
        }
        if !Path::new(&layout.generated).join("events").is_dir() {
            say(&format!(
                "note: the new crates' tests read the sample invocations in {}/events/: run `sagac build {spec}`\n",
                layout.generated
            ));
        }
        if !workspace_declares_sagac() {
            say(
                "note: no [workspace.dependencies] declares sagac-runtime here, so the new manifests name sagac's crates themselves; add the crates to your workspace's members\n",
            );
        }
    }
    if missing_methods > 0 {
        ExitCode::from(FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// For a service whose crate exists: the methods the spec asks for that its
/// sources do not define. Returns how many.
fn report_existing(
    saga: &sagac_core::ir::Saga,
    file: &SourceFile,
    out: &Path,
    service: &str,
) -> usize {
    let dir = out.join(service);
    let mut sources = String::new();
    collect_sources(&dir, &mut sources);
    let methods = sagac_scaffold::methods(saga, file, service);
    let missing: Vec<_> = methods
        .iter()
        .filter(|m| !defines(&sources, &m.name))
        .collect();
    if missing.is_empty() {
        say(&format!(
            "{}: exists, nothing written; it defines every method the spec asks of the `{service}` service ({})\n",
            dir.display(),
            methods.len()
        ));
        return 0;
    }
    let trait_name = missing.first().map_or("", |m| m.trait_name.as_str());
    let mut text = format!(
        "{}: exists, nothing written; the spec asks `{trait_name}` for {} method{} it does not define:\n",
        dir.display(),
        missing.len(),
        if missing.len() == 1 { "" } else { "s" }
    );
    for method in &missing {
        text.push_str(&format!(
            "  {}    // {}\n",
            method.signature,
            method.location.as_deref().unwrap_or("spec")
        ));
    }
    text.push_str(
        "  (`cargo build` says the same: error[E0046]: not all trait items implemented)\n",
    );
    say(&text);
    missing.len()
}

fn collect_sources(dir: &Path, into: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                collect_sources(&path, into);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            into.push_str(&text);
            into.push('\n');
        }
    }
}

/// Whether `sources` define a function `name` (`fn name(` or `fn name<`).
fn defines(sources: &str, name: &str) -> bool {
    let needle = format!("fn {name}");
    sources.match_indices(&needle).any(|(at, _)| {
        let before = sources[..at].chars().next_back();
        let after = sources[at + needle.len()..].trim_start().chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && matches!(after, Some('(' | '<'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_defined_methods() {
        let src = "impl X for Y {\n    async fn hold_seats(\n        &self) {}\n    fn release<T>() {}\n    fn hold_seats_later() {}\n}";
        assert!(defines(src, "hold_seats"));
        assert!(defines(src, "release"));
        assert!(!defines(src, "hold"));
        assert!(!defines(src, "seats"));
    }

    #[test]
    fn normalises_lexically() {
        assert_eq!(normalise(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalise(Path::new("../a")), PathBuf::from("../a"));
    }
}
