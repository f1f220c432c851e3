//! Hostile and broken input of every kind gets a clean diagnostic, quickly.
//!
//! Inputs too big or too binary to commit to `spec/invalid/` are generated
//! here. Each case asserts the code, a `line:col` wherever the input has a
//! position, and a time bound that only guards against hangs (it is not a
//! benchmark: see `benches/check.rs`).

use std::time::{Duration, Instant};

use sagac_core::codes::Code;
use sagac_core::diagnostic::{self, Diagnostic};
use sagac_core::source::SourceFile;
use sagac_core::yaml::MAX_BYTES;

const REFERENCE: &str = include_str!("../../../spec/trip.saga.yaml");
const HANG_GUARD: Duration = Duration::from_secs(1);

/// Compiles `bytes` and returns the source and diagnostics, asserting that it
/// fails, does not panic and returns within the hang guard.
fn reject(bytes: &[u8]) -> (SourceFile, Vec<Diagnostic>) {
    let start = Instant::now();
    let result = std::panic::catch_unwind(|| sagac_core::compile_bytes("input.saga.yaml", bytes));
    let elapsed = start.elapsed();
    assert!(elapsed < HANG_GUARD, "took {elapsed:?}");
    match result {
        Ok(Ok(_)) => panic!("the input compiled"),
        Ok(Err(failure)) => failure,
        Err(_) => panic!("the front end panicked"),
    }
}

/// Asserts that `code` is reported at a position, and returns its `line:col`.
fn positioned(bytes: &[u8], code: Code) -> (usize, usize) {
    let (file, diagnostics) = reject(bytes);
    let json = diagnostic::to_json(&file, &diagnostics);
    let found = json
        .iter()
        .find(|d| d.code == code.as_str())
        .unwrap_or_else(|| panic!("expected {}, got {:?}", code.as_str(), codes(&diagnostics)));
    let position = found.line.zip(found.column);
    // The rendered form must show the position too.
    let rendered = diagnostic::render(&file, &diagnostics);
    let (line, column) = position.unwrap_or_else(|| panic!("{} has no position", code.as_str()));
    assert!(
        rendered.contains(&format!("input.saga.yaml:{line}:{column}")),
        "the rendered diagnostic does not name the position:\n{rendered}"
    );
    (line, column)
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn yaml_bomb() {
    let mut bomb = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let names: Vec<char> = ('a'..='j').collect();
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let items = vec![format!("*{prev}"); 10].join(", ");
        bomb += &format!("{next}: &{next} [{items}]\n");
    }
    let (line, _) = positioned(bomb.as_bytes(), Code::AliasLimit);
    assert!(
        line > 1,
        "the caret points at the alias that crosses the limit"
    );
}

#[test]
fn yaml_bomb_of_mappings() {
    // The same attack through mappings and merge keys.
    let mut bomb =
        String::from("a0: &a0 {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1}\n");
    for i in 1..10 {
        let entries: Vec<String> = (0..8).map(|k| format!("k{k}: *a{}", i - 1)).collect();
        bomb += &format!("a{i}: &a{i} {{{}}}\n", entries.join(", "));
    }
    positioned(bomb.as_bytes(), Code::AliasLimit);
}

#[test]
fn deep_flow_nesting() {
    let deep = format!("steps: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    positioned(deep.as_bytes(), Code::TooDeep);
    let deep = format!("steps: {}1{}\n", "{a: ".repeat(10_000), "}".repeat(10_000));
    positioned(deep.as_bytes(), Code::TooDeep);
}

#[test]
fn deep_block_nesting() {
    // Compact block sequences nest one level per `- ` on a single line.
    let deep = format!("steps:\n  {}x\n", "- ".repeat(10_000));
    positioned(deep.as_bytes(), Code::TooDeep);
    // Indented block mappings grow quadratically, so 10,000 levels would be
    // over the size limit; 1,000 are enough to cross the depth limit.
    let deep: String = (0..1_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    positioned(deep.as_bytes(), Code::TooDeep);
}

#[test]
fn file_over_the_size_limit() {
    let mut big = REFERENCE.as_bytes().to_vec();
    big.resize(MAX_BYTES + 1, b'#');
    let (_, diagnostics) = reject(&big);
    assert_eq!(codes(&diagnostics), ["S007"]);
    // The size check looks at the length only: there is no position to show.
    assert_eq!(diagnostics[0].span, None);
    // The same limit applies to text handed over directly.
    let text = String::from_utf8(big).expect("ASCII");
    let file = SourceFile::new("input.saga.yaml", text);
    let diagnostics = sagac_core::compile(&file).expect_err("too large");
    assert_eq!(codes(&diagnostics), ["S007"]);
}

#[test]
fn just_under_the_size_limit_is_read() {
    // A comment that pads the reference spec to the limit is still a spec.
    let mut text = REFERENCE.to_owned();
    text.push('#');
    text.push_str(&"x".repeat(MAX_BYTES - text.len()));
    let start = Instant::now();
    let result = sagac_core::compile_bytes("input.saga.yaml", text.as_bytes());
    assert!(
        start.elapsed() < HANG_GUARD * 5,
        "took {:?}",
        start.elapsed()
    );
    assert!(result.is_ok());
}

#[test]
fn non_utf8() {
    let mut bytes = REFERENCE.as_bytes().to_vec();
    let at = REFERENCE.find("TripSagaTable").expect("table name");
    bytes[at] = 0xE9;
    let (line, column) = positioned(&bytes, Code::NotText);
    assert_eq!(
        (line, column),
        sagac_core::source::SourceFile::new("x", REFERENCE).line_col(at)
    );
}

#[test]
fn utf16() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(REFERENCE.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(positioned(&bytes, Code::NotText), (1, 1));
}

#[test]
fn binary_with_nul_bytes() {
    let mut bytes = REFERENCE.as_bytes().to_vec();
    bytes.extend([0, 1, 2, 3, 0, 0xFF, 0x7F]);
    positioned(&bytes, Code::NotText);
    // A typical binary header: valid UTF-8 up to a NUL.
    positioned(b"\x7fELF\x02\x01\x01\0\0\0\0", Code::NotText);
}

#[test]
fn empty_input() {
    let (_, diagnostics) = reject(b"");
    assert_eq!(codes(&diagnostics), ["S002"]);
    assert_eq!(diagnostics[0].span, None, "an empty file has no position");
    assert_eq!(positioned(b"\n\n", Code::EmptyDocument), (1, 1));
    assert_eq!(positioned(b"# nothing here\n", Code::EmptyDocument), (1, 1));
    positioned(b"---\n...\n", Code::EmptyDocument);
}

#[test]
fn several_documents() {
    let two = format!("{REFERENCE}---\n{REFERENCE}");
    let line = REFERENCE.lines().count() + 1;
    assert_eq!(
        positioned(two.as_bytes(), Code::MultipleDocuments),
        (line, 1)
    );
}

#[test]
fn duplicate_keys() {
    let text = REFERENCE.replacen("timeout: 15m\n", "timeout: 15m\ntimeout: 30m\n", 1);
    let line = REFERENCE
        .lines()
        .position(|l| l == "timeout: 15m")
        .expect("saga timeout")
        + 2;
    assert_eq!(positioned(text.as_bytes(), Code::DuplicateKey), (line, 1));
}

#[test]
fn custom_tags_and_complex_keys() {
    positioned(b"sagac: !!binary AAAA\n", Code::UnsupportedYaml);
    positioned(b"sagac: 1\nname: !Ref Trip\n", Code::UnsupportedYaml);
    positioned(b"? {a: 1}\n: x\n", Code::UnsupportedYaml);
}

#[test]
fn yaml_syntax_errors_have_positions() {
    for text in [
        "sagac: [1, 2\n",
        "a: 'unclosed\n",
        "a:\n\t- b\n",
        "a: b: c\n",
        "- a\nb: c\n",
        "a: *missing\n",
    ] {
        positioned(text.as_bytes(), Code::YamlSyntax);
    }
}

#[test]
fn wrong_top_level_shapes() {
    for text in [
        "just a string\n",
        "- a list\n- of things\n",
        "42\n",
        "true\n",
    ] {
        positioned(text.as_bytes(), Code::WrongType);
    }
}
