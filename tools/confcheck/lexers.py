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
"""Pygments lexers for keepalived.conf, corosync.conf and xinetd files.

Pygments has none of these formats. They are published as
``pygments.lexers`` entry points (setup.cfg), so Sphinx and doc8 both find
them by name once the project is installed.
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups
from pygments.token import (Comment, Keyword, Name, Number, Punctuation,
                            String, Text, Whitespace)

ADDRESS = r"\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d+)?\b"


def _brace_tokens(comment: str) -> dict:
    """Rules shared by the brace formats: 'keyword value... {' lines."""
    return {
        "root": [
            (r"\s+", Whitespace),
            (comment + r".*$", Comment.Single),
            (r"[{}]", Punctuation),
            (r'"[^"\n]*"', String.Double),
            (r"([A-Za-z_][\w.-]*)(:?)",
             bygroups(Keyword, Punctuation), "values"),
            # Lines that start with a value (addresses in a list block).
            (r"(?=\S)", Text, "values"),
        ],
        "values": [
            (r"\n", Whitespace, "#pop"),
            (r"[ \t]+", Whitespace),
            (comment + r".*$", Comment.Single),
            (r"\{", Punctuation, "#pop"),
            (r"\}", Punctuation, "#pop"),
            (r'"[^"\n]*"', String.Double),
            (ADDRESS, Number),
            (r"-?\d+(?:\.\d+)?[a-z]*\b", Number),
            (r"[^\s{}#!\"]+", Name.Attribute),
            # Anything else ('!' in corosync, a stray quote) is a value
            # character: a lexer must never yield Error tokens, or Sphinx
            # warns and stops highlighting the block.
            (r"\S", Name.Attribute),
        ],
    }


class KeepalivedLexer(RegexLexer):
    """keepalived.conf: blocks of keywords, '!' and '#' comments."""

    name = "keepalived"
    aliases = ["keepalived"]
    filenames = ["keepalived.conf"]
    tokens = _brace_tokens(r"[#!]")


class CorosyncLexer(RegexLexer):
    """corosync.conf: 'name {' blocks of 'key: value' lines."""

    name = "corosync"
    aliases = ["corosync"]
    filenames = ["corosync.conf"]
    tokens = _brace_tokens(r"#")


class XinetdLexer(RegexLexer):
    """xinetd service files: 'service name' then a { key = value } block."""

    name = "xinetd"
    aliases = ["xinetd"]
    filenames = []
    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*$", Comment.Single),
            (r"[{}]", Punctuation),
            (r"(service|defaults|includedir)(\s*)(.*)$",
             bygroups(Keyword, Whitespace, Name.Class)),
            (r"([\w-]+)(\s*)([+-]?=)",
             bygroups(Name.Attribute, Whitespace, Punctuation), "value"),
            (r"\S+", Text),
        ],
        "value": [
            (r"\n", Whitespace, "#pop"),
            (ADDRESS, Number),
            (r"\d+\b", Number),
            (r"[^\S\n]+", Text),
            (r"\S+", String),
        ],
    }
