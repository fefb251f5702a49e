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
"""Garbage into the line-based checkers: findings with valid lines only."""

from __future__ import annotations

import pytest

from confcheck import Finding, check_text

KINDS = ["mysql", "pcs", "crm", "rabbitmq", "rabbitmq-env", "garb",
         "memcached", "xinetd", "python", "yaml"]
# Fragments that have broken one parser or another: unbalanced brackets
# and quotes, lone operators, continuation at the end, control bytes.
GARBAGE = [
    "[", "]\n[[x]]\n", "=\n==\n= =", "\\", "'\n\"", "{\n{\n}", "}}}}",
    "-\n--\n--=\n-o ,\n-l", "service\n{\nport\n", "!include\n!\n",
    "pcs -f\npcs\ncrm configure\n", "colocation c inf:\n",
    "constraint colocation add a with\n", "x" * 5000, "\x7f\x01\x02",
    "é=ü\n[ñ]\n", "\t\t\n  \n\t=\t", "a: [\n", "&a *a\n", "#\\\n\\",
    "OPENSTACK_HOST =\nCACHES = {**x}\n",
]


# The real tools are exercised in each kind's own tests.
pytestmark = pytest.mark.usefixtures("builtin")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_gives_findings_with_valid_lines(kind, text):
    findings = check_text(text, "f", kind)
    assert all(isinstance(f, Finding) for f in findings)
    last = len(text.splitlines())
    assert all(0 <= f.line <= last for f in findings), findings
