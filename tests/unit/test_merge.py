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
"""The one rule that merges a real tool's findings with the built-in ones."""

from confcheck.checks import _merge
from confcheck.findings import Finding

POLICY = _merge.Policy(frozenset({"X010"}), unavailable="X003")


def f(line: int, code: str, severity: str = "error") -> Finding:
    return Finding("x.conf", line, severity, code, "m")


def test_without_the_tool_every_builtin_finding_stays():
    builtin = [f(1, "X010"), f(2, "X020", "warning")]
    assert _merge.merge(builtin, None, POLICY) == builtin


def test_the_tool_replaces_the_structural_findings():
    builtin = [f(1, "X010"), f(2, "X020", "warning")]
    real = [f(1, "X001")]
    assert _merge.merge(builtin, real, POLICY) == [f(2, "X020", "warning"),
                                                   f(1, "X001")]


def test_a_tool_that_could_not_run_keeps_the_builtin_findings():
    builtin = [f(1, "X010")]
    real = [f(0, "X003", "warning")]
    assert _merge.merge(builtin, real, POLICY) == builtin + real


def test_whole_file_unavailability_is_only_at_line_zero():
    policy = _merge.Policy(frozenset({"X010"}), unavailable="X003",
                           whole_file=True)
    builtin = [f(1, "X010")]
    real = [f(4, "X003", "warning")]
    assert _merge.merge(builtin, real, policy) == real
    assert _merge.merge(builtin, [f(0, "X003", "warning")], policy) == [
        f(1, "X010"), f(0, "X003", "warning")]


def test_a_tool_stopping_at_its_first_error_keeps_the_other_lines():
    policy = _merge.Policy(frozenset({"X010"}), unavailable="X003",
                           first_error="X001", shadowed="X002")
    builtin = [f(1, "X010"), f(5, "X010"), f(7, "X020", "warning")]
    real = [f(1, "X001"), f(7, "X002", "warning"), f(9, "X002", "warning")]
    assert _merge.merge(builtin, real, policy) == [
        f(5, "X010"), f(7, "X020", "warning"), f(1, "X001"),
        f(9, "X002", "warning")]
