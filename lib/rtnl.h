/* Route netlink over libnl-route-3: links (veth, bridge), addresses and
 * routes.  A 'struct rtnl' is one netlink socket bound to one network
 * namespace when it is opened; it then acts in that namespace from any
 * thread.  libnl types never leave this module; its NLE_* codes become
 * positive errno values here, keeping the kernel's own errno where it sent
 * one.  Callers turn errors into sentences naming the object. */
#ifndef RTNL_H
#define RTNL_H 1

#include <stdbool.h>
#include <stddef.h>

struct svec;
struct rtnl;

/* Six names of this API are also functions of libnl-route-3, with other
 * signatures.  Defined under these names, they would not compile beside
 * libnl's headers and, worse, would capture libnl's own calls (a program's
 * definition interposes on the shared library's: libnl's rtnl_link_i2name()
 * would call our rtnl_link_get()).  So their symbols carry a "vplug_"
 * prefix; callers use the names below unchanged. */
#define rtnl_link_get vplug_rtnl_link_get
#define rtnl_link_delete vplug_rtnl_link_delete
#define rtnl_link_set_master vplug_rtnl_link_set_master
#define rtnl_link_set_mtu vplug_rtnl_link_set_mtu
#define rtnl_addr_add vplug_rtnl_addr_add
#define rtnl_route_add vplug_rtnl_route_add

/* Opens a socket in the namespace open on 'netns_fd' (-1: the calling
 * thread's current namespace).  Returns 0 or errno. */
int rtnl_open(int netns_fd, struct rtnl **);
void rtnl_close(struct rtnl *);

/* What to set on a link being created. */
struct rtnl_link_spec {
    const char *name;           /* Interface name, at most 15 bytes. */
    const char *alias;          /* IFLA_IFALIAS, or NULL. */
    const char *mac;            /* "aa:bb:cc:dd:ee:ff", or NULL. */
    int mtu;                    /* 0: kernel default. */
    bool ipv6_off;              /* IPv6 address generation mode "none": no
                                 * link-local address, so no DAD, router
                                 * solicitations or MLD when it goes up. */
    bool up;                    /* Created administratively up. */
    int netns_fd;               /* For a veth peer: the namespace to create
                                 * it in directly (-1: the socket's). */
    struct rtnl *netns_rtnl;    /* For a veth peer in 'netns_fd': a socket
                                 * the caller holds in that namespace, or
                                 * NULL (one is opened if needed). */
};

/* Creates veth 'local' in the socket's namespace with its peer 'peer'
 * created directly inside 'peer->netns_fd', in one RTM_NEWLINK.  Returns 0,
 * EEXIST if a name is taken, or another errno. */
int rtnl_veth_create(struct rtnl *, const struct rtnl_link_spec *local,
                     const struct rtnl_link_spec *peer);

/* Creates Linux bridge 'spec->name'.  Returns 0, EEXIST or errno. */
int rtnl_bridge_create(struct rtnl *, const struct rtnl_link_spec *spec);

/* Deletes link 'name'.  Returns 0, ENODEV if there is none, or errno. */
int rtnl_link_delete(struct rtnl *, const char *name);

/* Enslaves 'name' to bridge 'master', or releases it if 'master' is NULL. */
int rtnl_link_set_master(struct rtnl *, const char *name, const char *master);
int rtnl_link_set_up(struct rtnl *, const char *name, bool up);
int rtnl_link_set_mtu(struct rtnl *, const char *name, int mtu);
int rtnl_link_set_mac(struct rtnl *, const char *name, const char *mac);
/* Sets (or with NULL clears) the ifalias of 'name'. */
int rtnl_link_set_alias(struct rtnl *, const char *name, const char *alias);
int rtnl_link_set_ipv6_off(struct rtnl *, const char *name, bool off);

/* What the kernel says about one link. */
struct rtnl_link_info {
    int ifindex;
    char name[16];
    char kind[16];              /* "veth", "bridge", ... or "". */
    char *alias;                /* Malloc'd, or NULL. */
    char master[16];            /* Name of the master link, or "". */
    int mtu;
    char mac[18];               /* "aa:bb:cc:dd:ee:ff", or "". */
    bool admin_up;              /* IFF_UP. */
    bool oper_up;               /* IFF_LOWER_UP / carrier. */
    int link_netnsid;           /* veth: peer's namespace id, or -1. */
    int peer_ifindex;           /* veth: IFLA_LINK, or 0. */
};

/* Fills 'info' for link 'name'.  Returns 0, ENODEV or errno. */
int rtnl_link_get(struct rtnl *, const char *name, struct rtnl_link_info *);
/* Lists every link of the namespace into a new array.  Returns 0 or errno. */
int rtnl_link_list(struct rtnl *, struct rtnl_link_info **, size_t *n);
void rtnl_link_info_uninit(struct rtnl_link_info *);
void rtnl_link_info_free_array(struct rtnl_link_info *, size_t n);

/* Adds address 'cidr' ("10.1.1.2/24", "fd00::2/64") to 'ifname'.  IPv6
 * addresses are added without DAD (IFA_F_NODAD) so they work at once.
 * Returns 0, EEXIST if present, or errno. */
int rtnl_addr_add(struct rtnl *, const char *ifname, const char *cidr);
int rtnl_addr_del(struct rtnl *, const char *ifname, const char *cidr);
/* Adds the global and host addresses of 'ifname' to 'cidrs' as
 * "ADDR/PLEN" (IPv6 link-local ones excluded).  Returns 0 or errno. */
int rtnl_addr_list(struct rtnl *, const char *ifname, struct svec *cidrs);

/* Adds a route to 'dst' ("default" or a CIDR) via 'gateway' (NULL: on
 * link) out of 'ifname' (NULL: any).  Returns 0, EEXIST or errno. */
int rtnl_route_add(struct rtnl *, const char *dst, const char *gateway,
                   const char *ifname);

/* Returns true if 'name' is a legal interface name (1..15 bytes, no '/',
 * ':', or white space, not "." or ".."). */
bool rtnl_ifname_is_valid(const char *name);

#endif /* rtnl.h */
