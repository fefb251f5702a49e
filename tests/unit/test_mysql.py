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
"""The MariaDB/Galera checker: captured option names and Galera lints."""

from __future__ import annotations

import pathlib
import subprocess

import pytest

import capture_mariadb_options
import realtools
from confcheck import check_text
from confcheck.checks import mysql

SAMPLES = pathlib.Path(__file__).parent / "samples" / "mysql"
EXAMPLES = pathlib.Path(__file__).parents[2] / "doc" / "examples"
GALERA = ("[mysqld]\nbinlog_format = ROW\ninnodb_autoinc_lock_mode = 2\n"
          "[galera]\nwsrep_on = ON\n"
          "wsrep_provider = /usr/lib/galera/libgalera_smm.so\n"
          "wsrep_cluster_address = gcomm://10.0.0.12,10.0.0.13,10.0.0.14\n")


def found(text: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_text(text, "x.cnf", "mysql")]


# (case, text, line, code); GALERA has 7 lines, so appended lines are 8+.
CASES = [
    ("typo", "[mysqld]\ninnodb_buffer_pool_sise = 1G\n", 2, "MYS001"),
    ("applier_threads_on_10_11", GALERA + "wsrep_applier_threads = 4\n",
     8, "MYS001"),
    ("client_option_in_server_group", "[mysqld]\nauto-rehash\n",
     2, "MYS001"),
    ("before_group", "port = 3306\n[mysqld]\n", 1, "MYS002"),
    ("broken_header", "[mysqld\nport = 3306\n", 1, "MYS003"),
    ("bad_directive", "[mysqld]\n!inclde /etc/mysql/conf.d/\n",
     2, "MYS003"),
    ("include_without_path", "!includedir\n", 1, "MYS003"),
    ("spaces_in_name", "[mysqld]\nmax connections = 10\n", 2, "MYS003"),
    ("other_version_group", "[mysqld-10.4]\nport = 3306\n", 1, "MYS004"),
    ("unknown_group", "[mysqld-galera]\nport = 3306\n", 1, "MYS004"),
    ("needs_value", "[mysqld]\nmax_connections\n", 2, "MYS005"),
    ("abbreviated", "[mysqld]\ninnodb_file_per = 1\n", 2, "MYS006"),
    ("set_twice", "[mysqld]\nport = 3306\nport = 3307\n", 3, "MYS007"),
    ("loose_unknown", "[mysqld]\nloose-tokudb_cache_size = 1G\n",
     2, "MYS008"),
    ("plugin_not_loaded", "[server]\nprovider_lz4 = force_plus_permanent\n",
     2, "MYS009"),
    ("mixed_binlog", GALERA.replace("ROW", "MIXED"), 2, "MYS101"),
    ("autoinc_missing", GALERA.replace(
        "innodb_autoinc_lock_mode = 2\n", ""), 4, "MYS102"),
    ("myisam", GALERA + "default_storage_engine = MyISAM\n", 8, "MYS103"),
    ("no_cluster_address", GALERA.replace(
        "wsrep_cluster_address", "wsrep_cluster_name"), 5, "MYS104"),
    ("wsrep_off", GALERA.replace("wsrep_on = ON", "wsrep_on = OFF"),
     5, "MYS104"),
    ("old_provider_path", GALERA.replace("/galera/", "/"), 6, "MYS105"),
    ("wildcard_bind", "[mysqld]\nbind-address = 0.0.0.0\n", 2, "MYS106"),
    ("rsync_sst", GALERA + "wsrep_sst_method = rsync\n", 8, "MYS107"),
    ("causal_reads", GALERA + "wsrep_causal_reads = ON\n", 8, "MYS108"),
    ("locks_unsafe", "[mysqld]\ninnodb_locks_unsafe_for_binlog = 1\n",
     2, "MYS108"),
    ("query_cache", GALERA + "query_cache_size = 64M\n", 8, "MYS109"),
    ("angle_placeholder", GALERA + "wsrep_node_address = <node_ip>\n",
     8, "MYS110"),
    ("shell_placeholder", "[mysqld]\ndatadir = ${DATADIR}\n",
     2, "MYS110"),
    ("empty_gcomm", GALERA.replace(
        "gcomm://10.0.0.12,10.0.0.13,10.0.0.14", "gcomm://"), 7, "MYS111"),
]


@pytest.mark.parametrize("text,line,code", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_finds(text, line, code):
    assert (line, code) in found(text)


@pytest.mark.parametrize("text", [
    GALERA,
    "[mysqld]\nskip-name-resolve\nskip_innodb_file_per_table\n"
    "enable-wsrep-on\nINNODB-BUFFER-POOL-SIZE = 64M\n",
    "[client-server]\nsocket = /run/mysqld/mysqld.sock\n",
    "[mariadb-10.11]\nport = 3306 # comment\n",
    "[mariabackup]\nanything-goes = 1\n",
    "[server]\nplugin_load_add = provider_lz4\n"
    "provider_lz4 = force_plus_permanent\n",
    "[mysqld]\nloose-server_audit_logging = ON\n",
], ids=["galera_minimum", "prefixes_and_case", "client_server",
        "own_version_group", "other_program", "debian_provider_plugin",
        "loose_plugin_option"])
def test_accepts(text):
    assert found(text) == []


def test_kolla_style_sample_is_clean():
    assert found((SAMPLES / "galera-kolla-style.cnf").read_text()) == []


def test_guide_galera_file_is_clean():
    path = EXAMPLES / "controller/etc/mysql/mariadb.conf.d/60-galera.cnf"
    assert found(path.read_text()) == []


def test_data_records_its_source():
    data = mysql.options()
    assert data["series"] == "10.11"
    assert "10.11" in data["version"]
    assert {"wsrep_on", "wsrep_provider", "wsrep_sst_method",
            "binlog_format"} <= set(data["server"])


def test_capture_matches_installed_mariadbd():
    """The committed option list is what the installed server prints."""
    binary = realtools.require("mariadbd", "mariadb-server")
    proc = subprocess.run([binary, "--no-defaults", "--verbose", "--help"],
                          capture_output=True, text=True, timeout=60,
                          check=True)
    assert capture_mariadb_options.options(proc.stdout) == (
        mysql.options()["server"])


def test_garbage_gives_findings_not_tracebacks():
    text = "[]\n=\n\x7f\n[mysqld]\n= 3\n'\"\n!\n"
    assert {c for _, c in found(text)} <= {"MYS003", "MYS002", "MYS004"}


def test_codes_have_examples():
    for code in mysql.CODES:
        assert code.bad and code.good and code.code.startswith("MYS")
