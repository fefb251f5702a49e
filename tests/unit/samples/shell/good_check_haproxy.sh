#!/bin/sh
# Exit 0 when the local HAProxy answers on its stats socket.
set -eu
socket=/var/lib/haproxy/admin.sock
if [ ! -S "$socket" ]; then
    exit 1
fi
case "$(echo 'show info' | socat - "UNIX-CONNECT:$socket" 2>/dev/null)" in
    *Uptime*) exit 0 ;;
    *) exit 1 ;;
esac
