# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Actions: started on a droplet, completed lazily by ``tick()`` once their delay has passed and the machine
work they wait for (run on a worker pool, or at once by an ``instant`` backend) has returned."""

from __future__ import annotations

import concurrent.futures
import copy
import heapq
import time
from concurrent.futures import ThreadPoolExecutor

from .base import iso, not_found


class ActionModel:
    """``self.actions``: id -> action; ``self._pending`` (heap of due times) and ``self._work`` (id -> (future,
    completion callback)) hold the unfinished ones."""

    def _submit(self, func, *args):
        if getattr(self.backend, "instant", False):
            try:
                return Done(func(*args))
            except Exception as error:  # pylint: disable=broad-except  # the backend's failure errors the action
                return Done(error=error)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="do-emulator-machine")
        return self._pool.submit(func, *args)

    def _new_action(self, kind, droplet, on_complete, call=None):
        """Start an action on a droplet; ``call`` is the backend work it waits for."""
        now = self.now()
        action = {
            "id": self._next_id("action"), "status": "in-progress", "type": kind,
            "started_at": iso(now), "completed_at": None, "resource_id": droplet["id"], "resource_type": "droplet",
            "region": copy.deepcopy(droplet["region"]), "region_slug": droplet["region"]["slug"],
        }
        self.actions[action["id"]] = action
        future = self._submit(*call) if call else None
        self._work[action["id"]] = (future, on_complete)
        heapq.heappush(self._pending, (now + self.action_delay, action["id"]))
        self.dirty = True
        return action

    def tick(self):
        """Complete every action that is due and whose machine work has finished."""
        with self.lock:
            now = self.now()
            waiting = []
            while self._pending and self._pending[0][0] <= now:
                due, action_id = heapq.heappop(self._pending)
                future, on_complete = self._work.get(action_id, (None, None))
                action = self.actions.get(action_id)
                if action is None:
                    self._work.pop(action_id, None)
                    continue
                if future is not None and not future.done():
                    waiting.append((due, action_id))
                    continue
                self._work.pop(action_id, None)
                error = future.exception() if future is not None else None
                result = future.result() if future is not None and error is None else None
                action["completed_at"] = iso(now)
                if error is not None:
                    action["status"] = "errored"
                else:
                    action["status"] = "completed"
                    if on_complete is not None:
                        on_complete(result)
                self.dirty = True
            for item in waiting:
                heapq.heappush(self._pending, item)

    def wait_idle(self, timeout=30.0):
        """Block until no action is in progress (for tests and for a clean shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                self.tick()
                if not self._pending:
                    return True
            time.sleep(0.02)
        return False

    def droplet_busy(self, droplet_id):
        return any(self.actions[a]["resource_id"] == droplet_id for a in self._work if a in self.actions)

    def droplet_actions(self, droplet_id):
        droplet = self.get_droplet(droplet_id)
        return [a for a in self.actions.values() if a["resource_id"] == droplet["id"]]

    def get_action(self, action_id, droplet_id=None):
        try:
            action = self.actions[int(action_id)]
        except (KeyError, TypeError, ValueError):
            raise not_found() from None
        if droplet_id is not None and action["resource_id"] != self.get_droplet(droplet_id)["id"]:
            raise not_found()
        return action


def after(futures, func, *args):
    for future in futures:
        if not future.done():
            concurrent.futures.wait([future])
    return func(*args)


class Done:
    """A finished future, for backends that answer at once."""

    def __init__(self, result=None, error=None):
        self._result, self._error = result, error

    @staticmethod
    def done():
        return True

    def exception(self):
        return self._error

    def result(self):
        return self._result
