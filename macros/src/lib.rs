//! Proc macros over the sagac generator core.
//!
//! This crate is a shim, in the manner of sqlx and progenitor: it reads the
//! spec named by the macro argument, runs the same pipeline as
//! `sagac check` (`sagac_core::compile_bytes`), hands the IR to the Rust
//! emitter (`sagac_core::emit::rust`) and returns its tokens. Everything it
//! adds is about being a macro: resolving the path against
//! `CARGO_MANIFEST_DIR`, making Cargo rebuild when the spec changes, and
//! turning diagnostics into compile errors at the spec-path literal.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

mod check;

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use sagac_core::diagnostic::{self, Diagnostic};
use sagac_core::emit::rust::{self, RustError};
use sagac_core::locate;
use sagac_core::source::SourceFile;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

/// Generates the typed Rust side of a saga from its spec, as one module.
///
/// ```ignore
/// // `pub mod trip_booking`: shared types, and every service's trait and entry points.
/// sagac_macros::saga!("../spec/trip.saga.yaml");
/// // The shared types and the `flight` service only, in `pub mod trip`.
/// sagac_macros::saga!("../spec/trip.saga.yaml", service = "flight", module = "trip");
/// ```
///
/// # Implementing a service
///
/// A service implements the generated trait with its domain logic; the
/// generated entry points do the rest (decoding the payload, the step
/// context, encoding the output, the Lambda runtime). Each method receives
/// only what its step's `input:` declares: here no card token, which the
/// spec gives the payment step alone.
///
/// ```
/// use sagac_runtime::Entity as _;
/// use sagac_runtime::serde_json::json;
///
/// sagac_macros::saga!("../spec/trip.saga.yaml", service = "flight");
/// use trip_booking::*;
///
/// /// Seats on every flight, but never more than four at once.
/// struct Flights;
///
/// // The attribute checks the impl against the spec: when the spec changes,
/// // the errors name the spec line (see `macro@service`).
/// #[sagac_macros::service]
/// impl FlightService for Flights {
///     async fn reserve_flight(
///         &self,
///         command: ReserveFlightCommand,
///     ) -> Result<FlightReservation, ReserveFlightError> {
///         let input = command.input; // trip_id, origin, …, seats: no card_token
///         if input.seats > 4 {
///             return Err(ReserveFlightError::NoSeatsAvailable(format!(
///                 "{} seats asked for on {}, 4 left",
///                 input.seats, input.flight_number
///             )));
///         }
///         Ok(FlightReservation {
///             flight_id: format!("FR-{}", input.trip_id),
///             trip_id: input.trip_id,
///             flight_number: input.flight_number,
///             depart_on: input.depart_on,
///             return_on: input.return_on,
///             seats: input.seats,
///             price: "350.50".parse().expect("a decimal"),
///             status: "RESERVED".into(),
///         })
///     }
///
///     async fn cancel_flight(
///         &self,
///         command: CancelFlightCommand,
///     ) -> Result<Option<FlightReservation>, CancelFlightError> {
///         // What ReserveFlight wrote, if it completed; nothing to undo otherwise.
///         Ok(command.input.reserve_flight.map(|reservation| FlightReservation {
///             status: "CANCELLED".into(),
///             ..reservation
///         }))
///     }
/// }
///
/// // The payload the state machine sends `ReserveFlight`.
/// let payload = json!({
///     "Execution": {"Id": "arn:aws:states:eu-west-1:1:execution:TripBooking:trip-1", "Name": "trip-1"},
///     "State": {"Name": "ReserveFlight", "RetryCount": 0},
///     "input": {
///         "trip_id": "trip-1", "origin": "HND", "destination": "CDG", "flight_number": "NH203",
///         "depart_on": "2025-04-01", "return_on": "2025-04-05", "seats": 2
///     }
/// });
/// let mut future = std::pin::pin!(dispatch_flight(&Flights, payload));
/// let waker = std::task::Waker::noop();
/// let std::task::Poll::Ready(output) = future.as_mut().poll(&mut std::task::Context::from_waker(waker)) else {
///     unreachable!("the service never waits")
/// };
/// let reservation: FlightReservation = sagac_runtime::serde_json::from_value(output.unwrap()).unwrap();
/// // Keys come from fields, never from a template restated by hand.
/// assert_eq!(reservation.primary_key(), FlightReservation::key("trip-1", "FR-trip-1"));
/// assert_eq!(reservation.index_attributes()[0], ("GSI1PK", "FLIGHT#NH203#2025-04-01".to_owned()));
/// ```
///
/// The path is relative to the invoking crate's `CARGO_MANIFEST_DIR`;
/// absolute paths are refused, so a crate builds the same on every machine.
/// The crate is rebuilt whenever the spec changes.
///
/// Generated, in `pub mod <saga_in_snake_case>` (or `module = "…"`), so
/// nothing else lands in the invoking module:
///
/// - `Decimal`, `Date`, `Timestamp`, `FormatError` (re-exported from
///   `sagac_runtime::value`: one type per field type, shared by every
///   service), and the runtime's `Entity` and `Event` traits;
/// - one struct per entity (serde, typed fields) implementing `Entity`,
///   with key builders from fields: `key(..)`, `pk(..)`, `sk(..)`,
///   `<index>_pk(..)`, `<index>_sk(..)`;
/// - one struct per event with exactly the fields the spec lists,
///   implementing `Event`, and `From<&Entity>`;
/// - `<Saga>Request` (the start request);
/// - per action a `<State>Input` (only what the step's `input:` declares:
///   request fields and the typed outputs of earlier steps; for a
///   compensation also its step's output, if any), a `<State>Command`
///   (context and input) and a `<State>Error` (one variant per business
///   error, plus one for everything else);
/// - per service a trait `<Service>Service` with one async method per action
///   and compensation, a `<Service>Handler` (the runtime's `StepHandler`),
///   `dispatch_<service>(&service, payload)` (no Lambda runtime), and
///   `run_<service>(make)` / `serve_<service>(make)` (under the Lambda
///   runtime, `make` building the service from the DynamoDB store);
/// - `table_layout()`.
///
/// The generated code needs only `sagac-runtime` as a dependency of the
/// invoking crate: serde is reached through its re-export.
///
/// A spec with errors fails to compile: each diagnostic is a compile error at
/// the path literal, naming its code and `file:line:col` in the spec.
#[proc_macro]
pub fn saga(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as Args);
    expand(&args).into()
}

/// Checks an implementation of a service trait against the spec.
///
/// ```ignore
/// sagac_macros::saga!("../spec/trip.saga.yaml", service = "flight");
/// use trip_booking::*;
///
/// #[sagac_macros::service]
/// impl FlightService for Flights {
///     async fn reserve_flight(&self, command: ReserveFlightCommand) -> Result<FlightReservation, ReserveFlightError> { .. }
///     async fn cancel_flight(&self, command: CancelFlightCommand) -> Result<Option<FlightReservation>, CancelFlightError> { .. }
/// }
/// ```
///
/// The implementation compiles exactly as written. When it no longer
/// matches the spec, each place where it departs gets a compile error that
/// names the spec line, before rustc's own error about the generated code:
///
/// - a method the spec asks for and the impl lacks (a new action or
///   compensation): its step, where its `action:` is written, and the
///   signature to add;
/// - a field the code reads or writes that the generated struct does not
///   have (a field renamed or dropped in the spec), on the method's command
///   and its input (`command.input.flight_no`, also through
///   `let input = command.input;`), and in struct expressions and patterns
///   of the generated types the impl's signatures name
///   (`FlightReservation { .. }`): the struct's spec declaration, its
///   fields with theirs, and the nearest name;
/// - a field a struct expression leaves out (a field the spec added).
///
/// It reads syntax only, and checks only what the syntax makes certain, so
/// it never refuses code that compiles. The trait must be one `saga!`
/// generated in this crate (the check travels as a hidden macro beside the
/// trait, imported with it).
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    check::service(attr.into(), item.into()).into()
}

/// The check behind [`macro@service`], reached through the hidden macro a
/// `saga!` expansion defines beside each service trait. Not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn __check_service(input: TokenStream) -> TokenStream {
    check::check(input.into()).into()
}

/// The macro's arguments: `"path"`, optionally `service = "name"` and
/// `module = "name"`.
struct Args {
    path: LitStr,
    service: Option<LitStr>,
    module: Option<syn::Ident>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the spec's path, relative to CARGO_MANIFEST_DIR, as a string literal",
            )
        })?;
        let mut service = None;
        let mut module = None;
        while input.parse::<Option<Token![,]>>()?.is_some() {
            if input.is_empty() {
                break;
            }
            let key: syn::Ident = input.parse()?;
            let given = match key.to_string().as_str() {
                "service" => service.is_some(),
                "module" => module.is_some(),
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown argument `{key}`; expected `service = \"name\"` or `module = \"name\"`"
                        ),
                    ));
                }
            };
            if given {
                return Err(syn::Error::new(
                    key.span(),
                    format!("`{key}` is given twice"),
                ));
            }
            input.parse::<Token![=]>()?;
            let value = input.parse::<LitStr>()?;
            if key == "service" {
                service = Some(value);
            } else {
                let name = syn::parse_str::<syn::Ident>(&value.value()).map_err(|_| {
                    syn::Error::new(
                        value.span(),
                        format!("`{}` is not a Rust module name", value.value()),
                    )
                })?;
                module = Some(syn::Ident::new(&name.to_string(), value.span()));
            }
        }
        if !input.is_empty() {
            return Err(input.error("expected `,` or the end of the arguments"));
        }
        Ok(Args {
            path,
            service,
            module,
        })
    }
}

fn expand(args: &Args) -> TokenStream2 {
    let written = args.path.value();
    let span = args.path.span();
    let path = match resolve(&written) {
        Ok(path) => path,
        Err(message) => return syn::Error::new(span, message).to_compile_error(),
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let message = format!(
                "cannot read the spec `{written}` (relative to CARGO_MANIFEST_DIR): {error}"
            );
            return syn::Error::new(span, message).to_compile_error();
        }
    };
    // Cargo does not know that a proc macro read a file; `include_str!` of
    // the same file makes it a dependency of the crate, so editing the spec
    // rebuilds the crate. It is emitted even when the spec has errors, so
    // fixing them triggers the rebuild too.
    let tracked = quote! {
        const _: &str = ::core::include_str!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #written));
    };
    let saga = match sagac_core::compile_bytes(&written, &bytes) {
        Ok(saga) => saga,
        Err((file, diagnostics)) => {
            let errors = diagnostics
                .iter()
                .map(|d| syn::Error::new(span, render(&file, d)).to_compile_error());
            return quote!(#tracked #(#errors)*);
        }
    };
    let service = args.service.as_ref().map(LitStr::value);
    let module = args.module.as_ref().map(ToString::to_string);
    // The spec positions for the generated docs and diagnostics (the text
    // decoded, since the spec compiled).
    let at = sagac_core::yaml::decode(&bytes)
        .map(|text| locate::of(&SourceFile::new(written.as_str(), text)))
        .unwrap_or_default();
    match rust::emit_located(&saga, service.as_deref(), module.as_deref(), &at) {
        Ok(items) => quote!(#tracked #items),
        Err(RustError::UnknownService { name, known }) => {
            let at = args.service.as_ref().map_or(span, LitStr::span);
            let mut message = format!("unknown service `{name}` in `{written}`");
            if let Some(help) =
                diagnostic::did_you_mean(&name, "service", known.iter().map(String::as_str))
            {
                message.push_str(&format!("\n  = help: {help}"));
            }
            let error = syn::Error::new(at, message).to_compile_error();
            quote!(#tracked #error)
        }
    }
}

/// The spec's path: `written` relative to `CARGO_MANIFEST_DIR`.
fn resolve(written: &str) -> Result<PathBuf, String> {
    if written.is_empty() {
        return Err("the spec path is empty; give it relative to CARGO_MANIFEST_DIR".to_owned());
    }
    if Path::new(written).is_absolute() || written.starts_with(['/', '\\']) {
        return Err(format!(
            "absolute spec paths are refused, so the crate builds the same on every machine; \
             give `{written}` relative to CARGO_MANIFEST_DIR (the directory of the crate's Cargo.toml)"
        ));
    }
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
        "CARGO_MANIFEST_DIR is not set: `saga!` must be expanded by Cargo".to_owned()
    })?;
    Ok(Path::new(&manifest_dir).join(written))
}

/// One diagnostic as a compile error message: the code and message, the
/// spec position, the spec line with a caret under the span, then help. The
/// rustc location that follows points at the macro's path literal.
fn render(file: &SourceFile, diagnostic: &Diagnostic) -> String {
    let mut out = format!("[{}] {}", diagnostic.code.as_str(), diagnostic.message);
    match diagnostic.span {
        Some(span) => {
            let (line, column) = file.line_col(span.start);
            out.push_str(&format!("\n  --> {}:{line}:{column}", file.name()));
            if let Some(text) = file.text().lines().nth(line - 1) {
                let gutter = line.to_string();
                let pad = " ".repeat(gutter.len());
                let (end_line, end_column) = file.line_col(span.end);
                let width = if end_line == line && end_column > column {
                    end_column - column
                } else {
                    text.chars().count().saturating_sub(column - 1).max(1)
                };
                let indent: String = text
                    .chars()
                    .take(column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!(
                    "\n {pad} |\n {gutter} | {text}\n {pad} | {indent}{}",
                    "^".repeat(width)
                ));
                if !diagnostic.label.is_empty() {
                    out.push_str(&format!(" {}", diagnostic.label));
                }
            }
        }
        None => out.push_str(&format!("\n  --> {}", file.name())),
    }
    for note in &diagnostic.notes {
        let (line, column) = file.line_col(note.span.start);
        out.push_str(&format!(
            "\n  = note: {} ({}:{line}:{column})",
            note.label,
            file.name()
        ));
    }
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!("\n  = help: {help}"));
    }
    out.push_str(&format!(
        "\n  = note: `sagac explain {}` explains this error",
        diagnostic.code.as_str()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_are_refused() {
        let error = resolve("/etc/spec.yaml").unwrap_err();
        assert!(error.contains("absolute spec paths are refused"), "{error}");
        assert!(resolve("").is_err());
    }

    #[test]
    fn renders_code_position_caret_and_help() {
        let file = SourceFile::new("spec/x.saga.yaml", "steps:\n  - service: hotell\n");
        let start = file.text().find("hotell").unwrap();
        let d = Diagnostic::new(
            sagac_core::codes::Code::UnknownService,
            sagac_core::source::Span::new(start, start + 6),
            "unknown service `hotell`",
        )
        .label("not a service of this saga")
        .help("did you mean `hotel`?");
        let text = render(&file, &d);
        assert_eq!(
            text,
            "[S020] unknown service `hotell`\n  --> spec/x.saga.yaml:2:14\n   |\n 2 |   - service: hotell\n   |              ^^^^^^ not a service of this saga\n  = help: did you mean `hotel`?\n  = note: `sagac explain S020` explains this error"
        );
    }
}
