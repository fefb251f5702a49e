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
"""The one inline-comment stripper and the formats' comment rules."""

import pytest

from confcheck.checks._lines import strip_comment

CASES = [
    # (value, anywhere, escapable, expected)
    ("5672 # AMQP", False, False, "5672"),
    ("pa#ss", False, False, "pa#ss"),
    ("#x", False, False, "#x"),
    ("a\t# tab", False, False, "a"),
    ("10.0.0.12 controller1 # node", True, False, "10.0.0.12 controller1"),
    ("10.0.0.12 controller1#node", True, False, "10.0.0.12 controller1"),
    ("-m 64#MB", True, True, "-m 64"),
    ("-o key=a\\#b # note", True, True, "-o key=a\\#b"),
    ("no comment  ", False, False, "no comment"),
    ("", True, True, ""),
]


@pytest.mark.parametrize("value,anywhere,escapable,expected", CASES)
def test_strip_comment(value, anywhere, escapable, expected):
    assert strip_comment(value, anywhere=anywhere,
                         escapable=escapable) == expected

