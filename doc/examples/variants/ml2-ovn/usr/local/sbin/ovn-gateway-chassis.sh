#!/bin/sh
# Makes controller1 an OVN chassis that can host router gateways. Run it
# once, after installing ovn-host (which pulls in openvswitch-switch):
# the settings are kept in the Open vSwitch database, and ovn-controller
# reads them at every start. Per-node lines: see cluster.yaml.
#
# Neutron schedules a router's gateway port only onto chassis whose
# ovn-cms-options contain enable-chassis-as-gw and whose bridge mappings
# reach the router's external network; it writes an HA_Chassis_Group
# with one priority per chassis, and the highest-priority chassis that
# its peers can reach over BFD holds the port.
set -eu

# The external network is the flat physical network "provider" of
# ml2_conf.ini; br-provider is its bridge and eth2 the interface that
# carries it. The interface has no address of its own.
ovs-vsctl --may-exist add-br br-provider
ovs-vsctl --may-exist add-port br-provider eth2

# system-id names the chassis (neutron shows it as the agent's host).
# ovn-remote lists the southbound relays of the three controllers: the
# chassis connects to one of them and moves to another when it fails.
# Tunnels to the other chassis leave from the management address, as
# local_ip does with ML2/OVS; geneve is what neutron's [ml2_type_geneve]
# expects.
ovs-vsctl set Open_vSwitch . \
    external-ids:system-id=controller1 \
    external-ids:ovn-remote=tcp:10.0.0.12:16642,tcp:10.0.0.13:16642,tcp:10.0.0.14:16642 \
    external-ids:ovn-encap-type=geneve \
    external-ids:ovn-encap-ip=10.0.0.12 \
    external-ids:ovn-bridge-mappings=provider:br-provider \
    external-ids:ovn-cms-options=enable-chassis-as-gw
