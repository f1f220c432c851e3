//! `spec/saga.schema.json` is derived from the language's Rust types; this
//! test fails when the committed file no longer matches them.

use std::fs;
use std::path::Path;

const REFRESH: &str = "cargo run -p sagac -- schema > spec/saga.schema.json";

#[test]
fn committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/saga.schema.json");
    let expected = serde_json::to_string_pretty(&sagac_core::ast::schema())
        .expect("the schema serialises")
        + "\n";
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "spec/saga.schema.json is stale (the spec language changed); refresh it with `{REFRESH}` and commit it"
    );
}
