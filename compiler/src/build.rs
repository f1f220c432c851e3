//! `sagac build`, `sagac build --check` and `sagac graph`.
//!
//! The core returns every output file as (relative path, contents); this
//! module owns the file system side: it writes a file only when its text
//! changes (line endings aside), records what it wrote in a manifest, and removes the files of an
//! earlier build that are no longer produced. Files it did not write (listed
//! in no manifest) are never touched, so the directory can be shared with
//! hand-written files.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sagac_core::diagnostic;
use sagac_core::emit::{self, OutputFile, asl, diagram};
use sagac_core::ir::Saga;

use crate::{FAILED, USAGE, read};

/// The manifest of the files a build wrote, one relative path per line.
pub const MANIFEST: &str = "sagac-manifest.txt";

const MANIFEST_HEADER: &str = "# Files written by `sagac build` in this directory (removed when no longer produced). Do not edit.\n";

/// Reads and compiles a spec, rendering diagnostics on failure.
pub(crate) fn compile(spec: &Path) -> Result<Saga, ExitCode> {
    let bytes = read(spec)?;
    let name = spec.display().to_string();
    sagac_core::compile_bytes(&name, &bytes).map_err(|(file, diagnostics)| {
        let colour = std::io::stderr().is_terminal();
        eprint!("{}", diagnostic::render_with(&file, &diagnostics, colour));
        eprintln!(
            "error: {name}: {} problem{} found",
            diagnostics.len(),
            if diagnostics.len() == 1 { "" } else { "s" }
        );
        ExitCode::from(FAILED)
    })
}

/// Every file of a build, the manifest included.
pub(crate) fn outputs(saga: &Saga) -> Vec<OutputFile> {
    let mut files = emit::build(saga);
    let mut manifest = MANIFEST_HEADER.to_owned();
    for file in &files {
        manifest.push_str(&file.path);
        manifest.push('\n');
    }
    files.push(OutputFile {
        path: MANIFEST.into(),
        contents: manifest,
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The files an earlier build wrote, from its manifest (empty when none).
fn previous(out: &Path) -> BTreeSet<String> {
    let Ok(text) = std::fs::read_to_string(out.join(MANIFEST)) else {
        return BTreeSet::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && is_safe(l))
        .map(str::to_owned)
        .chain([MANIFEST.to_owned()])
        .collect()
}

/// A relative path inside the output directory: no `..`, no root, no `\`.
fn is_safe(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

fn on_disk(out: &Path, relative: &str) -> PathBuf {
    relative
        .split('/')
        .fold(out.to_path_buf(), |p, c| p.join(c))
}

/// `sagac build SPEC [--out DIR] [--check]`.
pub fn build(spec: &Path, out: Option<&Path>, check: bool) -> ExitCode {
    let saga = match compile(spec) {
        Ok(saga) => saga,
        Err(code) => return code,
    };
    let out = out.map_or_else(
        || Path::new("generated").join(&saga.kebab),
        Path::to_path_buf,
    );
    let files = outputs(&saga);
    if let Some(bad) = files.iter().find(|f| !is_safe(&f.path)) {
        eprintln!(
            "error: internal: refusing to write outside the output directory: `{}`",
            bad.path
        );
        return ExitCode::from(USAGE);
    }
    let produced: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let extra: Vec<String> = previous(&out)
        .into_iter()
        .filter(|p| !produced.contains(p.as_str()) && on_disk(&out, p).is_file())
        .collect();
    let transitions = asl::happy_path(&asl::machine(&saga));
    if check {
        return check_only(spec, &out, &files, &extra);
    }

    let (mut written, mut unchanged) = (0usize, 0usize);
    for file in &files {
        let path = on_disk(&out, &file.path);
        if std::fs::read(&path).is_ok_and(|bytes| same_text(&bytes, &file.contents)) {
            unchanged += 1;
            continue;
        }
        if let Err(error) = write(&path, file.contents.as_bytes()) {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return ExitCode::from(USAGE);
        }
        written += 1;
    }
    for relative in &extra {
        let path = on_disk(&out, relative);
        if let Err(error) = std::fs::remove_file(&path) {
            eprintln!("error: cannot remove `{}`: {error}", path.display());
            return ExitCode::from(USAGE);
        }
        remove_empty_parents(&out, &path);
    }
    say(&format!(
        "{}: {} files in {} ({written} written, {unchanged} unchanged, {} removed)\nhappy path: {} state transitions ({})\n",
        saga.name,
        files.len(),
        out.display(),
        extra.len(),
        transitions.len(),
        transitions.join(" -> ")
    ));
    ExitCode::SUCCESS
}

fn check_only(spec: &Path, out: &Path, files: &[OutputFile], extra: &[String]) -> ExitCode {
    let mut problems = Vec::new();
    for file in files {
        match std::fs::read(on_disk(out, &file.path)) {
            Ok(bytes) if same_text(&bytes, &file.contents) => {}
            Ok(_) => problems.push(format!("stale: {}", on_disk(out, &file.path).display())),
            Err(_) => problems.push(format!("missing: {}", on_disk(out, &file.path).display())),
        }
    }
    for relative in extra {
        problems.push(format!(
            "extra: {} (no longer generated)",
            on_disk(out, relative).display()
        ));
    }
    if problems.is_empty() {
        say(&format!(
            "{} is up to date ({} files)\n",
            out.display(),
            files.len()
        ));
        return ExitCode::SUCCESS;
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    let default =
        Path::new("generated").join(out.file_name().map(PathBuf::from).unwrap_or_default());
    let out_arg = if out == default {
        String::new()
    } else {
        format!(" --out {}", out.display())
    };
    eprintln!(
        "error: {} generated file{} out of date; run `sagac build {}{out_arg}`",
        problems.len(),
        if problems.len() == 1 { " is" } else { "s are" },
        spec.display()
    );
    ExitCode::from(FAILED)
}

/// Whether a file on disk holds `generated`, up to line endings: a checkout
/// with `core.autocrlf` (Windows) turns every `\n` into `\r\n`, which is
/// the same text. Anything else, a lone `\r` included, is a difference.
fn same_text(on_disk: &[u8], generated: &str) -> bool {
    fn lf(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
        bytes
            .iter()
            .enumerate()
            .filter(|&(i, &b)| !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')))
            .map(|(_, &b)| b)
    }
    on_disk == generated.as_bytes() || lf(on_disk).eq(lf(generated.as_bytes()))
}

/// Prints to stdout; a closed pipe (`sagac graph | head`) is not an error.
pub(crate) fn say(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Writes through a temporary file in the same directory, so a reader never
/// sees half a file.
fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".sagac-tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

/// `sagac graph SPEC`: the Mermaid flowchart of the state machine.
pub fn graph(spec: &Path) -> ExitCode {
    match compile(spec) {
        Ok(saga) => {
            say(&diagram::flowchart(&saga));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::same_text;

    #[test]
    fn line_endings_do_not_make_a_file_stale() {
        assert!(same_text(b"a\nb\n", "a\nb\n"));
        assert!(same_text(b"a\r\nb\r\n", "a\nb\n"));
        assert!(same_text(b"a\r\nb\n", "a\nb\n"));
        assert!(!same_text(b"a\r\nc\r\n", "a\nb\n"));
        assert!(!same_text(b"a\rb\n", "a\nb\n"));
        assert!(!same_text(b"a\nb", "a\nb\n"));
        assert!(!same_text(b"a\n\r\n", "a\n"));
    }
}
