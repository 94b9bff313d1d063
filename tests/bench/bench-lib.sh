# Shared helpers of tests/bench/run-bench and tests/bench/soak (bash).
#
# Every run happens inside private mount + network namespaces held open by
# one "holder" process (as tests/ns-lib.sh does), with tmpfs on /run/netns,
# /run/openvswitch, /run/vplug and /var/log/openvswitch, and a private OVS
# (ovsdb-server + ovs-vswitchd --disable-system, userspace datapath) in a
# directory of the work dir: nothing reaches the host.  The scripts only ever
# kill processes they started, by pid.

PATH=$PATH:/usr/sbin:/sbin

OVSDB_TOOL=${OVSDB_TOOL:-ovsdb-tool}
OVSDB_SERVER=${OVSDB_SERVER:-ovsdb-server}
OVS_VSWITCHD=${OVS_VSWITCHD:-ovs-vswitchd}
OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

# A sanitizer build of vplug must not turn every run into "exit 1" because
# of a leak report at exit: leaks are "make check"'s business.
ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-}
export ASAN_OPTIONS

HOLDER=
OVS_DIR=

die () { echo "$PROG: $*" >&2; exit 1; }
note () { echo "$PROG: $*" >&2; }

now () { echo "$EPOCHREALTIME"; }
# fsub A B: A - B with 3 decimals.
fsub () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# holder_start DIR: private mount+net namespaces held by a sleeping process.
holder_start () {
    local dir=$1 i
    rm -f "$dir/holder.pid"
    unshare --mount --net --propagation private --fork sh -c '
        for d in /run/netns /run/openvswitch /run/vplug /var/log/openvswitch; do
            mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || exit 1
        done
        ip link set lo up
        echo $$ > "$1/holder.pid.tmp" && mv "$1/holder.pid.tmp" "$1/holder.pid"
        exec sleep 1000000' sh "$dir" > "$dir/holder.log" 2>&1 &
    disown $!
    for i in $(seq 1 100); do
        test -s "$dir/holder.pid" && break
        sleep 0.05
    done
    test -s "$dir/holder.pid" || { cat "$dir/holder.log" >&2; return 1; }
    HOLDER=$(cat "$dir/holder.pid")
}

# inns CMD...: runs CMD inside the holder's namespaces (nsenter execs CMD, so
# the timed process is CMD itself).
inns () { nsenter --target "$HOLDER" --mount --net -- "$@"; }

# holder_stop: ends every process in the holder's network namespace (all were
# started by this script: the OVS daemons, pollers) and the holder itself.
# Named namespaces and everything in them go away with the mount namespace.
holder_stop () {
    test -n "$HOLDER" || return 0
    local netns p pid
    netns=$(readlink /proc/$HOLDER/ns/net 2>/dev/null) || { HOLDER=; return 0; }
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        test "$pid" = "$HOLDER" && continue
        test "$(readlink $p/ns/net 2>/dev/null)" = "$netns" || continue
        kill -9 "$pid" 2>/dev/null
    done
    kill -9 "$HOLDER" 2>/dev/null
    while kill -0 "$HOLDER" 2>/dev/null; do sleep 0.01; done
    HOLDER=
}

# ovs_start DIR: private ovsdb-server + ovs-vswitchd (userspace datapath) in
# DIR, inside the holder's namespaces, as tests/ns-lib.sh ovs_sandbox_start.
ovs_start () {
    OVS_DIR=$1
    rm -rf "$OVS_DIR"
    mkdir -p "$OVS_DIR"
    inns env OVS_RUNDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" sh -c "
        $OVSDB_TOOL create $OVS_DIR/conf.db $OVS_SCHEMA &&
        $OVSDB_SERVER --detach --no-chdir --pidfile=$OVS_DIR/ovsdb-server.pid \
            --log-file=$OVS_DIR/ovsdb-server.log \
            --remote=punix:$OVS_DIR/db.sock $OVS_DIR/conf.db &&
        ovs-vsctl --db=unix:$OVS_DIR/db.sock --no-wait init" \
        >> "$OVS_DIR/start.log" 2>&1 || return 1
    vswitchd_start
}

vswitchd_start () {
    inns env OVS_RUNDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" \
        $OVS_VSWITCHD --detach --no-chdir --disable-system \
            --pidfile="$OVS_DIR/ovs-vswitchd.pid" \
            --log-file="$OVS_DIR/ovs-vswitchd.log" "unix:$OVS_DIR/db.sock" \
        >> "$OVS_DIR/start.log" 2>&1
}

# vswitchd_kill: SIGKILL to our ovs-vswitchd, by the pid in its pidfile.
vswitchd_kill () {
    local pid
    pid=$(cat "$OVS_DIR/ovs-vswitchd.pid" 2>/dev/null) || return 1
    kill -9 "$pid" 2>/dev/null || return 1
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
    rm -f "$OVS_DIR/ovs-vswitchd.pid"
}

vsctl () { inns ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }

# settle [MAX_S]: waits until the machine is idle (>= 90% idle over 0.5 s;
# netns cleanup runs in kernel workers after "ip netns del" returns), at most
# MAX_S seconds (default 30).
settle () {
    local max=${1:-30} t0 a b
    t0=$SECONDS
    while test $((SECONDS - t0)) -lt "$max"; do
        a=$(awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat)
        sleep 0.5
        b=$(awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat)
        set -- $a $b
        awk -v t=$(( $3 - $1 )) -v i=$(( $4 - $2 )) \
            'BEGIN { exit !(t > 0 && i / t >= 0.9) }' && return 0
    done
    return 0
}

# gen_topology SHAPE N VIA NAME: prints a topology file.  Uses
# "vplug generate" when it works, else an equivalent built here (hosts hI,
# star ports SWPREFIX-vethI on switch ovs-br (ovs) or br0 (bridge), line
# links between hI and hI+1).
gen_topology () {
    local shape=$1 n=$2 via=$3 name=$4 i a b
    if "$VPLUG" generate "$shape" "$n" --via="$via" --name="$name" 2>/dev/null; then
        return 0
    fi
    case $shape/$via in
    star/ovs|star/bridge)
        local sw pfx kind
        if test "$via" = ovs; then
            sw=ovs-br pfx=ovs kind='"kind": "ovs", "datapath": "netdev"'
        else
            sw=br0 pfx=br kind='"kind": "bridge"'
        fi
        printf '{"name": "%s",\n "switches": {"%s": {%s}},\n "links": [\n' \
            "$name" "$sw" "$kind"
        for i in $(seq 1 "$n"); do
            printf '  {"ends": [{"ns": "h%d", "ifname": "veth%d", "addrs": ["%s/16"]},\n' \
                "$i" "$i" "$(host_addr "$i")"
            printf '            {"switch": "%s", "ifname": "%s-veth%d"}]}%s\n' \
                "$sw" "$pfx" "$i" "$(test "$i" = "$n" || echo ,)"
        done
        printf ' ]}\n'
        ;;
    line/direct)
        printf '{"name": "%s",\n "links": [\n' "$name"
        for i in $(seq 1 $((n - 1))); do
            a=$((2 * i - 1)) b=$((2 * i))
            printf '  {"ends": [{"ns": "h%d", "ifname": "e%d", "addrs": ["10.%d.%d.1/30"]},\n' \
                "$i" "$a" $((i / 60)) $(((i % 60) * 4))
            printf '            {"ns": "h%d", "ifname": "e%d", "addrs": ["10.%d.%d.2/30"]}]}%s\n' \
                $((i + 1)) "$b" $((i / 60)) $(((i % 60) * 4)) \
                "$(test "$i" = $((n - 1)) || echo ,)"
        done
        printf ' ]}\n'
        ;;
    *) die "cannot generate $shape via $via" ;;
    esac
}

# host_addr I: 10.0.0.0/16 address of host I (never .0 or .255).
host_addr () { echo "10.0.$(($1 / 250)).$(($1 % 250 + 1))"; }

# topo_ns FILE: the namespaces of FILE, in order, one a line.
topo_ns () { jq -r '[.links[].ends[] | select(.ns != null) | .ns] | unique_by(.) | .[]' "$1"; }
