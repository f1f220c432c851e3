//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! The validator collects every [`Diagnostic`] it finds; front ends render
//! them all at once (the CLI as rustc-style text or JSON, the proc macro as
//! compile errors). Messages are built in one place per check, and the long
//! explanation of each code lives in [`crate::codes`].

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config, termcolor::Buffer};
use serde::Serialize;

use crate::codes::Code;
use crate::source::{SourceFile, Span};

/// A secondary location that helps explain the primary one (for example the
/// first definition of a duplicated name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Where.
    pub span: Span,
    /// What is there.
    pub label: String,
}

/// One problem in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, e.g. `S020`.
    pub code: Code,
    /// One-line summary.
    pub message: String,
    /// The primary location, if the input has one (empty input has none).
    pub span: Option<Span>,
    /// Label under the caret.
    pub label: String,
    /// Secondary locations.
    pub notes: Vec<Note>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `span` with `message`; the label defaults to the message.
    pub fn new(code: Code, span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        let message = message.into();
        Diagnostic {
            code,
            label: String::new(),
            message,
            span: span.into(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// Sets the label shown under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a help line only when there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Adds a secondary location.
    pub fn note(mut self, span: Span, label: impl Into<String>) -> Self {
        self.notes.push(Note {
            span,
            label: label.into(),
        });
        self
    }
}

/// Sorts diagnostics by position (then code, then message) and drops exact
/// duplicates, so output is stable however the checks were ordered.
pub fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| (d.span.map_or(0, |s| s.start), d.code, d.message.clone());
        key(a).cmp(&key(b))
    });
    diagnostics.dedup();
}

/// Renders diagnostics the way rustc does: code, message, `file:line:col`, the
/// source line with a caret and label, then help. No colour, so the text is
/// the same on a terminal, in a snapshot and in CI logs.
pub fn render(file: &SourceFile, diagnostics: &[Diagnostic]) -> String {
    render_with(file, diagnostics, false)
}

/// Like [`render`], with ANSI colour when `colour` is true.
pub fn render_with(file: &SourceFile, diagnostics: &[Diagnostic], colour: bool) -> String {
    let files = SimpleFile::new(file.name(), file.text());
    let config = Config::default();
    let mut buffer = if colour {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    for diagnostic in diagnostics {
        let report = to_report(diagnostic);
        if term::emit_to_write_style(&mut buffer, &config, &files, &report).is_err() {
            // A span that does not fit the file would be a bug in the front
            // end; print the plain form rather than lose the diagnostic.
            let plain = format!(
                "error[{}]: {}\n",
                diagnostic.code.as_str(),
                diagnostic.message
            );
            use std::io::Write;
            let _ = buffer.write_all(plain.as_bytes());
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

fn to_report(diagnostic: &Diagnostic) -> Report<()> {
    let mut labels = Vec::new();
    if let Some(span) = diagnostic.span {
        labels.push(Label::primary((), span.range()).with_message(&diagnostic.label));
    }
    for note in &diagnostic.notes {
        labels.push(Label::secondary((), note.span.range()).with_message(&note.label));
    }
    let mut notes = Vec::new();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    Report::error()
        .with_code(diagnostic.code.as_str())
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// The machine-readable form of a diagnostic (`sagac check --format json`).
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    /// Stable code.
    pub code: &'static str,
    /// Always `error` for now.
    pub severity: &'static str,
    /// One-line summary.
    pub message: String,
    /// File name as given.
    pub file: String,
    /// One-based line, when the input has a position.
    pub line: Option<usize>,
    /// One-based column in characters.
    pub column: Option<usize>,
    /// One-based end line.
    pub end_line: Option<usize>,
    /// One-based end column.
    pub end_column: Option<usize>,
    /// Label under the caret.
    pub label: String,
    /// What to do about it.
    pub help: Option<String>,
}

/// Converts diagnostics to their JSON form.
pub fn to_json(file: &SourceFile, diagnostics: &[Diagnostic]) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let start = d.span.map(|s| file.line_col(s.start));
            let end = d.span.map(|s| file.line_col(s.end));
            JsonDiagnostic {
                code: d.code.as_str(),
                severity: "error",
                message: d.message.clone(),
                file: file.name().to_owned(),
                line: start.map(|p| p.0),
                column: start.map(|p| p.1),
                end_line: end.map(|p| p.0),
                end_column: end.map(|p| p.1),
                label: d.label.clone(),
                help: d.help.clone(),
            }
        })
        .collect()
}

/// The nearest of `candidates` to `name`, if one is close enough to be a
/// plausible typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// A "did you mean" help line for `name` among `candidates`, or a list of the
/// valid names when none is close.
pub fn did_you_mean<'a>(
    name: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<String> {
    if let Some(best) = suggest(name, candidates.clone()) {
        return Some(format!("did you mean `{best}`?"));
    }
    let all: Vec<&str> = candidates.into_iter().collect();
    if all.is_empty() {
        None
    } else if all.len() <= 8 {
        Some(format!(
            "the {} defined are: {}",
            plural(what),
            all.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    } else {
        None
    }
}

/// `entity` → `entities`, `index` → `indexes`, `key` → `keys`.
fn plural(word: &str) -> String {
    if let Some(stem) = word
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else if word.ends_with(['s', 'x']) || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["flight", "hotel", "payment"];
        assert_eq!(suggest("flihgt", names), Some("flight"));
        assert_eq!(suggest("zzz", names), None);
    }

    #[test]
    fn plurals_read_well() {
        assert_eq!(plural("entity"), "entities");
        assert_eq!(plural("index"), "indexes");
        assert_eq!(plural("key"), "keys");
        assert_eq!(plural("service"), "services");
    }
}
