"""Fixtures shared by the unit and the integration tests. Imports nothing from CKAN, so
the pure-core tests also run in a plain virtualenv without CKAN."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "fixtures" / "samples"


@pytest.fixture
def samples_dir() -> Path:
    """Real budget documents (synthetic names), one folder per authority, plus invalid/."""
    return SAMPLES
