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
"""The pcs checker: replay on a scratch CIB, built-in stale-syntax lints."""

from __future__ import annotations

import concurrent.futures
import pathlib

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import pcs

SAMPLES = pathlib.Path(__file__).parent / "samples" / "pcs"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "x.pcs", "pcs")]


@pytest.fixture(scope="module")
def replayed():
    """Each sample replayed once: pcs costs ~0.7 s a command."""
    for binary in ("pcs", "cibadmin", "crm_verify"):
        realtools.require(binary, "pcs" if binary == "pcs"
                          else "pacemaker-cli-utils")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CONFCHECK_EXTERNAL", raising=False)
        samples = sorted(SAMPLES.glob("*.pcs"))
        # The tool's start-up dominates; the samples can wait together.
        with concurrent.futures.ThreadPoolExecutor(len(samples)) as pool:
            results = pool.map(
                lambda p: check_text(p.read_text(), p.name, "pcs"),
                samples)
            return dict(zip((p.name for p in samples), results,
                            strict=True))


# (case, text, line, code) found without pcs; one command each.
BUILTIN_CASES = [
    ("clone_option", "pcs resource create h systemd:haproxy --clone\n",
     1, "PCS101"),
    ("params_keyword", "\n\npcs resource create vip ocf:heartbeat:IPaddr2"
     " params ip=10.0.0.11\n", 3, "PCS102"),
    ("cluster_auth", "pcs cluster auth controller1 -u hacluster\n",
     1, "PCS103"),
    ("setup_name", "pcs cluster setup --name openstack controller1\n",
     1, "PCS104"),
    ("lsb_agent", "pcs resource create h lsb:haproxy clone\n", 1, "PCS105"),
    ("master_resource", "pcs resource master g-master g\n", 1, "PCS106"),
    ("master_role", "pcs constraint colocation add master g-clone with "
     "vip\n", 1, "PCS107"),
    ("inverted_colocation", "# old guide\n"
     "pcs constraint colocation add lb-haproxy-clone with vip\n",
     2, "PCS108"),
    ("stonith_disabled", "pcs property set stonith-enabled=false\n",
     1, "PCS109"),
    ("unknown_subcommand", "pcs resources create vip\n", 1, "PCS005"),
    ("unclosed_quote", "pcs resource create w ocf:heartbeat:apache \\\n"
     "  configfile='/etc/a.conf\n", 1, "PCS006"),
    ("continuation_at_end", "pcs resource create w \\\n", 1, "PCS006"),
]


@pytest.mark.parametrize("text,line,code",
                         [c[1:] for c in BUILTIN_CASES],
                         ids=[c[0] for c in BUILTIN_CASES])
def test_builtin_finds(builtin, text, line, code):
    assert (line, code) in found(text)


def test_builtin_good_sample_is_clean(builtin):
    text = (SAMPLES / "vip-haproxy.pcs").read_text()
    assert found(text) == []


def test_builtin_accepts_the_current_syntax(builtin):
    text = ("pcs host auth controller1 controller2 -u hacluster\n"
            "pcs cluster setup openstack controller1 addr=10.0.0.12 "
            "controller2 addr=10.0.0.13\n"
            "pcs resource create g ocf:heartbeat:galera promotable\n"
            "pcs constraint colocation add Promoted g-clone with vip\n")
    assert found(text) == []


def test_real_good_sample_is_clean(replayed):
    """Includes systemd:haproxy, which pcs only takes with --force here."""
    assert replayed["vip-haproxy.pcs"] == []


def test_real_cluster_setup_is_checked_offline(replayed):
    assert replayed["cluster-setup.pcs"] == []


# What pcs itself and the lints find in samples/pcs/stale-and-broken.pcs.
BROKEN = {
    (1, "PCS103"), (2, "PCS104"), (3, "PCS109"), (4, "PCS102"),
    (5, "PCS101"), (5, "PCS105"), (6, "PCS001"), (7, "PCS108"),
    (8, "PCS005"), (9, "PCS004"), (10, "PCS006"), (11, "PCS002"),
    (12, "PCS001"),
}


# What crm_verify says about line 11's role, by Pacemaker version: 3.0
# no longer adds "Unknown role" (its schema check fails instead, a
# summary confcheck drops when a located error says more).
SLEEPING = {
    2: ["crm_verify: Ignoring 'target-role' for vip3 because 'Sleeping' "
        "is not valid", "crm_verify: Unknown role: Sleeping"],
    3: ["crm_verify: Ignoring 'target-role' for vip3 because 'Sleeping' "
        "is not valid"],
}


def test_real_broken_sample(replayed):
    """Line 7 names resources whose creation failed: no second error.
    Line 11 passes pcs but not crm_verify (an unknown role); line 12 is
    a cluster setup pcs rejects offline."""
    findings = replayed["stale-and-broken.pcs"]
    assert {(f.line, f.code) for f in findings} == BROKEN
    messages = [f.message for f in findings if f.code == "PCS001"]
    assert "invalid resource option 'ipx'" in messages[0]
    assert messages[1] == "Unknown options 'adr' for node 'controller1'"
    pacemaker = realtools.version_tuple(realtools.version("crm_verify"))
    assert sorted(f.message for f in findings if f.line == 11) == SLEEPING[
        min(pacemaker[0], 3)]


RULE = ("pcs resource create svc ocf:heartbeat:Dummy\n"
        "pcs constraint location svc rule score=-INFINITY '#kind {op} "
        "cluster'\n")


@pytest.mark.parametrize("op,expected", [("ne", []), ("nx", [2])])
def test_real_rule_as_one_string(op, expected):
    """pcs 0.12 wants the rule as one argument (0.11 takes only separate
    words, so confcheck retries it split there): the tree's form passes
    with either pcs, a broken rule fails with either, at its line."""
    for binary in ("pcs", "cibadmin", "crm_verify"):
        realtools.require(binary, "pcs")
    findings = check_text(RULE.format(op=op), "rule.pcs", "pcs")
    assert [f.line for f in findings if f.code == "PCS001"] == expected
    assert [f for f in findings if f.code != "PCS001"] == []


def test_codes_have_examples():
    for code in pcs.CODES:
        assert code.bad and code.good and code.code.startswith("PCS")
