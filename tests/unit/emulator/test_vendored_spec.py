# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean's OpenAPI spec lives in the project: every clone validates against the copy SOURCE.txt
names, and a run without a spec stops instead of skipping or testing unvalidated."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.do_emulator import validation

REPO = Path(__file__).resolve().parents[3]
VENDORED = REPO / "tests" / "do_emulator" / "openapi"
SPEC = VENDORED / "DigitalOcean-public.v2.bundled.yaml.gz"


def test_the_default_spec_is_the_vendored_copy(monkeypatch):
    monkeypatch.delenv("PTD_DO_OPENAPI_SPEC", raising=False)
    assert validation.spec_path() == SPEC
    assert validation.spec_missing_reason() is None


def test_the_vendored_spec_is_the_upstream_file_source_txt_names():
    source = (VENDORED / "SOURCE.txt").read_text(encoding="utf-8")
    assert re.search(r"^digitalocean/openapi @ [0-9a-f]{40} ", source, re.M), source
    expected = re.search(r"^sha256: ([0-9a-f]{64})$", source, re.M).group(1)
    with gzip.open(SPEC, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == expected
    assert "Apache License" in (VENDORED / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in (VENDORED / "NOTICE").read_text(encoding="utf-8")


def test_a_missing_spec_stops_the_run_instead_of_skipping(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.do_emulator.pytest_plugin"]\n')
    (tmp_path / "test_uses_spec.py").write_text(textwrap.dedent("""
        import pytest
        from tests.do_emulator.validation import spec_missing_reason

        @pytest.mark.skipif(spec_missing_reason() is not None, reason="no spec")
        def test_skips_without_spec():
            pass

        def test_uses_emulator(do_emulator):
            assert do_emulator.validator is not None
    """))
    missing = tmp_path / "nowhere" / "DigitalOcean-public.v2.bundled.yaml"
    env = dict(os.environ, PYTHONPATH=str(REPO), PTD_DO_OPENAPI_SPEC=str(missing))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", str(tmp_path)]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 4, output   # pytest's usage error: nothing ran
    assert str(missing) in output and "OpenAPI spec" in output, output
    assert "passed" not in output and "skipped" not in output, output
