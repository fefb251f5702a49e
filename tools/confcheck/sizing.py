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
"""The database connection budget of the example tree, from its files."""

from __future__ import annotations

import configparser
import dataclasses
import os

from confcheck import tree
from confcheck.sources import InputError, read_text

# oslo.db sections that open a connection pool when 'connection' is set.
POOL_SECTIONS = ("database", "api_database", "placement_database")
POOL_OPTIONS = ("max_pool_size", "max_overflow")
GALERA_CNF = "controller/etc/mysql/mariadb.conf.d/60-galera.cnf"
CLIENTS_KEY = "db_clients"


class SizingError(ValueError):
    """The tree lacks a value the budget needs; the message says which."""


@dataclasses.dataclass(frozen=True)
class PoolFile:
    """One configuration file's pools and the processes that open them."""

    relpath: str
    sections: tuple[str, ...]
    pool: int
    overflow: int
    processes: tuple[tuple[str, int], ...]

    @property
    def per_process(self) -> int:
        """Connections one process can hold: every pool at its ceiling."""
        return len(self.sections) * (self.pool + self.overflow)

    @property
    def process_count(self) -> int:
        return sum(count for _name, count in self.processes)

    @property
    def per_controller(self) -> int:
        return self.per_process * self.process_count


@dataclasses.dataclass(frozen=True)
class Budget:
    """Every pool of every controller at its ceiling, against the writer."""

    files: tuple[PoolFile, ...]
    controllers: int
    max_connections: int

    @property
    def per_controller(self) -> int:
        return sum(f.per_controller for f in self.files)

    @property
    def total(self) -> int:
        return self.per_controller * self.controllers


def _ini(text: str, relpath: str) -> configparser.ConfigParser:
    # oslo.config files are INI enough for configparser once interpolation
    # and duplicate checks are off; confcheck's oslo checker judges syntax.
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=relpath)
    except configparser.Error as exc:
        raise SizingError(f"{relpath}: cannot be read: {exc}") from None
    return parser


def _int(parser: configparser.ConfigParser, section: str, option: str,
         relpath: str) -> int:
    if not parser.has_option(section, option):
        raise SizingError(f"{relpath} [{section}] sets no {option}; the "
                          f"budget counts only explicit values")
    value = parser.get(section, option).strip()
    try:
        return int(value)
    except ValueError:
        raise SizingError(f"{relpath} [{section}] {option} = {value!r} "
                          f"is not an integer") from None


def _read(cluster: tree.Cluster, relpath: str) -> configparser.ConfigParser:
    try:
        text = read_text(os.path.join(cluster.examples_dir, relpath))
    except InputError as exc:
        raise SizingError(str(exc)) from None
    return _ini(text, relpath)


def pool_sections(parser: configparser.ConfigParser) -> tuple[str, ...]:
    """The oslo.db sections of a file that open a pool."""
    return tuple(s for s in POOL_SECTIONS
                 if parser.has_option(s, "connection"))


def pool_file(cluster: tree.Cluster, relpath: str,
              processes: dict) -> PoolFile:
    parser = _read(cluster, relpath)
    sections = pool_sections(parser)
    if not sections:
        raise SizingError(f"{relpath} has no database section with a "
                          f"connection")
    sizes = {(s, o): _int(parser, s, o, relpath)
             for s in sections for o in POOL_OPTIONS}
    pools = {sizes[(s, "max_pool_size")] for s in sections}
    overflows = {sizes[(s, "max_overflow")] for s in sections}
    if len(pools) > 1 or len(overflows) > 1:
        raise SizingError(f"{relpath}: its database sections differ in "
                          f"pool size; the budget assumes one size per file")
    if not isinstance(processes, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and v >= 0
            for k, v in processes.items()):
        raise SizingError(f"{tree.CLUSTER_FILE} {CLIENTS_KEY} {relpath}: "
                          f"expected process name: count")
    return PoolFile(relpath, sections, pools.pop(), overflows.pop(),
                    tuple(processes.items()))


def db_budget(cluster: tree.Cluster) -> Budget:
    """The budget of cluster.yaml's db_clients; raises SizingError."""
    clients = cluster.data.get(CLIENTS_KEY)
    if not isinstance(clients, dict) or not clients:
        raise SizingError(f"{tree.CLUSTER_FILE} has no {CLIENTS_KEY} "
                          f"mapping")
    files = tuple(pool_file(cluster, relpath, processes)
                  for relpath, processes in clients.items())
    galera = _read(cluster, GALERA_CNF)
    return Budget(files, len(cluster.nodes("controller")),
                  _int(galera, "mysqld", "max_connections", GALERA_CNF))
