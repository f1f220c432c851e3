//! Times the service binaries as Lambda would run them (see
//! `scripts/bench-services.sh`, which builds them in release and runs this).
//!
//! ```text
//! lambda-bench [--invocations N] [--cold-starts K] flight=PATH hotel=PATH payment=PATH
//! ```
//!
//! Against the DynamoDB-wire server at `AWS_ENDPOINT_URL` (moto), on a
//! fresh table seeded with enough seats and rooms, for each binary:
//!
//! - **init**: `K` cold starts, each from just before `spawn` until the
//!   process first asks the fake Runtime API for an event
//!   (`GET /2018-06-01/runtime/invocation/next`), which is where a
//!   Lambda's init ends;
//! - **invocations**: `N` real events of the step (one new trip each) and
//!   `N` of its compensation, each timed from handing the event out to
//!   receiving the response (Lambda's own `Duration`), plus `N` replays of
//!   a committed step (answered from its idempotency record);
//! - **peak RSS**: the process's `VmHWM` after all of that, and right after
//!   its init;
//! - **in process**: the same step events through the same handler
//!   (`invoke_step`) over the runtime's memory store, in this process: the
//!   services' own cost, without moto's.
//!
//! Each binary gets a fresh table without a stream: moto's
//! `TransactWriteItems` copies the whole table (stream records included) on
//! every call, so its latency grows with the table's history.
//!
//! It prints one table row per binary, and the numbers as JSON lines on
//! stderr for scripts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sagac_runtime::store::{MemoryStore, Store, StoreConfig};
use serde_json::{Value, json};
use trip_e2e::lambdas::InProcess;
use trip_e2e::machine::{Lambdas, Service};
use trip_testkit::lambda::{FakeRuntime, LambdaProcess, Outcome, service_env};
use trip_testkit::{Execution, request, table_with};

struct Options {
    invocations: usize,
    cold_starts: usize,
    binaries: HashMap<String, PathBuf>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        invocations: 100,
        cold_starts: 20,
        binaries: HashMap::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--invocations" => options.invocations = number("--invocations")?,
            "--cold-starts" => options.cold_starts = number("--cold-starts")?,
            other => {
                let (service, path) = other
                    .split_once('=')
                    .ok_or_else(|| format!("unexpected argument `{other}`"))?;
                options
                    .binaries
                    .insert(service.to_owned(), PathBuf::from(path));
            }
        }
    }
    for service in ["flight", "hotel", "payment"] {
        if !options.binaries.contains_key(service) {
            return Err(format!("missing {service}=PATH"));
        }
    }
    Ok(options)
}

/// The step and compensation of a service.
fn states(service: &str) -> (&'static str, &'static str) {
    match service {
        "flight" => ("ReserveFlight", "CancelFlight"),
        "hotel" => ("ReserveHotel", "CancelHotel"),
        _ => ("ProcessPayment", "RefundPayment"),
    }
}

/// Seats and rooms for every trip of the run.
async fn seed(store: &dyn Store, trips: usize) {
    use flight::domain::{AirportCode, FlightInventory, FlightNumber, Route};
    use hotel::domain::{HotelCode, RoomInventory};
    let capacity = u32::try_from(trips * 10 + 10).unwrap_or(u32::MAX);
    let route = Route::new(
        AirportCode::new("HND").expect("code"),
        AirportCode::new("CDG").expect("code"),
    )
    .expect("route");
    flight::adapters::put_inventory(
        store,
        &FlightInventory::new(
            FlightNumber::new("NH203").expect("number"),
            "2025-04-01".parse().expect("date"),
            route,
            capacity,
            "1200.50".parse().expect("fare"),
        ),
    )
    .await
    .expect("seed the flight");
    for day in 1..=4 {
        hotel::adapters::put_night(
            store,
            &RoomInventory::new(
                HotelCode::new("PAR-LOUVRE").expect("code"),
                hotel::domain::Date::from_ymd(2025, 4, day).expect("date"),
                capacity,
                "240.00".parse().expect("rate"),
            ),
        )
        .await
        .expect("seed a night");
    }
}

#[derive(Default)]
struct Row {
    init_ms: Vec<f64>,
    rss_after_init_kib: Option<u64>,
    peak_rss_kib: Option<u64>,
    action_ms: Vec<f64>,
    compensation_ms: Vec<f64>,
    replay_ms: Vec<f64>,
    in_process_us: Vec<f64>,
}

fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn invoke(runtime: &FakeRuntime, payload: Value, what: &str) -> f64 {
    let done = runtime.invoke(payload, Duration::from_secs(60));
    if let Outcome::Error(error) = &done.outcome {
        panic!("{what} failed: {error}");
    }
    done.duration.as_secs_f64() * 1000.0
}

fn bench(service: &str, binary: &Path, table: &str, options: &Options) -> Row {
    let env = service_env(table);
    let mut row = Row::default();
    let function = format!("TripBooking-{service}");
    for _ in 0..options.cold_starts {
        let runtime = FakeRuntime::start();
        let process = LambdaProcess::spawn(binary, &runtime, &function, &env);
        let polled = runtime
            .wait_for_first_poll(Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{service} never asked for an event"));
        row.init_ms
            .push(polled.duration_since(process.spawned_at).as_secs_f64() * 1000.0);
        row.rss_after_init_kib = process.peak_rss_kib();
    }

    let runtime = FakeRuntime::start();
    let process = LambdaProcess::spawn(binary, &runtime, &function, &env);
    runtime
        .wait_for_first_poll(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("{service} never asked for an event"));
    let (action, compensation) = states(service);
    for i in 0..options.invocations {
        let mut execution = Execution::new(request(&format!("bench-{service}-{i:06}")));
        let done = runtime.invoke(execution.payload(action, 0), Duration::from_secs(60));
        let Outcome::Response(output) = done.outcome else {
            panic!("{action} failed: {:?}", done.outcome);
        };
        row.action_ms.push(done.duration.as_secs_f64() * 1000.0);
        // The same event again: answered from the idempotency record.
        row.replay_ms
            .push(invoke(&runtime, execution.payload(action, 1), "replay"));
        execution.record(action, output);
        execution.fail("States.Timeout", "bench: a later step timed out");
        row.compensation_ms.push(invoke(
            &runtime,
            execution.payload(compensation, 0),
            compensation,
        ));
    }
    row.peak_rss_kib = process.peak_rss_kib();
    row
}

/// The step events through the service's handler over a memory store, in
/// this process; microseconds each.
async fn in_process(service: &str, invocations: usize) -> Vec<f64> {
    let memory = Arc::new(MemoryStore::new(StoreConfig::new("TripSagaTable")));
    seed(memory.as_ref(), invocations).await;
    let lambdas = InProcess::new(memory);
    let target = Service::named(service).expect("a service").name();
    let (action, _) = states(service);
    let mut times = Vec::with_capacity(invocations);
    for i in 0..invocations {
        let payload =
            Execution::new(request(&format!("local-{service}-{i:06}"))).payload(action, 0);
        let started = std::time::Instant::now();
        lambdas
            .invoke(target, payload)
            .await
            .unwrap_or_else(|e| panic!("{action} in process: {e:?}"));
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    times
}

fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("lambda-bench: {message}");
            eprintln!(
                "usage: lambda-bench [--invocations N] [--cold-starts K] flight=PATH hotel=PATH payment=PATH"
            );
            std::process::exit(2);
        }
    };
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    trip_testkit::quiet();

    println!(
        "{:<8} {:>9} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "binary",
        "init p50",
        "init min",
        "init max",
        "RSS@init",
        "peak RSS",
        "step p50",
        "step p90",
        "step p99",
        "undo p50",
        "replay",
        "in-proc"
    );
    println!(
        "{:<8} {:>9} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "", "ms", "ms", "ms", "MiB", "MiB", "ms", "ms", "ms", "ms", "p50 ms", "p50 µs"
    );
    for service in ["flight", "hotel", "payment"] {
        let table_name = tokio.block_on(async {
            let store = table_with(false).await;
            seed(&store, options.invocations).await;
            store.config().table_name.clone()
        });
        let mut row = bench(service, &options.binaries[service], &table_name, &options);
        row.in_process_us = tokio.block_on(in_process(service, options.invocations));
        let mib = |kib: Option<u64>| kib.map_or(f64::NAN, |k| k as f64 / 1024.0);
        println!(
            "{:<8} {:>9.2} {:>9.2} {:>9.2} {:>10.2} {:>10.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.1}",
            service,
            percentile(&row.init_ms, 50.0),
            percentile(&row.init_ms, 0.0),
            percentile(&row.init_ms, 100.0),
            mib(row.rss_after_init_kib),
            mib(row.peak_rss_kib),
            percentile(&row.action_ms, 50.0),
            percentile(&row.action_ms, 90.0),
            percentile(&row.action_ms, 99.0),
            percentile(&row.compensation_ms, 50.0),
            percentile(&row.replay_ms, 50.0),
            percentile(&row.in_process_us, 50.0),
        );
        eprintln!(
            "{}",
            json!({
                "binary": service,
                "cold_starts": row.init_ms.len(),
                "init_ms_p50": percentile(&row.init_ms, 50.0),
                "init_ms_max": percentile(&row.init_ms, 100.0),
                "rss_after_init_kib": row.rss_after_init_kib,
                "peak_rss_kib": row.peak_rss_kib,
                "invocations": row.action_ms.len() + row.compensation_ms.len() + row.replay_ms.len(),
                "step_ms_p50": percentile(&row.action_ms, 50.0),
                "step_ms_p90": percentile(&row.action_ms, 90.0),
                "step_ms_p99": percentile(&row.action_ms, 99.0),
                "compensation_ms_p50": percentile(&row.compensation_ms, 50.0),
                "replay_ms_p50": percentile(&row.replay_ms, 50.0),
                "in_process_us_p50": percentile(&row.in_process_us, 50.0),
            })
        );
    }
}
