"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_or_skip


@pytest.fixture
def browser():
    """A headless Debian Chromium (skips with the reason when it cannot be installed)."""
    driver = chromium_or_skip()
    yield driver
    driver.quit()
