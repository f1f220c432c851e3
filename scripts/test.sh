#!/usr/bin/env bash
# The project's whole test command (what CI runs, through .ci/run).
#
#   scripts/test.sh                 every step below
#   scripts/test.sh --python-only   setup + moto + pytest (no cargo at all)
#   scripts/test.sh --no-lint       skip cargo fmt --check and clippy
#
# Steps: install the pinned test tools (scripts/setup-tools.sh, in the
# background while the cargo steps run) -> cargo fmt
# --check -> cargo build --all-targets -> cargo clippy -D warnings -> start
# moto_server on loopback (stopped on exit) -> cargo nextest (or cargo test) ->
# doc tests -> pytest over tests/. Later steps still run after a failed one
# where that makes sense, so one run reports everything; the exit status is
# non-zero if any step failed.
#
# Environment given to the cargo and pytest steps:
#   SAGAC_TOOLS=<repo>/.cache         tool cache (venvs, node_modules, moto.port)
#   PATH+=.cache/bin:.cache/venv/bin:.cache/node/node_modules/.bin
#   AWS_ENDPOINT_URL=http://127.0.0.1:<port> AWS_ACCESS_KEY_ID=testing
#   AWS_SECRET_ACCESS_KEY=testing AWS_REGION=AWS_DEFAULT_REGION=us-east-1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON_ONLY=0
LINT=1
for arg in "$@"; do
  case "$arg" in
    --python-only) PYTHON_ONLY=1 ;;
    --no-lint) LINT=0 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

export SAGAC_TOOLS="$ROOT/.cache"
export PYTHONDONTWRITEBYTECODE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
START_TIME=$SECONDS
if [ "${CI:-}" = true ]; then
  # Fresh clone, one build: incremental compilation state only costs time and disk.
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
  export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
  # No debug info: a panic still names its file and line; only backtraces
  # lose them, and every build (trybuild's, the generated projects' of
  # compiler/tests/cli_init.rs) inherits the same setting, so they still
  # share artifacts.
  export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
  export CARGO_PROFILE_DEV_BUILD_OVERRIDE_DEBUG="${CARGO_PROFILE_DEV_BUILD_OVERRIDE_DEBUG:-0}"
fi

SUMMARY=()
FAILED=0
BUILD_OK=1

section() { printf '\n==> %s\n' "$*"; }

# step NAME CMD...: run, time and record one step.
step() {
  local name="$1"; shift
  local t0=$SECONDS rc=0
  section "$name"
  "$@" || rc=$?
  local dt=$((SECONDS - t0))
  if [ "$rc" = 0 ]; then
    SUMMARY+=("$(printf '  %-8s %-34s %5ss' ok "$name" "$dt")")
  else
    SUMMARY+=("$(printf '  %-8s %-34s %5ss  (exit %s)' FAILED "$name" "$dt" "$rc")")
    FAILED=$((FAILED + 1))
  fi
  return "$rc"
}

skip() { SUMMARY+=("$(printf '  %-8s %-34s        (%s)' skipped "$1" "$2")"); }

summary() {
  local total=$((SECONDS - START_TIME)) ok=0 n
  printf '\n==================== scripts/test.sh summary ====================\n'
  for n in "${SUMMARY[@]}"; do
    printf '%s\n' "$n"
    case "$n" in "  ok "*) ok=$((ok + 1)) ;; esac
  done
  printf 'total %ss; %s steps ok, %s failed\n' "$total" "$ok" "$FAILED"
}

MOTO_STARTED=0
cleanup() {
  if [ "${SETUP_DONE:-1}" = 0 ]; then
    kill "$SETUP_PID" 2>/dev/null || true
  fi
  if [ "$MOTO_STARTED" = 1 ]; then
    scripts/moto-server.sh stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Tools. The cargo steps do not need them, so they install in the
# background while cargo formats, builds and lints (pip and npm wait on the
# network, cargo on the CPU); everything from the moto step on waits for
# them.
mkdir -p "$SAGAC_TOOLS"
SETUP_LOG="$SAGAC_TOOLS/setup-tools.log"
scripts/setup-tools.sh >"$SETUP_LOG" 2>&1 &
SETUP_PID=$!
SETUP_T0=$SECONDS
SETUP_DONE=0
# wait_tools: the install's output and status, recorded as the setup-tools
# step (its time is the wall time of the install, beside the cargo steps).
wait_tools() {
  [ "$SETUP_DONE" = 0 ] || return "$SETUP_RC"
  SETUP_DONE=1
  SETUP_RC=0
  wait "$SETUP_PID" || SETUP_RC=$?
  section "setup-tools (in the background since the start)"
  cat "$SETUP_LOG"
  local dt=$((SECONDS - SETUP_T0))
  if [ "$SETUP_RC" = 0 ]; then
    SUMMARY+=("$(printf '  %-8s %-34s %5ss' ok "setup-tools (background)" "$dt")")
  else
    SUMMARY+=("$(printf '  %-8s %-34s %5ss  (exit %s)' FAILED "setup-tools (background)" "$dt" "$SETUP_RC")")
    FAILED=$((FAILED + 1))
  fi
  return "$SETUP_RC"
}
export PATH="$SAGAC_TOOLS/bin:$SAGAC_TOOLS/venv/bin:$SAGAC_TOOLS/node/node_modules/.bin:$PATH"

# 2-4. Format, build, lint.
if [ "$PYTHON_ONLY" = 0 ]; then
  if [ "$LINT" = 1 ]; then
    step "cargo fmt --check" cargo fmt --all -- --check || true
  else
    skip "cargo fmt --check" "--no-lint"
  fi
  step "cargo build" cargo build --workspace --all-targets --locked || BUILD_OK=0
  if [ "$LINT" = 0 ]; then
    skip "cargo clippy" "--no-lint"
  elif [ "$BUILD_OK" = 1 ]; then
    step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings || true
  else
    skip "cargo clippy" "build failed"
  fi
fi

# Nothing below runs without the tools.
if ! wait_tools; then
  summary
  exit 1
fi

# 5. Local AWS endpoint for the tests (DynamoDB incl. transactions + streams, ...).
if scripts/moto-server.sh status >/dev/null 2>&1; then
  echo "test.sh: reusing the moto_server already running (left running afterwards)"
else
  if step "moto_server start" scripts/moto-server.sh start; then
    MOTO_STARTED=1
  fi
fi
if scripts/moto-server.sh status >/dev/null 2>&1; then
  eval "$(scripts/moto-server.sh env)"
  echo "test.sh: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"
fi

# 6-7. Rust tests.
if [ "$PYTHON_ONLY" = 0 ]; then
  if [ "$BUILD_OK" = 1 ]; then
    if cargo nextest --version >/dev/null 2>&1; then
      step "cargo nextest run" cargo nextest run --workspace --locked --no-tests=warn || true
    else
      step "cargo test" cargo test --workspace --locked || true
    fi
    step "cargo test --doc" cargo test --doc --workspace --locked || true
  else
    skip "cargo tests" "build failed"
  fi
fi

# 8. Python tests (harness, oracles over generated/, infrastructure checks).
# Two pytest sessions side by side, each with its own output (printed one
# after the other) and status: tests/cfn, which spends its time in cfn-lint
# and checkov (CPU), and the rest, which mostly waits on moto's Step
# Functions interpreter (it sleeps for real on retries). Side by side they
# take about the time of the longer one instead of the sum. Both talk to
# the same moto_server, which serves one request at a time
# (scripts/moto_server_serial.py), and name their resources apart.
pytest_session() { # NAME ARGS...: one pytest session; rc 5 = no tests collected
  local name="$1"; shift
  "$SAGAC_TOOLS/venv/bin/python" -m pytest "$@" -q -ra --import-mode=importlib \
    -o cache_dir="$SAGAC_TOOLS/pytest-cache/$name"
}
count_tests() {
  find "$@" -path '*/.cache' -prune -o -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print 2>/dev/null | wc -l
}
run_pytest() {
  local names=() args=() pids=() logs=() i rc failed=0 nfiles
  if [ -d tests/cfn ] && [ "$(count_tests tests/cfn)" -gt 0 ]; then
    names+=(cfn); args+=("tests/cfn")
    names+=(rest); args+=("tests --ignore=tests/cfn")
  else
    names+=(all); args+=("tests")
  fi
  for i in "${!names[@]}"; do
    logs+=("$(mktemp)")
    # shellcheck disable=SC2086  # args[i] is a word list by construction
    pytest_session "${names[$i]}" ${args[$i]} >"${logs[$i]}" 2>&1 &
    pids+=($!)
  done
  for i in "${!names[@]}"; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    printf -- '--- pytest %s (exit %s)\n' "${args[$i]}" "$rc"
    cat "${logs[$i]}"
    rm -f "${logs[$i]}"
    if [ "$rc" = 5 ]; then
      # pytest's "no tests collected": a failure while test files exist.
      # shellcheck disable=SC2086
      nfiles="$(count_tests ${args[$i]%% *})"
      if [ "${names[$i]}" != all ] || [ "$nfiles" -gt 0 ]; then
        echo "test.sh: pytest collected no tests from ${args[$i]} although it has test files" >&2
        failed=1
      else
        echo "test.sh: no python tests under tests/"
      fi
    elif [ "$rc" != 0 ]; then
      failed=1
    fi
  done
  return "$failed"
}
if [ -d tests ]; then
  step "pytest tests/" run_pytest || true
else
  skip "pytest tests/" "no tests/ directory"
fi

summary
[ "$FAILED" = 0 ]
