#!/bin/bash
# Run every test of the guide: install the system packages from bindep.txt
# and build (or reuse) the Debian 13 lab root, then run the whole pytest
# suite (unit, Sphinx, example tree, functional daemons, PDF and browser
# checks) through tox.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/test-setup.sh test pdf
# confcheck checks the tree with the lab root's haproxy, keepalived,
# corosync and Pacemaker tools: the versions the functional tests run.
if [ -z "${CONFCHECK_TOOL_ROOT:-}" ] && root=$(tools/lab-root path); then
    export CONFCHECK_TOOL_ROOT=$root
fi
exec tox -e py3 -- "$@"
