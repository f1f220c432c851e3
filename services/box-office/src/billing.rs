//! The `billing` service: card charges and refunds.
//!
//! A charge is decided from the card token and the amount (a real service
//! would ask its payment provider; this one declines tokens that say so and
//! amounts above its limit), recorded as the sale's `CardCharge` with its
//! `CardCharged` event in one transaction. A refund flips the status back
//! under the condition that it is still `CHARGED`, so a refund delivered
//! twice refunds once.

use std::sync::Arc;

use sagac_runtime::SagaError;
use sagac_runtime::store::{Change, Condition, Store, Update, WriteOp};

use crate::{from_item, to_item};

sagac_macros::saga!(
    "../../spec/examples/ticket-sale.saga.yaml",
    service = "billing"
);

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

fn charge_of(request: &TicketSaleRequest, status: &str) -> CardCharge {
    CardCharge {
        sale_id: request.sale_id.clone(),
        charge_id: domain::charge_id(&request.sale_id),
        amount: request.amount.clone(),
        status: status.to_owned(),
    }
}

fn decode(value: serde_json::Value) -> Result<CardCharge, SagaError> {
    serde_json::from_value(value)
        .map_err(|e| SagaError::internal(format!("a recorded charge is damaged: {e}")))
}

impl BillingService for Billing {
    async fn charge_card(&self, command: ChargeCardCommand) -> Result<CardCharge, ChargeCardError> {
        let request = &command.request;
        let amount: f64 =
            request.amount.as_str().parse().map_err(|_| {
                SagaError::invalid_payload("request.amount", "not a decimal number")
            })?;
        if let Some(reason) = domain::decline(&request.card_token, amount) {
            return Err(ChargeCardError::CardDeclined(reason));
        }
        let charge = charge_of(request, domain::CHARGED);
        let change = Change::for_step(&command.context, charge.pk())
            .with(WriteOp::create(charge.key(), to_item(&charge)?))
            .emit(CardCharged::NAME, &CardCharged::from(&charge))
            .result(&charge);
        let committed = self.store.commit(change).await?;
        Ok(decode(committed.result)?)
    }

    async fn refund_card(
        &self,
        command: RefundCardCommand,
    ) -> Result<Option<CardCharge>, RefundCardError> {
        let key = charge_of(&command.request, domain::CHARGED).key();
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
        let change = Change::for_step(&command.context, refunded.pk())
            .with(
                WriteOp::update(key, Update::new().set("status", domain::REFUNDED))
                    .when(Condition::eq("status", domain::CHARGED)),
            )
            .emit(CardRefunded::NAME, &CardRefunded::from(&refunded))
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
