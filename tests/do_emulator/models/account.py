# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account itself (GET /v2/account)."""

from __future__ import annotations


class AccountModel:
    """The account's own record (``self.account_uuid``, ``self.droplet_limit``)."""

    def account(self):
        return {"droplet_limit": self.droplet_limit, "floating_ip_limit": 3, "reserved_ip_limit": 3, "volume_limit": 100,
                "email": "emulator@example.com", "name": "Emulated Account", "uuid": self.account_uuid,
                "email_verified": True, "status": "active", "status_message": "",
                "team": {"uuid": self.account_uuid[:8] + "-team-0000-0000-000000000000", "name": "My Team"}}
