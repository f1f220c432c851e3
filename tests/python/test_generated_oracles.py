"""DESIGN.md section 7: the independent checks over every sagac output
directory under generated/ (or $SAGAC_GENERATED): asl-validator, cfn-lint,
checkov, DefinitionSubstitutions consistency, and executing the ASL in moto for
every mock-config test case. Skipped while nothing has been generated."""

import os
from pathlib import Path

import pytest

import oracles

ROOT = Path(__file__).resolve().parents[2]
GENERATED = Path(os.environ.get("SAGAC_GENERATED", ROOT / "generated"))


def output_dirs():
    if not GENERATED.is_dir():
        return []
    return sorted(d for d in GENERATED.iterdir()
                  if d.is_dir() and ((d / oracles.ASL).exists() or (d / "template.yaml").exists()))


DIRS = output_dirs()
IDS = [d.name for d in DIRS]
needs_output = pytest.mark.skipif(not DIRS, reason=f"no sagac output under {GENERATED}")
params = pytest.mark.parametrize("outdir", DIRS, ids=IDS)


def require(path: Path):
    if not path.exists():
        pytest.skip(f"{path.name} not generated yet")
    return path


def assert_none(problems):
    assert not problems, "\n".join(problems)


@needs_output
@params
def test_asl_validator(outdir):
    assert_none(oracles.asl_validator(require(outdir / oracles.ASL)))


@needs_output
@params
@pytest.mark.parametrize("name", oracles.TEMPLATES)
def test_cfn_lint_no_errors_no_warnings(outdir, name):
    assert_none(oracles.cfn_lint(require(outdir / name)))


@needs_output
@params
@pytest.mark.parametrize("name", oracles.TEMPLATES)
def test_checkov_no_failed_checks(outdir, name):
    assert_none(oracles.checkov(require(outdir / name)))


@needs_output
@params
def test_definition_substitutions_match(outdir):
    assert_none(oracles.substitution_consistency(require(outdir / oracles.ASL),
                                                 require(outdir / "template.yaml")))


@needs_output
@params
def test_mock_config_cases_execute_in_moto(outdir):
    require(outdir / oracles.ASL)
    require(outdir / oracles.MOCK_CONFIG)
    problems, results = oracles.execute_mock_cases(outdir)
    assert_none(problems)
    assert results, "no test case ran"


def test_generated_dir_is_scanned():
    """Always runs: says what was found, so a skip above is visible."""
    assert GENERATED.exists() or not DIRS
    print(f"sagac outputs checked: {IDS or 'none yet'}")


@needs_output
@params
def test_request_model_bounds_every_value(outdir):
    """The API's request model (schema/start-request.json, draft 4 as API
    Gateway validates it), checked by Python's jsonschema: the sample request
    passes; every textual field has a maxLength; a value one character over
    it, ASCII or 4-byte, is refused; at the bound in 4-byte characters it
    passes. (Why the bounds are safe in bytes: compiler/core/src/bounds.rs.)"""
    import json

    from jsonschema import Draft4Validator

    schema = json.loads(require(outdir / "schema" / "start-request.json").read_text())
    Draft4Validator.check_schema(schema)
    model = Draft4Validator(schema)
    sample = json.loads(require(outdir / "sample-input.json").read_text())["request"]
    assert_none([e.message for e in model.iter_errors(sample)])
    for name, prop in schema["properties"].items():
        textual = prop.get("type") in ("string", ["number", "string"])
        if not textual:
            continue
        assert "maxLength" in prop, f"{name} has no maxLength"
        if "pattern" in prop or "enum" in prop:
            continue  # the pattern or enum fixes its content
        max_len = prop["maxLength"]
        for over in ("c" * (max_len + 1), "\U0001F600" * (max_len + 1)):
            assert not model.is_valid({**sample, name: over}), f"{name}: {len(over)} chars"
        if prop.get("type") == "string":
            at_bound = "\U0001F600" * max_len
            assert model.is_valid({**sample, name: at_bound}), f"{name} at its bound"
