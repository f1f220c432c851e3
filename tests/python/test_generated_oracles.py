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
