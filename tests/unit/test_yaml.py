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
"""The YAML checker: syntax errors and duplicate keys with their lines."""

from __future__ import annotations

import pathlib

import pytest

from confcheck import check_text
from confcheck.checks import yaml_file

EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "x.yaml", "yaml")]


CASES = [
    ("bad_indent", "sources:\n  - name: meters\n   interval: 300\n",
     3, "YML001"),
    ("unclosed_flow", "nodes: [controller1, controller2\n", 1, "YML001"),
    ("tab_indent", "a:\n\tb: 1\n", 2, "YML001"),
    ("unclosed_quote", "a: 1\nb: 'x\n", 2, "YML001"),
    ("duplicate_top_key", "interval: 300\nmeters: []\ninterval: 600\n",
     3, "YML002"),
    ("duplicate_nested_key", "hosts:\n  controller1:\n    nodeid: 1\n"
     "    nodeid: 2\n", 4, "YML002"),
    ("python_tag", "value: !!python/object/apply:os.system [ls]\n",
     1, "YML003"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(text, line, code):
    assert (line, code) in found(text)


def test_merge_keys_and_documents_are_fine():
    text = ("base: &b {a: 1}\nderived:\n  <<: *b\n  b: 2\n---\nsecond: "
            "document\n")
    assert found(text) == []


@pytest.mark.parametrize("name", ["cluster.yaml",
                                  "controller/etc/ceilometer/polling.yaml"])
def test_guide_files_are_clean(name):
    assert found((EXAMPLES / name).read_text()) == []


def test_deep_nesting_is_a_finding_not_a_traceback():
    assert found("[" * 3000 + "]" * 3000 + "\n")[0][1] == "YML001"


def test_codes_have_examples():
    for code in yaml_file.CODES:
        assert code.bad and code.good and code.code.startswith("YML")
