//! `#[sagac_macros::service]`: an implementation of a service trait, read
//! against the spec.
//!
//! rustc's own errors about an implementation that no longer matches the
//! spec (E0046 for a method the trait gained, E0609/E0560/E0026 for a field
//! that was renamed, E0063 for one that was added) name only generated
//! code: rustc cannot point into a YAML file. So the attribute hands the
//! implementation, through a hidden macro the `saga!` expansion defines
//! beside the trait (with the trait's name, in the macro namespace), to
//! [`check`], together with the service's `ServiceShape`: the trait's
//! methods and the generated structs, each with the `file:line:column` of
//! its declaration. The check reports, at the user's tokens, what the spec
//! asks for and where it says so; rustc's own errors follow unchanged, and
//! the implementation itself is expanded exactly as written.
//!
//! Only what is certain from the syntax is checked, so the check can add
//! errors to broken code but never refuse working code:
//!
//! - methods: every method of the shape must be in the impl;
//! - field accesses on values whose type is known: a method parameter
//!   written with a generated type (the trait fixes it: `command:
//!   ReserveFlightCommand`), a `let` binding of such a value or of one of
//!   its generated fields (`let input = command.input;`), never a name bound
//!   twice or by a closure, `match` or `for` pattern;
//! - struct expressions and patterns (`FlightReservation { .. }`) naming a
//!   generated struct by a path that the impl's method signatures also
//!   write (so it resolves to the generated type: the trait fixes the
//!   signatures), or `<module>::Name`, unless the method body declares that
//!   name itself.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use sagac_core::diagnostic::suggest;
use sagac_core::emit::rust::shape::{FieldShape, ServiceShape, TypeShape};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, ImplItem, ImplItemFn, ItemImpl, LitStr, Member, Pat, Token};

/// `#[sagac_macros::service]` on `impl <Trait> for <Type>`: the hidden
/// macro named like the trait, over the implementation.
pub(crate) fn service(attr: TokenStream2, item: TokenStream2) -> TokenStream2 {
    let mut errors = TokenStream2::new();
    if !attr.is_empty() {
        errors.extend(
            syn::Error::new_spanned(&attr, "`#[sagac_macros::service]` takes no arguments")
                .to_compile_error(),
        );
    }
    let implementation = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(implementation) if implementation.trait_.is_some() => implementation,
        _ => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[sagac_macros::service]` goes on the implementation of a service trait that \
                 `saga!` generated in this crate: `impl FlightService for Flight { .. }`",
            )
            .to_compile_error();
            return quote!(#errors #error #item);
        }
    };
    let Some((_, path, _)) = &implementation.trait_ else {
        unreachable!("checked above");
    };
    // The trait's path names the hidden macro too: `FlightService!`,
    // `trip_booking::FlightService!`.
    let mut path = path.clone();
    if let Some(last) = path.segments.last_mut() {
        last.arguments = syn::PathArguments::None;
    }
    quote! {
        #errors
        #path! { #implementation }
    }
}

/// The hidden macro's input: the shape's JSON, then the implementation.
struct Input {
    shape: LitStr,
    implementation: ItemImpl,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Ok(Input {
            shape: input.parse()?,
            implementation: input.parse()?,
        })
    }
}

/// `__check_service!`: the implementation, unchanged, and one compile
/// error per place where it departs from the spec.
pub(crate) fn check(input: TokenStream2) -> TokenStream2 {
    let Input {
        shape,
        implementation,
    } = match syn::parse2::<Input>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let shape = match ServiceShape::from_json(&shape.value()) {
        Ok(shape) => shape,
        Err(e) => {
            let error = syn::Error::new(
                shape.span(),
                format!(
                    "the service shape of this `saga!` expansion cannot be read ({e}): \
                     are sagac-macros and the expansion from the same version?"
                ),
            )
            .to_compile_error();
            return quote!(#error #implementation);
        }
    };
    let mut errors = Vec::new();
    missing_methods(&shape, &implementation, &mut errors);
    let certain = certain_types(&shape, &implementation);
    for item in &implementation.items {
        if let ImplItem::Fn(method) = item {
            check_body(&shape, &certain, method, &mut errors);
        }
    }
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote! {
        #(#errors)*
        #implementation
    }
}

/// `` `name` (file:line:col)``, or `` `name` `` when the position is
/// unknown.
fn named(name: &str, declared: Option<&String>) -> String {
    match declared {
        Some(at) => format!("`{name}` ({at})"),
        None => format!("`{name}`"),
    }
}

fn missing_methods(shape: &ServiceShape, implementation: &ItemImpl, errors: &mut Vec<syn::Error>) {
    let written: BTreeSet<String> = implementation
        .items
        .iter()
        .filter_map(|item| match item {
            ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    let Some((_, path, _)) = &implementation.trait_ else {
        return;
    };
    for method in shape.methods.iter().filter(|m| !written.contains(&m.name)) {
        let declared = method
            .declared
            .as_ref()
            .map(|at| format!(", declared at {at}"))
            .unwrap_or_default();
        errors.push(syn::Error::new_spanned(
            path,
            format!(
                "`{}` is missing `{}`: the spec asks the `{}` service for {}{declared}\n\
                 add: {} {{ .. }}",
                shape.trait_name,
                method.name,
                shape.service,
                method.what,
                method.signature()
            ),
        ));
    }
}

/// The generated struct a type path names, if its last segment is one.
fn shape_name<'a>(shape: &'a ServiceShape, path: &syn::Path) -> Option<&'a TypeShape> {
    let last = path.segments.last()?;
    shape.type_(&last.ident.to_string())
}

/// The generated structs the impl's signatures name by a single identifier
/// (`ReserveFlightCommand`, `FlightReservation` in `Result<..>`).
fn certain_types(shape: &ServiceShape, implementation: &ItemImpl) -> BTreeSet<String> {
    struct Names<'a> {
        shape: &'a ServiceShape,
        found: BTreeSet<String>,
    }
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_type_path(&mut self, ty: &'ast syn::TypePath) {
            if ty.qself.is_none()
                && ty.path.segments.len() == 1
                && let Some(t) = shape_name(self.shape, &ty.path)
            {
                self.found.insert(t.name.clone());
            }
            visit::visit_type_path(self, ty);
        }
    }
    let mut names = Names {
        shape,
        found: BTreeSet::new(),
    };
    for item in &implementation.items {
        if let ImplItem::Fn(method) = item {
            names.visit_signature(&method.sig);
        }
    }
    names.found
}

/// Every name a pattern binds, with whether the pattern is a plain
/// identifier (`x`, `mut x`, `x: T`).
fn bindings(pat: &Pat, out: &mut Vec<String>) {
    struct Bound<'a>(&'a mut Vec<String>);
    impl<'ast> Visit<'ast> for Bound<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            visit::visit_pat_ident(self, p);
        }
    }
    Bound(out).visit_pat(pat);
}

/// The identifier a pattern is, if it is one (`x`, `mut x`, `x: T`).
fn plain(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.to_string()),
        Pat::Type(p) => plain(&p.pat),
        _ => None,
    }
}

/// How often each name is bound in a method (parameters included), and the
/// names bound by anything but a `let` or a parameter, or declared by an
/// item or `use` in the body.
#[derive(Default)]
struct Scope {
    bound: BTreeMap<String, usize>,
    untracked: BTreeSet<String>,
    declared: BTreeSet<String>,
}

impl<'ast> Visit<'ast> for Scope {
    fn visit_local(&mut self, local: &'ast syn::Local) {
        let mut names = Vec::new();
        bindings(&local.pat, &mut names);
        for name in names {
            *self.bound.entry(name).or_default() += 1;
        }
        if let Some(init) = &local.init {
            self.visit_local_init(init);
        }
    }

    fn visit_pat(&mut self, pat: &'ast Pat) {
        // Reached for closure, match, `for` and `if let` patterns only
        // (`let` is handled above): what they bind is never tracked.
        let mut names = Vec::new();
        bindings(pat, &mut names);
        self.untracked.extend(names);
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        let name = match item {
            syn::Item::Struct(i) => Some(&i.ident),
            syn::Item::Enum(i) => Some(&i.ident),
            syn::Item::Type(i) => Some(&i.ident),
            syn::Item::Union(i) => Some(&i.ident),
            syn::Item::Use(u) => {
                use_names(&u.tree, &mut self.declared);
                None
            }
            _ => None,
        };
        if let Some(name) = name {
            self.declared.insert(name.to_string());
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(exprs) = macro_exprs(mac) {
            for expr in &exprs {
                self.visit_expr(expr);
            }
        }
    }
}

fn use_names(tree: &syn::UseTree, out: &mut BTreeSet<String>) {
    match tree {
        syn::UseTree::Path(p) => use_names(&p.tree, out),
        syn::UseTree::Name(n) => {
            out.insert(n.ident.to_string());
        }
        syn::UseTree::Rename(r) => {
            out.insert(r.rename.to_string());
        }
        syn::UseTree::Glob(_) => {
            // Anything may come into scope: nothing is certain.
            out.insert("*".to_owned());
        }
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
    }
}

/// A macro's arguments, when they read as comma-separated expressions
/// (`format!`, `assert_eq!`, `tracing::info!(seats = input.seats, ..)`).
fn macro_exprs(mac: &syn::Macro) -> Option<Punctuated<Expr, Token![,]>> {
    Punctuated::<Expr, Token![,]>::parse_terminated
        .parse2(mac.tokens.clone())
        .ok()
}

fn check_body(
    shape: &ServiceShape,
    certain: &BTreeSet<String>,
    method: &ImplItemFn,
    errors: &mut Vec<syn::Error>,
) {
    let mut scope = Scope::default();
    let mut parameters = Vec::new();
    for input in &method.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            let mut names = Vec::new();
            bindings(&typed.pat, &mut names);
            for name in names {
                *scope.bound.entry(name).or_default() += 1;
            }
            if let (Some(name), syn::Type::Path(ty)) = (plain(&typed.pat), &*typed.ty)
                && let Some(t) = shape_name(shape, &ty.path)
            {
                parameters.push((name, t.name.clone()));
            }
        }
    }
    scope.visit_block(&method.block);
    let trackable =
        |name: &str| scope.bound.get(name) == Some(&1) && !scope.untracked.contains(name);
    let mut certain = certain.clone();
    if scope.declared.contains("*") {
        certain.clear();
    }
    certain.retain(|name| !scope.declared.contains(name));
    let mut checker = Checker {
        shape,
        certain,
        known: parameters
            .into_iter()
            .filter(|(name, _)| trackable(name))
            .collect(),
        trackable: scope
            .bound
            .keys()
            .filter(|name| trackable(name))
            .cloned()
            .collect(),
        errors,
    };
    checker.visit_block(&method.block);
}

/// Walks one method body with what is known of its values' types.
struct Checker<'a> {
    shape: &'a ServiceShape,
    /// Generated structs a bare name in this body certainly means.
    certain: BTreeSet<String>,
    /// Bindings whose type is a generated struct, by name.
    known: BTreeMap<String, String>,
    /// Names bound exactly once, by a `let` or a parameter.
    trackable: BTreeSet<String>,
    errors: &'a mut Vec<syn::Error>,
}

impl Checker<'_> {
    /// The generated struct `expr` certainly is, if any.
    fn type_of(&self, expr: &Expr) -> Option<&TypeShape> {
        match expr {
            Expr::Path(p) if p.qself.is_none() => {
                let ident = p.path.get_ident()?;
                self.shape.type_(self.known.get(&ident.to_string())?)
            }
            Expr::Field(f) => {
                let base = self.type_of(&f.base)?;
                let Member::Named(name) = &f.member else {
                    return None;
                };
                self.shape
                    .type_(base.field(&name.to_string())?.of.as_ref()?)
            }
            Expr::Paren(p) => self.type_of(&p.expr),
            Expr::Group(g) => self.type_of(&g.expr),
            Expr::Reference(r) => self.type_of(&r.expr),
            Expr::MethodCall(m) if m.method == "clone" && m.args.is_empty() => {
                self.type_of(&m.receiver)
            }
            _ => None,
        }
    }

    /// The generated struct a struct expression or pattern certainly names.
    fn named_type(&self, path: &syn::Path) -> Option<&TypeShape> {
        let t = shape_name(self.shape, path)?;
        let certain = match path.segments.len() {
            1 => path.leading_colon.is_none() && self.certain.contains(&t.name),
            2 => path.segments[0].ident == self.shape.module,
            _ => false,
        };
        certain.then_some(t)
    }

    fn unknown_field(&mut self, ty: &TypeShape, field: &syn::Ident) {
        let name = field.to_string();
        let mut message = format!("`{}` has no field `{name}`", ty.name);
        if let Some(best) = suggest(&name, ty.fields.iter().map(|f| f.name.as_str()))
            .and_then(|best| ty.field(best))
        {
            message.push_str(&format!(
                "\ndid you mean {}?",
                named(&best.name, best.declared.as_ref())
            ));
        }
        let fields: Vec<String> = ty.fields.iter().map(|f| format!("`{}`", f.name)).collect();
        let declared = ty
            .declared
            .as_ref()
            .map(|at| format!(", declared at {at}"))
            .unwrap_or_default();
        message.push_str(&format!(
            "\n`{}` is {}{declared}; its fields: {}",
            ty.name,
            ty.what,
            if fields.is_empty() {
                "none".to_owned()
            } else {
                fields.join(", ")
            }
        ));
        self.errors.push(syn::Error::new(field.span(), message));
    }

    fn missing_fields(&mut self, ty: &TypeShape, path: &syn::Path, given: &BTreeSet<String>) {
        let missing: Vec<&FieldShape> = ty
            .fields
            .iter()
            .filter(|f| !given.contains(&f.name))
            .collect();
        if missing.is_empty() {
            return;
        }
        let list: Vec<String> = missing
            .iter()
            .map(|f| named(&f.name, f.declared.as_ref()))
            .collect();
        self.errors.push(syn::Error::new_spanned(
            path,
            format!(
                "`{}` is missing {}: the spec declares {} for {}",
                ty.name,
                list.join(", "),
                if missing.len() == 1 { "it" } else { "them" },
                ty.what
            ),
        ));
    }

    fn struct_fields<'f>(
        &mut self,
        ty: &TypeShape,
        path: &syn::Path,
        members: impl Iterator<Item = &'f Member>,
        complete: bool,
    ) {
        let mut given = BTreeSet::new();
        for member in members {
            if let Member::Named(name) = member {
                if ty.field(&name.to_string()).is_none() {
                    self.unknown_field(ty, name);
                }
                given.insert(name.to_string());
            }
        }
        if complete {
            self.missing_fields(ty, path, &given);
        }
    }
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init {
            self.visit_local_init(init);
        }
        let known = local
            .init
            .as_ref()
            .and_then(|init| self.type_of(&init.expr))
            .map(|t| t.name.clone());
        match (&local.pat, known) {
            (pat, Some(ty)) if plain(pat).is_some_and(|name| self.trackable.contains(&name)) => {
                let name = plain(pat).unwrap_or_default();
                self.known.insert(name, ty);
            }
            (Pat::Struct(pat), Some(ty))
                if shape_name(self.shape, &pat.path).is_some_and(|t| t.name == ty) =>
            {
                if let Some(t) = self.shape.type_(&ty).cloned() {
                    let members = pat.fields.iter().map(|f| &f.member);
                    self.struct_fields(&t, &pat.path, members, pat.rest.is_none());
                }
                for field in &pat.fields {
                    self.visit_pat(&field.pat);
                }
            }
            _ => self.visit_pat(&local.pat),
        }
    }

    fn visit_expr_field(&mut self, expr: &'ast syn::ExprField) {
        self.visit_expr(&expr.base);
        if let Member::Named(name) = &expr.member
            && let Some(ty) = self.type_of(&expr.base)
            && ty.field(&name.to_string()).is_none()
        {
            let ty = ty.clone();
            self.unknown_field(&ty, name);
        }
    }

    fn visit_expr_struct(&mut self, expr: &'ast syn::ExprStruct) {
        if expr.qself.is_none()
            && let Some(ty) = self.named_type(&expr.path).cloned()
        {
            let members = expr.fields.iter().map(|f| &f.member);
            self.struct_fields(&ty, &expr.path, members, expr.dot2_token.is_none());
        }
        visit::visit_expr_struct(self, expr);
    }

    fn visit_pat_struct(&mut self, pat: &'ast syn::PatStruct) {
        if pat.qself.is_none()
            && let Some(ty) = self.named_type(&pat.path).cloned()
        {
            let members = pat.fields.iter().map(|f| &f.member);
            self.struct_fields(&ty, &pat.path, members, pat.rest.is_none());
        }
        visit::visit_pat_struct(self, pat);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {
        // A nested item is its own scope: nothing of this body reaches it.
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if let Some(exprs) = macro_exprs(mac) {
            for expr in &exprs {
                self.visit_expr(expr);
            }
        }
    }
}
