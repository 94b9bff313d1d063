/* The switch side: choosing backends (with fallback), setting up
 * switches, attaching and detaching ports, and committing. */
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

/* Logs to engine.c's module: the engine has one. */
#define this_module (*VLM_engine)

/* ---- Choosing backends. ---- */

const char *
kind_title(enum topo_switch_kind kind)
{
    return (kind == TOPO_SW_OVS ? "Open vSwitch"
            : kind == TOPO_SW_BRIDGE ? "a Linux bridge"
            : "a direct veth");
}

/* Chooses the backend of each switch of 'topo' into 'st': the one already
 * recorded (an applied switch keeps its backend), else the first of the
 * switch's kind and its fallbacks that can work. */
int
choose_backends(struct engine *e, const struct topology *topo,
                struct state *st, char **errp)
{
    for (size_t i = 0; i < topo->n_switches; i++) {
        const struct topo_switch *sw = &topo->switches[i];
        struct state_switch *rec = state_find_switch(st, sw->name);
        if (rec) {
            if (rec->backend == TOPO_SW_DIRECT
                || engine_backend(e, rec->backend)) {
                continue;
            }
            *errp = xasprintf("cannot set up switch '%s' with %s, as it was "
                              "applied: %s", sw->name,
                              kind_title(rec->backend),
                              e->backend_errors[rec->backend]);
            return ENXIO;
        }

        struct ds why = DS_EMPTY_INITIALIZER;
        enum topo_switch_kind chosen = sw->kind;
        bool found = false;
        for (size_t j = 0; j <= sw->n_fallback && !found; j++) {
            enum topo_switch_kind kind = j ? sw->fallback[j - 1] : sw->kind;
            char *reason = NULL;

            if (kind == TOPO_SW_DIRECT) {
                bool all_ns;
                size_t n = count_switch_links(topo, sw->name, &all_ns);
                if (n != 2 || !all_ns) {
                    reason = xasprintf("a direct link needs exactly two "
                                       "namespace ends on '%s', it has %zu%s",
                                       sw->name, n,
                                       all_ns ? "" : " (some are switches)");
                }
            } else {
                struct vplug_backend *b = engine_backend(e, kind);
                if (!b) {
                    reason = xstrdup(e->backend_errors[kind]);
                } else {
                    char *err = NULL;
                    if (b->class->probe(b, sw, &err)) {
                        reason = err ? err : xstrdup("unusable");
                    }
                }
            }

            if (reason) {
                ds_put_format(&why, "%s%s: %s", why.length ? "; " : "",
                              topo_switch_kind_name(kind), reason);
                free(reason);
            } else {
                chosen = kind;
                found = true;
            }
        }

        if (!found) {
            *errp = xasprintf("cannot set up switch '%s': %s%s", sw->name,
                              ds_cstr(&why),
                              sw->n_fallback ? "" : " (no fallback given)");
            ds_destroy(&why);
            return ENXIO;
        }

        rec = state_add_switch(st, sw->name);
        rec->backend = chosen;
        if (chosen != sw->kind) {
            rec->reason = ds_steal_cstr(&why);
            report(e, "switch '%s': using %s instead of %s: %s", sw->name,
                   kind_title(chosen), kind_title(sw->kind), rec->reason);
        }
        ds_destroy(&why);
    }
    return 0;
}

/* ---- The switch side. ---- */

static bool
is_shared(const struct engine *e, const char *sw_name)
{
    return (e->opts->shared_switches
            && svec_has(e->opts->shared_switches, sw_name));
}

/* Records into 'st' which switches of 'eff' do not exist yet, where the
 * backend creates and tags a switch in two steps (see
 * vplug_backend_class's switch_exists()), before the state that says
 * "applying" is written: a run killed between the two steps then leaves a
 * switch that the next run knows to be this topology's. */
int
plan_switches(struct engine *e, const struct topology *eff,
              struct state *st, char **errp)
{
    for (size_t i = 0; i < eff->n_switches; i++) {
        const struct topo_switch *sw = &eff->switches[i];
        struct state_switch *rec = state_find_switch(st, sw->name);
        struct vplug_backend *b = (sw->kind == TOPO_SW_DIRECT ? NULL
                                   : engine_backend(e, sw->kind));
        if (!b || !b->class->switch_exists || rec->created
            || is_shared(e, sw->name)) {
            continue;
        }
        bool exists;
        int error = b->class->switch_exists(b, sw->name, &exists, errp);
        if (error) {
            return error;
        }
        rec->creating = rec->adopt || !exists;
    }
    return 0;
}

/* Makes switch 'rec' this topology's if a run that was killed created it
 * and did not get to tag it (see plan_switches()).  'b' is its backend. */
int
adopt_killed_switch(struct engine *e, struct vplug_backend *b,
                    const struct state_switch *rec, char **errp)
{
    bool adopted = false;
    int error = (b->class->adopt_switch && !is_shared(e, rec->name)
                 ? b->class->adopt_switch(b, rec->name, &adopted, errp)
                 : 0);
    if (adopted) {
        report(e, "switch '%s': an apply that was killed created it before "
               "it could tag it: it is this topology's", rec->name);
    }
    return error;
}

int
setup_switches(struct engine *e, const struct topology *eff,
               struct state *st, struct undo_log *log, char **errp)
{
    for (size_t i = 0; i < eff->n_switches; i++) {
        const struct topo_switch *sw = &eff->switches[i];
        struct state_switch *rec = state_find_switch(st, sw->name);
        if (sw->kind == TOPO_SW_DIRECT) {
            free(rec->variant);
            rec->variant = xstrdup("direct");
            continue;
        }

        struct vplug_backend *b = engine_backend(e, sw->kind);
        int error = rec->adopt ? adopt_killed_switch(e, b, rec, errp) : 0;
        if (error) {
            return error;
        }
        bool created = false;
        char *variant = NULL;
        error = b->class->ensure_switch(b, sw, &created, &variant, errp);
        if (error) {
            free(variant);
            return error;
        }
        free(rec->variant);
        rec->variant = variant;
        if (created && !is_shared(e, sw->name)) {
            /* Rollback removes only what this run made or found left over
             * by a killed one, never a switch an earlier apply recorded. */
            if (!rec->created) {
                undo_push(log, UNDO_SWITCH, NULL, sw->name, NULL, sw->kind);
            }
            rec->created = true;
        }
    }
    return 0;
}

/* Whether 'topo' has an end 'ifname' on switch 'sw'. */
static bool
has_switch_end(const struct topology *topo, const char *sw,
               const char *ifname)
{
    for (size_t i = 0; topo && i < topo->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &topo->links[i].ends[j];
            if (end->sw && !strcmp(end->sw, sw)
                && !strcmp(end->ifname, ifname)) {
                return true;
            }
        }
    }
    return false;
}

/* Attaches every switch end of 'eff'.  A rollback detaches those this run
 * added, not those that 'old_eff' (the previous apply, complete; or NULL)
 * had already: a re-apply that fails must leave the topology as it was. */
int
attach_ports(struct engine *e, const struct topology *eff,
             const struct topology *old_eff, struct undo_log *log,
             char **errp)
{
    for (size_t i = 0; i < eff->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &eff->links[i].ends[j];
            if (!end->sw) {
                continue;
            }
            const struct topo_switch *sw = topology_find_switch(eff, end->sw);
            struct vplug_backend *b = engine_backend(e, sw->kind);
            int error = b->class->attach(b, sw, end, errp);
            if (error) {
                return error;
            }
            if (!has_switch_end(old_eff, sw->name, end->ifname)) {
                undo_push(log, UNDO_PORT, NULL, end->ifname, sw->name,
                          sw->kind);
            }
        }
    }
    return 0;
}

/* Starts the commit of every open backend that can start one. */
void
start_commit_backends(struct engine *e)
{
    for (size_t k = 0; k < ARRAY_SIZE(e->backends); k++) {
        struct vplug_backend *b = e->backends[k];
        if (b && b->class->commit_start) {
            b->class->commit_start(b);
        }
    }
}

/* Commits every open backend. */
int
commit_backends(struct engine *e, char **errp)
{
    for (size_t k = 0; k < ARRAY_SIZE(e->backends); k++) {
        struct vplug_backend *b = e->backends[k];
        if (b) {
            int error = b->class->commit(b, errp);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

/* Waits, after an apply was recorded, until what every open backend
 * attached is ready beyond the switch (settle() in backend.h). */
int
settle_backends(struct engine *e, const struct topology *eff, char **errp)
{
    for (size_t k = 0; k < ARRAY_SIZE(e->backends); k++) {
        struct vplug_backend *b = e->backends[k];
        if (b && b->class->settle) {
            int error = b->class->settle(b, eff, errp);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

void
abort_backends(struct engine *e)
{
    for (size_t k = 0; k < ARRAY_SIZE(e->backends); k++) {
        struct vplug_backend *b = e->backends[k];
        if (b && b->class->abort) {
            b->class->abort(b);
        }
    }
}

/* Queues detaching the switch ports of 'l' that are ours. */
int
detach_link_ports(struct engine *e, const struct topology *eff,
                  const struct topo_link *l, char **errp)
{
    for (int j = 0; j < 2; j++) {
        const struct topo_end *end = &l->ends[j];
        if (!end->sw) {
            continue;
        }
        const struct topo_switch *sw = topology_find_switch(eff, end->sw);
        if (!sw || sw->kind == TOPO_SW_DIRECT) {
            continue;
        }
        struct vplug_backend *b = engine_backend(e, sw->kind);
        if (!b) {
            *errp = xasprintf("cannot detach '%s' from switch '%s': %s",
                              end->ifname, sw->name,
                              e->backend_errors[sw->kind]);
            return ENXIO;
        }
        int error = b->class->detach(b, sw->name, end->ifname, errp);
        if (error) {
            return error;
        }
    }
    return 0;
}

/* Before a repair re-creates the devices of switch ports, removes through
 * their backends the ports of 'eff' whose root-namespace interface is gone
 * or down (see remove_stale_ports in backend.h).  Failures are logged: the
 * repair goes on. */
void
remove_stale_ports(struct engine *e, const struct topology *eff)
{
    struct svec links = SVEC_EMPTY_INITIALIZER;
    struct rtnl_link_info *infos;
    size_t n;
    int error;

    struct ns_handle *root = engine_ns(e, NULL, &error);
    if (!root || rtnl_link_list(root->rtnl, &infos, &n)) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (infos[i].admin_up) {
            svec_add(&links, infos[i].name);
        }
    }
    rtnl_link_info_free_array(infos, n);
    svec_sort(&links);

    for (int kind = 0; kind < ARRAY_SIZE(e->backends); kind++) {
        const struct vplug_backend_class *class
            = vplug_backend_find(topo_switch_kind_name(kind));
        struct svec stale = SVEC_EMPTY_INITIALIZER;

        for (size_t i = 0; class->remove_stale_ports && i < eff->n_links;
             i++) {
            for (int j = 0; j < 2; j++) {
                const struct topo_end *end = &eff->links[i].ends[j];
                const struct topo_switch *sw
                    = end->sw ? topology_find_switch(eff, end->sw) : NULL;
                if (sw && sw->kind == kind
                    && !svec_has(&links, end->ifname)) {
                    svec_add(&stale, end->ifname);
                }
            }
        }
        struct vplug_backend *b = stale.n ? engine_backend(e, kind) : NULL;
        if (b) {
            char *why = NULL;
            if (b->class->remove_stale_ports(b, &stale, &why)) {
                VLOG_WARN("%s: %s", e->ctx.owner, why);
            }
            free(why);
        }
        svec_destroy(&stale);
    }
    svec_destroy(&links);
}

int
engine_list_switches(const char *backend, const struct engine_opts *opts,
                     struct vplug_switch_info **infosp, size_t *n,
                     char **errp)
{
    enum topo_switch_kind kind;
    struct engine e;
    int error;

    *infosp = NULL;
    *n = 0;
    *errp = NULL;
    if (!topo_switch_kind_from_name(backend, &kind)
        || kind == TOPO_SW_DIRECT) {
        *errp = xasprintf("'%s' is not a switch backend", backend);
        return EINVAL;
    }
    engine_init(&e, "", opts);
    struct vplug_backend *b = engine_backend(&e, kind);
    if (b) {
        error = b->class->list(b, NULL, infosp, n, errp);
    } else {
        *errp = xstrdup(e.backend_errors[kind]);
        error = ENXIO;
    }
    engine_uninit(&e);
    return error;
}
