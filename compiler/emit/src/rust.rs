//! Rust code: what the `saga!` proc macro expands to.
//!
//! [`emit`] turns the IR into one module, `pub mod <saga>` (the saga's name
//! in snake_case, or the name the macro is given), so nothing the user did
//! not ask for lands in their namespace. It holds:
//!
//! - the value types of the spec's field types (`Decimal`, `Date`,
//!   `Timestamp`, `FormatError`), re-exported from `sagac_runtime::value`, so
//!   every service of a saga shares one `Decimal`;
//! - one struct per entity, implementing `sagac_runtime::Entity`, with key
//!   builders from fields (`FlightReservation::key(trip_id, flight_id)`,
//!   `pk(..)`, `sk(..)`, `gsi1_pk(..)`, …) rendered from the key templates,
//!   and its primary key and index attributes from its own fields;
//! - one struct per event with exactly the fields the spec lists,
//!   implementing `sagac_runtime::Event`, and a conversion from its entity;
//! - the saga's start request (`<Saga>Request`);
//! - per action its input (`<State>Input`: only the request fields and the
//!   earlier steps' outputs the step declares, typed, never missing), a
//!   command (`<State>Command`: the step context and the input) and an
//!   error enum (`<State>Error`, one variant per business error of the spec);
//! - per service a trait (`<Service>Service`) with one async method per
//!   action and compensation, a `StepHandler` adapter (`<Service>Handler`),
//!   and the entry points `dispatch_<service>` (no Lambda runtime),
//!   `run_<service>` and `serve_<service>` (under the Lambda runtime);
//! - `table_layout()`, the spec's table layout.
//!
//! Generated code depends on `sagac-runtime` only (serde and serde_json are
//! reached through its re-exports), never on this crate. Paths are absolute
//! (`::std::…`, `::sagac_runtime::…`) so the code means the same wherever it
//! is expanded, and every public item is documented so crates under
//! `#![deny(missing_docs)]` accept it. Items a crate does not use are allowed
//! to stay unused (`dead_code`), since a service rarely needs every key
//! builder.
//!
//! The emitter reads the IR, plus the spec positions of [`Locations`] when
//! its front end has them ([`emit_located`]): every service, action, entity
//! and field is documented with the `file:line:column` that declares it, and
//! a type that is not a service's implementation is refused with a
//! diagnostic naming the spec lines of the service and its actions. The only
//! errors it reports ([`RustError`]) are about the Rust names it would
//! generate.

use std::fmt;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{Action, Entity, Event, Field, FieldType, KeyPart, KeyTemplate, Saga, Service};
use crate::locate::{Location, Locations};
use crate::naming::{index_snake, results_field, saga_module, service_snake};

pub mod shape;

pub use shape::ServiceShape;

/// Why Rust code could not be generated for a valid saga: only a service
/// selection the saga does not have. Every rule about the spec itself
/// (including names that would collide in Rust, S033) is the validator's, so
/// the macro refuses exactly the specs `sagac check` refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RustError {
    /// The requested service is not one of the saga's.
    UnknownService {
        /// The name asked for.
        name: String,
        /// The saga's services, in spec order.
        known: Vec<String>,
    },
}

impl fmt::Display for RustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RustError::UnknownService { name, known } => {
                let known: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
                write!(
                    f,
                    "unknown service `{name}`; the saga's services are {}",
                    known.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for RustError {}

/// Generates the module of `saga`: the shared types, and the trait and
/// entry points of every service, or of `service` only. The module is
/// named `module`, by default the saga's name in snake_case.
pub fn emit(
    saga: &Saga,
    service: Option<&str>,
    module: Option<&str>,
) -> Result<TokenStream, RustError> {
    emit_located(saga, service, module, &Locations::default())
}

/// [`emit`], with the spec positions `at` in the docs and diagnostics of
/// the generated items.
pub fn emit_located(
    saga: &Saga,
    service: Option<&str>,
    module: Option<&str>,
    at: &Locations,
) -> Result<TokenStream, RustError> {
    let services: Vec<&Service> = match service {
        None => saga.services.iter().collect(),
        Some(name) => match saga.service(name) {
            Some(s) => vec![s],
            None => {
                return Err(RustError::UnknownService {
                    name: name.to_owned(),
                    known: saga.services.iter().map(|s| s.name.clone()).collect(),
                });
            }
        },
    };
    let names = Names::new(saga);
    let module_name = module.map_or_else(|| saga_module(saga), str::to_owned);

    let mut items = TokenStream::new();
    items.extend(quote! {
        pub use ::sagac_runtime::value::{Date, Decimal, FormatError, Timestamp};
        pub use ::sagac_runtime::{Entity, Event};
    });
    for entity in &saga.entities {
        items.extend(entity_struct(saga, entity, at));
    }
    for event in &saga.events {
        items.extend(event_struct(saga, event, at));
    }
    items.extend(request_struct(saga, &names, at));
    items.extend(helpers());
    items.extend(table_layout(saga));
    for service in &services {
        for action in &service.actions {
            items.extend(input_struct(
                saga,
                action,
                at,
                at.action(&service.name, &action.name),
            ));
            items.extend(command_struct(action));
            items.extend(error_enum(action));
        }
        items.extend(service_items(saga, service, at));
        items.extend(service_check(saga, service, &module_name, at));
    }
    let module = ident(&module_name);
    let description = match &saga.description {
        Some(d) => format!(" {}", d.trim()),
        None => String::new(),
    };
    let seen_by = match service {
        Some(name) => format!("as the `{name}` service sees it"),
        None => "for every service".to_owned(),
    };
    let doc = doc_attr(&format!(
        "The `{}` saga{description}\n\nIts entities, events and start request, and {seen_by}: what each \
         step receives (`<State>Input`), its command and errors, the service trait to implement, and the \
         entry points that run it. Generated by `sagac_macros::saga!` from the spec.",
        saga.name
    ));
    let example = service
        .and_then(|name| saga.service(name))
        .map(|s| service_example(saga, s));
    Ok(quote! {
        #doc
        #example
        #[allow(dead_code, unused_imports)]
        pub mod #module {
            #items
        }
    })
}

/// The module docs' example: implementing the service, in text (the
/// expansion cannot name the user's crate, so the example is not compiled).
fn service_example(saga: &Saga, service: &Service) -> TokenStream {
    let trait_name = format!("{}Service", service.pascal);
    let serve = format!("serve_{}", service_snake(&service.name));
    let mut text = format!(
        "\n# Implementing the service\n\n```text\nuse {module}::*;\n\nstruct {pascal};\n\n#[sagac_macros::service] // errors name the spec line when the spec changes\nimpl {trait_name} for {pascal} {{\n",
        module = saga_module(saga),
        pascal = service.pascal,
    );
    for action in &service.actions {
        text.push_str(&format!(
            "    async fn {}(&self, command: {}Command) -> Result<{}, {}Error> {{\n        // command.input: what the step receives; command.context: saga id, idempotency key\n        todo!()\n    }}\n",
            action.name,
            action.state,
            output_text(action),
            action.state
        ));
    }
    text.push_str(&format!("}}\n\nfn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {{\n    {serve}(|_store| {})\n}}\n```", service.pascal));
    doc_attr(&text)
}

/// The names shared by several items.
struct Names {
    request: Ident,
}

impl Names {
    fn new(saga: &Saga) -> Self {
        Names {
            request: format_ident!("{}Request", saga.name),
        }
    }
}

// ---------------------------------------------------------------------------
// Names and identifiers.

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// An identifier for a snake_case spec name; keywords become raw identifiers
/// (the validator refuses them, but the emitter does not rely on it).
fn ident(name: &str) -> Ident {
    match name {
        "self" | "Self" | "super" | "crate" | "_" => format_ident!("{}_", name),
        _ if KEYWORDS.contains(&name) => Ident::new_raw(name, Span::call_site()),
        _ => Ident::new(name, Span::call_site()),
    }
}

/// A PascalCase variant name for an ASL error name: `NoSeatsAvailable` stays,
/// `Payment.Declined` → `PaymentDeclined`, `HTTP_TIMEOUT` → `HttpTimeout`,
/// and `Self` (a keyword, not a variant name) → `SelfError`.
fn error_variant(name: &str) -> String {
    let variant: String = name
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let upper = w.len() > 1 && w.chars().all(|c| !c.is_ascii_lowercase());
            let mut chars = w.chars();
            let first = chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .unwrap_or_default();
            let rest: String = if upper {
                chars.as_str().to_ascii_lowercase()
            } else {
                chars.collect()
            };
            format!("{first}{rest}")
        })
        .collect();
    if variant == "Self" {
        "SelfError".to_owned()
    } else {
        variant
    }
}

fn lit(text: &str) -> Literal {
    Literal::string(text)
}

/// A `#[doc]` attribute; lines get the leading space `///` comments have.
fn doc_attr(text: &str) -> TokenStream {
    let text: Vec<String> = text
        .lines()
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!(" {line}")
            }
        })
        .collect();
    let text = text.join("\n");
    quote!(#[doc = #text])
}

// ---------------------------------------------------------------------------
// Types.

fn field_type(ty: FieldType) -> TokenStream {
    match ty {
        FieldType::String => quote!(::std::string::String),
        FieldType::Int => quote!(i64),
        FieldType::Decimal => quote!(Decimal),
        FieldType::Bool => quote!(bool),
        FieldType::Date => quote!(Date),
        FieldType::Timestamp => quote!(Timestamp),
    }
}

fn full_field_type(field: &Field) -> TokenStream {
    let ty = field_type(field.ty);
    if field.optional {
        quote!(::std::option::Option<#ty>)
    } else {
        ty
    }
}

/// A number from the spec as written in docs: `1` rather than `1.0`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn field_doc(field: &Field) -> String {
    let mut facts = vec![format!("`{}`", field.ty.name())];
    if field.optional {
        facts.push("optional".to_owned());
    }
    if let Some(pattern) = &field.pattern {
        facts.push(format!("matching `{pattern}`"));
    }
    if let Some(min) = field.min {
        facts.push(format!("at least {}", number(min)));
    }
    if let Some(max) = field.max {
        facts.push(format!("at most {}", number(max)));
    }
    if !field.one_of.is_empty() {
        let values: Vec<String> = field.one_of.iter().map(|v| format!("`{v}`")).collect();
        facts.push(format!("one of {}", values.join(", ")));
    }
    if let Some(max) = field.max_length
        && crate::bounds::is_textual(field.ty)
    {
        match field.max_bytes {
            Some(bytes) => facts.push(format!("at most {max} characters and {bytes} bytes")),
            None => facts.push(format!("at most {max} characters")),
        }
    }
    let facts = format!("Spec type: {}.", facts.join(", "));
    match &field.description {
        Some(description) => format!("{}\n\n{facts}", description.trim()),
        None => facts,
    }
}

/// The sentence that ends the docs of an item declared at `at`.
fn declared(at: Option<&Location>) -> String {
    at.map(|at| format!("\n\nDeclared at `{at}`."))
        .unwrap_or_default()
}

fn struct_field(field: &Field, at: Option<&Location>) -> TokenStream {
    let name = ident(&field.name);
    let ty = full_field_type(field);
    let doc = doc_attr(&(field_doc(field) + &declared(at)));
    let serde = if field.optional {
        quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")])
    } else {
        TokenStream::new()
    };
    quote! {
        #doc
        #serde
        pub #name: #ty
    }
}

/// The derives of data structs.
fn data_derives() -> TokenStream {
    quote! {
        #[derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            ::sagac_runtime::serde::Serialize,
            ::sagac_runtime::serde::Deserialize,
        )]
        #[serde(crate = "::sagac_runtime::serde")]
    }
}

/// The parameter type of a key field: text by reference, numbers and
/// booleans by value, the value types by reference.
fn key_param_type(ty: FieldType) -> TokenStream {
    match ty {
        FieldType::String => quote!(&str),
        FieldType::Int => quote!(i64),
        FieldType::Bool => quote!(bool),
        FieldType::Decimal => quote!(&Decimal),
        FieldType::Date => quote!(&Date),
        FieldType::Timestamp => quote!(&Timestamp),
    }
}

/// The argument passing `self`'s field to a key builder.
fn key_arg_from_self(field: &Field) -> TokenStream {
    let name = ident(&field.name);
    match field.ty {
        FieldType::Int | FieldType::Bool => quote!(self.#name),
        _ => quote!(&self.#name),
    }
}

/// The fields of `templates`, each once, in order of first use.
fn template_fields<'a>(entity: &'a Entity, templates: &[&KeyTemplate]) -> Vec<&'a Field> {
    let mut out: Vec<&Field> = Vec::new();
    for template in templates {
        for name in template.fields() {
            if let Some(field) = entity.field(name)
                && !out.iter().any(|f| f.name == field.name)
            {
                out.push(field);
            }
        }
    }
    out
}

/// An expression rendering a key template from parameters named like the
/// template's fields.
fn render_key(template: &KeyTemplate) -> TokenStream {
    if template.is_constant() {
        let text = lit(&template.to_string());
        return quote!(::std::string::String::from(#text));
    }
    let mut format = String::new();
    let mut args = Vec::new();
    for part in &template.parts {
        match part {
            KeyPart::Literal(text) => format.push_str(&text.replace('{', "{{").replace('}', "}}")),
            KeyPart::Field(name) => {
                format.push_str("{}");
                let field = ident(name);
                args.push(quote!(#field));
            }
        }
    }
    let format = lit(&format);
    quote!(::std::format!(#format, #(#args),*))
}

/// A key builder from fields: `pub fn <name>(<fields>) -> String`, and the
/// call of it over `self`'s fields.
fn key_builder(
    entity: &Entity,
    name: &Ident,
    template: &KeyTemplate,
    what: &str,
) -> (TokenStream, TokenStream) {
    let fields = template_fields(entity, &[template]);
    let params = fields.iter().map(|f| {
        let name = ident(&f.name);
        let ty = key_param_type(f.ty);
        quote!(#name: #ty)
    });
    let args: Vec<TokenStream> = fields.iter().map(|f| key_arg_from_self(f)).collect();
    let doc = doc_attr(&format!("The {what}: `{template}`."));
    let body = render_key(template);
    let builder = quote! {
        #doc
        pub fn #name(#(#params),*) -> ::std::string::String {
            #body
        }
    };
    (builder, quote!(Self::#name(#(#args),*)))
}

fn entity_struct(saga: &Saga, entity: &Entity, at: &Locations) -> TokenStream {
    let name = format_ident!("{}", entity.name);
    let name_text = lit(&entity.name);
    let table = &saga.table;
    let mut text = if entity.is_root {
        format!(
            "The aggregate root `{}`: one item per saga, keyed by its `{}`, whose `{}` records the outcome.",
            entity.name, saga.root.id_field, saga.root.status_field
        )
    } else {
        format!("The entity `{}`.", entity.name)
    };
    text.push_str(&format!(
        "\n\nStored in `{}` under `{} = {}`, `{} = {}`. Its keys are built from fields: [`Self::key`], \
         [`Self::pk`], [`Self::sk`] and the index key builders, so no adapter restates a template.",
        table.name, table.pk, entity.pk, table.sk, entity.sk
    ));
    text.push_str(&declared(at.type_(&entity.name)));
    let doc = doc_attr(&text);
    let fields = entity
        .fields
        .iter()
        .map(|f| struct_field(f, at.field(&entity.name, &f.name)));
    let (pk_builder, pk_call) = key_builder(
        entity,
        &format_ident!("pk"),
        &entity.pk,
        &format!("partition key (`{}`)", table.pk),
    );
    let (sk_builder, sk_call) = key_builder(
        entity,
        &format_ident!("sk"),
        &entity.sk,
        &format!("sort key (`{}`)", table.sk),
    );
    let mut builders = vec![pk_builder, sk_builder];
    let mut index_attributes = Vec::new();
    for index in &entity.indexes {
        let prefix = index_snake(&index.index);
        let attributes = table.indexes.iter().find(|i| i.name == index.index);
        let pk_attr =
            attributes.map_or_else(|| "partition key".to_owned(), |i| format!("`{}`", i.pk));
        let (builder, call) = key_builder(
            entity,
            &format_ident!("{}_pk", prefix),
            &index.pk,
            &format!("partition key of index `{}` ({pk_attr})", index.index),
        );
        builders.push(builder);
        if let Some(attributes) = attributes {
            let attribute = lit(&attributes.pk);
            index_attributes.push(quote!((#attribute, #call)));
        }
        if let Some(sk) = &index.sk {
            let sk_attr = attributes
                .and_then(|i| i.sk.as_ref())
                .map_or_else(|| "sort key".to_owned(), |sk| format!("`{sk}`"));
            let (builder, call) = key_builder(
                entity,
                &format_ident!("{}_sk", prefix),
                sk,
                &format!("sort key of index `{}` ({sk_attr})", index.index),
            );
            builders.push(builder);
            if let Some(attribute) = attributes.and_then(|i| i.sk.as_ref()) {
                let attribute = lit(attribute);
                index_attributes.push(quote!((#attribute, #call)));
            }
        }
    }
    let key_fields = template_fields(entity, &[&entity.pk, &entity.sk]);
    let key_params = key_fields.iter().map(|f| {
        let name = ident(&f.name);
        let ty = key_param_type(f.ty);
        quote!(#name: #ty)
    });
    let pk_args = template_fields(entity, &[&entity.pk])
        .into_iter()
        .map(|f| ident(&f.name));
    let sk_args = template_fields(entity, &[&entity.sk])
        .into_iter()
        .map(|f| ident(&f.name));
    let key_doc = doc_attr(&format!(
        "The primary key of the item with these fields: `{}` / `{}`.",
        entity.pk, entity.sk
    ));
    let derives = data_derives();
    quote! {
        #doc
        #derives
        pub struct #name {
            #(#fields,)*
        }

        impl #name {
            /// The entity's name in the spec.
            pub const ENTITY: &'static str = #name_text;

            #key_doc
            pub fn key(#(#key_params),*) -> ::sagac_runtime::Key {
                ::sagac_runtime::Key::new(Self::pk(#(#pk_args),*), Self::sk(#(#sk_args),*))
            }

            #(#builders)*
        }

        impl ::sagac_runtime::Entity for #name {
            const NAME: &'static str = #name_text;

            fn primary_key(&self) -> ::sagac_runtime::Key {
                ::sagac_runtime::Key::new(#pk_call, #sk_call)
            }

            fn index_attributes(&self) -> ::std::vec::Vec<(&'static str, ::std::string::String)> {
                ::std::vec![#(#index_attributes),*]
            }
        }
    }
}

fn event_struct(saga: &Saga, event: &Event, at: &Locations) -> TokenStream {
    let name = format_ident!("{}", event.name);
    let name_text = lit(&event.name);
    let Some(entity) = saga.entity(&event.entity) else {
        return TokenStream::new();
    };
    let entity_name = format_ident!("{}", entity.name);
    let fields: Vec<&Field> = event
        .fields
        .iter()
        .filter_map(|f| entity.field(f))
        .collect();
    let mut text = match &event.description {
        Some(d) => format!("The event `{}`: {}", event.name, d.trim()),
        None => format!("The event `{}`.", event.name),
    };
    text.push_str(&format!(
        "\n\nIt carries {} of the entity [`{}`], and is written to the outbox with the change that raises it.",
        if fields.len() == entity.fields.len() { "every field" } else { "these fields" },
        entity.name
    ));
    if event.alert {
        text.push_str(" It needs a human: it is an alert.");
    }
    text.push_str(&declared(at.type_(&event.name)));
    let doc = doc_attr(&text);
    let struct_fields = fields
        .iter()
        .map(|f| struct_field(f, at.field(&entity.name, &f.name)));
    let copies = fields.iter().map(|f| {
        let name = ident(&f.name);
        quote!(#name: ::std::clone::Clone::clone(&entity.#name))
    });
    let alert = event.alert;
    let derives = data_derives();
    let from_doc = doc_attr(&format!(
        "Copies the event's fields from the [`{}`].",
        entity.name
    ));
    quote! {
        #doc
        #derives
        pub struct #name {
            #(#struct_fields,)*
        }

        impl #name {
            /// The event's name: the outbox item's type and the EventBridge `detail-type`.
            pub const NAME: &'static str = #name_text;
            /// Whether the event needs a human.
            pub const ALERT: bool = #alert;
        }

        impl ::sagac_runtime::Event for #name {
            const NAME: &'static str = #name_text;
            const ALERT: bool = #alert;
        }

        impl ::std::convert::From<&#entity_name> for #name {
            #from_doc
            fn from(entity: &#entity_name) -> Self {
                #name { #(#copies,)* }
            }
        }
    }
}

fn request_struct(saga: &Saga, names: &Names, at: &Locations) -> TokenStream {
    let name = &names.request;
    let text = format!(
        "The start request of the `{}` saga, as the API validates it. A step receives only the fields \
         its `input:` declares (its `<State>Input`).\n\n`{}` is the saga id and the execution name.",
        saga.name, saga.root.id_field
    );
    let doc = doc_attr(&text);
    let fields = saga
        .request
        .iter()
        .map(|f| struct_field(f, at.request_field(&f.name)));
    let derives = data_derives();
    quote! {
        #doc
        #derives
        pub struct #name {
            #(#fields,)*
        }
    }
}

/// Private functions every service's dispatcher uses.
fn helpers() -> TokenStream {
    quote! {
        fn __sagac_output<T: ::sagac_runtime::serde::Serialize>(
            output: &T,
        ) -> ::std::result::Result<::sagac_runtime::serde_json::Value, ::sagac_runtime::SagaError> {
            ::sagac_runtime::serde_json::to_value(output).map_err(|error| {
                ::sagac_runtime::SagaError::internal(::std::format!("the step output could not be encoded: {error}"))
            })
        }
    }
}

/// The type an action returns on success, as Rust source: `()`, the entity it
/// writes, or (a compensation) `Option<Entity>`.
pub fn output_text(action: &Action) -> String {
    match (&action.result, action.compensation) {
        (None, _) => "()".to_owned(),
        (Some(entity), false) => entity.clone(),
        (Some(entity), true) => format!("Option<{entity}>"),
    }
}

/// The type an action returns on success.
fn output_type(action: &Action) -> TokenStream {
    match (&action.result, action.compensation) {
        (None, _) => quote!(()),
        (Some(entity), false) => {
            let ty = format_ident!("{}", entity);
            quote!(#ty)
        }
        (Some(entity), true) => {
            let ty = format_ident!("{}", entity);
            quote!(::std::option::Option<#ty>)
        }
    }
}

/// `<State>Input`: what the action receives (`input` in its payload),
/// and nothing else.
fn input_struct(
    saga: &Saga,
    action: &Action,
    at: &Locations,
    declared_at: Option<&Location>,
) -> TokenStream {
    let name = format_ident!("{}Input", action.state);
    let mut fields: Vec<TokenStream> = action
        .input
        .fields
        .iter()
        .filter_map(|f| saga.request.iter().find(|r| r.name == *f))
        .map(|f| struct_field(f, at.request_field(&f.name)))
        .collect();
    for step in &action.input.results {
        let Some(entity) = saga
            .steps()
            .find(|s| s.name == *step)
            .and_then(|s| s.writes.as_ref())
        else {
            continue;
        };
        let field = ident(&results_field(step));
        let ty = format_ident!("{}", entity);
        let doc = doc_attr(&format!(
            "The output of `{step}`, which completed before this step."
        ));
        fields.push(quote! {
            #doc
            pub #field: #ty
        });
    }
    if action.compensation
        && let Some(entity) = &action.result
    {
        let field = ident(&results_field(&action.step));
        let ty = format_ident!("{}", entity);
        let doc = doc_attr(&format!(
            "What `{}` wrote, if it completed. `None` when it failed in a way that may or may not have \
             taken effect (a timeout): the compensation must then find out itself, and treat \"nothing to \
             undo\" as success.",
            action.step
        ));
        fields.push(quote! {
            #doc
            #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
            pub #field: ::std::option::Option<#ty>
        });
    }
    let what = if action.compensation {
        format!(
            "the compensation `{}` (`{}`), which undoes `{}`",
            action.state, action.name, action.step
        )
    } else {
        format!("the step `{}` (`{}`)", action.state, action.name)
    };
    let doc = doc_attr(&format!(
        "What {what} receives, and nothing else: the request fields and earlier outputs the spec's \
         `input:` declares (least data). The saga id and the root's key fields are always here.{}",
        declared(declared_at)
    ));
    let derives = data_derives();
    quote! {
        #doc
        #derives
        pub struct #name {
            #(#fields,)*
        }
    }
}

fn command_struct(action: &Action) -> TokenStream {
    let name = format_ident!("{}Command", action.state);
    let input = format_ident!("{}Input", action.state);
    let text = if action.compensation {
        format!(
            "The command of the compensation `{}` (`{}`), which undoes the step `{}`.",
            action.state, action.name, action.step
        )
    } else {
        format!(
            "The command of the step `{}` (`{}`).",
            action.state, action.name
        )
    };
    let doc = doc_attr(&text);
    let input_doc = doc_attr(&format!("What the step receives: [`{input}`]."));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct #name {
            /// The step context: saga id, idempotency key (`{execution}#{state}`, the same across
            /// retries), retry count, trace, and the failure that started compensation.
            pub context: ::sagac_runtime::StepContext,
            #input_doc
            pub input: #input,
        }
    }
}

/// The name of the variant that carries every other failure: the first of
/// `Other`, `Failure`, `Runtime`, `Other2`, `Other3`… no business error took.
fn other_variant(variants: &[(Ident, &str)]) -> Ident {
    let taken = |name: &str| variants.iter().any(|(v, _)| v == name);
    let name = ["Other", "Failure", "Runtime"]
        .into_iter()
        .map(str::to_owned)
        .chain((2..).map(|n| format!("Other{n}")))
        .find(|n| !taken(n))
        .unwrap_or_default();
    format_ident!("{}", name)
}

/// Variant names for an action's errors, unique within the enum.
fn error_variants(action: &Action) -> Vec<(Ident, &str)> {
    let mut used: Vec<String> = Vec::new();
    action
        .errors
        .iter()
        .map(|error| {
            let base = error_variant(error);
            let mut name = base.clone();
            let mut n = 2;
            while used.contains(&name) {
                name = format!("{base}{n}");
                n += 1;
            }
            used.push(name.clone());
            (format_ident!("{}", name), error.as_str())
        })
        .collect()
}

fn error_enum(action: &Action) -> TokenStream {
    let name = format_ident!("{}Error", action.state);
    let variants = error_variants(action);
    let other = other_variant(&variants);
    let text = if variants.is_empty() {
        format!(
            "How `{}` fails. The spec names no business error for it: every failure is a [`SagaError`](sagac_runtime::SagaError), \
             transient (retried) or not.",
            action.state
        )
    } else {
        format!(
            "How `{}` fails: one variant per business error the spec names, which the state machine catches by \
             its exact name and answers with compensation, and [`Self::{other}`] for everything else.",
            action.state
        )
    };
    let doc = doc_attr(&text);
    let declarations = variants.iter().map(|(variant, error)| {
        let doc = doc_attr(&format!(
            "The business error `{error}`: the step did not take effect and the saga compensates. Carries the \
             message that becomes the error's cause."
        ));
        quote!(#doc #variant(::std::string::String))
    });
    let names = variants.iter().map(|(variant, error)| {
        let error = lit(error);
        quote!(#name::#variant(_) => #error)
    });
    let conversions = variants.iter().map(|(variant, error)| {
        let error = lit(error);
        quote!(#name::#variant(message) => ::sagac_runtime::SagaError::business(#error, message))
    });
    let messages = variants
        .iter()
        .map(|(variant, _)| quote!(#name::#variant(message) => message.clone()));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum #name {
            #(#declarations,)*
            /// Any other failure: transient (`TransientError`, retried by the state machine),
            /// an invalid payload, or internal.
            #other(::sagac_runtime::SagaError),
        }

        impl #name {
            /// A failure that may succeed when retried (`TransientError`).
            pub fn transient(message: impl ::std::convert::Into<::std::string::String>) -> Self {
                #name::#other(::sagac_runtime::SagaError::transient(message))
            }

            /// The ASL error name the state machine matches.
            pub fn error_name(&self) -> &str {
                match self {
                    #(#names,)*
                    #name::#other(error) => error.error_name(),
                }
            }

            /// The human-readable message (the ASL `Cause`).
            pub fn message(&self) -> ::std::string::String {
                match self {
                    #(#messages,)*
                    #name::#other(error) => error.message(),
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::write!(f, "{}: {}", self.error_name(), self.message())
            }
        }

        impl ::std::error::Error for #name {}

        impl ::std::convert::From<#name> for ::sagac_runtime::SagaError {
            fn from(error: #name) -> Self {
                match error {
                    #(#conversions,)*
                    #name::#other(error) => error,
                }
            }
        }

        impl ::std::convert::From<::sagac_runtime::SagaError> for #name {
            fn from(error: ::sagac_runtime::SagaError) -> Self {
                #name::#other(error)
            }
        }

        impl ::std::convert::From<::sagac_runtime::StoreError> for #name {
            fn from(error: ::sagac_runtime::StoreError) -> Self {
                #name::#other(::sagac_runtime::SagaError::from(error))
            }
        }
    }
}

fn service_items(saga: &Saga, service: &Service, at: &Locations) -> TokenStream {
    let trait_name = format_ident!("{}Service", service.pascal);
    let handler = format_ident!("{}Handler", service.pascal);
    let snake = service_snake(&service.name);
    let dispatch = format_ident!("dispatch_{}", snake);
    let run = format_ident!("run_{}", snake);
    let serve = format_ident!("serve_{}", snake);
    let inner = format_ident!("__sagac_dispatch_{}", snake);
    let config = format_ident!("__sagac_config_{}", snake);
    let service_name = lit(&service.name);
    let saga_name = lit(&saga.name);
    let id_field = lit(&saga.root.id_field);

    // The idempotency pre-check renders the root's partition key from the
    // step's input, which always carries the root key's request fields; a
    // root key with other fields cannot be rendered, so it has no pre-check.
    let function = lit(&format!(
        "${{{}}}",
        crate::asl::function_placeholder(service)
    ));
    let root_pk = &saga.root_entity().pk;
    let renderable = root_pk
        .fields()
        .all(|f| saga.request.iter().any(|r| r.name == f));
    let root_pk = if renderable {
        let text = lit(&root_pk.to_string());
        quote!(::sagac_runtime::KeyTemplate::parse(#text).ok())
    } else {
        quote!(::std::option::Option::None)
    };

    let description = match &service.description {
        Some(d) => format!(": {}", d.trim()),
        None => ".".to_owned(),
    };
    let trait_doc = doc_attr(&format!(
        "The `{}` service of the `{}` saga{description}\n\nImplement one method per action and compensation; \
         the state machine calls them through [`{run}`] (under the Lambda runtime), and [`{dispatch}`] calls \
         them anywhere. Methods may be written as `async fn`; their futures must be `Send`.{}",
        service.name,
        saga.name,
        declared(at.service(&service.name))
    ));
    let unimplemented = on_unimplemented(saga, service, at);

    let methods = service.actions.iter().map(|action| {
        let method = ident(&action.name);
        let command = format_ident!("{}Command", action.state);
        let error = format_ident!("{}Error", action.state);
        let output = output_type(action);
        let text = if action.compensation {
            let returns = if action.result.is_some() {
                format!(" Returns what it undid, or `None` when `{}` had left nothing to undo.", action.step)
            } else {
                String::new()
            };
            format!(
                "The compensation `{}` of the step `{}`. It must be idempotent and treat \"nothing to undo\" as \
                 success.{returns}",
                action.state, action.step
            )
        } else {
            let returns = match &action.result {
                Some(entity) => format!(" Returns the [`{entity}`] it wrote, stored at `results.{}.output`.", action.state),
                None => String::new(),
            };
            format!("The step `{}`.{returns}", action.state)
        };
        let mut text = text;
        if let Some(event) = &action.emits {
            text.push_str(&format!(" Emits [`{event}`]."));
        }
        text.push_str(&declared(at.action(&service.name, &action.name)));
        let doc = doc_attr(&text);
        quote! {
            #doc
            fn #method(&self, command: #command)
                -> impl ::std::future::Future<Output = ::std::result::Result<#output, #error>> + ::std::marker::Send;
        }
    });

    let arms = service.actions.iter().map(|action| {
        let state = lit(&action.state);
        let method = ident(&action.name);
        let command = format_ident!("{}Command", action.state);
        quote! {
            #state => {
                let command = #command {
                    input: ::sagac_runtime::context::decode_field(
                        payload
                            .get(::sagac_runtime::contract::payload::INPUT)
                            .unwrap_or(&::sagac_runtime::serde_json::Value::Null),
                        ::sagac_runtime::contract::payload::INPUT,
                    )?,
                    context,
                };
                let output = service.#method(command).await.map_err(::sagac_runtime::SagaError::from)?;
                __sagac_output(&output)
            }
        }
    });
    let states: Vec<String> = service
        .actions
        .iter()
        .map(|a| format!("`{}`", a.state))
        .collect();
    let unknown = lit(&format!(
        "`{{other}}` is not a state of the `{}` service, which handles {}",
        service.name,
        states.join(", ")
    ));

    let handler_doc = doc_attr(&format!(
        "The [`StepHandler`](sagac_runtime::StepHandler) of the `{}` service: decodes a step invocation and \
         calls the [`{trait_name}`] method its `State.Name` selects. [`{run}`] runs it under the Lambda runtime; \
         [`invoke_step`](sagac_runtime::invoke_step) runs it with the runtime's logs, metrics and idempotency \
         pre-check anywhere else.",
        service.name
    ));
    let dispatch_doc = doc_attr(&format!(
        "Runs one invocation of the `{}` service without the Lambda runtime (tests, local runs): decodes the \
         payload (the Step Functions context object merged with the state input), calls the method `State.Name` \
         selects, and encodes its output.\n\n# Errors\n\nA business error under its spec name, \
         `TransientError`, or `Saga.InvalidPayload` when the payload cannot be decoded (the service never runs).",
        service.name
    ));
    let run_doc = doc_attr(&format!(
        "Serves the `{}` service under the Lambda runtime, in the caller's Tokio runtime. `make` builds the \
         service from the DynamoDB store, which is created once from the environment (`TABLE_NAME`, \
         `AWS_ENDPOINT_URL*`).\n\n# Errors\n\nWhen the store cannot be configured or the Lambda runtime fails.",
        service.name
    ));
    let serve_doc = doc_attr(&format!(
        "The whole `main` of the `{}` service's Lambda: [`{run}`] on a single-threaded Tokio runtime.\n\n\
         # Errors\n\nWhen the store cannot be configured or the Lambda runtime fails.",
        service.name
    ));

    quote! {
        #trait_doc
        #unimplemented
        pub trait #trait_name: ::std::marker::Send + ::std::marker::Sync {
            #(#methods)*
        }

        fn #config() -> ::sagac_runtime::ServiceConfig {
            ::sagac_runtime::ServiceConfig {
                service: ::std::string::String::from(#service_name),
                function: ::std::string::String::from(#function),
                saga: ::std::string::String::from(#saga_name),
                saga_id_field: ::std::string::String::from(#id_field),
                root_pk: #root_pk,
                table: table_layout(),
            }
        }

        async fn #inner<S: #trait_name>(
            service: &S,
            context: ::sagac_runtime::StepContext,
            payload: ::sagac_runtime::serde_json::Value,
        ) -> ::std::result::Result<::sagac_runtime::serde_json::Value, ::sagac_runtime::SagaError> {
            let state = ::std::clone::Clone::clone(&context.state_name);
            match state.as_str() {
                #(#arms)*
                other => ::std::result::Result::Err(::sagac_runtime::SagaError::invalid_payload(
                    "State.Name",
                    ::std::format!(#unknown),
                )),
            }
        }

        #handler_doc
        #[derive(Debug, Clone)]
        pub struct #handler<S> {
            service: S,
        }

        impl<S: #trait_name> #handler<S> {
            /// A handler over `service`.
            pub fn new(service: S) -> Self {
                #handler { service }
            }

            /// The service.
            pub fn service(&self) -> &S {
                &self.service
            }

            /// The glue's configuration: service and saga names, the saga id field, and the root's
            /// partition key template (for the idempotency pre-check).
            pub fn config(&self) -> ::sagac_runtime::ServiceConfig {
                #config()
            }
        }

        impl<S: #trait_name> ::sagac_runtime::StepHandler for #handler<S> {
            fn handle(
                &self,
                step: ::sagac_runtime::Step,
            ) -> ::sagac_runtime::BoxFuture<'_, ::std::result::Result<::sagac_runtime::serde_json::Value, ::sagac_runtime::SagaError>> {
                ::std::boxed::Box::pin(#inner(&self.service, step.context, step.payload))
            }
        }

        #dispatch_doc
        pub async fn #dispatch<S: #trait_name>(
            service: &S,
            payload: ::sagac_runtime::serde_json::Value,
        ) -> ::std::result::Result<::sagac_runtime::serde_json::Value, ::sagac_runtime::SagaError> {
            let context = ::sagac_runtime::StepContext::from_payload(&payload, #id_field)?;
            #inner(service, context, payload).await
        }

        #run_doc
        pub async fn #run<S, M>(make: M) -> ::std::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error + ::std::marker::Send + ::std::marker::Sync>>
        where
            S: #trait_name + 'static,
            M: ::std::ops::FnOnce(::std::sync::Arc<dyn ::sagac_runtime::Store>) -> S,
        {
            ::sagac_runtime::run_service(#config(), move |store| #handler::new(make(store))).await
        }

        #serve_doc
        pub fn #serve<S, M>(make: M) -> ::std::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error + ::std::marker::Send + ::std::marker::Sync>>
        where
            S: #trait_name + 'static,
            M: ::std::ops::FnOnce(::std::sync::Arc<dyn ::sagac_runtime::Store>) -> S,
        {
            ::sagac_runtime::serve(#config(), move |store| #handler::new(make(store)))
        }
    }
}

/// The hidden macro behind `#[sagac_macros::service]`: named like the
/// service trait (macros have their own namespace, so importing the trait
/// imports it too), it hands the implementation and the service's
/// [`ServiceShape`] to `sagac_macros::__check_service`.
fn service_check(saga: &Saga, service: &Service, module: &str, at: &Locations) -> TokenStream {
    let trait_name = format_ident!("{}Service", service.pascal);
    let hidden = format_ident!("__sagac_check_{}", service_snake(&service.name));
    let shape = lit(&ServiceShape::of(saga, service, module, at).to_json());
    quote! {
        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #hidden {
            ($($implementation:tt)*) => {
                ::sagac_macros::__check_service! { #shape $($implementation)* }
            };
        }
        #[doc(hidden)]
        pub(crate) use #hidden as #trait_name;
    }
}

/// `#[diagnostic::on_unimplemented]` of a service trait: a type handed to
/// the service's entry points without implementing it is refused with the
/// spec positions of the service and of every method it must have.
fn on_unimplemented(saga: &Saga, service: &Service, at: &Locations) -> TokenStream {
    // The attribute's strings are format strings (`{Self}`): braces of
    // the spec's text are doubled.
    let escape = |text: String| text.replace('{', "{{").replace('}', "}}");
    let trait_name = format!("{}Service", service.pascal);
    let message = lit(&format!(
        "`{{Self}}` is not an implementation of the `{}` service of the `{}` saga",
        service.name, saga.name
    ));
    let label = lit(&format!("`{{Self}}` does not implement `{trait_name}`"));
    let declared = at
        .service(&service.name)
        .map(|l| format!(" (declared at {l})"))
        .unwrap_or_default();
    let methods: Vec<String> = service
        .actions
        .iter()
        .map(|action| match at.action(&service.name, &action.name) {
            Some(l) => format!("`{}` ({l})", action.name),
            None => format!("`{}`", action.name),
        })
        .collect();
    let note = lit(&escape(format!(
        "the spec asks `{trait_name}`{declared} for one method per action and compensation: {}",
        methods.join(", ")
    )));
    quote! {
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
    }
}

/// `table_layout()`: the spec's table layout as the runtime's
/// `TableLayout`, the one place generated code learns the key attribute
/// names, the outbox sort key and the TTL (the validator has checked what
/// `TableLayout::new` checks).
fn table_layout(saga: &Saga) -> TokenStream {
    let pk = lit(&saga.table.pk);
    let sk = lit(&saga.table.sk);
    let outbox_sk = lit(&saga.outbox.sk.to_string());
    let ttl = match &saga.table.ttl {
        Some(attribute) => {
            let attribute = lit(attribute);
            quote!(::std::option::Option::Some(#attribute))
        }
        None => quote!(::std::option::Option::None),
    };
    let seconds = saga.outbox.ttl_seconds;
    let doc = doc_attr(&format!(
        "The layout of `{}` as the spec declares it: key attributes `{}`/`{}`, outbox sort key `{}`, \
         TTL attribute {}, outbox TTL {seconds} s. The service's store is built over it.",
        saga.table.name,
        saga.table.pk,
        saga.table.sk,
        saga.outbox.sk,
        saga.table
            .ttl
            .as_deref()
            .map_or("none".to_owned(), |t| format!("`{t}`")),
    ));
    quote! {
        #doc
        pub fn table_layout() -> ::sagac_runtime::store::TableLayout {
            ::sagac_runtime::store::TableLayout::new(
                #pk,
                #sk,
                #outbox_sk,
                #ttl,
                ::std::time::Duration::from_secs(#seconds),
            )
            .unwrap_or_else(|e| ::std::unreachable!("sagac validated the table layout: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(error_variant("NoSeatsAvailable"), "NoSeatsAvailable");
        assert_eq!(error_variant("Payment.Declined"), "PaymentDeclined");
        assert_eq!(error_variant("HTTP_TIMEOUT"), "HttpTimeout");
        assert_eq!(error_variant("SELF"), "SelfError");
        assert_eq!(index_snake("GSI1"), "gsi1");
        assert_eq!(index_snake("ByStatus"), "by_status");
        assert_eq!(index_snake("by-date"), "by_date");
        assert_eq!(service_snake("credit-check"), "credit_check");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
    }

    fn compile(name: &str, text: &str) -> Saga {
        sagac_front::compile(&sagac_front::source::SourceFile::new(name, text))
            .unwrap_or_else(|d| panic!("{name}: {d:?}"))
    }

    fn pretty(tokens: TokenStream) -> String {
        prettyplease::unparse(&syn::parse2(tokens).expect("generated code parses as a file"))
    }

    /// The generated code of the reference spec, for the flight service:
    /// what a service author reads. The trybuild pass tests of
    /// `sagac-macros` prove that it compiles.
    #[test]
    fn trip_flight_snapshot() {
        let saga = compile(
            "trip.saga.yaml",
            include_str!("../../../spec/trip.saga.yaml"),
        );
        let code = pretty(emit(&saga, Some("flight"), None).unwrap());
        insta::assert_snapshot!("trip_flight", code);
    }

    #[test]
    fn output_is_deterministic_and_selects_services() {
        let saga = compile(
            "trip.saga.yaml",
            include_str!("../../../spec/trip.saga.yaml"),
        );
        let all = emit(&saga, None, None).unwrap().to_string();
        assert_eq!(all, emit(&saga, None, None).unwrap().to_string());
        for service in ["FlightService", "HotelService", "PaymentService"] {
            assert!(all.contains(service), "{service}");
        }
        let flight = emit(&saga, Some("flight"), None).unwrap().to_string();
        assert!(flight.contains("FlightService") && !flight.contains("HotelService"));
        assert_eq!(
            emit(&saga, Some("hotell"), None).unwrap_err(),
            RustError::UnknownService {
                name: "hotell".into(),
                known: vec!["flight".into(), "hotel".into(), "payment".into()],
            }
        );
    }
}
