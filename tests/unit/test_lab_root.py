# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""tools/lab-root: the cache key, and roots derived from a cached one.

The real build and derive need a Debian mirror; these tests run the
script on small fake roots in a temporary cache directory, with stand-ins
for the commands that would change the machine (id, unshare, which the
script runs apt-get through, and debootstrap), so that what the script
decides is checked without a network: which cached root it starts from,
that only the missing packages are installed, that the source stays as
it was, and that a failure leaves no root and no temporary copy behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
TOOL = TOP / "tools" / "lab-root"
STAMP = ".haguide-lab-root"
VERSION = re.search(r"^SCRIPT_VERSION=(\d+)$", TOOL.read_text(),
                    re.MULTILINE).group(1)
# Stand-ins. unshare gets "... sh -c SCRIPT in_root DIR COMMAND...": it
# logs the command and, for apt-get install, marks each package in DIR.
FAKE_UNSHARE = """#!/bin/bash
while [ "$#" -gt 0 ] && [ "$1" != in_root ]; do shift; done
shift; dir=$1; shift
echo "$*" >> "$FAKE_LOG"
case " $* " in
    *" install "*)
        [ -z "${FAKE_APT_FAIL:-}" ] || exit 100
        for word in "$@"; do
            case "$word" in -*|env|apt-get|install|*=*) ;;
                *) touch "$dir/installed-$word" ;; esac
        done ;;
esac
exit 0
"""
FAKE_ID = "#!/bin/sh\necho 0\n"
FAKE_DEBOOTSTRAP = "#!/bin/sh\necho 'no network here' >&2\nexit 1\n"


def key(suite: str, packages: list[str], version: str = VERSION) -> str:
    text = "".join(f"{line}\n" for line in [version, suite, *packages])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def packages() -> list[str]:
    return subprocess.run([str(TOOL), "packages"], capture_output=True,
                          text=True, check=True, timeout=30).stdout.split()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache directory and a PATH with the stand-ins first."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("unshare", FAKE_UNSHARE), ("id", FAKE_ID),
                       ("debootstrap", FAKE_DEBOOTSTRAP)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    base = tmp_path / "cache"
    base.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("HAGUIDE_LAB_ROOT_DIR", str(base))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.log"))
    monkeypatch.delenv("HAGUIDE_LAB_ROOT_DERIVE", raising=False)
    return base


def fake_root(base: Path, names: list[str], *, suite: str = "trixie",
              built: str = "2026-01-01T00:00:00Z", name: str | None = None,
              stamp: bool = True) -> Path:
    root = base / f"lab-root-{name or key(suite, names)}"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "debian_version").write_text("13.2\n")
    if stamp:
        (root / STAMP).write_text(
            f"suite={suite}\nmirror=http://mirror.invalid/debian\n"
            f"built={built}\npackages={' '.join(names)}\n")
    return root


def tool(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([str(TOOL), *args], capture_output=True,
                          text=True, timeout=60, check=check)


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_root_is_named_by_version_suite_and_packages(cache):
    found = tool("ensure")
    assert found.returncode != 0  # no source, and debootstrap fails
    (cache / "lab-root-x").mkdir()
    expected = cache / f"lab-root-{key('trixie', packages())}"
    fake_root(cache, packages())
    assert tool("path", check=True).stdout.strip() == str(expected)


def test_source_is_the_newest_subset_of_this_suite_and_version(cache):
    names = packages()
    older = fake_root(cache, names[:-1], built="2026-01-01T00:00:00Z")
    newer = fake_root(cache, names[:-2], built="2026-02-01T00:00:00Z")
    # Not candidates: a package the list no longer has, another suite,
    # another script version (name and stamp disagree), no stamp, a
    # symbolic link to a good root, and an unfinished build.
    fake_root(cache, [*names[:-1], "not-in-the-list"],
              built="2026-03-01T00:00:00Z")
    fake_root(cache, names[:-1], suite="bookworm",
              built="2026-03-01T00:00:00Z")
    fake_root(cache, names[:-1], built="2026-03-01T00:00:00Z",
              name=key("trixie", names[:-1], version="0"))
    fake_root(cache, names[:-3], stamp=False)
    (cache / "lab-root-0123456789ab").symlink_to(newer)
    (cache / f".lab-root-{key('trixie', names)}.tmp.1").mkdir()
    assert tool("source").stdout.strip() == str(newer)
    newer.joinpath(STAMP).unlink()
    assert tool("source").stdout.strip() == str(older)


def test_hostile_stamp_is_read_not_run(cache, tmp_path):
    marker = tmp_path / "ran"
    hostile = [f"$(touch {marker})", "*", "`id`"]
    fake_root(cache, hostile)
    fake_root(cache, ["a;b", "../x"], name="zzzzzzzzzzzz")
    found = tool("source")
    assert found.returncode == 1 and found.stdout == ""
    assert not marker.exists()


def test_no_source_gives_status_1(cache):
    assert tool("source").returncode == 1


def test_derive_installs_only_what_is_missing(cache, tmp_path):
    names = packages()
    source = fake_root(cache, names[:-2])
    before = snapshot(source)
    found = tool("ensure")
    assert found.returncode == 0, found.stderr
    derived = Path(found.stdout.strip())
    assert derived == cache / f"lab-root-{key('trixie', names)}"
    stamp = dict(line.split("=", 1) for line in
                 (derived / STAMP).read_text().splitlines())
    assert stamp["packages"].split() == names
    assert stamp["derived-from"] == source.name
    assert stamp["suite"] == "trixie"
    assert sorted(p.name for p in derived.glob("installed-*")) == sorted(
        f"installed-{n}" for n in names[-2:])
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls[0] == "apt-get update -qq"
    assert calls[1].endswith(" ".join(names[-2:]))
    assert snapshot(source) == before
    assert not list(cache.glob(".lab-root-*.tmp.*"))
    assert "root derived in" in found.stderr
    # Complete now: a second ensure reuses it and installs nothing.
    again = tool("ensure")
    assert again.stdout.strip() == str(derived)
    assert len((tmp_path / "calls.log").read_text().splitlines()) == len(
        calls)


def test_failed_derive_falls_back_and_leaves_nothing(cache, monkeypatch):
    names = packages()
    source = fake_root(cache, names[:-1])
    before = snapshot(source)
    monkeypatch.setenv("FAKE_APT_FAIL", "1")
    found = tool("ensure")
    # The fallback is a full build, which needs debootstrap (failing here).
    assert found.returncode != 0
    assert "deriving failed; building from scratch" in found.stderr
    assert "debootstrap failed" in found.stderr
    assert sorted(p.name for p in cache.iterdir()
                  if not p.name.endswith((".log", ".lock"))) == [source.name]
    assert snapshot(source) == before
    assert tool("path").returncode == 1


def test_derive_can_be_turned_off(cache, monkeypatch, tmp_path):
    fake_root(cache, packages()[:-1])
    monkeypatch.setenv("HAGUIDE_LAB_ROOT_DERIVE", "0")
    found = tool("ensure")
    assert found.returncode != 0
    assert "deriving" not in found.stderr
    assert "debootstrap failed" in found.stderr
    assert not (tmp_path / "calls.log").exists()
