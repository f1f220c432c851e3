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

/// An in-memory single table.
#[derive(Debug)]
pub struct MemoryStore {
    config: StoreConfig,
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty table with these settings.
    pub fn new(config: StoreConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State::default()),
        }
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
        let item = self.lock().items.get(key).cloned();
        Box::pin(async move { Ok(item) })
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
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
    use serde_json::json;

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
