//! The `billing` service: card charges and refunds.
//!
//! A charge is decided from the card token and the amount (a real service
//! would ask its payment provider; this one declines tokens that say so and
//! amounts above its limit), recorded as the sale's `CardCharge` with its
//! `CardCharged` event in one transaction. A refund flips the status back
//! under the condition that it is still `CHARGED`, so a refund delivered
//! twice refunds once.

use std::sync::Arc;

use sagac_runtime::store::{Change, Condition, Store, Update, WriteOp};
use sagac_runtime::{Entity as _, SagaError};

use crate::from_item;

sagac_macros::saga!(
    "../../spec/examples/ticket-sale.saga.yaml",
    service = "billing"
);

pub use ticket_sale::{
    BillingHandler, BillingService, dispatch_billing, serve_billing, table_layout,
};
use ticket_sale::{
    CardCharge, CardCharged, CardRefunded, ChargeCardCommand, ChargeCardError, Decimal,
    RefundCardCommand, RefundCardError,
};

/// Pure decisions of the billing service.
pub mod domain {
    /// The largest amount one charge may take.
    pub const LIMIT: f64 = 1_000.0;
    /// Card tokens starting with this are declined (the provider's test
    /// cards).
    pub const DECLINED_TOKEN: &str = "tok_declined";
    /// The status of a charge that took the money.
    pub const CHARGED: &str = "CHARGED";
    /// The status of a refunded charge.
    pub const REFUNDED: &str = "REFUNDED";

    /// Why a charge is declined, or `None` when it goes through.
    pub fn decline(card_token: &str, amount: f64) -> Option<String> {
        if card_token.starts_with(DECLINED_TOKEN) {
            Some("the card issuer declined the charge".to_owned())
        } else if !(amount > 0.0 && amount <= LIMIT) {
            Some(format!("{amount} is outside the card limit (0, {LIMIT}]"))
        } else {
            None
        }
    }

    /// The charge id of a sale: one charge per sale.
    pub fn charge_id(sale_id: &str) -> String {
        format!("ch-{sale_id}")
    }
}

/// The billing service over a store.
#[derive(Clone)]
pub struct Billing {
    store: Arc<dyn Store>,
}

impl Billing {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Billing { store }
    }
}

fn charge_of(sale_id: &str, amount: Decimal, status: &str) -> CardCharge {
    CardCharge {
        sale_id: sale_id.to_owned(),
        charge_id: domain::charge_id(sale_id),
        amount,
        status: status.to_owned(),
    }
}

fn decode(value: sagac_runtime::serde_json::Value) -> Result<CardCharge, SagaError> {
    sagac_runtime::serde_json::from_value(value)
        .map_err(|e| SagaError::internal(format!("a recorded charge is damaged: {e}")))
}

#[sagac_macros::service]
impl BillingService for Billing {
    async fn charge_card(&self, command: ChargeCardCommand) -> Result<CardCharge, ChargeCardError> {
        let input = &command.input;
        // The seats were held: the hold is this step's input, typed.
        debug_assert_eq!(input.hold_seats.sale_id, input.sale_id);
        let amount: f64 = input
            .amount
            .to_string()
            .parse()
            .map_err(|_| SagaError::invalid_payload("input.amount", "not a decimal number"))?;
        if let Some(reason) = domain::decline(&input.card_token, amount) {
            return Err(ChargeCardError::CardDeclined(reason));
        }
        let charge = charge_of(&input.sale_id, input.amount, domain::CHARGED);
        let item = charge
            .to_item()
            .map_err(|e| SagaError::internal(format!("a charge could not be encoded: {e}")))?;
        let change = Change::for_step(&command.context, charge.primary_key().pk)
            .with(WriteOp::create(charge.primary_key(), item))
            .event(&CardCharged::from(&charge))
            .result(&charge);
        let committed = self.store.commit(change).await?;
        Ok(decode(committed.result)?)
    }

    async fn refund_card(
        &self,
        command: RefundCardCommand,
    ) -> Result<Option<CardCharge>, RefundCardError> {
        let input = &command.input;
        let key = CardCharge::key(&input.sale_id, &domain::charge_id(&input.sale_id));
        let Some(item) = self.store.get(&key).await? else {
            // Never charged: nothing to refund.
            return Ok(None);
        };
        let charge: CardCharge = from_item(item, "card charge")?;
        if charge.status != domain::CHARGED {
            return Ok(Some(charge));
        }
        let refunded = CardCharge {
            status: domain::REFUNDED.to_owned(),
            ..charge
        };
        let change = Change::for_step(&command.context, key.pk.clone())
            .with(
                WriteOp::update(key, Update::new().set("status", domain::REFUNDED))
                    .when(Condition::eq("status", domain::CHARGED)),
            )
            .event(&CardRefunded::from(&refunded))
            .result(&refunded);
        let committed = self.store.commit(change).await?;
        Ok(Some(decode(committed.result)?))
    }
}

#[cfg(test)]
mod tests {
    use super::domain;

    #[test]
    fn declines_test_cards_and_amounts_over_the_limit() {
        assert_eq!(domain::decline("tok_visa", 120.0), None);
        assert!(domain::decline("tok_declined_insufficient", 120.0).is_some());
        assert!(domain::decline("tok_visa", 1_000.01).is_some());
        assert!(domain::decline("tok_visa", 0.0).is_some());
    }
}
