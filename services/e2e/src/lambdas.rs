//! The two ways of running the services' Lambdas for [`crate::machine`]:
//! [`InProcess`] (the generated handlers through `sagac_runtime::invoke_step`,
//! exactly what each binary runs per event) and [`Binaries`] (the real
//! `flight`, `hotel` and `payment` processes behind fake Lambda Runtime
//! APIs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use flight::adapters::DynamoFlightRepository;
use flight::handlers::{Flight, FlightHandler};
use hotel::adapters::DynamoHotelRepository;
use hotel::handlers::{Hotel, HotelHandler};
use payment::adapters::DynamoPaymentRepository;
use payment::handlers::{Payment, PaymentHandler};
use sagac_runtime::store::Store;
use sagac_runtime::{SagaError, invoke_step};
use serde_json::Value;
use trip_testkit::lambda::{FakeRuntime, LambdaProcess, Outcome, service_env};

use crate::machine::{Failure, Lambdas, Service};

impl From<SagaError> for Failure {
    fn from(error: SagaError) -> Self {
        Failure {
            error: error.error_name().to_owned(),
            cause: error.message(),
        }
    }
}

/// The three services in this process, over one store.
pub struct InProcess {
    store: Arc<dyn Store>,
    flight: FlightHandler<Flight<DynamoFlightRepository>>,
    hotel: HotelHandler<Hotel<DynamoHotelRepository>>,
    payment: PaymentHandler<Payment<DynamoPaymentRepository>>,
}

impl InProcess {
    /// The services over `store`, as each binary builds them at init.
    pub fn new(store: Arc<dyn Store>) -> Self {
        InProcess {
            flight: FlightHandler::new(Flight::new(DynamoFlightRepository::new(Arc::clone(
                &store,
            )))),
            hotel: HotelHandler::new(Hotel::new(DynamoHotelRepository::new(Arc::clone(&store)))),
            payment: PaymentHandler::new(Payment::new(DynamoPaymentRepository::new(Arc::clone(
                &store,
            )))),
            store,
        }
    }
}

impl Lambdas for InProcess {
    async fn invoke(&self, service: &str, payload: Value) -> Result<Value, Failure> {
        let store = Some(self.store.as_ref());
        let outcome = match Service::named(service) {
            Some(Service::Flight) => {
                invoke_step(&self.flight.config(), store, &self.flight, payload).await
            }
            Some(Service::Hotel) => {
                invoke_step(&self.hotel.config(), store, &self.hotel, payload).await
            }
            Some(Service::Payment) => {
                invoke_step(&self.payment.config(), store, &self.payment, payload).await
            }
            None => panic!("the travel saga has no service `{service}`"),
        };
        outcome.map_err(Failure::from)
    }
}

/// Service binaries, each running against its own fake Runtime API; killed
/// on drop.
pub struct Binaries {
    // The process first: it is killed before its runtime goes away.
    running: HashMap<String, (LambdaProcess, FakeRuntime)>,
}

impl Binaries {
    /// Starts the travel services' binaries (`binaries[service]`) against
    /// the table `table` on the test server.
    pub fn start(binaries: &HashMap<Service, PathBuf>, table: &str) -> Binaries {
        let named: Vec<(String, PathBuf)> = Service::ALL
            .into_iter()
            .map(|s| (s.name().to_owned(), binaries[&s].clone()))
            .collect();
        Binaries::start_named("TripBooking", &named, &service_env(table))
    }

    /// Starts each `(service, binary)` of the saga `saga` with `env`, and
    /// waits for each to finish its init.
    pub fn start_named(
        saga: &str,
        binaries: &[(String, PathBuf)],
        env: &[(&str, String)],
    ) -> Binaries {
        let mut running = HashMap::new();
        for (service, binary) in binaries {
            let runtime = FakeRuntime::start();
            let process = LambdaProcess::spawn(binary, &runtime, &format!("{saga}-{service}"), env);
            assert!(
                runtime
                    .wait_for_first_poll(Duration::from_secs(30))
                    .is_some(),
                "the {service} binary never asked for an event"
            );
            running.insert(service.clone(), (process, runtime));
        }
        Binaries { running }
    }
}

impl Lambdas for Binaries {
    async fn invoke(&self, service: &str, payload: Value) -> Result<Value, Failure> {
        let (_, runtime) = self
            .running
            .get(service)
            .unwrap_or_else(|| panic!("no binary runs the service `{service}`"));
        match runtime.invoke(payload, Duration::from_secs(30)).outcome {
            Outcome::Response(value) => Ok(value),
            Outcome::Error(error) => Err(Failure {
                error: error["errorType"].as_str().unwrap_or_default().to_owned(),
                cause: error["errorMessage"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            }),
        }
    }
}

/// Builds the three travel service binaries (see [`build_bins`]).
pub fn build_binaries() -> HashMap<Service, PathBuf> {
    let names: Vec<&str> = Service::ALL.iter().map(|s| s.name()).collect();
    let built = build_bins(&names);
    Service::ALL
        .into_iter()
        .map(|s| (s, built[s.name()].clone()))
        .collect()
}

/// Builds the workspace's binaries named `bins` with the Cargo that built
/// this crate, in the profile of the running executable (`release` if it
/// lives under a `release` directory, `dev` otherwise), and returns their
/// paths by binary name.
///
/// It builds `--workspace --all-targets`, the invocation `scripts/test.sh`
/// builds with: cargo resolves features per invocation, and building one
/// package alone would resolve fewer (the CLI's AWS SDK crates add features
/// to the SDK's shared crates), so every SDK crate would be compiled again
/// for it. This way the build is a no-op after the test suite's own build.
/// Cargo no longer holds its build lock while tests run, so a test may call
/// this.
pub fn build_bins(bins: &[&str]) -> HashMap<String, PathBuf> {
    let release = std::env::current_exe()
        .ok()
        .is_some_and(|exe| exe.components().any(|c| c.as_os_str() == "release"));
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args([
            "build",
            "--workspace",
            "--all-targets",
            "--message-format=json-render-diagnostics",
        ]);
    if release {
        command.arg("--release");
    }
    let output = command.output().expect("run cargo build");
    assert!(
        output.status.success(),
        "cargo build of {bins:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut binaries = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let (Some(name), Some(executable)) = (
            message.pointer("/target/name").and_then(Value::as_str),
            message.get("executable").and_then(Value::as_str),
        ) else {
            continue;
        };
        // The binary itself, not its unit-test harness (same target name).
        let is_bin = message
            .pointer("/target/kind")
            .and_then(Value::as_array)
            .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
        if !is_bin || message.pointer("/profile/test") != Some(&Value::Bool(false)) {
            continue;
        }
        if bins.contains(&name) {
            binaries.insert(name.to_owned(), PathBuf::from(executable));
        }
    }
    for bin in bins {
        assert!(binaries.contains_key(*bin), "cargo built no `{bin}` binary");
    }
    binaries
}
