# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every resource's handlers share: the parsed request (``Call``), DO's pagination, and the two
handler makers that keep a route that is one model call to one line (``answer``, ``listing``)."""

from __future__ import annotations

from urllib.parse import urlencode

from ..models import ApiError

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200


class Call:
    """One parsed request as the handlers see it."""

    def __init__(self, state, method, path, query, body, params, base_url):
        self.state = state
        self.method = method
        self.path = path
        self.query = query          # list of (name, value), as sent
        self.body = body            # parsed JSON or None
        self.params = params        # path parameters
        self.base_url = base_url    # "http://127.0.0.1:PORT"

    def arg(self, name, default=None):
        for key, value in self.query:
            if key == name:
                return value
        return default

    def json(self):
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return self.body


def _int_arg(call, name, default, low, high):
    raw = call.arg(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None
    return max(low, min(high, value))


def paginate(call, key, items, extra=None):
    """The list body DO returns: the page of ``items`` under ``key``, ``links.pages`` and ``meta.total``."""
    per_page = _int_arg(call, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_arg(call, "page", 1, 1, 10 ** 9)
    total = len(items)
    last = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    kept = [(k, v) for k, v in call.query if k not in ("page", "per_page")]

    def link(number):
        query = urlencode(kept + [("page", number), ("per_page", per_page)])
        return f"{call.base_url}/{call.path.strip('/')}?{query}"

    pages = {}
    if page > 1:
        pages["first"] = link(1)
        pages["prev"] = link(min(page - 1, last))
    if page < last:
        pages["next"] = link(page + 1)
        pages["last"] = link(last)
    body = {key: items[start:start + per_page], "links": {"pages": pages}, "meta": {"total": total}}
    if extra:
        body.update(extra)
    return 200, body


def answer(name, status, key, method, params=(), body=None, **options):
    """The handler ``name`` for a route that is one model call: ``call.state.<method>(*path params[, body],
    **options)``, answered with ``status`` and ``{key: result}``, or with an empty body when ``key`` is None.

    ``body`` is "*" for the request's JSON object or the name of one of its fields. A path parameter the
    route does not have is "default" (the /v2/projects/default routes share the {project} handlers)."""
    def handle(call):
        args = [call.params.get(param, "default") for param in params]
        if body is not None:
            args.append(call.json() if body == "*" else call.json().get(body))
        result = getattr(call.state, method)(*args, **options)
        return status, (None if key is None else {key: result})
    handle.__name__ = handle.__qualname__ = name
    return handle


def listing(name, key, items):
    """The handler ``name`` for a list route: ``items(call)``, paginated under ``key``."""
    def handle(call):
        return paginate(call, key, items(call))
    handle.__name__ = handle.__qualname__ = name
    return handle
