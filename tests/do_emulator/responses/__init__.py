# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP in and out, one module per resource (moto's responses.py): request parsing, bodies, and the routes.

Each resource module has its ``ROUTES`` (a route that is one model call is one line, made by ``base.answer``
or ``base.listing``; the others are small functions); this package joins them into one routing table.
Each handler takes a ``Call`` and returns ``(status, body)``; ``body`` None means an empty body.
Handlers run with the state lock held and raise ``ApiError`` for API errors.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..models import ApiError
from . import account, actions, catalogue, domains, droplets, firewalls, projects, tags
from .base import DEFAULT_PER_PAGE, MAX_PER_PAGE, Call, paginate

_SEG = r"[^/]+"
# Order matters within a resource (literals before {params}); the resources' paths do not overlap.
ROUTES = [*account.ROUTES, *droplets.ROUTES, *actions.ROUTES, *catalogue.ROUTES, *tags.ROUTES, *firewalls.ROUTES,
          *domains.ROUTES, *projects.ROUTES]
_COMPILED = [(m, t, re.compile("^" + re.sub(r"\{(\w+)\}", rf"(?P<\1>{_SEG})", t) + "$"), h) for m, t, h in ROUTES]


def _match(method, path):
    """(handler, path params, template) of the route for ``method`` ``path``; (None, None, None) when there is
    none, with the handler None and the template "" when only another method is routed there."""
    path = "/" + path.strip("/")   # DO accepts trailing slashes (python-digitalocean always sends them)
    other_method = False
    for route_method, template, pattern, handler in _COMPILED:
        match = pattern.match(path)
        if match:
            if route_method == method:
                # pydo percent-encodes fingerprints (":" -> "%3A"); python-digitalocean does not.
                return handler, {k: unquote(v) for k, v in match.groupdict().items()}, template
            other_method = True
    return None, None, "" if other_method else None


def template_for(method, path):
    """The route template serving ``method`` ``path`` (e.g. "/v2/droplets/{droplet}"), or None; never raises."""
    return _match(method, path)[2] or None


def route(method, path):
    """Return (handler, path params, template); raise ApiError 404/405 when nothing matches."""
    handler, params, template = _match(method, path)
    if handler is not None:
        return handler, params, template
    if template == "":
        raise ApiError(405, f"Method {method} is not allowed on {'/' + path.strip('/')}.")
    raise ApiError(404, "The resource you were accessing could not be found.")


# Every handler is reachable as ``responses.<handler name>`` (tests swap one in ``_COMPILED`` by identity);
# no handler is named like a resource module (GET /v2/account is ``get_account``).
globals().update({handler.__name__: handler for _method, _template, handler in ROUTES})

__all__ = ["ApiError", "Call", "DEFAULT_PER_PAGE", "MAX_PER_PAGE", "ROUTES", "paginate", "route", "template_for"]
