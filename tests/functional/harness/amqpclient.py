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
"""AMQP client run inside the lab's client namespace; prints JSON.

``python amqpclient.py publish|consume|failover ARGS_JSON``. It runs in
its own process because the brokers live in network namespaces that the
test process itself cannot reach.

publish: declare the quorum queue through the first host, then publish
  numbered persistent messages with publisher confirms, one per
  interval, for a number of messages; on a broken connection reconnect
  (bounded) to the next host. Prints the confirmed and failed numbers,
  and each outcome with its time.monotonic() (no time namespace: the
  test's clock).
consume: read every message of the queue from the first host that
  answers (bounded retries). Prints the numbers read.
publish_for: publish numbered persistent messages (from args["first"])
  with confirms to one queue for args["seconds"] at most, or until the
  file args["stop_file"] exists, one per interval, through args["hosts"]
  only (declaring the queue on each connection if args["declare"]); a
  failure is followed by one reconnect attempt per interval.
  Prints confirmed and failed numbers with the time (s from the start)
  each outcome was known, and the start (time.monotonic()).
stream: declare a stream through the first host, publish numbered
  messages with confirms, then read them back from the first offset
  through the last host. Prints the confirmed and read numbers, and
  when each was confirmed and read (time.monotonic()).
hold: open args["connections"] connections to args["hosts"][0], one
  channel each, then (once the file args["queues_file"] exists) declare
  args["queues"] quorum queues named args["prefix"]-N through the first
  connection; each step writes its marker file (args["opened_file"],
  args["declared_file"]); hold everything until args["stop_file"]
  exists or args["seconds"] pass, then delete the queues and close.
failover: connect with kombu to the URL list built from transport_url,
  round-robin, bounded retries. Prints the broker that answered and the
  time it took.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

import pika
import pika.exceptions

# Errors after which a client reconnects (to the next broker).
RETRYABLE = (pika.exceptions.AMQPError, OSError)
MAX_RECONNECTS = 20
RECONNECT_PAUSE = 0.5


def _connect(hosts, user, password, start=0):
    """A blocking connection to the first answering host from start."""
    last = None
    for attempt in range(MAX_RECONNECTS):
        host = hosts[(start + attempt) % len(hosts)]
        try:
            params = pika.ConnectionParameters(
                host=host, port=5672, connection_attempts=1,
                socket_timeout=2, blocked_connection_timeout=5,
                credentials=pika.PlainCredentials(user, password))
            return pika.BlockingConnection(params), host, attempt
        except RETRYABLE as exc:
            last = exc
            time.sleep(RECONNECT_PAUSE)
    raise SystemExit(f"no broker answered: {last!r}")


def publish(args):
    hosts, queue = args["hosts"], args["queue"]
    conn, host, _ = _connect(hosts, args["user"], args["password"])
    channel = conn.channel()
    channel.queue_declare(queue, durable=True,
                          arguments={"x-queue-type": "quorum"})
    channel.confirm_delivery()
    confirmed, failed, reconnects, outcomes = [], [], [], []
    started = time.monotonic()
    for number in range(1, args["count"] + 1):
        try:
            channel.basic_publish(
                "", queue, str(number).encode(),
                pika.BasicProperties(delivery_mode=2), mandatory=True)
            confirmed.append(number)
            outcomes.append([time.monotonic(), True])
        except RETRYABLE as exc:
            failed.append(number)
            outcomes.append([time.monotonic(), False])
            reconnects.append([round(time.monotonic() - started, 2),
                               type(exc).__name__])
            try:
                conn.close()
            except RETRYABLE:
                pass
            conn, host, _ = _connect(hosts, args["user"], args["password"],
                                     start=hosts.index(host) + 1)
            channel = conn.channel()
            channel.confirm_delivery()
        time.sleep(args["interval"])
    conn.close()
    return {"confirmed": confirmed, "failed": failed,
            "reconnects": reconnects, "last_host": host,
            "outcomes": outcomes}


def publish_for(args):
    hosts, queue = args["hosts"], args["queue"]
    started = time.monotonic()
    deadline = started + args["seconds"]
    confirmed, failed = [], []
    conn = channel = None
    number = args["first"]
    stop_file = pathlib.Path(args["stop_file"])
    while time.monotonic() < deadline and not stop_file.exists():
        try:
            if channel is None:
                conn = pika.BlockingConnection(pika.ConnectionParameters(
                    host=hosts[number % len(hosts)], port=5672,
                    connection_attempts=1, socket_timeout=2,
                    blocked_connection_timeout=5,
                    credentials=pika.PlainCredentials(
                        args["user"], args["password"])))
                channel = conn.channel()
                if args.get("declare"):
                    channel.queue_declare(
                        queue, durable=True,
                        arguments={"x-queue-type": "quorum"})
                channel.confirm_delivery()
            channel.basic_publish(
                "", queue, str(number).encode(),
                pika.BasicProperties(delivery_mode=2), mandatory=True)
            confirmed.append([number, round(time.monotonic() - started, 2)])
        except RETRYABLE:
            failed.append([number, round(time.monotonic() - started, 2)])
            if conn is not None and conn.is_open:
                try:
                    conn.close()
                except RETRYABLE:
                    pass
            conn = channel = None
        number += 1
        time.sleep(args["interval"])
    if conn is not None and conn.is_open:
        conn.close()
    return {"confirmed": confirmed, "failed": failed, "started": started}


def consume(args):
    read = []
    for _ in range(MAX_RECONNECTS):
        conn, host, _ = _connect(args["hosts"], args["user"],
                                 args["password"])
        try:
            channel = conn.channel()
            for _ in range(args["limit"]):
                method, _props, body = channel.basic_get(args["queue"])
                if method is None:
                    break
                read.append(int(body))
                channel.basic_ack(method.delivery_tag)
            conn.close()
            return {"read": read, "host": host}
        except RETRYABLE:
            # Straight after a leader dies the first basic_get can fail
            # with a nodedown channel error; the next connection works.
            time.sleep(RECONNECT_PAUSE)
    raise SystemExit("could not consume")


def stream(args):
    hosts, queue = args["hosts"], args["queue"]
    conn, _, _ = _connect(hosts[:1], args["user"], args["password"])
    channel = conn.channel()
    channel.queue_declare(queue, durable=True,
                          arguments={"x-queue-type": "stream"})
    channel.confirm_delivery()
    confirmed, confirmed_at = [], []
    for number in range(1, args["count"] + 1):
        channel.basic_publish("", queue, str(number).encode(),
                              pika.BasicProperties(delivery_mode=2))
        confirmed.append(number)
        confirmed_at.append(time.monotonic())
    conn.close()
    conn, host, _ = _connect(hosts[-1:], args["user"], args["password"])
    channel = conn.channel()
    # A stream is read by a consumer with a prefetch limit and an offset;
    # basic_get is refused.
    channel.basic_qos(prefetch_count=100)
    read, read_at = [], []
    deadline = time.monotonic() + 30
    for method, _props, body in channel.consume(
            queue, arguments={"x-stream-offset": "first"},
            inactivity_timeout=5):
        if method is None or time.monotonic() > deadline:
            break
        read.append(int(body))
        read_at.append(time.monotonic())
        channel.basic_ack(method.delivery_tag)
        if len(read) >= len(confirmed):
            break
    channel.cancel()
    conn.close()
    return {"confirmed": confirmed, "read": read, "host": host,
            "confirmed_at": confirmed_at, "read_at": read_at}


def _wait_file(path, deadline):
    while not pathlib.Path(path).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{path} did not appear in time")
        time.sleep(0.2)


def hold(args):
    deadline = time.monotonic() + args["seconds"]
    host = args["hosts"][0]
    conns = [_connect([host], args["user"], args["password"])[0]
             for _ in range(args["connections"])]
    channels = [conn.channel() for conn in conns]
    pathlib.Path(args["opened_file"]).touch()
    _wait_file(args["queues_file"], deadline)
    names = [f"{args['prefix']}-{n}" for n in range(args["queues"])]
    for name in names:
        channels[0].queue_declare(name, durable=True,
                                  arguments={"x-queue-type": "quorum"})
    pathlib.Path(args["declared_file"]).touch()
    _wait_file(args["stop_file"], deadline)
    for name in names:
        channels[0].queue_delete(name)
    for conn in conns:
        conn.close()
    return {"connections": len(conns), "queues": len(names)}


def failover(args):
    import kombu
    started = time.monotonic()
    conn = kombu.Connection(args["url"], failover_strategy="round-robin",
                            connect_timeout=2)
    conn.ensure_connection(max_retries=MAX_RECONNECTS, interval_start=0,
                           interval_step=0.5, interval_max=1)
    host = conn.as_uri().split("@", 1)[1]
    conn.release()
    return {"host": host, "seconds": round(time.monotonic() - started, 2)}


def main():
    action, args = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps({"publish": publish, "publish_for": publish_for,
                      "consume": consume, "stream": stream,
                      "failover": failover, "hold": hold}[action](args)))


if __name__ == "__main__":
    main()
