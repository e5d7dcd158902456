# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DigitalOcean's rate limits: per token (a sliding minute and a sliding hour) and per endpoint."""

from __future__ import annotations

import math
import time
from collections import deque


class RateLimiter:
    """DO's two limits per token: a sliding minute and a sliding hour, counted on accepted requests."""

    def __init__(self, per_minute, per_hour, clock=time.time):
        self.per_minute, self.per_hour, self.clock = per_minute, per_hour, clock
        self.reset()

    def reset(self):
        self.minute = {}
        self.hour = {}

    def check(self, token):
        """Count one request; return (allowed, headers, retry_after or None)."""
        now = self.clock()
        minute = self.minute.setdefault(token, deque())
        hour = self.hour.setdefault(token, deque())
        while minute and minute[0] <= now - 60:
            minute.popleft()
        while hour and hour[0] <= now - 3600:
            hour.popleft()
        retry_after = None
        if self.per_minute and len(minute) >= self.per_minute:
            retry_after = max(1, math.ceil(minute[0] + 60 - now))
        elif self.per_hour and len(hour) >= self.per_hour:
            retry_after = max(1, math.ceil(hour[0] + 3600 - now))
        allowed = retry_after is None
        if allowed:
            minute.append(now)
            hour.append(now)
        return allowed, self._headers(hour, now), retry_after

    def peek(self, token):
        """The ``ratelimit-*`` headers for ``token`` without counting a request (401s and injected faults)."""
        now = self.clock()
        return self._headers([t for t in self.hour.get(token, ()) if t > now - 3600], now)

    def _headers(self, hour, now):
        """DO sends these on every answer: the hourly limit, what is left of it, when the oldest request expires."""
        reset = int(hour[0] + 3600) if hour else int(now + 3600)
        return {"ratelimit-limit": str(self.per_hour), "ratelimit-remaining": str(max(0, self.per_hour - len(hour))),
                "ratelimit-reset": str(reset)}


class EndpointLimiter:
    """A sliding-window limit for one endpoint (DO limits GET /v2/account/keys to 10 per 60 s)."""

    def __init__(self, limit, window=60.0, clock=time.time):
        self.limit, self.window, self.clock = limit, window, clock
        self.hits = deque()

    def check(self):
        now = self.clock()
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        if len(self.hits) >= self.limit:
            return max(1, math.ceil(self.hits[0] + self.window - now))
        self.hits.append(now)
        return None
