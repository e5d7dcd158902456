# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every resource model shares: the API's error, its timestamps.

Resources are plain dicts shaped exactly like the API's JSON, so responses are the records themselves.
"""

from __future__ import annotations

from datetime import datetime, timezone


class ApiError(Exception):
    """An error the API answers with: ``{"id": ..., "message": ...}`` and an HTTP status."""

    IDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
           409: "conflict", 412: "precondition_failed", 422: "unprocessable_entity", 429: "too_many_requests",
           500: "server_error", 503: "service_unavailable"}

    def __init__(self, status, message, error_id=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_id = error_id or self.IDS.get(status, "error")


def not_found():
    return ApiError(404, "The resource you were accessing could not be found.")


def unprocessable(message):
    return ApiError(422, message)


def iso(ts):
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
