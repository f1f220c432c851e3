//! The payment service's item: the domain's transaction to and from the
//! JSON item of the single table.

use std::sync::LazyLock;

use sagac_runtime::store::{Item, Key};
use sagac_runtime::template::KeyTemplate;
use serde_json::{Map, Value};

use crate::domain::{
    Currency, Money, PaymentId, PaymentStatus, PaymentTransaction, RepositoryError, TripId,
};

/// The partition of a trip, the saga's aggregate root: `TRIP#{trip_id}`.
/// The transaction, its outbox items and the step idempotency records live
/// under it.
pub const TRIP_PK: &str = "TRIP#{trip_id}";
/// The transaction's sort key (spec: `PaymentTransaction.sk`).
pub const PAYMENT_SK: &str = "PAYMENT#{payment_id}";

fn template(text: &'static str) -> KeyTemplate {
    // The templates are constants of this module, checked by a unit test.
    KeyTemplate::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

static TRIP: LazyLock<KeyTemplate> = LazyLock::new(|| template(TRIP_PK));
static PAYMENT: LazyLock<KeyTemplate> = LazyLock::new(|| template(PAYMENT_SK));

fn render(template: &KeyTemplate, name: &str, value: &str) -> String {
    let mut fields = Map::new();
    fields.insert(name.to_owned(), Value::String(value.to_owned()));
    template
        .render(&fields)
        .unwrap_or_else(|e| unreachable!("{e}"))
}

/// The partition key of a trip.
pub(super) fn trip_pk(trip_id: &TripId) -> String {
    render(&TRIP, "trip_id", trip_id.as_str())
}

/// The key of the payment a trip made, whether or not it exists.
pub fn transaction_key(trip_id: &TripId) -> Key {
    let payment_id = PaymentId::for_trip(trip_id);
    Key::new(
        trip_pk(trip_id),
        render(&PAYMENT, "payment_id", payment_id.as_str()),
    )
}

/// The transaction as the spec's `PaymentTransaction` entity: its fields
/// and nothing else (`card_last4` only when known), the amount as exact
/// decimal text. This is the item, the step's result and the
/// `PaymentProcessed` event's payload.
pub fn transaction_attributes(transaction: &PaymentTransaction) -> Item {
    let mut item = Map::new();
    let mut text = |name: &str, value: String| {
        item.insert(name.to_owned(), Value::String(value));
    };
    text("trip_id", transaction.trip_id.to_string());
    text("payment_id", transaction.payment_id.to_string());
    text("amount", transaction.amount.decimal());
    text("currency", transaction.amount.currency().to_string());
    text("status", transaction.status.to_string());
    if let Some(last4) = &transaction.card_last4 {
        text("card_last4", last4.clone());
    }
    item
}

/// A transaction read back from its item.
pub(super) fn transaction_from_item(
    key: &Key,
    item: &Item,
) -> Result<PaymentTransaction, RepositoryError> {
    let corrupt = |problem: String| RepositoryError::Corrupt {
        detail: format!("item {key}: {problem}"),
    };
    let text = |name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| corrupt(format!("no string attribute `{name}`")))
    };
    let currency: Currency = text("currency")?
        .parse()
        .map_err(|e| corrupt(format!("`currency`: {e}")))?;
    let card_last4 = match item.get("card_last4") {
        None | Some(Value::Null) => None,
        Some(Value::String(last4)) => Some(last4.clone()),
        Some(_) => return Err(corrupt("`card_last4` is not a string".into())),
    };
    Ok(PaymentTransaction {
        trip_id: TripId::new(text("trip_id")?).map_err(|e| corrupt(format!("`trip_id`: {e}")))?,
        payment_id: PaymentId::new(text("payment_id")?)
            .map_err(|e| corrupt(format!("`payment_id`: {e}")))?,
        amount: Money::parse(currency, text("amount")?)
            .map_err(|e| corrupt(format!("`amount`: {e}")))?,
        card_last4,
        status: text("status")?
            .parse::<PaymentStatus>()
            .map_err(|e| corrupt(format!("`status`: {e}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn transaction(card_last4: Option<&str>) -> PaymentTransaction {
        let trip_id = TripId::new("trip-0001").unwrap();
        PaymentTransaction {
            payment_id: PaymentId::for_trip(&trip_id),
            trip_id,
            amount: Money::parse(Currency::Eur, "1250.5").unwrap(),
            card_last4: card_last4.map(str::to_owned),
            status: PaymentStatus::Charged,
        }
    }

    #[test]
    fn the_templates_parse() {
        KeyTemplate::parse(TRIP_PK).unwrap();
        KeyTemplate::parse(PAYMENT_SK).unwrap();
    }

    #[test]
    fn a_transaction_is_the_spec_entity_under_the_spec_keys() {
        let t = transaction(Some("4242"));
        let key = transaction_key(&t.trip_id);
        assert_eq!(key, Key::new("TRIP#trip-0001", "PAYMENT#PT-trip-0001"));
        let item = transaction_attributes(&t);
        assert_eq!(
            Value::Object(item.clone()),
            json!({
                "trip_id": "trip-0001", "payment_id": "PT-trip-0001", "amount": "1250.50",
                "currency": "EUR", "status": "CHARGED", "card_last4": "4242"
            })
        );
        assert_eq!(transaction_from_item(&key, &item).unwrap(), t);
    }

    #[test]
    fn an_opaque_token_stores_no_last4() {
        let t = transaction(None);
        let item = transaction_attributes(&t);
        assert!(!item.contains_key("card_last4"));
        let key = transaction_key(&t.trip_id);
        assert_eq!(transaction_from_item(&key, &item).unwrap(), t);
    }

    #[test]
    fn a_damaged_amount_is_corrupt() {
        let t = transaction(None);
        let mut item = transaction_attributes(&t);
        item.insert("amount".into(), json!("12.345"));
        let key = transaction_key(&t.trip_id);
        let error = transaction_from_item(&key, &item).unwrap_err();
        assert_eq!(error.name(), "CorruptRecord");
    }
}
