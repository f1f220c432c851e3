//! The ticket-sale saga end to end, on a table whose conventions are not
//! the reference spec's: key attributes `pk`/`sk`, TTL attribute
//! `expires`, outbox items under `EVT#`.
//!
//! Nothing here restates those names. The spec is compiled with the same
//! core the CLI uses; the table is created on the test server exactly as
//! the generated template declares it; the generated state machine is run
//! (by `trip_e2e::machine`) against the real `seating` and `billing`
//! binaries, whose table layout is compiled in by `saga!`; then the
//! table's stream, filtered by the template's event source mapping, is fed
//! to the real `outbox-dispatcher` binary with the environment the
//! template gives it, and the events it publishes are read back from the
//! bus. If any of the three disagreed about a key attribute or the outbox
//! prefix, the services' writes would miss the table's keys, the stream
//! filter would drop the outbox items, or the dispatcher would ignore
//! them, and no event would arrive.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use box_office::seating::{Seating, table_layout};
use sagac_runtime::store::{DynamoStore, Key, Store, StoreConfig};
use serde_json::{Value, json};
use trip_e2e::lambdas::{Binaries, build_bins};
use trip_e2e::machine::{Definition, run_execution};
use trip_testkit::lambda::{FakeRuntime, LambdaProcess, Outcome, service_env};
use trip_testkit::stack::{bus_to_queue, create_table, drain, filtered, stream_records};
use trip_testkit::{Execution, quiet, sdk_config, unique};

const SPEC: &str = "../../spec/examples/ticket-sale.saga.yaml";

/// The compiled spec: the template (as JSON) and the state machine.
fn compile() -> (Value, Definition) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SPEC);
    let bytes = std::fs::read(&path).expect("read the spec");
    let saga = sagac_core::compile_bytes(SPEC, &bytes)
        .unwrap_or_else(|(_, diagnostics)| panic!("the spec does not compile: {diagnostics:?}"));
    let template = sagac_core::emit::cfn::template(&saga);
    let asl = sagac_core::emit::build(&saga)
        .into_iter()
        .find(|f| f.path.ends_with("statemachine.asl.json"))
        .expect("a state machine");
    (template, Definition::parse(&asl.contents))
}

fn request(sale: &str, seats: i64, card: &str) -> Value {
    json!({
        "sale_id": sale, "concert_id": "ARENA-2026", "buyer_id": "b-1",
        "seats": seats, "amount": "120.00", "card_token": card,
    })
}

/// A template environment with its `Ref`s resolved by `refs`; any other
/// intrinsic is a test failure (a new variable this test must learn).
fn environment(variables: &Value, refs: &BTreeMap<&str, String>) -> Vec<(String, String)> {
    variables
        .as_object()
        .expect("Variables")
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Object(o) if o.contains_key("Ref") => {
                    let target = o["Ref"].as_str().expect("a Ref");
                    refs.get(target)
                        .unwrap_or_else(|| panic!("{name}: no test value for Ref {target}"))
                        .clone()
                }
                other => panic!("{name}: {other} is not interpreted"),
            };
            (name.clone(), value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_table_layout_runs_end_to_end_through_the_binaries() {
    quiet();
    let (template, definition) = compile();
    let resources = &template["Resources"];

    // The table, as the template declares it.
    let table = unique("BoxOfficeTable");
    create_table(&table, &resources["SagaTable"]["Properties"]).await;
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&sdk_config().await),
        StoreConfig::with_layout(&table, table_layout()),
    ));
    Seating::new(Arc::clone(&store))
        .open_concert("ARENA-2026", 4)
        .await
        .expect("open the concert");

    // The saga through the service binaries.
    let built =
        tokio::task::spawn_blocking(|| build_bins(&["seating", "billing", "outbox-dispatcher"]))
            .await
            .unwrap();
    let services: Vec<(String, PathBuf)> = ["seating", "billing"]
        .iter()
        .map(|s| (s.to_string(), built[*s].clone()))
        .collect();
    let lambdas = Binaries::start_named("TicketSale", &services, &service_env(&table));
    let sales = [
        (
            "sale-happy-0001",
            request("sale-happy-0001", 2, "tok_visa"),
            "COMPLETED",
        ),
        (
            "sale-declined-01",
            request("sale-declined-01", 1, "tok_declined"),
            "CANCELLED",
        ),
        (
            "sale-soldout-001",
            request("sale-soldout-001", 3, "tok_visa"),
            "CANCELLED",
        ),
    ];
    for (sale, request, _) in &sales {
        let execution = Execution::of("TicketSale", sale, request.clone());
        let run = run_execution(&definition, &lambdas, &table, execution, None).await;
        assert!(!run.history.is_empty(), "{sale}: nothing ran");
    }

    // The table, read through the spec's layout.
    for (sale, _, status) in &sales {
        let root = store
            .get(&Key::new(format!("SALE#{sale}"), "SALE"))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{sale}: no root item under pk/sk"));
        assert_eq!(root["status"], json!(status), "{sale}");
    }
    let inventory = store
        .get(&box_office::seating::inventory_key("ARENA-2026"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        inventory["available"],
        json!(2),
        "only the completed sale holds seats"
    );

    // The stream, as the dispatcher's event source mapping delivers it.
    let records = stream_records(&table).await;
    let mapping = &resources["OutboxDispatcherStreamMapping"]["Properties"];
    let batch = filtered(&records, &mapping["FilterCriteria"]);
    let outbox: Vec<&Value> = records
        .iter()
        .filter(|r| r["eventName"] == "INSERT")
        .filter(|r| {
            r["dynamodb"]["Keys"]["sk"]["S"]
                .as_str()
                .is_some_and(|sk| sk.starts_with("EVT#"))
        })
        .collect();
    assert!(!outbox.is_empty(), "no outbox item reached the stream");
    assert_eq!(
        batch.len(),
        outbox.len(),
        "the filter selects exactly the outbox items"
    );

    // The dispatcher, with the template's environment.
    let (bus, queue) = bus_to_queue("boxoffice.sales").await;
    let refs = BTreeMap::from([("SagaTable", table.clone()), ("EventBus", bus)]);
    let mut env = environment(
        &resources["OutboxDispatcher"]["Properties"]["Environment"]["Variables"],
        &refs,
    );
    env.extend(
        service_env(&table)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let runtime = FakeRuntime::start();
    let _dispatcher = LambdaProcess::spawn(
        &built["outbox-dispatcher"],
        &runtime,
        "TicketSale-outbox-dispatcher",
        &env,
    );
    let response = match runtime
        .invoke(json!({ "Records": batch }), Duration::from_secs(30))
        .outcome
    {
        Outcome::Response(value) => value,
        Outcome::Error(error) => panic!("the dispatcher failed: {error}"),
    };
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");

    // Every outbox event published once, each sale's in order.
    let mut published: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in drain(&queue).await {
        let sale = event["detail"]["sale_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let kind = event["detail-type"].as_str().unwrap_or_default().to_owned();
        published.entry(sale).or_default().push(kind);
    }
    let expected = BTreeMap::from([
        (
            "sale-happy-0001".to_owned(),
            vec!["SaleStarted", "SeatsHeld", "CardCharged", "SaleCompleted"],
        ),
        (
            "sale-declined-01".to_owned(),
            vec!["SaleStarted", "SeatsHeld", "SeatsReleased", "SaleCancelled"],
        ),
        (
            "sale-soldout-001".to_owned(),
            vec!["SaleStarted", "SaleCancelled"],
        ),
    ]);
    let mut seen: BTreeMap<String, Vec<String>> = published.clone();
    for kinds in seen.values_mut() {
        kinds.sort();
    }
    for (sale, kinds) in &expected {
        let mut want: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        want.sort();
        assert_eq!(
            seen.get(sale),
            Some(&want),
            "{sale}: published {published:?}"
        );
    }
    assert_eq!(seen.len(), expected.len(), "published {published:?}");

    // Published outbox items are gone from the table.
    for record in &batch {
        let keys = &record["dynamodb"]["Keys"];
        let key = Key::new(
            keys["pk"]["S"].as_str().unwrap(),
            keys["sk"]["S"].as_str().unwrap(),
        );
        assert!(
            store.get(&key).await.unwrap().is_none(),
            "{key} is still there"
        );
    }
}
