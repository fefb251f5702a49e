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
"""The rabbitmq.conf checker: keys and values from RabbitMQ's schema."""

from __future__ import annotations

import pathlib

import pytest

import realtools
from confcheck import check_text
from confcheck.checks import rabbitmq

SAMPLES = pathlib.Path(__file__).parent / "samples" / "rabbitmq"
EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code)
            for f in check_text(text, "rabbitmq.conf", "rabbitmq")]


@pytest.fixture(params=["builtin", "installed"])
def schema_source(request, monkeypatch):
    """Every case runs against the capture and the installed schemas."""
    if request.param == "builtin":
        monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    else:
        monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
        realtools.require("rabbitmq-server", "rabbitmq-server")
    return request.param


CASES = [
    ("typo_in_key", "cluster_formation.peer_discovery_backnd = "
     "classic_config\n", 1, "RMQ001"),
    ("mirroring_is_not_a_key", "ha-mode = all\n", 1, "RMQ001"),
    ("no_equals", "# c\nlisteners.tcp.default 5672\n", 2, "RMQ002"),
    ("blank_in_key", "listeners tcp = 5672\n", 1, "RMQ002"),
    ("enum_value", "cluster_partition_handling = pause-minority\n",
     1, "RMQ003"),
    ("integer_value", "heartbeat = 60s\n", 1, "RMQ003"),
    ("ip_port_value", "listeners.tcp.default = 10.0.0.12:amqp\n",
     1, "RMQ003"),
    ("float_value", "vm_memory_high_watermark.relative = 40%\n",
     1, "RMQ003"),
    ("set_twice", "heartbeat = 60\nheartbeat = 30\n", 2, "RMQ004"),
    ("placeholder", "listeners.tcp.default = <node_ip>:5672\n",
     1, "RMQ005"),
    ("mirroring_key", "mirroring_sync_batch_size = 4096\n", 1, "RMQ101"),
    ("guest_remote", "loopback_users.guest = false\n", 1, "RMQ102"),
    ("loopback_none", "loopback_users = none\n", 1, "RMQ102"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(schema_source, text, line, code):
    assert (line, code) in found(text)


def test_three_node_sample_is_clean(schema_source):
    text = (SAMPLES / "three-node-classic-config.conf").read_text()
    assert found(text) == []


def test_partition_handling_is_accepted(schema_source):
    """Finding 4: Mnesia clusters need it, so it is no 4.x removal."""
    assert found("cluster_partition_handling = pause_minority\n") == []


def test_guide_file_is_clean(schema_source):
    path = EXAMPLES / "controller/etc/rabbitmq/rabbitmq.conf"
    assert found(path.read_text()) == []


def test_guide_file_pauses_the_minority():
    """Finding 4: the Mnesia default, ignore, leaves a split cluster."""
    path = EXAMPLES / "controller/etc/rabbitmq/rabbitmq.conf"
    lines = [line.split("=") for line in path.read_text().splitlines()
             if line.startswith("cluster_partition_handling")]
    assert [[k.strip(), v.strip()] for k, v in lines] == [
        ["cluster_partition_handling", "pause_minority"]]


def test_capture_matches_installed_schema(monkeypatch):
    """The committed fallback is what the installed broker says."""
    realtools.require("rabbitmq-server", "rabbitmq-server")
    monkeypatch.delenv("CONFCHECK_EXTERNAL", raising=False)
    installed = rabbitmq.schema()
    monkeypatch.setenv("CONFCHECK_EXTERNAL", "0")
    assert rabbitmq.schema() == installed


def test_capture_records_version(builtin):
    version, mappings = rabbitmq.schema()
    assert version == "3.10.8"
    assert mappings["listeners.tcp.$name"] == ["integer", "ip"]


def test_codes_have_examples():
    for code in rabbitmq.CODES:
        assert code.bad and code.good and code.code.startswith("RMQ")
