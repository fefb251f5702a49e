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
"""Fuzzing every kind: no traceback, no hang, every line in range.

Two generators with a fixed budget (a fixed seed and example count, so a
CI run is repeatable): Hypothesis token soups per format, deep nesting and
long lines; and mutations of the example tree's own files (the format
each checker sees most). Only the built-in checks run here: the real
tools are exercised by the checkers' own tests, and starting them for
hundreds of inputs would cost minutes.
"""

from __future__ import annotations

import os
import random
import time

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import confcheck
from confcheck import kinds

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLES = os.path.join(TOP, "doc", "examples")
# One input must never take longer than this: the slowest pure check
# takes a few milliseconds per kilobyte; a hang or a quadratic path on the
# inputs below takes minutes.
BOUND_S = 10.0
MUTATIONS = 400
EXAMPLES_PER_KIND = 60
# Tokens that mean something to at least one format.
TOKENS = ["{", "}", "[", "]", "(", ")", "[DEFAULT]", "[mysqld]", "=", ":",
          "#", "!", ";", "\\", '"', "'", "$", "${", "${x}", "<X>", "include",
          "includedir", "lua-load", "global", "defaults", "listen",
          "frontend", "backend", "server", "bind", "vrrp_instance",
          "virtual_ipaddress", "totem", "nodelist", "node", "quorum",
          "service", "pcs", "resource", "create", "crm", "primitive",
          "ocf:heartbeat:IPaddr2", "ocf:../..:x", "clone", "with", "-f",
          "10.0.0.11", "10.0.0.11:80", ":::80", "::", "\u00b2", "\u0663",
          "\uff11", "\u2028", "\x85", "\x0b", "\x0c", "\ufeff", "\u202e",
          "net.ipv4.ip_forward", "net/../..", "*", "?", "[a-z]", "-", "+=",
          "\t", " ", "\n", "\r\n", "\r", "x" * 100, " " * 100]
SUFFIXES = {"rabbitmq": "rabbitmq.conf", "rabbitmq-env": "rabbitmq-env.conf",
            "oslo": "nova.conf", "sysctl": "sysctl.conf",
            "xinetd": "xinetd.d/galera"}


@pytest.fixture(autouse=True)
def builtin_only(monkeypatch):
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")


def assert_sane(text: str, path: str, kind: str) -> None:
    start = time.monotonic()
    findings = confcheck.check_text(text, path, kind)
    took = time.monotonic() - start
    assert took < BOUND_S, f"{kind}: {took:.1f} s on {len(text)} chars"
    assert not confcheck.has_internal_error(findings), findings
    # Python's lines, or the tools' ("\n" only), whichever are more.
    lines = max(1, len(text.splitlines()),
                text.count("\n") + (not text.endswith("\n")))
    for finding in findings:
        assert 0 <= finding.line <= lines, finding
        assert finding.severity in ("error", "warning")


soup = st.lists(st.sampled_from(TOKENS) | st.text(max_size=8),
                max_size=200).map(" ".join)
nesting = st.builds(lambda word, depth, close: (word + " {\n") * depth
                    + "}\n" * close, st.sampled_from(
                        ["vrrp_instance x", "totem", "service s", "",
                         "node"]), st.integers(0, 3000),
                    st.integers(0, 3000))
long_line = st.builds(lambda fill, n: "key = " + fill * n + "\n",
                      st.sampled_from([" ", "x", "${", "#", "\\", '"', "{",
                                       "a."]),
                      st.integers(1000, 40000))


@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
@seed(20261205)
@settings(max_examples=EXAMPLES_PER_KIND, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(text=st.one_of(soup, nesting, long_line))
def test_generated_input_gives_findings_not_crashes(kind, text):
    assert_sane(text, SUFFIXES.get(kind, "example"), kind)


def _tree_files() -> list[tuple[str, str]]:
    found = []
    for top, _, files in os.walk(EXAMPLES):
        for name in sorted(files):
            path = os.path.join(top, name)
            kind = kinds.infer_kind(path)
            if kind is not None:
                found.append((path, kind))
    return sorted(found)


def _mutate(rng: random.Random, text: str, others: list[str]) -> str:
    lines = text.splitlines(keepends=True) or [""]
    op = rng.randrange(8)
    i = rng.randrange(len(lines))
    if op == 0:      # duplicate a line many times (deep nesting)
        lines[i:i] = [lines[i]] * rng.choice([2, 50, 1500])
    elif op == 1:    # delete a run of lines
        del lines[i:i + rng.randrange(1, 10)]
    elif op == 2:    # insert a token inside a line
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rng.choice(TOKENS) + lines[i][at:]
    elif op == 3:    # splice a line from another file
        donor = rng.choice(others).splitlines(keepends=True) or ["\n"]
        lines.insert(i, rng.choice(donor))
    elif op == 4:    # a long run of one character inside a line
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = (lines[i][:at] + rng.choice(" x#${\\\"'")
                    * rng.randrange(1000, 60000) + lines[i][at:])
    elif op == 5:    # shuffle a window of lines
        window = lines[i:i + 8]
        rng.shuffle(window)
        lines[i:i + 8] = window
    elif op == 6:    # truncate
        lines = lines[:i]
        if lines:
            lines[-1] = lines[-1][:rng.randrange(len(lines[-1]) + 1)]
    else:            # change the line ends
        end = rng.choice(["\r\n", "\r", "\u2028", "\x85", "\x0c", ""])
        lines = [line.rstrip("\r\n") + end for line in lines]
    return "".join(lines)


def test_mutated_tree_files_give_findings_not_crashes():
    files = _tree_files()
    assert len(files) > 20, "the example tree is missing"
    texts = {path: confcheck.read_text(path) for path, _ in files}
    rng = random.Random(20261205)
    for _ in range(MUTATIONS):
        path, kind = rng.choice(files)
        text = texts[path]
        for _ in range(rng.randrange(1, 4)):
            text = _mutate(rng, text, list(texts.values()))
        assert_sane(text, os.path.relpath(path, EXAMPLES), kind)


REAL_TOOL_KINDS = ("haproxy", "keepalived", "corosync", "shell")
REAL_MUTATIONS = 24


def test_mutated_tree_files_with_the_real_tools(monkeypatch):
    """A few mutations through the fast tools too (sandbox, netns, the
    tools' own messages): no crash, no hang, every line in range."""
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    files = [(p, k) for p, k in _tree_files() if k in REAL_TOOL_KINDS]
    texts = {path: confcheck.read_text(path) for path, _ in files}
    rng = random.Random(20261206)
    for _ in range(REAL_MUTATIONS):
        path, kind = rng.choice(files)
        text = _mutate(rng, texts[path], list(texts.values()))
        assert_sane(text, os.path.relpath(path, EXAMPLES), kind)
