/* Planning: the effective topology (as realized with the chosen
 * backends), link identity and comparison, and probing what exists
 * before an apply (plan_links(), report_plan()). */
#include <config.h>
#include "engine.h"
#include "engine-private.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include "vjson.h"
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "ethtool.h"
#include "netns-pool.h"
#include "netns.h"
#include "probe.h"
#include "rtnl.h"
#include "sysctl.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

/* ---- The effective topology. ---- */

/* Returns the backend kind recorded for switch 'name' in 'st', or the
 * switch's own kind if none is recorded. */
static enum topo_switch_kind
switch_backend(const struct state *st, const struct topo_switch *sw)
{
    const struct state_switch *s = state_find_switch(st, sw->name);
    return s ? s->backend : sw->kind;
}

static bool
end_is_switch(const struct topo_end *end)
{
    return end->sw != NULL;
}

/* Counts the links that touch switch 'sw' and whether each of them joins it
 * to a namespace end. */
size_t
count_switch_links(const struct topology *topo, const char *sw,
                   bool *all_ns_endsp)
{
    size_t n = 0;
    *all_ns_endsp = true;
    for (size_t i = 0; i < topo->n_links; i++) {
        const struct topo_link *l = &topo->links[i];
        for (int j = 0; j < 2; j++) {
            if (l->ends[j].sw && !strcmp(l->ends[j].sw, sw)) {
                n++;
                if (end_is_switch(&l->ends[!j])) {
                    *all_ns_endsp = false;
                }
            }
        }
    }
    return n;
}

/* Returns a new topology that is 'topo' as realized with the backends
 * recorded in 'st': a switch hosted by a Linux bridge in place of OVS
 * becomes kind bridge, and a switch replaced by a direct link keeps its
 * entry (kind direct) while its two links become one veth between the two
 * namespace ends. */
struct topology *
effective_topology(const struct topology *topo, const struct state *st)
{
    struct topology *eff = topology_clone(topo);

    for (size_t i = 0; i < eff->n_switches; i++) {
        struct topo_switch *sw = &eff->switches[i];
        sw->kind = switch_backend(st, sw);
        if (sw->kind != TOPO_SW_DIRECT) {
            continue;
        }

        /* Find the two links on this switch and merge them. */
        struct topo_link *first = NULL;
        for (size_t j = 0; j < eff->n_links; j++) {
            struct topo_link *l = &eff->links[j];
            int k = (l->ends[0].sw && !strcmp(l->ends[0].sw, sw->name)) ? 0
                    : (l->ends[1].sw && !strcmp(l->ends[1].sw, sw->name))
                    ? 1 : -1;
            if (k < 0) {
                continue;
            }
            if (!first) {
                first = l;
                /* Put the namespace end first; drop the switch end. */
                if (k == 0) {
                    struct topo_end tmp = l->ends[0];
                    l->ends[0] = l->ends[1];
                    l->ends[1] = tmp;
                }
            } else {
                topo_end_uninit(&first->ends[1]);
                first->ends[1] = l->ends[!k];
                topo_end_uninit(&l->ends[k]);
                memmove(l, l + 1, (eff->n_links - j - 1) * sizeof *l);
                eff->n_links--;
                break;
            }
        }
    }
    return eff;
}

/* Returns the effective topology of 'topo' (see effective_topology()) as
 * the backends place it: each open backend with a localize() hook (OVN)
 * places and completes its switches' ends.  On failure returns NULL and a
 * message in '*errp'. */
struct topology *
engine_effective(struct engine *e, const struct topology *topo,
                 const struct state *st, char **errp)
{
    struct topology *eff = effective_topology(topo, st);
    if (topology_has_ovn(eff)) {
        struct vplug_backend *b = engine_backend(e, TOPO_SW_OVN);
        int error = 0;
        if (!b) {
            *errp = xstrdup(e->backend_errors[TOPO_SW_OVN]);
            error = ENXIO;
        } else if (b->class->localize) {
            error = b->class->localize(b, eff, errp);
        }
        if (error) {
            topology_destroy(eff);
            return NULL;
        }
        e->ctx.topo = eff;
    }
    return eff;
}

/* engine_effective() where a failure to localize only loses detail (show,
 * verify, checks): falls back to the unlocalized topology. */
struct topology *
engine_effective_or_plain(struct engine *e, const struct topology *topo,
                          const struct state *st)
{
    char *err = NULL;
    struct topology *eff = engine_effective(e, topo, st, &err);
    if (!eff) {
        report(e, "%s", err);
        free(err);
        eff = effective_topology(topo, st);
    }
    return eff;
}

/* Where the interface of 'end' lives: a namespace name, or NULL for the
 * current namespace.  A switch port lives there too, except where a
 * backend's localize() placed it elsewhere (a rehearsed OVN chassis's
 * namespace); a file never gives a switch end a namespace. */
const char *
end_ns(const struct topo_end *end)
{
    return end->ns;
}

bool
end_has_family(const struct topo_end *end, int family)
{
    for (size_t i = 0; i < end->addrs.n; i++) {
        int f;
        if (!topology_parse_cidr(end->addrs.names[i], &f, NULL, NULL)
            && f == family) {
            return true;
        }
    }
    return false;
}

/* Identity of a link across applies: both ends' locations and names. */
char *
link_key(const struct topo_link *l)
{
    char *a[2];
    for (int i = 0; i < 2; i++) {
        const struct topo_end *end = &l->ends[i];
        a[i] = xasprintf("%s:%s/%s", end->sw ? "s" : "n",
                         end->sw ? end->sw : end->ns ? end->ns : "",
                         end->ifname);
    }
    bool swap = strcmp(a[0], a[1]) > 0;
    char *key = xasprintf("%s|%s", a[swap], a[!swap]);
    free(a[0]);
    free(a[1]);
    return key;
}

const struct topo_link *
find_link(const struct topology *topo, const char *key)
{
    if (topo) {
        for (size_t i = 0; i < topo->n_links; i++) {
            char *k = link_key(&topo->links[i]);
            bool match = !strcmp(k, key);
            free(k);
            if (match) {
                return &topo->links[i];
            }
        }
    }
    return NULL;
}

static bool
nullable_str_equal(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Returns true if 'a' and 'b' ask for the same configuration. */
static bool
topo_end_equal(const struct topo_end *a, const struct topo_end *b)
{
    if (!nullable_str_equal(a->ns, b->ns) || !nullable_str_equal(a->sw, b->sw)
        || strcmp(a->ifname, b->ifname) || !svec_equal(&a->addrs, &b->addrs)
        || !nullable_str_equal(a->mac, b->mac) || a->mtu != b->mtu
        || a->vlan != b->vlan || !nullable_str_equal(a->gateway, b->gateway)
        || a->n_external_ids != b->n_external_ids
        || a->n_routes != b->n_routes) {
        return false;
    }
    for (size_t i = 0; i < a->n_external_ids; i++) {
        if (strcmp(a->external_ids[i].key, b->external_ids[i].key)
            || strcmp(a->external_ids[i].value, b->external_ids[i].value)) {
            return false;
        }
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        if (strcmp(a->routes[i].dst, b->routes[i].dst)
            || !nullable_str_equal(a->routes[i].via, b->routes[i].via)) {
            return false;
        }
    }
    return true;
}

/* Returns true if link 'l' is configured exactly as 'old' was. */
bool
topo_link_unchanged(const struct topo_link *l, const struct topo_link *old)
{
    return (old
            && ((topo_end_equal(&l->ends[0], &old->ends[0])
                 && topo_end_equal(&l->ends[1], &old->ends[1]))
                || (topo_end_equal(&l->ends[0], &old->ends[1])
                    && topo_end_equal(&l->ends[1], &old->ends[0]))));
}

/* Describes end 'end' for messages: "ns1/veth0", "ovs-br/ovs-veth0". */
char *
end_label(const struct topo_end *end)
{
    return xasprintf("%s/%s", end->sw ? end->sw : end->ns ? end->ns : "-",
                     end->ifname);
}

/* ---- Planning. ---- */

/* What plan_links() learned about one existing interface. */
struct end_probe {
    bool exists;
    bool tagged;                /* Carries this topology's alias. */
    char *foreign_owner;        /* Another topology's name, or NULL. */
    bool is_veth;
    int ifindex, peer_ifindex;
};

static int
probe_end(struct engine *e, struct plan_end *pe, struct end_probe *p,
          char **errp)
{
    memset(p, 0, sizeof *p);
    if (pe->ns && !netns_exists(pe->ns)) {
        return 0;
    }
    int error = 0;
    struct ns_handle *h = engine_ns(e, pe->ns, &error);
    if (!h) {
        *errp = xasprintf("cannot open namespace '%s': %s", ns_label(pe->ns),
                          ovs_strerror(error));
        return error;
    }

    struct rtnl_link_info info;
    error = rtnl_link_get(h->rtnl, pe->end->ifname, &info);
    if (error == ENODEV) {
        return 0;
    } else if (error) {
        *errp = xasprintf("cannot look up interface '%s' in namespace '%s': "
                          "%s", pe->end->ifname, ns_label(pe->ns),
                          ovs_strerror(error));
        return error;
    }
    p->exists = true;
    p->tagged = info.alias && !strcmp(info.alias, e->alias);
    if (!p->tagged && info.alias && str_startswith(info.alias, "vplug:")) {
        p->foreign_owner = xstrdup(info.alias + 6);
    }
    p->is_veth = !strcmp(info.kind, "veth");
    p->ifindex = info.ifindex;
    p->peer_ifindex = info.peer_ifindex;
    rtnl_link_info_uninit(&info);
    return 0;
}

/* Inspects the ends of every link of 'eff', refusing interfaces that exist
 * and are not this topology's.  Nothing changes here.
 *
 * An apply killed between creating a veth and tagging it leaves untagged
 * ends behind.  They are recognized as this topology's, to be made again,
 * when they sit in a namespace the state says this topology created, or are
 * the veth peer of such an end. */
int
plan_links(struct engine *e, const struct topology *eff,
           const struct state *st, struct plan_link **plinksp, char **errp)
{
    struct plan_link *plinks = xcalloc(eff->n_links ? eff->n_links : 1,
                                       sizeof *plinks);
    int error = 0;

    for (size_t i = 0; i < eff->n_links && !error; i++) {
        struct plan_link *pl = &plinks[i];
        struct end_probe probes[2];
        bool ours_ns[2];

        pl->link = &eff->links[i];
        for (int j = 0; j < 2; j++) {
            struct plan_end *pe = &pl->ends[j];
            pe->end = &pl->link->ends[j];
            pe->ns = end_ns(pe->end);
            ours_ns[j] = pe->ns && svec_has(&st->created_ns, pe->ns);
            if (!error) {
                error = probe_end(e, pe, &probes[j], errp);
            } else {
                memset(&probes[j], 0, sizeof probes[j]);
            }
        }

        bool tagged = true;
        for (int j = 0; j < 2 && !error; j++) {
            struct plan_end *pe = &pl->ends[j];
            const struct end_probe *p = &probes[j], *q = &probes[!j];
            pe->exists = p->exists;
            if (!p->exists) {
                tagged = false;
                continue;
            }
            pe->ours = (p->tagged
                        || (!p->foreign_owner && ours_ns[j])
                        || (!p->foreign_owner && p->is_veth && q->exists
                            && q->is_veth && ours_ns[!j]
                            && p->peer_ifindex == q->ifindex
                            && q->peer_ifindex == p->ifindex));
            tagged &= p->tagged;
            if (pe->ours) {
                continue;
            }
            if (p->foreign_owner) {
                *errp = xasprintf("interface '%s' in namespace '%s' belongs "
                                  "to topology '%s', not '%s'",
                                  pe->end->ifname, ns_label(pe->ns),
                                  p->foreign_owner, e->ctx.owner);
            } else {
                *errp = xasprintf("interface '%s' already exists in "
                                  "namespace '%s' and is not vplug's: "
                                  "refusing to touch it", pe->end->ifname,
                                  ns_label(pe->ns));
            }
            error = EEXIST;
        }
        /* A link counts as made only when both ends carry the tag, the
         * last step of making it. */
        pl->exists = !error && tagged;
        free(probes[0].foreign_owner);
        free(probes[1].foreign_owner);
    }

    if (error) {
        free(plinks);
        plinks = NULL;
    }
    *plinksp = plinks;
    return error;
}

/* Adds every namespace that 'eff' names to 'names', once each. */
void
collect_namespaces(const struct topology *eff, struct svec *names)
{
    for (size_t i = 0; i < eff->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const char *ns = end_ns(&eff->links[i].ends[j]);
            if (ns && !svec_has(names, ns)) {
                svec_add(names, ns);
            }
        }
    }
}

void
report_plan(struct engine *e, const struct topology *eff,
            const struct plan_link *plinks, const struct state *st)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    collect_namespaces(eff, &names);
    for (size_t i = 0; i < names.n; i++) {
        if (!netns_exists(names.names[i])) {
            report(e, "would create namespace '%s'", names.names[i]);
        }
    }
    svec_destroy(&names);
    for (size_t i = 0; i < eff->n_switches; i++) {
        const struct topo_switch *sw = &eff->switches[i];
        const struct state_switch *rec = state_find_switch(st, sw->name);
        report(e, "would use switch '%s' with %s", sw->name,
               rec && rec->variant ? rec->variant
               : topo_switch_kind_name(sw->kind));
    }
    for (size_t i = 0; i < eff->n_links; i++) {
        char *a = end_label(&eff->links[i].ends[0]);
        char *b = end_label(&eff->links[i].ends[1]);
        report(e, "would %s veth %s <-> %s",
               plinks[i].exists ? "keep" : "create", a, b);
        free(a);
        free(b);
    }
}
