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
"""A service-like oslo.db client in a lab namespace: write, read, repeat.

``python dbload.py CONF TABLE OUT SECONDS INTERVAL WAIT``, run with the
OpenStack venv's Python: oslo.db's enginefacade reads the [database]
section of CONF (the settings set under test) as a service's does, and
every INTERVAL seconds the client writes a row to TABLE in one
transaction and reads it back in another. One JSON line per operation
goes to OUT as it happens (ok, start, end, error), so a killed loop still
leaves them. At the end it prints {"settings": {option: value},
"connects": [time, ...], "hanging": N}: the [database] options in
effect (CONF's or oslo.db's defaults), when the engine opened a database
connection, and how many operations were still waiting for the server.
Times are time.time() values, the clock of the test's other loads.

Each operation runs in a thread of its own, as a request in a worker of
a service: the driver reads without a timeout (PyMySQL's read_timeout
is unset in the tree's connection URLs), so one can wait on a proxied
connection for as long as HAProxy keeps it. After WAIT seconds without
an answer the operation counts as failed, as the API client above the
service gives up, and the next one starts on another pooled connection
while the first keeps its own.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time

from oslo_config import cfg
from oslo_db import exception as db_exception
from oslo_db import options as db_options
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy
from sqlalchemy import exc as sa_exception

# The options that decide what a failed database server costs a client.
SETTINGS = ("max_pool_size", "max_overflow", "pool_timeout", "max_retries",
            "retry_interval", "connection_recycle_time")
# TABLE is spliced into SQL: a plain identifier only.
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,63}")
# What a lost database server raises through oslo.db (its wrapped
# errors), SQLAlchemy (a pool timeout) or the socket underneath.
FAILURES = (db_exception.DBError, sa_exception.SQLAlchemyError, OSError)


@enginefacade.transaction_context_provider
class Context:
    """The request context a service passes to enginefacade."""


def main() -> int:
    conf_file, table, out = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds, interval = float(sys.argv[4]), float(sys.argv[5])
    wait = float(sys.argv[6])
    if not IDENTIFIER.fullmatch(table):
        print(f"not a table name: {table!r}", file=sys.stderr)
        return 2
    conf = cfg.CONF
    conf.register_opts(db_options.database_opts, "database")
    conf(args=[], default_config_files=[conf_file])
    writer = enginefacade.writer
    reader = enginefacade.reader
    connects: list[float] = []
    engine = writer.get_engine()
    sqlalchemy.event.listen(engine, "connect",
                            lambda *_: connects.append(time.time()))
    with writer.using(Context()) as session:
        session.execute(sqlalchemy.text(
            f"CREATE TABLE IF NOT EXISTS {table} (id INT AUTO_INCREMENT "
            "PRIMARY KEY, at DOUBLE NOT NULL)"))
    deadline = time.monotonic() + seconds
    hanging = []
    with open(out, "a", encoding="utf-8") as log:
        while time.monotonic() < deadline:
            outcome: dict = {}
            worker = threading.Thread(target=_operation, daemon=True,
                                      args=(writer, reader, table, outcome))
            started = time.time()
            worker.start()
            worker.join(wait)
            if worker.is_alive():
                hanging.append(worker)
                outcome = {"ok": False, "error": f"no answer in {wait:g} s",
                           "start": round(started, 3),
                           "end": round(started + wait, 3)}
            log.write(json.dumps(outcome) + "\n")
            log.flush()
            time.sleep(interval)
    settings = {name: getattr(conf.database, name) for name in SETTINGS}
    print(json.dumps({"settings": settings,
                      "connects": [round(t, 3) for t in connects],
                      "hanging": sum(w.is_alive() for w in hanging)}),
          flush=True)
    # A thread still waiting on a socket would keep the interpreter (and
    # the pool's clean-up) waiting as long as HAProxy keeps the session.
    os._exit(0)


def _operation(writer, reader, table: str, outcome: dict) -> None:
    """One short write and its read-back, as an API request makes them.

    Fills outcome, which the loop reads once the thread is done.
    """
    started = time.time()
    result = {"ok": True}
    try:
        with writer.using(Context()) as session:
            row = session.execute(sqlalchemy.text(
                f"INSERT INTO {table} (at) VALUES (:at)"),
                {"at": started}).lastrowid
        with reader.using(Context()) as session:
            found = session.execute(sqlalchemy.text(
                f"SELECT at FROM {table} WHERE id = :id"),
                {"id": row}).scalar()
        if found is None:
            result = {"ok": False, "error": "row not found"}
    except FAILURES as exc:
        result = {"ok": False, "error": type(exc).__name__}
    result.update(start=round(started, 3), end=round(time.time(), 3))
    outcome.update(result)


if __name__ == "__main__":
    sys.exit(main())
