#!/bin/bash
# Galera health check for HAProxy, run by xinetd on port 9200.
#
# Answers "200 OK" when this node is Synced in a Primary component and
# "503 Service Unavailable" otherwise, including when mariadbd is down.
# HAProxy sends the 3306 traffic only to nodes that answer 200.
#
# Usage: galera-healthcheck.sh [DEFAULTS_FILE [DRAIN_FILE]]
# DEFAULTS_FILE holds the [client] credentials of the check user
# (default /etc/mysql/healthcheck.cnf); the user needs only PROCESS.
# While DRAIN_FILE exists (default /var/tmp/galera-healthcheck.disabled)
# the node answers 503 whatever its state: touch it to move the traffic
# away before maintenance, remove it to take the node back.

set -u

defaults_file=${1:-/etc/mysql/healthcheck.cnf}
drain_file=${2:-/var/tmp/galera-healthcheck.disabled}

# Seconds to wait for the server before declaring the node unavailable;
# shorter than HAProxy's "timeout check" so HAProxy gets an answer.
query_timeout=5

respond() {
    local status=$1 body=$2
    printf 'HTTP/1.1 %s\r\n' "$status"
    printf 'Content-Type: text/plain\r\n'
    printf 'Content-Length: %d\r\n' "${#body}"
    printf 'Connection: close\r\n'
    printf '\r\n%s' "$body"
}

# Read the request up to its blank line: closing the socket with unread
# data would make the kernel send a reset instead of our answer.
while IFS= read -r -t 2 line; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
done

if [ -e "$drain_file" ]; then
    respond "503 Service Unavailable" $'Galera node is drained by hand.\n'
    exit 0
fi

# --defaults-extra-file must come first; the distribution's client
# settings (socket path) are still read.
status=$(timeout "$query_timeout" mariadb \
    --defaults-extra-file="$defaults_file" \
    --connect-timeout=2 --batch --skip-column-names \
    --execute="SHOW GLOBAL STATUS WHERE Variable_name IN
        ('wsrep_local_state', 'wsrep_local_state_comment',
         'wsrep_cluster_status')" 2>/dev/null)

state='' comment='' cluster=''
while IFS=$'\t' read -r name value; do
    case $name in
        wsrep_local_state) state=$value ;;
        wsrep_local_state_comment) comment=$value ;;
        wsrep_cluster_status) cluster=$value ;;
    esac
done <<< "$status"

# wsrep_local_state 4 is Synced; Joining (1), Donor/Desynced (2) and
# Joined (3) must not take traffic.
if [ -z "$state" ]; then
    respond "503 Service Unavailable" $'MariaDB is not answering.\n'
elif [ "$state" = 4 ] && [ "$cluster" = Primary ]; then
    respond "200 OK" $'Galera node is Synced.\n'
else
    message="Galera node is ${comment:-unknown}"
    message+=" in a ${cluster:-unknown} component."
    respond "503 Service Unavailable" "$message"$'\n'
fi
