#![deny(warnings, missing_docs)]
//! The corners of the emitter (`tests/specs/edge-cases.saga.yaml`), one
//! service per module through `service = "…"`: a hyphenated service name,
//! error names with `.` and `_`, a business error named `Other`, steps and
//! compensations that return nothing, optional and bool fields.

use serde_json::{Value, json};

mod balance {
    sagac_macros::saga!(
        "tests/specs/edge-cases.saga.yaml",
        service = "card-balance",
        module = "gift"
    );
    use gift::*;

    pub struct Balances;

    #[sagac_macros::service]
    impl CardBalanceService for Balances {
        async fn hold_balance(
            &self,
            command: HoldBalanceCommand,
        ) -> Result<Hold, HoldBalanceError> {
            let request = command.input;
            if request.card_id == "expired" {
                return Err(HoldBalanceError::CardExpired("expired in 2020".into()));
            }
            if request.amount == "1000000".parse().unwrap() {
                return Err(HoldBalanceError::InsufficientBalance("not enough".into()));
            }
            Ok(Hold {
                purchase_id: request.purchase_id,
                hold_id: "hold-1".into(),
                amount: request.amount,
                expires_on: request.deliver_on.unwrap_or(
                    "2030-01-01"
                        .parse()
                        .map_err(|_| HoldBalanceError::transient("bad default"))?,
                ),
                released: false,
            })
        }

        async fn release_balance(
            &self,
            command: ReleaseBalanceCommand,
        ) -> Result<Option<Hold>, ReleaseBalanceError> {
            Ok(command.input.hold_balance.map(|hold| Hold {
                released: true,
                ..hold
            }))
        }
    }

    pub fn dispatch(
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, sagac_runtime::SagaError> {
        super::block_on(dispatch_card_balance(&Balances, payload))
    }
}

mod notify {
    sagac_macros::saga!("tests/specs/edge-cases.saga.yaml", service = "notify");
    use self::gift_card::*;

    pub struct Notices;

    #[sagac_macros::service]
    impl NotifyService for Notices {
        async fn notify_buyer(&self, command: NotifyBuyerCommand) -> Result<(), NotifyBuyerError> {
            match command.input.note.as_deref() {
                Some("other") => Err(NotifyBuyerError::Other(
                    "a business error named Other".into(),
                )),
                Some("retry") => Err(NotifyBuyerError::Failure(
                    sagac_runtime::SagaError::transient("mail server busy"),
                )),
                _ => Ok(()),
            }
        }

        async fn log_purchase(&self, command: LogPurchaseCommand) -> Result<(), LogPurchaseError> {
            let _hold: Hold = command.input.hold_balance;
            Ok(())
        }
    }

    pub fn dispatch(
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, sagac_runtime::SagaError> {
        super::block_on(dispatch_notify(&Notices, payload))
    }

    pub fn keys() {
        let purchase = Purchase {
            purchase_id: "p-1".into(),
            card_id: "c-1".into(),
            status: "DONE".into(),
            amount: "10.00".parse().unwrap(),
            gift: true,
            note: None,
            created_at: "2025-04-01T09:30:00.250+09:00".parse().unwrap(),
        };
        assert_eq!(
            (Purchase::by_card_pk("c-1"), Purchase::by_card_sk("p-1")),
            ("CARD#c-1".into(), "PURCHASE#p-1".into())
        );
        let json = serde_json::to_value(&purchase).unwrap();
        assert_eq!(json["amount"], "10.00");
        assert!(json.get("note").is_none());
        assert_eq!(serde_json::from_value::<Purchase>(json).unwrap(), purchase);
        assert_eq!(
            PurchaseFailed::from(&purchase),
            PurchaseFailed {
                purchase_id: "p-1".into(),
                status: "DONE".into()
            }
        );
        assert!("2025-02-30x".parse::<Date>().is_err());
        assert!("2025-04-01 09:30:00".parse::<Timestamp>().is_err());
        assert!("1e3".parse::<Decimal>().is_ok() && "1.".parse::<Decimal>().is_err());
        let from_number: Decimal = serde_json::from_value(serde_json::json!(10)).unwrap();
        assert!(from_number == "10.0".parse().unwrap());
        assert!(serde_json::from_value::<Date>(serde_json::json!("01/04/2025")).is_err());
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

fn payload(state: &str, request: Value, outputs: Value) -> Value {
    let mut input = request;
    for (step, output) in outputs.as_object().cloned().unwrap_or_default() {
        input[step] = output;
    }
    json!({
        "Execution": {"Name": "gift-1"},
        "State": {"Name": state},
        "input": input,
    })
}

pub(crate) fn main() {
    notify::keys();
    let request = json!({"purchase_id": "p-1", "card_id": "c-1", "amount": "25.00", "gift": false});

    let hold = balance::dispatch(payload("HoldBalance", request.clone(), Value::Null)).unwrap();
    assert_eq!(
        (hold["amount"].clone(), hold["expires_on"].clone()),
        (json!("25.00"), json!("2030-01-01"))
    );
    let expired = json!({"purchase_id": "p-1", "card_id": "expired", "amount": 1, "gift": false});
    assert_eq!(
        balance::dispatch(payload("HoldBalance", expired, Value::Null))
            .unwrap_err()
            .error_name(),
        "Card.Expired"
    );
    let rich = json!({"purchase_id": "p-1", "card_id": "c-1", "amount": 1000000, "gift": true, "deliver_on": "2025-12-24"});
    let error = balance::dispatch(payload("HoldBalance", rich, Value::Null)).unwrap_err();
    assert_eq!(error.error_name(), "INSUFFICIENT_BALANCE");
    let bad_date = json!({"purchase_id": "p-1", "card_id": "c-1", "amount": 1, "gift": true, "deliver_on": "24/12/2025"});
    let error = balance::dispatch(payload("HoldBalance", bad_date, Value::Null)).unwrap_err();
    assert_eq!(error.error_name(), "Saga.InvalidPayload");
    assert!(
        error.message().contains("input.deliver_on"),
        "{}",
        error.message()
    );

    let results = json!({"hold_balance": hold});
    let released =
        balance::dispatch(payload("ReleaseBalance", request.clone(), results.clone())).unwrap();
    assert_eq!(released["released"], true);

    assert_eq!(
        notify::dispatch(payload("NotifyBuyer", request.clone(), results.clone())).unwrap(),
        Value::Null
    );
    let other = json!({"purchase_id": "p-1", "card_id": "c-1", "amount": "1", "gift": true, "note": "other"});
    assert_eq!(
        notify::dispatch(payload("NotifyBuyer", other, results.clone()))
            .unwrap_err()
            .error_name(),
        "Other"
    );
    let retry = json!({"purchase_id": "p-1", "card_id": "c-1", "amount": "1", "gift": true, "note": "retry"});
    assert_eq!(
        notify::dispatch(payload("NotifyBuyer", retry, results.clone()))
            .unwrap_err()
            .error_name(),
        "TransientError"
    );
    assert_eq!(
        notify::dispatch(payload("LogPurchase", request, results)).unwrap(),
        Value::Null
    );
}
