#!/usr/bin/env bash
# Runs a local moto_server (DynamoDB incl. transactions and streams, Step
# Functions, EventBridge, CloudFormation, ... all on one port) on 127.0.0.1,
# handling one request at a time (scripts/moto_server_serial.py says why:
# moto's TransactWriteItems is not atomic under concurrent requests).
#
#   scripts/moto-server.sh start   start it on a free port (no-op if already up),
#                                  wait until it answers; writes .cache/moto.port,
#                                  .cache/moto.pid, log in .cache/moto.log
#   scripts/moto-server.sh env     print the export line for AWS SDKs:
#                                  eval "$(scripts/moto-server.sh env)"
#   scripts/moto-server.sh status  exit 0 if it is up and answering
#   scripts/moto-server.sh stop    stop it (no-op if not running)
#
# Tools come from scripts/setup-tools.sh (run it first). Honours $SAGAC_TOOLS
# (cache dir, default <repo>/.cache) and $MOTO_PORT (fixed port instead of a
# free one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SAGAC_TOOLS:-$ROOT/.cache}"
PORT_FILE="$CACHE/moto.port"
PID_FILE="$CACHE/moto.pid"
LOG_FILE="$CACHE/moto.log"
PY="$CACHE/venv/bin/python"
MOTO="$CACHE/venv/bin/moto_server"
SERIAL="$ROOT/scripts/moto_server_serial.py"

die() { echo "moto-server: error: $*" >&2; exit 1; }

# Is PID a live moto_server of ours (guards against a recycled pid)?
is_ours() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q moto_server
}

answers() { # answers PORT: does moto answer HTTP on it?
  "$PY" - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
# The dashboard page: cheap, unlike data.json, which serialises every
# backend and takes seconds once tests have left many tables behind.
urllib.request.urlopen("http://127.0.0.1:%s/moto-api/" % sys.argv[1], timeout=5).read()
EOF
}

free_port() {
  "$PY" - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

running_pid() { [ -f "$PID_FILE" ] && cat "$PID_FILE" || true; }
running_port() { [ -f "$PORT_FILE" ] && cat "$PORT_FILE" || true; }

cmd_status() {
  local pid port
  pid="$(running_pid)"; port="$(running_port)"
  is_ours "$pid" && [ -n "$port" ] && answers "$port"
}

cmd_start() {
  [ -x "$MOTO" ] || die "$MOTO not found: run scripts/setup-tools.sh first"
  if cmd_status; then
    echo "moto-server: already running on 127.0.0.1:$(running_port) (pid $(running_pid))" >&2
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  local attempt port pid i
  for attempt in 1 2 3 4 5; do
    port="${MOTO_PORT:-$(free_port)}"
    # setsid: own process group, so a Ctrl-C in the caller's terminal does not
    # reach it and `stop` can end the whole group.
    if command -v setsid >/dev/null 2>&1; then
      setsid "$PY" "$SERIAL" -H 127.0.0.1 -p "$port" >"$LOG_FILE" 2>&1 </dev/null &
    else
      "$PY" "$SERIAL" -H 127.0.0.1 -p "$port" >"$LOG_FILE" 2>&1 </dev/null &
    fi
    pid=$!
    for i in $(seq 1 150); do # up to ~30 s (first import of moto is slow)
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if answers "$port"; then
        echo "$pid" > "$PID_FILE"
        echo "$port" > "$PORT_FILE"
        echo "moto-server: listening on 127.0.0.1:$port (pid $pid, log $LOG_FILE)" >&2
        return 0
      fi
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "moto-server: attempt $attempt on port $port failed:" >&2
    tail -5 "$LOG_FILE" >&2 || true
    [ -z "${MOTO_PORT:-}" ] || break
  done
  die "could not start moto_server"
}

cmd_stop() {
  local pid i
  pid="$(running_pid)"
  if is_ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    echo "moto-server: stopped (pid $pid)" >&2
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
}

cmd_env() {
  cmd_status || die "not running (scripts/moto-server.sh start)"
  echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$(running_port) AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) if cmd_status; then echo "moto-server: running on 127.0.0.1:$(running_port)"; else echo "moto-server: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
