# Sourced by .ci/run and tools/run-tests.sh (after tools/test-setup.sh):
# export CONFCHECK_TOOL_ROOT as the Debian 13 lab root, so that confcheck
# checks the example tree (tox -e docs, the unit tests) with the tool
# versions the lab runs. Entering the root (chroot) needs root. With
# HAGUIDE_REQUIRE_DAEMONS=1 a missing root or missing privileges stop the
# run instead of falling back to this machine's tools.
tool_root_export() {
    local root
    if [ -n "${CONFCHECK_TOOL_ROOT:-}" ]; then
        echo "confcheck tool root: $CONFCHECK_TOOL_ROOT (given)"
        return 0
    fi
    if root=$("$top/tools/lab-root" path) && [ "$(id -u)" -eq 0 ]; then
        export CONFCHECK_TOOL_ROOT=$root
        echo "confcheck tool root: $root"
    elif [ "${HAGUIDE_REQUIRE_DAEMONS:-}" = 1 ]; then
        echo "confcheck tool root: no lab root, or not root to enter" \
             "it, and HAGUIDE_REQUIRE_DAEMONS=1" >&2
        return 1
    else
        echo "confcheck tool root: none; checking with this machine's tools"
    fi
}
