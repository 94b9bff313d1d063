/* Lab topologies generated from a shape. */
#include <config.h>
#include "topo-gen.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Where addresses come from. */
struct subnet {
    int family;
    int bits;                   /* 32 or 128. */
    int plen;
    uint8_t base[16];           /* Network address, host bits zero. */
};

struct edge {
    int a, b;                   /* Hosts, from 1. */
};

static char *
subnet_parse(const char *s, struct subnet *sn)
{
    char *addr;
    char *error = topology_parse_cidr(s, &sn->family, &addr, &sn->plen);
    if (error) {
        char *msg = xasprintf("bad subnet: %s", error);
        free(error);
        return msg;
    }
    memset(sn->base, 0, sizeof sn->base);
    inet_pton(sn->family, addr, sn->base);
    free(addr);
    sn->bits = sn->family == AF_INET ? 32 : 128;
    for (int bit = sn->plen; bit < sn->bits; bit++) {
        sn->base[bit / 8] &= ~(0x80 >> (bit % 8));
    }
    return NULL;
}

/* Returns true if 'count' addresses fit in the host part of 'sn'. */
static bool
subnet_holds(const struct subnet *sn, uint64_t count)
{
    int host_bits = sn->bits - sn->plen;
    return host_bits >= 63 || count <= (UINT64_C(1) << host_bits);
}

/* Returns address number 'offset' of 'sn' as "ADDR/PLEN". */
static char *
subnet_addr(const struct subnet *sn, uint64_t offset, int plen)
{
    uint8_t addr[16];
    char buf[INET6_ADDRSTRLEN];

    memcpy(addr, sn->base, sizeof addr);
    for (int i = sn->bits / 8 - 1; i >= 0 && offset; i--) {
        uint64_t sum = addr[i] + (offset & 0xff);
        addr[i] = sum;
        offset = (offset >> 8) + (sum >> 8);
    }
    inet_ntop(sn->family, addr, buf, sizeof buf);
    return xasprintf("%s/%d", buf, plen);
}

static struct topo_switch *
add_switch(struct topology *t, const char *name, enum topo_switch_kind kind)
{
    struct topo_switch *sw = &t->switches[t->n_switches++];
    memset(sw, 0, sizeof *sw);
    sw->name = xstrdup(name);
    sw->kind = kind;
    if (kind == TOPO_SW_OVS) {
        sw->datapath = xstrdup("auto");
        sw->port_type = xstrdup("system");
    }
    return sw;
}

/* Fills 'end' as interface 'ifname' (taken) in namespace 'ns' (taken) with
 * address 'addr' (taken, may be NULL). */
static void
set_ns_end(struct topo_end *end, char *ns, char *ifname, char *addr)
{
    end->ns = ns;
    end->ifname = ifname;
    if (addr) {
        svec_add_nocopy(&end->addrs, addr);
    }
}

static void
set_sw_end(struct topo_end *end, const char *sw, char *ifname)
{
    end->sw = xstrdup(sw);
    end->ifname = ifname;
}

static struct topo_link *
add_link(struct topology *t)
{
    struct topo_link *link = &t->links[t->n_links++];
    topo_end_init(&link->ends[0]);
    topo_end_init(&link->ends[1]);
    return link;
}

static int
n_digits(long long int n)
{
    return snprintf(NULL, 0, "%lld", n);
}

/* Returns the prefix for names in the current namespace whose suffixes are
 * at most 'suffix_len' bytes. */
static char *
make_tag(const char *name, int suffix_len)
{
    if (strlen(name) + suffix_len <= 15) {
        return xstrdup(name);
    }
    uint32_t hash = 2166136261u;
    for (const char *p = name; *p; p++) {
        hash = (hash ^ (uint8_t) *p) * 16777619u;
    }
    int digits = MIN(8, 15 - suffix_len - 1);
    return xasprintf("t%0*x", digits,
                     (unsigned int) (hash >> (32 - 4 * digits)));
}

static char *
host_ns(const char *name, int k)
{
    return xasprintf("%s-h%d", name, k);
}

static char *
gen_star(struct topology *t, int n, enum topo_switch_kind via,
         const struct subnet *sn)
{
    t->links = xcalloc(n, sizeof *t->links);
    if (via == TOPO_SW_DIRECT) {
        if (sn->plen > sn->bits - 2 || !subnet_holds(sn, 4 * (uint64_t) n)) {
            return xasprintf("subnet /%d is too small for %d /%d links",
                             sn->plen, n, sn->bits - 2);
        }
        for (int k = 1; k <= n; k++) {
            struct topo_link *link = add_link(t);
            uint64_t block = 4 * (uint64_t) (k - 1);
            set_ns_end(&link->ends[0], host_ns(t->name, k), xstrdup("eth0"),
                       subnet_addr(sn, block + 2, sn->bits - 2));
            set_ns_end(&link->ends[1], xasprintf("%s-hub", t->name),
                       xasprintf("to-h%d", k),
                       subnet_addr(sn, block + 1, sn->bits - 2));
        }
        return NULL;
    }

    /* The network address and, for IPv4, the broadcast stay unused. */
    if (!subnet_holds(sn, (uint64_t) n + (sn->family == AF_INET ? 2 : 1))) {
        return xasprintf("subnet /%d is too small for %d hosts", sn->plen,
                         n);
    }
    char *tag = make_tag(t->name, MAX(3, 1 + n_digits(n)));
    char *sw_name = xasprintf("%s-sw", tag);
    t->switches = xcalloc(1, sizeof *t->switches);
    add_switch(t, sw_name, via);
    for (int k = 1; k <= n; k++) {
        struct topo_link *link = add_link(t);
        set_ns_end(&link->ends[0], host_ns(t->name, k), xstrdup("eth0"),
                   subnet_addr(sn, k, sn->plen));
        set_sw_end(&link->ends[1], sw_name, xasprintf("%s-%d", tag, k));
    }
    free(sw_name);
    free(tag);
    return NULL;
}

static char *
gen_edges(struct topology *t, const struct edge *edges, size_t n_edges,
          enum topo_switch_kind via, const struct subnet *sn)
{
    if (sn->plen > sn->bits - 2 || !subnet_holds(sn, 4 * (uint64_t) n_edges)) {
        return xasprintf("subnet /%d is too small for %zu /%d links",
                         sn->plen, n_edges, sn->bits - 2);
    }

    bool switched = via != TOPO_SW_DIRECT;
    char *tag = make_tag(t->name, 3 + n_digits(n_edges));
    t->links = xcalloc(n_edges * (switched ? 2 : 1), sizeof *t->links);
    t->switches = xcalloc(switched ? n_edges : 0, sizeof *t->switches);
    for (size_t e = 0; e < n_edges; e++) {
        int a = edges[e].a, b = edges[e].b;
        char *addr_a = subnet_addr(sn, 4 * (uint64_t) e + 1, sn->bits - 2);
        char *addr_b = subnet_addr(sn, 4 * (uint64_t) e + 2, sn->bits - 2);
        if (!switched) {
            struct topo_link *link = add_link(t);
            set_ns_end(&link->ends[0], host_ns(t->name, a),
                       xasprintf("to-h%d", b), addr_a);
            set_ns_end(&link->ends[1], host_ns(t->name, b),
                       xasprintf("to-h%d", a), addr_b);
        } else {
            char *sw = xasprintf("%s-s%zu", tag, e + 1);
            add_switch(t, sw, via);

            struct topo_link *link = add_link(t);
            set_ns_end(&link->ends[0], host_ns(t->name, a),
                       xasprintf("to-h%d", b), addr_a);
            set_sw_end(&link->ends[1], sw, xasprintf("%sa", sw));

            link = add_link(t);
            set_ns_end(&link->ends[0], host_ns(t->name, b),
                       xasprintf("to-h%d", a), addr_b);
            set_sw_end(&link->ends[1], sw, xasprintf("%sb", sw));
            free(sw);
        }
    }
    free(tag);
    return NULL;
}

char *
topo_gen(const char *shape, int n, enum topo_switch_kind via,
         const char *subnet, const char *name, struct topology **topop)
{
    struct edge *edges = NULL;
    size_t n_edges = 0;
    struct subnet sn;
    char *error;

    *topop = NULL;
    bool star = !strcmp(shape, "star");
    bool mesh = !strcmp(shape, "mesh");
    if (!star && !mesh && strcmp(shape, "line") && strcmp(shape, "ring")
        && strcmp(shape, "tree")) {
        return xasprintf("unknown shape '%s' (expected star, line, ring, "
                         "tree or mesh)", shape);
    }
    int min = star ? 1 : 2;
    int max = mesh ? TOPO_GEN_MAX_MESH : TOPO_GEN_MAX_HOSTS;
    if (n < min || n > max) {
        return xasprintf("a %s needs %d to %d hosts, not %d", shape, min, max,
                         n);
    }
    if ((unsigned int) via > TOPO_SW_DIRECT) {
        return xasprintf("unknown switch kind %d", (int) via);
    }
    error = subnet_parse(subnet ? subnet : "10.0.0.0/16", &sn);
    if (error) {
        return error;
    }

    if (!star) {
        edges = xcalloc(mesh ? (size_t) n * (n - 1) / 2 : (size_t) n,
                        sizeof *edges);
        if (mesh) {
            for (int a = 1; a <= n; a++) {
                for (int b = a + 1; b <= n; b++) {
                    edges[n_edges++] = (struct edge) { a, b };
                }
            }
        } else if (!strcmp(shape, "tree")) {
            for (int k = 2; k <= n; k++) {
                edges[n_edges++] = (struct edge) { k / 2, k };
            }
        } else {
            for (int k = 1; k < n; k++) {
                edges[n_edges++] = (struct edge) { k, k + 1 };
            }
            if (!strcmp(shape, "ring") && n >= 3) {
                edges[n_edges++] = (struct edge) { n, 1 };
            }
        }
    }

    struct topology *t = xzalloc(sizeof *t);
    t->name = xstrdup(name ? name : shape);
    error = (star
             ? gen_star(t, n, via, &sn)
             : gen_edges(t, edges, n_edges, via, &sn));
    free(edges);
    if (!error) {
        error = topology_validate(t);
    }
    if (error) {
        topology_destroy(t);
        return error;
    }
    *topop = t;
    return NULL;
}
