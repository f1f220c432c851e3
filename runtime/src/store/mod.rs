//! The single-table repository.
//!
//! Every state change of a saga step is one [`Change`]: the item writes of
//! the step (puts, updates, deletes, condition checks), exactly one outbox
//! event, and the step's idempotency key with the result to remember. A
//! [`Store`] commits it atomically (one `TransactWriteItems` on DynamoDB),
//! together with an idempotency record that may not exist yet. If it does
//! exist, the step already ran: nothing is written and the first result is
//! returned ([`Committed::replayed`]). That is what makes a retried or
//! duplicated Lambda invocation harmless.
//!
//! Conditions and updates are a small AST ([`Condition`], [`Update`]) rather
//! than expression strings, for two reasons: the same change must run on
//! DynamoDB and on the embedded [`MemoryStore`] (for `sagac run`), and a
//! failed transaction must say *which* condition failed, which is why every
//! [`WriteOp`] can carry a label that comes back in
//! [`StoreError::ConditionFailed`].
//!
//! Items are JSON objects ([`Item`]); keys are strings. The store adds the
//! partition and sort key attributes itself.

pub mod api;
#[cfg(feature = "aws")]
mod dynamo;
#[cfg(feature = "aws")]
mod expr;
mod faulty;
mod memory;

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::BoxFuture;
pub use crate::attribute::Item;
use crate::context::StepContext;
use crate::template::KeyTemplate;
#[cfg(feature = "aws")]
pub use dynamo::DynamoStore;
pub use faulty::FaultyStore;
pub use memory::{ChangeRecord, MemoryStore};

/// Sort key prefix of idempotency records.
pub const IDEMPOTENCY_PREFIX: &str = "IDEMPOTENCY#";
/// Label of the condition that guards the idempotency record.
pub const IDEMPOTENCY_LABEL: &str = "saga.idempotency";
/// Label of the condition that guards the outbox item.
pub const OUTBOX_LABEL: &str = "saga.outbox";
/// The attribute holding an entity's optimistic version.
pub const VERSION_ATTRIBUTE: &str = "version";
/// DynamoDB's limit on the number of actions in one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// The primary key of an item: partition key and sort key, both strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// Partition key, e.g. `TRIP#t-1`.
    pub pk: String,
    /// Sort key, e.g. `METADATA` or `FLIGHT#f-1`.
    pub sk: String,
}

impl Key {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.pk, self.sk)
    }
}

/// The facts of the single table that the spec decides: key attribute
/// names, the outbox's sort key template, the TTL attribute and the outbox
/// TTL.
///
/// There is one source for them, the spec. Generated service code carries
/// them as constants (`ServiceConfig::table`, from the same IR the template
/// is emitted from); the generic binaries (the outbox dispatcher) read them
/// from the environment the generated template sets
/// ([`TableLayout::from_env`]). Nothing in the runtime assumes the spec
/// language's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLayout {
    /// Partition key attribute (`table.pk`).
    pub pk_attribute: String,
    /// Sort key attribute (`table.sk`).
    pub sk_attribute: String,
    /// Sort key template of outbox items (`outbox.sk`), with the single
    /// placeholder `{event_id}`.
    pub outbox_sk: KeyTemplate,
    /// TTL attribute (`table.ttl`), epoch seconds; `None` writes no TTL.
    pub ttl_attribute: Option<String>,
    /// How long outbox items live if the dispatcher never deletes them
    /// (`outbox.ttl`).
    pub outbox_ttl: Duration,
}

/// Environment variable names of [`TableLayout::from_env`], as the
/// generated template sets them on the generic functions.
pub mod env {
    /// The table name.
    pub const TABLE_NAME: &str = "TABLE_NAME";
    /// [`super::TableLayout::pk_attribute`].
    pub const PK_ATTRIBUTE: &str = "PK_ATTRIBUTE";
    /// [`super::TableLayout::sk_attribute`].
    pub const SK_ATTRIBUTE: &str = "SK_ATTRIBUTE";
    /// [`super::TableLayout::outbox_sk`] (the template text).
    pub const OUTBOX_SK: &str = "OUTBOX_SK";
    /// [`super::TableLayout::ttl_attribute`] (unset: no TTL).
    pub const TTL_ATTRIBUTE: &str = "TTL_ATTRIBUTE";
    /// [`super::TableLayout::outbox_ttl`] in seconds.
    pub const OUTBOX_TTL_SECONDS: &str = "OUTBOX_TTL_SECONDS";
    /// [`super::StoreConfig::idempotency_ttl`] in seconds (optional).
    pub const IDEMPOTENCY_TTL_SECONDS: &str = "IDEMPOTENCY_TTL_SECONDS";
}

fn configuration(message: impl Into<String>) -> StoreError {
    StoreError::Service {
        code: "Configuration".into(),
        message: message.into(),
    }
}

fn required_env(name: &str) -> Result<String, StoreError> {
    std::env::var(name)
        .map_err(|_| configuration(format!("environment variable {name} is not set")))
}

impl TableLayout {
    /// A layout from the spec's values; `outbox_sk` must parse and hold
    /// `{event_id}`.
    pub fn new(
        pk_attribute: impl Into<String>,
        sk_attribute: impl Into<String>,
        outbox_sk: &str,
        ttl_attribute: Option<&str>,
        outbox_ttl: Duration,
    ) -> Result<Self, StoreError> {
        let template = KeyTemplate::parse(outbox_sk).map_err(|e| configuration(e.to_string()))?;
        if !template.fields().eq(["event_id"]) {
            return Err(configuration(format!(
                "outbox sort key template `{outbox_sk}` must have exactly one placeholder, `{{event_id}}`"
            )));
        }
        if template.prefix().is_empty() {
            return Err(configuration(format!(
                "outbox sort key template `{outbox_sk}` must start with literal text (the stream filter's prefix)"
            )));
        }
        Ok(Self {
            pk_attribute: pk_attribute.into(),
            sk_attribute: sk_attribute.into(),
            outbox_sk: template,
            ttl_attribute: ttl_attribute.map(str::to_owned),
            outbox_ttl,
        })
    }

    /// The spec language's defaults (`PK`, `SK`, `OUTBOX#{event_id}`,
    /// TTL attribute `expires_at`, 7 days): for tests and examples, never
    /// assumed by the runtime itself.
    pub fn defaults() -> Self {
        Self::new(
            "PK",
            "SK",
            "OUTBOX#{event_id}",
            Some("expires_at"),
            Duration::from_secs(7 * 86_400),
        )
        .unwrap_or_else(|e| unreachable!("the default layout is valid: {e}"))
    }

    /// Reads `PK_ATTRIBUTE`, `SK_ATTRIBUTE`, `OUTBOX_SK` and
    /// `OUTBOX_TTL_SECONDS` (all required) and `TTL_ATTRIBUTE` (optional), as
    /// the generated template sets them (see [`env`]).
    pub fn from_env() -> Result<Self, StoreError> {
        let ttl = required_env(env::OUTBOX_TTL_SECONDS)?;
        let ttl = ttl.trim().parse::<u64>().map_err(|_| {
            configuration(format!(
                "environment variable {} is not a number of seconds: `{ttl}`",
                env::OUTBOX_TTL_SECONDS
            ))
        })?;
        let ttl_attribute = std::env::var(env::TTL_ATTRIBUTE).ok();
        Self::new(
            required_env(env::PK_ATTRIBUTE)?,
            required_env(env::SK_ATTRIBUTE)?,
            &required_env(env::OUTBOX_SK)?,
            ttl_attribute.as_deref(),
            Duration::from_secs(ttl),
        )
    }

    /// The sort key prefix every outbox item starts with (`OUTBOX#`).
    pub fn outbox_prefix(&self) -> &str {
        self.outbox_sk.prefix()
    }
}

fn outbox_sort_key(template: &KeyTemplate, event_id: &str) -> String {
    let mut fields = Map::new();
    fields.insert("event_id".into(), Value::String(event_id.to_owned()));
    template
        .render(&fields)
        .unwrap_or_else(|e| unreachable!("the outbox template has only `event_id`: {e}"))
}

/// Settings of one store: the table, its [`TableLayout`], and how long
/// idempotency records live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The table name (env `TABLE_NAME`: it carries the environment's
    /// suffix, a deploy-time fact).
    pub table_name: String,
    /// Partition key attribute.
    pub pk_attribute: String,
    /// Sort key attribute.
    pub sk_attribute: String,
    /// TTL attribute, epoch seconds; `None` writes no TTL.
    pub ttl_attribute: Option<String>,
    /// Sort key template of outbox items (`{event_id}` its one field).
    pub outbox_sk: KeyTemplate,
    /// How long outbox items live if the dispatcher never deletes them.
    pub outbox_ttl: Duration,
    /// How long idempotency records live (env `IDEMPOTENCY_TTL_SECONDS`,
    /// default 90 days, the window in which Step Functions de-duplicates
    /// execution names).
    pub idempotency_ttl: Duration,
}

/// The default lifetime of idempotency records: 90 days.
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(90 * 86_400);

impl StoreConfig {
    /// A table with the spec language's default layout
    /// ([`TableLayout::defaults`]); for tests.
    pub fn new(table_name: impl Into<String>) -> Self {
        Self::with_layout(table_name, TableLayout::defaults())
    }

    /// A table with the spec's layout.
    pub fn with_layout(table_name: impl Into<String>, layout: TableLayout) -> Self {
        Self {
            table_name: table_name.into(),
            pk_attribute: layout.pk_attribute,
            sk_attribute: layout.sk_attribute,
            ttl_attribute: layout.ttl_attribute,
            outbox_sk: layout.outbox_sk,
            outbox_ttl: layout.outbox_ttl,
            idempotency_ttl: env_seconds(env::IDEMPOTENCY_TTL_SECONDS).unwrap_or(IDEMPOTENCY_TTL),
        }
    }

    /// `TABLE_NAME` from the environment, with the given layout (what
    /// generated service code does: the layout is compiled in).
    pub fn from_env_with(layout: TableLayout) -> Result<Self, StoreError> {
        Ok(Self::with_layout(required_env(env::TABLE_NAME)?, layout))
    }

    /// `TABLE_NAME` and the whole layout from the environment
    /// ([`TableLayout::from_env`]): what the generic binaries do.
    pub fn from_env() -> Result<Self, StoreError> {
        Self::from_env_with(TableLayout::from_env()?)
    }

    /// The sort key prefix of outbox items (`OUTBOX#`).
    pub fn outbox_prefix(&self) -> &str {
        self.outbox_sk.prefix()
    }

    /// The outbox item's sort key for an event id.
    pub fn outbox_sort_key(&self, event_id: &str) -> String {
        outbox_sort_key(&self.outbox_sk, event_id)
    }

    /// The item with the key attributes set.
    pub fn with_key(&self, key: &Key, mut item: Item) -> Item {
        item.insert(self.pk_attribute.clone(), Value::String(key.pk.clone()));
        item.insert(self.sk_attribute.clone(), Value::String(key.sk.clone()));
        item
    }

    /// The key of an item, if it has both key attributes as strings.
    pub fn key_of(&self, item: &Item) -> Option<Key> {
        let pk = item.get(&self.pk_attribute)?.as_str()?;
        let sk = item.get(&self.sk_attribute)?.as_str()?;
        Some(Key::new(pk, sk))
    }
}

fn env_seconds(name: &str) -> Option<Duration> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// How an attribute compares with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparison {
    #[cfg(feature = "aws")]
    fn operator(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        }
    }
}

/// A condition on one item's top-level attributes, evaluated by DynamoDB
/// (rendered as a `ConditionExpression`) or by the memory store.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `attribute_exists(attr)`
    Exists(String),
    /// `attribute_not_exists(attr)`
    NotExists(String),
    /// The item exists (`attribute_exists` on the partition key).
    ItemExists,
    /// The item does not exist (`attribute_not_exists` on the partition key).
    ItemNotExists,
    /// `attr <op> value`; false when the attribute is missing (except `<>`).
    Compare(String, Comparison, Value),
    /// `begins_with(attr, prefix)`
    BeginsWith(String, String),
    /// All of them.
    And(Vec<Condition>),
    /// Any of them.
    Or(Vec<Condition>),
    /// Negation.
    Not(Box<Condition>),
}

impl Condition {
    /// `attr = value`
    pub fn eq(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Compare(attr.into(), Comparison::Eq, value.into())
    }
    /// `attr <> value`
    pub fn ne(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Compare(attr.into(), Comparison::Ne, value.into())
    }
    /// `attr < value`
    pub fn lt(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Compare(attr.into(), Comparison::Lt, value.into())
    }
    /// `attr <= value`
    pub fn le(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Compare(attr.into(), Comparison::Le, value.into())
    }
    /// `attr > value`
    pub fn gt(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Compare(attr.into(), Comparison::Gt, value.into())
    }
    /// `attr >= value`
    pub fn ge(attr: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Compare(attr.into(), Comparison::Ge, value.into())
    }
    /// `attribute_exists(attr)`
    pub fn exists(attr: impl Into<String>) -> Self {
        Self::Exists(attr.into())
    }
    /// `attribute_not_exists(attr)`
    pub fn not_exists(attr: impl Into<String>) -> Self {
        Self::NotExists(attr.into())
    }
    /// Both conditions.
    pub fn and(self, other: Condition) -> Self {
        match self {
            Self::And(mut all) => {
                all.push(other);
                Self::And(all)
            }
            first => Self::And(vec![first, other]),
        }
    }
    /// Either condition.
    pub fn or(self, other: Condition) -> Self {
        match self {
            Self::Or(mut any) => {
                any.push(other);
                Self::Or(any)
            }
            first => Self::Or(vec![first, other]),
        }
    }
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    /// `SET attr = value`
    Set(String, Value),
    /// `SET attr = if_not_exists(attr, 0) + delta` (negative to decrement).
    Increment(String, i64),
    /// `REMOVE attr`
    Remove(String),
}

/// The actions of an `UpdateItem` (creates the item if it does not exist,
/// like DynamoDB).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// The actions, applied in order.
    pub actions: Vec<UpdateAction>,
}

impl Update {
    /// No actions yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets an attribute.
    pub fn set(mut self, attr: impl Into<String>, value: impl Into<Value>) -> Self {
        self.actions
            .push(UpdateAction::Set(attr.into(), value.into()));
        self
    }
    /// Adds `delta` to a numeric attribute (missing counts as 0).
    pub fn increment(mut self, attr: impl Into<String>, delta: i64) -> Self {
        self.actions
            .push(UpdateAction::Increment(attr.into(), delta));
        self
    }
    /// Removes an attribute.
    pub fn remove(mut self, attr: impl Into<String>) -> Self {
        self.actions.push(UpdateAction::Remove(attr.into()));
        self
    }
}

/// What a [`WriteOp`] does to its item.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteAction {
    /// Replace the whole item.
    Put(Item),
    /// Modify attributes.
    Update(Update),
    /// Delete the item.
    Delete,
    /// Only check the condition (a `ConditionCheck`).
    Check,
}

/// One item write with an optional condition and a label that identifies
/// the condition if it fails.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOp {
    /// The item's key.
    pub key: Key,
    /// The write.
    pub action: WriteAction,
    /// The condition that must hold on the item before the write.
    pub condition: Option<Condition>,
    /// Returned in [`FailedCondition::label`] when the condition fails.
    pub label: Option<String>,
    /// The expected version if this is an optimistic-version write.
    pub expected_version: Option<Option<u64>>,
}

impl WriteOp {
    fn new(key: Key, action: WriteAction) -> Self {
        Self {
            key,
            action,
            condition: None,
            label: None,
            expected_version: None,
        }
    }

    /// Puts (replaces) an item unconditionally.
    pub fn put(key: Key, item: Item) -> Self {
        Self::new(key, WriteAction::Put(item))
    }

    /// Puts an item that must not exist yet.
    pub fn create(key: Key, item: Item) -> Self {
        Self::put(key, item).when(Condition::ItemNotExists)
    }

    /// Updates an item's attributes.
    pub fn update(key: Key, update: Update) -> Self {
        Self::new(key, WriteAction::Update(update))
    }

    /// Deletes an item.
    pub fn delete(key: Key) -> Self {
        Self::new(key, WriteAction::Delete)
    }

    /// Checks a condition on an item without writing it.
    pub fn check(key: Key, condition: Condition) -> Self {
        Self::new(key, WriteAction::Check).when(condition)
    }

    /// Puts the root entity with an optimistic version: `expected` is the
    /// version that was read (`None` for a new entity, which must not exist);
    /// the stored `version` becomes `expected + 1` (or 1).
    pub fn put_versioned(key: Key, mut item: Item, expected: Option<u64>) -> Self {
        let next = expected.map_or(1, |v| v + 1);
        item.insert(VERSION_ATTRIBUTE.into(), Value::from(next));
        let condition = match expected {
            None => Condition::ItemNotExists,
            Some(v) => Condition::eq(VERSION_ATTRIBUTE, v),
        };
        let mut op = Self::put(key, item).when(condition);
        op.expected_version = Some(expected);
        op
    }

    /// Updates the root entity if its version is still `expected`, and
    /// increments the version.
    pub fn update_versioned(key: Key, update: Update, expected: u64) -> Self {
        let update = update.set(VERSION_ATTRIBUTE, expected + 1);
        let mut op = Self::update(key, update).when(Condition::eq(VERSION_ATTRIBUTE, expected));
        op.expected_version = Some(Some(expected));
        op
    }

    /// Adds a condition (AND-ed with any existing one).
    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(match self.condition.take() {
            None => condition,
            Some(existing) => existing.and(condition),
        });
        self
    }

    /// Names this write's condition, so a failure can be told apart.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

/// An event written to the outbox in the same transaction as the change
/// that caused it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEvent {
    /// Unique id; consumers de-duplicate on it.
    pub event_id: String,
    /// The event name from the spec, e.g. `FlightReserved`
    /// (EventBridge `DetailType`).
    pub event_type: String,
    /// The saga instance it belongs to.
    pub saga_id: String,
    /// RFC 3339 time of the change.
    pub occurred_at: String,
    /// The event body.
    pub payload: Map<String, Value>,
}

impl OutboxEvent {
    /// The outbox item for this event under `pk` (without TTL).
    pub fn to_item(&self) -> Item {
        let mut item = Map::new();
        item.insert("event_id".into(), Value::String(self.event_id.clone()));
        item.insert("event_type".into(), Value::String(self.event_type.clone()));
        item.insert("saga_id".into(), Value::String(self.saga_id.clone()));
        item.insert(
            "occurred_at".into(),
            Value::String(self.occurred_at.clone()),
        );
        item.insert("payload".into(), Value::Object(self.payload.clone()));
        item
    }

    /// Reads an outbox item back; `None` when a required attribute is
    /// missing or has the wrong type.
    pub fn from_item(item: &Item) -> Result<Self, String> {
        let text = |name: &str| {
            item.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("outbox item has no string attribute `{name}`"))
        };
        Ok(Self {
            event_id: text("event_id")?,
            event_type: text("event_type")?,
            saga_id: text("saga_id")?,
            occurred_at: text("occurred_at")?,
            payload: match item.get("payload") {
                Some(Value::Object(map)) => map.clone(),
                None | Some(Value::Null) => Map::new(),
                Some(_) => return Err("outbox attribute `payload` is not a map".into()),
            },
        })
    }
}

/// A deterministic event id: the same step (idempotency key) emitting the
/// same event type always gets the same id, so even an event that escaped
/// de-duplication upstream carries the id consumers de-duplicate on.
/// Formatted as a UUID (version 8, name-based on SHA-256).
pub fn derive_event_id(idempotency_key: &str, event_type: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{idempotency_key}\u{0}{event_type}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The state change of one step: item writes, exactly one outbox event, and
/// the idempotency key with the result to remember. Committed atomically by
/// [`Store::commit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Partition key of the aggregate root (e.g. `TRIP#t-1`); the outbox
    /// item and the idempotency record live under it.
    pub root_pk: String,
    /// The saga id, copied into the outbox item.
    pub saga_id: String,
    /// `{Execution.Name}#{State.Name}`.
    pub idempotency_key: String,
    /// What the step returns; stored in the idempotency record.
    pub result: Value,
    /// The item writes.
    pub ops: Vec<WriteOp>,
    /// The outbox events (a valid change has exactly one).
    pub events: Vec<OutboxEvent>,
    /// A deferred construction error (bad payload), reported at commit.
    pub invalid: Option<String>,
}

impl Change {
    /// An empty change for `root_pk`.
    pub fn new(
        root_pk: impl Into<String>,
        saga_id: impl Into<String>,
        idempotency_key: impl Into<String>,
    ) -> Self {
        Self {
            root_pk: root_pk.into(),
            saga_id: saga_id.into(),
            idempotency_key: idempotency_key.into(),
            result: Value::Null,
            ops: Vec::new(),
            events: Vec::new(),
            invalid: None,
        }
    }

    /// An empty change for the step being run (saga id and idempotency key
    /// from the context).
    pub fn for_step(context: &StepContext, root_pk: impl Into<String>) -> Self {
        Self::new(
            root_pk,
            context.saga_id.clone(),
            context.idempotency_key.clone(),
        )
    }

    /// Adds an item write.
    pub fn with(mut self, op: WriteOp) -> Self {
        self.ops.push(op);
        self
    }

    /// Emits the step's event; its id derives from the idempotency key.
    /// The payload must serialize to a JSON object.
    pub fn emit(mut self, event_type: impl Into<String>, payload: &impl Serialize) -> Self {
        let event_type = event_type.into();
        match crate::attribute::to_item(payload) {
            Ok(payload) => {
                self.events.push(OutboxEvent {
                    event_id: derive_event_id(&self.idempotency_key, &event_type),
                    event_type,
                    saga_id: self.saga_id.clone(),
                    occurred_at: crate::time::now_rfc3339(),
                    payload,
                });
            }
            Err(e) => self.invalid = Some(format!("payload of event `{event_type}`: {e}")),
        }
        self
    }

    /// Emits a spec event: its generated type names it and carries exactly
    /// the spec's fields.
    pub fn event<E: crate::spec::Event>(self, event: &E) -> Self {
        self.emit(E::NAME, event)
    }

    /// Emits a fully specified event.
    pub fn emit_event(mut self, event: OutboxEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Sets the result the step returns (and that a replay returns).
    pub fn result(mut self, result: &impl Serialize) -> Self {
        match serde_json::to_value(result) {
            Ok(v) => self.result = v,
            Err(e) => self.invalid = Some(format!("result: {e}")),
        }
        self
    }

    /// The key of this change's idempotency record.
    pub fn idempotency_record_key(&self) -> Key {
        Key::new(
            self.root_pk.clone(),
            format!("{IDEMPOTENCY_PREFIX}{}", self.idempotency_key),
        )
    }

    /// Lowers the change into the transaction the store executes: the item
    /// writes, the outbox put, and the idempotency put, the last two
    /// conditional on not existing.
    pub fn into_transaction(self, config: &StoreConfig) -> Result<Vec<WriteOp>, StoreError> {
        if let Some(reason) = self.invalid {
            return Err(StoreError::InvalidChange { reason });
        }
        if self.events.len() != 1 {
            return Err(StoreError::InvalidChange {
                reason: format!(
                    "a change must emit exactly one outbox event, this one emits {}",
                    self.events.len()
                ),
            });
        }
        let total = self.ops.len() + 2;
        if total > MAX_TRANSACTION_ITEMS {
            return Err(StoreError::InvalidChange {
                reason: format!(
                    "{total} actions exceed the transaction limit of {MAX_TRANSACTION_ITEMS}"
                ),
            });
        }
        let now = crate::time::epoch_seconds();
        let idempotency_key = self.idempotency_record_key();
        let mut ops = self.ops;
        for event in self.events {
            let mut item = event.to_item();
            if let Some(ttl) = &config.ttl_attribute {
                item.insert(ttl.clone(), Value::from(now + config.outbox_ttl.as_secs()));
            }
            let key = Key::new(
                self.root_pk.clone(),
                config.outbox_sort_key(&event.event_id),
            );
            ops.push(WriteOp::create(key, item).label(OUTBOX_LABEL));
        }
        let result_text =
            serde_json::to_string(&self.result).map_err(|e| StoreError::InvalidChange {
                reason: format!("result: {e}"),
            })?;
        let mut record = Map::new();
        record.insert(
            "idempotency_key".into(),
            Value::String(self.idempotency_key),
        );
        record.insert("result".into(), Value::String(result_text));
        record.insert(
            "recorded_at".into(),
            Value::String(crate::time::now_rfc3339()),
        );
        if let Some(ttl) = &config.ttl_attribute {
            record.insert(
                ttl.clone(),
                Value::from(now + config.idempotency_ttl.as_secs()),
            );
        }
        ops.push(WriteOp::create(idempotency_key, record).label(IDEMPOTENCY_LABEL));
        Ok(ops)
    }
}

/// The outcome of [`Store::commit`].
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The step's result: this change's, or the first one's on a replay.
    pub result: Value,
    /// True when the idempotency record already existed: nothing was written.
    pub replayed: bool,
}

/// A write whose condition did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCondition {
    /// The item.
    pub key: Key,
    /// The write's label, if it had one.
    pub label: Option<String>,
    /// True for optimistic-version writes.
    pub versioned: bool,
}

/// Repository failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// One or more conditions did not hold; nothing was written.
    ConditionFailed {
        /// Every write whose condition failed, in transaction order.
        failed: Vec<FailedCondition>,
    },
    /// The root entity's version was not the expected one; nothing was
    /// written. Re-read and retry.
    VersionConflict {
        /// The root entity.
        key: Key,
        /// The version the writer expected (`None`: expected no item).
        expected: Option<u64>,
    },
    /// Throttling, 5xx, timeouts, transaction conflicts: retry.
    Transient {
        /// What happened.
        message: String,
    },
    /// The change itself is malformed (no or several events, too many items,
    /// two writes to one item).
    InvalidChange {
        /// Why.
        reason: String,
    },
    /// A stored value could not be converted.
    Attribute(crate::attribute::AttributeError),
    /// Any other service error (missing table, validation, access denied).
    Service {
        /// The service's error code.
        code: String,
        /// Its message.
        message: String,
    },
}

impl StoreError {
    /// The label of the first failed user condition, so a caller can map
    /// it to a business error (`"seats"` → `NoSeatsAvailable`).
    pub fn failed_condition(&self) -> Option<&str> {
        match self {
            Self::ConditionFailed { failed } => failed.iter().find_map(|f| f.label.as_deref()),
            _ => None,
        }
    }

    /// Whether the write failed because a condition labelled `label` failed.
    pub fn is_condition(&self, label: &str) -> bool {
        match self {
            Self::ConditionFailed { failed } => {
                failed.iter().any(|f| f.label.as_deref() == Some(label))
            }
            _ => false,
        }
    }

    /// Builds the error for a set of failed writes: a version conflict if a
    /// versioned write failed, else a condition failure. A failed
    /// idempotency guard takes precedence over everything: it means the
    /// step already ran, which also explains any other failure (the first
    /// run bumped the version, took the seats), and [`Store::commit`] turns
    /// it into a replay.
    pub fn from_failed(failed: Vec<FailedCondition>, ops: &[WriteOp]) -> Self {
        let replay = failed
            .iter()
            .any(|f| f.label.as_deref() == Some(IDEMPOTENCY_LABEL));
        if let Some(f) = failed.iter().find(|f| f.versioned).filter(|_| !replay) {
            let expected = ops
                .iter()
                .find(|op| op.key == f.key)
                .and_then(|op| op.expected_version)
                .flatten();
            return Self::VersionConflict {
                key: f.key.clone(),
                expected,
            };
        }
        Self::ConditionFailed { failed }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConditionFailed { failed } => {
                write!(f, "condition failed on")?;
                for (i, c) in failed.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    match &c.label {
                        Some(label) => write!(f, "{sep}{} ({label})", c.key)?,
                        None => write!(f, "{sep}{}", c.key)?,
                    }
                }
                Ok(())
            }
            Self::VersionConflict {
                key,
                expected: Some(v),
            } => {
                write!(f, "version conflict on {key}: expected version {v}")
            }
            Self::VersionConflict {
                key,
                expected: None,
            } => {
                write!(f, "version conflict on {key}: expected no item")
            }
            Self::Transient { message } => write!(f, "transient store error: {message}"),
            Self::InvalidChange { reason } => write!(f, "invalid change: {reason}"),
            Self::Attribute(e) => write!(f, "{e}"),
            Self::Service { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<crate::attribute::AttributeError> for StoreError {
    fn from(e: crate::attribute::AttributeError) -> Self {
        Self::Attribute(e)
    }
}

/// A query: one partition of the table or of an index, optionally limited
/// to sort keys with a prefix. Results come in sort key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The index name, or `None` for the table.
    pub index: Option<String>,
    /// The partition key attribute (`None`: the table's).
    pub pk_attribute: Option<String>,
    /// The partition key value.
    pub pk: String,
    /// The sort key attribute (`None`: the table's).
    pub sk_attribute: Option<String>,
    /// Only sort keys beginning with this.
    pub sk_prefix: Option<String>,
}

impl Query {
    /// All items of a table partition.
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            index: None,
            pk_attribute: None,
            pk: pk.into(),
            sk_attribute: None,
            sk_prefix: None,
        }
    }

    /// All items of an index partition (`GSI1`, `GSI1PK`, `CUSTOMER#c-1`).
    pub fn index(
        name: impl Into<String>,
        pk_attribute: impl Into<String>,
        pk: impl Into<String>,
    ) -> Self {
        Self {
            index: Some(name.into()),
            pk_attribute: Some(pk_attribute.into()),
            pk: pk.into(),
            sk_attribute: None,
            sk_prefix: None,
        }
    }

    /// Only sort keys beginning with `prefix` (on the table's sort key).
    pub fn sk_begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.sk_prefix = Some(prefix.into());
        self
    }

    /// Only index sort keys (attribute `sk_attribute`) beginning with `prefix`.
    pub fn index_sk_begins_with(
        mut self,
        sk_attribute: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Self {
        self.sk_attribute = Some(sk_attribute.into());
        self.sk_prefix = Some(prefix.into());
        self
    }
}

/// The repository. Implemented over DynamoDB ([`DynamoStore`]) and in
/// memory ([`MemoryStore`]) with the same transactional and conditional
/// semantics; the shared contract tests run against both.
///
/// Object-safe so that handlers can hold an `Arc<dyn Store>`.
pub trait Store: Send + Sync {
    /// The table settings.
    fn config(&self) -> &StoreConfig;

    /// Reads one item (strongly consistent).
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>>;

    /// Reads a partition, in sort key order (all pages).
    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>>;

    /// One conditional write outside a transaction.
    fn write(&self, op: WriteOp) -> BoxFuture<'_, Result<(), StoreError>>;

    /// All writes or none (`TransactWriteItems`). Failed conditions come
    /// back as [`StoreError::ConditionFailed`] listing every failed write
    /// (or [`StoreError::VersionConflict`] for a versioned write).
    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>>;

    /// The result recorded for an idempotency key under `root_pk`, if the
    /// step already committed. Handlers check this before running domain
    /// logic, so a retry after a successful commit does not re-decide.
    fn recorded_result<'a>(
        &'a self,
        root_pk: &'a str,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Value>, StoreError>> {
        Box::pin(async move {
            let key = Key::new(root_pk, format!("{IDEMPOTENCY_PREFIX}{idempotency_key}"));
            match self.get(&key).await? {
                None => Ok(None),
                Some(item) => parse_recorded(&item).map(Some),
            }
        })
    }

    /// Commits a step's change atomically with its outbox event and
    /// idempotency record. If the record exists, nothing is written and
    /// the first result comes back with `replayed: true`.
    fn commit(&self, change: Change) -> BoxFuture<'_, Result<Committed, StoreError>> {
        Box::pin(async move {
            let root_pk = change.root_pk.clone();
            let key = change.idempotency_key.clone();
            let result = change.result.clone();
            let ops = change.into_transaction(self.config())?;
            match self.transact(ops).await {
                Ok(()) => Ok(Committed {
                    result,
                    replayed: false,
                }),
                Err(StoreError::ConditionFailed { failed })
                    if failed
                        .iter()
                        .any(|f| f.label.as_deref() == Some(IDEMPOTENCY_LABEL)) =>
                {
                    match self.recorded_result(&root_pk, &key).await? {
                        Some(first) => Ok(Committed {
                            result: first,
                            replayed: true,
                        }),
                        // The record vanished between the cancellation and
                        // the read (TTL): let the caller retry.
                        None => Err(StoreError::Transient {
                            message: format!("idempotency record {key} disappeared during commit"),
                        }),
                    }
                }
                Err(e) => Err(e),
            }
        })
    }
}

fn parse_recorded(item: &Item) -> Result<Value, StoreError> {
    let text = item
        .get("result")
        .and_then(Value::as_str)
        .ok_or_else(|| StoreError::Service {
            code: "CorruptIdempotencyRecord".into(),
            message: "idempotency record has no string attribute `result`".into(),
        })?;
    serde_json::from_str(text).map_err(|e| StoreError::Service {
        code: "CorruptIdempotencyRecord".into(),
        message: format!("idempotency record result is not JSON: {e}"),
    })
}

/// Rejects transactions DynamoDB would reject: more than 100 actions or two
/// actions on one item.
pub(crate) fn validate_transaction(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Err(StoreError::InvalidChange {
            reason: "a transaction needs at least one write".into(),
        });
    }
    if ops.len() > MAX_TRANSACTION_ITEMS {
        return Err(StoreError::InvalidChange {
            reason: format!(
                "{} actions exceed the transaction limit of {MAX_TRANSACTION_ITEMS}",
                ops.len()
            ),
        });
    }
    let mut keys: Vec<&Key> = ops.iter().map(|op| &op.key).collect();
    keys.sort();
    if let Some(pair) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(StoreError::InvalidChange {
            reason: format!("two writes to the same item {} in one transaction", pair[0]),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_ids_are_deterministic_uuids() {
        let a = derive_event_id("trip-1#ReserveFlight", "FlightReserved");
        assert_eq!(a, derive_event_id("trip-1#ReserveFlight", "FlightReserved"));
        assert_ne!(a, derive_event_id("trip-2#ReserveFlight", "FlightReserved"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }

    #[test]
    fn a_change_needs_exactly_one_event() {
        let config = StoreConfig::new("t");
        let change = Change::new("TRIP#1", "1", "e#S");
        assert!(matches!(
            change.into_transaction(&config),
            Err(StoreError::InvalidChange { .. })
        ));
        let change = Change::new("TRIP#1", "1", "e#S")
            .emit("A", &json!({}))
            .emit("B", &json!({}));
        assert!(matches!(
            change.into_transaction(&config),
            Err(StoreError::InvalidChange { .. })
        ));
        let change = Change::new("TRIP#1", "1", "e#S").emit("A", &json!([1]));
        assert!(matches!(
            change.into_transaction(&config),
            Err(StoreError::InvalidChange { .. })
        ));
    }

    #[test]
    fn lowering_adds_outbox_and_idempotency_writes() {
        let config = StoreConfig::new("t");
        let ops = Change::new("TRIP#1", "1", "exec#ReserveFlight")
            .with(WriteOp::put(Key::new("TRIP#1", "FLIGHT#f"), Map::new()))
            .emit("FlightReserved", &json!({"flight_id": "f"}))
            .result(&json!({"ok": true}))
            .into_transaction(&config)
            .unwrap();
        assert_eq!(ops.len(), 3);
        assert!(ops[1].key.sk.starts_with(config.outbox_prefix()));
        assert_eq!(ops[1].label.as_deref(), Some(OUTBOX_LABEL));
        assert_eq!(ops[2].key.sk, "IDEMPOTENCY#exec#ReserveFlight");
        let WriteAction::Put(record) = &ops[2].action else {
            panic!("idempotency write is a put")
        };
        assert_eq!(record["result"], json!("{\"ok\":true}"));
        assert!(record["expires_at"].is_u64());
        let WriteAction::Put(outbox) = &ops[1].action else {
            panic!("outbox write is a put")
        };
        assert_eq!(outbox["event_type"], json!("FlightReserved"));
        assert_eq!(outbox["saga_id"], json!("1"));
        assert_eq!(outbox["payload"], json!({"flight_id": "f"}));
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let k = Key::new("A", "B");
        let ops = vec![WriteOp::delete(k.clone()), WriteOp::put(k, Map::new())];
        assert!(validate_transaction(&ops).is_err());
    }

    #[test]
    fn versioned_failures_become_conflicts() {
        let key = Key::new("TRIP#1", "METADATA");
        let ops = vec![WriteOp::update_versioned(key.clone(), Update::new(), 4)];
        let failed = vec![FailedCondition {
            key: key.clone(),
            label: None,
            versioned: true,
        }];
        assert_eq!(
            StoreError::from_failed(failed, &ops),
            StoreError::VersionConflict {
                key,
                expected: Some(4)
            }
        );
    }
}
