//! What the generated types of a spec implement: [`Entity`] for the spec's
//! entities and [`Event`] for its events, so the store and adapters take
//! them typed instead of as names and JSON.
//!
//! The generated code implements only the facts the spec states (the
//! names, the keys rendered from the key templates); the item conversions
//! are written once, here.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::attribute::{self, AttributeError, Item};
use crate::store::Key;

/// A spec entity: one item of the saga's single table.
pub trait Entity: Serialize + DeserializeOwned {
    /// The entity's name in the spec.
    const NAME: &'static str;

    /// The item's primary key, rendered from the spec's `pk` and `sk`
    /// templates over the entity's fields.
    fn primary_key(&self) -> Key;

    /// The attributes of the indexes it fills (`GSI1PK`, `GSI1SK`, …: the
    /// table's attribute names), rendered from its index key templates.
    fn index_attributes(&self) -> Vec<(&'static str, String)>;

    /// The item: the entity's fields and its index attributes (the store
    /// adds the primary key's attributes).
    ///
    /// # Errors
    ///
    /// When a field cannot be represented as an attribute.
    fn to_item(&self) -> Result<Item, AttributeError> {
        let mut item = attribute::to_item(self)?;
        for (name, value) in self.index_attributes() {
            item.insert(name.to_owned(), Value::String(value));
        }
        Ok(item)
    }

    /// The entity read back from its item; attributes that are not fields
    /// (key and index attributes, versions) are ignored.
    ///
    /// # Errors
    ///
    /// When a field is missing or has the wrong type, naming it.
    fn from_item(item: Item) -> Result<Self, AttributeError> {
        attribute::from_item(item)
    }
}

/// A spec event: written to the outbox with the change that raises it and
/// published to EventBridge. Its fields are the spec's `fields` of the
/// event, checked by the compiler: the generated struct has exactly those.
pub trait Event: Serialize {
    /// The event's name: the outbox item's type and the EventBridge
    /// `detail-type`.
    const NAME: &'static str;
    /// Whether the event needs a human (an alert).
    const ALERT: bool;
}
