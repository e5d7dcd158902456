# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """Connection and authentication options shared by the DigitalOcean modules."""

    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - DigitalOcean personal access token (read and write scope for modules that change things).
      - When not set, the first of the environment variables E(DIGITALOCEAN_ACCESS_TOKEN), E(DIGITALOCEAN_TOKEN)
        and E(DO_API_TOKEN) that is set is used, in that order; these are the names the
        P(pytrackdat.deploy.droplets#inventory) inventory plugin reads too.
      - 'A vaulted variable works as well (C(api_token: "{{ vault_do_token }}")), also set once for every module
        of a play with C(module_defaults).'
      - The token is never logged nor returned.
    type: str
    aliases: [oauth_token]
  api_url:
    description:
      - Base URL of the DigitalOcean API. It is normalised to end in C(/v2/).
      - When not set, the environment variable E(DIGITALOCEAN_END_POINT) or E(DIGITALOCEAN_API_URL) is used,
        else U(https://api.digitalocean.com/v2/).
    type: str
    aliases: [baseurl]
  api_timeout:
    description:
      - Timeout of each API request in seconds.
      - When not set, the environment variable E(PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC) is used, else 30.
    type: float
    default: 30
notes:
  - Requests that fail with 429 (honouring C(Retry-After)), 500, 502, 503, 504 or a lost connection are retried
    with exponential backoff and jitter, at most 8 attempts and 120 seconds per request. A create is never
    retried blindly - the resource is looked up first, so a lost response cannot create a duplicate.
requirements:
  - python-digitalocean >= 1.10.0, < 2
  - requests >= 2.28
"""
