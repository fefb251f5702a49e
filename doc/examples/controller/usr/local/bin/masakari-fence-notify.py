#!/usr/bin/python3
# Pacemaker alert agent on every controller: reports a compute node to
# masakari as failed, and so starts the evacuation of its instances, only
# after Pacemaker has fenced that node successfully.
#
# Pacemaker runs it (as hacluster) for each cluster event, with the event
# in CRM_alert_* environment variables (pacemaker/masakari-alert.pcs). It
# sends masakari's COMPUTE_HOST notification when all of these hold, and
# does nothing otherwise:
#   - the event is a fencing event (CRM_alert_kind=fencing) with exit
#     code 0 (CRM_alert_rc=0): the fence of the node succeeded;
#   - the action was "off" or "reboot", never "on" (unfencing), as
#     CRM_alert_desc ("Operation reboot of compute1 by controller2 for
#     pacemaker-controld.1234@controller1: OK ...") says;
#   - the node matches REPORT_NODES (compute nodes, not controllers);
#   - this node asked for the fence (the "@controller1" above), so one
#     controller reports each fence, not all three.
# A failed or timed-out fence never produces a notification, whatever the
# retries. Anything this agent cannot parse is treated the same way: no
# report (a person then sends it), never a report too many.
#
# Settings and credentials: /etc/default/masakari-fence-notify (owned by
# root, group haclient, mode 0640), read as NAME=value lines, never run.

import datetime
import json
import os
import re
import shlex
import socket
import sys
import time
import urllib.error
import urllib.request

CONFIG = os.environ.get("MASAKARI_FENCE_NOTIFY_CONF",
                        "/etc/default/masakari-fence-notify")
REQUIRED = ("REPORT_NODES", "AUTH_URL", "MASAKARI_URL", "USERNAME",
            "PASSWORD", "PROJECT_NAME", "USER_DOMAIN_NAME",
            "PROJECT_DOMAIN_NAME")
DEFAULTS = {"RETRY_FOR": "90", "RETRY_INTERVAL": "10"}
# The summary Pacemaker gives of a completed fencing operation.
DESCRIPTION = re.compile(
    r"Operation (?P<action>\S+) of (?P<target>\S+) by .+ "
    r"for \S+@(?P<origin>\S+): OK\b")
FENCING_ACTIONS = ("off", "reboot")
# Seconds one HTTP request may take.
REQUEST_TIMEOUT = 10


class Refused(Exception):
    """masakari-api answered, and asking again cannot help."""


def log(message):
    # Pacemaker logs what an alert agent writes when it fails; the lines
    # also land in the journal under the alert's name.
    print(f"masakari-fence-notify: {message}", file=sys.stderr)


def read_config(path):
    """NAME=value lines (shell quoting allowed), comments and blanks."""
    settings = dict(DEFAULTS)
    with open(path, encoding="utf-8") as config:
        for line in config:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            name, value = line.split("=", 1)
            words = shlex.split(value, comments=True)
            settings[name.strip()] = words[0] if words else ""
    missing = [name for name in REQUIRED if not settings.get(name)]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    return settings


def fenced_node(env):
    """(node, origin) of a successful off/reboot fence, else None."""
    if env.get("CRM_alert_kind") != "fencing":
        return None
    if env.get("CRM_alert_rc") != "0":
        return None
    node = env.get("CRM_alert_node", "")
    match = DESCRIPTION.match(env.get("CRM_alert_desc", ""))
    if (match is None or match["target"] != node
            or match["action"] not in FENCING_ACTIONS):
        return None
    return node, match["origin"]


def local_names():
    name = socket.gethostname()
    return {name, name.split(".")[0]}


def post(url, body, headers):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "Accept": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as answer:
        return answer.headers


def token(settings):
    """A project-scoped keystone token for the masakari service user."""
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": settings["USERNAME"],
            "domain": {"name": settings["USER_DOMAIN_NAME"]},
            "password": settings["PASSWORD"]}}},
        "scope": {"project": {
            "name": settings["PROJECT_NAME"],
            "domain": {"name": settings["PROJECT_DOMAIN_NAME"]}}}}}
    url = settings["AUTH_URL"].rstrip("/") + "/v3/auth/tokens"
    return post(url, body, {})["X-Subject-Token"]


def notify(settings, node):
    """One COMPUTE_HOST notification; Refused if masakari rejects it."""
    now = datetime.datetime.now(datetime.timezone.utc)
    body = {"notification": {
        "type": "COMPUTE_HOST",
        "hostname": node,
        "generated_time": now.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        # NORMAL is what masakari-engine requires before it evacuates;
        # here it is true: the host is fenced.
        "payload": {"event": "STOPPED", "host_status": "NORMAL",
                    "cluster_status": "OFFLINE"}}}
    url = settings["MASAKARI_URL"].rstrip("/") + "/notifications"
    try:
        post(url, body, {"X-Auth-Token": token(settings)})
    except urllib.error.HTTPError as exc:
        # 400: invalid; 404: no such host in any segment; 409: a
        # duplicate, or the host is already on maintenance.
        if exc.code in (400, 404, 409):
            raise Refused(f"masakari-api answered {exc.code}: "
                          f"{exc.read(500)!r}") from None
        raise


def main(env):
    event = fenced_node(env)
    if event is None:
        return 0
    node, origin = event
    try:
        settings = read_config(CONFIG)
        report = re.compile(settings["REPORT_NODES"])
        retry_for = float(settings["RETRY_FOR"])
        interval = float(settings["RETRY_INTERVAL"])
    except (OSError, ValueError, re.error) as exc:
        log(f"{node} was fenced, but masakari is not told: {exc}")
        return 1
    if not report.fullmatch(node) or origin not in local_names():
        return 0
    deadline = time.monotonic() + retry_for
    while True:
        try:
            notify(settings, node)
        except Refused as exc:
            log(f"{node}: {exc}")
            return 0
        except (OSError, KeyError, ValueError) as exc:
            # URLError and HTTPError are OSErrors; KeyError: keystone
            # gave no token.
            if time.monotonic() + interval > deadline:
                log(f"{node} was fenced, but masakari-api could not be "
                    f"told: {exc}; send the notification by hand")
                return 1
            log(f"{node}: {exc}; trying again in {interval:g} s")
            time.sleep(interval)
            continue
        log(f"{node} is fenced; masakari notified")
        return 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
