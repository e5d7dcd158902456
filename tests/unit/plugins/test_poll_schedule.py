# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the modules wait (a new droplet, a power or resize action): soon after the thing is ready, with few requests.
A fake clock stands in for time: each refresh is one API request."""

from __future__ import annotations

import pytest

from ansible_collections.pytrackdat.deploy.plugins.module_utils import do_runner


class Clock:
    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def wait(monkeypatch, ready_at, timeout=300):
    """Polls a resource that is ready from ready_at seconds on; returns (seen at, requests, finished)."""
    clock = Clock()
    monkeypatch.setattr(do_runner.time, "time", clock.time)
    runner = object.__new__(do_runner.ResourceRunner)
    runner._sleep = clock.sleep
    requests = []

    def refresh(_current):
        requests.append(clock.now)
        return clock.now >= ready_at

    _last, finished = runner.poll(False, refresh, bool, timeout)
    return clock.now, len(requests), finished


# 5.3 s: a droplet of the emulator with user data; 30-60 s: DigitalOcean's boots; 150 s: a resize.
@pytest.mark.parametrize("ready_at", [0.2, 1.5, 5.3, 30, 45, 60, 150])
def test_a_ready_resource_is_seen_within_two_seconds_with_few_requests(monkeypatch, ready_at):
    seen, requests, finished = wait(monkeypatch, ready_at)
    assert finished
    assert ready_at <= seen <= ready_at + 2.0, (ready_at, seen)   # a 10 s cap saw the 5.3 s droplet at 9.3 s
    # The first 6 s take 5 requests, then one every 2 s: 25 for a 45 s boot, well under the API's 250 a minute.
    assert requests <= 5 + (max(seen - 6.1, 0) / 2.0) + 1, (ready_at, requests)


def test_the_wait_ends_at_the_timeout_when_the_resource_never_gets_ready(monkeypatch):
    seen, requests, finished = wait(monkeypatch, ready_at=float("inf"), timeout=60)
    assert not finished
    assert 60 <= seen <= 60.01 and requests <= 33, (seen, requests)
