# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role documents its interface the same way: defaults, argument specs and README agree."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def load(path):
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream) or {}


def test_the_collection_has_the_roles_the_playbooks_use():
    assert {"server_setup", "docker", "pytrackdat_app", "pytrackdat_backup"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_in_the_argument_spec_and_prefixed_with_the_role_name(role):
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml")
    specs = load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    documented = {name for spec in specs.values() for name in spec.get("options", {})}
    missing = sorted(set(defaults) - documented)
    assert not missing, f"{role}: defaults without an argument spec entry: {missing}"
    prefix = role.split("_")[0] if role == "server_setup" else role
    unprefixed = sorted(name for name in defaults if not name.startswith(prefix))
    assert not unprefixed, f"{role}: defaults not prefixed with the role name: {unprefixed}"


@pytest.mark.parametrize("role", ROLES)
def test_every_spec_option_has_a_description_and_a_type(role):
    specs = load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    for entry, spec in specs.items():
        for name, option in spec.get("options", {}).items():
            assert option.get("description"), f"{role}/{entry}: {name} has no description"
            assert option.get("type"), f"{role}/{entry}: {name} has no type"


@pytest.mark.parametrize("role", ROLES)
def test_every_spec_default_matches_defaults_main(role):
    """A templated default (derived from another role's variable) is evaluated by Ansible, not by the spec."""
    defaults = load(ROOT / "roles" / role / "defaults" / "main.yml")
    specs = load(ROOT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    differ = {name: (option["default"], defaults[name])
              for spec in specs.values() for name, option in spec.get("options", {}).items()
              if "default" in option and name in defaults and option["default"] != defaults[name]
              and "{{" not in str(defaults[name])}
    assert not differ, f"{role}: spec default != defaults/main.yml: {differ}"


def test_role_readmes_carry_the_current_variable_reference():
    proc = subprocess.run([sys.executable, ROOT / "scripts" / "role_docs.py", "--check"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
