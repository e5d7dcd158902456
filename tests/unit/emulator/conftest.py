# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Emulator tests: a request the emulator accepted must also be one the spec accepts (allowlist aside)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(autouse=True)
def _accepted_requests_follow_the_spec(request):
    yield
    if "do_emulator" not in request.fixturenames:
        return
    emulator = request.getfixturevalue("do_emulator_session")
    accepted = [v for v in emulator.request_violations() if isinstance(v["status"], int) and v["status"] < 400]
    assert not accepted, "requests the emulator accepted but the spec rejects:\n" + "\n".join(
        json.dumps(v)[:1200] for v in accepted)
