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
"""The hosts checker: addresses, names and conflicting mappings."""

from __future__ import annotations

import pathlib

import pytest

from confcheck import check_text
from confcheck.checks import hosts

SAMPLES = pathlib.Path(__file__).parent / "samples" / "hosts"


def codes(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "hosts", "hosts")]


CASES = [
    ("octet_300", "10.0.0.300  controller1\n", 1, "HOS001"),
    ("name_first", "# x\ncontroller1 10.0.0.12\n", 2, "HOS001"),
    ("address_only", "10.0.0.12\n", 1, "HOS002"),
    ("underscore", "10.0.0.12  controller_1\n", 1, "HOS003"),
    ("label_too_long", "10.0.0.12  " + "a" * 64 + "\n", 1, "HOS003"),
    ("leading_hyphen", "10.0.0.12  -controller1\n", 1, "HOS003"),
    ("name_twice", "10.0.0.12  controller1\n10.0.0.13  Controller1\n",
     2, "HOS004"),
    ("debian_127_0_1_1", "127.0.1.1  controller1\n", 1, "HOS005"),
    ("garbage", "\x01\x02 {{{\n", 1, "HOS001"),
]


@pytest.mark.parametrize("case,text,line,code", CASES,
                         ids=[c[0] for c in CASES])
def test_bad(case, text, line, code):
    assert (line, code) in codes(text)


def test_good_cluster_file():
    """localhost on 127.0.0.1 and ::1, and a name in both families."""
    assert codes((SAMPLES / "good_cluster").read_text()) == []


def test_repeated_identical_mapping_is_fine():
    assert codes("10.0.0.12 controller1\n10.0.0.12 controller1\n") == []


def test_long_line_gives_finding():
    assert codes("10.0.0.12 " + "a." * 30000 + "\n") == [(1, "HOS003")]


def test_every_code_has_examples():
    for code in hosts.CODES:
        assert code.bad and code.good and code.bad != code.good
