# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regions, sizes and images."""

from __future__ import annotations

from ..models import not_found
from .base import listing


def get_image(call):
    image = call.state.find_image(call.params["image"])
    if image is None:
        raise not_found()
    return 200, {"image": image}


def _images(call):
    private = str(call.arg("private", "")).lower() == "true"
    return call.state.images(call.arg("type"), private)


ROUTES = [
    ("GET", "/v2/regions", listing("list_regions", "regions", lambda call: call.state.regions())),
    ("GET", "/v2/sizes", listing("list_sizes", "sizes", lambda call: call.state.sizes())),
    ("GET", "/v2/images", listing("list_images", "images", _images)),
    ("GET", "/v2/images/{image}", get_image),
]
