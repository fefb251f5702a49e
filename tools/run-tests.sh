#!/bin/bash
# Run every test of the guide: install the system packages from bindep.txt
# and build (or reuse) the Debian 13 lab root, then run the whole pytest
# suite (unit, Sphinx, example tree, functional daemons, PDF and browser
# checks) through tox, confcheck using the lab root's tools
# (tools/tool-root.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/test-setup.sh test pdf
# shellcheck source=tool-root.sh
. tools/tool-root.sh
tool_root_export
if [ "$#" -gt 0 ]; then
    exec tox -e py3 -- "$@"
fi
# The whole suite: the tests that start no daemon on two pytest-xdist
# workers (one file per worker at a time), then the functional tests one
# at a time, since their timings are what they measure.
tox -e py3 -- -m "not functional" -n 2 --dist loadfile
exec tox -e py3 -- -m functional
