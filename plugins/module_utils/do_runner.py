# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module runner does the same way: one lifecycle, one result shape, one error path, one poll.

A runner manages one kind of resource, found by what identifies it (a droplet's name, a key's fingerprint):

    run()  ->  validate()  ->  find()  ->  present(current) | absent(current)  ->  result(resource)
                                           each: plan(current, after), then apply the writes

``present`` and ``absent`` are named after the ``state`` values. Each calls ``plan(current, after)``, which
records the diff's two sides (``describe(current)`` and the wanted ``after``) and whether they differ; that
is ``changed``, so the diff and ``changed`` always agree. Writes happen only when something changed and not
in check mode. Every return, failures included, carries the same keys: ``changed``, the resource under
``resource_key`` (empty when there is none), ``result_fields()`` and, in diff mode, ``diff``. A failure
reports ``changed`` as whether a write had already been applied. An API error anywhere ends in ``fail_json``
with DOAPIError's message, status code and request id.
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import (
    DOAPIError, api_argument_spec, client_from_module,
)

ABSENT = {"state": "absent"}
# Waiting polls at 0.3, 0.9, 2.1, 4.1, 6.1 s... after the request: a droplet that is up after 5 s (the emulator) is
# seen 1 s later, not 4 s later (a cap of 10 s: 9.3 s); one that boots in 45 s (DigitalOcean) costs ~25 requests,
# far below the API's 250 a minute.
POLL_FIRST = 0.3
POLL_CAP = 2.0


def run_module(runner_class, argument_spec, **module_options):
    """A module's whole main(): the shared api_* options plus ``argument_spec``, check mode, run, exit."""
    options = api_argument_spec()
    options.update(argument_spec)
    module = AnsibleModule(argument_spec=options, supports_check_mode=True, **module_options)
    module.exit_json(**runner_class(module, client_from_module(module)).run())


class ResourceRunner:
    """Base of the module runners; subclasses set ``resource_key`` and ``what`` and write the steps."""

    resource_key = "resource"   # the result key that holds the API object ("droplet", "firewall", ...)
    what = "resource"           # how messages name the kind ("droplet", "SSH key", ...)
    api_key = None              # the key of the object in the API's answers, when not resource_key
    collection = None           # the API path that lists and creates them ("droplets", "account/keys", ...)

    def __init__(self, module, client, sleep=time.sleep):
        self.module = module
        self.client = client
        self.params = module.params
        self.check_mode = module.check_mode
        self._sleep = sleep
        self.changed = False
        self.before = self.after = None
        self._writes_before = client.writes

    # -- steps a runner writes -------------------------------------------------------------------

    def validate(self):
        """Every check that needs no API call: a list of messages, empty when the options are fine."""
        return self.check_params(self.params)

    @staticmethod
    def check_params(params):
        """``validate`` for runners whose checks need only the options."""
        return []

    def find(self):
        """The one resource the options identify, or None."""
        raise NotImplementedError

    def comparable(self, resource):
        """The attributes of an existing ``resource`` (or of a body to send) that the module manages."""
        raise NotImplementedError

    def present(self, current):
        raise NotImplementedError

    def path(self, resource):
        """The API path of ``resource`` (what ``absent`` deletes)."""
        return "%s/%s" % (self.collection, resource["id"])

    def result_fields(self, resource):
        """Keys besides ``changed`` and the resource that every result carries."""
        return {}

    # -- the shared lifecycle ----------------------------------------------------------------------

    def run(self):
        errors = self.validate()
        if errors:
            self.fail("Invalid %s options: %s" % (self.what, "; ".join(errors)))
        try:
            current = self.find()
            if self.params.get("state") == "absent":
                return self.absent(current)
            return self.present(current)
        except DOAPIError as exc:
            self.fail(resource=None, **exc.fail_kwargs())

    def describe(self, resource):
        """One side of the diff: ``ABSENT`` for None, else ``state: present`` and ``comparable(resource)``."""
        if not resource:
            return dict(ABSENT)
        return dict({"state": "present"}, **self.comparable(resource))

    def plan(self, current, after):
        """Record the diff from ``current`` to ``after`` (a ``describe`` dict); return whether anything changes."""
        self.before = self.describe(current)
        self.after = after
        self.changed = self.before != after
        return self.changed

    def absent(self, current):
        """Delete ``current``; nothing to do when there is none."""
        if self.plan(current, dict(ABSENT)) and not self.check_mode:
            self.client.delete(self.path(current))
        return self.result(current)

    def create(self, body, description):
        """POST ``body`` once (see DOClient.create): ``(resource, True)`` when created, ``(resource, False)`` when
        a lost answer made ``find`` look it up and it was there."""
        answer, fresh = self.client.create(self.collection, body, self.find, description)
        return (answer[self.api_key or self.resource_key], True) if fresh else (answer, False)

    # -- results -------------------------------------------------------------------------------------

    def result(self, resource, **extra):
        result = {"changed": self.changed, self.resource_key: resource or {}}
        result.update(self.result_fields(resource))
        if self.module._diff and self.before is not None:
            result["diff"] = dict(before=self.before, after=self.after)
        result.update(extra)
        return result

    def fail(self, msg, resource=None, **extra):
        self.changed = self.client.writes > self._writes_before
        self.module.fail_json(**self.result(resource, msg=msg, **extra))

    # -- waiting -------------------------------------------------------------------------------------

    def poll(self, current, refresh, done, timeout):
        """Refresh ``current`` with doubling intervals (0.3 s up to 2 s) until ``done(current)``.

        Returns ``(current, True)``, or ``(current, False)`` once ``timeout`` seconds have passed."""
        deadline = time.time() + timeout
        interval = POLL_FIRST
        while not done(current):
            remaining = deadline - time.time()
            if remaining <= 0:
                return current, False
            self._sleep(min(interval, remaining))
            interval = min(interval * 2, POLL_CAP)
            current = refresh(current)
        return current, True
