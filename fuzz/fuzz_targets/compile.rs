//! Fuzz target: any bytes through the whole front end (decode, parse,
//! structural check, validation). It must never panic, and every diagnostic
//! of a non-empty input must carry a position that renders.
//!
//! Run: `cargo +nightly fuzz run compile` (see `fuzz/Cargo.toml`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sagac_core::codes::Code;

fuzz_target!(|data: &[u8]| {
    let Err((file, diagnostics)) = sagac_core::compile_bytes("fuzz.saga.yaml", data) else {
        return;
    };
    assert!(!diagnostics.is_empty(), "failed without a diagnostic");
    if !data.is_empty() {
        for d in &diagnostics {
            // Only the size limit is reported without a position.
            assert!(
                d.span.is_some() || d.code == Code::TooLarge,
                "{} without a position",
                d.code.as_str()
            );
        }
    }
    let rendered = sagac_core::diagnostic::render(&file, &diagnostics);
    let positioned = diagnostics.iter().filter(|d| d.span.is_some()).count();
    assert_eq!(
        rendered.matches("┌─").count(),
        positioned,
        "a span did not render:\n{rendered}"
    );
});
