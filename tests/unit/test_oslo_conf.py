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
"""Tests for the oslo.config checker (confcheck.checks.oslo_conf)."""

import os

import pytest

import confcheck
from confcheck import kinds
from confcheck.checks import oslo_conf
from confcheck.checks import oslo_data

# Codes only an upgrade check gives (test_oslo_releases tests them).
UPGRADE_CODES = ("OSL016",)
SAMPLES = os.path.join(os.path.dirname(__file__), "samples", "oslo")
GOOD = sorted(os.listdir(os.path.join(SAMPLES, "good")))


def check(text: str, name: str = "nova.conf"):
    return oslo_conf.check(text, name)


def codes(text: str, name: str = "nova.conf"):
    """(line, code) of every finding, the shape the bad cases assert."""
    return [(f.line, f.code) for f in check(text, name)]


@pytest.mark.parametrize("name", GOOD)
def test_good_file_has_no_findings(name):
    """Install-guide style complete files must not cry wolf."""
    path = os.path.join(SAMPLES, "good", name)
    assert confcheck.check_file(path) == []


def test_every_good_file_is_an_oslo_file():
    """The good samples are recognised by name, as the CLI would."""
    for name in GOOD:
        assert kinds.infer_kind(name) == "oslo", name


@pytest.mark.parametrize("name, expected", [
    ("nova.conf", True), ("glance-api.conf", True), ("l3_agent.ini", True),
    ("dhcp_agent.ini", True), ("metadata_agent.ini", True),
    ("ml2_conf.ini", True), ("openvswitch_agent.ini", True),
    ("masakarimonitors.conf", True),
    ("api-paste.ini", False), ("nova.conf.sample", False),
    ("keystoneauth1", False), ("index", False), ("random.conf", False),
])
def test_handles(name, expected):
    assert oslo_conf.handles(name) is expected


# --- parsing (OSL001, OSL002) ---------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("[DEFAULT]\ndebug true\n", [(2, "OSL001")]),
    ("[DEFAULT\ndebug = true\n", [(1, "OSL001")]),
    ("[]\ndebug = true\n", [(1, "OSL001")]),
    ("  debug = true\n[DEFAULT]\n", [(1, "OSL001")]),
    ("[DEFAULT]\n= true\n", [(2, "OSL001")]),
    ("[DEFAULT]\ndebug true\n\n  indented\nverbose\n",
     [(2, "OSL001"), (4, "OSL001"), (5, "OSL001")]),
])
def test_syntax_errors_are_findings(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("debug = true\n", [(1, "OSL002")]),
    ("# comment\ndebug = true\n[DEFAULT]\n", [(2, "OSL002")]),
    ("debug = true\nverbose = x\n[DEFAULT]\n",
     [(1, "OSL002"), (2, "OSL002")]),
    ("\n\ntransport_url = rabbit://\n", [(3, "OSL002")]),
    ("a: b\n[DEFAULT]\ndebug = true\n", [(1, "OSL002")]),
])
def test_keys_before_any_section(text, expected):
    assert codes(text) == expected


def test_broken_section_does_not_cascade():
    """Keys under a header oslo.config cannot read are not also unknown."""
    assert codes("[database\nconnection = x\nbogus = 1\n") == [(1, "OSL001")]


def test_continuation_merges_into_value():
    """An indented line continues the value, so a boolean breaks."""
    findings = check("[DEFAULT]\ndebug = true\n  use_stderr = false\n")
    assert [(f.line, f.code) for f in findings] == [(2, "OSL008")]
    assert "indented lines continue the value" in findings[0].message


# --- sections (OSL003) ------------------------------------------------------

@pytest.mark.parametrize("text, name, expected, hint", [
    ("[default]\ndebug = true\n", "nova.conf", [(1, "OSL003")],
     "write [DEFAULT]"),
    ("[databse]\nconnection = x\n", "nova.conf", [(1, "OSL003")],
     "[database]"),
    ("[eventlet_server]\npublic_port = 5000\n", "keystone.conf",
     [(1, "OSL003")], "keystone 25.0.0"),
    ("[DEFAULT]\n[glance_registry]\nx = 1\n", "glance-api.conf",
     [(2, "OSL003")], "unknown section"),
    ("[DEFAULT]\nenabled_backends = lvm\n[nfs]\nvolume_driver = x\n",
     "cinder.conf", [(3, "OSL003")], "unknown section"),
])
def test_unknown_sections(text, name, expected, hint):
    findings = check(text, name)
    assert [(f.line, f.code) for f in findings] == expected
    assert hint in findings[0].message


def test_group_names_are_case_insensitive_except_default():
    """oslo.config lower-cases [Database]; only DEFAULT is exact."""
    assert codes("[Database]\nmax_retries = -1\n") == []


# --- options (OSL004) --------------------------------------------------------

@pytest.mark.parametrize("text, name, line, hint", [
    ("[DEFAULT]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@c/nova\n",
     "nova.conf", 2, "[database]"),
    ("[cache]\nMemcache_servers = 10.0.0.12:11211\n", "nova.conf", 2,
     "case-sensitive"),
    ("[keystone_authtoken]\nMemcached_servers = 10.0.0.12:11211\n",
     "nova.conf", 2, "case-sensitive"),
    ("[database]\nconection = x\n", "nova.conf", 2, "'connection'"),
    ("[DEFAULT]\nMemcached_servers = 10.0.0.12:11211\n", "nova.conf", 2,
     "'memcached_servers' belongs in [keystone_authtoken]"),
    ("[keystone_authtoken]\ntotally_bogus_key = 1\n", "glance-api.conf", 2,
     "unknown option"),
    ("[DEFAULT]\nlisten_port = 1\n", "placement.conf", 2, "unknown option"),
    ("[DEFAULT]\nenabled_backends = lvm\n[lvm]\nvolume_drivr = x\n",
     "cinder.conf", 4, "'volume_driver'"),
])
def test_unknown_options(text, name, line, hint):
    findings = check(text, name)
    assert [(f.line, f.code) for f in findings] == [(line, "OSL004")]
    assert hint in findings[0].message


# --- curated removals (OSL005, OSL010) -------------------------------------

@pytest.mark.parametrize("text, name, expected, words", [
    ("[oslo_messaging_rabbit]\nrabbit_hosts = a,b\n", "nova.conf",
     [(2, "OSL005")], "transport_url"),
    ("[DEFAULT]\nrabbit_host = 10.0.0.12\n", "cinder.conf",
     [(2, "OSL005")], "oslo.messaging 9.0.0"),
    ("[oslo_messaging_rabbit]\nrabbit_port = 5672\nrabbit_userid = u\n"
     "rabbit_password = p\nrabbit_virtual_host = /\n", "nova.conf",
     [(2, "OSL005"), (3, "OSL005"), (4, "OSL005"), (5, "OSL005")],
     "transport_url"),
    ("[oslo_messaging_rabbit]\nrabbit_max_retries = 0\n", "nova.conf",
     [(2, "OSL005")], "rabbit_retry_interval"),
    ("[oslo_messaging_rabbit]\nrabbit_durable_queues = true\n",
     "nova.conf", [(2, "OSL005")], "amqp_durable_queues"),
    ("[DEFAULT]\nrabbit_retry_interval = 1\n", "nova.conf",
     [(2, "OSL005")], "oslo.messaging 16.0.0"),
    ("[oslo_messaging_rabbit]\nheartbeat_in_pthread = true\n", "nova.conf",
     [(2, "OSL005")], "18.0.0"),
    ("[DEFAULT]\nsql_connection = mysql://glance@c/glance\n",
     "glance-api.conf", [(2, "OSL005")], "[database] connection"),
    ("[DEFAULT]\nnotifier_strategy = rabbit\n", "glance-api.conf",
     [(2, "OSL005")], "messagingv2"),
    ("[keystone_authtoken]\nidentity_uri = http://controller:35357\n"
     "admin_tenant_name = service\nadmin_user = nova\n"
     "admin_password = NOVA_PASS\nauth_host = controller\n"
     "auth_uri = http://controller:5000\n", "nova.conf",
     [(2, "OSL005"), (3, "OSL005"), (4, "OSL005"), (5, "OSL005"),
      (6, "OSL005"), (7, "OSL005")], "keystonemiddleware"),
    ("[DEFAULT]\nbind_host = 10.0.0.12\npublic_bind_host = 10.0.0.12\n"
     "admin_bind_host = 10.0.0.12\n", "keystone.conf",
     [(2, "OSL005"), (3, "OSL005"), (4, "OSL005")], "WSGI server"),
    ("[DEFAULT]\nregistry_host = 10.0.0.11\n", "glance-api.conf",
     [(2, "OSL005")], "glance 21.0.0"),
    ("[DEFAULT]\nosapi_volume_listen = 10.0.0.12\n", "manila.conf",
     [(2, "OSL005")], "osapi_share_listen"),
    ("[DEFAULT]\nmin_l3_agents_per_router = 2\n", "neutron.conf",
     [(2, "OSL005")], "max_l3_agents_per_router"),
    ("[oslo_messaging_rabbit]\nrabbit_ha_queues = true\n", "nova.conf",
     [(2, "OSL010")], "rabbit_quorum_queue"),
    ("[glance]\napi_servers = http://10.0.0.11:9292\n", "nova.conf",
     [(2, "OSL007")], "valid_interfaces"),
])
def test_stale_facts_are_flagged(text, name, expected, words):
    findings = check(text, name)
    assert [(f.line, f.code) for f in findings] == expected
    assert all(words in f.message for f in findings)


def test_old_guide_nova_conf_every_stale_line():
    """The 2016 guide's nova.conf: each stale line found at its line."""
    path = os.path.join(SAMPLES, "bad", "old-guide", "nova.conf")
    assert [(f.line, f.code) for f in confcheck.check_file(path)] == [
        (4, "OSL005"), (5, "OSL005"), (6, "OSL010"), (7, "OSL004"),
        (8, "OSL004"), (9, "OSL008"), (12, "OSL008"), (15, "OSL007"),
        (18, "OSL005"), (19, "OSL005"), (20, "OSL005"), (21, "OSL005"),
        (24, "OSL005"), (25, "OSL005"), (26, "OSL010")]


def test_removed_entry_never_flags_a_live_option():
    """cinder still has osapi_volume_listen: the manila rule stays there."""
    assert codes("[DEFAULT]\nosapi_volume_listen = 10.0.0.12\n",
                 "cinder.conf") == []


# --- deprecations (OSL006, OSL007) -----------------------------------------

def deprecated_samples(limit: int):
    """Aliases and deprecated-for-removal options from the data itself."""
    schema = oslo_data.schema("nova.conf")
    aliases = sorted((k, v) for k, v in schema.aliases.items()
                     if k != v and k[1] not in schema.groups.get(k[0], {}))
    removal = sorted((g, o) for g, opts in schema.groups.items()
                     for o, r in opts.items()
                     if r.get("deprecated_for_removal"))
    return aliases[:limit], removal[:limit]


def test_deprecated_names_name_the_replacement():
    aliases, _ = deprecated_samples(5)
    assert len(aliases) == 5
    for (old_group, old), (group, new) in aliases:
        text = f"[{old_group}]\n{old} = \n"
        findings = [f for f in check(text) if f.code == "OSL006"]
        assert [f.line for f in findings] == [2], (old_group, old)
        assert f"[{group}] {new}" in findings[0].message


def test_authtoken_memcache_servers_is_a_deprecated_name():
    findings = check("[keystone_authtoken]\nmemcache_servers = "
                     "10.0.0.12:11211\n")
    assert [(f.line, f.code) for f in findings] == [(2, "OSL006")]
    assert "memcached_servers" in findings[0].message


@pytest.mark.parametrize("text, name, line, words", [
    ("[service_credentials]\nauth_type = password\ntenant_name = service\n",
     "ceilometer.conf", 3, "[service_credentials] project_name"),
    ("[placement]\nauth_type = password\nuser_name = placement\n",
     "nova.conf", 3, "[placement] username"),
    ("[DEFAULT]\nenabled_backends = ha\n[ha]\nhitachi_pool = p1\n",
     "cinder.conf", 4, "[ha] hitachi_pools"),
])
def test_deprecated_names_in_mapped_sections_stay_there(text, name, line,
                                                         words):
    """Backend and keystoneauth sections keep the new name in place."""
    findings = check(text, name)
    assert [(f.line, f.code) for f in findings] == [(line, "OSL006")]
    assert words in findings[0].message


def test_deprecated_for_removal_gives_the_reason():
    _, removal = deprecated_samples(5)
    assert len(removal) == 5
    for group, opt in removal:
        findings = check(f"[{group}]\n{opt} = \n")
        assert (2, "OSL007") in [(f.line, f.code) for f in findings]


# --- values (OSL008, OSL011, OSL012, OSL013) -------------------------------

@pytest.mark.parametrize("text, name, line, words", [
    ("[DEFAULT]\ndebug = maybe\n", "nova.conf", 2, "boolean"),
    ("[libvirt]\nimages_type = kerberos\n", "nova.conf", 2, "Valid values"),
    ("[database]\nmax_retries = forever\n", "nova.conf", 2, "int()"),
    ("[database]\nconnection_debug = 500\n", "nova.conf", 2,
     "less than or equal to 100"),
    ("[DEFAULT]\ndhcp_agents_per_network = 0\n", "neutron.conf", 2,
     "greater than or equal to 1"),
    ("[oslo_messaging_rabbit]\nrabbit_retry_interval = 0\n", "nova.conf",
     2, "greater than"),
    ("[DEFAULT]\nosapi_share_listen = not an addr!\n", "manila.conf", 2,
     "host address"),
    ("[DEFAULT]\nosapi_volume_listen_port = 99999\n", "cinder.conf", 2,
     "65535"),
    ("[DEFAULT]\ndebug = true # inline comments are part of the value\n",
     "nova.conf", 2, "boolean"),
])
def test_bad_values(text, name, line, words):
    findings = check(text, name)
    assert [(f.line, f.code) for f in findings] == [(line, "OSL008")]
    assert words in findings[0].message


@pytest.mark.parametrize("text, name, words", [
    ("[DEFAULT]\nenabled_import_methods = [glance-direct,bogus]\n",
     "glance-api.conf", "found 'bogus'"),
    ("[DEFAULT]\nmax_over_subscription_ratio = lots\n", "cinder.conf",
     "regex"),
    ("[ovs]\novsdb_connection = localhost:6640\n", "openvswitch_agent.ini",
     "regex"),
    ("[vnc]\nnovncproxy_base_url = not a uri\n", "nova.conf", "scheme"),
    ("[api]\nvendordata_providers = StaticJSON,XMLish\n", "nova.conf",
     "found 'XMLish'"),
])
def test_recovered_type_parameters(text, name, words):
    """Item types, regexes and URI rules the generator's JSON drops."""
    findings = check(text, name)
    assert [(f.line, f.code) for f in findings] == [(2, "OSL008")]
    assert words in findings[0].message


def test_bracketed_list_with_quoted_items():
    """glance's import methods list takes [..] and quotes (bounds, quotes)."""
    assert codes("[DEFAULT]\nenabled_import_methods = "
                 "['glance-direct', 'web-download']\n", "glance-api.conf") \
        == []


def test_placeholders_do_not_fail_addresses():
    """NOVA_DBPASS in a URL and placeholder hosts are not errors."""
    text = ("[keystone_authtoken]\nwww_authenticate_uri = "
            "http://CONTROLLER_HOST:5000\n"
            "[vnc]\nnovncproxy_base_url = http://PUBLIC_VIP:6080/vnc.html\n"
            "[database]\nconnection = mysql+pymysql://nova:NOVA_DBPASS@"
            "controller/nova\n")
    assert codes(text) == []


@pytest.mark.parametrize("text, line", [
    ("[catalog]\ndriver = keystone.catalog.backends.sql.Catalog\n", 2),
    ("[identity]\ndriver = keystone.identity.backends.sql.Identity\n", 2),
    ("[token]\nprovider = fernet\n[assignment]\n"
     "driver = keystone.assignment.backends.sql.Assignment\n", 4),
    ("[resource]\ndriver = keystone.resource.backends.sql.Resource\n", 2),
    ("[DEFAULT]\n\n[catalog]\n"
     "driver = keystone.catalog.backends.templated.Catalog\n", 4),
])
def test_keystone_driver_class_paths(text, line):
    assert codes(text, "keystone.conf") == [(line, "OSL011")]


@pytest.mark.parametrize("text, expected", [
    ("[DEFAULT]\nmy_ip = 10.0.0.12\n[vnc]\nserver_listen = $my_ip\n", []),
    ("[DEFAULT]\nmy_ip = 10.0.0.12\n[vnc]\nserver_listen = ${my_ip}\n", []),
    ("[vnc]\nserver_listen = $my_ip\n", []),
    ("[database]\nconnection = mysql+pymysql://n:pa$$word@c/nova\n", []),
    ("[database]\nconnection = mysql+pymysql://n:pa$word@c/nova\n",
     [(2, "OSL012")]),
    ("[DEFAULT]\nmy_ip = not an address!\n[vnc]\n"
     "server_listen = $my_ip\n", [(4, "OSL008")]),
])
def test_interpolation(text, expected):
    assert codes(text) == expected


def test_agent_files_refer_to_neutron_conf_options():
    """$state_path is defined in neutron.conf, which every agent reads."""
    assert codes("[DEFAULT]\nha_confs_path = $state_path/ha_confs\n",
                 "l3_agent.ini") == []
    assert codes("[DEFAULT]\nha_confs_path = $nowhere/ha_confs\n",
                 "l3_agent.ini") == [(2, "OSL012")]


def test_unbalanced_quote():
    assert codes('[database]\nconnection = "mysql+pymysql://n@c/nova\n') \
        == [(2, "OSL013")]
    assert codes('[database]\nconnection = "mysql+pymysql://n@c/nova"\n') \
        == []


# --- duplicates (OSL009) ----------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("[DEFAULT]\ndebug = true\ndebug = false\n", [(3, "OSL009")]),
    ("[DEFAULT]\ndebug = true\n[database]\nmax_retries = 1\n[DEFAULT]\n"
     "debug = false\n", [(6, "OSL009")]),
    ("[database]\nmax_retries = 1\n[DATABASE]\nmax_retries = 2\n",
     [(4, "OSL009")]),
    ("[DEFAULT]\ndebug = true\ndebug = false\ndebug = true\n",
     [(3, "OSL009"), (4, "OSL009")]),
    ("[cache]\nenabled = true\nenabled = true\n", [(3, "OSL009")]),
])
def test_duplicate_keys(text, expected):
    assert codes(text) == expected


def test_multi_valued_options_may_repeat():
    multi = [(g, o) for g, opts in oslo_data.schema("nova.conf").groups.items()
             for o, r in opts.items() if r.get("multi")]
    assert multi
    group, opt = multi[0]
    assert [c for c in codes(f"[{group}]\n{opt} = a\n{opt} = b\n")
            if c[1] == "OSL009"] == []


# --- dynamic sections and keystoneauth --------------------------------------

def test_cinder_backend_sections_take_backend_options():
    text = ("[DEFAULT]\nenabled_backends = lvm-1, nfs\n"
            "[lvm-1]\nvolume_driver = cinder.volume.drivers.lvm."
            "LVMVolumeDriver\nvolume_group = cinder-volumes\n"
            "volume_backend_name = lvm\n"
            "[nfs]\nvolume_driver = cinder.volume.drivers.nfs.NfsDriver\n"
            "nfs_shares_config = /etc/cinder/nfs_shares\n"
            "backend_host = cinder-cluster-1\n")
    assert codes(text, "cinder.conf") == []


def test_neutron_ml2_type_sections():
    text = ("[ml2_type_vxlan]\nvni_ranges = 1:1000\n[ml2_type_geneve]\n"
            "vni_ranges = 1:1000\nmax_header_size = 38\n")
    assert codes(text, "ml2_conf.ini") == []


def test_auth_type_password_section_takes_plugin_options():
    """ceilometer's [service_credentials] loads a keystoneauth plugin."""
    text = ("[service_credentials]\nauth_type = v3password\n"
            "auth_url = http://controller:5000/v3\nuser_domain_id = default\n"
            "username = ceilometer\npassword = CEILOMETER_PASS\n")
    assert codes(text, "ceilometer.conf") == []


def test_auth_section_target_takes_plugin_options():
    text = ("[placement]\nauth_section = placement_auth\n"
            "[placement_auth]\nauth_type = password\n"
            "auth_url = http://controller:5000/v3\nusername = placement\n"
            "password = PLACEMENT_PASS\nuser_domain_name = Default\n")
    assert codes(text) == []


def test_plugin_options_need_auth_type():
    findings = check("[oslo_concurrency]\nusername = nova\n")
    assert [(f.line, f.code) for f in findings] == [(2, "OSL004")]


# --- bad input ---------------------------------------------------------------

def test_binary_file_is_an_input_error(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_bytes(b"[DEFAULT]\x00\x01\x02")
    with pytest.raises(confcheck.InputError):
        confcheck.check_file(str(path))


def test_non_utf8_file_is_an_input_error(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_bytes(b"[DEFAULT]\npassword = caf\xe9\n")
    with pytest.raises(confcheck.InputError, match="not UTF-8"):
        confcheck.check_file(str(path))


def test_huge_file_is_an_input_error(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_bytes(b"[DEFAULT]\n" + b"# padding\n" * 1_100_000)
    with pytest.raises(confcheck.InputError, match="too large"):
        confcheck.check_file(str(path))


def test_large_text_is_checked_without_traceback():
    text = "[DEFAULT]\n" + "debug = true\n" * 20000
    findings = check(text)
    assert len(findings) == 19999
    assert {f.code for f in findings} == {"OSL009"}


def test_many_unknown_keys_stay_fast():
    """Hints are bounded, so a junk file cannot stall a docs build."""
    text = "[DEFAULT]\n" + "".join(f"junk_{i} = x\n" for i in range(3000))
    findings = check(text)
    assert len(findings) == 3000
    assert findings[-1].message == ("unknown option 'junk_2999' in "
                                    "[DEFAULT] for nova.conf")


@pytest.mark.parametrize("text", [
    "", "\n\n", "[", "]", "=", ":", "[[DEFAULT]]\n", "[DEFAULT]\n\t\n",
    "[DEFAULT]\nkey = 'unterminated\n", '[DEFAULT]\n"key" = value\n',
    "\ufeff[DEFAULT]\n", "[DEFAULT]\r\ndebug = true\r\n",
    "[DEFAULT]\ndebug = ${\n", "[DEFAULT]\ndebug = $\n",
])
def test_odd_input_never_raises(text):
    for finding in check(text):
        assert finding.line >= 0


def test_line_numbers_follow_universal_newlines():
    """A form feed is not a line break for oslo.config; CR and CRLF are."""
    assert codes("[DEFAULT]\f\ndebug = maybe\n") == [(2, "OSL008")]
    assert codes("[DEFAULT]\r\n\r\ndebug = maybe\r\n") == [(3, "OSL008")]
    assert codes("[DEFAULT]\rdebug = maybe\r") == [(2, "OSL008")]


def test_file_without_data_checks_syntax_only():
    findings = oslo_conf.check("[DEFAULT]\nfoo bar\n", "my-service.conf")
    assert [(f.line, f.code) for f in findings] == [(0, "OSL014"),
                                                    (2, "OSL001")]


# --- codes and data -------------------------------------------------------

def test_every_code_example_behaves():
    """The appendix shows each code's bad and good example: keep them true."""
    names = {"OSL011": ("keystone.conf",) * 2,
             "OSL014": ("my-service.conf",) * 2,
             "OSL015": ("neutron.conf", "l3_agent.ini")}
    for code in oslo_conf.CODES:
        if code.code in UPGRADE_CODES:
            continue  # test_upgrade_code_examples
        bad_name, good_name = names.get(code.code, ("nova.conf",) * 2)
        bad = [f.code for f in oslo_conf.check(code.bad, bad_name)]
        assert code.code in bad, code.code
        if code.code != "OSL014":
            assert oslo_conf.check(code.good, good_name) == [], code.code


def test_index_records_versions_and_series():
    data = oslo_data.index()
    assert data["packages"]["nova"]["version"]
    assert data["generator"]["oslo.config"]
    for name in data["files"]:
        assert os.path.exists(os.path.join(oslo_data.DATA_DIR,
                                           name + ".json"))


def test_data_has_no_machine_specific_defaults():
    """Defaults computed on the generating machine (its host name, the
    venv's paths) are replaced: the data are the same wherever made."""
    for folder in (oslo_data.DATA_DIR, oslo_data.RELEASES_DIR):
        for name in os.listdir(folder):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(folder, name)) as fh:
                text = fh.read()
            assert "/tmp/genoptdata" not in text, name
            assert "site-packages" not in text, name
            assert '"sample_default"' not in text, name


def test_part_file_of_a_service_uses_the_service_data():
    """Finding 29: manila-share.conf is a second --config-file of manila;
    it is checked against manila's options, not left unknown."""
    found = [(f.line, f.code) for f in confcheck.check_text(
        "[DEFAULT]\nhost = manila\nhostt = x\n", "manila-share.conf",
        "oslo")]
    assert found == [(3, "OSL004")]
