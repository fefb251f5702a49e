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
"""A stand-in BMC, seen by fence_ipmilan through its ipmitool_path.

The lab has no IPMI. fence_ipmilan (the real agent, unchanged) runs this
program in place of ipmitool, with ipmitool's arguments: -I lanplus
-H ADDRESS ... chassis power status|off|on. Its state lives in files
next to it, one set per BMC address, shared with the test:

- ADDRESS.reachable: while it exists the BMC answers; without it every
  call fails after DELAY seconds with ipmitool's session error, as an
  unreachable BMC does.
- ADDRESS.power: "on" (the default) or "off". "power off" does not
  write it: it leaves ADDRESS.off-requested, and the test, which plays
  the power supply, kills every process of the node and then writes
  "off". Until then "power status" keeps answering "on", as a real BMC
  does while the host goes down. "power on" writes "on" but boots
  nothing: the test does not need the node back.
- ADDRESS.calls: one line per call (wall-clock time, action, answered
  or not), for the test's figures.

It runs inside the controllers with the lab root's Python, so it uses
the standard library only.
"""

import sys
import time
from pathlib import Path

STATE = Path(__file__).resolve().parent
# Seconds an unreachable BMC takes to fail: less than fence_ipmilan's
# default shell timeout for one ipmitool call.
DELAY = 2.0
SESSION_ERROR = "Error: Unable to establish IPMI v2 / RMCP+ session"


def main(argv: list[str]) -> int:
    address = argv[argv.index("-H") + 1] if "-H" in argv else ""
    action = argv[-1] if argv[-3:-1] == ["chassis", "power"] else ""
    state = STATE / address
    reachable = Path(f"{state}.reachable").exists()
    with open(f"{state}.calls", "a", encoding="utf-8") as calls:
        calls.write(f"{time.time():.3f} {action} "
                    f"{'answered' if reachable else 'unreachable'}\n")
    if not address or not reachable:
        time.sleep(DELAY)
        print(SESSION_ERROR, file=sys.stderr)
        return 1
    power = Path(f"{state}.power")
    if action == "status":
        current = power.read_text().strip() if power.exists() else "on"
        print(f"Chassis Power is {current}")
    elif action == "off":
        Path(f"{state}.off-requested").write_text(f"{time.time():.3f}\n")
        print("Chassis Power Control: Down/Off")
    elif action == "on":
        power.write_text("on\n")
        print("Chassis Power Control: Up/On")
    else:
        print(f"Unsupported action {action!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
