#!/bin/sh
# check-deb.sh DEB VERSION NS-LIB: installs package DEB with dpkg -i, checks
# what it installed, runs the installed vplug (--version, and the seed's
# OVS scenario with --sandbox inside private mount+net namespaces, see
# NS-LIB), purges the package and checks that nothing it installed is left.
# Run as root by "make check-deb"; it changes the system's package set for
# its duration and puts it back.
set -eu
deb=$1 version=$2 nslib=$3

installed=
fail () {
    echo "check-deb: FAILED: $*" >&2
    # Put the machine's package set back.
    if [ -n "$installed" ]; then
        dpkg --purge vplug > /dev/null 2>&1 || true
    fi
    exit 1
}
if [ "$(id -u)" != 0 ]; then
    echo "check-deb: needs root (dpkg -i, namespaces): skipped"
    exit 77
fi
if dpkg-query -W -f '${Status}' vplug 2>/dev/null | grep -q ' installed'; then
    fail "a vplug package is installed already; not touching it"
fi

work=$(mktemp -d /tmp/check-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$deb" "$work/"
cd "$work"

echo "== dpkg -i $deb"
installed=yes
dpkg -i "$(basename "$deb")" > dpkg-i.log 2>&1 || { cat dpkg-i.log; fail "dpkg -i"; }
dpkg -L vplug > files
for f in /usr/bin/vplug /usr/sbin/vplugd \
         /usr/share/man/man8/vplug.8.gz /usr/share/man/man8/vplugd.8.gz \
         /lib/systemd/system/vplugd.service \
         /usr/share/bash-completion/completions/vplug; do
    grep -qx "$f" files || fail "the package does not install $f"
    test -e "$f" || fail "$f is listed but missing"
done
grep -q '^ExecStart=/usr/sbin/vplugd ' /lib/systemd/system/vplugd.service \
    || fail "vplugd.service does not start /usr/sbin/vplugd"
# Installed, not enabled, not started.
test ! -e /etc/systemd/system/multi-user.target.wants/vplugd.service \
    || fail "vplugd.service was enabled"
# Other vplugds (a test suite's) may run; none may be the installed one.
for pid in $(pgrep -x vplugd || true); do
    if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/vplugd ]; then
        fail "the installed vplugd runs after install (pid $pid)"
    fi
done
# Depends come from dpkg-shlibdeps; openvswitch-switch is recommended.
depends=$(dpkg-query -W -f '${Depends}' vplug)
echo "$depends" | grep -q 'libc6' || fail "Depends has no libc6: $depends"
echo "$depends" | grep -q 'libjansson4' || fail "Depends has no libjansson4: $depends"
dpkg-query -W -f '${Recommends}' vplug | grep -qx 'openvswitch-switch' \
    || fail "vplug does not recommend openvswitch-switch"

echo "== /usr/bin/vplug --version"
out=$(/usr/bin/vplug --version)
case $out in
    "vplug $version
Open vSwitch Library "*) ;;
    *) fail "vplug --version said '$out'" ;;
esac

echo "== seed 4 with the installed vplug, in private namespaces"
. "$nslib"
ns_start
trap 'ns_stop; rm -rf "$work"' EXIT
ns /usr/bin/vplug --sandbox link ns1/veth0=10.1.1.2/24 ns2/veth2=10.1.1.3/24 \
    --via=ovs:ovs-br --name=s4 > link.out || fail "vplug --sandbox link"
grep -qx "topology 's4' applied: 2 links (2 new), 1 switch" link.out \
    || { cat link.out; fail "link did not apply"; }
ns ip netns exec ns1 ping -c1 -W2 10.1.1.3 > ping.out \
    || { cat ping.out; fail "ns1 cannot ping ns2 through ovs-br"; }
ns /usr/bin/vplug --sandbox verify s4 | tail -1 | grep -qx '2 pairs probed: 2 ok, 0 failed' \
    || fail "verify"
ns /usr/bin/vplug --sandbox destroy s4 > /dev/null || fail "destroy"
ns /usr/bin/vplug sandbox stop > /dev/null || fail "sandbox stop"
ns_stop
trap 'rm -rf "$work"' EXIT

echo "== dpkg --purge vplug"
dpkg --purge vplug > purge.log 2>&1 || { cat purge.log; fail "dpkg --purge"; }
installed=
dpkg-query -W -f '${Status}' vplug 2>/dev/null | grep -q 'config-files\| installed' \
    && fail "vplug is still known to dpkg after purge"
while read -r f; do
    # Directories the package shares with others (/usr/bin) stay.
    if [ -d "$f" ]; then
        case $f in
            */vplug|*/vplug/*) test ! -e "$f" || fail "$f is left after purge" ;;
        esac
    elif [ -e "$f" ] || [ -L "$f" ]; then
        fail "$f is left after purge"
    fi
done < files
for f in /etc/vplug /var/lib/vplug /var/log/openvswitch/vplugd.log; do
    test ! -e "$f" || fail "$f is left after purge"
done
echo "check-deb: ok ($(basename "$deb") installed, ran the OVS seed, purged)"
