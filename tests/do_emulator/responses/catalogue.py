# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regions, sizes and images."""

from __future__ import annotations

from ..models import ApiError
from .base import paginate


def list_regions(call):
    return paginate(call, "regions", call.state.regions())


def list_sizes(call):
    return paginate(call, "sizes", call.state.sizes())


def list_images(call):
    private = str(call.arg("private", "")).lower() == "true"
    return paginate(call, "images", call.state.images(call.arg("type"), private))


def get_image(call):
    image = call.state.find_image(call.params["image"])
    if image is None:
        raise ApiError(404, "The resource you were accessing could not be found.")
    return 200, {"image": image}


ROUTES = [
    # (method, path template with {param}, handler). Order matters: literals before {params}.
    ("GET", "/v2/regions", list_regions),
    ("GET", "/v2/sizes", list_sizes),
    ("GET", "/v2/images", list_images),
    ("GET", "/v2/images/{image}", get_image),
]
