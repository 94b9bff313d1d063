/* Drift and repair: engine_check() and engine_repair(). */
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

/* ---- Drift. ---- */

/* Adds to 'drift' one line for each object of 'eff' that is missing. */
static int
check_topology(struct engine *e, const struct topology *eff,
               struct ds *drift)
{
    int n_missing = 0;

    struct svec names = SVEC_EMPTY_INITIALIZER;
    collect_namespaces(eff, &names);
    for (size_t i = 0; i < names.n; i++) {
        if (!netns_exists(names.names[i])) {
            ds_put_format(drift, "namespace '%s' is missing\n",
                          names.names[i]);
            n_missing++;
        }
    }
    svec_destroy(&names);

    for (size_t i = 0; i < eff->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &eff->links[i].ends[j];
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
            if (error) {
                ds_put_format(drift, "interface '%s' in namespace '%s' is "
                              "missing\n", end->ifname, ns_label(ns));
                n_missing++;
                continue;
            }
            if (!info.admin_up) {
                ds_put_format(drift, "interface '%s' in namespace '%s' is "
                              "down\n", end->ifname, ns_label(ns));
                n_missing++;
            }
            rtnl_link_info_uninit(&info);
        }
    }

    /* The switch side: every port this topology attached, on its switch. */
    for (size_t k = 0; k < ARRAY_SIZE(e->backends); k++) {
        bool used = false;
        for (size_t i = 0; i < eff->n_switches; i++) {
            used |= eff->switches[i].kind == k && k != TOPO_SW_DIRECT;
        }
        if (!used) {
            continue;
        }
        struct vplug_backend *b = engine_backend(e, k);
        if (!b) {
            ds_put_format(drift, "%s is unreachable: %s\n",
                          kind_title(k), e->backend_errors[k]);
            n_missing++;
            continue;
        }
        struct vplug_switch_info *infos;
        size_t n_infos;
        char *err = NULL;
        if (b->class->list(b, e->ctx.owner, &infos, &n_infos, &err)) {
            ds_put_format(drift, "%s\n", err);
            free(err);
            n_missing++;
            continue;
        }
        for (size_t i = 0; i < eff->n_links; i++) {
            for (int j = 0; j < 2; j++) {
                const struct topo_end *end = &eff->links[i].ends[j];
                const struct topo_switch *sw = (end->sw
                    ? topology_find_switch(eff, end->sw) : NULL);
                if (!sw || sw->kind != k) {
                    continue;
                }
                bool found = false;
                for (size_t m = 0; m < n_infos && !found; m++) {
                    if (strcmp(infos[m].name, sw->name)) {
                        continue;
                    }
                    for (size_t p = 0; p < infos[m].n_ports; p++) {
                        if (!strcmp(infos[m].ports[p].ifname, end->ifname)) {
                            found = true;
                            break;
                        }
                    }
                }
                if (!found) {
                    ds_put_format(drift, "port '%s' is missing from switch "
                                  "'%s'\n", end->ifname, sw->name);
                    n_missing++;
                }
            }
        }
        vplug_switch_info_free_array(infos, n_infos);
    }
    return n_missing;
}

int
engine_check(const char *name, const struct engine_opts *opts,
             struct ds *drift, int *n_missingp, char **errp)
{
    struct state st;
    *errp = NULL;
    *n_missingp = 0;
    int error = state_read_applied(opts, name, &st, errp);
    if (error) {
        return error;
    }

    struct engine e;
    engine_init(&e, name, opts);
    engine_use_state_remote(&e, &st);
    struct topology *eff = engine_effective_or_plain(&e, st.topo, &st);
    *n_missingp = check_topology(&e, eff, drift);
    topology_destroy(eff);
    engine_uninit(&e);
    state_uninit(&st);
    return 0;
}

/* ---- Repair (the daemon's self-healing). ---- */

bool
engine_unfinished(const char *name, const struct engine_opts *opts)
{
    char *why = NULL;
    int lock_fd;
    if (engine_lock(opts, name, false, 0, &lock_fd, &why)) {
        /* Being changed right now, or unreadable: not ours to judge. */
        free(why);
        return false;
    }
    struct state st;
    bool unfinished = !state_read(opts, name, &st, &why) && st.applying;
    free(why);
    state_uninit(&st);
    engine_unlock(opts, name, lock_fd);
    return unfinished;
}

int
engine_repair(const char *name, const struct engine_opts *opts,
              struct ds *drift, int *n_missingp, char **errp)
{
    struct state st;
    int lock_fd;
    *errp = NULL;
    *n_missingp = 0;

    /* Never wait for an apply or destroy in progress, and read the state
     * only once it is ours: a destroy that finished meanwhile leaves none,
     * and nothing is brought back. */
    int error = engine_lock(opts, name, false, 0, &lock_fd, errp);
    if (error) {
        return error;
    }
    error = state_read_applied(opts, name, &st, errp);
    if (error) {
        engine_unlock(opts, name, lock_fd);
        return error;
    }

    struct engine e;
    engine_init(&e, name, opts);
    engine_use_state_remote(&e, &st);
    struct topology *eff = engine_effective_or_plain(&e, st.topo, &st);
    /* First, so that the check counts the ports it removed as missing. */
    remove_stale_ports(&e, eff);
    *n_missingp = check_topology(&e, eff, drift);
    topology_destroy(eff);
    engine_uninit(&e);
    if (st.applying) {
        /* Every apply, destroy and repair holds the lock we hold now: the
         * apply that wrote "applying" died half-way.  What it did not get
         * to (an address, a route) is not what the check looks for, so
         * finish it whatever the check found. */
        ds_put_format(drift, "topology '%s': an apply that did not finish "
                      "(its vplug or vplugd was killed)\n", name);
        ++*n_missingp;
    }
    if (!*n_missingp) {
        state_uninit(&st);
        engine_unlock(opts, name, lock_fd);
        return 0;
    }

    /* A switch the topology did not create stays shared: re-creating it
     * (an empty database) must not make it this topology's to remove.  One
     * that the killed apply was creating is this topology's. */
    struct svec shared = SVEC_EMPTY_INITIALIZER;
    if (opts->shared_switches) {
        for (size_t i = 0; i < opts->shared_switches->n; i++) {
            svec_add(&shared, opts->shared_switches->names[i]);
        }
    }
    for (size_t i = 0; i < st.n_switches; i++) {
        if (!st.switches[i].created && !st.switches[i].creating) {
            svec_add(&shared, st.switches[i].name);
        }
    }
    struct engine_opts o = *opts;
    o.shared_switches = &shared;
    error = apply_locked(st.topo, &o, errp);
    svec_destroy(&shared);
    state_uninit(&st);
    engine_unlock(opts, name, lock_fd);
    return error;
}
