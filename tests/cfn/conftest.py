"""Fixtures of the CloudFormation checks: every spec built once, cfn-lint and
checkov run once over all the templates (tests/cfn/cfn_support.py), and the
figures printed at the end of the run."""

import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import cfn_support  # noqa: E402


@pytest.fixture(scope="session")
def builds():
    out, workdir = cfn_support.make_builds()
    yield out
    shutil.rmtree(workdir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    cfn_support.terminal_summary(terminalreporter)
