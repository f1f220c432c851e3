//! Property test: the reference spec, broken at random, never panics the
//! front end, and every diagnostic it gets points at a real `line:col`.
//!
//! Mutations work on the text (cheap enough for 10,000 cases in a debug
//! build): delete a key, swap a value for one of another type, rename a
//! reference, insert garbage bytes or lines, duplicate a line, truncate.
//! `fuzz/` runs the same entry point under libFuzzer for longer runs.

use proptest::prelude::*;
use proptest::sample::Index;

use sagac_core::diagnostic;

const REFERENCE: &str = include_str!("../../../spec/trip.saga.yaml");

#[derive(Debug, Clone)]
enum Mutation {
    /// Deletes a line that holds a key.
    DeleteKey(Index),
    /// Replaces the value of a `key: value` line with a value of another type.
    SwapType(Index, &'static str),
    /// Replaces the value of a `key: value` line with a random name, as a
    /// broken reference would be.
    Rename(Index, String),
    /// Inserts arbitrary bytes at a byte offset.
    InsertBytes(Index, Vec<u8>),
    /// Inserts a line of arbitrary text.
    InsertLine(Index, String),
    /// Duplicates a line (often a duplicate key).
    DuplicateLine(Index),
    /// Cuts the file at a byte offset.
    Truncate(Index),
}

const OTHER_TYPES: &[&str] = &[
    "[]",
    "{}",
    "[a, b]",
    "{ a: 1 }",
    "42",
    "-1",
    "3.5",
    "true",
    "~",
    "\"\"",
    "\"text\"",
    "5m",
    "99999999999999999999",
    ".nan",
    "!!str 1",
    "&x 1",
    "*x",
    "|\n  block",
    "- item",
    "0x1F",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::DeleteKey),
        (any::<Index>(), prop::sample::select(OTHER_TYPES))
            .prop_map(|(i, v)| Mutation::SwapType(i, v)),
        (any::<Index>(), "[A-Za-z_][A-Za-z0-9_#{}.-]{0,16}")
            .prop_map(|(i, s)| Mutation::Rename(i, s)),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::InsertBytes(i, b)),
        (any::<Index>(), "[ -~]{0,24}").prop_map(|(i, s)| Mutation::InsertLine(i, s)),
        any::<Index>().prop_map(Mutation::DuplicateLine),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// Lines with a `key:` (the candidates for key and value mutations).
fn key_lines(lines: &[&str]) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with('#') && l.contains(':'))
        .map(|(i, _)| i)
        .collect()
}

fn apply(text: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let owned = String::from_utf8_lossy(&text).into_owned();
    let lines: Vec<&str> = owned.split_inclusive('\n').collect();
    let keyed = key_lines(&lines);
    let rebuild = |replace: &dyn Fn(usize, &str) -> Option<String>| -> Vec<u8> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| replace(i, l).unwrap_or_else(|| (*l).to_owned()))
            .collect::<String>()
            .into_bytes()
    };
    let with_value = |line: &str, value: &str| -> String {
        let colon = line
            .find(": ")
            .map(|c| c + 2)
            .or_else(|| line.find(':').map(|c| c + 1));
        match colon {
            Some(at) => format!("{}{value}\n", &line[..at]),
            None => line.to_owned(),
        }
    };
    match mutation {
        Mutation::DeleteKey(i) | Mutation::SwapType(i, _) | Mutation::Rename(i, _)
            if !keyed.is_empty() =>
        {
            let target = keyed[i.index(keyed.len())];
            rebuild(&|n, l| {
                (n == target).then(|| match mutation {
                    Mutation::DeleteKey(_) => String::new(),
                    Mutation::SwapType(_, value) => with_value(l, value),
                    Mutation::Rename(_, name) => with_value(l, name),
                    _ => l.to_owned(),
                })
            })
        }
        Mutation::DeleteKey(_) | Mutation::SwapType(..) | Mutation::Rename(..) => text,
        Mutation::InsertBytes(i, bytes) => {
            let at = i.index(text.len() + 1);
            let mut out = text[..at].to_vec();
            out.extend(bytes);
            out.extend(&text[at..]);
            out
        }
        Mutation::InsertLine(i, line) => {
            let at = i.index(lines.len() + 1);
            let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            out.insert(at, format!("{line}\n"));
            out.concat().into_bytes()
        }
        Mutation::DuplicateLine(i) if !lines.is_empty() => {
            let at = i.index(lines.len());
            rebuild(&|n, l| (n == at).then(|| format!("{l}{l}")))
        }
        Mutation::DuplicateLine(_) => text,
        Mutation::Truncate(i) => text[..i.index(text.len() + 1)].to_vec(),
    }
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let result = std::panic::catch_unwind(|| sagac_core::compile_bytes("trip.saga.yaml", bytes));
    let Ok(result) = result else {
        return Err(TestCaseError::fail("the front end panicked"));
    };
    let Err((file, diagnostics)) = result else {
        return Ok(());
    };
    prop_assert!(!diagnostics.is_empty(), "failed without a diagnostic");
    if bytes.is_empty() {
        return Ok(());
    }
    let text = file.text();
    let lines = text.split('\n').count();
    for d in &diagnostics {
        let span = d.span.ok_or_else(|| {
            TestCaseError::fail(format!(
                "{} without a position: {}",
                d.code.as_str(),
                d.message
            ))
        })?;
        prop_assert!(
            span.start <= span.end && span.end <= text.len(),
            "{} span {span:?} outside the text",
            d.code.as_str()
        );
        prop_assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{} span {span:?} splits a character",
            d.code.as_str()
        );
        let (line, column) = file.line_col(span.start);
        prop_assert!(
            (1..=lines).contains(&line) && column >= 1,
            "{} at {line}:{column}",
            d.code.as_str()
        );
        for note in &d.notes {
            prop_assert!(
                note.span.end <= text.len()
                    && text.is_char_boundary(note.span.start)
                    && text.is_char_boundary(note.span.end)
            );
        }
    }
    // Rendering must succeed for every span (no fallback to the plain form).
    let rendered = diagnostic::render(&file, &diagnostics);
    prop_assert_eq!(
        rendered.matches("┌─").count(),
        diagnostics.len(),
        "{}",
        rendered
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10_000,
        // Shrinking a text mutation is quick; keep the report readable.
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_reference_spec_gets_positioned_diagnostics(mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut bytes = REFERENCE.as_bytes().to_vec();
        for m in &mutations {
            bytes = apply(bytes, m);
        }
        check(&bytes)?;
    }
}

#[test]
fn the_unmutated_reference_compiles() {
    assert!(sagac_core::compile_bytes("trip.saga.yaml", REFERENCE.as_bytes()).is_ok());
}
