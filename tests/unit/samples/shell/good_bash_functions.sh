#!/usr/bin/env bash
# Wait (bounded) until a Galera node reports Synced.
set -euo pipefail
wait_synced() {
    local tries=0
    while (( tries < 30 )); do
        if [[ "$(mysql -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" \
                | awk '{print $2}')" == Synced ]]; then
            return 0
        fi
        tries=$((tries + 1))
        sleep 1
    done
    return 1
}
wait_synced
