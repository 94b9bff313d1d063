/* Route netlink over libnl-route-3.
 *
 * Every request is synchronous: it is sent with NLM_F_ACK and this module
 * waits for the kernel's answer before returning, so a caller that gets 0
 * knows the kernel did it.  Single lookups use rtnl_link_get_kernel() (one
 * RTM_GETLINK) rather than a link cache, which would dump every link of the
 * namespace on every call.
 *
 * Errors: libnl turns the kernel's errno into its own NLE_* codes, losing
 * detail (every errno without an NLE_* twin, such as ENETUNREACH or
 * ENOTCONN, becomes NLE_FAILURE).  So each socket carries an error callback that records the errno of the
 * kernel's NLMSG_ERROR, and rtnl_result() is the one place where a libnl
 * return value becomes a positive errno: the kernel's own errno when it sent
 * one, otherwise a translation of the NLE_* code.
 *
 * A 'struct rtnl' is used by one thread at a time. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

/* libnl's functions whose names rtnl.h gives to its own (see there): they
 * are reached through these before rtnl.h renames them, which is why rtnl.h
 * is included after libnl's headers here. */
static int
libnl_link_delete(struct nl_sock *sk, const struct rtnl_link *link)
{
    return rtnl_link_delete(sk, link);
}

static void
libnl_link_set_mtu(struct rtnl_link *link, unsigned int mtu)
{
    rtnl_link_set_mtu(link, mtu);
}

static void
libnl_link_set_master(struct rtnl_link *link, int ifindex)
{
    rtnl_link_set_master(link, ifindex);
}

static int
libnl_addr_add(struct nl_sock *sk, struct rtnl_addr *addr, int flags)
{
    return rtnl_addr_add(sk, addr, flags);
}

static int
libnl_route_add(struct nl_sock *sk, struct rtnl_route *route, int flags)
{
    return rtnl_route_add(sk, route, flags);
}

#include "rtnl.h"
#include "netns.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(rtnl);

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

/* IPv6 address generation modes (IFLA_INET6_ADDR_GEN_MODE). */
#define ADDR_GEN_MODE_EUI64 0
#define ADDR_GEN_MODE_NONE 1

struct rtnl {
    struct nl_sock *sock;       /* NETLINK_ROUTE, connected. */
    int kernel_error;           /* Positive errno of the last NLMSG_ERROR
                                 * the kernel sent, or 0. */
};

/* Translates libnl error 'nle' (negative NLE_* code) to a positive errno,
 * for failures that did not come with a kernel errno. */
static int
nle_to_errno(int nle)
{
    switch (-nle) {
    case NLE_SUCCESS:        return 0;
    case NLE_INTR:           return EINTR;
    case NLE_BAD_SOCK:       return EBADF;
    case NLE_AGAIN:          return EAGAIN;
    case NLE_NOMEM:          return ENOMEM;
    case NLE_EXIST:          return EEXIST;
    case NLE_INVAL:          return EINVAL;
    case NLE_RANGE:          return ERANGE;
    case NLE_MSGSIZE:        return EMSGSIZE;
    case NLE_OPNOTSUPP:      return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT:   return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND:   return ENOENT;
    case NLE_NOADDR:         return EADDRNOTAVAIL;
    case NLE_MSG_TRUNC:      return EMSGSIZE;
    case NLE_BUSY:           return EBUSY;
    case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
    case NLE_NOACCESS:       return EACCES;
    case NLE_PERM:           return EPERM;
    case NLE_NODEV:          return ENODEV;
    case NLE_DUMP_INTR:      return EAGAIN;
    default:                 return EPROTO;
    }
}

/* The one conversion point: returns 0 if libnl result 'nle' is not an
 * error, else the errno the kernel sent for it, else nle_to_errno(). */
static int
rtnl_result(struct rtnl *r, int nle)
{
    int kernel_error = r->kernel_error;

    r->kernel_error = 0;
    if (nle >= 0) {
        return 0;
    }
    return kernel_error > 0 ? kernel_error : nle_to_errno(nle);
}

/* libnl calls this for each NLMSG_ERROR carrying an error. */
static int
rtnl_error_cb(struct sockaddr_nl *nla OVS_UNUSED, struct nlmsgerr *e,
              void *r_)
{
    struct rtnl *r = r_;

    r->kernel_error = e->error < 0 ? -e->error : e->error;
    return NL_STOP;
}

int
rtnl_open(int netns_fd, struct rtnl **rp)
{
    struct rtnl *r = xzalloc(sizeof *r);
    int saved_fd = -1;
    int error;

    *rp = NULL;
    r->sock = nl_socket_alloc();
    if (!r->sock) {
        free(r);
        return ENOMEM;
    }
    nl_socket_modify_err_cb(r->sock, NL_CB_CUSTOM, rtnl_error_cb, r);

    if (netns_fd >= 0) {
        error = netns_enter(netns_fd, &saved_fd);
        if (error) {
            goto error;
        }
    }
    /* The socket belongs to the namespace it is created in, for good. */
    error = rtnl_result(r, nl_connect(r->sock, NETLINK_ROUTE));
    if (saved_fd >= 0) {
        netns_restore(saved_fd);
    }
    if (error) {
        goto error;
    }

    /* libnl uses SOCK_CLOEXEC where it can; make sure regardless. */
    int fd = nl_socket_get_fd(r->sock);
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
        error = errno;
        goto error;
    }

    *rp = r;
    return 0;

error:
    VLOG_DBG("cannot open route netlink socket: %s", ovs_strerror(error));
    nl_socket_free(r->sock);
    free(r);
    return error;
}

void
rtnl_close(struct rtnl *r)
{
    if (r) {
        nl_socket_free(r->sock);
        free(r);
    }
}

bool
rtnl_ifname_is_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len >= IFNAMSIZ
        || !strcmp(name, ".") || !strcmp(name, "..")) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t'
            || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f') {
            return false;
        }
    }
    return true;
}

/* Parses "aa:bb:cc:dd:ee:ff" into a new libnl address in '*addrp'.
 * Returns 0 or EINVAL. */
static int
parse_mac(const char *s, struct nl_addr **addrp)
{
    unsigned char mac[6];
    int n = 0;

    *addrp = NULL;
    if (strlen(s) != 17
        || sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n",
                  &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5],
                  &n) != 6
        || n != 17) {
        return EINVAL;
    }
    for (int i = 2; i < 17; i += 3) {
        if (s[i] != ':') {
            return EINVAL;
        }
    }
    *addrp = nl_addr_build(AF_LLC, mac, sizeof mac);
    return *addrp ? 0 : ENOMEM;
}

/* Parses IP address 'addr' (with "/PLEN" if 'cidr') into a new libnl
 * address.  Without a prefix length, the address is a host address.
 * Returns 0 or EINVAL. */
static int
parse_ip(const char *s, bool cidr, struct nl_addr **addrp)
{
    char *copy = xstrdup(s);
    char *slash = strchr(copy, '/');
    unsigned char buf[16];
    int family, plen, max_plen;
    int error = EINVAL;

    *addrp = NULL;
    if (slash) {
        *slash = '\0';
    }
    if (slash ? !cidr : cidr) {
        goto out;
    }

    if (inet_pton(AF_INET, copy, buf) == 1) {
        family = AF_INET;
        max_plen = 32;
    } else if (inet_pton(AF_INET6, copy, buf) == 1) {
        family = AF_INET6;
        max_plen = 128;
    } else {
        goto out;
    }
    plen = max_plen;
    if (slash && (!str_to_int(slash + 1, 10, &plen)
                  || plen < 0 || plen > max_plen)) {
        goto out;
    }

    *addrp = nl_addr_build(family, buf, max_plen / 8);
    if (!*addrp) {
        error = ENOMEM;
        goto out;
    }
    nl_addr_set_prefixlen(*addrp, plen);
    error = 0;

out:
    free(copy);
    return error;
}

/* Looks up link 'name'.  On success stores a new reference in '*linkp'
 * (the caller puts it) and returns 0; otherwise ENODEV or errno. */
static int
link_lookup(struct rtnl *r, const char *name, struct rtnl_link **linkp)
{
    *linkp = NULL;
    if (!rtnl_ifname_is_valid(name)) {
        return ENODEV;
    }
    return rtnl_result(r, rtnl_link_get_kernel(r->sock, 0, name, linkp));
}

/* The ifindex of link 'name' in '*ifindexp' (0 on failure).  Returns 0,
 * ENODEV or errno.
 *
 * SIOCGIFINDEX on the rtnetlink socket itself: the kernel answers the
 * interface ioctls on a socket of any family, in the socket's namespace,
 * so this asks the same namespace as every request through 'r', without
 * an RTM_GETLINK whose full answer (statistics and all) libnl would
 * parse only for its index. */
static int
link_name_to_index(struct rtnl *r, const char *name, int *ifindexp)
{
    struct ifreq ifr;

    *ifindexp = 0;
    if (!rtnl_ifname_is_valid(name)) {
        return ENODEV;
    }
    memset(&ifr, 0, sizeof ifr);
    ovs_strlcpy(ifr.ifr_name, name, sizeof ifr.ifr_name);
    if (ioctl(nl_socket_get_fd(r->sock), SIOCGIFINDEX, &ifr) < 0) {
        return errno;
    }
    *ifindexp = ifr.ifr_ifindex;
    return 0;
}

/* Copies 'spec' into 'link' for RTM_NEWLINK, bringing it up only if 'up'.
 * The alias and the IPv6 mode are not part of it: see link_finish().
 * Returns 0 or EINVAL. */
static int
link_apply_spec(struct rtnl_link *link, const struct rtnl_link_spec *spec,
                bool up)
{
    if (!rtnl_ifname_is_valid(spec->name) || spec->mtu < 0) {
        return EINVAL;
    }
    rtnl_link_set_name(link, spec->name);
    if (spec->mac) {
        struct nl_addr *mac;
        int error = parse_mac(spec->mac, &mac);
        if (error) {
            return error;
        }
        rtnl_link_set_addr(link, mac);
        nl_addr_put(mac);
    }
    if (spec->mtu) {
        libnl_link_set_mtu(link, spec->mtu);
    }
    if (up) {
        rtnl_link_set_flags(link, IFF_UP);
    }
    return 0;
}

/* Sends 'changes' to existing link 'name', addressed by name (one request,
 * no lookup).  Returns 0, ENODEV or errno. */
static int
link_change(struct rtnl *r, const char *name, struct rtnl_link *changes)
{
    if (!rtnl_ifname_is_valid(name)) {
        return ENODEV;
    }

    struct rtnl_link *orig = rtnl_link_alloc();
    if (!orig) {
        return ENOMEM;
    }
    rtnl_link_set_name(orig, name);
    rtnl_link_set_name(changes, name);
    int error = rtnl_result(r, rtnl_link_change(r->sock, orig, changes, 0));
    rtnl_link_put(orig);
    return error;
}

/* Changes existing link 'name' in one request: its alias if 'alias' is
 * nonnull ("" clears it), its IPv6 address generation mode if 'gen_mode' is
 * nonnegative, and brings it up if 'up'.  The kernel applies the flags
 * before IFLA_AF_SPEC.
 *
 * A link without IPv6 (an MTU below 1280, or IPv6 disabled in the kernel)
 * refuses any IPv6 setting with EAFNOSUPPORT; asking it for no IPv6
 * addresses then succeeds, with the rest of the request sent again. */
static int link_update__(struct rtnl *, const char *name, const char *alias,
                         int gen_mode, bool up);

static int
link_update(struct rtnl *r, const char *name, const char *alias,
            int gen_mode, bool up)
{
    int error = link_update__(r, name, alias, gen_mode, up);

    if (error == EAFNOSUPPORT && gen_mode == ADDR_GEN_MODE_NONE) {
        VLOG_DBG("%s: no IPv6 on this link, so none to turn off", name);
        error = alias || up ? link_update__(r, name, alias, -1, up) : 0;
    }
    return error;
}

static int
link_update__(struct rtnl *r, const char *name, const char *alias,
              int gen_mode, bool up)
{
    struct rtnl_link *changes = rtnl_link_alloc();
    int error = 0;

    if (!changes) {
        return ENOMEM;
    }
    if (alias) {
        rtnl_link_set_ifalias(changes, alias);
    }
    if (gen_mode >= 0) {
        error = nle_to_errno(rtnl_link_inet6_set_addr_gen_mode(changes,
                                                               gen_mode));
    }
    if (up) {
        rtnl_link_set_flags(changes, IFF_UP);
    }
    if (!error) {
        error = link_change(r, name, changes);
    }
    rtnl_link_put(changes);
    return error;
}

static int
link_set_up(struct rtnl *r, const char *name, bool up)
{
    struct rtnl_link *changes = rtnl_link_alloc();
    if (!changes) {
        return ENOMEM;
    }
    if (up) {
        rtnl_link_set_flags(changes, IFF_UP);
    } else {
        rtnl_link_unset_flags(changes, IFF_UP);
    }
    int error = link_change(r, name, changes);
    rtnl_link_put(changes);
    return error;
}

/* Deletes 'name' after a failed creation, keeping the first error. */
static void
link_undo(struct rtnl *r, const char *name)
{
    int error = rtnl_link_delete(r, name);
    if (error) {
        VLOG_DBG("%s: cannot delete after a failed creation: %s",
                 name, ovs_strerror(error));
    }
}

/* Does for link 'spec->name', just created through 'r', what RTM_NEWLINK
 * could not do (measured on 6.x):
 *
 *   - The kernel ignores IFLA_IFALIAS in RTM_NEWLINK.
 *
 *   - It rejects IFLA_AF_SPEC there (EAFNOSUPPORT for the link itself, a
 *     failure for a veth peer), so the "none" IPv6 address generation mode
 *     cannot be part of the creation.  A link with 'ipv6_off' is therefore
 *     created down, gets its mode, and only then goes up.  IPv6 configures
 *     a link once it has a carrier, so it may go up in the very request that
 *     sets its mode (the kernel applies the flags first) only if that cannot
 *     give it a carrier, which 'carrier_possible' tells.
 *
 *   - A veth's nested peer cannot be created up (see rtnl_veth_create()).
 *
 * '*is_up' says whether the link is up already, and is updated. */
static int
link_finish(struct rtnl *r, const struct rtnl_link_spec *spec, bool *is_up,
            bool carrier_possible)
{
    bool up = spec->up && !*is_up && (!spec->ipv6_off || !carrier_possible);
    int error;

    if (spec->alias || spec->ipv6_off || up) {
        error = link_update(r, spec->name, spec->alias,
                            spec->ipv6_off ? ADDR_GEN_MODE_NONE : -1, up);
        if (error) {
            return error;
        }
        *is_up = *is_up || up;
    }
    if (spec->up && !*is_up) {
        error = link_set_up(r, spec->name, true);
        if (error) {
            return error;
        }
        *is_up = true;
    }
    return 0;
}

/* The RTM_NEWLINK names the remote end as the link being created, with
 * IFLA_NET_NS_FD so that it is born directly in its namespace, and the local
 * end as its nested peer, born in the socket's namespace.  That way round,
 * because the kernel configures a nested peer before it links the two ends,
 * so bringing it up there fails with ENOTCONN: the remote end can be
 * created up and the local one is brought up afterwards through 'r'.  A
 * socket in the remote namespace is needed only when the remote end wants
 * an alias or IPv6 off, which RTM_NEWLINK cannot set (see link_finish()).
 *
 * The local end is still down when the remote one is finished, so the
 * remote one can never get a carrier then. */
int
rtnl_veth_create(struct rtnl *r, const struct rtnl_link_spec *local,
                 const struct rtnl_link_spec *peer)
{
    struct rtnl_link *link = rtnl_link_veth_alloc();
    struct rtnl_link *nested = NULL;
    struct rtnl *peer_r = NULL;
    bool local_up = false;
    bool peer_up = peer->up && !peer->ipv6_off;
    int error;

    if (!link) {
        return ENOMEM;
    }
    nested = rtnl_link_veth_get_peer(link);
    error = link_apply_spec(link, peer, peer_up);
    if (!error) {
        error = link_apply_spec(nested, local, false);
    }
    if (error) {
        goto out;
    }
    if (peer->netns_fd >= 0) {
        rtnl_link_set_ns_fd(link, peer->netns_fd);
    }

    error = rtnl_result(r, rtnl_link_add(r->sock, link,
                                         NLM_F_CREATE | NLM_F_EXCL));
    if (error) {
        goto out;
    }

    if (peer->alias || peer->ipv6_off || (peer->up && !peer_up)) {
        struct rtnl *pr = r;
        if (peer->netns_fd >= 0 && peer->netns_rtnl) {
            pr = peer->netns_rtnl;
        } else if (peer->netns_fd >= 0) {
            error = rtnl_open(peer->netns_fd, &peer_r);
            pr = peer_r;
        }
        if (!error) {
            error = link_finish(pr, peer, &peer_up, false);
        }
    }
    if (!error) {
        error = link_finish(r, local, &local_up, peer_up);
    }
    if (error) {
        /* Deleting one end deletes the pair. */
        link_undo(r, local->name);
    }

out:
    rtnl_close(peer_r);
    rtnl_link_put(nested);
    rtnl_link_put(link);
    return error;
}

int
rtnl_bridge_create(struct rtnl *r, const struct rtnl_link_spec *spec)
{
    struct rtnl_link *link = rtnl_link_alloc();
    bool is_up = spec->up && !spec->ipv6_off;
    int error;

    if (!link) {
        return ENOMEM;
    }
    error = nle_to_errno(rtnl_link_set_type(link, "bridge"));
    if (!error) {
        error = link_apply_spec(link, spec, is_up);
    }
    if (!error) {
        error = rtnl_result(r, rtnl_link_add(r->sock, link,
                                             NLM_F_CREATE | NLM_F_EXCL));
        if (!error) {
            error = link_finish(r, spec, &is_up, true);
            if (error) {
                link_undo(r, spec->name);
            }
        }
    }
    rtnl_link_put(link);
    return error;
}

int
rtnl_link_delete(struct rtnl *r, const char *name)
{
    if (!rtnl_ifname_is_valid(name)) {
        return ENODEV;
    }

    struct rtnl_link *link = rtnl_link_alloc();
    if (!link) {
        return ENOMEM;
    }
    rtnl_link_set_name(link, name);
    int error = rtnl_result(r, libnl_link_delete(r->sock, link));
    rtnl_link_put(link);
    return error;
}

int
rtnl_link_set_master(struct rtnl *r, const char *name, const char *master)
{
    int master_ifindex = 0;

    if (master) {
        int error = link_name_to_index(r, master, &master_ifindex);
        if (error) {
            return error;
        }
    }

    struct rtnl_link *changes = rtnl_link_alloc();
    if (!changes) {
        return ENOMEM;
    }
    /* IFLA_MASTER 0 releases the link from its master. */
    libnl_link_set_master(changes, master_ifindex);
    int error = link_change(r, name, changes);
    rtnl_link_put(changes);
    return error;
}

int
rtnl_link_set_up(struct rtnl *r, const char *name, bool up)
{
    return link_set_up(r, name, up);
}

int
rtnl_link_set_mtu(struct rtnl *r, const char *name, int mtu)
{
    if (mtu <= 0) {
        return EINVAL;
    }

    struct rtnl_link *changes = rtnl_link_alloc();
    if (!changes) {
        return ENOMEM;
    }
    libnl_link_set_mtu(changes, mtu);
    int error = link_change(r, name, changes);
    rtnl_link_put(changes);
    return error;
}

int
rtnl_link_set_mac(struct rtnl *r, const char *name, const char *mac)
{
    struct nl_addr *addr;
    int error = parse_mac(mac, &addr);
    if (error) {
        return error;
    }

    struct rtnl_link *changes = rtnl_link_alloc();
    if (!changes) {
        nl_addr_put(addr);
        return ENOMEM;
    }
    rtnl_link_set_addr(changes, addr);
    nl_addr_put(addr);
    error = link_change(r, name, changes);
    rtnl_link_put(changes);
    return error;
}

int
rtnl_link_set_alias(struct rtnl *r, const char *name, const char *alias)
{
    /* An empty IFLA_IFALIAS clears the alias. */
    return link_update(r, name, alias ? alias : "", -1, false);
}

/* Note that this does not remove a link-local address the link already
 * has: set it before the link first goes up. */
int
rtnl_link_set_ipv6_off(struct rtnl *r, const char *name, bool off)
{
    return link_update(r, name, NULL,
                       off ? ADDR_GEN_MODE_NONE : ADDR_GEN_MODE_EUI64, false);
}

static void
format_mac(const struct nl_addr *addr, char mac[18])
{
    mac[0] = '\0';
    if (addr && nl_addr_get_len(addr) == 6) {
        const unsigned char *b = nl_addr_get_binary_addr(addr);
        snprintf(mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5]);
    }
}

/* Fills 'info' from 'link', except for the master's name. */
static void
link_to_info(struct rtnl_link *link, struct rtnl_link_info *info)
{
    const char *name = rtnl_link_get_name(link);
    const char *kind = rtnl_link_get_type(link);
    const char *alias = rtnl_link_get_ifalias(link);
    unsigned int flags = rtnl_link_get_flags(link);
    int32_t netnsid;

    memset(info, 0, sizeof *info);
    info->ifindex = rtnl_link_get_ifindex(link);
    snprintf(info->name, sizeof info->name, "%s", name ? name : "");
    snprintf(info->kind, sizeof info->kind, "%s", kind ? kind : "");
    info->alias = alias && alias[0] ? xstrdup(alias) : NULL;
    info->mtu = rtnl_link_get_mtu(link);
    format_mac(rtnl_link_get_addr(link), info->mac);
    info->admin_up = (flags & IFF_UP) != 0;
    info->oper_up = (flags & IFF_LOWER_UP) != 0;
    info->link_netnsid = (!rtnl_link_get_link_netnsid(link, &netnsid)
                          ? netnsid : -1);
    info->peer_ifindex = !strcmp(info->kind, "veth")
                         ? rtnl_link_get_link(link) : 0;
}

int
rtnl_link_get(struct rtnl *r, const char *name, struct rtnl_link_info *info)
{
    struct rtnl_link *link;
    int error = link_lookup(r, name, &link);

    memset(info, 0, sizeof *info);
    if (error) {
        return error;
    }
    link_to_info(link, info);

    int master = rtnl_link_get_master(link);
    rtnl_link_put(link);
    if (master > 0) {
        struct rtnl_link *m;
        error = rtnl_result(r, rtnl_link_get_kernel(r->sock, master, NULL,
                                                    &m));
        if (error) {
            rtnl_link_info_uninit(info);
            return error;
        }
        snprintf(info->master, sizeof info->master, "%s",
                 rtnl_link_get_name(m));
        rtnl_link_put(m);
    }
    return 0;
}

int
rtnl_link_list(struct rtnl *r, struct rtnl_link_info **infosp, size_t *np)
{
    struct nl_cache *cache;
    int error;

    *infosp = NULL;
    *np = 0;
    error = rtnl_result(r, rtnl_link_alloc_cache(r->sock, AF_UNSPEC, &cache));
    if (error) {
        return error;
    }

    size_t n = nl_cache_nitems(cache);
    struct rtnl_link_info *infos = xcalloc(n ? n : 1, sizeof *infos);
    int *masters = xcalloc(n ? n : 1, sizeof *masters);
    size_t i = 0;
    for (struct nl_object *obj = nl_cache_get_first(cache);
         obj && i < n; obj = nl_cache_get_next(obj)) {
        struct rtnl_link *link = (struct rtnl_link *) obj;
        link_to_info(link, &infos[i]);
        masters[i] = rtnl_link_get_master(link);
        i++;
    }
    n = i;

    /* Masters are in the same namespace, hence in the same dump. */
    for (i = 0; i < n; i++) {
        if (masters[i] > 0) {
            for (size_t j = 0; j < n; j++) {
                if (infos[j].ifindex == masters[i]) {
                    memcpy(infos[i].master, infos[j].name,
                           sizeof infos[i].master);
                    break;
                }
            }
        }
    }
    free(masters);
    nl_cache_free(cache);

    *infosp = infos;
    *np = n;
    return 0;
}

void
rtnl_link_info_uninit(struct rtnl_link_info *info)
{
    if (info) {
        free(info->alias);
        info->alias = NULL;
    }
}

void
rtnl_link_info_free_array(struct rtnl_link_info *infos, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rtnl_link_info_uninit(&infos[i]);
    }
    free(infos);
}

/* Builds an address object for 'cidr' on 'ifname' in '*addrp'. */
static int
addr_build(struct rtnl *r, const char *ifname, const char *cidr,
           struct rtnl_addr **addrp)
{
    struct nl_addr *local;
    int ifindex;
    int error;

    *addrp = NULL;
    error = parse_ip(cidr, true, &local);
    if (error) {
        return error;
    }
    error = link_name_to_index(r, ifname, &ifindex);
    if (error) {
        nl_addr_put(local);
        return error;
    }

    struct rtnl_addr *addr = rtnl_addr_alloc();
    if (!addr) {
        nl_addr_put(local);
        return ENOMEM;
    }
    rtnl_addr_set_ifindex(addr, ifindex);
    error = nle_to_errno(rtnl_addr_set_local(addr, local));
    nl_addr_put(local);
    if (error) {
        rtnl_addr_put(addr);
        return error;
    }
    if (rtnl_addr_get_family(addr) == AF_INET6) {
        rtnl_addr_set_flags(addr, IFA_F_NODAD);
    }
    *addrp = addr;
    return 0;
}

int
rtnl_addr_add(struct rtnl *r, const char *ifname, const char *cidr)
{
    struct rtnl_addr *addr;
    int error = addr_build(r, ifname, cidr, &addr);

    if (!error) {
        error = rtnl_result(r, libnl_addr_add(r->sock, addr, NLM_F_EXCL));
        rtnl_addr_put(addr);
    }
    return error;
}

int
rtnl_addr_del(struct rtnl *r, const char *ifname, const char *cidr)
{
    struct rtnl_addr *addr;
    int error = addr_build(r, ifname, cidr, &addr);

    if (!error) {
        error = rtnl_result(r, rtnl_addr_delete(r->sock, addr, 0));
        rtnl_addr_put(addr);
    }
    return error;
}

struct addr_dump {
    int ifindex;
    struct svec *cidrs;
};

/* Adds the address in RTM_NEWADDR 'msg' to the dump's list if it belongs
 * to the wanted link and is not an IPv6 link-local address. */
static int
addr_dump_cb(struct nl_msg *msg, void *dump_)
{
    struct addr_dump *dump = dump_;
    struct nlmsghdr *nlh = nlmsg_hdr(msg);
    struct nlattr *tb[IFA_MAX + 1];

    if (nlh->nlmsg_type != RTM_NEWADDR
        || nlmsg_parse(nlh, sizeof(struct ifaddrmsg), tb, IFA_MAX, NULL) < 0) {
        return NL_OK;
    }

    const struct ifaddrmsg *ifa = nlmsg_data(nlh);
    if (ifa->ifa_index != dump->ifindex) {
        return NL_OK;
    }

    struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
    size_t size = ifa->ifa_family == AF_INET ? 4 : 16;
    if (!a || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
        || nla_len(a) != size) {
        return NL_OK;
    }
    if (ifa->ifa_family == AF_INET6
        && IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *) nla_data(a))) {
        return NL_OK;
    }

    char buf[INET6_ADDRSTRLEN];
    inet_ntop(ifa->ifa_family, nla_data(a), buf, sizeof buf);
    svec_add_nocopy(dump->cidrs, xasprintf("%s/%d", buf, ifa->ifa_prefixlen));
    return NL_OK;
}

int
rtnl_addr_list(struct rtnl *r, const char *ifname, struct svec *cidrs)
{
    struct addr_dump dump = { .cidrs = cidrs };
    int error = link_name_to_index(r, ifname, &dump.ifindex);
    if (error) {
        return error;
    }

    /* With strict checking the kernel dumps only this link's addresses
     * instead of the whole namespace's; the callback filters anyway, for
     * kernels without it. */
    int fd = nl_socket_get_fd(r->sock);
    int on = 1, off = 0;
    bool strict = !setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK,
                              &on, sizeof on);

    struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC,
                             .ifa_index = dump.ifindex };
    error = rtnl_result(r, nl_send_simple(r->sock, RTM_GETADDR, NLM_F_DUMP,
                                          &ifa, sizeof ifa));
    if (!error) {
        struct nl_cb *sock_cb = nl_socket_get_cb(r->sock);
        struct nl_cb *cb = nl_cb_clone(sock_cb);
        nl_cb_put(sock_cb);
        if (!cb) {
            error = ENOMEM;
        } else {
            nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, addr_dump_cb, &dump);
            error = rtnl_result(r, nl_recvmsgs(r->sock, cb));
            nl_cb_put(cb);
        }
    }

    if (strict) {
        setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &off, sizeof off);
    }
    return error;
}

int
rtnl_route_add(struct rtnl *r, const char *dst, const char *gateway,
               const char *ifname)
{
    struct nl_addr *dst_addr = NULL, *gw_addr = NULL;
    struct rtnl_route *route = NULL;
    int ifindex = 0;
    int family;
    int error;

    if (gateway) {
        error = parse_ip(gateway, false, &gw_addr);
        if (error) {
            goto out;
        }
    }
    if (!strcmp(dst, "default")) {
        static const unsigned char zeros[16];

        family = gw_addr ? nl_addr_get_family(gw_addr) : AF_INET;
        dst_addr = nl_addr_build(family, zeros, family == AF_INET ? 4 : 16);
        if (!dst_addr) {
            error = ENOMEM;
            goto out;
        }
        nl_addr_set_prefixlen(dst_addr, 0);
    } else {
        error = parse_ip(dst, true, &dst_addr);
        if (error) {
            goto out;
        }
        family = nl_addr_get_family(dst_addr);
    }
    if (gw_addr && nl_addr_get_family(gw_addr) != family) {
        error = EINVAL;
        goto out;
    }
    if (ifname) {
        error = link_name_to_index(r, ifname, &ifindex);
        if (error) {
            goto out;
        }
    }

    route = rtnl_route_alloc();
    if (!route) {
        error = ENOMEM;
        goto out;
    }
    rtnl_route_set_family(route, family);
    error = nle_to_errno(rtnl_route_set_dst(route, dst_addr));
    if (error) {
        goto out;
    }
    if (gw_addr || ifindex) {
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        if (!nh) {
            error = ENOMEM;
            goto out;
        }
        if (gw_addr) {
            rtnl_route_nh_set_gateway(nh, gw_addr);
        }
        if (ifindex) {
            rtnl_route_nh_set_ifindex(nh, ifindex);
        }
        rtnl_route_add_nexthop(route, nh);   /* Takes ownership of 'nh'. */
    }
    error = rtnl_result(r, libnl_route_add(r->sock, route, NLM_F_EXCL));

out:
    rtnl_route_put(route);
    nl_addr_put(gw_addr);
    nl_addr_put(dst_addr);
    return error;
}
