#!/bin/bash
# Install the system packages that bindep.txt lists for the given profiles
# (default: test pdf), and for the test profile build (or reuse) the
# Debian 13 root the functional lab runs its daemons from (tools/lab-root,
# cached under /var/cache/haguide). Idempotent: when nothing is missing it
# only checks.
#
#   tools/test-setup.sh            # test + pdf profiles
#   tools/test-setup.sh pdf        # only the PDF toolchain
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(test pdf)

# bindep reads bindep.txt and knows each distribution's package manager;
# keep it in a venv of its own so this works before tox exists.
bindep_venv=${HAGUIDE_BINDEP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/haguide-bindep}
if ! [ -x "$bindep_venv/bin/bindep" ]; then
    echo "test-setup: installing bindep into $bindep_venv"
    python3 -m venv "$bindep_venv"
    "$bindep_venv/bin/pip" install -q bindep
fi

check() { "$bindep_venv/bin/bindep" -b -f "$top/bindep.txt" "$@" || true; }

# The functional lab's root: built once per package list, then reused.
lab_root() {
    case " ${profiles[*]} " in *" test "*) ;; *) return 0 ;; esac
    local started path
    started=$(date +%s)
    if [ "$(id -u)" -eq 0 ]; then
        path=$("$top/tools/lab-root" ensure)
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        path=$(sudo -n "$top/tools/lab-root" ensure)
    else
        echo "test-setup: not root; build the lab root with:" >&2
        echo "  sudo $top/tools/lab-root ensure" >&2
        return 1
    fi
    echo "test-setup: lab root $path ($(( $(date +%s) - started )) s)"
}

missing=$(check "${profiles[@]}")
if [ -z "$missing" ]; then
    echo "test-setup: all packages for profiles '${profiles[*]}' are installed"
    lab_root
    exit 0
fi
echo "test-setup: missing packages:" $missing

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "test-setup: not root and no password-less sudo; install them with:" >&2
    if command -v apt-get >/dev/null; then
        echo "  sudo apt-get install -y" $missing >&2
    else
        echo "  sudo dnf install -y" $missing >&2
    fi
    exit 1
fi

# The TeX toolchain is installed without recommended packages (they add
# hundreds of megabytes the PDF build does not use); the daemons with
# them, as the functional tests were measured.
tex=""
case " ${profiles[*]} " in *" pdf "*) tex=$(check pdf) ;; esac
rest=$(comm -23 <(tr ' ' '\n' <<<"$missing" | sort -u) \
                <(tr ' ' '\n' <<<"$tex" | sort -u) | tr '\n' ' ')

if command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    # shellcheck disable=SC2086
    [ -z "${tex// }" ] || "${sudo[@]}" apt-get install -y -qq --no-install-recommends $tex
    # shellcheck disable=SC2086
    [ -z "${rest// }" ] || "${sudo[@]}" apt-get install -y -qq $rest
elif command -v dnf >/dev/null; then
    # shellcheck disable=SC2086
    "${sudo[@]}" dnf install -y $missing
else
    echo "test-setup: no apt-get or dnf; install by hand:" $missing >&2
    exit 1
fi

still=$(check "${profiles[@]}")
if [ -n "$still" ]; then
    echo "test-setup: still missing after install:" $still >&2
    exit 1
fi
lab_root
echo "test-setup: done"
