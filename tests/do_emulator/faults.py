# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deliberate misbehaviour: the failures a client of the real API meets sooner or later.

Decisions come from one ``random.Random(seed)`` consumed once per request, so the same seed and
the same request sequence give the same faults. ``next(n, kind)`` queues faults that win over
the random ones.
"""

from __future__ import annotations

import random
import threading
from collections import deque

KINDS = ("429", "500", "503", "reset", "slow")


class FaultInjector:
    """Decides, request by request, whether and how to fail."""

    def __init__(self, seed=0):
        self._lock = threading.Lock()
        self._default_seed = seed
        self.clear()

    def configure(self, probability=0.0, kinds=KINDS, seed=None, slow_seconds=2.0, retry_after=1):
        """Fail each request with ``probability``, picking uniformly among ``kinds``."""
        kinds = tuple(str(k) for k in kinds)
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {KINDS}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if probability and not kinds:
            raise ValueError("a probability needs at least one kind")
        with self._lock:
            self.probability = float(probability)
            self.kinds = kinds
            self.slow_seconds = float(slow_seconds)
            self.retry_after = int(retry_after)
            self._random = random.Random(self._default_seed if seed is None else seed)

    def next(self, n, kind):
        """Make the next ``n`` requests fail with ``kind``."""
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {KINDS}")
        with self._lock:
            self._queue.extend([kind] * int(n))

    def clear(self):
        """No faults at all (the default)."""
        with self._lock:
            self._queue = deque()
            self.probability = 0.0
            self.kinds = KINDS
            self.slow_seconds = 2.0
            self.retry_after = 1
            self._random = random.Random(self._default_seed)
            self.injected = []

    def decide(self):
        """Return the fault kind for the request being served, or None."""
        with self._lock:
            if self._queue:
                kind = self._queue.popleft()
            elif self.probability:
                # Always draw twice so the sequence depends only on the request count.
                hit = self._random.random() < self.probability
                pick = self.kinds[self._random.randrange(len(self.kinds))]
                kind = pick if hit else None
            else:
                kind = None
            self.injected.append(kind)
            return kind
