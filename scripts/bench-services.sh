#!/usr/bin/env bash
# Benchmarks the three service Lambda binaries (flight, hotel, payment) the
# way Lambda runs them, against DynamoDB on a local moto_server.
#
#   scripts/bench-services.sh [--invocations N] [--cold-starts K]
#
# 1. Builds the binaries in release (`cargo build --release -p flight -p
#    hotel -p payment`) and the driver `lambda-bench` (crate trip-e2e).
# 2. Uses the DynamoDB-wire server at $AWS_ENDPOINT_URL, or starts
#    moto_server with scripts/moto-server.sh (stopped again on exit).
# 3. lambda-bench, for each binary, against a fake Lambda Runtime API
#    (trip-testkit's FakeRuntime, plain std threads on loopback):
#    - init: K cold starts (default 20), each from just before spawn until
#      the process first sends GET /2018-06-01/runtime/invocation/next;
#    - peak RSS: VmHWM of /proc/<pid>/status right after init and after
#      all invocations;
#    - latency: N real step events (default 100, one new trip each), N
#      replays of them (answered from the idempotency record) and N
#      compensations, each from handing the event out to the response
#      (Lambda's own Duration). moto is a Python server: most of a step's
#      time is moto's.
# 4. Prints a table, and checks it against this machine's targets (init
#    under 10 ms, peak RSS under 16 MiB); the exit status is 1 if one is
#    missed.
#
# Environment: CARGO_TARGET_DIR is honoured; SAGAC_TOOLS as for
# scripts/moto-server.sh. Build only these crates: the machine is shared.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

INIT_TARGET_MS=10
RSS_TARGET_MIB=16
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --invocations|--cold-starts) ARGS+=("$1" "${2:?$1 needs a number}"); shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-services: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

echo "==> building the service binaries (release)" >&2
cargo build --release --locked -p flight -p hotel -p payment --bins >&2
cargo build --release --locked -p trip-e2e --bin lambda-bench >&2
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
for bin in flight hotel payment lambda-bench; do
  [ -x "$TARGET/$bin" ] || { echo "bench-services: $TARGET/$bin was not built" >&2; exit 1; }
done
ls -l "$TARGET/flight" "$TARGET/hotel" "$TARGET/payment" | awk '{printf "    %-40s %6.1f MiB\n", $NF, $5/1048576}' >&2

STARTED_MOTO=0
cleanup() {
  if [ "$STARTED_MOTO" = 1 ]; then scripts/moto-server.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  if ! scripts/moto-server.sh status >/dev/null 2>&1; then
    echo "==> starting moto_server" >&2
    scripts/moto-server.sh start >&2
    STARTED_MOTO=1
  fi
  eval "$(scripts/moto-server.sh env)"
fi
export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" \
  AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" AWS_REGION="${AWS_REGION:-us-east-1}"
echo "==> endpoint $AWS_ENDPOINT_URL; $(nproc) CPUs; $(uname -srm)" >&2

RESULTS="$(mktemp)"
trap 'cleanup; rm -f "$RESULTS"' EXIT
echo
"$TARGET/lambda-bench" "${ARGS[@]}" \
  flight="$TARGET/flight" hotel="$TARGET/hotel" payment="$TARGET/payment" 2>"$RESULTS"
echo

# Check the targets from the JSON lines lambda-bench wrote on stderr.
python3 - "$RESULTS" "$INIT_TARGET_MS" "$RSS_TARGET_MIB" <<'EOF'
import json, sys
path, init_target, rss_target = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
missed = []
for line in open(path):
    line = line.strip()
    if not line.startswith("{"):
        print(line, file=sys.stderr)
        continue
    row = json.loads(line)
    name = row["binary"]
    if row["init_ms_p50"] >= init_target:
        missed.append(f"{name}: init p50 {row['init_ms_p50']:.2f} ms >= {init_target:g} ms")
    peak = (row["peak_rss_kib"] or 0) / 1024
    if peak >= rss_target:
        missed.append(f"{name}: peak RSS {peak:.2f} MiB >= {rss_target:g} MiB")
if missed:
    print("targets missed:\n  " + "\n  ".join(missed))
    sys.exit(1)
print(f"targets met: init p50 < {init_target:g} ms and peak RSS < {rss_target:g} MiB for every binary")
EOF
