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
"""pcs for many commands: imported once, each command in a fresh fork.

Run by pcs's own interpreter (the one its script names), never imported
by confcheck: reads one JSON object per line on standard input,
``{"argv": [pcs arguments], "cwd": directory}``, and answers one JSON
line ``[status, stdout, stderr]`` per command, as ``pcs ARGS`` run in
that directory would exit and print. Importing pcs takes most of a pcs
call; forking after the import keeps every command's state (pcs caches
reports and runners per process) as separate as separate runs.
"""

import json
import os
import sys

import pcs.app

OUTPUTS = ("stdout.txt", "stderr.txt")


def _child(argv, cwd):
    """Run one pcs command in this (forked) process and exit with it."""
    status = 1
    try:
        os.chdir(cwd)
        for fd, name in zip((1, 2), OUTPUTS, strict=True):
            out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                          0o600)
            os.dup2(out, fd)
            os.close(out)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        try:
            pcs.app.main(argv)
            status = 0
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else (
                0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        # Never back into main()'s loop, whatever pcs raised (its
        # traceback is on the command's stderr).
        os._exit(status)


def main():
    for line in sys.stdin:
        request = json.loads(line)
        argv = [str(word) for word in request["argv"]]
        cwd = str(request["cwd"])
        pid = os.fork()
        if pid == 0:
            _child(argv, cwd)
        _, status = os.waitpid(pid, 0)
        answer = [os.waitstatus_to_exitcode(status)]
        for name in OUTPUTS:
            with open(os.path.join(cwd, name), encoding="utf-8",
                      errors="replace") as fh:
                answer.append(fh.read())
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
