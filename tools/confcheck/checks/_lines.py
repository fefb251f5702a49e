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
"""Line iteration shared by the line-based checkers."""

from __future__ import annotations

from collections.abc import Iterator


def meaningful(text: str, comments: str = "#") -> Iterator[tuple[int, str]]:
    """(1-based number, stripped line) for lines that are not blank or a
    whole-line comment starting with one of the characters in comments."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and line[0] not in comments:
            yield number, line


def strip_comment(value: str, *, anywhere: bool = False,
                  escapable: bool = False) -> str:
    """value up to its inline comment, without trailing blanks.

    The one inline-comment stripper of the line-based checkers, in linear
    time (``re.split(r"\\s+#")`` backtracks quadratically over a long run
    of blanks). By default the ini-like formats' rule (rabbitmq.conf,
    my.cnf): a comment is a '#' that follows a blank. ``anywhere``: any
    '#' (/etc/hosts; Debian's memcached.conf), ``escapable``: except one
    right after a backslash (memcached.conf).
    """
    start = 0
    while True:
        index = value.find("#", start)
        if index < 0:
            return value.rstrip()
        before = value[index - 1] if index > 0 else ""
        if escapable and before == "\\":
            start = index + 1
            continue
        if anywhere or before.isspace():
            return value[:index].rstrip()
        start = index + 1
