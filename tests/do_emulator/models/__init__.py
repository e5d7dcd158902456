# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""State and behaviour of the emulated DigitalOcean account, one module per resource (no HTTP here).

``State`` (state.py) is the account: it combines the resource models (account, ssh_keys, droplets,
droplet_actions, actions, catalogue, tags, firewalls, domains, projects), each of which owns its
collections and rules; base.py holds the ``ApiError`` they raise.
"""

from .base import ApiError, iso, not_found, unprocessable
from .state import State

__all__ = ["ApiError", "State", "iso", "not_found", "unprocessable"]
