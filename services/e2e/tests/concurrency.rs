//! Races through the real service binaries on the test server: what
//! DynamoDB's transactions guarantee must hold when Lambda instances run
//! side by side.
//!
//! - Twelve sagas race for the last seat of a flight, spread over four
//!   `flight` processes (four concurrent Lambda instances): exactly one
//!   books it, the other eleven are refused with `NoSeatsAvailable`, and
//!   the inventory holds exactly that one booking.
//! - One step delivered four times at once (Lambda's at-least-once
//!   delivery, or a retry racing a slow first attempt), to four processes:
//!   it takes effect once (one reservation, one outbox event, one
//!   idempotency record), and every delivery that answers gives the same
//!   answer.
//!
//! This needs a server whose transactions are atomic under concurrent
//! requests, which moto's are not when it serves requests on threads; the
//! project's test server handles one request at a time
//! (`scripts/moto_server_serial.py`), and these tests are the proof.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sagac_runtime::store::{DynamoStore, Item, Key, Store};
use serde_json::{Value, json};
use trip_e2e::lambdas::build_bins;
use trip_e2e::seed_demo;
use trip_testkit::lambda::{FakeRuntime, LambdaProcess, Outcome, service_env};
use trip_testkit::{Execution, request, scan, table};

/// Four `flight` processes against `table`.
fn flight_instances(binary: &Path, table: &str) -> Vec<(LambdaProcess, FakeRuntime)> {
    (0..4)
        .map(|i| {
            let runtime = FakeRuntime::start();
            let process = LambdaProcess::spawn(
                binary,
                &runtime,
                &format!("TripBooking-flight-{i}"),
                &service_env(table),
            );
            assert!(
                runtime
                    .wait_for_first_poll(Duration::from_secs(30))
                    .is_some(),
                "flight instance {i} never asked for an event"
            );
            (process, runtime)
        })
        .collect()
}

/// Runs every execution's `state` at once, execution `i` on instance
/// `i % 4`, each retried on `TransientError` as the state machine's
/// retrier does (a new attempt, `State.RetryCount` + 1) until it answers
/// definitely; returns every attempt's outcome, per execution.
fn all_at_once(
    instances: &[(LambdaProcess, FakeRuntime)],
    executions: Vec<Execution>,
    state: &str,
) -> Vec<Vec<Outcome>> {
    std::thread::scope(|scope| {
        let running: Vec<_> = executions
            .into_iter()
            .enumerate()
            .map(|(i, execution)| {
                let runtime = &instances[i % instances.len()].1;
                scope.spawn(move || {
                    let mut attempts = Vec::new();
                    for retry in 0..10 {
                        let outcome = runtime
                            .invoke(execution.payload(state, retry), Duration::from_secs(60))
                            .outcome;
                        let transient = outcome.error_type() == Some("TransientError");
                        attempts.push(outcome);
                        if !transient {
                            break;
                        }
                    }
                    attempts
                })
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("an invocation thread"))
            .collect()
    })
}

/// The last (definite) outcome of each execution.
fn last(outcomes: &[Vec<Outcome>]) -> Vec<&Outcome> {
    outcomes
        .iter()
        .filter_map(|attempts| attempts.last())
        .collect()
}

fn flight_binary() -> PathBuf {
    build_bins(&["flight"])["flight"].clone()
}

fn reservations<'a>(items: &'a [Item], trip: Option<&str>) -> Vec<&'a Item> {
    items
        .iter()
        .filter(|i| i["SK"].as_str().is_some_and(|sk| sk.starts_with("FLIGHT#")))
        .filter(|i| trip.is_none_or(|t| i["trip_id"] == json!(t)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_sagas_racing_for_the_last_seat_book_it_once() {
    let store: DynamoStore = table().await;
    seed_demo(&store).await.expect("seed the catalogues");
    let binary = tokio::task::spawn_blocking(flight_binary).await.unwrap();
    let instances = flight_instances(&binary, &store.config().table_name);

    // JL41 has a single seat on every day of the demo schedule.
    let executions: Vec<Execution> = (0..12)
        .map(|i| {
            let mut request = request(&format!("trip-race-{i:04}"));
            request["flight_number"] = json!("JL41");
            request["destination"] = json!("LHR");
            request["depart_on"] = json!("2025-04-02");
            request["seats"] = json!(1);
            Execution::new(request)
        })
        .collect();
    let outcomes =
        tokio::task::spawn_blocking(move || all_at_once(&instances, executions, "ReserveFlight"))
            .await
            .unwrap();

    let definite = last(&outcomes);
    let booked = definite
        .iter()
        .filter(|o| matches!(o, Outcome::Response(_)))
        .count();
    let refused = definite
        .iter()
        .filter(|o| o.error_type() == Some("NoSeatsAvailable"))
        .count();
    assert_eq!(
        (booked, refused),
        (1, 11),
        "one booking, eleven refusals: {outcomes:?}"
    );

    let items = scan(&store).await;
    let reserved: Vec<&Item> = reservations(&items, None)
        .into_iter()
        .filter(|i| i["status"] == json!("RESERVED"))
        .collect();
    assert_eq!(reserved.len(), 1, "exactly one reservation: {reserved:?}");
    let inventory = store
        .get(&Key::new("FLIGHT#JL41#2025-04-02", "INVENTORY"))
        .await
        .unwrap()
        .expect("the inventory");
    let holds = inventory["holds"].as_object().expect("holds");
    assert_eq!(holds.len(), 1, "one hold on the last seat: {holds:?}");
    assert_eq!(
        holds.keys().next().map(String::as_str),
        reserved[0]["trip_id"].as_str(),
        "the hold is the reservation's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_delivered_four_times_at_once_takes_effect_once() {
    let store: DynamoStore = table().await;
    seed_demo(&store).await.expect("seed the catalogues");
    let binary = tokio::task::spawn_blocking(flight_binary).await.unwrap();
    let instances = flight_instances(&binary, &store.config().table_name);
    let trip = "trip-dup4-0001";
    let execution = Execution::new(request(trip));

    let outcomes = tokio::task::spawn_blocking(move || {
        all_at_once(&instances, vec![execution; 4], "ReserveFlight")
    })
    .await
    .unwrap();

    let answers: Vec<&Value> = last(&outcomes)
        .into_iter()
        .map(|o| match o {
            Outcome::Response(v) => v,
            Outcome::Error(e) => panic!("a delivery failed for good: {e}"),
        })
        .collect();
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "every delivery answers with the one commit's result: {answers:?}"
    );

    let items = scan(&store).await;
    let mine: Vec<&Item> = items
        .iter()
        .filter(|i| i["PK"] == json!(format!("TRIP#{trip}")))
        .collect();
    let count = |prefix: &str| {
        mine.iter()
            .filter(|i| i["SK"].as_str().is_some_and(|sk| sk.starts_with(prefix)))
            .count()
    };
    let outbox = flight::handlers::table_layout().outbox_prefix().to_owned();
    assert_eq!(reservations(&items, Some(trip)).len(), 1, "one reservation");
    assert_eq!(count(&outbox), 1, "one outbox event");
    assert_eq!(count("IDEMPOTENCY#"), 1, "one idempotency record");
    let inventory = store
        .get(&Key::new("FLIGHT#NH203#2025-04-01", "INVENTORY"))
        .await
        .unwrap()
        .expect("the inventory");
    assert_eq!(inventory["holds"][trip], json!(2), "two seats held once");
}
