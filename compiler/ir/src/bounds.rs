//! Size bounds of the start request, derived from the limits its values
//! meet on the way through the saga.
//!
//! The API validates the start request and answers 202 before the saga
//! runs; a value that passes there but breaks a limit later fails mid-saga
//! (a 3,000-character `customer_id` passed the API and then failed the root
//! write: DynamoDB refuses a partition key over 2,048 bytes). So every
//! textual request field (string, date, timestamp, and decimal in its string
//! form) gets a `maxLength` in the API model that is safe against every
//! limit the value meets:
//!
//! 1. **Keys.** A request field's value reaches every entity (and view) field
//!    of the same name, and through it every key template that uses the
//!    field: the table's and the indexes' partition keys (2,048 bytes) and
//!    sort keys (1,024 bytes). A template's budget is its limit minus its
//!    literal text in UTF-8; fields with a bound of their own (the spec's
//!    `max_bytes` / `max_length`, an anchored `pattern`, an `enum`, or the
//!    type's: a date is 10 bytes, an int at most 20) take that bound, and the
//!    fields without one share the rest equally.
//! 2. **Payloads.** Step Functions refuses any state input or output over
//!    256 KiB, and the state carries the request several times: in its
//!    `request`, and in the result of every step that writes an entity (an
//!    entity written from the request), forward and compensation alike. A
//!    task's payload is a part of the state (least data: the step's `input`
//!    and a few context fields, never `Execution.Input`), so it fits when the
//!    state does. So the request, as JSON text, gets
//!    (256 KiB - a 16 KiB reserve for the rest of the payload) divided by
//!    that number of copies. JSON text can take 6 bytes per character (a
//!    `\u` escape), so a field's share in characters is a sixth of its share
//!    in bytes. Every DynamoDB item holds at most one copy of the request,
//!    so this also keeps items far below their 400 KB.
//! 3. **The saga id** names the execution: at most 80 characters.
//!
//! **Bytes and characters.** DynamoDB counts UTF-8 bytes; JSON Schema's
//! `maxLength` counts characters (code points; a UTF-16 validator counts a
//! supplementary character as two, which only makes the bound stricter). A
//! code point is at most 4 bytes, so a byte budget becomes a character bound
//! of a quarter of it, unless the field's `pattern` confines the whole value
//! to ASCII (anchored with `^` and `$`, ASCII-only classes), where one
//! character is one byte.
//!
//! 4. **Stored fields.** An entity or view field of the same name with its
//!    own `max_length` / `max_bytes` bounds the request field too.
//!
//! The spec can only tighten these bounds. A spec whose own bounds already
//! exceed a limit (a key template whose bounded fields add up to more than
//! the key allows, a request whose bounded fields exceed the payload budget,
//! a saga id allowed more than 80 characters) is refused.

use crate::ir::{Entity, Field, FieldType, KeyPart, KeyTemplate, View};

/// DynamoDB's limit of a partition key value (table and index keys), bytes.
pub const PARTITION_KEY_BYTES: u32 = 2048;
/// DynamoDB's limit of a sort key value (table and index keys), bytes.
pub const SORT_KEY_BYTES: u32 = 1024;
/// DynamoDB's limit of an item, bytes (400 KB).
pub const ITEM_BYTES: u32 = 400 * 1024;
/// Step Functions' limit of a state's input or output, and of the execution
/// input, bytes (256 KiB).
pub const PAYLOAD_BYTES: u32 = 256 * 1024;
/// What each payload keeps for everything but the request copies: the
/// context object, ids, errors, step outputs' own fields.
pub const PAYLOAD_RESERVE_BYTES: u32 = 16 * 1024;
/// Step Functions' limit of an execution name (the saga id), characters.
pub const EXECUTION_NAME_CHARS: u32 = 80;
/// Most UTF-8 bytes of one character.
const UTF8_MAX: u32 = 4;
/// Most bytes of one character in JSON text (`\u001f`).
const JSON_MAX: u32 = 6;

/// The bound a field's own declarations put on its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Own {
    /// Most UTF-8 bytes of the value's text.
    pub bytes: u32,
    /// Where the bound comes from, for diagnostics.
    pub source: OwnSource,
}

/// What makes a field's own bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnSource {
    /// `max_bytes`.
    MaxBytes,
    /// `max_length` (characters, times the bytes a character may take).
    MaxLength,
    /// An anchored `pattern`.
    Pattern,
    /// `enum`: the longest value.
    Enum,
    /// The type: a date, an int or a bool.
    Type,
}

impl OwnSource {
    /// The spec key that sets the bound, if one does.
    pub fn key(self) -> Option<&'static str> {
        match self {
            OwnSource::MaxBytes => Some("max_bytes"),
            OwnSource::MaxLength => Some("max_length"),
            OwnSource::Pattern => Some("pattern"),
            OwnSource::Enum => Some("enum"),
            OwnSource::Type => None,
        }
    }
}

/// Whether the field's value is text in the API model.
pub fn is_textual(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::String | FieldType::Date | FieldType::Timestamp | FieldType::Decimal
    )
}

/// What a pattern says about the whole value: most bytes, and whether it is
/// ASCII only. `None` unless the pattern is anchored at both ends (a JSON
/// Schema pattern matches anywhere in the value) and has a finite length.
pub fn pattern_bound(pattern: &str) -> Option<(u32, bool)> {
    let (bytes, ascii) = pattern_whole(pattern)?;
    Some((bytes?, ascii))
}

/// What an anchored pattern says about the whole value: most bytes (if
/// finite) and whether it is ASCII only; `None` when it is not anchored at
/// both ends or does not parse.
pub fn pattern_whole(pattern: &str) -> Option<(Option<u32>, bool)> {
    use regex_syntax::hir::Look;
    let hir = regex_syntax::parse(pattern).ok()?;
    let props = hir.properties();
    if !props.look_set_prefix().contains(Look::Start)
        || !props.look_set_suffix().contains(Look::End)
    {
        return None;
    }
    let bytes = props.maximum_len().and_then(|n| u32::try_from(n).ok());
    Some((bytes, ascii(&hir)))
}

/// Whether every character `hir` can match is ASCII.
fn ascii(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(literal) => literal.0.is_ascii(),
        HirKind::Class(Class::Unicode(class)) => class.ranges().iter().all(|r| r.end().is_ascii()),
        HirKind::Class(Class::Bytes(class)) => class.ranges().iter().all(|r| r.end().is_ascii()),
        HirKind::Repetition(rep) => ascii(&rep.sub),
        HirKind::Capture(capture) => ascii(&capture.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().all(ascii),
    }
}

/// Whether the field's value is ASCII only: its type's text form is, or its
/// pattern or enum confines it.
pub fn ascii_only(field: &Field) -> bool {
    match field.ty {
        FieldType::Date | FieldType::Int | FieldType::Bool => true,
        // The decimal pattern of the API model is ASCII; a timestamp's
        // `format` is not checked by draft 4 validators.
        FieldType::Decimal => true,
        FieldType::String | FieldType::Timestamp => {
            (!field.one_of.is_empty() && field.one_of.iter().all(|v| v.is_ascii()))
                || field
                    .pattern
                    .as_deref()
                    .and_then(pattern_whole)
                    .is_some_and(|(_, ascii)| ascii)
        }
    }
}

/// The bytes one character of the field may take in UTF-8.
pub fn bytes_per_char(field: &Field) -> u32 {
    if ascii_only(field) { 1 } else { UTF8_MAX }
}

/// The bound the field's own declarations put on its text, in bytes (the
/// smallest), if any. `max_length` here is the spec's own, before bounds are
/// derived.
pub fn own(field: &Field) -> Option<Own> {
    let mut best: Option<Own> = None;
    let mut offer = |bytes: u32, source: OwnSource| {
        if best.is_none_or(|b| bytes < b.bytes) {
            best = Some(Own { bytes, source });
        }
    };
    match field.ty {
        FieldType::Date => offer(10, OwnSource::Type),
        // i64: 19 digits and a sign.
        FieldType::Int => offer(20, OwnSource::Type),
        FieldType::Bool => offer(5, OwnSource::Type),
        _ => {}
    }
    if let Some(bytes) = field.max_bytes {
        offer(bytes, OwnSource::MaxBytes);
    }
    if let Some(chars) = field.max_length {
        offer(
            chars.saturating_mul(bytes_per_char(field)),
            OwnSource::MaxLength,
        );
    }
    if let Some((bytes, _)) = field.pattern.as_deref().and_then(pattern_bound) {
        offer(bytes, OwnSource::Pattern);
    }
    if !field.one_of.is_empty() {
        let longest = field.one_of.iter().map(String::len).max().unwrap_or(0);
        offer(u32::try_from(longest).unwrap_or(u32::MAX), OwnSource::Enum);
    }
    best
}

/// Which key of which item a template builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySite {
    /// A key of an entity in the single table.
    Entity {
        /// The entity.
        entity: String,
        /// Which key.
        key: KeyRole,
    },
    /// A key of a view row in its view table.
    View {
        /// The view.
        view: String,
        /// Which key.
        key: KeyRole,
    },
}

/// A key attribute of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRole {
    /// The table's partition key.
    Pk,
    /// The table's sort key.
    Sk,
    /// An index's partition key.
    IndexPk(String),
    /// An index's sort key.
    IndexSk(String),
}

impl KeyRole {
    /// DynamoDB's limit of the attribute, bytes.
    pub fn limit(&self) -> u32 {
        match self {
            KeyRole::Pk | KeyRole::IndexPk(_) => PARTITION_KEY_BYTES,
            KeyRole::Sk | KeyRole::IndexSk(_) => SORT_KEY_BYTES,
        }
    }

    /// "partition key" or "sort key".
    pub fn kind(&self) -> &'static str {
        match self {
            KeyRole::Pk | KeyRole::IndexPk(_) => "partition key",
            KeyRole::Sk | KeyRole::IndexSk(_) => "sort key",
        }
    }
}

/// A field's derived bound at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// Most UTF-8 bytes.
    pub bytes: u32,
    /// Most characters (`maxLength`).
    pub chars: u32,
}

/// A limit the spec's own bounds already exceed.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// The bounded fields of a key template (and its literal text) can be
    /// longer than the key allows, or leave no byte for its other fields.
    Key {
        /// The template's key.
        site: KeySite,
        /// The template.
        template: String,
        /// The most bytes the bounded parts add up to.
        bytes: u64,
        /// The field whose own bound is largest, and where it comes from.
        largest: Option<(String, Own)>,
        /// Fields without a bound left with no room.
        starved: Vec<String>,
    },
    /// The request's bounded fields, as JSON text, exceed each payload's
    /// budget for a copy of the request.
    Payload {
        /// The most bytes they add up to.
        bytes: u64,
        /// The budget of one copy.
        budget: u32,
        /// How many copies a payload may carry.
        copies: u32,
        /// The field whose own bound is largest.
        largest: Option<(String, Own)>,
    },
    /// The saga id may be longer than an execution name.
    SagaId {
        /// Its most characters.
        chars: u32,
        /// Where the bound comes from.
        source: Option<OwnSource>,
    },
}

/// What the request fields must respect.
#[derive(Debug, Default)]
pub struct Derived {
    /// Per request field (by position), its bound; `None` for a field that is
    /// not text (int, bool).
    pub bounds: Vec<Option<Bound>>,
    /// The limits the spec's own bounds exceed.
    pub violations: Vec<Violation>,
}

/// The key templates of the saga, with the fields they draw from.
fn key_uses<'a>(
    entities: &'a [Entity],
    views: &'a [View],
) -> Vec<(KeySite, &'a KeyTemplate, &'a [Field])> {
    let mut out = Vec::new();
    for entity in entities {
        let site = |key| KeySite::Entity {
            entity: entity.name.clone(),
            key,
        };
        out.push((site(KeyRole::Pk), &entity.pk, entity.fields.as_slice()));
        out.push((site(KeyRole::Sk), &entity.sk, entity.fields.as_slice()));
        for index in &entity.indexes {
            out.push((
                site(KeyRole::IndexPk(index.index.clone())),
                &index.pk,
                entity.fields.as_slice(),
            ));
            if let Some(sk) = &index.sk {
                out.push((
                    site(KeyRole::IndexSk(index.index.clone())),
                    sk,
                    entity.fields.as_slice(),
                ));
            }
        }
    }
    for view in views {
        let site = |key| KeySite::View {
            view: view.name.clone(),
            key,
        };
        out.push((site(KeyRole::Pk), &view.pk, view.fields.as_slice()));
        if let Some(sk) = &view.sk {
            out.push((site(KeyRole::Sk), sk, view.fields.as_slice()));
        }
        for index in &view.indexes {
            out.push((
                site(KeyRole::IndexPk(index.index.clone())),
                &index.pk,
                view.fields.as_slice(),
            ));
            if let Some(sk) = &index.sk {
                out.push((
                    site(KeyRole::IndexSk(index.index.clone())),
                    sk,
                    view.fields.as_slice(),
                ));
            }
        }
    }
    out
}

fn smaller(a: Option<u32>, b: u32) -> Option<u32> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// Derives the bound of every request field. `copies`: how many copies of
/// the request one task payload may carry (see the module docs).
pub fn derive(
    request: &[Field],
    entities: &[Entity],
    views: &[View],
    id_field: &str,
    copies: u32,
) -> Derived {
    let mut violations = Vec::new();
    // Byte budgets from the keys, per request field.
    let mut key_bytes: Vec<Option<u32>> = vec![None; request.len()];
    let request_own: Vec<Option<Own>> = request.iter().map(own).collect();
    // A value also meets the spec's own length bounds of the entity and view
    // fields it reaches (same name): the API keeps it within them too.
    let mut stored_chars: Vec<Option<u32>> = vec![None; request.len()];
    for (i, field) in request.iter().enumerate() {
        let stored = entities
            .iter()
            .flat_map(|e| e.fields.iter())
            .chain(views.iter().flat_map(|v| v.fields.iter()))
            .filter(|f| f.name == field.name);
        for f in stored {
            if let Some(bytes) = f.max_bytes {
                key_bytes[i] = smaller(key_bytes[i], bytes);
            }
            if let Some(chars) = f.max_length {
                stored_chars[i] = smaller(stored_chars[i], chars);
            }
        }
    }

    for (site, template, fields) in key_uses(entities, views) {
        if template.parts.is_empty() {
            continue; // A broken template, already reported.
        }
        let literal: u64 = template
            .parts
            .iter()
            .map(|p| match p {
                KeyPart::Literal(l) => l.len() as u64,
                KeyPart::Field(_) => 0,
            })
            .sum();
        let mut known = literal;
        let mut largest: Option<(String, Own)> = None;
        let mut unknown: Vec<&str> = Vec::new();
        for name in template.fields() {
            // The value is bounded by the stored field's own bound and, when
            // it comes from the request, by the request field's.
            let stored = fields.iter().find(|f| f.name == name).and_then(own);
            let from_request = request
                .iter()
                .position(|r| r.name == name)
                .and_then(|i| request_own[i]);
            let bound = match (stored, from_request) {
                (Some(a), Some(b)) => Some(if a.bytes <= b.bytes { a } else { b }),
                (a, b) => a.or(b),
            };
            match bound {
                Some(b) => {
                    known += u64::from(b.bytes);
                    if largest.as_ref().is_none_or(|(_, l)| b.bytes > l.bytes) {
                        largest = Some((name.to_owned(), b));
                    }
                }
                None => unknown.push(name),
            }
        }
        let limit = u64::from(site_role(&site).limit());
        let rest = limit.saturating_sub(known);
        let share = match u64::try_from(unknown.len()) {
            Ok(0) | Err(_) => rest,
            Ok(n) => rest / n,
        };
        if known > limit || (!unknown.is_empty() && share == 0) {
            violations.push(Violation::Key {
                site: site.clone(),
                template: template.to_string(),
                bytes: known,
                largest,
                starved: if known > limit {
                    Vec::new()
                } else {
                    unknown.iter().map(|s| (*s).to_owned()).collect()
                },
            });
            continue;
        }
        let share = u32::try_from(share).unwrap_or(u32::MAX);
        for name in unknown {
            if let Some(i) = request.iter().position(|r| r.name == name) {
                key_bytes[i] = smaller(key_bytes[i], share);
            }
        }
    }

    // The payload budget: the request as JSON text, once per copy.
    let copies = copies.max(1);
    let budget = PAYLOAD_BYTES.saturating_sub(PAYLOAD_RESERVE_BYTES) / copies;
    // `"name":"value",` around each value.
    let overhead: u64 = request.iter().map(|f| f.name.len() as u64 + 6).sum();
    let mut known = overhead;
    let mut largest: Option<(String, Own)> = None;
    let mut unknown = 0u64;
    for (field, own) in request.iter().zip(&request_own) {
        match own {
            Some(own) => {
                // A type's own text (digits, a date) needs no escapes.
                let factor = if own.source == OwnSource::Type {
                    1
                } else {
                    JSON_MAX
                };
                known += u64::from(own.bytes) * u64::from(factor);
                if largest.as_ref().is_none_or(|(_, l)| own.bytes > l.bytes) {
                    largest = Some((field.name.clone(), *own));
                }
            }
            None => unknown += 1,
        }
    }
    // What each field without a bound may take, in bytes of JSON (`None`
    // when every field has a bound).
    let share = u64::from(budget)
        .checked_sub(known)
        .map(|rest| rest.checked_div(unknown));
    let payload_chars = match share {
        // Over the budget, or not one character left for a field.
        None | Some(Some(0..6)) => {
            violations.push(Violation::Payload {
                bytes: known,
                budget,
                copies,
                largest,
            });
            None
        }
        Some(Some(share)) => Some(u32::try_from(share / u64::from(JSON_MAX)).unwrap_or(u32::MAX)),
        Some(None) => None,
    };

    let mut bounds = Vec::with_capacity(request.len());
    for (i, field) in request.iter().enumerate() {
        let per_char = bytes_per_char(field);
        let own_chars = field.max_length;
        let own_bytes = request_own[i].map(|o| o.bytes);
        if field.name == id_field {
            // The spec's own longest id, in characters.
            // A character is at least one byte, so a byte bound is one in
            // characters too.
            let chars = match (own_chars, own_bytes) {
                (Some(c), Some(b)) => Some(c.min(b)),
                (c, b) => c.or(b),
            };
            if let Some(chars) = chars
                && chars > EXECUTION_NAME_CHARS
            {
                violations.push(Violation::SagaId {
                    chars,
                    source: request_own[i].map(|o| o.source),
                });
            }
        }
        if !is_textual(field.ty) {
            bounds.push(None);
            continue;
        }
        // Bytes: the smallest of the field's own bound and its key budgets;
        // characters: the bytes' worth, the payload share, the spec's own.
        let mut bytes = own_bytes;
        if let Some(k) = key_bytes[i] {
            bytes = smaller(bytes, k);
        }
        let mut chars = own_chars;
        if let Some(b) = bytes {
            // An own bound in bytes from a pattern or enum is also one in
            // characters (a character is at least one byte).
            let from_bytes = if request_own[i].is_some_and(|o| Some(o.bytes) == bytes)
                && request_own[i].is_some_and(|o| {
                    matches!(
                        o.source,
                        OwnSource::Pattern | OwnSource::Enum | OwnSource::Type
                    )
                }) {
                b
            } else {
                b / per_char
            };
            chars = smaller(chars, from_bytes);
        }
        if request_own[i].is_none()
            && let Some(p) = payload_chars
        {
            chars = smaller(chars, p);
        }
        if let Some(c) = stored_chars[i] {
            chars = smaller(chars, c);
        }
        if field.name == id_field {
            chars = smaller(chars, EXECUTION_NAME_CHARS);
        }
        // A field with no bound at all (payload budget already exceeded and
        // no key) still gets one: the payload's worth.
        let chars = chars.unwrap_or(budget / JSON_MAX);
        let bytes = bytes.unwrap_or(chars.saturating_mul(per_char));
        bounds.push(Some(Bound {
            bytes: bytes.min(chars.saturating_mul(per_char)),
            chars,
        }));
    }
    Derived { bounds, violations }
}

fn site_role(site: &KeySite) -> &KeyRole {
    match site {
        KeySite::Entity { key, .. } | KeySite::View { key, .. } => key,
    }
}

/// The item-size limit holds whenever the payload budget does: an item
/// carries at most one copy of the request, and one copy's budget is below
/// it. Checked at compile time.
const _: () = assert!(PAYLOAD_BYTES - PAYLOAD_RESERVE_BYTES < ITEM_BYTES);

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, ty: FieldType) -> Field {
        Field::new(name, ty)
    }

    fn lit(text: &str) -> KeyPart {
        KeyPart::Literal(text.into())
    }

    fn var(name: &str) -> KeyPart {
        KeyPart::Field(name.into())
    }

    fn key(parts: &[KeyPart]) -> KeyTemplate {
        KeyTemplate {
            parts: parts.to_vec(),
        }
    }

    #[test]
    fn patterns_bound_only_when_anchored() {
        assert_eq!(pattern_bound("^[A-Za-z0-9-]{8,64}$"), Some((64, true)));
        assert_eq!(pattern_bound("^[A-Z]{3}$"), Some((3, true)));
        assert_eq!(pattern_bound("[A-Z]{3}"), None);
        assert_eq!(pattern_bound("^[A-Z]+$"), None);
        assert_eq!(pattern_whole("^[A-Z]+$"), Some((None, true)));
        assert_eq!(pattern_whole("^[A-Z]+"), None);
        // `.` matches any character: 4 bytes each.
        assert_eq!(pattern_bound("^.{2}$"), Some((8, false)));
    }

    #[test]
    fn stored_fields_bound_the_request_too() {
        let mut stored = field("note", FieldType::String);
        stored.max_length = Some(10);
        let entity = Entity {
            name: "Trip".into(),
            is_root: true,
            pk: key(&[lit("TRIP#"), var("trip_id")]),
            sk: key(&[lit("METADATA")]),
            indexes: vec![],
            fields: vec![field("trip_id", FieldType::String), stored],
        };
        let request = [
            field("trip_id", FieldType::String),
            field("note", FieldType::String),
        ];
        let derived = derive(&request, &[entity], &[], "trip_id", 2);
        assert_eq!(derived.bounds[1].unwrap().chars, 10);
        assert_eq!(
            derived.bounds[0].unwrap().chars,
            80,
            "the saga id names the execution"
        );
    }

    #[test]
    fn key_budgets_are_shared_and_counted_in_bytes() {
        let customer = field("customer_id", FieldType::String);
        let entity = Entity {
            name: "Trip".into(),
            is_root: true,
            pk: key(&[lit("CUSTOMER#"), var("customer_id")]),
            sk: key(&[lit("METADATA")]),
            indexes: vec![],
            fields: vec![customer.clone()],
        };
        let derived = derive(&[customer], &[entity], &[], "trip_id", 2);
        let bound = derived.bounds[0].unwrap();
        assert_eq!(bound.bytes, (2048 - 9) / 4 * 4);
        assert_eq!(bound.chars, (2048 - 9) / 4);
        assert!(derived.violations.is_empty());
    }
}
