#!/bin/sh
# keepalived track script: succeed while HAProxy answers on its admin
# socket, fail otherwise.
#
# keepalived runs it every two seconds as user haproxy (script_user in
# keepalived.conf); the socket belongs to group haproxy with mode 660.
# Asking the socket, rather than "killall -0 haproxy", also fails a
# process that still exists but no longer answers.
#
# Install it owned by root and not writable by anyone else, or keepalived's
# script security refuses to run it:
#   install -o root -g root -m 0755 check_haproxy.sh /etc/keepalived/

SOCKET=/run/haproxy/admin.sock

# "show info" starts with "Name: HAProxy". socat gives up after two
# seconds of silence (-T 2), so a hung HAProxy cannot stall the check.
echo "show info" |
    socat -T 2 stdio "unix-connect:${SOCKET}" |
    grep -q '^Name: HAProxy$'
