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
"""Tests for the option data generator's pure parts (no venv, no network)."""

import json
import logging
import pathlib

import genoptdata
import optdata_dump
from oslo_config import cfg
from oslo_config import types


def test_only_plugin_load_failures_fail_the_job():
    """stevedore.named's "Could not load" lists absent names: harmless."""
    handler = optdata_dump.LoadFailures()
    logger = logging.getLogger("stevedore.extension")
    logger.addHandler(handler)
    named = logging.getLogger("stevedore.named")
    named.addHandler(handler)
    try:
        named.warning("Could not load %s", "oslo.db, oslo.log")
        logger.error("Could not load %r: %s", "oslo_cache.memcache_pool",
                     "No module named 'memcache'")
    finally:
        logger.removeHandler(handler)
        named.removeHandler(handler)
    assert handler.messages == [
        "stevedore.extension: Could not load 'oslo_cache.memcache_pool': "
        "No module named 'memcache'"]


def test_type_params_recover_what_the_json_drops():
    item = types.Integer(min=1, max=5)
    assert optdata_dump.type_params(types.List(item_type=item, bounds=True)) \
        == {"item": {"type": "integer value", "min": 1, "max": 5},
            "bounds": True}
    assert optdata_dump.type_params(types.String(regex="^a", quotes=True)) \
        == {"regex": "^a", "quotes": True}
    assert optdata_dump.type_params(types.URI(schemes=["https", "http"])) \
        == {"schemes": ["http", "https"]}
    assert optdata_dump.type_params(types.List()) == {}


def test_compact_option_keeps_portable_defaults_and_renames_dashes():
    entry = {"name": "auth-url", "dest": "auth_url", "type": "uri value",
             "default": "http://build-host:5000", "sample_default": None,
             "choices": [], "min": None, "max": None,
             "deprecated_for_removal": False,
             "deprecated_opts": [{"group": None, "name": "auth-uri"}],
             "help": "long text"}
    machine = {"host": "build-host", "workdir": "/tmp/genoptdata-2026.2"}
    assert genoptdata.compact_option(entry, {}, machine) == {
        "type": "uri value", "deprecated_opts": [["DEFAULT", "auth_uri"]],
        "default": "<machine-specific>"}
    machine = {"host": "vm", "workdir": "/tmp/genoptdata-2026.2"}
    entry.update(default="kvm")
    assert genoptdata.compact_option(entry, {}, machine)["default"] == "kvm"
    entry.update(default="vm.example.org")
    assert genoptdata.compact_option(entry, {}, machine)["default"] \
        == "<machine-specific>"
    entry.update(default=["a", 1, True], sample_default=None)
    assert genoptdata.compact_option(entry, {})["default"] == "a,1,true"
    entry.update(sample_default="<current_hostname>")
    assert genoptdata.compact_option(entry, {})["default"] \
        == "<current_hostname>"


def test_constraints_without_the_services_pins(tmp_path):
    """Upper constraints pin ceilometer (for plugins); the series' major
    version of each service is pinned instead."""
    source = tmp_path / "upper.txt"
    source.write_text("ceilometer===22.0.0.0rc1\noslo.config===9.4.0\n"
                      "neutron-vpnaas===24.0.0;python_version>='3.9'\n")
    kept = pathlib.Path(genoptdata.service_free_constraints(
        str(source), str(tmp_path))).read_text()
    assert kept == "oslo.config===9.4.0\n"
    pins = genoptdata.service_pins("2024.1")
    assert pins["nova"] == "nova~=29.0" and pins["keystone"] == \
        "keystone~=25.0"
    assert genoptdata.service_pins(genoptdata.RELEASES[-1])["nova"] \
        == "nova~=34.0"


def test_compact_keys_by_dest_and_keeps_removal_reasons():
    data = {"options": {"DEFAULT": {"opts": [
        {"name": "old-thing", "dest": "old_thing", "type": "string value",
         "choices": [["a", "first"], [None, "unset"]],
         "deprecated_for_removal": True, "deprecated_reason": "gone",
         "deprecated_since": "2026.1", "deprecated_opts": []}]}},
        "type_params": {"DEFAULT": {"old_thing": {"multi": True}}}}
    assert genoptdata.compact(data) == {"groups": {"DEFAULT": {"old_thing": {
        "type": "string value", "choices": ["a", None],
        "deprecated_for_removal": True, "deprecated_reason": "gone",
        "deprecated_since": "2026.1", "multi": True}}}}


def test_write_json_is_sorted_and_valid(tmp_path):
    data = {"groups": {"b": {"y": {"type": "t", "a": 1}, "x": {}},
                       "a": {"z": {}}},
            "dynamic_groups": {"g": "owner"}}
    path = tmp_path / "x.json"
    genoptdata.write_json(str(path), data)
    text = path.read_text()
    assert json.loads(text) == data
    assert text.index('"a": {') < text.index('"b": {')
    assert '"x": {},\n"y": {"a":1,"type":"t"}' in text


def test_series_from_stable_branch_or_release_notes():
    tox = "deps = -c{env:TOX_CONSTRAINTS_FILE:https://releases.openstack." \
          "org/constraints/upper/2026.2}\n"
    assert genoptdata.series_of({"tox.ini": tox}, []) == {
        "series": "2026.2", "series_source": "tox.ini"}
    master = tox.replace("2026.2", "master")
    assert genoptdata.series_of({"tox.ini": master},
                                ["2025.2", "2026.1", "zed", "unreleased"]) \
        == {"series": "2026.2",
            "series_source": "releasenotes/source: next after 2026.1.rst"}
    assert genoptdata.series_of({}, ["2026.2"])["series"] == "2027.1"
    assert genoptdata.series_of({}, [])["series"] is None


def test_generator_target_from_the_config_name_without_output_file():
    text = "[DEFAULT]\nwrap_width = 79\nnamespace = aodh\n"
    assert genoptdata.generator_target(
        text, "aodh/cmd/aodh-config-generator.conf") == "aodh.conf"
    assert genoptdata.generator_target(text, "etc/other.conf") is None


def test_generator_target_needs_namespaces():
    assert genoptdata.generator_target(
        "[DEFAULT]\noutput_file = etc/nova/nova.conf.sample\n"
        "namespace = nova.conf\n") == "nova.conf"
    assert genoptdata.generator_target(
        "[DEFAULT]\noutput_file = etc/nova/nova.conf.sample\n") is None


def test_build_entry_shape_matches_what_compact_reads():
    """The generator's record format (oslo.config) is what compact expects."""
    from oslo_config import generator
    opt = cfg.IntOpt("workers", min=1, deprecated_name="worker_count")
    entry = generator._build_entry(opt, "DEFAULT", "x", cfg.ConfigOpts())
    assert genoptdata.compact_option(entry, {}) == {
        "type": "integer value", "min": 1,
        "deprecated_opts": [["DEFAULT", "worker_count"]]}


def test_implied_namespaces_are_added_once():
    """oslo.messaging's lockutils use brings [oslo_concurrency] along."""
    assert genoptdata.implied("[DEFAULT]\nnamespace = oslo.messaging\n") \
        == ["oslo.concurrency"]
    assert genoptdata.implied("[DEFAULT]\nnamespace = oslo.messaging\n"
                              "namespace = oslo.concurrency\n") == []
    assert genoptdata.implied("[DEFAULT]\nnamespace = oslo.log\n") == []
