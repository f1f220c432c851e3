//! `sagac check` and the `saga!` macro agree on every spec.
//!
//! The macro runs the same front end as the CLI (`compile_bytes`) and then
//! the Rust emitter, so they agree exactly when the emitter never refuses a
//! spec the validator accepted, and never produces code that cannot compile
//! because two spec names became the same Rust name. Over every spec of the
//! repository (valid and invalid) and a set of specs built to collide, this
//! test checks both: a spec the validator accepts expands, for all services
//! and for each one, into a file that parses and names every item, field,
//! variant and method once; a spec built to collide is refused by the
//! validator (S033 or S076), with a position.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use sagac_core::emit::rust;
use sagac_core::ir::Saga;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn specs() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in [
        "spec",
        "spec/examples",
        "spec/invalid",
        "macros/tests/specs",
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".saga.yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// Duplicate names in generated code: items per namespace, and the members
/// of each struct, enum, trait and inherent impl.
fn duplicates(file: &syn::File) -> Vec<String> {
    let mut found = Vec::new();
    let mut check = |scope: &str, names: Vec<String>| {
        let mut seen = BTreeSet::new();
        for name in names {
            if !seen.insert(name.clone()) {
                found.push(format!("{scope}: `{name}` twice"));
            }
        }
    };
    let (mut types, mut values) = (Vec::new(), Vec::new());
    let mut impls: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for item in &file.items {
        match item {
            syn::Item::Struct(s) => {
                types.push(s.ident.to_string());
                if !matches!(s.fields, syn::Fields::Named(_)) {
                    values.push(s.ident.to_string());
                }
                let fields = s
                    .fields
                    .iter()
                    .filter_map(|f| f.ident.as_ref())
                    .map(|i| i.to_string());
                check(&format!("struct {}", s.ident), fields.collect());
            }
            syn::Item::Enum(e) => {
                types.push(e.ident.to_string());
                check(
                    &format!("enum {}", e.ident),
                    e.variants.iter().map(|v| v.ident.to_string()).collect(),
                );
            }
            syn::Item::Trait(t) => {
                types.push(t.ident.to_string());
                let methods = t.items.iter().filter_map(|i| match i {
                    syn::TraitItem::Fn(f) => Some(f.sig.ident.to_string()),
                    _ => None,
                });
                check(&format!("trait {}", t.ident), methods.collect());
            }
            syn::Item::Fn(f) => values.push(f.sig.ident.to_string()),
            syn::Item::Const(c) => values.push(c.ident.to_string()),
            syn::Item::Impl(i) if i.trait_.is_none() => {
                let ty = quote::ToTokens::to_token_stream(&i.self_ty).to_string();
                let members = impls.entry(ty).or_default();
                for item in &i.items {
                    match item {
                        syn::ImplItem::Fn(f) => members.push(f.sig.ident.to_string()),
                        syn::ImplItem::Const(c) => members.push(c.ident.to_string()),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    // `const _: &str = include_str!(...)` style items are unnamed.
    values.retain(|v| v != "_");
    check("types", types);
    check("values", values);
    for (ty, members) in impls {
        check(&format!("impl {ty}"), members);
    }
    found
}

/// Expands `saga` for every service and for each one; panics name the spec.
fn expand_cleanly(name: &str, saga: &Saga) {
    let mut selections: Vec<Option<&str>> = vec![None];
    selections.extend(saga.services.iter().map(|s| Some(s.name.as_str())));
    for service in selections {
        let tokens = catch_unwind(AssertUnwindSafe(|| rust::emit(saga, service, None)))
            .unwrap_or_else(|_| panic!("{name}: the Rust emitter panicked ({service:?})"))
            .unwrap_or_else(|e| {
                panic!("{name}: the validator accepted it, the macro refuses it: {e}")
            });
        let file: syn::File = syn::parse2(tokens)
            .unwrap_or_else(|e| panic!("{name}: the expansion does not parse ({service:?}): {e}"));
        let duplicates = duplicates(&file);
        assert!(
            duplicates.is_empty(),
            "{name}: the validator accepted it, but its expansion ({service:?}) cannot compile: {duplicates:?}"
        );
    }
}

#[test]
fn every_spec_the_validator_accepts_expands_cleanly() {
    let mut accepted = 0;
    for (name, bytes) in specs() {
        if let Ok(saga) = sagac_core::compile_bytes(&name, &bytes) {
            expand_cleanly(&name, &saga);
            accepted += 1;
        }
    }
    assert!(accepted >= 7, "only {accepted} specs compiled");
}

/// Specs built so that two names meet in Rust: each is refused by the
/// validator with the code given, at a position.
#[test]
fn colliding_names_are_refused_by_the_validator() {
    let trip = std::fs::read_to_string(repo().join("spec/trip.saga.yaml")).unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "an event named like an entity",
            trip.replacen("  TripRequested:", "  Trip:", 1)
                .replace("TripRequested", "Trip"),
            "S033",
        ),
        (
            "an event named like the start request",
            trip.replacen("  TripRequested:", "  TripBookingRequest:", 1)
                .replace("TripRequested", "TripBookingRequest"),
            "S033",
        ),
        (
            "an event named like a value type",
            trip.replacen("  TripRequested:", "  Decimal:", 1)
                .replace("TripRequested", "Decimal"),
            "S033",
        ),
        (
            "an entity named like a step's command",
            trip.replace("FlightReservation", "ReserveHotelCommand"),
            "S033",
        ),
        (
            "an event named Self",
            trip.replacen("  TripRequested:", "  Self:", 1)
                .replace("TripRequested", "Self"),
            "S076",
        ),
    ];
    let mut checked = 0;
    for (what, text, code) in cases {
        if text == trip {
            panic!("{what}: the mutation did not apply");
        }
        let (_, diagnostics) = sagac_core::compile_bytes(what, text.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("{what}: accepted by the validator"));
        assert!(
            diagnostics
                .iter()
                .any(|d| d.code.as_str() == code && d.span.is_some()),
            "{what}: expected {code}, got {:?}",
            diagnostics
                .iter()
                .map(|d| (d.code.as_str(), &d.message))
                .collect::<Vec<_>>()
        );
        checked += 1;
    }
    assert_eq!(checked, 5);
}

/// Two services whose names differ only by a doubled hyphen share a
/// PascalCase form (`credit-check`, `credit--check` → `CreditCheck`).
#[test]
fn services_with_the_same_pascal_name_are_refused() {
    let trip = std::fs::read_to_string(repo().join("spec/trip.saga.yaml")).unwrap();
    let text = trip
        .replacen("  hotel:\n", "  flig-ht:\n", 1)
        .replace("service: hotel\n", "service: flig-ht\n")
        .replacen("  flight:\n", "  fl-ight:\n", 1)
        .replace("service: flight\n", "service: fl-ight\n");
    let pascal = |s: &str| sagac_core::naming::to_pascal(s);
    assert_ne!(pascal("flig-ht"), pascal("fl-ight"));
    // A real PascalCase clash: `a-bc` and `ab-c` differ, `ab--c` and `ab-c` do not.
    let text = text.replace("flig-ht", "fl--ight");
    assert_eq!(pascal("fl--ight"), pascal("fl-ight"));
    let (_, diagnostics) =
        sagac_core::compile_bytes("services", text.as_bytes()).expect_err("refused");
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code.as_str() == "S033" && d.message.contains("FlIghtService")),
        "{:?}",
        diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}
