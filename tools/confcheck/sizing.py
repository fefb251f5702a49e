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

from confcheck.cluster import Cluster, CLUSTER_FILE
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


def _read(cluster: Cluster, relpath: str) -> configparser.ConfigParser:
    try:
        text = read_text(os.path.join(cluster.examples_dir, relpath))
    except InputError as exc:
        raise SizingError(str(exc)) from None
    return _ini(text, relpath)


def pool_sections(parser: configparser.ConfigParser) -> tuple[str, ...]:
    """The oslo.db sections of a file that open a pool."""
    return tuple(s for s in POOL_SECTIONS
                 if parser.has_option(s, "connection"))


def pool_file(cluster: Cluster, relpath: str,
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
        raise SizingError(f"{CLUSTER_FILE} {CLIENTS_KEY} {relpath}: "
                          f"expected process name: count")
    return PoolFile(relpath, sections, pools.pop(), overflows.pop(),
                    tuple(processes.items()))


def db_budget(cluster: Cluster) -> Budget:
    """The budget of cluster.yaml's db_clients; raises SizingError."""
    clients = cluster.data.get(CLIENTS_KEY)
    if not isinstance(clients, dict) or not clients:
        raise SizingError(f"{CLUSTER_FILE} has no {CLIENTS_KEY} "
                          f"mapping")
    files = tuple(pool_file(cluster, relpath, processes)
                  for relpath, processes in clients.items())
    galera = _read(cluster, GALERA_CNF)
    return Budget(files, len(cluster.nodes("controller")),
                  _int(galera, "mysqld", "max_connections", GALERA_CNF))


# Defaults of the libraries the lab installs (keystonemiddleware 13.0.1,
# oslo.messaging 18.3.1), for options the tree leaves at their default;
# the tables mark them "default" so a reader sees which is which.
AUTHTOKEN_POOL_DEFAULT = 10
RPC_POOL_DEFAULT = 30
MEMCACHED_CONF = "controller/etc/memcached.conf"
RABBITMQ_CONF = "controller/etc/rabbitmq/rabbitmq.conf"
MEMCACHE_POOL_BACKEND = "oslo_cache.memcache_pool"


@dataclasses.dataclass(frozen=True)
class Pool:
    """One connection pool option: its value and whether the file sets it."""

    option: str
    size: int
    explicit: bool

    def describe(self) -> str:
        return f"{self.option} = {self.size}" + ("" if self.explicit
                                                   else " (default)")


@dataclasses.dataclass(frozen=True)
class ClientFile:
    """The pools one process of a file opens, and its processes."""

    relpath: str
    pools: tuple[Pool, ...]
    processes: tuple[tuple[str, int], ...]
    api_processes: int

    @property
    def process_count(self) -> int:
        return sum(count for _name, count in self.processes)


@dataclasses.dataclass(frozen=True)
class MemcachedBudget:
    """Connections each memcached server can be asked for, and its limits."""

    files: tuple[ClientFile, ...]
    controllers: int
    item_mb: int
    max_connections: int

    @staticmethod
    def per_controller_file(f: ClientFile) -> int:
        # [cache] is opened by every process of the file, the auth_token
        # middleware only by the API processes that load it.
        total = 0
        for pool in f.pools:
            count = (f.api_processes if pool.option.startswith(
                "[keystone_authtoken]") else f.process_count)
            total += pool.size * count
        return total

    @property
    def per_controller(self) -> int:
        return sum(self.per_controller_file(f) for f in self.files)

    @property
    def per_server(self) -> int:
        # Every process keeps its pools to every server of the list.
        return self.per_controller * self.controllers

    @property
    def item_mb_total(self) -> int:
        return self.item_mb * self.controllers


@dataclasses.dataclass(frozen=True)
class RabbitBudget:
    """AMQP connections the tree's processes can open, and reply queues."""

    files: tuple[ClientFile, ...]
    controllers: int
    reply_types: tuple[str, ...]

    @staticmethod
    def per_process(f: ClientFile) -> int:
        # oslo.messaging: a send pool up to rpc_conn_pool_size, one
        # connection for the process's reply queue and one per RPC server
        # (counted as one; a process serving more topics adds one each).
        return f.pools[0].size + 2

    @property
    def per_controller(self) -> int:
        return sum(self.per_process(f) * f.process_count for f in self.files)

    @property
    def total(self) -> int:
        return self.per_controller * self.controllers

    @property
    def reply_queues(self) -> dict[str, int]:
        """Reply queues by type: one per process that makes RPC calls."""
        counts: dict[str, int] = {}
        for f, kind in zip(self.files, self.reply_types, strict=True):
            counts[kind] = (counts.get(kind, 0)
                            + f.process_count * self.controllers)
        return counts


def _bare(name: str) -> str:
    return name.removesuffix(" (WSGI)").strip()


def api_process_names(cluster: Cluster) -> set[str]:
    """Processes behind HAProxy: the ones that load the auth_token filter.

    Names are compared without " (WSGI)", which services and db_clients
    do not always both write.
    """
    return {_bare(s["process"]) for s in cluster.data.get("services") or ()
            if isinstance(s, dict) and s.get("strategy") == "haproxy"
            and isinstance(s.get("process"), str)}


def _clients(cluster: Cluster):
    clients = cluster.data.get(CLIENTS_KEY)
    if not isinstance(clients, dict) or not clients:
        raise SizingError(f"{CLUSTER_FILE} has no {CLIENTS_KEY} "
                          f"mapping")
    for relpath, processes in clients.items():
        if not isinstance(processes, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and v >= 0
                for k, v in processes.items()):
            raise SizingError(f"{CLUSTER_FILE} {CLIENTS_KEY} "
                              f"{relpath}: expected process name: count")
        yield relpath, _read(cluster, relpath), processes


def _pool(parser, section, option, default, relpath) -> Pool:
    label = f"[{section}] {option}"
    if parser.has_option(section, option):
        return Pool(label, _int(parser, section, option, relpath), True)
    return Pool(label, default, False)


def _true(parser, section, option) -> bool:
    return parser.get(section, option, fallback="").strip().lower() in (
        "true", "yes", "on", "1")


def memcached_pools(parser, relpath: str) -> tuple[Pool, ...]:
    """The memcached pools of one file: [cache] and the auth_token filter."""
    pools = []
    if (_true(parser, "cache", "enabled")
            and parser.get("cache", "backend", fallback="").strip()
            == MEMCACHE_POOL_BACKEND):
        # oslo.cache's own pool has no other bound; the budget follows
        # the file, so an unset size is an error rather than a guess.
        pools.append(Pool("[cache] memcache_pool_maxsize",
                          _int(parser, "cache", "memcache_pool_maxsize",
                               relpath), True))
    if parser.get("keystone_authtoken", "memcached_servers",
                  fallback="").strip():
        pools.append(_pool(parser, "keystone_authtoken",
                           "memcache_pool_maxsize", AUTHTOKEN_POOL_DEFAULT,
                           relpath))
    return tuple(pools)


def _memcached_options(cluster: Cluster) -> dict[str, str]:
    """-m and -c of memcached.conf.

    Debian's start-memcached format is one option per line with "#"
    comments; no library reads it, and only two flags are needed here.
    """
    try:
        text = read_text(os.path.join(cluster.examples_dir, MEMCACHED_CONF))
    except InputError as exc:
        raise SizingError(str(exc)) from None
    found = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) == 2 and words[0] in ("-m", "-c"):
            found[words[0]] = words[1]
    values = {}
    for flag in ("-m", "-c"):
        if flag not in found or not found[flag].isdigit():
            raise SizingError(f"{MEMCACHED_CONF} sets no numeric {flag}")
        values[flag] = int(found[flag])
    return values


def memcached_budget(cluster: Cluster) -> MemcachedBudget:
    """memcached connections and memory of the tree; raises SizingError."""
    apis = api_process_names(cluster)
    files = []
    for relpath, parser, processes in _clients(cluster):
        pools = memcached_pools(parser, relpath)
        if pools:
            api = sum(c for name, c in processes.items()
                      if _bare(name) in apis)
            files.append(ClientFile(relpath, pools, tuple(processes.items()),
                                    api))
    options = _memcached_options(cluster)
    return MemcachedBudget(tuple(files), len(cluster.nodes("controller")),
                           options["-m"], options["-c"])


def rabbit_budget(cluster: Cluster) -> RabbitBudget:
    """AMQP connections and reply queues of the tree; raises SizingError."""
    files, types = [], []
    for relpath, parser, processes in _clients(cluster):
        if not parser.get("DEFAULT", "transport_url", fallback="").strip():
            continue
        pool = _pool(parser, "oslo_messaging_rabbit", "rpc_conn_pool_size",
                     RPC_POOL_DEFAULT, relpath)
        files.append(ClientFile(relpath, (pool,), tuple(processes.items()),
                                0))
        types.append("quorum" if _true(parser, "oslo_messaging_rabbit",
                                       "rabbit_transient_quorum_queue")
                     else "classic")
    if not files:
        raise SizingError(f"no file of {CLIENTS_KEY} sets transport_url")
    return RabbitBudget(tuple(files), len(cluster.nodes("controller")),
                        tuple(types))


def processes_per_controller(cluster: Cluster) -> int:
    """Every process db_clients lists for one controller."""
    return sum(sum(dict(p).values()) for _r, _p, p in _clients(cluster))
