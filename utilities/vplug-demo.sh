#!/bin/sh
# vplug-demo.sh [BUILD_DIR]: the seed article's four scenarios, each built,
# verified and torn down with vplug, inside private mount + network
# namespaces so that nothing touches the host.  Scenario 4 runs on a private
# OVS sandbox (ovsdb-server + ovs-vswitchd, userspace datapath).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
seeds=$top/utilities/seeds

if [ -z "${VPLUG_DEMO_INSIDE:-}" ]; then
    # Re-run inside private namespaces with private /run directories.
    exec unshare --mount --net --propagation private \
        env VPLUG_DEMO_INSIDE=1 sh -c '
            for d in /run/netns /run/openvswitch /run/vplug; do
                mkdir -p $d && mount -t tmpfs -o mode=0755 tmpfs $d
            done
            ip link set lo up
            exec sh "$0" "$1"' "$0" "$build"
fi

PATH=$build/utilities:$PATH
run () {
    echo "\$ $*"
    "$@"
}

echo "== seed 1: one veth pair, both ends in namespace ns1"
run vplug apply "$seeds/seed1-same-ns.json"
run ip netns exec ns1 ping -c1 -W2 -I veth0 10.1.1.3
run vplug verify seed1
run vplug destroy seed1

echo
echo "== seed 2: ns1 and ns2 joined directly"
run vplug link ns1/veth0=10.1.1.2/24 ns2/veth2=10.1.1.3/24 --via=direct --name=seed2
run ip netns exec ns1 ping -c1 -W2 10.1.1.3
run vplug destroy seed2

echo
echo "== seed 3: ns1 and ns2 through Linux bridge br0"
run vplug link ns1/veth0=10.1.1.2/24 ns2/veth2=10.1.1.3/24 --via=bridge:br0 --name=seed3
run ip netns exec ns1 ping -c1 -W2 10.1.1.3
run vplug show seed3
run vplug destroy seed3

echo
echo "== seed 4: ns1 and ns2 through Open vSwitch bridge ovs-br (private OVS)"
run vplug --sandbox apply "$seeds/seed4-ovs.json"
run vplug --sandbox show seed4
run ovs-vsctl --db=unix:/run/vplug/sandbox/db.sock show
run vplug verify --tcp seed4
echo "\$ ip netns exec ns1 iperf3 -c 10.1.1.3 -t 3   # through ovs-br"
ip netns exec ns2 iperf3 -s -1 -D -B 10.1.1.3 --logfile /run/vplug/iperf3.log
for i in 1 2 3 4 5 6 7 8 9 10; do
    ip netns exec ns2 ss -ltn | grep -q 5201 && break
    sleep 0.1
done
ip netns exec ns1 iperf3 -c 10.1.1.3 -t 3 | grep 'sender$' \
    | sed 's/^/seed 4 iperf3: /'
run vplug --sandbox destroy seed4
run vplug sandbox stop

echo
echo "demo: all four seed scenarios built, verified and torn down"
