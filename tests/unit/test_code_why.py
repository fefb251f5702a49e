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
"""Every registered code says why it matters on a node."""

import pytest

from confcheck import cli

BOOK = cli.codebook()
# Short enough for a terminal's explain and a SARIF rule description.
MAX_WHY = 240


@pytest.mark.parametrize("code", sorted(BOOK))
def test_code_has_a_why(code):
    why = BOOK[code][0].why
    assert why, f"{code} has no why"
    assert why.endswith("."), why
    assert len(why) <= MAX_WHY, (code, len(why))
    assert "  " not in why, why


@pytest.mark.parametrize("code", sorted(BOOK))
def test_explain_shows_the_why(code, capsys):
    assert cli.main(["explain", code]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert f"\nWhy: {BOOK[code][0].why}\n" in out


def test_whys_are_not_copies_of_the_titles():
    for code, (entry, _kind) in BOOK.items():
        assert entry.why.rstrip(".").lower() != entry.title.lower(), code
