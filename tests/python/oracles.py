#!/usr/bin/env python3
"""The independent checks (DESIGN.md section 7) over one sagac output directory.

    python tests/python/oracles.py generated/trip-saga     # all checks, report
    from oracles import asl_validator, cfn_lint, checkov, execute_mock_cases

Each function returns a list of problems (strings); empty means the check
passed. Tools come from scripts/setup-tools.sh ($SAGAC_TOOLS, default .cache).

* asl-validator on statemachine.asl.json (placeholders substituted first, as
  CloudFormation would);
* cfn-lint on template.yaml and pipeline.yaml: zero errors and zero warnings
  (informational findings are allowed);
* checkov on each template: zero failed checks (an inline Metadata skip with a
  reason counts as skipped, not failed);
* the ASL executed in moto's interpreter for every test case of
  sfn-mock-config.json (tests/asl/harness.py): each runs cleanly to a terminal
  status and HappyPath succeeds;
* consistency: every ${Placeholder} of the ASL has a DefinitionSubstitutions
  entry in the template, and no entry is unused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("SAGAC_TOOLS", ROOT / ".cache"))
sys.path.insert(0, str(ROOT / "tests" / "asl"))

ASL = "statemachine.asl.json"
TEMPLATES = ("template.yaml", "pipeline.yaml")
MOCK_CONFIG = "sfn-mock-config.json"
INPUT_CANDIDATES = ("sample-input.json", "schema/sample-input.json")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")


class ToolMissing(RuntimeError):
    pass


def tool(name: str) -> str:
    for cand in (TOOLS / "bin" / name, TOOLS / "node" / "node_modules" / ".bin" / name):
        if cand.exists():
            return str(cand)
    found = shutil.which(name)
    if found:
        return found
    raise ToolMissing(f"{name} not found: run scripts/setup-tools.sh")


def _run(cmd: list[str], timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", NO_COLOR="1")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


# --------------------------------------------------------------------------


def asl_validator(asl_path: Path) -> list[str]:
    text = PLACEHOLDER.sub(
        lambda m: f"arn:aws:lambda:us-east-1:123456789012:function:{m.group(1)}",
        asl_path.read_text(encoding="utf-8"),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(text)
        tmp = f.name
    try:
        p = _run([tool("asl-validator"), "--json-path", tmp])
    finally:
        os.unlink(tmp)
    if p.returncode == 0:
        return []
    return [f"asl-validator: {asl_path}: {(p.stdout + p.stderr).strip()}"]


def cfn_lint(template: Path) -> list[str]:
    p = _run([tool("cfn-lint"), "--format", "json", "--", str(template)])
    try:
        findings = json.loads(p.stdout or "[]")
    except json.JSONDecodeError:
        return [f"cfn-lint: {template}: exit {p.returncode}: {p.stdout}{p.stderr}"]
    out = []
    for f in findings:
        if f.get("Level") in ("Error", "Warning"):
            line = f.get("Location", {}).get("Start", {}).get("LineNumber")
            out.append(
                f"cfn-lint {f['Rule']['Id']} ({f['Level']}) {template.name}:{line}: "
                f"{f['Message']}"
            )
    if p.returncode not in (0, 8) and not out:  # 8 = informational only
        out.append(f"cfn-lint: {template}: exit {p.returncode}: {p.stderr.strip()}")
    return out


def checkov(template: Path) -> list[str]:
    p = _run([tool("checkov"), "-f", str(template), "--framework", "cloudformation",
              "-o", "json", "--quiet", "--compact", "--skip-download"])
    try:
        data = json.loads(p.stdout)
    except json.JSONDecodeError:
        return [f"checkov: {template}: exit {p.returncode}: {p.stdout[-2000:]}{p.stderr[-2000:]}"]
    reports = data if isinstance(data, list) else [data]
    out = []
    for rep in reports:
        if not isinstance(rep, dict) or "results" not in rep:
            continue  # e.g. {"passed": 0, ...} for a file with no resources
        for c in rep["results"].get("failed_checks", []):
            lines = c.get("file_line_range") or ["?"]
            out.append(f"checkov {c['check_id']} {c['resource']} "
                       f"({template.name}:{lines[0]}): {c['check_name']}")
        if rep.get("summary", {}).get("parsing_errors"):
            out.append(f"checkov: {template}: parsing errors")
    return out


def load_template(path: Path) -> dict:
    """CloudFormation YAML/JSON with short-form tags (!Ref, !Sub, ...), via cfn-lint."""
    from cfnlint.decode import decode  # the main venv has cfn-lint

    tpl, matches = decode(str(path))
    if matches:
        raise ValueError(f"{path}: {[str(m) for m in matches]}")
    return tpl


def substitution_consistency(asl_path: Path, template_path: Path) -> list[str]:
    used = set(PLACEHOLDER.findall(asl_path.read_text(encoding="utf-8")))
    tpl = load_template(template_path)
    machines = [r for r in (tpl.get("Resources") or {}).values()
                if isinstance(r, dict) and r.get("Type") == "AWS::StepFunctions::StateMachine"]
    if not machines:
        return [f"{template_path.name}: no AWS::StepFunctions::StateMachine resource"]
    declared: set[str] = set()
    for m in machines:
        declared |= set((m.get("Properties", {}).get("DefinitionSubstitutions") or {}).keys())
    out = [f"{asl_path.name}: ${{{n}}} has no DefinitionSubstitutions entry in "
           f"{template_path.name}" for n in sorted(used - declared)]
    out += [f"{template_path.name}: DefinitionSubstitutions {n} is not used by {asl_path.name}"
            for n in sorted(declared - used)]
    return out


def sample_input(outdir: Path) -> dict:
    for rel in INPUT_CANDIDATES:
        p = outdir / rel
        if p.exists():
            return json.loads(p.read_text(encoding="utf-8"))
    # A request schema with an example, if the generator wrote one.
    schema_dir = outdir / "schema"
    if schema_dir.is_dir():
        for p in sorted(schema_dir.glob("*.json")):
            if "request" not in p.name.lower():
                continue
            s = json.loads(p.read_text(encoding="utf-8"))
            ex = s.get("examples") or ([s["example"]] if "example" in s else [])
            if ex:
                return ex[0]
    return {}


def execute_mock_cases(outdir: Path) -> tuple[list[str], dict[str, Any]]:
    """Run every test case of the mock config; returns (problems, results by case)."""
    from harness import HarnessError, run  # tests/asl/harness.py

    definition = json.loads((outdir / ASL).read_text(encoding="utf-8"))
    mock = json.loads((outdir / MOCK_CONFIG).read_text(encoding="utf-8"))
    inp = sample_input(outdir)
    problems: list[str] = []
    results: dict[str, Any] = {}
    machines = mock.get("StateMachines") or {}
    if not machines:
        return [f"{MOCK_CONFIG}: no StateMachines"], results
    for sm_name, sm in machines.items():
        cases = sm.get("TestCases") or {}
        if "HappyPath" not in cases:
            problems.append(f"{MOCK_CONFIG}: {sm_name} has no HappyPath test case")
        for case in cases:
            key = f"{sm_name}/{case}"
            try:
                r = run(definition, mock, sm_name, case, inp)
            except HarnessError as e:
                problems.append(f"{key}: {e}")
                continue
            results[key] = r
            if r.status not in ("SUCCEEDED", "FAILED"):
                problems.append(f"{key}: ended {r.status} after {r.entered_states}")
            if case == "HappyPath" and r.status != "SUCCEEDED":
                problems.append(f"{key}: HappyPath {r.status} ({r.error}: {r.cause}) "
                                f"after {r.entered_states}")
    return problems, results


def check_all(outdir: Path) -> dict[str, list[str]]:
    report: dict[str, list[str]] = {}
    if (outdir / ASL).exists():
        report["asl-validator"] = asl_validator(outdir / ASL)
    for name in TEMPLATES:
        if (outdir / name).exists():
            report[f"cfn-lint {name}"] = cfn_lint(outdir / name)
            report[f"checkov {name}"] = checkov(outdir / name)
    if (outdir / ASL).exists() and (outdir / "template.yaml").exists():
        report["DefinitionSubstitutions"] = substitution_consistency(
            outdir / ASL, outdir / "template.yaml")
    if (outdir / ASL).exists() and (outdir / MOCK_CONFIG).exists():
        report["execute mock cases"] = execute_mock_cases(outdir)[0]
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: oracles.py OUTPUT_DIR   (e.g. generated/trip-saga)", file=sys.stderr)
        return 2
    outdir = Path(argv[0])
    report = check_all(outdir)
    if not report:
        print(f"oracles: nothing to check in {outdir}", file=sys.stderr)
        return 2
    bad = 0
    for name, problems in report.items():
        print(f"{'ok  ' if not problems else 'FAIL'} {name}")
        for p in problems:
            print(f"       {p}")
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
