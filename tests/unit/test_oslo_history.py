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
"""Removals since 2023.1: when an option went, and what replaces it."""

import pytest

from confcheck import check_text
from confcheck.checks import oslo_data

# keystone 23 (2023.1) and 24 (2023.2) had a [memcache] section, keystone
# 25 (2024.1) has none; neutron 22 and 23 had [designate] admin_username,
# neutron 24 (2024.1) does not (the data of the three series show it).
OLD_KEYSTONE = "[memcache]\ndead_retry = 300\n"
OLD_NEUTRON = "[designate]\nadmin_username = designate\n"


@pytest.fixture(autouse=True)
def newest_again():
    """select_release is process-wide: each test starts and ends clean."""
    oslo_data.select_release(None)
    yield
    oslo_data.select_release(None)


def findings(text: str, name: str = "keystone.conf") -> list[tuple]:
    return [(f.line, f.code, f.message)
            for f in check_text(text, name, "oslo")]


def test_2023_1_has_data_for_the_history():
    assert "2023.1" in oslo_data.releases()
    nova = oslo_data.release_info("2023.1")["packages"]["nova"]
    assert nova["version"].startswith("27.")


def test_in_2023_1_the_options_are_only_deprecated():
    oslo_data.select_release("2023.1")
    assert [(line, code) for line, code, _ in findings(OLD_KEYSTONE)] == [
        (2, "OSL007")]
    assert [(line, code) for line, code, _ in findings(
        OLD_NEUTRON, "neutron.conf")] == [(2, "OSL007")]


def test_a_removed_option_names_its_series_and_replacement():
    [(line, code, message)] = findings(OLD_NEUTRON, "neutron.conf")
    assert (line, code) == (2, "OSL005")
    neutron = oslo_data.release_info("2024.1")["packages"]["neutron"]
    assert message.startswith(
        f"[designate] admin_username was removed in 2024.1 (neutron "
        f"{neutron['version']}) (last in 2023.2); it was deprecated since "
        f"Xena: ")
    assert "keystoneauth" in message


def test_a_removed_section_names_its_series():
    [(line, code, message)] = findings(OLD_KEYSTONE)
    assert (line, code) == (1, "OSL003")
    keystone = oslo_data.release_info("2024.1")["packages"]["keystone"]
    assert message == (
        f"section [memcache] was removed in 2024.1 (keystone "
        f"{keystone['version']}) (last in 2023.2); its options are gone "
        f"too")


def test_a_series_without_data_is_named_as_possible(monkeypatch):
    """Were a series missing from the data, a removal found across the
    gap names each series that may have made it."""
    known = [s for s in oslo_data.releases() if s != "2023.2"]
    monkeypatch.setattr(oslo_data, "releases", lambda: known)
    oslo_data._present.cache_clear()  # which series have each option
    try:
        assert oslo_data.missing_between("2023.1", "2024.1") == ["2023.2"]
        assert findings(OLD_KEYSTONE) == [(
            1, "OSL003", "section [memcache] was removed in 2023.2 or "
            "2024.1 (no option data for 2023.2) (last in 2023.1); its "
            "options are gone too")]
    finally:
        oslo_data._present.cache_clear()


def test_2023_2_has_data_between_2023_1_and_2024_1():
    nova = oslo_data.release_info("2023.2")["packages"]["nova"]
    assert nova["version"].startswith("28.")
    oslo_data.select_release("2023.2")
    assert [(line, code) for line, code, _ in findings(OLD_KEYSTONE)] == [
        (2, "OSL007")]


def test_upgrading_from_2023_1_lists_the_removals():
    oslo_data.select_release("2024.1", "2023.1")
    assert [(line, code) for line, code, _ in findings(
        OLD_NEUTRON, "neutron.conf")] == [(2, "OSL005")]
    assert [(line, code) for line, code, _ in findings(OLD_KEYSTONE)] == [
        (1, "OSL003")]


def test_no_series_lacks_data_since_2023_1():
    assert oslo_data.missing_between("2023.1", "2024.1") == []
    assert oslo_data.missing_between("2024.1", "2024.2") == []
    assert oslo_data.missing_between("2024.2", "2025.1") == []
