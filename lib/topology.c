/* The topology model and its parser.  Parsing happens in two steps: the
 * JSON text becomes a model (checking types and keys), then the model is
 * validated by the same code that validates topologies built in memory.
 * Every error names a path into the file ("/links/0/ends/1/ifname"); the
 * parser turns it into FILE:LINE:COLUMN with json-pos, topology_validate()
 * into "link 0 end 1: ". */
#include <config.h>
#include "topology.h"

#include <arpa/inet.h>
#include <errno.h>
#include "vjson.h"
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "json-pos.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Where errors go, and how they are labelled. */
struct topo_ctx {
    const char *file_name;      /* Labels messages; NULL: in memory. */
    const char *text;           /* The file's text (parser only). */
    size_t size;
    char *error;                /* The first error, or NULL. */
};

static void topo_error(struct topo_ctx *, const char *base, const char *field,
                       bool key, const char *format, ...)
    OVS_PRINTF_FORMAT(5, 6);

/* Turns 'path' into "link 1 end 0: " and the like, for topologies that
 * have no file. */
static void
put_path_prefix(struct ds *ds, const char *path)
{
    const char *comps[4];
    size_t lens[4];
    int n = 0;

    for (const char *p = path; *p == '/' && n < 4; ) {
        p++;
        size_t len = strcspn(p, "/");
        comps[n] = p;
        lens[n] = len;
        n++;
        p += len;
    }
    if (n >= 2 && lens[0] == 5 && !memcmp(comps[0], "links", 5)) {
        ds_put_format(ds, "link %.*s", (int) lens[1], comps[1]);
        if (n >= 4 && lens[2] == 4 && !memcmp(comps[2], "ends", 4)) {
            ds_put_format(ds, " end %.*s", (int) lens[3], comps[3]);
        }
        ds_put_cstr(ds, ": ");
    } else if (n >= 2 && lens[0] == 8 && !memcmp(comps[0], "switches", 8)) {
        char *name = json_pos_get_token(comps[1], lens[1]);
        ds_put_format(ds, "switch '%s': ", name);
        free(name);
    } else if (n >= 2 && lens[0] == 7 && !memcmp(comps[0], "routers", 7)) {
        char *name = json_pos_get_token(comps[1], lens[1]);
        ds_put_format(ds, "router '%s': ", name);
        free(name);
    }
}

/* Records the error about the value at 'base' + "/" + 'field' ('field' is
 * an escaped path suffix or NULL), or about its key if 'key'.  Only the
 * first error counts. */
static void
topo_error(struct topo_ctx *ctx, const char *base, const char *field,
           bool key, const char *format, ...)
{
    if (ctx->error) {
        return;
    }

    struct ds path = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&path, base);
    if (field) {
        ds_put_format(&path, "/%s", field);
    }

    struct ds msg = DS_EMPTY_INITIALIZER;
    if (ctx->file_name) {
        struct json_pos *pos = json_pos_scan(ctx->text, ctx->size);
        int line, column;
        json_pos_find(pos, ds_cstr(&path), key, &line, &column);
        json_pos_destroy(pos);
        ds_put_format(&msg, "%s:%d:%d: ", ctx->file_name, line, column);
    } else {
        put_path_prefix(&msg, ds_cstr(&path));
    }

    va_list args;
    va_start(args, format);
    ds_put_format_valist(&msg, format, args);
    va_end(args);

    ctx->error = ds_steal_cstr(&msg);
    ds_destroy(&path);
}

/* Returns "/switches/NAME", escaped.  Caller frees. */
static char *
switch_path(const char *name)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&ds, "/switches/");
    json_pos_put_token(&ds, name);
    return ds_steal_cstr(&ds);
}

/* Kinds. */

static const char *const kind_names[] = {
    [TOPO_SW_OVS] = "ovs",
    [TOPO_SW_BRIDGE] = "bridge",
    [TOPO_SW_DIRECT] = "direct",
    [TOPO_SW_OVN] = "ovn",
};

const char *
topo_switch_kind_name(enum topo_switch_kind kind)
{
    return (unsigned int) kind < ARRAY_SIZE(kind_names)
           ? kind_names[kind] : "unknown";
}

bool
topo_switch_kind_from_name(const char *name, enum topo_switch_kind *kind)
{
    for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++) {
        if (name && !strcmp(name, kind_names[i])) {
            *kind = i;
            return true;
        }
    }
    return false;
}

/* Memory. */

void
topo_end_init(struct topo_end *end)
{
    memset(end, 0, sizeof *end);
    svec_init(&end->addrs);
    end->vlan = -1;
}

static void
kvs_free(struct topo_kv *kvs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kvs[i].key);
        free(kvs[i].value);
    }
    free(kvs);
}

static struct topo_kv *
kvs_clone(const struct topo_kv *kvs, size_t n)
{
    struct topo_kv *copy = xcalloc(n, sizeof *copy);
    for (size_t i = 0; i < n; i++) {
        copy[i].key = xstrdup(kvs[i].key);
        copy[i].value = xstrdup(kvs[i].value);
    }
    return copy;
}

void
topo_end_uninit(struct topo_end *end)
{
    if (!end) {
        return;
    }
    free(end->ns);
    free(end->sw);
    free(end->ifname);
    svec_destroy(&end->addrs);
    free(end->mac);
    kvs_free(end->external_ids, end->n_external_ids);
    for (size_t i = 0; i < end->n_routes; i++) {
        free(end->routes[i].dst);
        free(end->routes[i].via);
    }
    free(end->routes);
    free(end->gateway);
    free(end->chassis);
    topo_end_init(end);
    svec_destroy(&end->addrs);
}

static void
topo_end_clone(struct topo_end *dst, const struct topo_end *src)
{
    topo_end_init(dst);
    dst->ns = nullable_xstrdup(src->ns);
    dst->sw = nullable_xstrdup(src->sw);
    dst->ifname = nullable_xstrdup(src->ifname);
    for (size_t i = 0; i < src->addrs.n; i++) {
        svec_add(&dst->addrs, src->addrs.names[i]);
    }
    dst->mac = nullable_xstrdup(src->mac);
    dst->mtu = src->mtu;
    dst->vlan = src->vlan;
    dst->external_ids = kvs_clone(src->external_ids, src->n_external_ids);
    dst->n_external_ids = src->n_external_ids;
    dst->routes = xcalloc(src->n_routes, sizeof *dst->routes);
    for (size_t i = 0; i < src->n_routes; i++) {
        dst->routes[i].dst = nullable_xstrdup(src->routes[i].dst);
        dst->routes[i].via = nullable_xstrdup(src->routes[i].via);
    }
    dst->n_routes = src->n_routes;
    dst->gateway = nullable_xstrdup(src->gateway);
    dst->chassis = nullable_xstrdup(src->chassis);
}

static void
topo_switch_uninit(struct topo_switch *sw)
{
    free(sw->name);
    free(sw->datapath);
    free(sw->fail_mode);
    free(sw->port_type);
    kvs_free(sw->external_ids, sw->n_external_ids);
    free(sw->fallback);
}

/* Frees the OVN parts of 't'. */
static void
topology_ovn_uninit(struct topology *t)
{
    for (size_t i = 0; i < t->n_chassis; i++) {
        free(t->chassis[i].name);
        free(t->chassis[i].encap_ip);
    }
    free(t->chassis);
    for (size_t i = 0; i < t->n_routers; i++) {
        struct topo_router *r = &t->routers[i];
        for (size_t j = 0; j < r->n_ports; j++) {
            free(r->ports[j].sw);
            free(r->ports[j].cidr);
        }
        free(r->ports);
        free(r->name);
    }
    free(t->routers);
    free(t->ovn_nb);
}

/* Copies the OVN parts of 't' into 'c'. */
static void
topology_ovn_clone(struct topology *c, const struct topology *t)
{
    c->chassis = xcalloc(t->n_chassis, sizeof *c->chassis);
    c->n_chassis = t->n_chassis;
    for (size_t i = 0; i < t->n_chassis; i++) {
        c->chassis[i].name = nullable_xstrdup(t->chassis[i].name);
        c->chassis[i].encap_ip = nullable_xstrdup(t->chassis[i].encap_ip);
    }
    c->routers = xcalloc(t->n_routers, sizeof *c->routers);
    c->n_routers = t->n_routers;
    for (size_t i = 0; i < t->n_routers; i++) {
        const struct topo_router *s = &t->routers[i];
        struct topo_router *d = &c->routers[i];
        d->name = nullable_xstrdup(s->name);
        d->ports = xcalloc(s->n_ports, sizeof *d->ports);
        d->n_ports = s->n_ports;
        for (size_t j = 0; j < s->n_ports; j++) {
            d->ports[j].sw = nullable_xstrdup(s->ports[j].sw);
            d->ports[j].cidr = nullable_xstrdup(s->ports[j].cidr);
        }
    }
    c->ovn_nb = nullable_xstrdup(t->ovn_nb);
}

void
topology_destroy(struct topology *t)
{
    if (!t) {
        return;
    }
    free(t->name);
    for (size_t i = 0; i < t->n_switches; i++) {
        topo_switch_uninit(&t->switches[i]);
    }
    free(t->switches);
    for (size_t i = 0; i < t->n_links; i++) {
        topo_end_uninit(&t->links[i].ends[0]);
        topo_end_uninit(&t->links[i].ends[1]);
    }
    free(t->links);
    topology_ovn_uninit(t);
    free(t);
}

struct topology *
topology_clone(const struct topology *t)
{
    struct topology *c = xzalloc(sizeof *c);
    c->name = nullable_xstrdup(t->name);
    c->switches = xcalloc(t->n_switches, sizeof *c->switches);
    c->n_switches = t->n_switches;
    for (size_t i = 0; i < t->n_switches; i++) {
        const struct topo_switch *s = &t->switches[i];
        struct topo_switch *d = &c->switches[i];
        d->name = nullable_xstrdup(s->name);
        d->kind = s->kind;
        d->datapath = nullable_xstrdup(s->datapath);
        d->fail_mode = nullable_xstrdup(s->fail_mode);
        d->port_type = nullable_xstrdup(s->port_type);
        d->mtu = s->mtu;
        d->external_ids = kvs_clone(s->external_ids, s->n_external_ids);
        d->n_external_ids = s->n_external_ids;
        d->fallback = xcalloc(s->n_fallback, sizeof *d->fallback);
        if (s->n_fallback) {
            memcpy(d->fallback, s->fallback,
                   s->n_fallback * sizeof *d->fallback);
        }
        d->n_fallback = s->n_fallback;
    }
    c->links = xcalloc(t->n_links, sizeof *c->links);
    c->n_links = t->n_links;
    for (size_t i = 0; i < t->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            topo_end_clone(&c->links[i].ends[j], &t->links[i].ends[j]);
        }
    }
    topology_ovn_clone(c, t);
    return c;
}

struct topo_switch *
topology_find_switch(const struct topology *t, const char *name)
{
    for (size_t i = 0; name && i < t->n_switches; i++) {
        if (t->switches[i].name && !strcmp(t->switches[i].name, name)) {
            return &t->switches[i];
        }
    }
    return NULL;
}

struct topo_chassis *
topology_find_chassis(const struct topology *t, const char *name)
{
    for (size_t i = 0; name && i < t->n_chassis; i++) {
        if (t->chassis[i].name && !strcmp(t->chassis[i].name, name)) {
            return &t->chassis[i];
        }
    }
    return NULL;
}

const char *
topology_default_chassis(const struct topology *t)
{
    return t->n_chassis ? t->chassis[0].name : NULL;
}

bool
topology_has_ovn(const struct topology *t)
{
    for (size_t i = 0; i < t->n_switches; i++) {
        if (t->switches[i].kind == TOPO_SW_OVN) {
            return true;
        }
    }
    return false;
}

/* Generated interface names. */

static uint32_t
fnv1a(uint32_t hash, const void *data, size_t size)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < size; i++) {
        hash = (hash ^ p[i]) * 16777619u;
    }
    return hash;
}

/* Attempt 0 is topology_generate_ifname(); the parser moves on to later
 * attempts only when a name is taken. */
static char *
generate_ifname(const char *name, size_t link_idx, int end_idx,
                unsigned int attempt)
{
    char *seed = (attempt
                  ? xasprintf("%s/%zu/%u", name ? name : "", link_idx,
                              attempt)
                  : xasprintf("%s/%zu", name ? name : "", link_idx));
    uint32_t hash = fnv1a(2166136261u, seed, strlen(seed));
    free(seed);
    /* "v" + 8 + "-" + at most 5 digits: at most 15 bytes. */
    return xasprintf("v%08x-%d", hash, end_idx % 100000);
}

char *
topology_generate_ifname(const char *name, size_t link_idx, int end_idx)
{
    return generate_ifname(name, link_idx, end_idx, 0);
}

/* A set of strings, each with an owner: enough for names unique across
 * thousands of links. */
struct name_set {
    struct name_entry {
        char *key;
        long owner;
    } *slots;
    size_t mask;                /* Number of slots - 1. */
    size_t n;
};

static void
name_set_init(struct name_set *set, size_t hint)
{
    size_t n = 16;
    while (n < hint * 2) {
        n *= 2;
    }
    set->slots = xcalloc(n, sizeof *set->slots);
    set->mask = n - 1;
    set->n = 0;
}

static void
name_set_destroy(struct name_set *set)
{
    for (size_t i = 0; i <= set->mask; i++) {
        free(set->slots[i].key);
    }
    free(set->slots);
}

static struct name_entry *
name_set_slot(const struct name_set *set, const char *key)
{
    size_t i = fnv1a(2166136261u, key, strlen(key)) & set->mask;
    while (set->slots[i].key && strcmp(set->slots[i].key, key)) {
        i = (i + 1) & set->mask;
    }
    return &set->slots[i];
}

/* Adds 'key' with 'owner' unless it is there.  Returns the entry that was
 * already there, or NULL. */
static const struct name_entry *
name_set_add(struct name_set *set, const char *key, long owner)
{
    struct name_entry *e = name_set_slot(set, key);
    if (e->key) {
        return e;
    }
    if ((set->n + 1) * 2 > set->mask + 1) {
        struct name_set bigger;
        name_set_init(&bigger, set->n + 1);
        for (size_t i = 0; i <= set->mask; i++) {
            if (set->slots[i].key) {
                *name_set_slot(&bigger, set->slots[i].key) = set->slots[i];
            }
        }
        bigger.n = set->n;
        free(set->slots);
        *set = bigger;
        e = name_set_slot(set, key);
    }
    e->key = xstrdup(key);
    e->owner = owner;
    set->n++;
    return NULL;
}

/* Addresses. */

static bool
parse_address(const char *s, int *family, uint8_t addr[16])
{
    uint8_t buf[16];
    if (!addr) {
        addr = buf;
    }
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = AF_INET;
        return true;
    } else if (inet_pton(AF_INET6, s, addr) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

/* Like topology_parse_cidr(), with the address in binary. */
static char *
parse_cidr__(const char *cidr, int *familyp, uint8_t addr[16], int *plenp)
{
    const char *slash = strchr(cidr, '/');
    if (!slash) {
        return xasprintf("address '%s' has no prefix length "
                         "(expected ADDRESS/PREFIXLEN)", cidr);
    }

    char *host = xmemdup0(cidr, slash - cidr);
    int family;
    bool ok = parse_address(host, &family, addr);
    free(host);
    if (!ok) {
        return xasprintf("'%s' is not a valid IPv4 or IPv6 address "
                         "with prefix length", cidr);
    }

    int max = family == AF_INET ? 32 : 128;
    const char *p = slash + 1;
    size_t len = strspn(p, "0123456789");
    int plen = -1;
    if (len >= 1 && len <= 3 && !p[len]) {
        plen = atoi(p);
    }
    if (len > 1 && p[0] == '0' && !p[len]) {
        /* "/024" would read as 24 here and as octal 20 elsewhere. */
        return xasprintf("prefix length in '%s' has a leading zero", cidr);
    }
    if (plen < 0 || plen > max) {
        return xasprintf("prefix length in '%s' is not between 0 and %d",
                         cidr, max);
    }
    *familyp = family;
    *plenp = plen;
    return NULL;
}

/* Returns true if the first 'plen' bits of 'a' and 'b' are equal. */
static bool
prefix_equal(const uint8_t a[16], const uint8_t b[16], int plen)
{
    int bytes = plen / 8, bits = plen % 8;
    if (memcmp(a, b, bytes)) {
        return false;
    }
    uint8_t mask = 0xff << (8 - bits);
    return !bits || !((a[bytes] ^ b[bytes]) & mask);
}

/* Returns NULL if 'cidr' (already parsed into 'family', 'addr', 'plen')
 * can be an interface's address, otherwise a message saying why not: the
 * kernel refuses some of these only after other work was done, and takes
 * others though no host can use them. */
static char *
check_host_address(const char *cidr, int family, const uint8_t addr[16],
                   int plen)
{
    static const uint8_t zero[16];

    if (family == AF_INET) {
        uint32_t a = ((uint32_t) addr[0] << 24 | addr[1] << 16
                      | addr[2] << 8 | addr[3]);
        if (!a) {
            return xasprintf("address '%s' is the unspecified address, not "
                             "a host's", cidr);
        } else if (a >> 24 == 127) {
            return xasprintf("address '%s' is a loopback address", cidr);
        } else if (a >> 28 == 0xe) {
            return xasprintf("address '%s' is a multicast address", cidr);
        } else if (a == UINT32_MAX) {
            return xasprintf("address '%s' is the limited broadcast "
                             "address", cidr);
        } else if (plen < 31) {
            uint32_t host_mask = plen ? UINT32_MAX >> plen : UINT32_MAX;
            uint32_t net = a & ~host_mask;
            char buf[INET_ADDRSTRLEN];
            uint32_t n = htonl(net);
            inet_ntop(AF_INET, &n, buf, sizeof buf);
            if (a == net) {
                return xasprintf("address '%s' is the network address of "
                                 "subnet %s/%d", cidr, buf, plen);
            } else if ((a & host_mask) == host_mask) {
                return xasprintf("address '%s' is the broadcast address of "
                                 "subnet %s/%d", cidr, buf, plen);
            }
        }
    } else {
        if (!memcmp(addr, zero, 16)) {
            return xasprintf("address '%s' is the unspecified address, not "
                             "a host's", cidr);
        } else if (!memcmp(addr, zero, 15) && addr[15] == 1) {
            return xasprintf("address '%s' is a loopback address", cidr);
        } else if (addr[0] == 0xff) {
            return xasprintf("address '%s' is a multicast address", cidr);
        }
    }
    return NULL;
}

char *
topology_parse_cidr(const char *cidr, int *familyp, char **addrp,
                    int *plenp)
{
    uint8_t addr[16];
    int family, plen;
    char *error = parse_cidr__(cidr, &family, addr, &plen);
    if (error) {
        if (addrp) {
            *addrp = NULL;
        }
        return error;
    }
    if (familyp) {
        *familyp = family;
    }
    if (addrp) {
        *addrp = xmemdup0(cidr, strchr(cidr, '/') - cidr);
    }
    if (plenp) {
        *plenp = plen;
    }
    return NULL;
}

/* Endpoints. */

char *
topology_parse_endpoint(const char *s, struct topo_end *end)
{
    char *copy = xstrdup(s);
    char *error = NULL;

    char *addr = strchr(copy, '=');
    if (addr) {
        *addr++ = '\0';
        char *e = topology_parse_cidr(addr, NULL, NULL, NULL);
        if (e) {
            error = xasprintf("endpoint '%s': %s", s, e);
            free(e);
            goto out;
        }
        svec_add(&end->addrs, addr);
    }
    char *ifname = strchr(copy, '/');
    if (ifname) {
        *ifname++ = '\0';
        if (!*ifname) {
            error = xasprintf("endpoint '%s' has an empty interface name", s);
            goto out;
        }
        free(end->ifname);
        end->ifname = xstrdup(ifname);
    }
    if (!*copy) {
        error = xasprintf("endpoint '%s' names no namespace (use - for the "
                          "current one)", s);
        goto out;
    }
    free(end->ns);
    end->ns = strcmp(copy, "-") ? xstrdup(copy) : NULL;

    char *e = end->ns ? topology_check_name(TOPO_NAME_NS, end->ns) : NULL;
    if (!e && end->ifname) {
        e = topology_check_name(TOPO_NAME_IFNAME, end->ifname);
    }
    if (e) {
        error = xasprintf("endpoint '%s': %s", s, e);
        free(e);
    }

out:
    free(copy);
    return error;
}

/* Names. */

/* Returns true if 's' is valid UTF-8 (as the file's text must be, and so
 * everything written back into JSON: a name from the command line need not
 * be). */
static bool
is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        int n;
        unsigned int c;
        if (*p < 0x80) {
            p++;
            continue;
        } else if ((*p & 0xe0) == 0xc0) {
            n = 1, c = *p & 0x1f;
        } else if ((*p & 0xf0) == 0xe0) {
            n = 2, c = *p & 0x0f;
        } else if ((*p & 0xf8) == 0xf0) {
            n = 3, c = *p & 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return false;
            }
            c = (c << 6) | (p[i] & 0x3f);
        }
        if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800)
            || (n == 3 && c < 0x10000) || c > 0x10ffff
            || (c >= 0xd800 && c <= 0xdfff)) {
            return false;
        }
        p += n + 1;
    }
    return true;
}

/* Appends 'name' to 'ds' in quotes, with control characters escaped, so
 * that a message about a name with a newline stays on one line. */
static void
put_quoted_name(struct ds *ds, const char *name)
{
    ds_put_char(ds, '\'');
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        if (*p == '\n') {
            ds_put_cstr(ds, "\\n");
        } else if (*p == '\r') {
            ds_put_cstr(ds, "\\r");
        } else if (*p == '\t') {
            ds_put_cstr(ds, "\\t");
        } else if (*p < 0x20 || *p == 0x7f) {
            ds_put_format(ds, "\\x%02x", *p);
        } else {
            ds_put_char(ds, *p);
        }
    }
    ds_put_char(ds, '\'');
}

/* The kernel's rules for interface names (as rtnl_ifname_is_valid()), and
 * names that mean something else to it or to OVS. */
static char *
check_ifname__(const char *name)
{
    size_t len = strlen(name);
    if (!len) {
        return xstrdup("interface name is empty");
    } else if (len > 15) {
        return xasprintf("interface name '%s' is longer than 15 bytes", name);
    } else if (!strcmp(name, ".") || !strcmp(name, "..")) {
        return xasprintf("interface name '%s' is not allowed", name);
    } else if (!strcmp(name, "lo")) {
        return xstrdup("interface name 'lo' is not allowed: it is the "
                       "loopback interface of every namespace");
    } else if (!strcmp(name, "all") || !strcmp(name, "default")) {
        return xasprintf("interface name '%s' is not allowed: the kernel "
                         "uses it for the settings in "
                         "/proc/sys/net/ipv4/conf/%s", name, name);
    }
    for (const char *p = name; *p; p++) {
        if (strchr("/:%\\", *p)) {
            /* '%' makes the kernel pick a name ("eth%d"); '\' is an
             * escape to OVS's and the shell's parsers. */
            return xasprintf("interface name '%s' contains '%c'", name, *p);
        } else if (strchr(" \t\n\v\f\r", *p)) {
            return xasprintf("interface name '%s' contains whitespace",
                             name);
        }
    }
    return NULL;
}

static char *
check_ns_name__(const char *name)
{
    size_t len = strlen(name);
    if (!len) {
        return xstrdup("namespace name is empty");
    } else if (len > 255) {
        return xasprintf("namespace name '%.20s...' is longer than 255 bytes",
                         name);
    } else if (!strcmp(name, ".") || !strcmp(name, "..")) {
        return xasprintf("namespace name '%s' is not allowed", name);
    } else if (strchr(name, '/')) {
        return xasprintf("namespace name '%s' contains '/'", name);
    }
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            /* A newline would split "ip netns list" output. */
            struct ds ds = DS_EMPTY_INITIALIZER;
            ds_put_cstr(&ds, "namespace name ");
            put_quoted_name(&ds, name);
            ds_put_cstr(&ds, " contains a control character");
            return ds_steal_cstr(&ds);
        }
    }
    return NULL;
}

static char *
check_topology_name__(const char *name)
{
    size_t len = strlen(name);
    if (!len) {
        return xstrdup("topology name is empty");
    } else if (len > 64) {
        return xasprintf("topology name '%s' is longer than 64 bytes", name);
    } else if (!strcmp(name, ".") || !strcmp(name, "..")) {
        /* The state file is STATE_DIR/NAME.json, the lock
         * STATE_DIR/.NAME.lock. */
        return xasprintf("topology name '%s' is not allowed", name);
    }
    for (const char *p = name; *p; p++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_.-", *p)) {
            struct ds ds = DS_EMPTY_INITIALIZER;
            ds_put_cstr(&ds, "topology name ");
            put_quoted_name(&ds, name);
            if ((unsigned char) *p < 0x20 || *p == 0x7f) {
                ds_put_cstr(&ds, " contains a control character");
            } else {
                ds_put_format(&ds, " contains '%c'", *p);
            }
            ds_put_cstr(&ds, " (allowed: letters, digits, '_', '.', '-')");
            return ds_steal_cstr(&ds);
        }
    }
    return NULL;
}

char *
topology_check_name(enum topo_name_kind kind, const char *name)
{
    const char *what = (kind == TOPO_NAME_TOPOLOGY ? "topology name"
                        : kind == TOPO_NAME_NS ? "namespace name"
                        : "interface name");
    if (!name) {
        return xasprintf("%s is missing", what);
    } else if (!is_utf8(name)) {
        return xasprintf("%s is not valid UTF-8", what);
    }
    return (kind == TOPO_NAME_TOPOLOGY ? check_topology_name__(name)
            : kind == TOPO_NAME_NS ? check_ns_name__(name)
            : check_ifname__(name));
}

/* Records the problem with 'name', if any, at 'base'/'field'. */
static bool
check_name(struct topo_ctx *ctx, const char *base, const char *field,
           bool key, enum topo_name_kind kind, const char *name)
{
    char *error = topology_check_name(kind, name);
    if (error) {
        topo_error(ctx, base, field, key, "%s", error);
        free(error);
        return false;
    }
    return true;
}

static bool
check_ifname(struct topo_ctx *ctx, const char *base, const char *field,
             bool key, const char *name)
{
    return check_name(ctx, base, field, key, TOPO_NAME_IFNAME, name);
}

static bool
check_ns_name(struct topo_ctx *ctx, const char *base, const char *name)
{
    return check_name(ctx, base, "ns", false, TOPO_NAME_NS, name);
}

static bool
check_topology_name(struct topo_ctx *ctx, const char *name)
{
    if (!name) {
        topo_error(ctx, "", NULL, false, "topology has no 'name'");
        return false;
    }
    return check_name(ctx, "/name", NULL, false, TOPO_NAME_TOPOLOGY, name);
}

static int
hex_digit(char c)
{
    return (c >= '0' && c <= '9' ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
            : -1);
}

/* Returns true if 's' is "xx:xx:xx:xx:xx:xx" in hex, and the bytes. */
static bool
parse_mac(const char *s, uint8_t mac[6])
{
    if (strlen(s) != 17) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        int hi = hex_digit(s[i * 3]);
        int lo = hex_digit(s[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':')) {
            return false;
        }
        mac[i] = hi * 16 + lo;
    }
    return true;
}

static bool
check_mac(struct topo_ctx *ctx, const char *base, const char *mac)
{
    uint8_t b[6];
    if (!parse_mac(mac, b)) {
        topo_error(ctx, base, "mac", false, "invalid mac '%s' "
                   "(expected six hex bytes as in 'aa:bb:cc:dd:ee:ff')", mac);
    } else if (b[0] & 1) {
        topo_error(ctx, base, "mac", false,
                   "mac '%s' is a multicast address", mac);
    } else if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5])) {
        topo_error(ctx, base, "mac", false, "mac '%s' is all zeros", mac);
    } else {
        for (const char *p = mac; *p; p++) {
            if (*p >= 'A' && *p <= 'F') {
                topo_error(ctx, base, "mac", false,
                           "mac '%s' is not in lowercase", mac);
                return false;
            }
        }
        return true;
    }
    return false;
}

static bool
check_range(struct topo_ctx *ctx, const char *base, const char *field,
            const char *what, long long int value, int min, int max)
{
    if (value < min || value > max) {
        topo_error(ctx, base, field, false,
                   "%s %lld is out of range %d..%d", what, value, min, max);
        return false;
    }
    return true;
}

bool
topology_is_reserved_key(const char *key)
{
    return !strncmp(key, TOPO_RESERVED_KEY_PREFIX,
                    strlen(TOPO_RESERVED_KEY_PREFIX));
}

/* Checks that the array or object 'field' of the object at 'base' has at
 * most 'max' members, and points at the first one too many. */
static bool
check_count(struct topo_ctx *ctx, const char *base, const char *field,
            const char *what, size_t n, size_t max)
{
    if (n > max) {
        char *path = (!strcmp(field, "external_ids")
                      ? xstrdup(field) : xasprintf("%s/%zu", field, max));
        topo_error(ctx, base, path, false, "%zu %s are more than the %zu "
                   "that vplug allows", n, what, max);
        free(path);
        return false;
    }
    return true;
}

static bool
check_kvs(struct topo_ctx *ctx, const char *base, const struct topo_kv *kvs,
          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_utf8(kvs[i].key) || !is_utf8(kvs[i].value)) {
            topo_error(ctx, base, "external_ids", false,
                       "external_ids %zu is not valid UTF-8", i);
            return false;
        }
        if (topology_is_reserved_key(kvs[i].key)) {
            /* vplug's ownership tags: a file that could set them could
             * claim or disown objects. */
            struct ds field = DS_EMPTY_INITIALIZER;
            ds_put_cstr(&field, "external_ids/");
            json_pos_put_token(&field, kvs[i].key);
            topo_error(ctx, base, ds_cstr(&field), true,
                       "external_ids key '%s' is reserved: vplug itself "
                       "writes the keys that begin with '%s'", kvs[i].key,
                       TOPO_RESERVED_KEY_PREFIX);
            ds_destroy(&field);
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(kvs[i].key, kvs[j].key)) {
                topo_error(ctx, base, "external_ids", false,
                           "external_ids key '%s' is listed twice",
                           kvs[i].key);
                return false;
            }
        }
    }
    return true;
}

/* OVN: chassis, routers and the ports of ovn switches. */

/* Returns "/PREFIX/NAME", escaped.  Caller frees. */
static char *
named_path(const char *prefix, const char *name)
{
    struct ds ds = DS_EMPTY_INITIALIZER;
    ds_put_format(&ds, "/%s/", prefix);
    json_pos_put_token(&ds, name);
    return ds_steal_cstr(&ds);
}

/* An ovn switch is a logical one: the OVS settings of a bridge have no
 * meaning for it (ovn-controller's integration bridge carries its ports). */
static bool
check_ovn_switch(struct topo_ctx *ctx, const char *base,
                 const struct topo_switch *sw)
{
    const char *field = (sw->datapath ? "datapath"
                         : sw->fail_mode ? "fail_mode"
                         : sw->port_type ? "port_type"
                         : NULL);
    if (field) {
        topo_error(ctx, base, field, false,
                   "%s applies only to ovs switches, and '%s' is an ovn "
                   "logical switch", field, sw->name);
        return false;
    }
    return true;
}

/* Checks the OVN-specific options of 'end' ('sw' is its switch or NULL). */
static bool
check_ovn_end(struct topo_ctx *ctx, const struct topology *t,
              const char *base, const struct topo_end *end,
              const struct topo_switch *sw)
{
    bool ovn = sw && sw->kind == TOPO_SW_OVN;

    if (end->chassis && !ovn) {
        if (sw) {
            topo_error(ctx, base, "chassis", false,
                       "chassis applies only to ports of ovn switches, and "
                       "'%s' is a%s %s", sw->name,
                       sw->kind == TOPO_SW_OVS ? "n" : "",
                       topo_switch_kind_name(sw->kind));
        } else {
            topo_error(ctx, base, "chassis", false,
                       "chassis applies only to ports of ovn switches, and "
                       "this is a namespace end");
        }
        return false;
    }
    if (!ovn) {
        return true;
    }
    if (end->chassis && !topology_find_chassis(t, end->chassis)) {
        topo_error(ctx, base, "chassis", false,
                   "chassis '%s' is not declared in 'chassis'",
                   end->chassis);
        return false;
    }
    if (end->vlan != -1) {
        topo_error(ctx, base, "vlan", false,
                   "vlan applies only to ports of ovs switches, and '%s' is "
                   "an ovn logical switch", sw->name);
        return false;
    }
    return true;
}

/* Checks the chassis and the routers of 't'.  'switches' maps switch names
 * to their index. */
static bool
check_ovn(struct topo_ctx *ctx, const struct topology *t,
          const struct name_set *switches)
{
    struct topo_port_addr {
        const struct topo_router *r;
        const struct topo_router_port *p;
        int family, plen;
        uint8_t addr[16];
    } *addrs = NULL;
    size_t n_addrs = 0;
    bool ok = false;

    if (topology_has_ovn(t) && !t->n_chassis) {
        topo_error(ctx, "", NULL, false,
                   "topology has ovn switches but no 'chassis'");
        return false;
    }
    for (size_t i = 0; i < t->n_chassis; i++) {
        const struct topo_chassis *c = &t->chassis[i];
        char *base = named_path("chassis", c->name ? c->name : "");
        bool c_ok = false;
        int family;
        uint8_t ip[16];

        if (!c->name || !c->name[0] || strchr(c->name, '/')
            || !strcmp(c->name, ".") || !strcmp(c->name, "..")
            || strlen(c->name) > 64) {
            topo_error(ctx, base, NULL, true,
                       "chassis name '%s' is not allowed (it names a "
                       "namespace: 1 to 64 bytes, no '/')",
                       c->name ? c->name : "");
        } else if (topology_find_chassis(t, c->name) != c) {
            topo_error(ctx, base, NULL, true,
                       "chassis '%s' is declared twice", c->name);
        } else if (c->encap_ip && (!parse_address(c->encap_ip, &family, ip)
                                   || family != AF_INET)) {
            topo_error(ctx, base, "encap_ip", false,
                       "encap_ip '%s' of chassis '%s' is not an IPv4 "
                       "address", c->encap_ip, c->name);
        } else {
            c_ok = true;
            for (size_t j = 0; c->encap_ip && j < i; j++) {
                const char *other = t->chassis[j].encap_ip;
                if (other && !strcmp(other, c->encap_ip)) {
                    topo_error(ctx, base, "encap_ip", false,
                               "encap_ip '%s' of chassis '%s' is also "
                               "chassis '%s''s", c->encap_ip, c->name,
                               t->chassis[j].name);
                    c_ok = false;
                }
            }
        }
        free(base);
        if (!c_ok) {
            return false;
        }
    }

    for (size_t i = 0; i < t->n_routers; i++) {
        n_addrs += t->routers[i].n_ports;
    }
    addrs = xcalloc(n_addrs + 1, sizeof *addrs);
    n_addrs = 0;
    for (size_t i = 0; i < t->n_routers; i++) {
        const struct topo_router *r = &t->routers[i];
        char *base = named_path("routers", r->name ? r->name : "");
        bool r_ok = true;

        if (!r->name || !r->name[0]) {
            topo_error(ctx, base, NULL, true, "router name is empty");
            r_ok = false;
        }
        for (size_t j = 0; r_ok && j < i; j++) {
            if (!strcmp(t->routers[j].name, r->name)) {
                topo_error(ctx, base, NULL, true,
                           "router '%s' is declared twice", r->name);
                r_ok = false;
            }
        }
        if (r_ok && !r->n_ports) {
            topo_error(ctx, base, NULL, false, "router '%s' has no ports",
                       r->name);
            r_ok = false;
        }
        for (size_t j = 0; r_ok && j < r->n_ports; j++) {
            const struct topo_router_port *p = &r->ports[j];
            struct ds field = DS_EMPTY_INITIALIZER;
            ds_put_cstr(&field, "ports/");
            json_pos_put_token(&field, p->sw ? p->sw : "");

            const struct name_entry *e = name_set_slot(switches,
                                                       p->sw ? p->sw : "");
            const struct topo_switch *sw = e->key ? &t->switches[e->owner]
                                                  : NULL;
            struct topo_port_addr *a = &addrs[n_addrs];
            char *error = NULL;
            if (!sw) {
                topo_error(ctx, base, ds_cstr(&field), true,
                           "router '%s' has a port on switch '%s', which is "
                           "not declared in 'switches'", r->name,
                           p->sw ? p->sw : "");
                r_ok = false;
            } else if (sw->kind != TOPO_SW_OVN) {
                topo_error(ctx, base, ds_cstr(&field), true,
                           "router '%s' has a port on switch '%s', which is "
                           "not an ovn switch", r->name, sw->name);
                r_ok = false;
            } else if (!p->cidr
                       || (error = parse_cidr__(p->cidr, &a->family,
                                                a->addr, &a->plen))) {
                topo_error(ctx, base, ds_cstr(&field), false,
                           "router '%s' port on '%s': %s", r->name, p->sw,
                           error ? error : "no address");
                r_ok = false;
            } else {
                a->r = r;
                a->p = p;
                for (size_t k = 0; r_ok && k < n_addrs; k++) {
                    const struct topo_port_addr *b = &addrs[k];
                    if (b->family == a->family && strcmp(b->p->sw, p->sw)
                        && prefix_equal(a->addr, b->addr,
                                        MIN(a->plen, b->plen))) {
                        topo_error(ctx, base, ds_cstr(&field), false,
                                   "subnet %s of router '%s' on switch "
                                   "'%s' overlaps subnet %s of router '%s' "
                                   "on switch '%s'", p->cidr, r->name,
                                   p->sw, b->p->cidr, b->r->name, b->p->sw);
                        r_ok = false;
                    }
                }
                n_addrs++;
            }
            free(error);
            ds_destroy(&field);
        }
        free(base);
        if (!r_ok) {
            goto out;
        }
    }
    ok = true;

out:
    free(addrs);
    return ok;
}

/* Checks the links to ovn switches: each joins a namespace end to the
 * switch, and the namespace end's addresses lie in the subnets of the
 * switch's router ports. */
static bool
check_ovn_links(struct topo_ctx *ctx, const struct topology *t)
{
    for (size_t i = 0; i < t->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &t->links[i].ends[j];
            const struct topo_end *peer = &t->links[i].ends[!j];
            const struct topo_switch *sw = topology_find_switch(t, end->sw);
            if (!sw || sw->kind != TOPO_SW_OVN) {
                continue;
            }

            char *base = xasprintf("/links/%zu/ends/%d", i, !j);
            bool ok = true;
            if (peer->sw) {
                topo_error(ctx, base, "switch", false,
                           "a port of ovn switch '%s' links only to a "
                           "namespace end, not to switch '%s'", sw->name,
                           peer->sw);
                ok = false;
            }
            for (size_t k = 0; ok && k < peer->addrs.n; k++) {
                const char *cidr = peer->addrs.names[k];
                uint8_t addr[16];
                int family, plen;
                char *error = parse_cidr__(cidr, &family, addr, &plen);
                free(error);
                for (size_t r = 0; ok && !error && r < t->n_routers; r++) {
                    const struct topo_router *router = &t->routers[r];
                    for (size_t p = 0; ok && p < router->n_ports; p++) {
                        const struct topo_router_port *port
                            = &router->ports[p];
                        uint8_t raddr[16];
                        int rfamily, rplen;
                        if (strcmp(port->sw, sw->name)
                            || parse_cidr__(port->cidr, &rfamily, raddr,
                                            &rplen)
                            || rfamily != family) {
                            continue;
                        }
                        char field[32];
                        snprintf(field, sizeof field, "addrs/%zu", k);
                        if (!prefix_equal(addr, raddr, rplen)) {
                            topo_error(ctx, base, field, false,
                                       "address '%s' is outside subnet %s "
                                       "of router '%s' on switch '%s'",
                                       cidr, port->cidr, router->name,
                                       sw->name);
                            ok = false;
                        } else if (!memcmp(addr, raddr, 16)) {
                            topo_error(ctx, base, field, false,
                                       "address '%s' is router '%s''s own "
                                       "address on switch '%s'", cidr,
                                       router->name, sw->name);
                            ok = false;
                        }
                    }
                }
            }
            free(base);
            if (!ok) {
                return false;
            }
        }
    }
    return true;
}

/* Validation of the model. */

static bool
check_switch(struct topo_ctx *ctx, const struct topology *t, size_t idx,
             struct name_set *switches)
{
    const struct topo_switch *sw = &t->switches[idx];
    char *base = switch_path(sw->name ? sw->name : "");
    bool ok = false;

    if (!sw->name) {
        topo_error(ctx, "/switches", NULL, false, "switch %zu has no name",
                   idx);
        goto out;
    }
    if (!check_ifname(ctx, base, NULL, true, sw->name)) {
        goto out;
    }
    if (name_set_add(switches, sw->name, idx)) {
        topo_error(ctx, base, NULL, true,
                   "switch '%s' is declared twice", sw->name);
        goto out;
    }

    if (sw->kind == TOPO_SW_OVS) {
        if (sw->datapath && strcmp(sw->datapath, "auto")
            && strcmp(sw->datapath, "netdev")
            && strcmp(sw->datapath, "system")) {
            topo_error(ctx, base, "datapath", false,
                       "unknown datapath '%s' (expected 'auto', 'netdev' "
                       "or 'system')", sw->datapath);
            goto out;
        }
        if (sw->fail_mode && strcmp(sw->fail_mode, "standalone")
            && strcmp(sw->fail_mode, "secure")) {
            topo_error(ctx, base, "fail_mode", false,
                       "unknown fail_mode '%s' (expected 'standalone' or "
                       "'secure')", sw->fail_mode);
            goto out;
        }
        if (sw->port_type && !is_utf8(sw->port_type)) {
            topo_error(ctx, base, "port_type", false,
                       "port_type is not valid UTF-8");
            goto out;
        }
        if (sw->port_type && (!sw->port_type[0]
                              || strstr(sw->port_type, ",,")
                              || sw->port_type[0] == ','
                              || sw->port_type[strlen(sw->port_type) - 1]
                                 == ',')) {
            topo_error(ctx, base, "port_type", false,
                       "port_type is empty (the plain port type is "
                       "'system')");
            goto out;
        }
    } else if (sw->kind == TOPO_SW_OVN) {
        if (!check_ovn_switch(ctx, base, sw)) {
            goto out;
        }
    } else if (sw->kind == TOPO_SW_BRIDGE) {
        const char *field = (sw->datapath ? "datapath"
                             : sw->fail_mode ? "fail_mode"
                             : sw->port_type ? "port_type"
                             : NULL);
        if (field) {
            topo_error(ctx, base, field, false,
                       "%s applies only to ovs switches, and '%s' is a "
                       "bridge", field, sw->name);
            goto out;
        }
    } else {
        topo_error(ctx, base, "kind", false,
                   "switch kind '%s' is only valid in 'fallback' "
                   "(expected 'ovs', 'bridge' or 'ovn')",
                   topo_switch_kind_name(sw->kind));
        goto out;
    }

    if (sw->mtu && !check_range(ctx, base, "mtu", "mtu", sw->mtu,
                                68, 65535)) {
        goto out;
    }
    if (!check_count(ctx, base, "external_ids", "external_ids",
                     sw->n_external_ids, TOPO_MAX_EXTERNAL_IDS)
        || !check_kvs(ctx, base, sw->external_ids, sw->n_external_ids)) {
        goto out;
    }
    for (size_t i = 0; i < sw->n_fallback; i++) {
        char field[32];
        snprintf(field, sizeof field, "fallback/%zu", i);
        enum topo_switch_kind k = sw->fallback[i];
        if ((unsigned int) k > TOPO_SW_DIRECT || sw->kind == TOPO_SW_OVN) {
            if (k == TOPO_SW_OVN || sw->kind == TOPO_SW_OVN) {
                topo_error(ctx, base, field, false,
                           "an ovn switch has no fallback, and no switch "
                           "falls back to ovn");
                goto out;
            }
            topo_error(ctx, base, field, false, "unknown fallback kind %d",
                       (int) k);
            goto out;
        }
        if (k == sw->kind) {
            topo_error(ctx, base, field, false,
                       "fallback lists the switch's own kind '%s'",
                       topo_switch_kind_name(sw->kind));
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (sw->fallback[j] == k) {
                topo_error(ctx, base, field, false,
                           "fallback lists '%s' twice",
                           topo_switch_kind_name(k));
                goto out;
            }
        }
    }
    ok = true;

out:
    free(base);
    return ok;
}

/* Checks the route 'r' of the end at 'base'. */
static bool
check_route(struct topo_ctx *ctx, const char *base, size_t idx,
            const struct topo_route *r)
{
    char field[48];
    int dst_family = AF_UNSPEC;

    snprintf(field, sizeof field, "routes/%zu/dst", idx);
    if (!r->dst) {
        snprintf(field, sizeof field, "routes/%zu", idx);
        topo_error(ctx, base, field, false, "route has no 'dst'");
        return false;
    } else if (strcmp(r->dst, "default")) {
        uint8_t addr[16];
        int plen;
        char *error = parse_cidr__(r->dst, &dst_family, addr, &plen);
        if (error) {
            topo_error(ctx, base, field, false, "route destination: %s",
                       error);
            free(error);
            return false;
        }
        int bytes = dst_family == AF_INET ? 4 : 16;
        for (int bit = plen; bit < bytes * 8; bit++) {
            if (addr[bit / 8] & (0x80 >> (bit % 8))) {
                topo_error(ctx, base, field, false,
                           "route destination '%s' has host bits set",
                           r->dst);
                return false;
            }
        }
    }

    snprintf(field, sizeof field, "routes/%zu/via", idx);
    if (!r->via) {
        if (dst_family == AF_UNSPEC) {
            snprintf(field, sizeof field, "routes/%zu", idx);
            topo_error(ctx, base, field, false,
                       "default route has no 'via'");
            return false;
        }
        return true;
    }
    int via_family;
    if (!parse_address(r->via, &via_family, NULL)) {
        topo_error(ctx, base, field, false,
                   "route gateway '%s' is not a valid IPv4 or IPv6 address",
                   r->via);
        return false;
    }
    if (dst_family != AF_UNSPEC && dst_family != via_family) {
        topo_error(ctx, base, field, false,
                   "route gateway '%s' is not in the family of '%s'",
                   r->via, r->dst);
        return false;
    }
    return true;
}

/* Checks everything about one end that does not involve other ends. */
static bool
check_end(struct topo_ctx *ctx, const struct topology *t, const char *base,
          const struct topo_end *end, const struct name_set *switches)
{
    const struct topo_switch *sw = NULL;

    if (end->ns && end->sw) {
        topo_error(ctx, base, "switch", true,
                   "link end has both 'ns' and 'switch'");
        return false;
    }
    if (end->ns && !check_ns_name(ctx, base, end->ns)) {
        return false;
    }
    if (end->sw) {
        const struct name_entry *e = name_set_slot(switches, end->sw);
        sw = e->key ? &t->switches[e->owner] : NULL;
        if (!sw) {
            topo_error(ctx, base, "switch", false,
                       "switch '%s' is not declared in 'switches'", end->sw);
            return false;
        }
    }
    if (!check_ovn_end(ctx, t, base, end, sw)) {
        return false;
    }
    if (!end->ifname) {
        topo_error(ctx, base, "ifname", false, "link end has no 'ifname'");
        return false;
    }
    if (!check_ifname(ctx, base, "ifname", false, end->ifname)) {
        return false;
    }

    /* Before anything that takes time in proportion. */
    if (!check_count(ctx, base, "addrs", "addresses", end->addrs.n,
                     TOPO_MAX_ADDRS)
        || !check_count(ctx, base, "routes", "routes", end->n_routes,
                        TOPO_MAX_ROUTES)
        || !check_count(ctx, base, "external_ids", "external_ids",
                        end->n_external_ids, TOPO_MAX_EXTERNAL_IDS)) {
        return false;
    }

    if (sw && end->addrs.n) {
        topo_error(ctx, base, "addrs", false,
                   "port '%s' of switch '%s' cannot have addresses "
                   "(addresses go on namespace ends)", end->ifname, sw->name);
        return false;
    }
    uint8_t (*addrs)[17] = xcalloc(end->addrs.n + 1, sizeof *addrs);
    int *plens = xcalloc(end->addrs.n + 1, sizeof *plens);
    for (size_t i = 0; i < end->addrs.n; i++) {
        char field[32];
        int family, plen;
        snprintf(field, sizeof field, "addrs/%zu", i);
        char *error = parse_cidr__(end->addrs.names[i], &family, addrs[i],
                                   &plen);
        if (!error) {
            error = check_host_address(end->addrs.names[i], family, addrs[i],
                                       plen);
        }
        if (error) {
            topo_error(ctx, base, field, false, "%s", error);
            free(error);
            free(addrs);
            free(plens);
            return false;
        }
        addrs[i][16] = family == AF_INET ? 4 : 6;
        plens[i] = plen;
        for (size_t j = 0; j < i; j++) {
            if (!memcmp(addrs[i], addrs[j], 17)) {
                topo_error(ctx, base, field, false,
                           "address '%s' is listed twice (as '%s')",
                           end->addrs.names[i], end->addrs.names[j]);
                free(addrs);
                free(plens);
                return false;
            }
        }
    }

    if (end->mac && !check_mac(ctx, base, end->mac)) {
        free(addrs);
        free(plens);
        return false;
    }
    if (end->mtu && !check_range(ctx, base, "mtu", "mtu", end->mtu,
                                 68, 65535)) {
        free(addrs);
        free(plens);
        return false;
    }
    if (end->vlan != -1) {
        if (!check_range(ctx, base, "vlan", "vlan", end->vlan, 1, 4094)) {
            free(addrs);
            free(plens);
            return false;
        } else if (!sw) {
            topo_error(ctx, base, "vlan", false,
                       "vlan applies only to ports of ovs switches, and "
                       "'%s' is a namespace end", end->ifname);
            free(addrs);
            free(plens);
            return false;
        } else if (sw->kind != TOPO_SW_OVS) {
            topo_error(ctx, base, "vlan", false,
                       "vlan applies only to ports of ovs switches, and "
                       "'%s' is a %s", sw->name,
                       topo_switch_kind_name(sw->kind));
            free(addrs);
            free(plens);
            return false;
        }
    }
    if (end->n_external_ids && !sw) {
        topo_error(ctx, base, "external_ids", false,
                   "external_ids applies only to switch ports, and '%s' is "
                   "a namespace end", end->ifname);
        free(addrs);
        free(plens);
        return false;
    }
    if (!check_kvs(ctx, base, end->external_ids, end->n_external_ids)) {
        free(addrs);
        free(plens);
        return false;
    }

    if (end->n_routes && sw) {
        topo_error(ctx, base, "routes", false,
                   "port '%s' of switch '%s' cannot have routes "
                   "(routes go on namespace ends)", end->ifname, sw->name);
        free(addrs);
        free(plens);
        return false;
    }
    for (size_t i = 0; i < end->n_routes; i++) {
        if (!check_route(ctx, base, i, &end->routes[i])) {
            free(addrs);
            free(plens);
            return false;
        }
    }

    if (end->gateway) {
        int family;
        bool found = false;
        if (sw) {
            topo_error(ctx, base, "gateway", false,
                       "port '%s' of switch '%s' cannot have a gateway "
                       "(gateways go on namespace ends)", end->ifname,
                       sw->name);
        } else if (!parse_address(end->gateway, &family, NULL)) {
            topo_error(ctx, base, "gateway", false,
                       "gateway '%s' is not a valid IPv4 or IPv6 address",
                       end->gateway);
        } else {
            uint8_t gw[16];
            bool same_family = false;
            parse_address(end->gateway, &family, gw);
            for (size_t i = 0; i < end->addrs.n; i++) {
                if (addrs[i][16] == (family == AF_INET ? 4 : 6)) {
                    same_family = true;
                    found |= prefix_equal(addrs[i], gw, plens[i]);
                }
            }
            if (family == AF_INET6 && gw[0] == 0xfe
                && (gw[1] & 0xc0) == 0x80) {
                /* An IPv6 link-local gateway is on every link. */
                found = same_family = true;
            }
            if (!same_family) {
                topo_error(ctx, base, "gateway", false,
                           "gateway '%s' is not in the family of any "
                           "address of '%s'", end->gateway, end->ifname);
            } else if (!found) {
                topo_error(ctx, base, "gateway", false,
                           "gateway '%s' is on none of the subnets of the "
                           "addresses of '%s'", end->gateway, end->ifname);
            }
        }
        if (!found) {
            free(addrs);
            free(plens);
            return false;
        }
    }
    free(addrs);
    free(plens);
    return true;
}

static void
put_where(struct ds *ds, const char *ns)
{
    if (ns) {
        ds_put_format(ds, "namespace '%s'", ns);
    } else {
        ds_put_cstr(ds, "the current namespace");
    }
}

/* Checks that the end 'j' of link 'i' does not reuse a name in its
 * namespace.  'names' maps "NS/IFNAME" ("/IFNAME" in the current
 * namespace) to its first owner: 2 * link + end, or -1 - switch. */
static bool
check_unique(struct topo_ctx *ctx, const struct topology *t,
             const char *base, size_t i, int j, struct name_set *names)
{
    const struct topo_end *end = &t->links[i].ends[j];
    const char *ns = end->sw ? NULL : end->ns;
    char *key = xasprintf("%s/%s", ns ? ns : "", end->ifname);
    const struct name_entry *e = name_set_add(names, key, 2 * (long) i + j);
    free(key);
    if (!e) {
        return true;
    }

    struct ds where = DS_EMPTY_INITIALIZER;
    put_where(&where, ns);
    if (e->owner < 0) {
        topo_error(ctx, base, "ifname", false,
                   "interface name '%s' in %s is already the name of "
                   "switch '%s'", end->ifname, ds_cstr(&where),
                   t->switches[-1 - e->owner].name);
    } else if (e->owner / 2 == (long) i) {
        topo_error(ctx, base, "ifname", false,
                   "both ends of the link are interface '%s' in %s",
                   end->ifname, ds_cstr(&where));
    } else {
        topo_error(ctx, base, "ifname", false,
                   "interface name '%s' is used twice in %s "
                   "(first by link %ld end %ld)", end->ifname,
                   ds_cstr(&where), e->owner / 2, e->owner % 2);
    }
    ds_destroy(&where);
    return false;
}

static bool
validate(struct topo_ctx *ctx, const struct topology *t)
{
    struct name_set names, switches;
    bool ok = false;

    if (!check_topology_name(ctx, t->name)) {
        return false;
    }

    name_set_init(&names, t->n_switches + 2 * t->n_links);
    name_set_init(&switches, t->n_switches);
    for (size_t i = 0; i < t->n_switches; i++) {
        if (!check_switch(ctx, t, i, &switches)) {
            goto out;
        }
        /* A switch is also an interface of that name in the current
         * namespace (an OVS bridge's internal port, a Linux bridge), except
         * a logical one. */
        if (t->switches[i].kind == TOPO_SW_OVN) {
            continue;
        }
        char *key = xasprintf("/%s", t->switches[i].name);
        name_set_add(&names, key, -1 - (long) i);
        free(key);
    }

    if (!check_ovn(ctx, t, &switches)) {
        goto out;
    }

    if (!t->n_links) {
        topo_error(ctx, "/links", NULL, false, "topology has no links");
        goto out;
    }
    for (size_t i = 0; i < t->n_links; i++) {
        const struct topo_link *link = &t->links[i];
        for (int j = 0; j < 2; j++) {
            char *base = xasprintf("/links/%zu/ends/%d", i, j);
            bool end_ok = (check_end(ctx, t, base, &link->ends[j],
                                     &switches)
                           && check_unique(ctx, t, base, i, j, &names));
            free(base);
            if (!end_ok) {
                goto out;
            }
        }
        if (link->ends[0].sw && link->ends[1].sw
            && !strcmp(link->ends[0].sw, link->ends[1].sw)) {
            char *base = xasprintf("/links/%zu/ends/1", i);
            topo_error(ctx, base, "switch", false,
                       "both ends of the link attach to switch '%s'",
                       link->ends[0].sw);
            free(base);
            goto out;
        }
    }
    if (!check_ovn_links(ctx, t)) {
        goto out;
    }
    ok = true;

out:
    name_set_destroy(&switches);
    name_set_destroy(&names);
    return ok;
}

char *
topology_validate(const struct topology *t)
{
    struct topo_ctx ctx = { .file_name = NULL };
    validate(&ctx, t);
    return ctx.error;
}

/* From JSON to the model. */

static const char *
json_type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Checks that 'j' (at 'base'/'field') has 'type', described as 'expected'
 * ("a string"), and names it 'what' otherwise. */
static bool
expect_type(struct topo_ctx *ctx, const char *base, const char *field,
            const json_t *j, json_type type, const char *what,
            const char *expected)
{
    if (json_typeof(j) != type) {
        topo_error(ctx, base, field, false, "%s must be %s, not %s",
                   what, expected, json_type_name(j));
        return false;
    }
    return true;
}

/* Rejects keys of 'obj' that are not in the null-terminated 'allowed'. */
static bool
check_keys(struct topo_ctx *ctx, const char *base, const json_t *obj,
           const char *const allowed[], const char *where)
{
    const char *key;
    json_t *value;

    json_object_foreach ((json_t *) obj, key, value) {
        bool found = false;
        for (const char *const *a = allowed; *a; a++) {
            found |= !strcmp(*a, key);
        }
        if (!found) {
            struct ds field = DS_EMPTY_INITIALIZER;
            json_pos_put_token(&field, key);
            topo_error(ctx, base, ds_cstr(&field), true,
                       "unknown key '%s' in %s", key, where);
            ds_destroy(&field);
            return false;
        }
    }
    return true;
}

/* Stores a copy of the string member 'field' of 'obj' in '*out', if there
 * is one.  A null member is allowed, and stores NULL, only if
 * 'nullable'. */
static bool
get_string(struct topo_ctx *ctx, const char *base, const json_t *obj,
           const char *field, bool nullable, char **out)
{
    const json_t *j = json_object_get(obj, field);
    if (!j || (nullable && json_is_null(j))) {
        return true;
    }
    if (!expect_type(ctx, base, field, j, JSON_STRING, field, "a string")) {
        return false;
    }
    free(*out);
    *out = xstrdup(json_string_value(j));
    return true;
}

static bool
get_int(struct topo_ctx *ctx, const char *base, const json_t *obj,
        const char *field, int min, int max, int *out)
{
    const json_t *j = json_object_get(obj, field);
    if (!j) {
        return true;
    }
    if (!expect_type(ctx, base, field, j, JSON_INTEGER, field,
                     "an integer")
        || !check_range(ctx, base, field, field, json_integer_value(j),
                        min, max)) {
        return false;
    }
    *out = json_integer_value(j);
    return true;
}

/* Appends the strings in the array member 'field' of 'obj', if there is
 * one, to 'out'; 'what' names an element in messages ("each address"). */
static bool
get_string_array(struct topo_ctx *ctx, const char *base, const json_t *obj,
                 const char *field, const char *what, struct svec *out)
{
    const json_t *j = json_object_get(obj, field);
    if (!j) {
        return true;
    }
    if (!expect_type(ctx, base, field, j, JSON_ARRAY, field, "an array")) {
        return false;
    }
    size_t i;
    const json_t *s;
    json_array_foreach (j, i, s) {
        char *path = xasprintf("%s/%zu", field, i);
        bool ok = expect_type(ctx, base, path, s, JSON_STRING, what,
                              "a string");
        free(path);
        if (!ok) {
            return false;
        }
        svec_add(out, json_string_value(s));
    }
    return true;
}

/* Stores the member "port_type" of 'obj', a string or an array of strings
 * (the types to try, in order), if there is one, into '*out' as one string
 * with the types separated by commas. */
static bool
get_port_types(struct topo_ctx *ctx, const char *base, const json_t *obj,
               char **out)
{
    const json_t *j = json_object_get(obj, "port_type");
    if (!j || json_is_string(j)) {
        if (j && strchr(json_string_value(j), ',')) {
            topo_error(ctx, base, "port_type", false, "port_type '%s' is "
                       "not a port type (a list of them is an array)",
                       json_string_value(j));
            return false;
        }
        return get_string(ctx, base, obj, "port_type", false, out);
    }
    struct svec types = SVEC_EMPTY_INITIALIZER;
    bool ok = get_string_array(ctx, base, obj, "port_type", "each port type",
                               &types);
    struct ds joined = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; ok && i < types.n; i++) {
        if (!types.names[i][0] || strchr(types.names[i], ',')) {
            topo_error(ctx, base, "port_type", false, "port_type '%s' is "
                       "not a port type", types.names[i]);
            ok = false;
        }
        ds_put_format(&joined, "%s%s", i ? "," : "", types.names[i]);
    }
    if (ok) {
        free(*out);
        *out = ds_steal_cstr(&joined);
    }
    ds_destroy(&joined);
    svec_destroy(&types);
    return ok;
}

static bool
get_kvs(struct topo_ctx *ctx, const char *base, const json_t *obj,
        struct topo_kv **kvsp, size_t *np)
{
    const json_t *j = json_object_get(obj, "external_ids");
    if (!j) {
        return true;
    }
    if (!expect_type(ctx, base, "external_ids", j, JSON_OBJECT,
                     "external_ids", "an object")) {
        return false;
    }

    *kvsp = xcalloc(json_object_size(j), sizeof **kvsp);
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) j, key, value) {
        if (!json_is_string(value)) {
            struct ds field = DS_EMPTY_INITIALIZER;
            ds_put_cstr(&field, "external_ids/");
            json_pos_put_token(&field, key);
            topo_error(ctx, base, ds_cstr(&field), false,
                       "external_ids value '%s' must be a string, not %s",
                       key, json_type_name(value));
            ds_destroy(&field);
            return false;
        }
        struct topo_kv *kv = &(*kvsp)[(*np)++];
        kv->key = xstrdup(key);
        kv->value = xstrdup(json_string_value(value));
    }
    return true;
}

static bool
parse_switch(struct topo_ctx *ctx, const char *name, const json_t *j,
             struct topo_switch *sw)
{
    static const char *const keys[] = {
        "kind", "datapath", "fail_mode", "port_type", "mtu", "external_ids",
        "fallback", NULL
    };
    char *base = switch_path(name);
    char *where = xasprintf("switch '%s'", name);
    bool ok = false;

    sw->name = xstrdup(name);
    if (!expect_type(ctx, base, NULL, j, JSON_OBJECT, where, "an object")
        || !check_keys(ctx, base, j, keys, where)) {
        goto out;
    }

    const json_t *kind = json_object_get(j, "kind");
    if (!kind) {
        topo_error(ctx, base, NULL, false, "switch '%s' has no 'kind'",
                   name);
        goto out;
    }
    if (!expect_type(ctx, base, "kind", kind, JSON_STRING, "kind",
                     "a string")) {
        goto out;
    }
    const char *kind_name = json_string_value(kind);
    if (!topo_switch_kind_from_name(kind_name, &sw->kind)) {
        topo_error(ctx, base, "kind", false, "unknown switch kind '%s' "
                   "(expected 'ovs', 'bridge' or 'ovn')", kind_name);
        goto out;
    }

    if (!get_string(ctx, base, j, "datapath", false, &sw->datapath)
        || !get_string(ctx, base, j, "fail_mode", false, &sw->fail_mode)
        || !get_port_types(ctx, base, j, &sw->port_type)
        || !get_int(ctx, base, j, "mtu", 68, 65535, &sw->mtu)
        || !get_kvs(ctx, base, j, &sw->external_ids, &sw->n_external_ids)) {
        goto out;
    }
    if (sw->kind == TOPO_SW_OVS) {
        if (!sw->datapath) {
            sw->datapath = xstrdup("auto");
        }
        if (!sw->port_type) {
            sw->port_type = xstrdup("auto");
        }
    }

    struct svec fallback = SVEC_EMPTY_INITIALIZER;
    bool fallback_ok = get_string_array(ctx, base, j, "fallback",
                                        "each fallback", &fallback);
    sw->fallback = xcalloc(fallback.n, sizeof *sw->fallback);
    for (size_t i = 0; fallback_ok && i < fallback.n; i++) {
        if (!topo_switch_kind_from_name(fallback.names[i],
                                        &sw->fallback[i])) {
            char field[32];
            snprintf(field, sizeof field, "fallback/%zu", i);
            topo_error(ctx, base, field, false,
                       "unknown fallback kind '%s' (expected 'ovs', "
                       "'bridge' or 'direct')", fallback.names[i]);
            fallback_ok = false;
        } else {
            sw->n_fallback++;
        }
    }
    svec_destroy(&fallback);
    if (!fallback_ok) {
        goto out;
    }
    ok = true;

out:
    free(where);
    free(base);
    return ok;
}

static bool
parse_routes(struct topo_ctx *ctx, const char *base, const json_t *j,
             struct topo_end *end)
{
    static const char *const keys[] = { "dst", "via", NULL };

    if (!expect_type(ctx, base, "routes", j, JSON_ARRAY, "routes",
                     "an array")) {
        return false;
    }
    end->routes = xcalloc(json_array_size(j), sizeof *end->routes);

    size_t i;
    const json_t *r;
    json_array_foreach (j, i, r) {
        char *rbase = xasprintf("%s/routes/%zu", base, i);
        struct topo_route *route = &end->routes[end->n_routes++];
        bool ok = (expect_type(ctx, rbase, NULL, r, JSON_OBJECT,
                               "each route", "an object")
                   && check_keys(ctx, rbase, r, keys, "route")
                   && get_string(ctx, rbase, r, "dst", false, &route->dst)
                   && get_string(ctx, rbase, r, "via", false, &route->via));
        free(rbase);
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool
parse_end(struct topo_ctx *ctx, const char *base, const json_t *j,
          struct topo_end *end)
{
    static const char *const keys[] = {
        "ns", "switch", "ifname", "addrs", "mac", "mtu", "vlan",
        "external_ids", "routes", "gateway", "chassis", NULL
    };

    if (!expect_type(ctx, base, NULL, j, JSON_OBJECT, "a link end",
                     "an object")
        || !check_keys(ctx, base, j, keys, "link end")) {
        return false;
    }
    if (json_object_get(j, "ns") && json_object_get(j, "switch")) {
        topo_error(ctx, base, "switch", true,
                   "link end has both 'ns' and 'switch'");
        return false;
    }
    if (!get_string(ctx, base, j, "ns", true, &end->ns)
        || !get_string(ctx, base, j, "switch", false, &end->sw)
        || !get_string(ctx, base, j, "ifname", false, &end->ifname)
        || !get_string(ctx, base, j, "mac", false, &end->mac)
        || !get_int(ctx, base, j, "mtu", 68, 65535, &end->mtu)
        || !get_int(ctx, base, j, "vlan", 1, 4094, &end->vlan)
        || !get_kvs(ctx, base, j, &end->external_ids, &end->n_external_ids)
        || !get_string(ctx, base, j, "gateway", false, &end->gateway)
        || !get_string(ctx, base, j, "chassis", false, &end->chassis)) {
        return false;
    }

    /* MACs are compared as text later on, so keep them in one case. */
    uint8_t mac[6];
    if (end->mac && parse_mac(end->mac, mac)) {
        for (char *p = end->mac; *p; p++) {
            if (*p >= 'A' && *p <= 'F') {
                *p += 'a' - 'A';
            }
        }
    }

    if (!get_string_array(ctx, base, j, "addrs", "each address",
                          &end->addrs)) {
        return false;
    }

    const json_t *routes = json_object_get(j, "routes");
    return !routes || parse_routes(ctx, base, routes, end);
}

static bool
parse_link(struct topo_ctx *ctx, size_t idx, const json_t *j,
           struct topo_link *link)
{
    static const char *const keys[] = { "ends", NULL };
    char *base = xasprintf("/links/%zu", idx);
    bool ok = false;

    if (!expect_type(ctx, base, NULL, j, JSON_OBJECT, "a link", "an object")
        || !check_keys(ctx, base, j, keys, "link")) {
        goto out;
    }
    const json_t *ends = json_object_get(j, "ends");
    if (!ends) {
        topo_error(ctx, base, NULL, false, "link has no 'ends'");
        goto out;
    }
    if (!expect_type(ctx, base, "ends", ends, JSON_ARRAY, "ends",
                     "an array")) {
        goto out;
    }
    if (json_array_size(ends) != 2) {
        topo_error(ctx, base, "ends", false,
                   "a link must have exactly 2 ends, not %zu",
                   json_array_size(ends));
        goto out;
    }
    for (int i = 0; i < 2; i++) {
        char *ebase = xasprintf("%s/ends/%d", base, i);
        bool end_ok = parse_end(ctx, ebase, json_array_get(ends, i),
                                &link->ends[i]);
        free(ebase);
        if (!end_ok) {
            goto out;
        }
    }
    ok = true;

out:
    free(base);
    return ok;
}

/* Gives every end without a name a generated one that no end and no switch
 * uses, in any namespace. */
static void
generate_missing_ifnames(struct topology *t)
{
    struct name_set used;
    bool missing = false;

    name_set_init(&used, t->n_switches + 2 * t->n_links);
    for (size_t i = 0; i < t->n_switches; i++) {
        name_set_add(&used, t->switches[i].name, 0);
    }
    for (size_t i = 0; i < t->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const char *ifname = t->links[i].ends[j].ifname;
            if (ifname) {
                name_set_add(&used, ifname, 0);
            } else {
                missing = true;
            }
        }
    }
    for (size_t i = 0; missing && i < t->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            struct topo_end *end = &t->links[i].ends[j];
            for (unsigned int attempt = 0; !end->ifname; attempt++) {
                char *name = generate_ifname(t->name, i, j, attempt);
                if (!name_set_add(&used, name, 0)) {
                    end->ifname = name;
                } else {
                    free(name);
                }
            }
        }
    }
    name_set_destroy(&used);
}

/* Parses the top-level "chassis", "routers" and "ovn" members. */
static bool
parse_ovn(struct topo_ctx *ctx, const json_t *root, struct topology *t)
{
    static const char *const chassis_keys[] = { "encap_ip", NULL };
    static const char *const router_keys[] = { "kind", "ports", NULL };
    static const char *const ovn_keys[] = { "nb", NULL };
    const char *name;
    json_t *j;

    const json_t *chassis = json_object_get(root, "chassis");
    if (chassis) {
        if (!expect_type(ctx, "", "chassis", chassis, JSON_OBJECT,
                         "chassis", "an object")) {
            return false;
        }
        t->chassis = xcalloc(json_object_size(chassis), sizeof *t->chassis);
        json_object_foreach ((json_t *) chassis, name, j) {
            struct topo_chassis *c = &t->chassis[t->n_chassis++];
            char *base = named_path("chassis", name);
            char *where = xasprintf("chassis '%s'", name);
            c->name = xstrdup(name);
            bool ok = (expect_type(ctx, base, NULL, j, JSON_OBJECT, where,
                                   "an object")
                       && check_keys(ctx, base, j, chassis_keys, where)
                       && get_string(ctx, base, j, "encap_ip", false,
                                     &c->encap_ip));
            free(where);
            free(base);
            if (!ok) {
                return false;
            }
        }
    }

    const json_t *routers = json_object_get(root, "routers");
    if (routers) {
        if (!expect_type(ctx, "", "routers", routers, JSON_OBJECT,
                         "routers", "an object")) {
            return false;
        }
        t->routers = xcalloc(json_object_size(routers), sizeof *t->routers);
        json_object_foreach ((json_t *) routers, name, j) {
            struct topo_router *r = &t->routers[t->n_routers++];
            char *base = named_path("routers", name);
            char *where = xasprintf("router '%s'", name);
            char *kind = NULL;
            bool ok = false;

            r->name = xstrdup(name);
            if (!expect_type(ctx, base, NULL, j, JSON_OBJECT, where,
                             "an object")
                || !check_keys(ctx, base, j, router_keys, where)
                || !get_string(ctx, base, j, "kind", false, &kind)) {
                goto next;
            }
            if (!kind) {
                topo_error(ctx, base, NULL, false,
                           "router '%s' has no 'kind'", name);
                goto next;
            } else if (strcmp(kind, "ovn")) {
                topo_error(ctx, base, "kind", false,
                           "unknown router kind '%s' (expected 'ovn')",
                           kind);
                goto next;
            }
            const json_t *ports = json_object_get(j, "ports");
            if (ports && !expect_type(ctx, base, "ports", ports,
                                      JSON_OBJECT, "ports", "an object")) {
                goto next;
            }
            r->ports = xcalloc(ports ? json_object_size(ports) : 0,
                               sizeof *r->ports);
            const char *sw;
            json_t *cidr;
            ok = true;
            json_object_foreach ((json_t *) ports, sw, cidr) {
                struct ds field = DS_EMPTY_INITIALIZER;
                ds_put_cstr(&field, "ports/");
                json_pos_put_token(&field, sw);
                ok = expect_type(ctx, base, ds_cstr(&field), cidr,
                                 JSON_STRING, "a router port's address",
                                 "a string");
                ds_destroy(&field);
                if (!ok) {
                    break;
                }
                struct topo_router_port *p = &r->ports[r->n_ports++];
                p->sw = xstrdup(sw);
                p->cidr = xstrdup(json_string_value(cidr));
            }
        next:
            free(kind);
            free(where);
            free(base);
            if (!ok) {
                return false;
            }
        }
    }

    const json_t *ovn = json_object_get(root, "ovn");
    if (ovn && (!expect_type(ctx, "", "ovn", ovn, JSON_OBJECT, "ovn",
                             "an object")
                || !check_keys(ctx, "/ovn", ovn, ovn_keys, "ovn")
                || !get_string(ctx, "/ovn", ovn, "nb", false, &t->ovn_nb))) {
        return false;
    }
    return true;
}

static bool
parse_root(struct topo_ctx *ctx, const json_t *root, struct topology *t)
{
    static const char *const keys[] = {
        "name", "switches", "links", "chassis", "routers", "ovn", NULL
    };

    if (!expect_type(ctx, "", NULL, root, JSON_OBJECT, "a topology",
                     "an object")
        || !check_keys(ctx, "", root, keys, "topology")
        || !get_string(ctx, "", root, "name", false, &t->name)) {
        return false;
    }

    const json_t *switches = json_object_get(root, "switches");
    if (switches) {
        if (!expect_type(ctx, "", "switches", switches, JSON_OBJECT,
                         "switches", "an object")) {
            return false;
        }
        t->switches = xcalloc(json_object_size(switches),
                              sizeof *t->switches);
        const char *name;
        json_t *sw;
        json_object_foreach ((json_t *) switches, name, sw) {
            if (!parse_switch(ctx, name, sw,
                              &t->switches[t->n_switches++])) {
                return false;
            }
        }
    }

    if (!parse_ovn(ctx, root, t)) {
        return false;
    }

    const json_t *links = json_object_get(root, "links");
    if (!links) {
        topo_error(ctx, "", NULL, false, "topology has no 'links'");
        return false;
    }
    if (!expect_type(ctx, "", "links", links, JSON_ARRAY, "links",
                     "an array")) {
        return false;
    }
    t->links = xcalloc(json_array_size(links), sizeof *t->links);
    size_t i;
    const json_t *link;
    json_array_foreach (links, i, link) {
        struct topo_link *l = &t->links[t->n_links++];
        topo_end_init(&l->ends[0]);
        topo_end_init(&l->ends[1]);
        if (!parse_link(ctx, i, link, l)) {
            return false;
        }
    }

    if (!check_topology_name(ctx, t->name)) {
        return false;
    }
    generate_missing_ifnames(t);
    return validate(ctx, t);
}

static char *
parse_buffer(const char *text, size_t size, const char *file_name,
             struct topology **topop)
{
    struct topo_ctx ctx = {
        .file_name = file_name,
        .text = text,
        .size = size,
    };
    json_error_t jerr;

    *topop = NULL;
    json_t *root = json_loadb(text, size,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                              &jerr);
    if (!root) {
        /* jansson counts the column of a line's end as 0. */
        return xasprintf("%s:%d:%d: %s", file_name, MAX(jerr.line, 1),
                         MAX(jerr.column, 1), jerr.text);
    }

    struct topology *t = xzalloc(sizeof *t);
    if (!parse_root(&ctx, root, t)) {
        topology_destroy(t);
        t = NULL;
    }
    json_decref(root);
    *topop = t;
    return ctx.error;
}

char *
topology_parse_string(const char *text, const char *file_name,
                      struct topology **topop)
{
    return parse_buffer(text, strlen(text), file_name, topop);
}

/* Formats 'size' for a message: "16 MiB". */
static char *
format_size(size_t size)
{
    return (size % (1024 * 1024) == 0
            ? xasprintf("%zu MiB", size / (1024 * 1024))
            : xasprintf("%zu bytes", size));
}

/* Reads 'fd' to its end, or to 'max_size' + 1 bytes, into 'ds'. */
static int
read_fd_bounded(int fd, size_t max_size, struct ds *ds)
{
    while (ds->length <= max_size) {
        char buf[65536];
        size_t want = MIN(sizeof buf, max_size + 1 - ds->length);
        ssize_t n = read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        } else if (!n) {
            break;
        }
        ds_put_buffer(ds, buf, n);
    }
    return 0;
}

int
topology_read_text(const char *file_name, const char *what, size_t max_size,
                   char **textp, size_t *sizep, char **errp)
{
    bool is_stdin = !strcmp(file_name, "-");
    struct ds ds = DS_EMPTY_INITIALIZER;
    char *reason = NULL;
    int error = 0;

    *textp = NULL;
    *errp = NULL;
    if (is_stdin) {
        error = read_fd_bounded(STDIN_FILENO, max_size, &ds);
    } else {
        /* O_NONBLOCK: opening a FIFO without a writer must not block. */
        int fd = open(file_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK
                      | O_NOCTTY);
        struct stat st;
        if (fd < 0) {
            error = errno;
        } else if (fstat(fd, &st) < 0) {
            error = errno;
        } else if (!S_ISREG(st.st_mode)) {
            error = EINVAL;
            reason = xstrdup(S_ISDIR(st.st_mode) ? "it is a directory"
                             : "it is not a regular file (use - to read "
                               "standard input)");
        } else if (st.st_size > max_size) {
            error = EFBIG;
        } else {
            error = read_fd_bounded(fd, max_size, &ds);
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    if (!error && ds.length > max_size) {
        error = EFBIG;
    }
    if (error == EFBIG) {
        char *limit = format_size(max_size);
        reason = xasprintf("it is larger than %s, vplug's limit", limit);
        free(limit);
    }
    if (error) {
        *errp = xasprintf("cannot read %s '%s': %s", what, file_name,
                          reason ? reason : ovs_strerror(error));
        free(reason);
        ds_destroy(&ds);
        return error;
    }
    if (sizep) {
        *sizep = ds.length;
    }
    *textp = ds_steal_cstr(&ds);
    return 0;
}

char *
topology_parse_file(const char *file_name, struct topology **topop)
{
    bool is_stdin = !strcmp(file_name, "-");
    char *text = NULL;
    size_t size = 0;
    char *msg;

    *topop = NULL;
    if (topology_read_text(file_name, "topology file", TOPO_MAX_FILE_SIZE,
                           &text, &size, &msg)) {
        return msg;
    }

    msg = parse_buffer(text, size, is_stdin ? "<stdin>" : file_name, topop);
    free(text);
    return msg;
}

/* From the model to JSON text. */

static void
put_json(struct ds *ds, json_t *j)
{
    char *s = json_dumps(j, JSON_ENCODE_ANY);
    ds_put_cstr(ds, s);
    free(s);
    json_decref(j);
}

static json_t *
kvs_to_json(const struct topo_kv *kvs, size_t n)
{
    json_t *obj = vjson_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set_new_nocheck(obj, kvs[i].key,
                                    json_string_nocheck(kvs[i].value));
    }
    return obj;
}

static void
set_string(json_t *obj, const char *key, const char *value)
{
    if (value) {
        json_object_set_new(obj, key, json_string_nocheck(value));
    }
}

static json_t *
switch_to_json(const struct topo_switch *sw)
{
    json_t *j = vjson_object();
    set_string(j, "kind", topo_switch_kind_name(sw->kind));
    set_string(j, "datapath", sw->datapath);
    set_string(j, "fail_mode", sw->fail_mode);
    if (sw->port_type && strchr(sw->port_type, ',')) {
        json_t *types = vjson_array();
        char *copy = xstrdup(sw->port_type), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            json_array_append_new(types, vjson_string(t));
        }
        free(copy);
        json_object_set_new(j, "port_type", types);
    } else {
        set_string(j, "port_type", sw->port_type);
    }
    if (sw->mtu) {
        json_object_set_new(j, "mtu", vjson_integer(sw->mtu));
    }
    if (sw->n_external_ids) {
        json_object_set_new(j, "external_ids",
                            kvs_to_json(sw->external_ids,
                                        sw->n_external_ids));
    }
    if (sw->n_fallback) {
        json_t *a = vjson_array();
        for (size_t i = 0; i < sw->n_fallback; i++) {
            json_array_append_new(
                a, vjson_string(topo_switch_kind_name(sw->fallback[i])));
        }
        json_object_set_new(j, "fallback", a);
    }
    return j;
}

static json_t *
end_to_json(const struct topo_end *end)
{
    json_t *j = vjson_object();
    set_string(j, "ns", end->ns);
    set_string(j, "switch", end->sw);
    set_string(j, "ifname", end->ifname);
    set_string(j, "mac", end->mac);
    if (end->mtu) {
        json_object_set_new(j, "mtu", vjson_integer(end->mtu));
    }
    if (end->vlan != -1) {
        json_object_set_new(j, "vlan", vjson_integer(end->vlan));
    }
    if (end->addrs.n) {
        json_t *a = vjson_array();
        for (size_t i = 0; i < end->addrs.n; i++) {
            json_array_append_new(a, json_string_nocheck(end->addrs.names[i]));
        }
        json_object_set_new(j, "addrs", a);
    }
    set_string(j, "gateway", end->gateway);
    set_string(j, "chassis", end->chassis);
    if (end->n_routes) {
        json_t *a = vjson_array();
        for (size_t i = 0; i < end->n_routes; i++) {
            json_t *r = vjson_object();
            set_string(r, "dst", end->routes[i].dst);
            set_string(r, "via", end->routes[i].via);
            json_array_append_new(a, r);
        }
        json_object_set_new(j, "routes", a);
    }
    if (end->n_external_ids) {
        json_object_set_new(j, "external_ids",
                            kvs_to_json(end->external_ids,
                                        end->n_external_ids));
    }
    return j;
}

/* Appends the "chassis", "routers" and "ovn" members of 't', if any. */
static void
put_ovn_json(struct ds *ds, const struct topology *t)
{
    if (t->n_chassis) {
        json_t *j = vjson_object();
        for (size_t i = 0; i < t->n_chassis; i++) {
            json_t *c = vjson_object();
            set_string(c, "encap_ip", t->chassis[i].encap_ip);
            json_object_set_new(j, t->chassis[i].name, c);
        }
        ds_put_cstr(ds, ",\n  \"chassis\": ");
        put_json(ds, j);
    }
    if (t->n_routers) {
        ds_put_cstr(ds, ",\n  \"routers\": {");
        for (size_t i = 0; i < t->n_routers; i++) {
            const struct topo_router *r = &t->routers[i];
            json_t *j = vjson_object();
            json_t *ports = vjson_object();
            set_string(j, "kind", "ovn");
            for (size_t k = 0; k < r->n_ports; k++) {
                set_string(ports, r->ports[k].sw, r->ports[k].cidr);
            }
            json_object_set_new(j, "ports", ports);
            ds_put_cstr(ds, i ? ",\n    " : "\n    ");
            put_json(ds, json_string_nocheck(r->name));
            ds_put_cstr(ds, ": ");
            put_json(ds, j);
        }
        ds_put_cstr(ds, "\n  }");
    }
    if (t->ovn_nb) {
        json_t *j = vjson_object();
        set_string(j, "nb", t->ovn_nb);
        ds_put_cstr(ds, ",\n  \"ovn\": ");
        put_json(ds, j);
    }
}

char *
topology_to_string(const struct topology *t)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&ds, "{\n  \"name\": ");
    put_json(&ds, json_string_nocheck(t->name ? t->name : ""));
    if (t->n_switches) {
        ds_put_cstr(&ds, ",\n  \"switches\": {");
        for (size_t i = 0; i < t->n_switches; i++) {
            const struct topo_switch *sw = &t->switches[i];
            ds_put_cstr(&ds, i ? ",\n    " : "\n    ");
            put_json(&ds, json_string_nocheck(sw->name ? sw->name : ""));
            ds_put_cstr(&ds, ": ");
            put_json(&ds, switch_to_json(sw));
        }
        ds_put_cstr(&ds, "\n  }");
    }
    put_ovn_json(&ds, t);
    ds_put_cstr(&ds, ",\n  \"links\": [");
    for (size_t i = 0; i < t->n_links; i++) {
        ds_put_cstr(&ds, i ? ",\n    " : "\n    ");
        ds_put_cstr(&ds, "{\"ends\": [");
        put_json(&ds, end_to_json(&t->links[i].ends[0]));
        ds_put_cstr(&ds, ",\n              ");
        put_json(&ds, end_to_json(&t->links[i].ends[1]));
        ds_put_cstr(&ds, "]}");
    }
    ds_put_cstr(&ds, t->n_links ? "\n  ]\n}\n" : "]\n}\n");
    return ds_steal_cstr(&ds);
}
