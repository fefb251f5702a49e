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
"""Index entries for the settings a definition list explains."""

import pytest
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

import haguide_index


@pytest.mark.parametrize("text, name", [
    ("rabbit_quorum_queue = true", "rabbit_quorum_queue"),
    ("cluster_partition_handling: pause_minority",
     "cluster_partition_handling"),
    ("inter 2000 rise 2 fall 5", "inter 2000 rise 2 fall 5"),
    ("[oslo_messaging_rabbit]", "[oslo_messaging_rabbit]"),
])
def test_the_name_is_what_comes_before_the_value(text, name):
    assert haguide_index.setting_name(text) == name


def test_a_long_literal_is_not_a_setting():
    assert haguide_index.setting_name("x" * 60 + " = 1") is None


def _parse(text: str) -> nodes.document:
    settings = get_default_settings(Parser)
    document = new_document("test", settings)
    Parser().parse(text, document)
    return document


def test_terms_get_a_unique_anchor_and_an_entry():
    """Two terms for one setting on a page get two anchors; a term that
    does not start with a literal gets nothing."""
    document = _parse(
        "``a_b = 1``\n   first\n\n``a_b = 2``\n   again\n\n"
        "plain words\n   nothing\n")
    haguide_index.index_terms(document)
    terms = list(document.findall(nodes.term))
    assert [t["ids"] for t in terms] == [["setting-a-b"],
                                         ["setting-a-b-2"], []]
    entries = [n["entries"] for n in document.findall(
        lambda n: n.tagname == "index")]
    assert entries == [[("single", "a_b", "setting-a-b", "main", None)],
                       [("single", "a_b", "setting-a-b-2", "main", None)]]
