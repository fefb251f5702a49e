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
"""pcs or crm for many commands: imported once, each in a fresh fork.

``python3 _tool_session.py pcs|crm``, run by the tool's own interpreter
(the one its script names), never imported by confcheck: reads one JSON
object per line on standard input, ``{"id": number, "argv": [arguments],
"cwd": directory, "env": {name: value}, "merge": bool}``, and answers
one JSON line ``[id, status, stdout, stderr]`` per command (with merge,
both streams in stdout), as the tool run with those arguments in that
directory would exit and print. Importing the tool takes most of a
call; forking after the import keeps every command's state (pcs caches
reports and runners per process) as separate as separate runs. Commands
run at once as they come (the caller bounds how many), answered as each
ends; no two of them share a directory.
"""

import json
import logging
import os
import select
import sys
import tempfile

OUTPUTS = ("stdout.txt", "stderr.txt")


def _pcs():
    import pcs.app
    return pcs.app.main


def _crm():
    # What /usr/sbin/crm does before main.run(), which reads sys.argv.
    from crmsh import log
    log.setup_logging()
    from crmsh import main as crm_main

    def run(argv):
        sys.argv = ["crm", *argv]
        sys.exit(crm_main.run())

    return run


TOOLS = {"pcs": _pcs, "crm": _crm}


def _child(run, argv, cwd, env, merge):
    """Run one command in this (forked) process and exit with it.

    The standard streams keep their objects (logging handlers made at
    import hold them) and get the command's files under their descriptors;
    with merge both go to the first file, in the order they were written.
    Temporary files go to cwd (the check's scratch directory), never to
    the root's /tmp: tempfile chose its directory at import, before fork.
    """
    status = 1
    try:
        # Standard input is the session's: other commands' requests.
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(cwd)
        os.environ.update(env, HOME=cwd, TMPDIR=cwd)
        tempfile.tempdir = cwd
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, name in zip((1, 2), OUTPUTS, strict=True):
            out = os.open(OUTPUTS[0] if merge else name,
                          os.O_WRONLY | os.O_CREAT
                          | (os.O_APPEND if merge else os.O_TRUNC), 0o600)
            os.dup2(out, fd)
            os.close(out)
        try:
            run(argv)
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else (
                0 if exc.code is None else 1)
    finally:
        # Never back into main()'s loop, whatever the tool raised (its
        # traceback is on the command's stderr); flush what it buffered.
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr, sys.__stdout__,
                       sys.__stderr__):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        os._exit(status)


def _start(run, line):
    """Fork the command of one request line; (pid, id, cwd)."""
    request = json.loads(line)
    argv = [str(word) for word in request["argv"]]
    cwd = str(request["cwd"])
    env = {str(k): str(v) for k, v in request.get("env", {}).items()}
    merge = bool(request.get("merge"))
    for name in OUTPUTS:
        # Truncated here: with merge the child appends to the first.
        open(os.path.join(cwd, name), "w").close()
    pid = os.fork()
    if pid == 0:
        _child(run, argv, cwd, env, merge)
    return pid, request.get("id"), cwd


def _answer(pid, ident, cwd):
    """Reap the command's process and write its answer line."""
    _, status = os.waitpid(pid, 0)
    answer = [ident, os.waitstatus_to_exitcode(status)]
    for name in OUTPUTS:
        with open(os.path.join(cwd, name), encoding="utf-8",
                  errors="replace") as fh:
            answer.append(fh.read())
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def main():
    run = TOOLS[sys.argv[1]]()
    # A pidfd per running command becomes readable when it ends, so one
    # select() waits for the next request and for every command at once.
    running = {}
    pending = b""
    reading = True
    while reading or running:
        waiting = [*running, *([0] if reading else [])]
        for fd in select.select(waiting, [], [])[0]:
            if fd != 0:
                _answer(*running.pop(fd))
                os.close(fd)
                continue
            chunk = os.read(0, 65536)
            reading = bool(chunk)
            pending += chunk
            while b"\n" in pending:
                line, _, pending = pending.partition(b"\n")
                started = _start(run, line)
                if hasattr(os, "pidfd_open"):
                    running[os.pidfd_open(started[0])] = started
                else:  # no pidfd (Linux < 5.3): one command at a time
                    _answer(*started)


if __name__ == "__main__":
    main()
