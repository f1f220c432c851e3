#!/usr/bin/env python3
"""Times moto's Step Functions interpreter (tests/asl/harness.py) on the same
execution as `cargo bench -p sagac-executor` (benches/trip.rs): the reference
saga's happy path, generated/trip-booking/statemachine.asl.json with its
sfn-mock-config.json and sample-input.json.

    .cache/venv/bin/python runtime/executor/benches/moto_trip.py [RUNS]

Prints the mean, median and minimum per execution. Retries do not sleep in
the harness, and the happy path has none anyway.
"""

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "asl"))

from harness import run  # noqa: E402

GENERATED = ROOT / "generated" / "trip-booking"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    definition = json.loads((GENERATED / "statemachine.asl.json").read_text())
    mocks = json.loads((GENERATED / "sfn-mock-config.json").read_text())
    inp = json.loads((GENERATED / "sample-input.json").read_text())
    machine = next(iter(mocks["StateMachines"]))
    run(definition, mocks, machine, "HappyPath", inp)  # warm-up: imports, parser tables
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = run(definition, mocks, machine, "HappyPath", inp)
        times.append(time.perf_counter() - start)
        assert result.status == "SUCCEEDED", result.status
    ms = [t * 1000 for t in times]
    print(f"moto interpreter, trip-booking HappyPath, {runs} runs: "
          f"mean {statistics.mean(ms):.2f} ms, median {statistics.median(ms):.2f} ms, "
          f"min {min(ms):.2f} ms per execution")


if __name__ == "__main__":
    main()
