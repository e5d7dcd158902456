#!/usr/bin/env bash
# Runs inside the Debian 13 container of `make matrix` (python3.13, no PyPI): ansible-core $NEWEST_CORE as the
# control node. Installs everything from the wheels mounted at /wheels, then runs ansible-test sanity and the plugins'
# unit tests on the collection copy at /src/ansible_collections/pytrackdat/deploy, and the AWX-style ansible-runner
# job laid out in /runner by tests/matrix/newest_core.py when AWX_JOB=1.
set -euo pipefail
: "${NEWEST_CORE:?}"
pip_wheel=$(printf '%s\n' /wheels/pip-*.whl | head -n 1)
printf '[global]\nno-index = true\nfind-links = /wheels\ndisable-pip-version-check = true\n' > /etc/pip.conf

# Debian's python3.13 has no ensurepip: the venv starts without pip and pip installs itself from its own wheel.
python3 -m venv --without-pip /opt/core
/opt/core/bin/python "$pip_wheel/pip" install -q "$pip_wheel"
/opt/core/bin/pip install -q "ansible-core==$NEWEST_CORE" -r /src/ansible_collections/pytrackdat/deploy/requirements.txt \
    -r /src/ansible_collections/pytrackdat/deploy/tests/matrix/requirements-test.txt ansible-runner
# community.general, community.docker and ansible.posix: the same copies as the main venv (mounted read-only).
ln -s /community/ansible_collections "$(/opt/core/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ansible_collections"
export PATH=/opt/core/bin:$PATH

# ansible-test bootstraps pip in the venvs it makes with a script from Ansible's CI host (unreachable): this stand-in
# installs the requested pip from the mounted wheel instead (the host's tests/sanity/run.sh uses ensurepip).
mkdir -p ~/.ansible/test/cache
cat > ~/.ansible/test/cache/get_pip_25_2.py <<PY
import subprocess
import sys
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "$pip_wheel/pip", "install"] + args)
PY

cd /src/ansible_collections/pytrackdat/deploy
ansible --version | head -n 1
rc=0
if [ "${SANITY:-1}" = 1 ]; then
    ansible-test sanity --local --python 3.13 --requirements --color no || rc=1
    rm -rf tests/output
fi
mkdir -p .collections/ansible_collections/pytrackdat
ln -sfn ../../.. .collections/ansible_collections/pytrackdat/deploy
if [ "${UNIT:-1}" = 1 ]; then
    python -m pytest -q -p no:cacheprovider -n "${UNIT_WORKERS:-2}" --dist loadgroup ${LIBRARY_RANGE_TEST:+--deselect "$LIBRARY_RANGE_TEST"} \
        tests/unit/plugins || rc=1
fi
if [ "${AWX_JOB:-0}" = 1 ]; then
    # What AWX runs for a job: the collection is where an execution environment has it, the rest is in /runner.
    ANSIBLE_COLLECTIONS_PATH=/src ansible-runner run /runner -p pytrackdat.yml --ident matrix || rc=1
fi
exit $rc
