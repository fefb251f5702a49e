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
"""The real tools run from the lab's Debian root (CONFCHECK_TOOL_ROOT).

The root is the one ``tools/lab-root path`` names, or CONFCHECK_TOOL_ROOT
when set; without either the tests skip, unless HAGUIDE_REQUIRE_DAEMONS=1
(CI), where a missing root is a failure.
"""

from __future__ import annotations

import os
import subprocess

import pytest

import confcheck
import realtools
from confcheck import cli, external
from confcheck.checks import keepalived

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
LAB_ROOT = os.path.join(TOP, "tools", "lab-root")


def _find_root() -> str | None:
    root = os.environ.get(external.TOOL_ROOT_VARIABLE)
    if root:
        return root
    if not os.access(LAB_ROOT, os.X_OK):
        return None
    proc = subprocess.run([LAB_ROOT, "path"], capture_output=True,
                          text=True, timeout=60, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


@pytest.fixture(scope="module")
def lab_root() -> str:
    root = _find_root()
    if not root or not os.path.isdir(os.path.join(root, "usr")):
        reason = "no lab root (tools/lab-root ensure builds it)"
        if os.environ.get(realtools.REQUIRE) == "1":
            pytest.fail(f"{reason} and {realtools.REQUIRE}=1")
        pytest.skip(reason)
    if os.geteuid() != 0:
        pytest.skip("chroot into the lab root needs root")
    return root


@pytest.fixture
def rooted(monkeypatch, lab_root):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    monkeypatch.setenv(external.TOOL_ROOT_VARIABLE, lab_root)
    return lab_root


HAPROXY_BAD = ("defaults\n  mode http\n  timeout connect 5s\n"
               "  timeout client 30s\n  timeout server 30s\n"
               "listen api\n  bind 127.0.0.1:8080\n"
               "  balance roundrobbin\n  server s 127.0.0.1:80 check\n")


def test_tools_come_from_the_root(rooted):
    for name in ("haproxy", "keepalived", "corosync", "pcs", "crm",
                 "crm_verify", "cibadmin"):
        path = external.available(name)
        assert path and path.startswith(rooted + "/"), (name, path)
    # ip manages this kernel's namespaces: always this machine's.
    assert not (external.available("ip") or "").startswith(rooted)


def test_haproxy_from_the_root_reports_on_the_line(rooted):
    found = [(f.line, f.code) for f in confcheck.check_text(
        HAPROXY_BAD, "haproxy.cfg", "haproxy")]
    assert (8, "HAP001") in found, found


def test_chrooted_tool_runs_unprivileged_in_the_root(rooted):
    proc = external.run([external.available("cibadmin"), "--version"])
    assert proc.returncode == 0
    probe = os.path.join(rooted, "usr", "bin", "id")
    assert external.run([probe, "-u"]).stdout.strip() != "0"
    assert external.run([probe, "-u"], privileged=True).stdout.strip() == (
        "0")


def test_lua_load_in_the_root_is_not_run(rooted, tmp_path):
    marker = os.path.join(rooted, "tmp", f"confcheck-lua-{os.getpid()}")
    script = os.path.join(rooted, "tmp", f"confcheck-lua-{os.getpid()}.lua")
    with open(script, "w", encoding="ascii") as fh:
        fh.write(f'io.open("/tmp/{os.path.basename(marker)}", "w")\n')
    try:
        text = (f"global\n  lua-load /tmp/{os.path.basename(script)}\n"
                + HAPROXY_BAD)
        found = [(f.line, f.code) for f in confcheck.check_text(
            text, "haproxy.cfg", "haproxy")]
        assert (2, "HAP090") in found
        assert not os.path.exists(marker)
    finally:
        for path in (script, marker):
            if os.path.exists(path):
                os.unlink(path)


def test_keepalived_and_pcs_from_the_root_accept_good_files(rooted):
    realtools.require_netns()
    text = keepalived._INSTANCE + keepalived._VIPS
    assert confcheck.check_text(text, "keepalived.conf", "keepalived") == []
    pcs = ("pcs property set stonith-enabled=false\n"
           "pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11 "
           "cidr_netmask=24 op monitor interval=10s\n")
    found = confcheck.check_text(pcs, "vip.pcs", "pcs")
    assert [f.code for f in found] == ["PCS109"], found


def test_cli_tool_root_option(lab_root, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    # cli.main() exports --tool-root for the tools it starts; an empty
    # value (no root) set through monkeypatch is what the end of the test
    # restores, so the root does not leak into the tests that follow.
    monkeypatch.setenv(external.TOOL_ROOT_VARIABLE, "")
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(HAPROXY_BAD)
    assert cli.main(["--tool-root", lab_root, str(cfg)]) == cli.EXIT_ERRORS
    assert f"{cfg}:8: error: HAP001" in capsys.readouterr().out
    monkeypatch.delenv(external.TOOL_ROOT_VARIABLE, raising=False)
    assert cli.main(["--tool-root", str(tmp_path), str(cfg)]) == (
        cli.EXIT_USAGE)


# A pcs file and a crm file whose tools write temporary CIB copies
# (pcs -f, crm's crm_diff) and an haproxy file; each checked in full,
# then again with a budget that kills the tools part-way.
LEAK_CASES = [
    ("leak.pcs", "pcs", "pcs property set stonith-enabled=false\n"
     "pcs resource create vip ocf:heartbeat:IPaddr2 ip=10.0.0.11 "
     "cidr_netmask=24\n"
     "pcs constraint location vip rule score=-INFINITY '#kind ne cluster'"
     "\n"),
    ("leak.crm", "crm", "property stonith-enabled=false\n"
     "primitive vip ocf:heartbeat:IPaddr2 params ip=10.0.0.11\n"
     "primitive vip2 ocf:heartbeat:IPaddr2 params ipx=10.0.0.12\n"),
    ("haproxy.cfg", "haproxy", HAPROXY_BAD),
]


def _files_in(directory: str) -> set[str]:
    """Entries of directory other than confcheck's scratch directories,
    which live checks (ours, or a neighbour's) remove themselves."""
    return {name for name in os.listdir(directory)
            if not (name.startswith("confcheck-") and os.path.isdir(
                os.path.join(directory, name)))}


@pytest.mark.parametrize("seconds", [60.0, 0.5], ids=["full", "killed"])
def test_checks_write_nothing_into_the_root(rooted, seconds):
    """Every tool's TMPDIR (and HOME) is the check's scratch directory,
    removed with what the tool left there, even when it was killed."""
    tmp = os.path.join(rooted, "tmp")
    before = _files_in(tmp)
    for name, kind, text in LEAK_CASES:
        with external.budget(seconds):
            confcheck.check_text(text, name, kind)
    assert _files_in(tmp) - before == set()
    # Our per-check scratch directories are gone; what is left is the
    # sessions' own, kept until this process exits (one per tool).
    left = {os.path.basename(p) for p in external._scratch}
    assert {n.split("-")[1] for n in left} <= {"pcs", "crm", "cert"}, left


def test_versions_are_asked_of_the_root(rooted):
    """What the guide's versions table shows: the root's pcs is 0.12."""
    version, path = external.version("pcs")
    assert path.startswith(rooted + "/")
    assert realtools.version_tuple(version)[:2] == (0, 12), version
    assert external.version("ip") is None or not external.version(
        "ip")[1].startswith(rooted)
