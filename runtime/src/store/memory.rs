//! [`Store`] in memory, for `sagac run` and for tests.
//!
//! It keeps DynamoDB's semantics where the saga depends on them: a
//! transaction evaluates every condition before applying any write and
//! applies all or nothing; conditions compare numbers numerically and
//! strings bytewise, and a comparison of different types is false; an
//! update creates a missing item; two writes to one item in a transaction
//! are refused. Every committed write is also appended to a change log
//! shaped like a DynamoDB stream, so the dispatcher and the projector can
//! run against it.
//!
//! It also enforces DynamoDB's size limits, with DynamoDB's error code
//! (`ValidationException`) and messages, so a local run fails where AWS
//! would: a partition key over 2,048 bytes of UTF-8, a sort key over 1,024,
//! an empty key, the same for the key attributes of the indexes declared with
//! [`MemoryStore::with_index`], and an item over 400 KB (409,600 bytes,
//! measured as DynamoDB measures it: attribute names and values in UTF-8,
//! numbers by their significant digits, 3 bytes for a map or list and 1 per
//! element). Like DynamoDB, the key and put checks refuse the whole request
//! before any condition is evaluated.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use super::{
    Comparison, Condition, FailedCondition, Item, Key, Query, Store, StoreConfig, StoreError,
    UpdateAction, WriteAction, WriteOp, validate_transaction,
};
use crate::BoxFuture;

/// What happened to an item, as a stream record would say it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    /// Position in the log, starting at 1 (the stream's sequence number).
    pub sequence: u64,
    /// The item's key.
    pub key: Key,
    /// The item before the write, if it existed.
    pub old_image: Option<Item>,
    /// The item after the write, if it still exists.
    pub new_image: Option<Item>,
}

#[derive(Debug, Default)]
struct State {
    items: BTreeMap<Key, Item>,
    log: Vec<ChangeRecord>,
}

/// DynamoDB's limit of a partition key value, bytes.
pub const PARTITION_KEY_MAX_BYTES: usize = 2048;
/// DynamoDB's limit of a sort key value, bytes.
pub const SORT_KEY_MAX_BYTES: usize = 1024;
/// DynamoDB's limit of an item, bytes (400 KB).
pub const ITEM_MAX_BYTES: usize = 400 * 1024;

/// The key attributes of a global secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IndexAttributes {
    name: String,
    pk: String,
    sk: Option<String>,
}

/// An in-memory single table.
#[derive(Debug)]
pub struct MemoryStore {
    config: StoreConfig,
    indexes: Vec<IndexAttributes>,
    state: Mutex<State>,
}

fn validation(message: String) -> StoreError {
    StoreError::Service {
        code: "ValidationException".into(),
        message,
    }
}

/// The size DynamoDB counts for an attribute value.
fn value_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Number(n) => number_size(&n.to_string()),
        Value::Bool(_) | Value::Null => 1,
        Value::Array(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::Object(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
    }
}

/// A number: one byte per two significant digits (leading and trailing
/// zeros trimmed), one more, and one for a minus sign.
fn number_size(text: &str) -> usize {
    let negative = text.starts_with('-');
    let mantissa = text
        .trim_start_matches('-')
        .split(['e', 'E'])
        .next()
        .unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1 + usize::from(negative)
}

/// The size DynamoDB counts for an item: every attribute's name and value.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

impl MemoryStore {
    /// An empty table with these settings.
    pub fn new(config: StoreConfig) -> Self {
        Self {
            config,
            indexes: Vec::new(),
            state: Mutex::new(State::default()),
        }
    }

    /// Declares a global secondary index, whose key attributes (when an item
    /// has them) DynamoDB also checks: a string key over its limit or empty
    /// is refused.
    pub fn with_index(mut self, name: &str, pk: &str, sk: Option<&str>) -> Self {
        self.indexes.push(IndexAttributes {
            name: name.to_owned(),
            pk: pk.to_owned(),
            sk: sk.map(str::to_owned),
        });
        self
    }

    /// DynamoDB's checks of a request's key.
    fn check_key(&self, key: &Key) -> Result<(), StoreError> {
        for (attribute, value) in [
            (&self.config.pk_attribute, &key.pk),
            (&self.config.sk_attribute, &key.sk),
        ] {
            if value.is_empty() {
                return Err(validation(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {attribute}"
                )));
            }
        }
        if key.pk.len() > PARTITION_KEY_MAX_BYTES {
            // DynamoDB's own wording, missing space included.
            return Err(validation(format!(
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{PARTITION_KEY_MAX_BYTES} bytes"
            )));
        }
        if key.sk.len() > SORT_KEY_MAX_BYTES {
            return Err(validation(format!(
                "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of {SORT_KEY_MAX_BYTES} bytes"
            )));
        }
        Ok(())
    }

    /// DynamoDB's checks of an item to be stored: index keys and size.
    /// `update`: whether the item results from an update (DynamoDB words
    /// the size error differently then).
    fn check_item(&self, item: &Item, update: bool) -> Result<(), StoreError> {
        for index in &self.indexes {
            let keys = [(&index.pk, PARTITION_KEY_MAX_BYTES)]
                .into_iter()
                .chain(index.sk.iter().map(|sk| (sk, SORT_KEY_MAX_BYTES)));
            for (attribute, limit) in keys {
                let Some(Value::String(value)) = item.get(attribute) else {
                    continue;
                };
                if value.is_empty() {
                    return Err(validation(format!(
                        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {}, IndexKey: {attribute}",
                        index.name
                    )));
                }
                if value.len() > limit {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Size limit exceeded for Index Key {attribute} Actual Size: {} bytes Max Size: {limit} bytes IndexName: {}",
                        value.len(),
                        index.name
                    )));
                }
            }
        }
        if item_size(item) > ITEM_MAX_BYTES {
            return Err(validation(if update {
                "Item size to update has exceeded the maximum allowed size".into()
            } else {
                "Item size has exceeded the maximum allowed size".into()
            }));
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied
        // transaction (writes are applied after all checks, without
        // fallible steps), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every item, in key order (for assertions and `sagac run` output).
    pub fn items(&self) -> Vec<Item> {
        self.lock().items.values().cloned().collect()
    }

    /// The change log since the beginning.
    pub fn changes(&self) -> Vec<ChangeRecord> {
        self.lock().log.clone()
    }

    /// Evaluates all conditions, then applies all writes, or none.
    fn apply(&self, ops: &[WriteOp]) -> Result<(), StoreError> {
        // The request is validated before any condition is evaluated.
        for op in ops {
            self.check_key(&op.key)?;
            if let WriteAction::Put(item) = &op.action {
                self.check_item(&self.config.with_key(&op.key, item.clone()), false)?;
            }
        }
        let mut state = self.lock();
        let mut failed = Vec::new();
        for op in ops {
            let holds = op
                .condition
                .as_ref()
                .is_none_or(|c| self.holds(c, state.items.get(&op.key)));
            if !holds {
                failed.push(FailedCondition {
                    key: op.key.clone(),
                    label: op.label.clone(),
                    versioned: op.expected_version.is_some(),
                });
            }
        }
        if !failed.is_empty() {
            return Err(StoreError::from_failed(failed, ops));
        }
        // Compute every new image before touching the table, so that an
        // invalid update cannot leave the transaction half-applied.
        let mut staged = Vec::with_capacity(ops.len());
        for op in ops {
            let old = state.items.get(&op.key).cloned();
            let new = match &op.action {
                WriteAction::Check => continue,
                WriteAction::Delete => None,
                WriteAction::Put(item) => Some(self.config.with_key(&op.key, item.clone())),
                WriteAction::Update(update) => {
                    if update.actions.is_empty() {
                        return Err(StoreError::InvalidChange {
                            reason: format!("update of {} has no actions", op.key),
                        });
                    }
                    let base = old.clone().unwrap_or_default();
                    let mut item = self.config.with_key(&op.key, base);
                    for action in &update.actions {
                        apply_action(&mut item, action, &op.key)?;
                    }
                    self.check_item(&item, true)?;
                    Some(item)
                }
            };
            staged.push((op.key.clone(), old, new));
        }
        for (key, old, new) in staged {
            if old.is_none() && new.is_none() {
                continue;
            }
            match &new {
                Some(item) => state.items.insert(key.clone(), item.clone()),
                None => state.items.remove(&key),
            };
            let sequence = state.log.len() as u64 + 1;
            state.log.push(ChangeRecord {
                sequence,
                key,
                old_image: old,
                new_image: new,
            });
        }
        Ok(())
    }

    fn holds(&self, condition: &Condition, item: Option<&Item>) -> bool {
        let attr = |name: &str| item.and_then(|i| i.get(name));
        match condition {
            Condition::Exists(a) => attr(a).is_some(),
            Condition::NotExists(a) => attr(a).is_none(),
            Condition::ItemExists => item.is_some(),
            Condition::ItemNotExists => item.is_none(),
            Condition::Compare(a, op, v) => match attr(a) {
                None => *op == Comparison::Ne,
                Some(actual) => compare(actual, *op, v),
            },
            Condition::BeginsWith(a, prefix) => attr(a)
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with(prefix.as_str())),
            Condition::And(all) => all.iter().all(|c| self.holds(c, item)),
            Condition::Or(any) => any.iter().any(|c| self.holds(c, item)),
            Condition::Not(c) => !self.holds(c, item),
        }
    }
}

fn apply_action(item: &mut Item, action: &UpdateAction, key: &Key) -> Result<(), StoreError> {
    match action {
        UpdateAction::Set(a, v) => {
            item.insert(a.clone(), v.clone());
        }
        UpdateAction::Remove(a) => {
            item.remove(a);
        }
        UpdateAction::Increment(a, delta) => {
            let next = match item.get(a) {
                None => Value::from(*delta),
                Some(Value::Number(n)) => {
                    if let Some(i) = n.as_i64() {
                        Value::from(i.saturating_add(*delta))
                    } else {
                        let f = n.as_f64().unwrap_or_default() + *delta as f64;
                        serde_json::Number::from_f64(f)
                            .map(Value::Number)
                            .unwrap_or(Value::Null)
                    }
                }
                Some(_) => {
                    return Err(StoreError::Service {
                        code: "ValidationException".into(),
                        message: format!("cannot increment non-numeric attribute `{a}` of {key}"),
                    });
                }
            };
            item.insert(a.clone(), next);
        }
    }
    Ok(())
}

/// DynamoDB comparison: numbers numerically, strings bytewise, equality of
/// anything else structurally; ordering across types is false.
fn compare(actual: &Value, op: Comparison, expected: &Value) -> bool {
    let ordering = match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => number_order(a, b),
        (Value::String(a), Value::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        _ => None,
    };
    match (op, ordering) {
        (Comparison::Eq, Some(o)) => o == Ordering::Equal,
        (Comparison::Ne, Some(o)) => o != Ordering::Equal,
        (Comparison::Eq, None) => actual == expected,
        (Comparison::Ne, None) => actual != expected,
        (Comparison::Lt, Some(o)) => o == Ordering::Less,
        (Comparison::Le, Some(o)) => o != Ordering::Greater,
        (Comparison::Gt, Some(o)) => o == Ordering::Greater,
        (Comparison::Ge, Some(o)) => o != Ordering::Less,
        (_, None) => false,
    }
}

fn number_order(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => match (a.as_u64(), b.as_u64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
        },
    }
}

impl Store for MemoryStore {
    fn config(&self) -> &StoreConfig {
        &self.config
    }

    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        // DynamoDB validates a read's key like a write's.
        let item = self
            .check_key(key)
            .map(|()| self.lock().items.get(key).cloned());
        Box::pin(async move { item })
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        if query.pk.len() > PARTITION_KEY_MAX_BYTES {
            let refused = Err(validation(format!(
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{PARTITION_KEY_MAX_BYTES} bytes"
            )));
            return Box::pin(async move { refused });
        }
        let state = self.lock();
        let found: Vec<Item> = match &query.index {
            None => state
                .items
                .iter()
                .filter(|(k, _)| k.pk == query.pk)
                .filter(|(k, _)| {
                    query
                        .sk_prefix
                        .as_ref()
                        .is_none_or(|p| k.sk.starts_with(p.as_str()))
                })
                .map(|(_, item)| item.clone())
                .collect(),
            Some(_) => {
                let pk_attr = query
                    .pk_attribute
                    .as_deref()
                    .unwrap_or(&self.config.pk_attribute);
                let sk_attr = query.sk_attribute.as_deref();
                let mut hits: Vec<(String, Item)> = state
                    .items
                    .values()
                    .filter(|item| {
                        item.get(pk_attr).and_then(Value::as_str) == Some(query.pk.as_str())
                    })
                    .filter_map(|item| {
                        let sk = sk_attr
                            .and_then(|a| item.get(a))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        let keep = query
                            .sk_prefix
                            .as_ref()
                            .is_none_or(|p| sk.starts_with(p.as_str()));
                        keep.then(|| (sk, item.clone()))
                    })
                    .collect();
                hits.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                hits.into_iter().map(|(_, item)| item).collect()
            }
        };
        Box::pin(async move { Ok(found) })
    }

    fn write(&self, op: WriteOp) -> BoxFuture<'_, Result<(), StoreError>> {
        let outcome = self.apply(std::slice::from_ref(&op));
        Box::pin(async move { outcome })
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        let outcome = validate_transaction(&ops).and_then(|()| self.apply(&ops));
        Box::pin(async move { outcome })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Update;
    use serde_json::json;

    fn store() -> MemoryStore {
        MemoryStore::new(StoreConfig::new("T")).with_index("GSI1", "GSI1PK", Some("GSI1SK"))
    }

    fn item(pairs: &[(&str, Value)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn refused(outcome: Result<(), StoreError>) -> String {
        match outcome {
            Err(StoreError::Service { code, message }) if code == "ValidationException" => message,
            other => panic!("expected a ValidationException, got {other:?}"),
        }
    }

    /// `n` bytes of UTF-8 in 3-byte characters (and ASCII for the rest).
    fn bytes(n: usize) -> String {
        "€".repeat(n / 3) + &"x".repeat(n % 3)
    }

    #[test]
    fn keys_are_limited_in_bytes_like_dynamodb() {
        let store = store();
        // 2,048 bytes of partition key and 1,024 of sort key are accepted,
        // however few characters they are.
        store
            .apply(&[WriteOp::put(
                Key::new(bytes(2048), bytes(1024)),
                Item::new(),
            )])
            .unwrap();
        let message =
            refused(store.apply(&[WriteOp::put(Key::new(bytes(2049), "METADATA"), Item::new())]));
        assert_eq!(
            message,
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
        );
        let message =
            refused(store.apply(&[WriteOp::put(Key::new("TRIP#1", bytes(1025)), Item::new())]));
        assert_eq!(
            message,
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
        );
        let message = refused(store.apply(&[WriteOp::update(
            Key::new("", "METADATA"),
            Update::new().set("a", 1),
        )]));
        assert!(
            message.ends_with("cannot contain an empty string value. Key: PK"),
            "{message}"
        );
        // Index keys too, with DynamoDB's message naming the index.
        let message = refused(store.apply(&[WriteOp::put(
            Key::new("TRIP#1", "METADATA"),
            item(&[("GSI1PK", json!(bytes(2049))), ("GSI1SK", json!("x"))]),
        )]));
        assert_eq!(
            message,
            "One or more parameter values were invalid: Size limit exceeded for Index Key GSI1PK Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: GSI1"
        );
        assert_eq!(store.items().len(), 1, "only the first put was written");
        // Reads check their key too.
        let read = futures_lite(store.get(&Key::new(bytes(2049), "METADATA")));
        assert!(refused(read.map(|_| ())).contains("Size of hashkey"));
    }

    /// Polls a future the memory store returns ready.
    fn futures_lite<T>(future: crate::BoxFuture<'_, T>) -> T {
        let mut future = future;
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("the memory store answers at once"),
        }
    }

    #[test]
    fn items_are_limited_to_400_kb_like_dynamodb() {
        let store = store();
        // PK "p" + SK "s" (2 + 1 bytes each) + "a" (1) + the value.
        let room = ITEM_MAX_BYTES - 7;
        let key = Key::new("p", "s");
        store
            .apply(&[WriteOp::put(
                key.clone(),
                item(&[("a", json!(bytes(room)))]),
            )])
            .unwrap();
        let message = refused(store.apply(&[WriteOp::put(
            key.clone(),
            item(&[("a", json!(bytes(room + 1)))]),
        )]));
        assert_eq!(message, "Item size has exceeded the maximum allowed size");
        let message =
            refused(store.apply(&[WriteOp::update(key.clone(), Update::new().set("b", true))]));
        assert_eq!(
            message,
            "Item size to update has exceeded the maximum allowed size"
        );
        assert_eq!(item_size(&store.items()[0]), ITEM_MAX_BYTES);
        assert_eq!(number_size("-120.500"), 4);
        assert_eq!(
            value_size(&json!({"ab": [1, "x"]})),
            3 + 1 + 2 + (3 + (1 + 2) + (1 + 1))
        );
    }

    #[test]
    fn an_oversized_write_refuses_the_whole_transaction_before_conditions() {
        let store = store();
        let outcome = store.apply(&[
            WriteOp::put(Key::new("TRIP#1", "METADATA"), Item::new()).when(Condition::ItemExists),
            WriteOp::put(Key::new(bytes(3000), "OUTBOX#1"), Item::new()),
        ]);
        let message = refused(outcome);
        assert!(message.contains("Size of hashkey"), "{message}");
        assert!(store.items().is_empty());
        assert!(store.changes().is_empty());
    }

    #[test]
    fn comparisons_follow_dynamodb() {
        assert!(compare(&json!(10), Comparison::Gt, &json!(9)));
        assert!(compare(&json!(2.5), Comparison::Lt, &json!(3)));
        assert!(compare(&json!("B"), Comparison::Gt, &json!("A")));
        assert!(!compare(&json!("10"), Comparison::Gt, &json!(9)));
        assert!(compare(&json!(true), Comparison::Eq, &json!(true)));
        assert!(!compare(&json!(true), Comparison::Lt, &json!(false)));
    }
}
