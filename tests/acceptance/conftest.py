"""Fixtures of the acceptance tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import luneo
from tests.support.pg import REPO


@pytest.fixture
def embedded_project() -> Iterator[Path]:
    """An empty project (`supabase/` only) for tests that start its embedded server, which is
    stopped afterwards whatever happened. It lives under the repository's `.luneo/`, not in
    pytest's `tmp_path`: run as root, the server runs as the `pgserver` user, and pytest makes its
    temporary root private again (mode 0700) whenever another worker starts."""
    parent = REPO / ".luneo" / "projects"
    parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="p", dir=parent))
    root.chmod(0o755)
    (root / "supabase").mkdir()
    yield root
    luneo("embedded", "stop", cwd=root)
    shutil.rmtree(root, ignore_errors=True)
