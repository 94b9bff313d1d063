/* Kernel work: namespaces, veths, addresses, routes, sysctls, and
 * the workers that do it on every core. */
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

/* ---- Kernel work of an apply. ---- */

/* Creates namespace 'ns' unless it exists, with lo up.  Stores into
 * '*createdp' whether it made it.  'owned' lists the namespaces the state
 * says this topology creates (read only: workers share it); what this call
 * creates is added to 'st'. */
static int
create_namespace(struct engine *e, const char *ns, const struct svec *owned,
                 struct state *st, struct undo_log *log, bool *createdp,
                 char **errp)
{
    *createdp = false;
    if (netns_exists(ns)) {
        return 0;
    }

    /* A spare namespace (lo up, a socket inside) saves the slowest step. */
    struct netns_spare spare;
    bool spared = netns_pool_take(e->opts->netns_pool, &spare);
    int error = spared ? netns_add_fd(ns, spare.fd) : netns_add(ns);
    if (error == EEXIST && svec_has(owned, ns)) {
        /* A file but no namespace: a run of ours was killed while making
         * it.  Make it again. */
        netns_delete(ns);
        error = spared ? netns_add_fd(ns, spare.fd) : netns_add(ns);
    }
    if (error && spared) {
        rtnl_close(spare.rtnl);
        close(spare.fd);
    }
    if (error == EEXIST) {
        *errp = xasprintf("cannot create namespace '%s': %s/%s exists but "
                          "is not a namespace", ns, netns_dir(), ns);
        return error;
    } else if (error) {
        *errp = xasprintf("cannot create namespace '%s': %s", ns,
                          ovs_strerror(error));
        return error;
    }
    undo_push(log, UNDO_NETNS, NULL, ns, NULL, 0);
    if (!svec_has(&st->created_ns, ns)) {
        svec_add(&st->created_ns, ns);
    }
    *createdp = true;
    if (spared) {
        engine_ns_adopt(e, ns, spare.fd, spare.rtnl);
        return 0;
    }

    /* A namespace is born with lo down, and local traffic (seed scenario
     * 1's replies among it) needs it up. */
    struct ns_handle *h = engine_ns(e, ns, &error);
    if (h) {
        error = rtnl_link_set_up(h->rtnl, "lo", true);
    }
    if (error) {
        *errp = xasprintf("cannot bring up 'lo' in namespace '%s': %s",
                          ns, ovs_strerror(error));
    }
    return error;
}

static void
fill_link_spec(struct engine *e, const struct topo_end *end,
               struct rtnl_link_spec *spec)
{
    *spec = (struct rtnl_link_spec) {
        .name = end->ifname,
        .alias = e->alias,
        .mac = end->mac,
        .mtu = end->mtu,
        .ipv6_off = !end_has_family(end, AF_INET6),
        .up = true,
        .netns_fd = -1,
    };
}

/* Creates the veth of 'pl', whose ends do not both exist. */
static int
create_link(struct engine *e, struct plan_link *pl, struct undo_log *log,
            char **errp)
{
    int error = 0;

    /* A half-made link of ours (a crash between steps) is made again. */
    for (int j = 0; j < 2; j++) {
        struct plan_end *pe = &pl->ends[j];
        if (pe->ours) {
            struct ns_handle *h = engine_ns(e, pe->ns, &error);
            if (h) {
                error = rtnl_link_delete(h->rtnl, pe->end->ifname);
            }
            if (error && error != ENODEV) {
                *errp = xasprintf("cannot remove stale interface '%s' in "
                                  "namespace '%s': %s", pe->end->ifname,
                                  ns_label(pe->ns), ovs_strerror(error));
                return error;
            }
            error = 0;
        }
    }

    /* Create from the end that lives in the current namespace if there is
     * one, with the peer made directly inside the other namespace. */
    int li = pl->ends[1].ns == NULL && pl->ends[0].ns != NULL ? 1 : 0;
    const struct plan_end *local = &pl->ends[li];
    const struct plan_end *peer = &pl->ends[!li];

    struct ns_handle *lh = engine_ns(e, local->ns, &error);
    if (!lh) {
        *errp = xasprintf("cannot open namespace '%s': %s",
                          ns_label(local->ns), ovs_strerror(error));
        return error;
    }
    int peer_fd = -1;
    struct rtnl *peer_rtnl = NULL;
    if (!ns_equal(local->ns, peer->ns)) {
        struct ns_handle *ph = engine_ns(e, peer->ns, &error);
        if (!ph) {
            *errp = xasprintf("cannot open namespace '%s': %s",
                              ns_label(peer->ns), ovs_strerror(error));
            return error;
        }
        peer_fd = ph->fd;
        peer_rtnl = ph->rtnl;
    }

    struct rtnl_link_spec lspec, pspec;
    fill_link_spec(e, local->end, &lspec);
    fill_link_spec(e, peer->end, &pspec);
    pspec.netns_fd = peer_fd;
    pspec.netns_rtnl = peer_rtnl;
    error = rtnl_veth_create(lh->rtnl, &lspec, &pspec);
    if (error) {
        *errp = xasprintf("cannot create veth '%s' in namespace '%s' (peer "
                          "'%s' in namespace '%s'): %s", local->end->ifname,
                          ns_label(local->ns), peer->end->ifname,
                          ns_label(peer->ns), ovs_strerror(error));
        return error;
    }
    undo_push(log, UNDO_LINK, local->ns, local->end->ifname, peer->ns, 0);
    return 0;
}

/* Brings an existing end of ours in line with 'end': MTU, MAC, up, and the
 * addresses that the previous apply had and this one drops. */
static int
reconcile_end(struct engine *e, struct ns_handle *h, const struct plan_end *pe,
              const struct topo_end *old_end, char **errp)
{
    const struct topo_end *end = pe->end;
    struct rtnl_link_info info;
    int error = rtnl_link_get(h->rtnl, end->ifname, &info);
    if (error) {
        goto out;
    }
    if (end->mtu && info.mtu != end->mtu) {
        error = rtnl_link_set_mtu(h->rtnl, end->ifname, end->mtu);
    }
    if (!error && end->mac && strcmp(info.mac, end->mac)) {
        error = rtnl_link_set_mac(h->rtnl, end->ifname, end->mac);
    }
    if (!error && !info.admin_up) {
        error = rtnl_link_set_up(h->rtnl, end->ifname, true);
    }
    rtnl_link_info_uninit(&info);

    for (size_t i = 0; !error && old_end && i < old_end->addrs.n; i++) {
        const char *cidr = old_end->addrs.names[i];
        if (!svec_has(&end->addrs, cidr)) {
            error = rtnl_addr_del(h->rtnl, end->ifname, cidr);
            if (error == EADDRNOTAVAIL || error == ENOENT) {
                error = 0;
            }
        }
    }

out:
    if (error) {
        *errp = xasprintf("cannot update interface '%s' in namespace '%s': "
                          "%s", end->ifname, ns_label(pe->ns),
                          ovs_strerror(error));
    }
    return error;
}

/* Adds the addresses and routes of namespace end 'pe'. */
static int
configure_end(struct engine *e, const struct plan_end *pe, bool existed,
              struct undo_log *log, char **errp)
{
    const struct topo_end *end = pe->end;
    int error = 0;
    struct ns_handle *h = engine_ns(e, pe->ns, &error);
    if (!h) {
        *errp = xasprintf("cannot open namespace '%s': %s", ns_label(pe->ns),
                          ovs_strerror(error));
        return error;
    }

    for (size_t i = 0; i < end->addrs.n; i++) {
        const char *cidr = end->addrs.names[i];
        /* An end may carry thousands of addresses: a signal or --timeout
         * must not wait for all of them. */
        error = check_stop_or_deadline(e, errp);
        if (error) {
            return error;
        }
        error = rtnl_addr_add(h->rtnl, end->ifname, cidr);
        if (error == EEXIST) {
            error = 0;
        } else if (error) {
            *errp = xasprintf("cannot add address %s to '%s' in namespace "
                              "'%s': %s", cidr, end->ifname, ns_label(pe->ns),
                              ovs_strerror(error));
            return error;
        } else if (existed) {
            undo_push(log, UNDO_ADDR, pe->ns, end->ifname, cidr, 0);
        }
    }
    for (size_t i = 0; i < end->n_routes; i++) {
        const struct topo_route *r = &end->routes[i];
        error = check_stop_or_deadline(e, errp);
        if (error) {
            return error;
        }
        error = rtnl_route_add(h->rtnl, r->dst, r->via, end->ifname);
        if (error && error != EEXIST) {
            *errp = xasprintf("cannot add route to %s%s%s on '%s' in "
                              "namespace '%s': %s", r->dst,
                              r->via ? " via " : "", r->via ? r->via : "",
                              end->ifname, ns_label(pe->ns),
                              ovs_strerror(error));
            return error;
        }
    }
    if (end->gateway) {
        error = rtnl_route_add(h->rtnl, "default", end->gateway, end->ifname);
        if (error && error != EEXIST) {
            *errp = xasprintf("cannot add default route via %s on '%s' in "
                              "namespace '%s': %s", end->gateway, end->ifname,
                              ns_label(pe->ns), ovs_strerror(error));
            return error;
        }
    }
    return 0;
}

/* Sets sysctl 'path' in 'h' to 'value', remembering the old value in the
 * undo log (and, if 'record', in the state for destroy). */
static int
set_sysctl(struct engine *e, struct ns_handle *h, const char *path,
           const char *value, bool record, struct state *st,
           struct undo_log *log, char **errp)
{
    char *old;
    int error = sysctl_read(h->fd, path, &old);
    if (!error && strcmp(old, value)) {
        error = sysctl_write(h->fd, path, value);
        if (!error) {
            undo_push(log, UNDO_SYSCTL, h->name, path, old, 0);
            if (record) {
                state_add_sysctl(st, h->name, path, old);
            }
        }
    }
    if (!error) {
        free(old);
    } else {
        *errp = xasprintf("cannot set sysctl %s=%s in namespace '%s': %s",
                          path, value, ns_label(h->name),
                          ovs_strerror(error));
    }
    return error;
}

/* Seed scenario 1: a veth with both ends in one namespace carries traffic
 * between its two addresses only if each end accepts packets with a local
 * source (accept_local=1) and reverse-path filtering does not drop them
 * (rp_filter=0 on "all" and both ends: the kernel uses the maximum).  The
 * echo reply then returns over lo. */
static int
enable_same_ns_link(struct engine *e, const struct plan_link *pl,
                    struct state *st, struct undo_log *log, char **errp)
{
    const char *ns = pl->ends[0].ns;
    int error = 0;
    struct ns_handle *h = engine_ns(e, ns, &error);
    if (!h) {
        *errp = xasprintf("cannot open namespace '%s': %s", ns_label(ns),
                          ovs_strerror(error));
        return error;
    }

    /* The echo reply returns over lo. */
    error = rtnl_link_set_up(h->rtnl, "lo", true);
    if (error) {
        *errp = xasprintf("cannot bring up 'lo' in namespace '%s': %s",
                          ns_label(ns), ovs_strerror(error));
        return error;
    }

    const char *if0 = pl->ends[0].end->ifname;
    const char *if1 = pl->ends[1].end->ifname;
    char *paths[5] = {
        xasprintf("net/ipv4/conf/%s/accept_local", if0),
        xasprintf("net/ipv4/conf/%s/accept_local", if1),
        xstrdup("net/ipv4/conf/all/rp_filter"),
        xasprintf("net/ipv4/conf/%s/rp_filter", if0),
        xasprintf("net/ipv4/conf/%s/rp_filter", if1),
    };
    for (size_t i = 0; i < ARRAY_SIZE(paths) && !error; i++) {
        /* Only "all" outlives the links, so only it is restored later. */
        error = set_sysctl(e, h, paths[i], i < 2 ? "1" : "0", i == 2, st,
                           log, errp);
    }
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        free(paths[i]);
    }
    if (!error) {
        report(e, "namespace '%s': '%s' and '%s' share it, so set "
               "accept_local=1 on both and rp_filter=0 on all, '%s' and "
               "'%s' (echo replies between them return over lo)",
               ns_label(ns), if0, if1, if0, if1);
    }
    return error;
}

/* Asks the backend of each switch what TCP through it needs (see the
 * backend's dataplane()), records what limits it in the switch's state,
 * says so once per switch, and sets TX checksum offload of the end that
 * sends into each such switch (the other end of each veth attached to it)
 * accordingly: off where the switch completes no checksum, on otherwise. */
int
set_tx_offloads(struct engine *e, const struct topology *eff,
                const struct plan_link *plinks, struct state *st,
                char **errp)
{
    bool *off = xcalloc(eff->n_switches + 1, sizeof *off);
    bool *asked = xcalloc(eff->n_switches + 1, sizeof *asked);
    int error = 0;

    for (size_t i = 0; i < eff->n_links && !error; i++) {
        const struct plan_link *pl = &plinks[i];
        for (int j = 0; j < 2 && !error; j++) {
            const struct topo_end *end = pl->ends[j].end;
            const struct topo_switch *sw = (end->sw
                                            ? topology_find_switch(eff,
                                                                   end->sw)
                                            : NULL);
            struct state_switch *rec = sw ? state_find_switch(st, sw->name)
                                          : NULL;
            if (!rec || sw->kind == TOPO_SW_DIRECT) {
                continue;
            }
            struct vplug_backend *b = engine_backend(e, rec->backend);
            if (!b || !b->class->dataplane) {
                continue;
            }

            size_t k = sw - eff->switches;
            if (!asked[k]) {
                char *note = NULL;
                asked[k] = true;
                error = b->class->dataplane(b, sw, end->ifname, &off[k],
                                            &note, errp);
                if (error) {
                    break;
                }
                free(rec->tcp_limit);
                rec->tcp_limit = note;
                if (note) {
                    report(e, "switch '%s': %s", sw->name, note);
                }
            }

            const struct plan_end *other = &pl->ends[!j];
            struct ns_handle *h = engine_ns(e, other->ns, &error);
            if (h) {
                error = ethtool_set_tx_csum(h->fd, other->end->ifname,
                                            !off[k]);
            }
            if (error) {
                *errp = xasprintf("cannot turn %s TX checksum offload on "
                                  "'%s' in namespace '%s': %s",
                                  off[k] ? "off" : "on", other->end->ifname,
                                  ns_label(other->ns), ovs_strerror(error));
            }
        }
    }
    free(off);
    free(asked);
    return error;
}

/* Waits until both ends of every link report carrier. */
int
wait_links_up(struct engine *e, struct plan_link *plinks, size_t n,
              char **errp)
{
    size_t done = 0;
    while (done < n) {
        const struct plan_end *pe = &plinks[done].ends[0];
        int error = 0;
        struct ns_handle *h = engine_ns(e, pe->ns, &error);
        struct rtnl_link_info info;
        if (h) {
            error = rtnl_link_get(h->rtnl, pe->end->ifname, &info);
        }
        if (error) {
            *errp = xasprintf("interface '%s' in namespace '%s' vanished "
                              "while waiting for it: %s", pe->end->ifname,
                              ns_label(pe->ns), ovs_strerror(error));
            return error;
        }
        bool up = info.oper_up;
        rtnl_link_info_uninit(&info);
        error = check_stop(errp);
        if (error) {
            return error;
        } else if (up) {
            done++;
        } else if (time_msec() >= e->ctx.deadline) {
            *errp = xasprintf("interface '%s' in namespace '%s' has no "
                              "carrier after %d ms (--timeout)",
                              pe->end->ifname, ns_label(pe->ns),
                              e->ctx.timeout_ms);
            return ETIMEDOUT;
        } else {
            usleep(2000);
        }
    }
    return 0;
}

/* Deletes the link of 'l' unless its namespaces are going away anyway:
 * through an end that is ours, so nothing foreign is ever deleted. */
int
delete_link(struct engine *e, const struct topo_link *l,
            const struct svec *dying_ns, char **errp)
{
    for (int j = 0; j < 2; j++) {
        const char *ns = end_ns(&l->ends[j]);
        if (ns && svec_has(dying_ns, ns)) {
            return 0;
        }
    }
    for (int j = 0; j < 2; j++) {
        const struct topo_end *end = &l->ends[j];
        const char *ns = end_ns(end);
        if (ns && !netns_exists(ns)) {
            continue;
        }
        int error = 0;
        struct ns_handle *h = engine_ns(e, ns, &error);
        struct rtnl_link_info info;
        if (h) {
            error = rtnl_link_get(h->rtnl, end->ifname, &info);
        }
        if (error == ENODEV || error == ENOENT) {
            continue;
        } else if (error) {
            *errp = xasprintf("cannot look up interface '%s' in namespace "
                              "'%s': %s", end->ifname, ns_label(ns),
                              ovs_strerror(error));
            return error;
        }
        bool ours = info.alias && !strcmp(info.alias, e->alias);
        rtnl_link_info_uninit(&info);
        if (!ours) {
            continue;
        }
        error = rtnl_link_delete(h->rtnl, end->ifname);
        if (error && error != ENODEV) {
            *errp = xasprintf("cannot delete interface '%s' in namespace "
                              "'%s': %s", end->ifname, ns_label(ns),
                              ovs_strerror(error));
            return error;
        }
        return 0;
    }
    return 0;
}

/* Waits until the ends of links whose other end lived in a deleted
 * namespace are gone too, wherever they live (the kernel cleans up a
 * namespace asynchronously). */
void
wait_links_gone(struct engine *e, const struct topology *eff,
                const struct svec *dead_ns)
{
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        for (int j = 0; j < 2; j++) {
            const char *ns = end_ns(&l->ends[j]);
            const char *other_ns = end_ns(&l->ends[!j]);
            if (!other_ns || !svec_has(dead_ns, other_ns)
                || (ns && (svec_has(dead_ns, ns)
                           || !netns_exists(ns)))) {
                continue;
            }
            if (!wait_link_gone(e, ns, l->ends[j].ifname)) {
                return;
            }
        }
    }
}

/* Waits until link 'name' in namespace 'ns' is gone (its peer's namespace
 * was deleted, and the kernel cleans up a namespace asynchronously), at
 * most until the deadline.  Returns false, having said so, if it is still
 * there then. */
bool
wait_link_gone(struct engine *e, const char *ns, const char *name)
{
    int error = 0;
    struct ns_handle *h = engine_ns(e, ns, &error);
    struct rtnl_link_info info;
    while (h && !rtnl_link_get(h->rtnl, name, &info)) {
        rtnl_link_info_uninit(&info);
        if (time_msec() >= e->ctx.deadline) {
            report(e, "interface '%s' in namespace '%s' still exists after "
                   "its peer's namespace was deleted", name, ns_label(ns));
            return false;
        }
        usleep(1000);
    }
    return true;
}

/* ---- The kernel side of an apply, on every core. ---- */

/* One worker's share of the kernel work: every 'step'-th namespace or link
 * from 'start'.  A worker has its own engine (namespace handles and netlink
 * sockets belong to one thread), undo log and records, merged by the caller
 * once all are done. */
struct kernel_work {
    struct engine e;
    const struct svec *names;   /* Phase 1: namespaces to create. */
    const struct svec *owned;   /* Namespaces the state says are ours. */
    struct plan_link *plinks;   /* Phase 2: links to create and set up. */
    size_t n_links;
    bool addresses;             /* Phase 3 (on 'plinks'): addresses,
                                 * routes, sysctls. */
    size_t start, step;
    size_t *n_done;             /* Items done by every worker (atomic). */
    const char *phase;          /* For progress(). */
    const struct topology *old_eff;     /* What was applied, or NULL. */
    bool old_applying;          /* That apply did not finish. */
    struct state st;            /* Created namespaces, sysctls changed. */
    struct undo_log log;
    size_t n_created;
    int error;
    char *err;
    size_t err_idx;             /* Which item failed (first cause wins). */
};

/* Creates the link of 'pl' if needed, or brings it in line (MTU, MAC, up,
 * dropped addresses).  Its addresses come in a later pass
 * (configure_link()), once the switch side has been sent its work. */
static int
apply_link(struct engine *e, struct plan_link *pl,
           const struct topology *old_eff, bool old_applying,
           struct state *st, struct undo_log *log, bool *createdp,
           char **errp)
{
    *createdp = false;
    int error = check_stop(errp);
    if (error) {
        return error;
    }
    if (!pl->exists) {
        error = create_link(e, pl, log, errp);
        if (error) {
            return error;
        }
        *createdp = true;
    }

    const struct topo_link *old_link = NULL;
    if (pl->exists && old_eff) {
        char *key = link_key(pl->link);
        old_link = find_link(old_eff, key);
        free(key);
        if (topo_link_unchanged(pl->link, old_link) && !old_applying) {
            /* Applied as it is and still there: nothing to do. */
            pl->settled = true;
            return 0;
        }
    }
    for (int j = 0; j < 2 && !error && pl->exists; j++) {
        const struct plan_end *pe = &pl->ends[j];
        struct ns_handle *h = engine_ns(e, pe->ns, &error);
        if (h) {
            error = reconcile_end(e, h, pe,
                                  old_link ? &old_link->ends[j] : NULL, errp);
        } else {
            *errp = xasprintf("cannot open namespace '%s': %s",
                              ns_label(pe->ns), ovs_strerror(error));
        }
    }
    return error;
}

/* Adds the addresses and routes of the link of 'pl', and for a link within
 * one namespace the sysctls it needs. */
static int
configure_link(struct engine *e, struct plan_link *pl, struct state *st,
               struct undo_log *log, char **errp)
{
    int error = check_stop(errp);
    if (error || pl->settled) {
        return error;
    }
    for (int j = 0; j < 2 && !error; j++) {
        const struct plan_end *pe = &pl->ends[j];
        if (!pe->end->sw) {
            error = configure_end(e, pe, pl->exists, log, errp);
        }
    }
    if (!error && !pl->ends[0].end->sw && !pl->ends[1].end->sw
        && ns_equal(pl->ends[0].ns, pl->ends[1].ns)) {
        error = enable_same_ns_link(e, pl, st, log, errp);
    }
    return error;
}

static void *
kernel_worker(void *w_)
{
    struct kernel_work *w = w_;
    size_t n = w->names ? w->names->n : w->n_links;

    for (size_t i = w->start; i < n && !w->error; i += w->step) {
        bool created = false;
        if (w->names) {
            w->error = check_stop(&w->err);
            if (!w->error) {
                w->error = create_namespace(&w->e, w->names->names[i],
                                            w->owned, &w->st, &w->log,
                                            &created, &w->err);
            }
        } else if (w->addresses) {
            w->error = configure_link(&w->e, &w->plinks[i], &w->st, &w->log,
                                      &w->err);
        } else {
            w->error = apply_link(&w->e, &w->plinks[i], w->old_eff,
                                  w->old_applying, &w->st, &w->log,
                                  &created, &w->err);
        }
        w->n_created += created;
        w->err_idx = i;
        if (!w->error) {
            progress(&w->e, w->phase,
                     __atomic_add_fetch(w->n_done, 1, __ATOMIC_RELAXED), n);
        }
    }
    return NULL;
}

/* Runs one phase of kernel work (namespaces if 'names', else links, or
 * their addresses if 'addresses') on up to as many threads as there are
 * cores, then merges what the workers did into 'st' and 'log'.  Small jobs
 * run in the calling thread. */
int
run_kernel_work(struct engine *e, const struct svec *names,
                struct plan_link *plinks, size_t n_links, bool addresses,
                const struct topology *old_eff, bool old_applying,
                struct state *st, struct undo_log *log, size_t *n_createdp,
                char **errp)
{
    size_t n_items = names ? names->n : n_links;
    long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n_workers = n_items >= 64 && n_cpus > 1 ? MIN(n_cpus, 4) : 1;
    struct kernel_work *works = xcalloc(n_workers, sizeof *works);
    pthread_t *threads = xcalloc(n_workers, sizeof *threads);
    size_t n_done = 0;

    for (size_t i = 0; i < n_workers; i++) {
        struct kernel_work *w = &works[i];
        engine_init(&w->e, e->ctx.owner, e->opts);
        w->e.ctx = e->ctx;
        w->names = names;
        w->owned = &st->created_ns;
        w->plinks = plinks;
        w->n_links = n_links;
        w->addresses = addresses;
        w->start = i;
        w->step = n_workers;
        w->n_done = &n_done;
        w->phase = (names ? "creating namespaces"
                    : addresses ? "configuring links" : "creating links");
        w->old_eff = old_eff;
        w->old_applying = old_applying;
        state_init(&w->st);
    }
    if (n_workers == 1) {
        /* In this thread: with the namespaces already open. */
        engine_move_namespaces(&works[0].e, e);
        kernel_worker(&works[0]);
    } else {
        for (size_t i = 0; i < n_workers; i++) {
            int error = pthread_create(&threads[i], NULL, kernel_worker,
                                       &works[i]);
            if (error) {
                ovs_fatal_status(1, "cannot start a thread: %s",
                                 ovs_strerror(error));
            }
        }
        for (size_t i = 0; i < n_workers; i++) {
            pthread_join(threads[i], NULL);
        }
    }

    int error = 0;
    size_t err_idx = SIZE_MAX;
    *n_createdp = 0;
    for (size_t i = 0; i < n_workers; i++) {
        struct kernel_work *w = &works[i];
        for (size_t j = 0; j < w->log.n; j++) {
            if (log->n >= log->allocated) {
                log->undos = x2nrealloc(log->undos, &log->allocated,
                                        sizeof *log->undos);
            }
            log->undos[log->n++] = w->log.undos[j];
        }
        free(w->log.undos);
        for (size_t j = 0; j < w->st.created_ns.n; j++) {
            if (!svec_has(&st->created_ns, w->st.created_ns.names[j])) {
                svec_add(&st->created_ns, w->st.created_ns.names[j]);
            }
        }
        for (size_t j = 0; j < w->st.n_sysctls; j++) {
            const struct state_sysctl *ss = &w->st.sysctls[j];
            state_add_sysctl(st, ss->ns, ss->path, ss->old);
        }
        *n_createdp += w->n_created;
        if (w->error && w->err_idx < err_idx) {
            error = w->error;
            err_idx = w->err_idx;
            free(*errp);
            *errp = w->err;
        } else {
            free(w->err);
        }
        state_uninit(&w->st);
        /* What a worker opened serves the steps that follow. */
        engine_move_namespaces(e, &w->e);
        engine_uninit(&w->e);
    }
    free(works);
    free(threads);
    return error;
}
