#![deny(warnings, missing_docs)]
//! Every example spec through `saga!`, one module each. Each generates all of
//! its services (generic code is type-checked whether or not it is used),
//! implements one of them trivially, and dispatches its step and
//! compensation: the business error comes back under its spec name, and a
//! compensation with nothing to undo succeeds with `null`.

use serde_json::{Value, json};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

fn payload(state: &str, request: Value) -> Value {
    json!({
        "Execution": {"Name": "example-1"},
        "State": {"Name": state, "RetryCount": 0},
        "input": request,
    })
}

/// Dispatches `step` (expecting `error`) and `compensation` (expecting
/// `null`) through `dispatch`.
fn check<F, Fut>(dispatch: F, request: Value, step: &str, error: &str, compensation: &str)
where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = Result<Value, sagac_runtime::SagaError>>,
{
    let failed = block_on(dispatch(payload(step, request.clone()))).unwrap_err();
    assert_eq!(failed.error_name(), error, "{step}");
    assert_eq!(
        block_on(dispatch(payload(compensation, request))).unwrap(),
        Value::Null,
        "{compensation}"
    );
}

mod car_rental {
    sagac_macros::saga!("../spec/examples/car-rental.saga.yaml", module = "spec");
    use spec::*;

    struct Drivers;

    #[sagac_macros::service]
    impl DriversService for Drivers {
        async fn verify_licence(
            &self,
            command: VerifyLicenceCommand,
        ) -> Result<LicenceCheck, VerifyLicenceError> {
            Err(VerifyLicenceError::LicenceInvalid(
                command.input.licence_number,
            ))
        }

        async fn forget_licence_check(
            &self,
            command: ForgetLicenceCheckCommand,
        ) -> Result<Option<LicenceCheck>, ForgetLicenceCheckError> {
            let _ = command.context;
            Ok(None)
        }
    }

    pub fn run() {
        let request = serde_json::json!({
            "rental_id": "r-1", "driver_id": "d-1", "licence_number": "L-1", "branch": "LIS",
            "category": "SUV", "pickup_at": "2025-04-01T09:00:00Z", "return_at": "2025-04-03T09:00:00Z",
            "card_token": "tok"
        });
        super::check(
            |p| dispatch_drivers(&Drivers, p),
            request,
            "VerifyLicence",
            "LicenceInvalid",
            "ForgetLicenceCheck",
        );
    }
}

mod employee_onboarding {
    sagac_macros::saga!(
        "../spec/examples/employee-onboarding.saga.yaml",
        module = "spec"
    );
    use spec::*;

    struct Identity;

    #[sagac_macros::service]
    impl IdentityService for Identity {
        async fn create_account(
            &self,
            command: CreateDirectoryAccountCommand,
        ) -> Result<DirectoryAccount, CreateDirectoryAccountError> {
            Err(CreateDirectoryAccountError::UsernameTaken(
                command.input.full_name,
            ))
        }

        async fn disable_account(
            &self,
            command: DisableDirectoryAccountCommand,
        ) -> Result<Option<DirectoryAccount>, DisableDirectoryAccountError> {
            let _ = command.context;
            Ok(None)
        }
    }

    pub fn run() {
        let request = serde_json::json!({
            "hire_id": "h-1", "full_name": "Ada Lovelace", "team": "engines", "location": "LONDON",
            "start_date": "2025-05-01", "salary": "85000.00", "currency": "GBP"
        });
        super::check(
            |p| dispatch_identity(&Identity, p),
            request,
            "CreateDirectoryAccount",
            "UsernameTaken",
            "DisableDirectoryAccount",
        );
    }
}

mod insurance_claim {
    sagac_macros::saga!(
        "../spec/examples/insurance-claim.saga.yaml",
        module = "spec"
    );
    use spec::*;

    struct Policy;

    #[sagac_macros::service]
    impl PolicyService for Policy {
        async fn lock_policy(
            &self,
            command: LockPolicyCommand,
        ) -> Result<PolicyHold, LockPolicyError> {
            Err(LockPolicyError::PolicyLapsed(command.input.policy_number))
        }

        async fn unlock_policy(
            &self,
            command: UnlockPolicyCommand,
        ) -> Result<Option<PolicyHold>, UnlockPolicyError> {
            let _ = command.context;
            Ok(None)
        }
    }

    pub fn run() {
        let request = serde_json::json!({
            "claim_id": "c-1", "policy_number": "P-1", "incident_on": "2025-03-30", "estimate": 1200.75,
            "description": "hail"
        });
        super::check(
            |p| dispatch_policy(&Policy, p),
            request,
            "LockPolicy",
            "PolicyLapsed",
            "UnlockPolicy",
        );
    }
}

mod loyalty_redemption {
    sagac_macros::saga!(
        "../spec/examples/loyalty-redemption.saga.yaml",
        module = "spec"
    );
    use spec::*;

    struct Points;

    #[sagac_macros::service]
    impl PointsService for Points {
        async fn hold_points(
            &self,
            command: HoldPointsCommand,
        ) -> Result<PointsHold, HoldPointsError> {
            Err(HoldPointsError::InsufficientPoints(
                command.input.points.to_string(),
            ))
        }

        async fn release_hold(
            &self,
            command: ReleasePointsHoldCommand,
        ) -> Result<Option<PointsHold>, ReleasePointsHoldError> {
            let _ = command.context;
            Ok(None)
        }

        async fn burn_points(
            &self,
            command: BurnPointsCommand,
        ) -> Result<PointsBurn, BurnPointsError> {
            // The hold is this step's input, typed and never missing.
            let held = command.input.hold_points;
            assert_eq!(held.points, command.input.points);
            Err(BurnPointsError::transient("ledger busy"))
        }
    }

    pub fn run() {
        let request = serde_json::json!({"redemption_id": "x-1", "member_id": "m-1", "store_id": "s-1", "points": 500});
        super::check(
            |p| dispatch_points(&Points, p),
            request.clone(),
            "HoldPoints",
            "InsufficientPoints",
            "ReleasePointsHold",
        );
        let mut input = request;
        input["hold_points"] =
            serde_json::json!({"redemption_id": "x-1", "hold_id": "h-1", "points": 500});
        let burnt = super::block_on(dispatch_points(
            &Points,
            super::payload("BurnPoints", input),
        ));
        assert_eq!(burnt.unwrap_err().error_name(), "TransientError");
    }
}

mod money_transfer {
    sagac_macros::saga!("../spec/examples/money-transfer.saga.yaml", module = "spec");
    use spec::*;

    struct Accounts;

    #[sagac_macros::service]
    impl AccountsService for Accounts {
        async fn debit_payer(&self, command: DebitPayerCommand) -> Result<Debit, DebitPayerError> {
            Err(DebitPayerError::InsufficientFunds(
                command.input.amount.to_string(),
            ))
        }

        async fn reverse_debit(
            &self,
            command: ReverseDebitCommand,
        ) -> Result<Option<Debit>, ReverseDebitError> {
            let _ = command.context;
            Ok(None)
        }
    }

    pub fn run() {
        let request = serde_json::json!({
            "transfer_id": "5f0c8b8e-8a4f-4f7e-9a57-0b8c1d2e3f40", "payer_account": "A-1",
            "payee_iban": "DE89370400440532013000", "amount": "99.99", "currency": "EUR"
        });
        super::check(
            |p| dispatch_accounts(&Accounts, p),
            request,
            "DebitPayer",
            "InsufficientFunds",
            "ReverseDebit",
        );
    }
}

mod order_fulfilment {
    sagac_macros::saga!(
        "../spec/examples/order-fulfilment.saga.yaml",
        module = "spec"
    );
    use spec::*;

    struct Inventory;

    #[sagac_macros::service]
    impl InventoryService for Inventory {
        async fn reserve_stock(
            &self,
            command: ReserveStockCommand,
        ) -> Result<StockReservation, ReserveStockError> {
            Err(ReserveStockError::OutOfStock(command.input.sku))
        }

        async fn release_stock(
            &self,
            command: ReleaseStockCommand,
        ) -> Result<Option<StockReservation>, ReleaseStockError> {
            let _ = command.context;
            Ok(None)
        }
    }

    pub fn run() {
        let request = serde_json::json!({
            "order_id": "ORDER-00001", "customer_id": "c-1", "sku": "SKU-1", "quantity": 2, "amount": 19.9,
            "currency": "EUR", "card_token": "tok", "address": "1 Main St"
        });
        super::check(
            |p| dispatch_inventory(&Inventory, p),
            request,
            "ReserveStock",
            "OutOfStock",
            "ReleaseStock",
        );
    }
}

mod ticket_sale {
    sagac_macros::saga!("../spec/examples/ticket-sale.saga.yaml", module = "spec");
    use spec::*;

    struct Seating;

    #[sagac_macros::service]
    impl SeatingService for Seating {
        async fn hold_seats(&self, command: HoldSeatsCommand) -> Result<SeatHold, HoldSeatsError> {
            Err(HoldSeatsError::SoldOut(command.input.concert_id))
        }

        async fn release_seats(
            &self,
            command: ReleaseSeatsCommand,
        ) -> Result<Option<SeatHold>, ReleaseSeatsError> {
            let _ = command.context;
            Ok(None)
        }
    }

    pub fn run() {
        // The spec's own table layout (pk/sk, EVT#, expires) is compiled in.
        let layout = table_layout();
        assert_eq!(
            (layout.pk_attribute.as_str(), layout.outbox_prefix()),
            ("pk", "EVT#")
        );
        let request = serde_json::json!({
            "sale_id": "sale-0001", "concert_id": "ARENA-2026", "buyer_id": "b-1", "seats": 2,
            "amount": "120.00", "card_token": "tok"
        });
        super::check(
            |p| dispatch_seating(&Seating, p),
            request,
            "HoldSeats",
            "SoldOut",
            "ReleaseSeats",
        );
    }
}

pub(crate) fn main() {
    car_rental::run();
    employee_onboarding::run();
    insurance_claim::run();
    loyalty_redemption::run();
    money_transfer::run();
    order_fulfilment::run();
    ticket_sale::run();
}
