/* The engine: plan, apply, destroy, show and verify topologies.
 *
 * What vplug owns is known three ways, all carrying the topology's name:
 * kernel links get the ifalias "vplug:NAME", OVS rows the external_ids
 * vplug-topology=NAME (the OVS backend's business), and the state file
 * STATE_DIR/NAME.json records the applied topology, the backend chosen for
 * each switch, the namespaces and switches this topology created and the
 * sysctls it changed (with their old values).  The state file is written
 * before the first change of an apply ("applying"), so a crash leaves
 * enough behind for a re-run or a destroy to converge.
 *
 * The state file is a JSON module's business; jansson stays in the engine.
 *
 * This file holds the engine's setup (namespace handles, backends), the undo
 * log, and the apply and destroy sequences.  The rest lives by concern:
 * engine-state.c (state files and locks), engine-plan.c (planning),
 * engine-kernel.c (namespaces, veths, addresses, routes, sysctls, workers),
 * engine-switch.c (backends, fallback, ports, commit), engine-show.c,
 * engine-verify.c and engine-repair.c (drift and repair).  Their shared
 * declarations are in engine-private.h. */
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

VLOG_DEFINE_THIS_MODULE(engine);

void
report(const struct engine *e, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3);

void
report(const struct engine *e, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *line = xvasprintf(format, args);
    va_end(args);
    if (e->opts->report) {
        e->opts->report(e->opts->report_aux, line);
    }
    VLOG_DBG("%s", line);
    free(line);
}

/* Tells opts->progress that 'done' of 'total' items of 'phase' are done;
 * kernel workers call it from their threads. */
void
progress(const struct engine *e, const char *phase, size_t done,
         size_t total)
{
    static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    if (e->opts->progress) {
        pthread_mutex_lock(&mutex);
        e->opts->progress(e->opts->report_aux, phase, done, total);
        pthread_mutex_unlock(&mutex);
    }
}

/* Returns a printable name for namespace 'ns'. */
const char *
ns_label(const char *ns)
{
    return ns ? ns : "(current)";
}

/* ---- Engine setup. ---- */

/* Set from a signal handler: the apply in progress stops at the next step
 * and rolls back. */
static volatile sig_atomic_t stop_requested;

void
engine_request_stop(void)
{
    stop_requested = 1;
}

/* Returns EINTR with a message if a stop was requested. */
int
check_stop(char **errp)
{
    if (stop_requested) {
        *errp = xstrdup("interrupted by a signal: rolling back");
        return EINTR;
    }
    return 0;
}

/* Returns EINTR if a stop was requested, ETIMEDOUT if 'e''s deadline
 * (--timeout) has passed, with a message, else 0.  Cheap enough to call
 * between any two kernel requests. */
int
check_stop_or_deadline(const struct engine *e, char **errp)
{
    int error = check_stop(errp);
    if (!error && time_msec() >= e->ctx.deadline) {
        *errp = xasprintf("gave up after --timeout=%d: rolling back",
                          e->ctx.timeout_ms / 1000);
        error = ETIMEDOUT;
    }
    return error;
}

void
engine_init(struct engine *e, const char *name, const struct engine_opts *opts)
{
    memset(e, 0, sizeof *e);
    e->opts = opts;
    e->ctx.owner = name;
    e->ctx.db_remote = (opts->db_remote ? opts->db_remote
                        : opts->default_db_remote);
    e->ctx.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    e->ctx.deadline = time_msec() + e->ctx.timeout_ms;
    e->ctx.dry_run = opts->dry_run;
    e->ctx.vswitch = opts->vswitch;
    e->ctx.share_commits = opts->share_commits;
    e->ctx.ovn_nb_remote = opts->ovn_nb_remote;
    e->ctx.ovn_sandbox = opts->ovn_sandbox;
    e->ctx.report = opts->report;
    e->ctx.report_aux = opts->report_aux;
    e->alias = xasprintf("vplug:%s", name);

    /* Large labs hold a namespace descriptor and a netlink socket for each
     * namespace they touch. */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void
engine_close_namespaces(struct engine *e)
{
    for (size_t i = 0; i < e->n_nss; i++) {
        rtnl_close(e->nss[i]->rtnl);
        if (e->nss[i]->fd >= 0) {
            close(e->nss[i]->fd);
        }
        free(e->nss[i]->name);
        free(e->nss[i]);
    }
    free(e->nss);
    e->nss = NULL;
    e->n_nss = e->allocated_nss = 0;
}

void
engine_uninit(struct engine *e)
{
    for (size_t i = 0; i < ARRAY_SIZE(e->backends); i++) {
        if (e->backends[i]) {
            e->backends[i]->class->close(e->backends[i]);
        }
        free(e->backend_errors[i]);
    }
    engine_close_namespaces(e);
    free(e->alias);
    free(e->db_remote);
    free(e->ovn_sandbox);
    free(e->ovn_nb);
}

/* Uses the OVSDB remote recorded in 'st' unless the user gave one. */
void
engine_use_state_remote(struct engine *e, const struct state *st)
{
    if (!e->opts->db_remote && st->db_remote) {
        free(e->db_remote);
        e->db_remote = xstrdup(st->db_remote);
        e->ctx.db_remote = e->db_remote;
    }
    /* An OVN lab stays where it was applied: rehearsed or on real hosts,
     * with the same Northbound database. */
    if (!e->opts->ovn_sandbox && !e->opts->ovn_nb_remote) {
        free(e->ovn_sandbox);
        free(e->ovn_nb);
        e->ovn_sandbox = nullable_xstrdup(st->ovn_sandbox);
        e->ovn_nb = nullable_xstrdup(st->ovn_nb);
        e->ctx.ovn_sandbox = e->ovn_sandbox;
        e->ctx.ovn_nb_remote = e->ovn_nb;
    }
}

bool
ns_equal(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Adds a handle for namespace 'name', made elsewhere: 'e' owns 'fd' and
 * 'rtnl' from now on. */
struct ns_handle *
engine_ns_adopt(struct engine *e, const char *name, int fd,
                struct rtnl *rtnl)
{
    if (e->n_nss >= e->allocated_nss) {
        e->nss = x2nrealloc(e->nss, &e->allocated_nss, sizeof *e->nss);
    }
    struct ns_handle *h = xmalloc(sizeof *h);
    e->nss[e->n_nss++] = h;
    h->name = nullable_xstrdup(name);
    h->fd = fd;
    h->rtnl = rtnl;
    return h;
}

/* Finds or opens namespace 'name' (NULL: current).  Returns NULL and stores
 * an errno in '*errorp' if it cannot be opened (ENOENT: it does not
 * exist). */
struct ns_handle *
engine_ns(struct engine *e, const char *name, int *errorp)
{
    for (size_t i = 0; i < e->n_nss; i++) {
        if (ns_equal(e->nss[i]->name, name)) {
            return e->nss[i];
        }
    }

    int fd;
    int error = netns_open(name, &fd);
    if (error) {
        *errorp = error;
        return NULL;
    }
    struct rtnl *rtnl;
    /* A socket for the current namespace needs no trip into it. */
    error = rtnl_open(name ? fd : -1, &rtnl);
    if (error) {
        close(fd);
        *errorp = error;
        return NULL;
    }
    return engine_ns_adopt(e, name, fd, rtnl);
}

/* Moves the namespace handles of 'from' to 'to', closing those that 'to'
 * already has one for. */
void
engine_move_namespaces(struct engine *to, struct engine *from)
{
    for (size_t i = 0; i < from->n_nss; i++) {
        struct ns_handle *h = from->nss[i];
        bool dup = false;
        for (size_t j = 0; j < to->n_nss && !dup; j++) {
            dup = ns_equal(to->nss[j]->name, h->name);
        }
        if (dup) {
            rtnl_close(h->rtnl);
            if (h->fd >= 0) {
                close(h->fd);
            }
        } else {
            engine_ns_adopt(to, h->name, h->fd, h->rtnl);
        }
        free(h->name);
        free(h);
    }
    free(from->nss);
    from->nss = NULL;
    from->n_nss = from->allocated_nss = 0;
}

/* Forgets namespace 'name' after it was deleted. */
static void
engine_forget_ns(struct engine *e, const char *name)
{
    for (size_t i = 0; i < e->n_nss; i++) {
        struct ns_handle *h = e->nss[i];
        if (ns_equal(h->name, name)) {
            rtnl_close(h->rtnl);
            close(h->fd);
            free(h->name);
            free(h);
            e->nss[i] = e->nss[--e->n_nss];
            return;
        }
    }
}

/* Returns the backend for 'kind', opening it on first use.  Returns NULL
 * if it cannot be opened; the reason is in e->backend_errors[kind]. */
struct vplug_backend *
engine_backend(struct engine *e, enum topo_switch_kind kind)
{
    if (!e->backends[kind] && !e->backend_errors[kind]) {
        const struct vplug_backend_class *class
            = vplug_backend_find(topo_switch_kind_name(kind));
        char *err = NULL;
        int error = class->open(&e->ctx, &e->backends[kind], &err);
        if (error) {
            e->backends[kind] = NULL;
            e->backend_errors[kind] = err ? err : xstrdup(ovs_strerror(error));
        }
    }
    return e->backends[kind];
}

/* ---- Undo log: what this run changed, to roll back on failure. ---- */

void
undo_push(struct undo_log *log, enum undo_type type, const char *ns,
          const char *name, const char *arg, enum topo_switch_kind kind)
{
    if (log->n >= log->allocated) {
        log->undos = x2nrealloc(log->undos, &log->allocated,
                                sizeof *log->undos);
    }
    log->undos[log->n++] = (struct undo) {
        .type = type,
        .ns = nullable_xstrdup(ns),
        .name = xstrdup(name),
        .arg = nullable_xstrdup(arg),
        .kind = kind,
    };
}

static void
undo_log_destroy(struct undo_log *log)
{
    for (size_t i = 0; i < log->n; i++) {
        free(log->undos[i].ns);
        free(log->undos[i].name);
        free(log->undos[i].arg);
    }
    free(log->undos);
}

/* Rolls back everything in 'log', newest first.  Failures are reported,
 * not returned: rollback goes on as far as it can. */
static void
undo_all(struct engine *e, struct undo_log *log, struct state *st)
{
    bool backends_touched[ARRAY_SIZE(e->backends)] = { false };

    /* Give the rollback its own time budget: the failure may have been a
     * timeout. */
    e->ctx.deadline = time_msec() + e->ctx.timeout_ms;

    /* What goes with the namespaces this run made: the links with an end
     * in one (a veth dies with either end's namespace), and everything
     * inside them.  Deleting those one by one took the kernel 10-20 ms per
     * veth, and a rollback of 300 hosts 5-7 s where their namespaces go in
     * well under one. */
    struct svec dying = SVEC_EMPTY_INITIALIZER;
    for (size_t i = 0; i < log->n; i++) {
        if (log->undos[i].type == UNDO_NETNS) {
            svec_add(&dying, log->undos[i].name);
        }
    }
    svec_sort(&dying);
    struct svec dying_links = SVEC_EMPTY_INITIALIZER;   /* "NS\nNAME". */
    for (size_t i = 0; i < log->n; i++) {
        const struct undo *u = &log->undos[i];
        if (u->type == UNDO_LINK && (svec_contains(&dying, u->ns ? u->ns : "")
                                     || (u->arg
                                         && svec_contains(&dying, u->arg)))) {
            svec_add_nocopy(&dying_links, xasprintf("%s\n%s",
                                                    u->ns ? u->ns : "",
                                                    u->name));
        }
    }
    svec_sort(&dying_links);

    for (size_t i = log->n; i-- > 0; ) {
        const struct undo *u = &log->undos[i];
        struct ns_handle *h;
        char *err = NULL;
        int error = 0;

        if (u->type == UNDO_LINK || u->type == UNDO_ADDR
            || u->type == UNDO_SYSCTL) {
            char *key = xasprintf("%s\n%s", u->ns ? u->ns : "", u->name);
            bool goes = (svec_contains(&dying, u->ns ? u->ns : "")
                         || (u->type != UNDO_SYSCTL
                             && svec_contains(&dying_links, key)));
            free(key);
            if (goes) {
                continue;
            }
        }

        switch (u->type) {
        case UNDO_NETNS:
            engine_forget_ns(e, u->name);
            error = netns_delete(u->name);
            if (error == ENOENT) {
                error = 0;
            }
            for (size_t j = 0; j < st->created_ns.n; j++) {
                if (!strcmp(st->created_ns.names[j], u->name)) {
                    free(st->created_ns.names[j]);
                    st->created_ns.names[j]
                        = st->created_ns.names[--st->created_ns.n];
                    break;
                }
            }
            break;
        case UNDO_LINK:
            h = engine_ns(e, u->ns, &error);
            if (h) {
                error = rtnl_link_delete(h->rtnl, u->name);
            }
            if (error == ENODEV || error == ENOENT) {
                error = 0;
            }
            break;
        case UNDO_ADDR:
            h = engine_ns(e, u->ns, &error);
            if (h) {
                error = rtnl_addr_del(h->rtnl, u->name, u->arg);
            }
            break;
        case UNDO_SYSCTL:
            h = engine_ns(e, u->ns, &error);
            if (h) {
                error = sysctl_write(h->fd, u->name, u->arg);
            }
            break;
        case UNDO_PORT:
            if (e->backends[u->kind]) {
                error = e->backends[u->kind]->class->detach(
                    e->backends[u->kind], u->arg, u->name, &err);
                backends_touched[u->kind] = true;
            }
            break;
        case UNDO_SWITCH:
            if (e->backends[u->kind]) {
                error = e->backends[u->kind]->class->remove_switch(
                    e->backends[u->kind], u->name, &err);
                backends_touched[u->kind] = true;
            }
            break;
        }
        if (error) {
            report(e, "rollback: cannot undo a change to '%s': %s", u->name,
                   err ? err : ovs_strerror(error));
        }
        free(err);
    }
    /* The links that went with a namespace, where their other end lives
     * on: gone before the rollback returns, so that a re-apply finds no
     * half of them. */
    for (size_t i = 0; i < log->n; i++) {
        const struct undo *u = &log->undos[i];
        if (u->type == UNDO_LINK && !svec_contains(&dying, u->ns ? u->ns : "")
            && u->arg && svec_contains(&dying, u->arg)) {
            wait_link_gone(e, u->ns, u->name);
        }
    }
    svec_destroy(&dying);
    svec_destroy(&dying_links);

    /* The switch side goes in one commit per backend. */
    for (size_t k = 0; k < ARRAY_SIZE(backends_touched); k++) {
        if (backends_touched[k]) {
            char *err = NULL;
            /* Give the rollback its own time budget: the failure may have
             * been a timeout. */
            e->ctx.deadline = time_msec() + e->ctx.timeout_ms;
            if (e->backends[k]->class->commit(e->backends[k], &err)) {
                report(e, "rollback: %s", err ? err : "commit failed");
            }
            free(err);
        }
    }
}

/* Removes what the old applied topology had and the new one does not:
 * links, switches this topology created, namespaces it created. */
static int
remove_stale(struct engine *e, const struct topology *new_eff,
             const struct topology *old_eff, struct state *st,
             char **errp)
{
    struct svec dying = SVEC_EMPTY_INITIALIZER;
    struct svec wanted = SVEC_EMPTY_INITIALIZER;
    int error = 0;

    collect_namespaces(new_eff, &wanted);
    for (size_t i = 0; i < st->created_ns.n; ) {
        const char *ns = st->created_ns.names[i];
        if (!svec_has(&wanted, ns)) {
            svec_add(&dying, ns);
            free(st->created_ns.names[i]);
            st->created_ns.names[i] = st->created_ns.names[--st->created_ns.n];
        } else {
            i++;
        }
    }

    size_t n_removed = 0;
    for (size_t i = 0; i < old_eff->n_links && !error; i++) {
        const struct topo_link *l = &old_eff->links[i];
        char *key = link_key(l);
        if (!find_link(new_eff, key)) {
            error = detach_link_ports(e, old_eff, l, errp);
            n_removed++;
        }
        free(key);
    }
    for (size_t i = 0; i < old_eff->n_switches && !error; i++) {
        const struct topo_switch *sw = &old_eff->switches[i];
        if (topology_find_switch(new_eff, sw->name)) {
            continue;
        }
        struct state_switch *rec = state_find_switch(st, sw->name);
        if (rec && sw->kind != TOPO_SW_DIRECT
            && (rec->created || !e->opts->keep_joined_switches)) {
            struct vplug_backend *b = engine_backend(e, sw->kind);
            error = (b ? b->class->remove_switch(b, sw->name, errp)
                     : ENXIO);
            if (!b) {
                *errp = xasprintf("cannot remove switch '%s': %s", sw->name,
                                  e->backend_errors[sw->kind]);
            }
        }
        if (rec) {
            free(rec->name);
            free(rec->variant);
            free(rec->reason);
            *rec = st->switches[--st->n_switches];
        }
    }
    if (!error) {
        error = commit_backends(e, errp);
    }
    for (size_t i = 0; i < old_eff->n_links && !error; i++) {
        const struct topo_link *l = &old_eff->links[i];
        char *key = link_key(l);
        if (!find_link(new_eff, key)) {
            error = delete_link(e, l, &dying, errp);
        }
        free(key);
    }
    for (size_t i = 0; i < dying.n && !error; i++) {
        engine_forget_ns(e, dying.names[i]);
        error = netns_delete(dying.names[i]);
        if (error == ENOENT) {
            error = 0;
        } else if (error) {
            *errp = xasprintf("cannot delete namespace '%s': %s",
                              dying.names[i], ovs_strerror(error));
        }
    }
    if (!error && (n_removed || dying.n)) {
        wait_links_gone(e, old_eff, &dying);
        report(e, "removed %zu link%s and %zu namespace%s no longer in the "
               "topology", n_removed, n_removed == 1 ? "" : "s", dying.n,
               dying.n == 1 ? "" : "s");
    }
    svec_destroy(&dying);
    svec_destroy(&wanted);
    return error;
}

/* engine_apply() with the topology's lock held. */
int
apply_locked(const struct topology *topo, const struct engine_opts *opts,
             char **errp)
{
    struct engine e;
    struct state old, st;
    struct undo_log log = { NULL, 0, 0 };
    struct plan_link *plinks = NULL;
    struct topology *eff = NULL;
    struct topology *old_eff = NULL;
    bool has_old = false;
    bool changing = false;

    *errp = NULL;
    engine_init(&e, topo->name, opts);
    state_init(&st);
    int error = state_read(opts, topo->name, &old, errp);
    if (!error) {
        has_old = true;
    } else if (error == ENOENT) {
        error = 0;
    } else {
        goto out;
    }

    if (has_old) {
        engine_use_state_remote(&e, &old);
    }
    st.topo = topology_clone(topo);
    st.db_remote = nullable_xstrdup(e.ctx.db_remote);
    if (topology_has_ovn(topo)) {
        st.ovn_sandbox = nullable_xstrdup(e.ctx.ovn_sandbox);
        st.ovn_nb = nullable_xstrdup(e.ctx.ovn_nb_remote);
    }
    if (has_old) {
        state_inherit(&st, &old);
        st.previous = topology_clone(old.topo);
        old_eff = engine_effective_or_plain(&e, old.topo, &old);
    }

    /* Decide, inspect and refuse before changing anything. */
    error = choose_backends(&e, topo, &st, errp);
    if (error) {
        goto out;
    }
    eff = engine_effective(&e, topo, &st, errp);
    if (!eff) {
        error = EINVAL;
        goto out;
    }
    error = plan_links(&e, eff, &st, &plinks, errp);
    if (error) {
        goto out;
    }
    if (opts->dry_run) {
        report_plan(&e, eff, plinks, &st);
        goto out;
    }

    /* Record the namespaces this run is about to create before creating
     * any, so that a run killed halfway leaves them known as ours. */
    struct svec wanted = SVEC_EMPTY_INITIALIZER;
    collect_namespaces(eff, &wanted);
    for (size_t i = 0; i < wanted.n; i++) {
        if (!netns_name_taken(wanted.names[i])
            && !svec_has(&st.created_ns, wanted.names[i])) {
            svec_add(&st.created_ns, wanted.names[i]);
        }
    }
    svec_destroy(&wanted);

    error = plan_switches(&e, eff, &st, errp);
    if (error) {
        goto out;
    }
    st.applying = true;
    error = state_write(opts, &st, errp);
    if (error) {
        goto out;
    }
    changing = true;

    long long int start = time_msec();
    error = setup_switches(&e, eff, &st, &log, errp);
    size_t n_created = 0;
    if (!error) {
        struct svec names = SVEC_EMPTY_INITIALIZER;
        collect_namespaces(eff, &names);
        error = run_kernel_work(&e, &names, NULL, 0, false, NULL, false, &st,
                                &log, &n_created, errp);
        if (n_created) {
            report(&e, "created %zu namespace%s", n_created,
                   n_created == 1 ? "" : "s");
        }
        svec_destroy(&names);
    }
    VLOG_DBG("apply: namespaces after %lld ms", time_msec() - start);
    if (!error) {
        error = run_kernel_work(&e, NULL, plinks, eff->n_links, false,
                                old_eff, has_old && old.applying, &st, &log,
                                &n_created, errp);
    }
    VLOG_DBG("apply: links made after %lld ms", time_msec() - start);
    if (!error) {
        error = attach_ports(&e, eff,
                             has_old && !old.applying ? old_eff : NULL,
                             &log, errp);
    }
    if (!error) {
        /* The devices exist: the switch side works on its part (OVS:
         * ovs-vswitchd adds the ports) while addresses are set. */
        start_commit_backends(&e);
        size_t n_ignored;
        error = run_kernel_work(&e, NULL, plinks, eff->n_links, true,
                                old_eff, has_old && old.applying, &st, &log,
                                &n_ignored, errp);
    }
    VLOG_DBG("apply: links configured after %lld ms", time_msec() - start);
    if (!error) {
        error = check_stop(errp);
    }
    if (!error) {
        error = commit_backends(&e, errp);
    }
    VLOG_DBG("apply: switch side committed after %lld ms",
             time_msec() - start);
    if (!error) {
        /* Only now do the switch's ports show what it runs with. */
        error = set_tx_offloads(&e, eff, plinks, &st, errp);
    }
    if (!error) {
        error = wait_links_up(&e, plinks, eff->n_links, errp);
    }
    VLOG_DBG("apply: links up after %lld ms", time_msec() - start);
    if (!error && old_eff) {
        error = remove_stale(&e, eff, old_eff, &st, errp);
    }
    if (!error) {
        st.applying = false;
        topology_destroy(st.previous);
        st.previous = NULL;
        error = state_write(opts, &st, errp);
    }
    if (!error) {
        /* Recorded: from here on a failure undoes nothing.  A port that
         * the switch took but that is not ready beyond it (OVN did not
         * install it) stays, as an agent expects, for an unplug or destroy
         * to remove. */
        changing = false;
        error = opts->settle ? settle_backends(&e, eff, errp) : 0;
        if (error && opts->kept_not_readyp) {
            *opts->kept_not_readyp = true;
        }
    }
    if (!error) {
        report(&e, "topology '%s' applied: %zu link%s (%zu new), %zu "
               "switch%s", topo->name, eff->n_links,
               eff->n_links == 1 ? "" : "s", n_created, eff->n_switches,
               eff->n_switches == 1 ? "" : "es");
    }

out:
    if (error && changing) {
        /* All or nothing: undo this run's changes and put the previous
         * state back.  A second signal does not stop the rollback. */
        abort_backends(&e);
        undo_all(&e, &log, &st);
        char *err2 = NULL;
        if (has_old) {
            old.applying = false;
            state_write(opts, &old, &err2);
        } else {
            state_remove(opts, topo->name, &err2);
        }
        if (err2) {
            report(&e, "rollback: %s", err2);
            free(err2);
        }
    }
    free(plinks);
    topology_destroy(eff);
    topology_destroy(old_eff);
    undo_log_destroy(&log);
    state_uninit(&st);
    if (has_old) {
        state_uninit(&old);
    }
    engine_uninit(&e);
    if (error && !*errp) {
        *errp = xasprintf("cannot apply topology '%s': %s", topo->name,
                          ovs_strerror(error));
    }
    return error;
}

int
engine_apply(const struct topology *topo, const struct engine_opts *opts,
             char **errp)
{
    int timeout = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
    int fd;

    *errp = NULL;
    int error = (opts->dry_run ? 0
                 : engine_lock(opts, topo->name, true, time_msec() + timeout,
                               &fd, errp));
    if (!error) {
        error = apply_locked(topo, opts, errp);
        if (!opts->dry_run) {
            engine_unlock(opts, topo->name, fd);
        }
    }
    return error;
}

/* Between two kernel requests of a destroy: EINTR with a message if a
 * stop was requested.  What is deleted stays deleted, and the state stays
 * for the next destroy, which deletes the rest. */
static int
check_destroy_stop(const struct state *st, const char *what, size_t done,
                   size_t total, char **errp)
{
    if (!stop_requested) {
        return 0;
    }
    *errp = xasprintf("interrupted by a signal after deleting %zu of %zu "
                      "%s: destroy '%s' again to delete the rest", done,
                      total, what, st->topo->name);
    return EINTR;
}

/* Removes what state 'st' says topology 'st->topo->name' owns. */
static int
destroy_state(struct engine *e, struct state *st, char **errp)
{
    struct topology *effs[2] = { NULL, NULL };
    struct svec dead = SVEC_EMPTY_INITIALIZER;
    char *switch_err = NULL;
    int switch_error = 0;
    int error = 0;

    if (st->previous) {
        effs[1] = engine_effective_or_plain(e, st->previous, st);
    }
    effs[0] = engine_effective_or_plain(e, st->topo, st);

    /* The switch side first, in one commit, so OVS forgets the ports
     * before their interfaces vanish. */
    for (size_t t = 0; t < 2 && !switch_error; t++) {
        for (size_t i = 0; effs[t] && i < effs[t]->n_links; i++) {
            switch_error = detach_link_ports(e, effs[t], &effs[t]->links[i],
                                             &switch_err);
            if (switch_error) {
                break;
            }
        }
    }
    for (size_t i = 0; i < st->n_switches && !switch_error; i++) {
        const struct state_switch *rec = &st->switches[i];
        /* A switch this topology joined may have become its own since
         * (the topology that made it went first): the backend removes it
         * only if its tag says so, and keeps it while another topology
         * has ports on it. */
        bool killed_creating = st->applying && rec->creating && !rec->created;
        if (rec->backend == TOPO_SW_DIRECT
            || (!rec->created && !killed_creating
                && e->opts->keep_joined_switches)) {
            continue;
        }
        struct vplug_backend *b = engine_backend(e, rec->backend);
        if (!b) {
            switch_err = xasprintf("cannot remove switch '%s': %s",
                                   rec->name, e->backend_errors[rec->backend]);
            switch_error = ENXIO;
        } else {
            switch_error = (killed_creating
                            ? adopt_killed_switch(e, b, rec, &switch_err)
                            : 0);
            if (!switch_error) {
                switch_error = b->class->remove_switch(b, rec->name,
                                                       &switch_err);
            }
        }
    }
    long long int start = time_msec();
    if (!switch_error) {
        switch_error = commit_backends(e, &switch_err);
    }
    VLOG_DBG("destroy: switch side committed in %lld ms",
             time_msec() - start);

    /* Then the kernel: links outside our namespaces, the namespaces, and
     * the sysctls of namespaces that stay. */
    size_t n_links = effs[0]->n_links + (effs[1] ? effs[1]->n_links : 0);
    size_t n_deleted = 0;
    for (size_t t = 0; t < 2 && !error; t++) {
        for (size_t i = 0; effs[t] && i < effs[t]->n_links && !error; i++) {
            error = check_destroy_stop(st, "links", n_deleted, n_links,
                                       errp);
            if (!error) {
                error = delete_link(e, &effs[t]->links[i], &st->created_ns,
                                    errp);
                progress(e, "deleting links", ++n_deleted, n_links);
            }
        }
    }
    for (size_t i = 0; i < st->n_sysctls && !error; i++) {
        const struct state_sysctl *s = &st->sysctls[i];
        if (s->ns && (svec_has(&st->created_ns, s->ns)
                      || !netns_exists(s->ns))) {
            continue;
        }
        struct ns_handle *h = engine_ns(e, s->ns, &error);
        if (h) {
            error = sysctl_write(h->fd, s->path, s->old);
        }
        if (error) {
            *errp = xasprintf("cannot restore sysctl %s=%s in namespace "
                              "'%s': %s", s->path, s->old, ns_label(s->ns),
                              ovs_strerror(error));
        }
    }
    for (size_t i = 0; i < st->created_ns.n && !error; i++) {
        const char *ns = st->created_ns.names[i];
        error = check_destroy_stop(st, "namespaces", i, st->created_ns.n,
                                   errp);
        if (error) {
            break;
        }
        engine_forget_ns(e, ns);
        error = netns_delete(ns);
        if (error == ENOENT) {
            error = 0;
        } else if (error) {
            *errp = xasprintf("cannot delete namespace '%s': %s", ns,
                              ovs_strerror(error));
        } else {
            svec_add(&dead, ns);
        }
        progress(e, "deleting namespaces", i + 1, st->created_ns.n);
    }
    VLOG_DBG("destroy: %zu namespaces deleted after %lld ms", dead.n,
             time_msec() - start);
    for (size_t t = 0; t < 2 && !error; t++) {
        if (effs[t]) {
            wait_links_gone(e, effs[t], &dead);
        }
    }
    VLOG_DBG("destroy: kernel side gone after %lld ms", time_msec() - start);

    if (!error && switch_error) {
        *errp = xasprintf("removed the kernel side of topology '%s' but not "
                          "its switch ports: %s (run destroy again once that "
                          "is fixed)", st->topo->name, switch_err);
        error = switch_error;
    }
    free(switch_err);
    svec_destroy(&dead);
    topology_destroy(effs[0]);
    topology_destroy(effs[1]);
    return error;
}

int
engine_destroy(const char *name, const struct topology *topo,
               const struct engine_opts *opts, char **errp)
{
    struct engine e;
    struct state st;
    int lock_fd = -1;

    *errp = NULL;
    engine_init(&e, name, opts);
    int error = (opts->dry_run ? 0
                 : engine_lock(opts, name, true, e.ctx.deadline, &lock_fd,
                               errp));
    if (error) {
        goto out_uninit;
    }
    error = state_read(opts, name, &st, errp);
    if (error == ENOENT) {
        error = 0;
        if (!topo) {
            report(&e, "topology '%s' is not applied: nothing to destroy",
                   name);
            goto out_uninit;
        }
        /* No state: remove what the file describes and carries our tags;
         * switches count as ours only where their backend says so. */
        st.topo = topology_clone(topo);
        for (size_t i = 0; i < topo->n_switches; i++) {
            struct state_switch *s = state_add_switch(&st,
                                                      topo->switches[i].name);
            s->backend = topo->switches[i].kind;
            s->created = true;
        }
    } else if (error) {
        goto out_uninit;
    } else {
        engine_use_state_remote(&e, &st);
    }

    if (opts->dry_run) {
        report(&e, "would destroy topology '%s': %zu link%s, %zu "
               "namespace%s", name, st.topo->n_links,
               st.topo->n_links == 1 ? "" : "s", st.created_ns.n,
               st.created_ns.n == 1 ? "" : "s");
    } else {
        error = destroy_state(&e, &st, errp);
        if (!error) {
            error = state_remove(opts, name, errp);
        }
        if (!error) {
            report(&e, "topology '%s' destroyed", name);
        }
    }
    state_uninit(&st);
out_uninit:
    engine_unlock(opts, name, lock_fd);
    engine_uninit(&e);
    return error;
}
