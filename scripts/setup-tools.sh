#!/usr/bin/env bash
# Installs sagac's test tools into a local cache (default: <repo>/.cache, or
# $SAGAC_TOOLS when set). Idempotent and fast when already done: each
# component has a stamp file keyed on a hash of its pinned requirements, and is
# rebuilt from scratch only when that hash changes.
#
#   .cache/venv          python venv: moto[server,...], boto3, cfn-lint, pytest
#                        (pins: scripts/requirements-tools.txt)
#   .cache/venv-checkov  python venv: checkov, alone because it pins an old
#                        boto3 that conflicts with moto (scripts/requirements-checkov.txt)
#   .cache/node          npm prefix: asl-validator (scripts/node/package*.json)
#   .cache/venv-cross    python venv: ziglang + cargo-zigbuild, the linker
#                        `sagac package` cross-compiles arm64 Lambdas with
#                        (scripts/requirements-cross.txt)
#   .cache/bin           symlinks to every tool above (put this on PATH)
#
# Also adds the arm64 Lambda target's standard library to the project's Rust
# toolchain (rustup target add aarch64-unknown-linux-gnu).
#
# Needs only python3 (>= 3.10, with venv + pip), node/npm and rustup, plus
# access to PyPI, the npm registry and rustup's channel the first time.
# Never prompts.
#
# Usage: scripts/setup-tools.sh [--force] [--quiet]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SAGAC_TOOLS:-$ROOT/.cache}"
SCRIPTS="$ROOT/scripts"
FORCE=0
QUIET=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --quiet) QUIET=1 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-tools: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

# Bump to force every component to rebuild after a change in how it is built.
SETUP_VERSION=1

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
       npm_config_yes=true npm_config_loglevel=error

log() { [ "$QUIET" = 1 ] || echo "setup-tools: $*" >&2; }
die() { echo "setup-tools: error: $*" >&2; exit 1; }

mkdir -p "$CACHE"

# Serialise concurrent runs (test.sh in two worktrees sharing a cache, etc.).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.setup.lock"
  flock 9
fi

pick_python() {
  local cand
  for cand in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      command -v "$cand"
      return 0
    fi
  done
  return 1
}

hash_of() { # hash_of FILE... -> sha256 of the files' contents plus build inputs
  { echo "setup-version=$SETUP_VERSION"; echo "python=$PY_VERSION"; cat "$@"; } \
    | sha256sum | cut -d' ' -f1
}

# ensure_venv NAME REQUIREMENTS CHECK_CMD...
ensure_venv() {
  local name="$1" req="$2"; shift 2
  local dir="$CACHE/$name" stamp="$CACHE/$name.stamp" want
  want="$(hash_of "$req")"
  if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
     && [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$*" >/dev/null 2>&1; then
    log "$name up to date"
    return 0
  fi
  log "building $name from $(basename "$req") (takes ~30 s)"
  rm -f "$stamp"
  rm -rf "$dir"
  "$PY" -m venv "$dir" || die "'$PY -m venv' failed (on Debian: apt-get install -y python3-venv)"
  "$dir/bin/python" -m pip install -q -r "$req" \
    || die "pip install -r $req into $dir failed"
  "$dir/bin/python" -c "$*" || die "$name installed but its import check failed"
  echo "$want" > "$stamp"
}

ensure_node() {
  local dir="$CACHE/node" stamp="$CACHE/node.stamp" want
  command -v npm >/dev/null 2>&1 || die "npm not found (needs Node.js 18+ with npm)"
  want="$(hash_of "$SCRIPTS/node/package.json" "$SCRIPTS/node/package-lock.json")"
  if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
     && [ -x "$dir/node_modules/.bin/asl-validator" ]; then
    log "node tools up to date"
    return 0
  fi
  log "installing node tools (npm ci)"
  rm -f "$stamp"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$SCRIPTS/node/package.json" "$SCRIPTS/node/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null >&2) \
    || die "npm ci in $dir failed"
  [ -x "$dir/node_modules/.bin/asl-validator" ] || die "asl-validator missing after npm ci"
  echo "$want" > "$stamp"
}

link_bins() {
  local bin="$CACHE/bin" t
  mkdir -p "$bin"
  for t in moto_server pytest cfn-lint python; do
    ln -sfn "$CACHE/venv/bin/$t" "$bin/$t"
  done
  ln -sfn "$CACHE/venv/bin/python" "$bin/python3"
  # checkov wrapper: BC_SKIP_MAPPING stops it calling its vendor's API (there
  # is no network here; it would print a traceback and carry on).
  rm -f "$bin/checkov"
  printf '%s\n' '#!/usr/bin/env bash' \
    'export BC_SKIP_MAPPING="${BC_SKIP_MAPPING:-TRUE}"' \
    "exec \"$CACHE/venv-checkov/bin/checkov\" \"\$@\"" > "$bin/checkov"
  chmod +x "$bin/checkov"
  ln -sfn "$CACHE/node/node_modules/.bin/asl-validator" "$bin/asl-validator"
  # cargo-zigbuild finds `zig` on PATH; ziglang's launcher is `python-zig`.
  ln -sfn "$CACHE/venv-cross/bin/cargo-zigbuild" "$bin/cargo-zigbuild"
  ln -sfn "$CACHE/venv-cross/bin/python-zig" "$bin/zig"
}

# The standard library of the arm64 Lambda target, in the toolchain
# rust-toolchain.toml pins (rustup runs in the repository root for that).
ensure_rust_target() {
  local target=aarch64-unknown-linux-gnu
  command -v rustup >/dev/null 2>&1 || die "rustup not found (sagac package needs \`rustup target add $target\`)"
  if (cd "$ROOT" && rustup target list --installed 2>/dev/null | grep -qx "$target"); then
    log "rust target $target up to date"
    return 0
  fi
  log "adding rust target $target"
  (cd "$ROOT" && rustup target add "$target" >&2) || die "rustup target add $target failed"
}

PY="$(pick_python)" || die "no python3 >= 3.10 with the venv module found (set PYTHON=...)"
PY_VERSION="$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"

ensure_venv venv "$SCRIPTS/requirements-tools.txt" \
  'import moto, boto3, cfnlint, pytest, flask; from moto.stepfunctions.parser.mocking import mock_config'
ensure_venv venv-checkov "$SCRIPTS/requirements-checkov.txt" 'import checkov'
ensure_venv venv-cross "$SCRIPTS/requirements-cross.txt" \
  'import ziglang, os, sys; sys.exit(0 if os.access(os.path.join(os.path.dirname(sys.executable), "cargo-zigbuild"), os.X_OK) else 1)'
ensure_node
ensure_rust_target
link_bins

if [ "$QUIET" = 0 ]; then
  "$CACHE/venv/bin/python" - <<'EOF'
import importlib.metadata as m
print("setup-tools: python %s" % __import__("platform").python_version(), end="")
for p in ("moto", "boto3", "cfn-lint", "pytest", "jsonata-python"):
    print(", %s %s" % (p, m.version(p)), end="")
print()
EOF
  "$CACHE/venv-checkov/bin/python" -c \
    'import importlib.metadata as m; print("setup-tools: checkov %s (own venv)" % m.version("checkov"))'
  echo "setup-tools: asl-validator $(node -p "require('$CACHE/node/node_modules/asl-validator/package.json').version"), node $(node --version)"
  echo "setup-tools: $("$CACHE/bin/cargo-zigbuild" --version 2>/dev/null | head -1), zig $("$CACHE/bin/zig" version 2>/dev/null) (own venv)"
  echo "setup-tools: tools in $CACHE/bin"
fi
