//! YAML to a tree of spanned nodes.
//!
//! The tree is built from saphyr-parser's event stream rather than through a
//! serde deserializer, because diagnostics need the position of every key and
//! value, not only of syntax errors. The builder enforces the limits that make
//! hostile input harmless: a size limit, a nesting limit, and a budget on the
//! nodes alias expansion may create. Duplicate keys, several documents,
//! custom tags and complex keys are refused with a diagnostic.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{CharIndex, Span};

/// Largest spec accepted, in bytes.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting of mappings and sequences accepted.
pub const MAX_DEPTH: usize = 64;
/// Most nodes the document may hold once aliases are expanded.
pub const MAX_NODES: usize = 1_000_000;
/// Most nodes alias expansion alone may add. Shared retry policies across a
/// thousand steps stay far below it; a "billion laughs" document crosses it
/// before the copying costs noticeable time, even in a debug build.
pub const MAX_ALIASED_NODES: usize = 100_000;

/// A key of a mapping, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where the key is written.
    pub span: Span,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string (any quoted scalar, or a plain scalar that is not another type).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Key, Node)>),
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the node is written (for an alias: where its anchor is).
    pub span: Span,
    /// Number of nodes in this subtree, itself included.
    size: usize,
}

impl Node {
    fn new(value: Value, span: Span) -> Self {
        let size = 1 + match &value {
            Value::Seq(items) => items.iter().map(|n| n.size).sum(),
            Value::Map(entries) => entries.iter().map(|(_, n)| n.size).sum(),
            _ => 0,
        };
        Node { value, span, size }
    }

    /// The entry for `key`, if this is a mapping that has one.
    pub fn get(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// Converts the tree to JSON for schema validation and typed decoding.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            // NaN and infinities have no JSON form; as strings they fail the
            // schema's type check with a clear message instead of vanishing.
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(f.to_string())),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// One step of a path into the tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// Finds the node at `path`, and the key span of its last segment when that
/// segment is a mapping key. Returns the deepest node reached when the path
/// does not exist (so a diagnostic still points somewhere sensible).
pub fn lookup<'a>(root: &'a Node, path: &[Segment]) -> (&'a Node, Option<Span>, bool) {
    let mut node = root;
    let mut key_span = None;
    for segment in path {
        let next = match (segment, &node.value) {
            (Segment::Key(key), Value::Map(_)) => node.get(key).map(|(k, v)| (Some(k.span), v)),
            (Segment::Index(i), Value::Seq(items)) => items.get(*i).map(|v| (None, v)),
            _ => None,
        };
        match next {
            Some((span, child)) => {
                key_span = span;
                node = child;
            }
            None => return (node, key_span, false),
        }
    }
    (node, key_span, true)
}

/// Parses `text` into a single document tree, or returns every problem found.
pub fn parse(text: &str) -> Result<Node, Vec<Diagnostic>> {
    if text.len() > MAX_BYTES {
        return Err(vec![Diagnostic::new(
            Code::TooLarge,
            None,
            format!(
                "the file is {} bytes; specs are limited to {} bytes",
                text.len(),
                MAX_BYTES
            ),
        )]);
    }
    Builder::new(text).run()
}

/// Checks that raw bytes are UTF-8 text without NUL bytes, and returns the
/// text, or a diagnostic whose span points at the first offending byte.
// The error is rare and moves straight into the diagnostics list; boxing it
// would only add an allocation to the caller.
#[allow(clippy::result_large_err)]
pub fn decode(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if bytes.len() > MAX_BYTES {
        return Err(Diagnostic::new(
            Code::TooLarge,
            None,
            format!(
                "the file is {} bytes; specs are limited to {} bytes",
                bytes.len(),
                MAX_BYTES
            ),
        ));
    }
    // UTF-16 is what some Windows editors save; say so rather than point at
    // an "invalid byte" the author cannot see.
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Diagnostic::new(
            Code::NotText,
            Span::point(0),
            "the file is UTF-16 text (it starts with a UTF-16 byte-order mark)",
        )
        .label("UTF-16 byte-order mark")
        .help("save the spec as UTF-8"));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => match text.find('\0') {
            Some(at) => Err(Diagnostic::new(
                Code::NotText,
                Span::new(at, at + 1),
                "the file contains a NUL byte; it looks like a binary file",
            )
            .label("NUL byte")),
            None => Ok(text),
        },
        Err(error) => {
            let at = error.valid_up_to();
            Err(Diagnostic::new(
                Code::NotText,
                Span::point(at),
                format!("the file is not valid UTF-8 (invalid byte at offset {at})"),
            )
            .label("invalid UTF-8 starts here"))
        }
    }
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        merges: Vec<Node>,
        pending_key: Option<Key>,
    },
}

struct Builder<'a> {
    text: &'a str,
    chars: CharIndex,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    /// [`MAX_NODES`], lowered in tests.
    max_nodes: usize,
    aliased: usize,
    errors: Vec<Diagnostic>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str) -> Self {
        Builder {
            text,
            chars: CharIndex::new(text),
            anchors: HashMap::new(),
            nodes: 0,
            max_nodes: MAX_NODES,
            aliased: 0,
            errors: Vec::new(),
        }
    }

    /// Counts one node written in the text; refuses the document once it
    /// holds more than [`MAX_NODES`] (aliases are counted where they expand).
    fn count_node(&mut self, here: Span) -> Result<(), ()> {
        self.nodes += 1;
        if self.nodes <= self.max_nodes {
            return Ok(());
        }
        self.errors.push(
            Diagnostic::new(
                Code::TooLarge,
                here,
                format!("the document holds more than {} nodes", self.max_nodes),
            )
            .label("this value is over the limit")
            .help("a spec with thousands of steps holds far fewer nodes; check that the right file was given"),
        );
        Err(())
    }

    fn span(&self, span: YamlSpan) -> Span {
        Span::new(
            self.chars.byte(span.start.index()),
            self.chars.byte(span.end.index()),
        )
    }

    fn run(mut self) -> Result<Node, Vec<Diagnostic>> {
        let mut parser = Parser::new_from_str(self.text);
        let mut stack: Vec<Frame> = Vec::new();
        let mut document: Option<Node> = None;
        let mut documents = 0usize;
        loop {
            let (event, span) = match parser.next_event() {
                None => break,
                Some(Ok(pair)) => pair,
                Some(Err(error)) => {
                    let at = self.chars.byte(error.marker().index());
                    // The scanner has its own nesting limit for flow
                    // collections; report it as what it is.
                    let diagnostic = if error.info().contains("recursion limit") {
                        // The scanner's limit is above ours, so the document
                        // is deeper than MAX_DEPTH whichever one stopped it.
                        Diagnostic::new(
                            Code::TooDeep,
                            Span::point(at),
                            format!("the document nests deeper than {MAX_DEPTH} levels"),
                        )
                        .label("too deep")
                    } else {
                        Diagnostic::new(
                            Code::YamlSyntax,
                            Span::point(at),
                            format!("invalid YAML: {}", error.info()),
                        )
                        .label(error.info().to_owned())
                    };
                    self.errors.push(diagnostic);
                    return Err(self.errors);
                }
            };
            let here = self.span(span);
            let complete = match event {
                Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
                Event::StreamEnd => break,
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        self.errors.push(
                            Diagnostic::new(
                                Code::MultipleDocuments,
                                here,
                                "the file contains more than one YAML document",
                            )
                            .label("a second document starts here")
                            .help("a spec file holds exactly one saga; remove the `---` and what follows, or move it to its own file"),
                        );
                        return Err(self.errors);
                    }
                    None
                }
                Event::Alias(id) => match self.anchors.get(&id) {
                    Some(node) => {
                        self.nodes += node.size;
                        self.aliased += node.size;
                        if self.aliased > MAX_ALIASED_NODES || self.nodes > self.max_nodes {
                            self.errors.push(
                                Diagnostic::new(
                                    Code::AliasLimit,
                                    here,
                                    format!(
                                        "expanding aliases would create more than {MAX_ALIASED_NODES} nodes"
                                    ),
                                )
                                .label("this alias pushes the document over the limit")
                                .help("anchors are for sharing small policies; a document that grows this much is a \"billion laughs\" bomb"),
                            );
                            return Err(self.errors);
                        }
                        let mut node = node.clone();
                        node.span = here;
                        Some(node)
                    }
                    None => {
                        self.errors.push(
                            Diagnostic::new(Code::YamlSyntax, here, "unknown alias")
                                .label("no anchor with this name is defined before"),
                        );
                        return Err(self.errors);
                    }
                },
                Event::Scalar(text, style, anchor, tag) => {
                    if self.count_node(here).is_err() {
                        return Err(self.errors);
                    }
                    let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                    let value = self.scalar(&text, style, tag.as_deref(), here);
                    let node = Node::new(value, here);
                    if anchor > 0 {
                        self.anchors.insert(anchor, node.clone());
                    }
                    Some(node)
                }
                Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                    let is_seq = matches!(event, Event::SequenceStart(..));
                    if let Some(tag) = tag {
                        let tag = format!("{}{}", tag.handle, tag.suffix);
                        if tag != "tag:yaml.org,2002:seq" && tag != "tag:yaml.org,2002:map" {
                            // A block collection's span runs into its first
                            // entry; keep the caret on the tag's line.
                            let line_end = self.text[here.start..]
                                .find('\n')
                                .map_or(here.end, |n| here.start + n);
                            self.unsupported_tag(
                                &tag,
                                Span::new(here.start, here.end.min(line_end)),
                            );
                        }
                    }
                    if stack.len() >= MAX_DEPTH {
                        self.errors.push(
                            Diagnostic::new(
                                Code::TooDeep,
                                here,
                                format!("the document nests deeper than {MAX_DEPTH} levels"),
                            )
                            .label("too deep"),
                        );
                        return Err(self.errors);
                    }
                    if self.count_node(here).is_err() {
                        return Err(self.errors);
                    }
                    stack.push(if is_seq {
                        Frame::Seq {
                            start: here.start,
                            anchor,
                            items: Vec::new(),
                        }
                    } else {
                        Frame::Map {
                            start: here.start,
                            anchor,
                            entries: Vec::new(),
                            merges: Vec::new(),
                            pending_key: None,
                        }
                    });
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = stack.pop() else {
                        continue;
                    };
                    let (node, anchor) = match frame {
                        Frame::Seq {
                            start,
                            anchor,
                            items,
                        } => (
                            Node::new(Value::Seq(items), Span::new(start, here.end)),
                            anchor,
                        ),
                        Frame::Map {
                            start,
                            anchor,
                            entries,
                            merges,
                            ..
                        } => {
                            let entries = self.merge(entries, merges);
                            (
                                Node::new(Value::Map(entries), Span::new(start, here.end)),
                                anchor,
                            )
                        }
                    };
                    if anchor > 0 {
                        self.anchors.insert(anchor, node.clone());
                    }
                    Some(node)
                }
            };
            let Some(node) = complete else { continue };
            match stack.last_mut() {
                None => document = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    merges,
                    pending_key,
                    ..
                }) => match pending_key.take() {
                    None => match &node.value {
                        Value::Str(_)
                        | Value::Int(_)
                        | Value::Bool(_)
                        | Value::Float(_)
                        | Value::Null => {
                            let name = self.key_text(&node, here);
                            *pending_key = Some(Key {
                                name,
                                span: node.span,
                            });
                        }
                        _ => {
                            self.errors.push(
                                Diagnostic::new(
                                    Code::UnsupportedYaml,
                                    node.span,
                                    "mapping keys must be plain scalars",
                                )
                                .label("complex key"),
                            );
                            *pending_key = Some(Key {
                                name: String::new(),
                                span: node.span,
                            });
                        }
                    },
                    Some(key) if key.name == "<<" => match &node.value {
                        Value::Map(_) => merges.push(node),
                        Value::Seq(items)
                            if items.iter().all(|n| matches!(n.value, Value::Map(_))) =>
                        {
                            merges.extend(items.iter().cloned())
                        }
                        _ => self.errors.push(
                            Diagnostic::new(
                                Code::UnsupportedYaml,
                                node.span,
                                "a merge key (`<<`) must be given a mapping or a list of mappings",
                            )
                            .label("not a mapping"),
                        ),
                    },
                    Some(key) => {
                        if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == key.name) {
                            self.errors.push(
                                Diagnostic::new(
                                    Code::DuplicateKey,
                                    key.span,
                                    format!("duplicate key `{}`", key.name),
                                )
                                .label("defined again here")
                                .note(first.span, "first defined here")
                                .help("remove one of the two; YAML tools disagree about which one wins"),
                            );
                        } else {
                            entries.push((key, node));
                        }
                    }
                },
            }
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        // An empty file has no position to show; a file of comments or a
        // bare `null` does, so the diagnostic still carries a line and column.
        let document = match document {
            Some(node) if node.value != Value::Null => return Ok(node),
            other => other,
        };
        let (span, label) = match &document {
            Some(node) => (Some(node.span), "the document is `null`"),
            None if self.text.is_empty() => (None, ""),
            None => (Some(Span::point(0)), "no YAML document in this file"),
        };
        Err(vec![Diagnostic::new(Code::EmptyDocument, span, "the spec is empty")
            .label(label)
            .help("a spec is a mapping that starts with `sagac: 1`, then `name:`, `root:`, `steps:`...; `sagac schema` prints every key")])
    }

    /// Applies YAML merge keys: keys written in the mapping win over merged
    /// ones, and earlier merged mappings win over later ones.
    fn merge(&self, mut entries: Vec<(Key, Node)>, merges: Vec<Node>) -> Vec<(Key, Node)> {
        for merged in merges {
            if let Value::Map(extra) = merged.value {
                for (key, value) in extra {
                    if !entries.iter().any(|(k, _)| k.name == key.name) {
                        entries.push((key, value));
                    }
                }
            }
        }
        entries
    }

    fn key_text(&self, node: &Node, _here: Span) -> String {
        // Keys keep their source text: `1: x` is the key "1", not a number.
        match &node.value {
            Value::Str(s) => s.clone(),
            _ => self
                .text
                .get(node.span.range())
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }

    fn unsupported_tag(&mut self, tag: &str, here: Span) {
        self.errors.push(
            Diagnostic::new(
                Code::UnsupportedYaml,
                here,
                format!("unsupported YAML tag `{tag}`"),
            )
            .label("custom tag")
            .help("use plain values; only the standard tags !!str, !!int, !!float, !!bool and !!null are accepted"),
        );
    }

    fn scalar(&mut self, text: &str, style: ScalarStyle, tag: Option<&str>, here: Span) -> Value {
        if let Some(tag) = tag {
            return match tag {
                "tag:yaml.org,2002:str" => Value::Str(text.to_owned()),
                "tag:yaml.org,2002:int" => text.parse().map(Value::Int).unwrap_or_else(|_| {
                    self.bad_tagged(text, "an integer", here);
                    Value::Null
                }),
                "tag:yaml.org,2002:float" => text.parse().map(Value::Float).unwrap_or_else(|_| {
                    self.bad_tagged(text, "a number", here);
                    Value::Null
                }),
                "tag:yaml.org,2002:bool" => match text {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => {
                        self.bad_tagged(text, "a boolean", here);
                        Value::Null
                    }
                },
                "tag:yaml.org,2002:null" => Value::Null,
                other => {
                    self.unsupported_tag(other, here);
                    Value::Null
                }
            };
        }
        if style != ScalarStyle::Plain {
            return Value::Str(text.to_owned());
        }
        resolve_plain(text)
    }

    fn bad_tagged(&mut self, text: &str, what: &str, here: Span) {
        self.errors.push(
            Diagnostic::new(
                Code::InvalidValue,
                here,
                format!("`{text}` is tagged as {what} but is not one"),
            )
            .label("value does not match its tag"),
        );
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let bytes = text.as_bytes();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(i);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(i);
    }
    let looks_numeric = bytes
        .first()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && bytes.iter().any(|b| b.is_ascii_digit());
    if looks_numeric && let Ok(f) = text.parse::<f64>() {
        return Value::Float(f);
    }
    Value::Str(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        match parse(text) {
            Ok(_) => vec![],
            Err(errors) => errors.iter().map(|d| d.code.as_str()).collect(),
        }
    }

    #[test]
    fn scalars_resolve_by_core_schema() {
        let node = parse("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: 5m\ng: -3").unwrap();
        assert_eq!(
            node.to_json(),
            serde_json::json!({"a": 1, "b": 1.5, "c": true, "d": null, "e": "1", "f": "5m", "g": -3})
        );
    }

    #[test]
    fn anchors_and_merge_keys_expand() {
        let node = parse("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\nalias: *b").unwrap();
        assert_eq!(
            node.to_json(),
            serde_json::json!({"base": {"x": 1, "y": 2}, "use": {"y": 3, "x": 1}, "alias": {"x": 1, "y": 2}})
        );
    }

    #[test]
    fn hostile_input_is_refused() {
        assert_eq!(codes("a: 1\na: 2"), ["S004"]);
        assert_eq!(codes("a: 1\n---\nb: 2"), ["S003"]);
        assert_eq!(codes(""), ["S002"]);
        assert_eq!(codes("a: !custom 1"), ["S009"]);
        assert_eq!(codes("? [a]\n: 1"), ["S009"]);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(codes(&deep), ["S006"]);
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            let prev = (b'a' + i) as char;
            let next = (b'a' + i + 1) as char;
            bomb += &format!(
                "{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            );
        }
        assert_eq!(codes(&bomb), ["S005"]);
        assert!(decode(b"a: \xff").is_err());
        assert!(decode(b"a\0b").is_err());
    }

    /// The node limit holds for nodes written out, not only for nodes
    /// aliases create: a long flow sequence without a single alias is refused.
    #[test]
    fn node_limit_counts_every_node() {
        let under = format!("a: [{}]", ["1"; 8].join(", "));
        let over = format!("a: [{}]", ["1"; 9].join(", "));
        let limited = |text: &str| {
            let mut builder = Builder::new(text);
            // The mapping, its key and the sequence are three nodes.
            builder.max_nodes = 11;
            builder
                .run()
                .err()
                .map(|errors| errors.iter().map(|d| d.code.as_str()).collect::<Vec<_>>())
        };
        assert_eq!(limited(&under), None);
        assert_eq!(limited(&over), Some(vec!["S007"]));
        let nested = format!("a: [{}]", ["[]"; 9].join(", "));
        assert_eq!(limited(&nested), Some(vec!["S007"]));
    }

    #[test]
    fn lookup_finds_key_spans() {
        let text = "steps:\n  - name: A\n    service: x\n";
        let node = parse(text).unwrap();
        let path = [
            Segment::Key("steps".into()),
            Segment::Index(0),
            Segment::Key("service".into()),
        ];
        let (found, key, exists) = lookup(&node, &path);
        assert!(exists);
        assert_eq!(&text[found.span.range()], "x");
        assert_eq!(&text[key.unwrap().range()], "service");
    }
}
