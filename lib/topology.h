/* The topology model: namespaces joined by veth links, directly or through
 * switches (Open vSwitch or Linux bridges), as the topology file describes
 * it (see DESIGN.md), and its parser.  The parser validates everything
 * before anyone acts on the model, and reports errors as
 * "FILE:LINE:COLUMN: message".  jansson stays inside topology.c. */
#ifndef TOPOLOGY_H
#define TOPOLOGY_H 1

#include <stdbool.h>
#include <stddef.h>
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* A key/value pair (external_ids). */
struct topo_kv {
    char *key;
    char *value;
};

/* A route on a namespace end. */
struct topo_route {
    char *dst;                  /* "default" or a CIDR. */
    char *via;                  /* Gateway address, or NULL (on link). */
};

/* One end of a link.  Exactly one of: a namespace end ('sw' NULL; 'ns'
 * NULL meaning the current namespace) or a switch port ('sw' set). */
struct topo_end {
    char *ns;                   /* Namespace name, or NULL. */
    char *sw;                   /* Switch name, or NULL. */
    char *ifname;               /* Always set (generated if the file has
                                 * none), at most 15 bytes. */
    struct svec addrs;          /* CIDRs, IPv4 and IPv6, as written. */
    char *mac;                  /* Lowercase "aa:bb:cc:dd:ee:ff" or NULL. */
    int mtu;                    /* 0: default. */
    int vlan;                   /* OVS access tag 1..4094, or -1. */
    struct topo_kv *external_ids;       /* OVS Interface external_ids. */
    size_t n_external_ids;
    struct topo_route *routes;
    size_t n_routes;
    char *gateway;              /* Default route via this address, or NULL. */
    char *chassis;              /* OVN switch ports only: the chassis the
                                 * port lives on, or NULL for the local
                                 * one. */
};

/* A veth pair. */
struct topo_link {
    struct topo_end ends[2];
};

enum topo_switch_kind {
    TOPO_SW_OVS,
    TOPO_SW_BRIDGE,
    TOPO_SW_DIRECT,             /* Only as a fallback: no switch at all. */
    TOPO_SW_OVN,                /* An OVN Logical_Switch. */
};

struct topo_switch {
    char *name;                 /* Bridge name, at most 15 bytes. */
    enum topo_switch_kind kind; /* TOPO_SW_OVS or TOPO_SW_BRIDGE. */
    char *datapath;             /* OVS: "auto" (default), "netdev",
                                 * "system". */
    char *fail_mode;            /* OVS: NULL, "standalone" or "secure". */
    char *port_type;            /* OVS: Interface types for ports, to try
                                 * in order, separated by commas: "auto"
                                 * (default), "system" (empty type in the
                                 * database), "afxdp-nonpmd"... */
    int mtu;                    /* 0: default. */
    struct topo_kv *external_ids;       /* OVS Bridge external_ids. */
    size_t n_external_ids;
    enum topo_switch_kind *fallback;    /* Kinds to try, in order, when
                                         * 'kind' cannot work. */
    size_t n_fallback;
};

/* A hypervisor of an OVN lab: its name is its Open_vSwitch
 * external_ids:system-id (and, rehearsed, its namespace's name). */
struct topo_chassis {
    char *name;
    char *encap_ip;             /* Tunnel endpoint IPv4 address, or NULL:
                                 * the rehearsal chooses one; a real host
                                 * has its own. */
};

/* One port of an OVN logical router: the switch it joins and its address
 * there. */
struct topo_router_port {
    char *sw;                   /* An ovn switch of the topology. */
    char *cidr;                 /* "ADDR/PLEN". */
};

/* An OVN Logical_Router. */
struct topo_router {
    char *name;
    struct topo_router_port *ports;
    size_t n_ports;
};

struct topology {
    char *name;                 /* Owner tag; [A-Za-z0-9_.-], 1..64. */
    struct topo_switch *switches;
    size_t n_switches;
    struct topo_link *links;
    size_t n_links;
    struct topo_chassis *chassis;       /* OVN labs: the hypervisors. */
    size_t n_chassis;
    struct topo_router *routers;        /* OVN labs: logical routers. */
    size_t n_routers;
    char *ovn_nb;               /* "ovn": {"nb": REMOTE}, or NULL. */
};

/* Limits on input, far above what a 1000-host lab needs (a 1000-host
 * star is a 150 kB file with one address per end), so that no input can
 * make vplug read or work without bound. */
#define TOPO_MAX_FILE_SIZE (16 * 1024 * 1024)   /* A topology file. */
#define TOPO_MAX_STATE_SIZE (64 * 1024 * 1024)  /* A state file: two
                                                 * topologies and more. */
#define TOPO_MAX_ADDRS 256          /* Addresses of one end. */
#define TOPO_MAX_ROUTES 256         /* Routes of one end. */
#define TOPO_MAX_EXTERNAL_IDS 256   /* external_ids of one end or switch. */

/* Reads all of regular file 'file_name' ("-": standard input, which may be
 * a pipe), at most 'max_size' bytes, into a new null-terminated '*textp'
 * and its size into '*sizep' (if nonnull).  Never blocks on a FIFO or a
 * device: they are refused.  Returns 0, or a positive errno and a message
 * "cannot read WHAT 'FILE': ..." in '*errp' ('what': "topology file"). */
int topology_read_text(const char *file_name, const char *what,
                       size_t max_size, char **textp, size_t *sizep,
                       char **errp);

/* Parses and validates the topology in 'file_name' ("-": standard input).
 * Returns NULL and a new topology in '*topop', or an error message
 * "FILE:LINE:COLUMN: message" (caller frees) and NULL in '*topop'. */
char *topology_parse_file(const char *file_name, struct topology **topop)
    OVS_WARN_UNUSED_RESULT;
/* The same for 'text'; 'file_name' only labels messages. */
char *topology_parse_string(const char *text, const char *file_name,
                            struct topology **topop) OVS_WARN_UNUSED_RESULT;

/* Validates a topology built in memory (by "vplug link" or a generator):
 * the same checks as the parser.  Returns NULL or a message. */
char *topology_validate(const struct topology *) OVS_WARN_UNUSED_RESULT;

/* Returns the topology as a JSON text in the file format, which
 * topology_parse_string() reads back into an equal topology.  Caller
 * frees. */
char *topology_to_string(const struct topology *);

struct topology *topology_clone(const struct topology *);
void topology_destroy(struct topology *);

struct topo_switch *topology_find_switch(const struct topology *,
                                         const char *name);
struct topo_chassis *topology_find_chassis(const struct topology *,
                                           const char *name);
/* Returns the name of the chassis that the ports of ovn switches naming
 * none are placed on when every chassis is on this machine (a rehearsal,
 * and a picture of the lab as its file declares it): the first one the
 * topology declares.  NULL if it declares none.  (On a real host such ports
 * are the local chassis's, whichever host that is.) */
const char *topology_default_chassis(const struct topology *);
/* Returns true if 'topo' has at least one ovn switch. */
bool topology_has_ovn(const struct topology *);
const char *topo_switch_kind_name(enum topo_switch_kind);
/* Returns true and the kind for "ovs", "bridge", "direct", "ovn". */
bool topo_switch_kind_from_name(const char *, enum topo_switch_kind *);

/* Generates an interface name for end 'end_idx' of link 'link_idx' of
 * topology 'name' that has none: stable across runs, unique within the
 * topology, at most 15 bytes. */
char *topology_generate_ifname(const char *name, size_t link_idx,
                               int end_idx);

/* Checks CIDR "ADDR/PLEN" (IPv4 or IPv6).  On success returns NULL and, if
 * nonnull, stores the family (AF_INET, AF_INET6), the address without the
 * prefix length (malloc'd) and the prefix length.  Otherwise returns a
 * message naming 'cidr'. */
char *topology_parse_cidr(const char *cidr, int *family, char **addrp,
                          int *plenp) OVS_WARN_UNUSED_RESULT;

/* The names a topology holds, which the CLI and vplugd's commands take
 * too.  Several become paths (STATE_DIR/TOPOLOGY.json, /run/netns/NS,
 * /proc/sys/net/.../IFNAME/...). */
enum topo_name_kind {
    TOPO_NAME_TOPOLOGY,         /* [A-Za-z0-9_.-], 1..64 bytes, not "." or
                                 * "..". */
    TOPO_NAME_NS,               /* 1..255 bytes, no '/' and no control
                                 * character, not "." or "..". */
    TOPO_NAME_IFNAME,           /* An interface or a switch: the kernel's
                                 * rules, and not "lo", "all", "default" nor
                                 * with '%' or '\'. */
};

/* Returns NULL if 'name' is a valid name of 'kind', otherwise a message
 * naming it and the cause (caller frees).  The parser and every command
 * that takes a name from a user check names with this one function. */
char *topology_check_name(enum topo_name_kind, const char *name)
    OVS_WARN_UNUSED_RESULT;

/* Parses a "vplug link" endpoint "NS[/IFNAME][=ADDR/PLEN]" (NS "-": the
 * current namespace) into 'end' (initialized by the caller): its namespace,
 * interface name and address, each checked.  Returns NULL or a message
 * naming the endpoint (caller frees). */
char *topology_parse_endpoint(const char *, struct topo_end *)
    OVS_WARN_UNUSED_RESULT;

/* vplug's own external_ids keys ("vplug-topology", the ownership tag, and
 * "vplug-probe") begin with this prefix; a topology may not set them. */
#define TOPO_RESERVED_KEY_PREFIX "vplug-"

/* Returns true if 'key' is reserved for vplug's own external_ids. */
bool topology_is_reserved_key(const char *key);

/* Memory management for ends built in memory. */
void topo_end_init(struct topo_end *);
void topo_end_uninit(struct topo_end *);

#endif /* topology.h */
