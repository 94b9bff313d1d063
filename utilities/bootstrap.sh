#!/bin/sh
# bootstrap.sh demo|check — for a fresh Debian 12 machine, as root:
# installs the Debian packages vplug needs, builds it, then either runs the
# demo lab (demo) or the whole test suite under AddressSanitizer and
# UndefinedBehaviorSanitizer (check), ending with "N passed, N failed,
# N skipped".
set -eu

what=${1:-}
case $what in
    demo|check) ;;
    *) echo "usage: $0 demo|check" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "$0: run as root: it installs packages and creates namespaces" >&2
    exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Packages: build tools and libraries, then the peers the tests run against.
# openvswitch-source is the OVS tree whose libopenvswitch vplug links (Debian
# has no -dev package for it); building it needs python3, and libssl-dev for
# ssl: remotes, and libcap-ng-dev for the OVS daemon option --user (it keeps
# only the capabilities the daemon needs after dropping root).  ovn-central
# ships the OVN_Northbound schema the NB IDL is generated from, and with
# ovn-host the ovn-northd and ovn-controller an OVN lab's rehearsal starts.
pkgs="gcc make autoconf automake libtool pkg-config python3
      libjansson-dev libnl-3-dev libnl-route-3-dev libssl-dev libcap-ng-dev
      openvswitch-source
      openvswitch-switch ovn-central ovn-host iproute2 iputils-ping tcpdump iperf3 ethtool
      util-linux procps jq time bash-completion graphviz
      debhelper dpkg-dev fakeroot
      clang-15 libfuzzer-15-dev"
echo "== installing packages"
# Installing openvswitch-switch must not start a system OVS: vplug runs its
# own private one.  policy-rc.d (only if none exists) stops the package's
# init scripts for the length of the install.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy
    made_policy=yes
fi
status=0
apt-get update -q >/dev/null || status=$?
if [ $status = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends $pkgs >/dev/null || status=$?
fi
[ -z "$made_policy" ] || rm -f $policy
if [ $status != 0 ]; then
    echo "$0: apt-get failed (exit $status)" >&2
    exit 1
fi

echo "== building (the first build also builds libopenvswitch, ~2 minutes)"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
jobs=$(nproc 2>/dev/null || echo 2)
if [ $what = check ]; then
    build=_build-check
    flags=--enable-sanitizers
else
    build=_build
    flags=
fi
mkdir -p $build
(cd $build && "$top/configure" -q $flags --enable-Werror >/dev/null)
make -s -C $build -j"$jobs" >/dev/null

if [ $what = demo ]; then
    exec sh "$top/utilities/vplug-demo.sh" "$top/$build"
fi

echo "== testing"
log=$build/check.log
set +e
{ make -s -C $build check TESTSUITEFLAGS="-j$jobs ${TESTSUITEFLAGS:-}" 2>&1
  echo $? > $build/check.rc; } | tee "$log"
rc=$(cat $build/check.rc)
set -e
passed=$(grep -cE '^ *[0-9]+: .* ok$' "$log" || true)
failed=$(grep -cE '^ *[0-9]+: .* FAILED' "$log" || true)
skipped=$(grep -cE '^ *[0-9]+: .* skipped' "$log" || true)
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
    # The suite did not run to the end (a build or harness error).
    failed=1
fi

# The release tarball builds and its root-free tests pass (make distcheck);
# the Debian package builds, installs with dpkg -i, runs the seed's OVS
# scenario and purges cleanly (make check-deb; it puts the machine's package
# set back); each libFuzzer target runs 20 s from its seed corpus (make
# fuzz-run).  Each counts as one test.  The package reuses the library this
# build made from openvswitch-source.
ovs_tree=$top/$build/ovs
for target in distcheck check-deb fuzz-run; do
    echo "== make $target"
    if make -s -C $build $target \
            TESTSUITEFLAGS="-j$jobs -k topology -k completion" \
            VPLUG_DEB_CONFIGURE_FLAGS="--with-ovs-source=$ovs_tree --with-ovs-build=$ovs_tree" \
            DEB_JOBS="$jobs" > $build/$target.log 2>&1; then
        passed=$((passed + 1))
        echo "$target: ok"
    else
        failed=$((failed + 1))
        tail -30 $build/$target.log
        echo "$target: FAILED (see $build/$target.log)"
    fi
done
# CI shows only the end of what it printed: the end of each failed test's
# log goes here, just before the count.
for n in $(sed -nE 's/^ *([0-9]+): .* FAILED.*/\1/p' "$log" | head -3); do
    dir=$build/tests/testsuite.dir/$(printf %03d "$n")
    [ -d "$dir" ] || dir=$build/tests/testsuite.dir/$n
    echo "== end of the log of failed test $n ($dir/testsuite.log)"
    tail -40 "$dir/testsuite.log" 2>/dev/null
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
