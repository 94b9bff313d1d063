# Shell helpers for system tests: every system test runs its commands inside
# a private mount + network namespace held open by one "holder" process, so
# its namespaces, links and OVS sandbox vanish with it and never touch the
# host.  /run/netns, /run/openvswitch and /run/vplug are private tmpfs
# mounts there, so nothing can reach a system OVS.

# ns_start: creates the private namespaces for the current test (run from the
# test's directory).  Exits 77 (skip) where the machine cannot create them.
ns_start () {
    if test "$(id -u)" != 0; then
        echo "system test needs root to create namespaces: skipped"
        exit 77
    fi
    rm -f holder.pid
    unshare --mount --net --propagation private --fork sh -c '
        for d in /run/netns /run/openvswitch /run/vplug /var/log/openvswitch; do
            mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || exit 1
        done
        ip link set lo up
        echo $$ > holder.pid.tmp && mv holder.pid.tmp holder.pid
        exec sleep 100000' > holder.log 2>&1 &
    for i in $(seq 1 100); do
        test -s holder.pid && break
        sleep 0.05
    done
    if test ! -s holder.pid; then
        echo "cannot create private mount+net namespaces (unshare failed): skipped"
        cat holder.log
        exit 77
    fi
    NS_HOLDER=$(cat holder.pid)
    export NS_HOLDER
    trap 'ns_stop' EXIT
}

# ns CMD...: runs CMD inside the test's private namespaces, in this
# directory.
ns () {
    nsenter --target "$NS_HOLDER" --mount --net --wd="$PWD" -- "$@"
}

# ns_sh SCRIPT: runs a shell script inside the private namespaces.
ns_sh () {
    nsenter --target "$NS_HOLDER" --mount --net --wd="$PWD" -- sh -c "$1"
}

# ns_stop: ends every process in the test's private network namespace (all
# of them were started by this test), which frees the namespaces.
ns_stop () {
    test -n "$NS_HOLDER" || return 0
    holder_ns=$(readlink /proc/$NS_HOLDER/ns/net 2>/dev/null) || return 0
    holder_mnt=$(readlink /proc/$NS_HOLDER/ns/mnt 2>/dev/null)
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        # Daemons in namespaces made inside the test (a rehearsed OVN
        # chassis's) share the test's mount namespace, not its network one.
        test "$(readlink $p/ns/net 2>/dev/null)" = "$holder_ns" \
            || test "$(readlink $p/ns/mnt 2>/dev/null)" = "$holder_mnt" \
            || continue
        test "$pid" = "$NS_HOLDER" && continue
        kill -9 "$pid" 2>/dev/null
    done
    kill -9 "$NS_HOLDER" 2>/dev/null
    NS_HOLDER=
}

# ovs_sandbox_start DIR [OVSDB-SERVER-OPTIONS]: starts a private
# ovsdb-server + ovs-vswitchd (userspace datapath) in DIR inside the test's
# namespaces, independently of vplug's own sandbox code, as the reference
# peer.  OVSDB-SERVER-OPTIONS are added to ovsdb-server's command line (an
# extra --remote, say); ovs-vswitchd always connects over DIR/db.sock.
ovs_sandbox_start () {
    dir=${1:-$PWD/ovs}
    extra=$2
    mkdir -p "$dir"
    ns_sh "
        export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir
        $OVSDB_TOOL create $dir/conf.db /usr/share/openvswitch/vswitch.ovsschema &&
        $OVSDB_SERVER --detach --no-chdir --pidfile=$dir/ovsdb-server.pid \
            --log-file=$dir/ovsdb-server.log \
            --remote=punix:$dir/db.sock $extra $dir/conf.db &&
        ovs-vsctl --db=unix:$dir/db.sock --no-wait init &&
        $OVS_VSWITCHD --detach --no-chdir --disable-system \
            --pidfile=$dir/ovs-vswitchd.pid --log-file=$dir/ovs-vswitchd.log \
            unix:$dir/db.sock" || return 1
    OVS_DIR=$dir
    export OVS_DIR
}

# vsctl ARGS: ovs-vsctl against the test's sandbox.
vsctl () {
    ns ovs-vsctl --db=unix:$OVS_DIR/db.sock --timeout=10 "$@"
}
