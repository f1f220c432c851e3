import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

FIXTURES = HERE / "fixtures"


@pytest.fixture(scope="session")
def trip_definition() -> dict:
    return json.loads((FIXTURES / "trip-saga.asl.json").read_text())


@pytest.fixture(scope="session")
def trip_mock_config() -> dict:
    return json.loads((FIXTURES / "trip-saga.mock-config.json").read_text())


@pytest.fixture(scope="session")
def trip_input() -> dict:
    return json.loads((FIXTURES / "trip-input.json").read_text())
