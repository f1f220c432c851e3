"""Support of the CloudFormation checks (imported by conftest.py and the tests): every spec built once into a
temporary directory, cfn-lint and checkov run once over all the templates,
and a summary of the figures (resources, findings, skips) at the end of the
run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("SAGAC_TOOLS", ROOT / ".cache"))
SPECS = sorted(ROOT.glob("spec/*.saga.yaml")) + sorted(ROOT.glob("spec/examples/*.saga.yaml"))
TEMPLATES = ("template.yaml", "pipeline.yaml")

sys.path.insert(0, str(ROOT / "tests" / "python"))


def spec_id(spec: Path) -> str:
    return spec.name.removesuffix(".saga.yaml")


def tool(name: str) -> str:
    for cand in (TOOLS / "bin" / name, TOOLS / "venv" / "bin" / name):
        if cand.exists():
            return str(cand)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(f"{name} not found: run scripts/setup-tools.sh")


def _run(cmd: list[str], timeout: int = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", NO_COLOR="1")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def _builder() -> list[str]:
    """How to build a spec: `sagac build SPEC --out DIR` when the CLI has it,
    else the core's `cfn_build` example (same emitters, no CLI)."""
    sagac = Path(os.environ.get("SAGAC_BIN", ROOT / "target" / "debug" / "sagac"))
    if sagac.exists() and _run([str(sagac), "build", "--help"]).returncode == 0:
        return [str(sagac), "build", "{spec}", "--out", "{out}"]
    example = ROOT / "target" / "debug" / "examples" / "cfn_build"
    if not example.exists():
        p = _run(["cargo", "build", "-q", "-p", "sagac-core", "--example", "cfn_build"], timeout=1800)
        if p.returncode != 0:
            pytest.fail(f"cannot build the cfn_build example:\n{p.stderr[-4000:]}")
    return [str(example), "{spec}", "{out}"]


@dataclass
class Build:
    spec: Path
    out: Path
    lint: dict[str, list[dict]] = field(default_factory=dict)
    checkov: dict[str, dict] = field(default_factory=dict)
    resources: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return spec_id(self.spec)


def make_builds() -> dict[str, Build]:
    workdir = Path(tempfile.mkdtemp(prefix="sagac-cfn-"))
    command = _builder()
    out: dict[str, Build] = {}
    for spec in SPECS:
        target = workdir / spec_id(spec)
        cmd = [c.format(spec=spec, out=target) for c in command]
        p = _run(cmd)
        if p.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr}")
        out[spec_id(spec)] = Build(spec, target)
    files = [str(b.out / name) for b in out.values() for name in TEMPLATES]

    # cfn-lint once over every template, checkov once per template (its
    # JSON per file names the file). Each run is a separate process that
    # spends most of its time starting Python, so they run side by side, as
    # many at once as there are cores.
    lint_cmd = [tool("cfn-lint"), "--format", "json", "--", *files]
    checks = [(b, name) for b in out.values() for name in TEMPLATES]
    checkov_cmd = lambda b, name: [tool("checkov"), "-f", str(b.out / name), "--framework",
                                   "cloudformation", "-o", "json", "--compact", "--skip-download"]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        lint_run = pool.submit(_run, lint_cmd)
        checkov_runs = [pool.submit(_run, checkov_cmd(b, name)) for b, name in checks]
        p = lint_run.result()
        checkov_done = [r.result() for r in checkov_runs]

    try:
        findings = json.loads(p.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(f"cfn-lint exit {p.returncode}: {p.stdout[-2000:]}{p.stderr[-2000:]}")
    for b in out.values():
        for name in TEMPLATES:
            path = str(b.out / name)
            b.lint[name] = [f for f in findings if f.get("Filename") == path]

    for (b, name), p in zip(checks, checkov_done):
        try:
            data = json.loads(p.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"checkov on {b.id}/{name}: exit {p.returncode}: {p.stdout[-2000:]}{p.stderr[-2000:]}")
        if isinstance(data, list):
            data = next((d for d in data if isinstance(d, dict) and d.get("check_type") == "cloudformation"), {})
        b.checkov[name] = data
        b.resources[name] = len(load(b.out / name).get("Resources", {}))
    SUMMARY.extend(out.values())
    return out, workdir


SUMMARY: list[Build] = []


def load(path: Path) -> dict:
    from oracles import load_template  # cfn-lint's decoder, short-form tags included

    return load_template(path)


def terminal_summary(terminalreporter):
    if not SUMMARY:
        return
    tr = terminalreporter
    tr.section("CloudFormation figures (tests/cfn)")
    tr.write_line(f"{'spec':<22} {'file':<14} {'resources':>9} {'lint E/W/I':>11} {'checkov pass/fail/skip':>23}")
    skips: dict[tuple[str, str], set[str]] = {}
    for b in SUMMARY:
        for name in TEMPLATES:
            resources = b.resources.get(name, 0)
            levels = [f.get("Level") for f in b.lint.get(name, [])]
            lint = f"{levels.count('Error')}/{levels.count('Warning')}/{levels.count('Informational')}"
            summary = b.checkov.get(name, {}).get("summary", {})
            ck = f"{summary.get('passed', '?')}/{summary.get('failed', '?')}/{summary.get('skipped', '?')}"
            tr.write_line(f"{b.id:<22} {name:<14} {resources:>9} {lint:>11} {ck:>23}")
            for check in b.checkov.get(name, {}).get("results", {}).get("skipped_checks", []):
                reason = (check.get("check_result") or {}).get("suppress_comment", "")
                skips.setdefault((check["check_id"], reason), set()).add(b.id)
    tr.write_line("")
    tr.write_line("checkov skips (check, reason, specs):")
    for (check, reason), specs in sorted(skips.items()):
        tr.write_line(f"  {check}: {reason} [{', '.join(sorted(specs))}]")
