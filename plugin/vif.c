/* VIF plugging in the manner of os-vif. */
#include <config.h>
#include "vif.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

void
vif_request_uninit(struct vif_request *req)
{
    free(req->ns);
    free(req->ifname);
    free(req->sw);
    free(req->mac);
    svec_destroy(&req->addrs);
    free(req->iface_id);
    free(req->vm_uuid);
    free(req->attached_mac);
    memset(req, 0, sizeof *req);
    req->vlan = -1;
}

static bool
parse_bool(const char *s, bool *b)
{
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1")) {
        *b = true;
    } else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0")) {
        *b = false;
    } else {
        return false;
    }
    return true;
}

char *
vif_request_parse(int argc, const char *const argv[], struct vif_request *req)
{
    memset(req, 0, sizeof *req);
    svec_init(&req->addrs);
    req->vlan = -1;
    if (argc < 3) {
        return xstrdup("plug takes NAMESPACE IFNAME SWITCH [KEY=VALUE...]");
    }
    req->ns = xstrdup(argv[0]);
    req->ifname = xstrdup(argv[1]);
    req->sw = xstrdup(argv[2]);

    static const enum topo_name_kind kinds[3] = {
        TOPO_NAME_NS, TOPO_NAME_IFNAME, TOPO_NAME_IFNAME
    };
    for (int i = 0; i < 3; i++) {
        char *error = topology_check_name(kinds[i], argv[i]);
        if (error) {
            return error;
        }
    }

    for (int i = 3; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            return xasprintf("'%s' is not KEY=VALUE", argv[i]);
        }
        char *key = xmemdup0(argv[i], eq - argv[i]);
        const char *value = eq + 1;
        char *error = NULL;

        if (!strcmp(key, "mac")) {
            free(req->mac);
            req->mac = xstrdup(value);
        } else if (!strcmp(key, "mtu")) {
            if (!str_to_int(value, 10, &req->mtu) || req->mtu < 68
                || req->mtu > 65535) {
                error = xasprintf("mtu '%s' is not a number from 68 to "
                                  "65535", value);
            }
        } else if (!strcmp(key, "vlan")) {
            if (!str_to_int(value, 10, &req->vlan) || req->vlan < 1
                || req->vlan > 4094) {
                error = xasprintf("vlan '%s' is not a number from 1 to 4094",
                                  value);
            }
        } else if (!strcmp(key, "addr")) {
            error = topology_parse_cidr(value, NULL, NULL, NULL);
            if (!error) {
                svec_add(&req->addrs, value);
            }
        } else if (!strcmp(key, "iface-id")) {
            free(req->iface_id);
            req->iface_id = xstrdup(value);
        } else if (!strcmp(key, "vm-uuid")) {
            free(req->vm_uuid);
            req->vm_uuid = xstrdup(value);
        } else if (!strcmp(key, "attached-mac")) {
            free(req->attached_mac);
            req->attached_mac = xstrdup(value);
        } else if (!strcmp(key, "hybrid")) {
            if (!parse_bool(value, &req->hybrid)) {
                error = xasprintf("hybrid '%s' is not true or false", value);
            }
        } else if (topology_is_reserved_key(key)) {
            error = xasprintf("key '%s' is reserved: vplug itself writes the "
                              "external_ids keys that begin with '%s'", key,
                              TOPO_RESERVED_KEY_PREFIX);
        } else {
            error = xasprintf("unknown key '%s' (expected mac, mtu, vlan, "
                              "addr, iface-id, vm-uuid, attached-mac or "
                              "hybrid)", key);
        }
        free(key);
        if (error) {
            return error;
        }
    }
    return NULL;
}

static unsigned int
fnv1a(const char *a, const char *b)
{
    unsigned int h = 2166136261u;
    for (const char *p = a; *p; p++) {
        h = (h ^ (unsigned char) *p) * 16777619u;
    }
    h = (h ^ '/') * 16777619u;
    for (const char *p = b; *p; p++) {
        h = (h ^ (unsigned char) *p) * 16777619u;
    }
    return h;
}

static bool
is_name_char(char c)
{
    return isalnum((unsigned char) c) || c == '-' || c == '_' || c == '.';
}

char *
vif_topology_name(const char *ns, const char *ifname)
{
    char *name = xasprintf("vif-%s-%s", ns, ifname);
    bool ok = strlen(name) <= 64;
    for (const char *p = name; *p && ok; p++) {
        ok = is_name_char(*p);
    }
    if (!ok) {
        free(name);
        name = xasprintf("vif-%08x", fnv1a(ns, ifname));
    }
    return name;
}

/* The 11 characters that name a VIF's ports after "tap", "qvo", "qvb" and
 * "qbr", as os-vif takes them from the port id. */
static char *
port_suffix(const struct vif_request *req)
{
    char buf[12];
    size_t n = 0;
    if (req->iface_id) {
        for (const char *p = req->iface_id; *p && n < 11; p++) {
            if (is_name_char(*p)) {
                buf[n++] = *p;
            }
        }
    }
    if (n < 4) {
        snprintf(buf, sizeof buf, "%08x", fnv1a(req->ns, req->ifname));
        n = strlen(buf);
    }
    buf[n] = '\0';
    return xstrdup(buf);
}

static void
add_kv(struct topo_end *end, const char *key, const char *value)
{
    if (value) {
        end->external_ids = xrealloc(end->external_ids,
                                     (end->n_external_ids + 1)
                                     * sizeof *end->external_ids);
        end->external_ids[end->n_external_ids++] = (struct topo_kv) {
            xstrdup(key), xstrdup(value)
        };
    }
}

static void
add_switch(struct topology *topo, const char *name, enum topo_switch_kind kind)
{
    topo->switches = xrealloc(topo->switches,
                              (topo->n_switches + 1) * sizeof *topo->switches);
    struct topo_switch *sw = &topo->switches[topo->n_switches++];
    memset(sw, 0, sizeof *sw);
    sw->name = xstrdup(name);
    sw->kind = kind;
    if (kind == TOPO_SW_OVS) {
        sw->datapath = xstrdup("auto");
        sw->port_type = xstrdup("system");
    }
}

static struct topo_link *
add_link(struct topology *topo)
{
    topo->links = xrealloc(topo->links,
                           (topo->n_links + 1) * sizeof *topo->links);
    struct topo_link *l = &topo->links[topo->n_links++];
    topo_end_init(&l->ends[0]);
    topo_end_init(&l->ends[1]);
    return l;
}

/* Builds the topology of 'req': the VIF's veth to the integration bridge,
 * or, for a hybrid plug, the VIF's veth to a Linux bridge qbrX and a second
 * veth qvbX/qvoX from there to the integration bridge. */
static struct topology *
vif_topology(const struct vif_request *req)
{
    struct topology *topo = xzalloc(sizeof *topo);
    char *suffix = port_suffix(req);
    char *qbr = xasprintf("qbr%s", suffix);

    topo->name = vif_topology_name(req->ns, req->ifname);
    add_switch(topo, req->sw, TOPO_SW_OVS);
    if (req->hybrid) {
        add_switch(topo, qbr, TOPO_SW_BRIDGE);
    }

    /* The VIF itself. */
    struct topo_link *l = add_link(topo);
    struct topo_end *vif = &l->ends[0];
    vif->ns = xstrdup(req->ns);
    vif->ifname = xstrdup(req->ifname);
    vif->mac = nullable_xstrdup(req->mac);
    vif->mtu = req->mtu;
    for (size_t i = 0; i < req->addrs.n; i++) {
        svec_add(&vif->addrs, req->addrs.names[i]);
    }
    struct topo_end *tap = &l->ends[1];
    tap->sw = xstrdup(req->hybrid ? qbr : req->sw);
    tap->ifname = xasprintf("tap%s", suffix);
    tap->mtu = req->mtu;

    /* The end on the integration bridge carries what agents look for. */
    struct topo_end *port = tap;
    if (req->hybrid) {
        l = add_link(topo);
        l->ends[0].sw = xstrdup(qbr);
        l->ends[0].ifname = xasprintf("qvb%s", suffix);
        l->ends[0].mtu = req->mtu;
        port = &l->ends[1];
        port->sw = xstrdup(req->sw);
        port->ifname = xasprintf("qvo%s", suffix);
        port->mtu = req->mtu;
    }
    port->vlan = req->vlan;
    add_kv(port, "attached-mac", req->attached_mac ? req->attached_mac
                                                   : req->mac);
    add_kv(port, "iface-id", req->iface_id);
    add_kv(port, "iface-status", "active");
    add_kv(port, "vm-uuid", req->vm_uuid);

    free(qbr);
    free(suffix);
    return topo;
}

/* Returns the end of 'topo' that sits on the integration bridge. */
static const struct topo_end *
bridge_port(const struct topology *topo)
{
    const struct topo_link *l = &topo->links[topo->n_links - 1];
    return &l->ends[1];
}

static const char *
kv_get(const struct topo_end *end, const char *key)
{
    for (size_t i = 0; i < end->n_external_ids; i++) {
        if (!strcmp(end->external_ids[i].key, key)) {
            return end->external_ids[i].value;
        }
    }
    return NULL;
}

static char *
join_addrs(const struct svec *addrs)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < addrs->n; i++) {
        ds_put_format(&s, "%s%s", i ? "," : "", addrs->names[i]);
    }
    if (!addrs->n) {
        ds_put_cstr(&s, "none");
    }
    return ds_steal_cstr(&s);
}

/* Describes the first difference between plugged 'old' and requested
 * 'new', as "mtu 1400, not 1500". */
static char *
describe_difference(const struct topology *old, const struct topology *new)
{
    const struct topo_end *ov = &old->links[0].ends[0];
    const struct topo_end *nv = &new->links[0].ends[0];
    const struct topo_end *op = bridge_port(old);
    const struct topo_end *np = bridge_port(new);
    static const char *const keys[] = { "iface-id", "vm-uuid",
                                        "attached-mac" };

    if (strcmp(op->sw, np->sw)) {
        return xasprintf("on switch '%s', not '%s'", op->sw, np->sw);
    }
    if ((old->n_switches > 1) != (new->n_switches > 1)) {
        return xasprintf("with hybrid=%s, not hybrid=%s",
                         old->n_switches > 1 ? "true" : "false",
                         new->n_switches > 1 ? "true" : "false");
    }
    if (!ov->mac != !nv->mac || (ov->mac && strcmp(ov->mac, nv->mac))) {
        return xasprintf("with mac %s, not %s", ov->mac ? ov->mac : "(none)",
                         nv->mac ? nv->mac : "(none)");
    }
    if (ov->mtu != nv->mtu) {
        return xasprintf("with mtu %d, not %d", ov->mtu, nv->mtu);
    }
    if (op->vlan != np->vlan) {
        return xasprintf("with vlan %d, not %d", op->vlan, np->vlan);
    }
    char *oa = join_addrs(&ov->addrs), *na = join_addrs(&nv->addrs);
    if (strcmp(oa, na)) {
        char *d = xasprintf("with addr %s, not %s", oa, na);
        free(oa);
        free(na);
        return d;
    }
    free(oa);
    free(na);
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        const char *a = kv_get(op, keys[i]), *b = kv_get(np, keys[i]);
        if (!a != !b || (a && strcmp(a, b))) {
            return xasprintf("with %s %s, not %s", keys[i],
                             a ? a : "(none)", b ? b : "(none)");
        }
    }
    return xstrdup("differently");
}

int
vif_plug(const struct vif_request *req, const struct engine_opts *opts,
         bool *changedp, char **errp)
{
    struct topology *topo = vif_topology(req);
    struct topology *old = NULL;
    bool already = false;
    int error;

    *errp = NULL;
    *changedp = false;
    char *msg = topology_validate(topo);
    if (msg) {
        *errp = xasprintf("cannot plug '%s' in namespace '%s': %s",
                          req->ifname, req->ns, msg);
        free(msg);
        error = EINVAL;
        goto out;
    }

    char *err = NULL;
    if (!engine_load(topo->name, opts, &old, &err)) {
        char *a = topology_to_string(old), *b = topology_to_string(topo);
        bool same = !strcmp(a, b);
        free(a);
        free(b);
        if (!same) {
            char *diff = describe_difference(old, topo);
            *errp = xasprintf("'%s' in namespace '%s' is already plugged %s: "
                              "unplug it first", req->ifname, req->ns, diff);
            free(diff);
            error = EEXIST;
            goto out;
        }

        /* Plugged the same way: "already plugged" unless something is
         * missing.  Either way the apply below runs: it changes nothing
         * that is there, and it is what waits, as the first plug did, for
         * the port to be ready beyond the switch (a retry after a plug
         * that timed out waiting for ovn-installed must not answer that
         * all is well). */
        struct ds drift = DS_EMPTY_INITIALIZER;
        int n_missing = 0;
        error = engine_check(topo->name, opts, &drift, &n_missing, errp);
        ds_destroy(&drift);
        if (error) {
            goto out;
        }
        already = !n_missing;
    }
    free(err);

    struct svec shared = SVEC_EMPTY_INITIALIZER;
    svec_add(&shared, req->sw);
    struct engine_opts o = *opts;
    bool kept = false;
    o.shared_switches = &shared;
    o.settle = true;
    o.share_commits = true;
    if (already) {
        /* Nothing changes: the lines of how are noise. */
        o.report = NULL;
        o.progress = NULL;
    }
    o.kept_not_readyp = &kept;
    error = engine_apply(topo, &o, errp);
    svec_destroy(&shared);
    *changedp = !error && !already;
    if (error && !kept) {
        char *why = *errp;
        *errp = xasprintf("cannot plug '%s' in namespace '%s' on %s: %s",
                          req->ifname, req->ns, req->sw, why);
        free(why);
    } else if (kept) {
        /* As os-vif and Neutron expect: the VIF stays, the agent learns it
         * is not ready and decides. */
        char *why = *errp;
        *errp = xasprintf("plug %s/%s: %s; the port stays plugged until "
                          "unplug %s %s removes it", req->ns, req->ifname,
                          why, req->ns, req->ifname);
        free(why);
    }

out:
    topology_destroy(old);
    topology_destroy(topo);
    return error;
}

int
vif_unplug(const char *ns, const char *ifname, const struct engine_opts *opts,
           char **errp)
{
    char *name = vif_topology_name(ns, ifname);
    struct engine_opts o = *opts;
    o.keep_joined_switches = true;
    int error = engine_destroy(name, NULL, &o, errp);
    free(name);
    return error;
}
