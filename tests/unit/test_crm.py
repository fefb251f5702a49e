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
"""The crm checker: replay on a scratch CIB, built-in stale-syntax lints."""

from __future__ import annotations

import concurrent.futures
import pathlib

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import crm

SAMPLES = pathlib.Path(__file__).parent / "samples" / "crm"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "x.crm", "crm")]


@pytest.fixture(scope="module")
def replayed():
    """Each sample replayed once: crm costs ~0.5-1.4 s a statement."""
    realtools.require("crm", "crmsh")
    for binary in ("cibadmin", "crm_verify"):
        realtools.require(binary, "pacemaker-cli-utils")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CONFCHECK_EXTERNAL", raising=False)
        samples = sorted(SAMPLES.glob("*.crm"))
        # The tool's start-up dominates; the samples can wait together.
        with concurrent.futures.ThreadPoolExecutor(len(samples)) as pool:
            results = pool.map(
                lambda p: check_text(p.read_text(), p.name, "crm"),
                samples)
            return dict(zip((p.name for p in samples), results,
                            strict=True))


CLONE = "primitive h systemd:haproxy\nclone h-clone h\n"

# (case, text, line, code) found without crm.
BUILTIN_CASES = [
    ("ms_statement", "primitive g ocf:heartbeat:galera\n"
     "ms g-master g meta master-max=3\n", 2, "CRM101"),
    ("lsb_agent", "primitive h lsb:haproxy\n", 1, "CRM102"),
    ("master_role", "colocation c inf: vip g-clone:Master\n", 1, "CRM103"),
    ("inverted_colocation", CLONE + "colocation c inf: h-clone vip\n",
     3, "CRM104"),
    ("stonith_disabled", "property stonith-enabled=false\n", 1, "CRM105"),
    ("unknown_statement", "# typo\nresource vip ocf:heartbeat:IPaddr2\n",
     2, "CRM005"),
    ("unclosed_quote", "primitive w ocf:heartbeat:apache \\\n"
     "  params configfile='/etc/a.conf\n", 1, "CRM006"),
]


@pytest.mark.parametrize("text,line,code",
                         [c[1:] for c in BUILTIN_CASES],
                         ids=[c[0] for c in BUILTIN_CASES])
def test_builtin_finds(builtin, text, line, code):
    assert (line, code) in found(text)


def test_builtin_good_sample_is_clean(builtin):
    assert found((SAMPLES / "vip-haproxy.crm").read_text()) == []


def test_builtin_accepts_promoted_colocation_and_crm_prefix(builtin):
    text = ("crm configure primitive g ocf:heartbeat:galera\n"
            "clone g-clone g meta promotable=true\n"
            "colocation c inf: g-clone:Promoted vip\n")
    assert found(text) == []


def test_real_good_sample_is_clean(replayed):
    """Includes systemd:haproxy, which has no metadata without systemd."""
    assert replayed["vip-haproxy.crm"] == []


def test_real_remote_node_is_clean(replayed):
    assert replayed["remote-node.crm"] == []


def test_real_constraints_before_their_resources_are_clean(replayed):
    """The file is committed whole, as crm configure load update does;
    a commit after each statement would find the constraints' resources
    missing."""
    assert replayed["constraints-first.crm"] == []


def test_real_commit_warning_keeps_its_line_before_a_linted_line(replayed):
    """crm advises against the monitor timeout of line 1 only when the
    file is committed; line 3 has a lint of its own. The warning is
    reported at line 1, not lost under line 3's lint."""
    found = {(f.line, f.code) for f in replayed["advice-before-a-lint.crm"]}
    assert found == {(1, "CRM003"), (3, "CRM105")}


def test_real_refused_object_is_reported_once(replayed):
    """crm refuses line 2, then crashes (crmsh 4) or fails the commit
    (crmsh 5) on line 3, which only refers to it: line 3 adds nothing,
    and line 4 still runs in a fresh crm."""
    found = {(f.line, f.code) for f in replayed["refused-then-referenced.crm"]}
    assert found == {(2, "CRM001"), (2, "CRM101"), (4, "CRM001")}


# What crm itself and the lints find in samples/crm/stale-and-broken.crm.
BROKEN = {
    (1, "CRM105"), (2, "CRM102"), (3, "CRM001"), (4, "CRM005"),
    (7, "CRM101"), (9, "CRM104"), (10, "CRM103"), (11, "CRM004"),
    (12, "CRM006"), (13, "CRM001"),
}


# What crmsh 5 (Debian 13) finds differently: it has no 'ms' command
# any more, and its commit no longer reports crm_verify's errors, so the
# final crm_verify does, at the same line.
BROKEN_CRMSH5 = (BROKEN - {(13, "CRM001")}) | {(7, "CRM001"),
                                                (13, "CRM002")}


def test_real_broken_sample(replayed):
    """Line 13 is committed but fails verification (an unknown role):
    reported once, at its line (by crm's commit on crmsh 4, by the final
    crm_verify on crmsh 5, whose commit stays silent)."""
    findings = replayed["stale-and-broken.crm"]
    crmsh5 = realtools.version_tuple(realtools.version("crm")) >= (5,)
    assert {(f.line, f.code) for f in findings} == (
        BROKEN_CRMSH5 if crmsh5 else BROKEN)
    ipx = next(f for f in findings if f.code == "CRM001")
    assert 'parameter "ipx" is not known' in ipx.message
    if crmsh5:
        ms = next(f for f in findings if (f.line, f.code) == (7, "CRM001"))
        assert ms.message == "configure.ms: No such command"


def test_codes_have_examples():
    for code in crm.CODES:
        assert code.bad and code.good and code.code.startswith("CRM")
