//! `generated/` holds the committed build of the reference spec; this test
//! fails when it is stale, naming the command that refreshes it.

use std::path::Path;
use std::process::Command;

#[test]
fn generated_trip_booking_is_fresh() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sagac"))
        .args(["build", "spec/trip.saga.yaml", "--check"])
        .current_dir(workspace)
        .output()
        .expect("sagac runs");
    assert!(
        output.status.success(),
        "generated/trip-booking/ is out of date with spec/trip.saga.yaml and the emitters:\n{}\nrun: cargo run -p sagac -- build spec/trip.saga.yaml",
        String::from_utf8_lossy(&output.stderr)
    );
}
