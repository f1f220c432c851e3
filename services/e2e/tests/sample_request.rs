//! The start request as the generated artefacts describe it, through the
//! generated state machine and the real services (in process) on DynamoDB
//! (moto_server), on a table seeded with the services' demo catalogues:
//!
//! - the sample request `sagac build` writes from the spec's examples
//!   (`generated/trip-booking/sample-input.json`) books a trip;
//! - the longest `customer_id` the API model accepts
//!   (`schema/start-request.json`'s `maxLength`), in 4-byte characters, still
//!   fits the keys it fills (the `GSI1` partition key `CUSTOMER#{customer_id}`
//!   of the root item) and the trip is confirmed;
//! - a `customer_id` past that bound, started without the API, fails the
//!   state machine's first root write: the execution ends in
//!   `RecordStarted.Failed` with `Saga.RootWriteFailed` and DynamoDB's
//!   reason, and nothing is written.

use std::path::PathBuf;
use std::sync::Arc;

use sagac_runtime::store::{DynamoStore, Store};
use serde_json::{Value, json};
use trip_e2e::lambdas::InProcess;
use trip_e2e::machine::{Definition, Run, run};
use trip_e2e::seed_demo;
use trip_testkit::{scan, table};

fn generated(path: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../generated/trip-booking")
        .join(path);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample start request (`sample-input.json` is the execution input).
fn sample_request() -> Value {
    generated("sample-input.json")["request"].clone()
}

/// Runs `request` in process on a fresh table seeded with the demo
/// catalogues.
async fn run_on_demo(request: Value) -> (Run, Arc<DynamoStore>) {
    let store = Arc::new(table().await);
    seed_demo(store.as_ref()).await.unwrap();
    let shared: Arc<dyn Store> = store.clone();
    let lambdas = InProcess::new(shared);
    let table_name = store.config().table_name.clone();
    let run = run(
        &Definition::trip_booking(),
        &lambdas,
        &table_name,
        request,
        None,
    )
    .await;
    (run, store)
}

fn root_item(items: &[sagac_runtime::store::Item], trip_id: &str) -> Option<Value> {
    items
        .iter()
        .find(|i| i["PK"] == json!(format!("TRIP#{trip_id}")) && i["SK"] == json!("METADATA"))
        .map(|i| Value::Object(i.clone()))
}

#[tokio::test]
async fn the_sample_request_books_a_trip_from_the_demo_catalogue() {
    let request = sample_request();
    let trip_id = request["trip_id"].as_str().unwrap().to_owned();
    let (run, store) = run_on_demo(request).await;
    assert_eq!(
        run.lambda_states(),
        ["ReserveFlight", "ReserveHotel", "ProcessPayment"],
        "{:#?}",
        run.history
    );
    assert_eq!((run.end.as_str(), run.failed), ("RecordSucceeded", false));
    let items = scan(&store).await;
    let root = root_item(&items, &trip_id).expect("the root item");
    assert_eq!(root["status"], json!("CONFIRMED"));
}

#[tokio::test]
async fn the_longest_customer_id_the_api_accepts_fits_every_key() {
    let schema = generated("schema/start-request.json");
    let max = schema["properties"]["customer_id"]["maxLength"]
        .as_u64()
        .expect("customer_id has a maxLength") as usize;
    // Four bytes of UTF-8 each: the most bytes the API lets through.
    let customer_id = "😀".repeat(max);
    let mut request = sample_request();
    request["trip_id"] = json!("trip-longest-customer-0001");
    request["customer_id"] = json!(customer_id);
    let (run, store) = run_on_demo(request).await;
    assert_eq!(
        (run.end.as_str(), run.failed),
        ("RecordSucceeded", false),
        "{:#?}",
        run.history
    );
    let items = scan(&store).await;
    let root = root_item(&items, "trip-longest-customer-0001").expect("the root item");
    assert_eq!(root["status"], json!("CONFIRMED"));
    let gsi = root["GSI1PK"].as_str().unwrap();
    assert!(gsi.len() <= 2048, "GSI1PK is {} bytes", gsi.len());
}

#[tokio::test]
async fn a_customer_id_past_the_bound_ends_in_a_recorded_root_write_failure() {
    let mut request = sample_request();
    request["trip_id"] = json!("trip-too-long-customer-0001");
    request["customer_id"] = json!("c".repeat(3000));
    let (run, store) = run_on_demo(request).await;
    assert_eq!(run.lambda_states(), Vec::<&str>::new(), "no step ran");
    assert_eq!(
        (run.end.as_str(), run.failed),
        ("RecordStarted.Failed", true)
    );
    let error = run.error.expect("the Fail state's error");
    assert_eq!(error.error, "Saga.RootWriteFailed");
    assert!(
        error
            .cause
            .starts_with("RecordStarted could not write the Trip item"),
        "{}",
        error.cause
    );
    assert!(
        error.cause.contains("DynamoDb.ValidationException")
            && error.cause.contains("exceeded the maximum size limit"),
        "{}",
        error.cause
    );
    let items = scan(&store).await;
    assert!(root_item(&items, "trip-too-long-customer-0001").is_none());
    assert!(
        !items
            .iter()
            .any(|i| i["PK"] == json!("TRIP#trip-too-long-customer-0001")),
        "nothing of the trip is written"
    );
}
