//! The payment service's item: the domain's transaction to and from the
//! JSON item of the single table.

use sagac_runtime::Entity as _;
use sagac_runtime::store::{Item, Key};
use travel_adapter::{attributes, field};

use crate::domain::{Currency, Money, PaymentId, PaymentStatus, PaymentTransaction, TripId};
use crate::handlers::trip_booking as spec;

/// The partition of a trip, the saga's aggregate root (the spec's
/// `Trip.pk`). The transaction, its outbox items and the step idempotency
/// records live under it.
pub(super) fn trip_pk(trip_id: &TripId) -> String {
    spec::Trip::pk(trip_id.as_str())
}

/// The key of the payment a trip made, whether or not it exists (the
/// spec's `PaymentTransaction` keys).
pub fn transaction_key(trip_id: &TripId) -> Key {
    spec::PaymentTransaction::key(trip_id.as_str(), PaymentId::for_trip(trip_id).as_str())
}

/// An amount as the spec's decimal: its exact text in the currency's minor
/// unit (`1250.50`, `150000`), scale included.
pub(super) fn spec_amount(amount: Money) -> spec::Decimal {
    amount
        .decimal()
        .parse()
        .unwrap_or_else(|e| unreachable!("an amount is a decimal: {e}"))
}

/// The transaction as the spec's `PaymentTransaction` entity: its fields
/// and nothing else (`card_last4` only when known), the amount exact. This
/// is the step's result and the `PaymentProcessed` event's payload.
pub fn transaction_entity(transaction: &PaymentTransaction) -> spec::PaymentTransaction {
    spec::PaymentTransaction {
        trip_id: transaction.trip_id.to_string(),
        payment_id: transaction.payment_id.to_string(),
        amount: spec_amount(transaction.amount),
        currency: transaction.amount.currency().to_string(),
        card_last4: transaction.card_last4.clone(),
        status: transaction.status.to_string(),
    }
}

/// The stored transaction item: the entity's attributes (the spec gives it
/// no index; the table keys are added by the store).
pub fn transaction_item(transaction: &PaymentTransaction) -> Item {
    transaction_entity(transaction)
        .to_item()
        .unwrap_or_else(|e| unreachable!("the spec entity is an item: {e}"))
}

/// A transaction read back from its item, the spec's entity, or what is
/// wrong with it.
pub(super) fn transaction_from_item(item: Item) -> Result<PaymentTransaction, String> {
    let entity = attributes(spec::PaymentTransaction::from_item(item))?;
    let currency: Currency = field("currency", entity.currency.parse())?;
    Ok(PaymentTransaction {
        trip_id: field("trip_id", TripId::new(entity.trip_id))?,
        payment_id: field("payment_id", PaymentId::new(entity.payment_id))?,
        amount: field("amount", Money::parse(currency, &entity.amount.to_string()))?,
        card_last4: entity.card_last4,
        status: field("status", entity.status.parse::<PaymentStatus>())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sagac_runtime::serde_json::{Value, json};

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
    fn a_transaction_is_the_spec_entity_under_the_spec_keys() {
        let t = transaction(Some("4242"));
        let key = transaction_key(&t.trip_id);
        assert_eq!(key, Key::new("TRIP#trip-0001", "PAYMENT#PT-trip-0001"));
        let item = transaction_item(&t);
        assert_eq!(
            Value::Object(item.clone()),
            json!({
                "trip_id": "trip-0001", "payment_id": "PT-trip-0001", "amount": "1250.50",
                "currency": "EUR", "status": "CHARGED", "card_last4": "4242"
            })
        );
        assert_eq!(transaction_from_item(item).unwrap(), t);
    }

    #[test]
    fn an_opaque_token_stores_no_last4() {
        let t = transaction(None);
        let item = transaction_item(&t);
        assert!(!item.contains_key("card_last4"));
        assert_eq!(transaction_from_item(item).unwrap(), t);
    }

    #[test]
    fn a_damaged_amount_is_corrupt() {
        let t = transaction(None);
        let mut item = transaction_item(&t);
        item.insert("amount".into(), json!("12.345"));
        let key = transaction_key(&t.trip_id);
        let error = travel_adapter::corrupt(&key, transaction_from_item(item).unwrap_err());
        assert_eq!(error.name(), "CorruptRecord");
    }
}
