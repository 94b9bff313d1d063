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
 * The state file is a JSON module's business; jansson stays in this file. */
#include <config.h>
#include "engine.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
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
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(engine);

/* What the state file says about one switch. */
struct state_switch {
    char *name;
    enum topo_switch_kind backend;  /* The backend that hosts it. */
    char *variant;              /* "ovs/netdev", "bridge", "direct". */
    bool created;               /* This topology created it. */
    char *reason;               /* Why a fallback was used, or NULL. */
};

/* A sysctl this topology changed, with the value to put back. */
struct state_sysctl {
    char *ns;                   /* NULL: the current namespace. */
    char *path;
    char *old;
};

/* The state file. */
struct state {
    struct topology *topo;      /* Applied (or being applied) topology. */
    struct topology *previous;  /* While applying over an applied one. */
    bool applying;              /* An apply started and did not finish. */
    struct svec created_ns;     /* Namespaces this topology created. */
    struct state_switch *switches;
    size_t n_switches;
    struct state_sysctl *sysctls;
    size_t n_sysctls;
    char *db_remote;            /* The OVSDB remote it was applied with. */
    char *ovn_sandbox;          /* The OVN rehearsal it was applied in, or
                                 * NULL. */
    char *ovn_nb;               /* The OVN Northbound remote given, or
                                 * NULL. */
};

/* An open namespace. */
struct ns_handle {
    char *name;                 /* NULL: the current namespace. */
    int fd;
    struct rtnl *rtnl;
};

struct engine {
    const struct engine_opts *opts;
    struct vplug_ctx ctx;
    char *alias;                /* "vplug:NAME". */
    char *db_remote;            /* Owned copy when taken from a state. */
    char *ovn_sandbox;          /* Owned copies when taken from a state. */
    char *ovn_nb;
    struct vplug_backend *backends[4];  /* Indexed by topo_switch_kind. */
    char *backend_errors[4];    /* Why a backend could not be opened. */
    struct ns_handle **nss;     /* Stable pointers: callers hold two. */
    size_t n_nss, allocated_nss;
};

static void
report(const struct engine *e, const char *format, ...)
    PRINTF_FORMAT(2, 3);

static void
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

static const char *
state_dir(const struct engine_opts *opts)
{
    return opts->state_dir ? opts->state_dir : ENGINE_STATE_DIR;
}

static char *
state_file_name(const struct engine_opts *opts, const char *name)
{
    return xasprintf("%s/%s.json", state_dir(opts), name);
}

/* Returns a printable name for namespace 'ns'. */
static const char *
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
static int
check_stop(char **errp)
{
    if (stop_requested) {
        *errp = xstrdup("interrupted by a signal: rolling back");
        return EINTR;
    }
    return 0;
}

static void
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

static void
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
static void
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

static bool
ns_equal(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Adds a handle for namespace 'name', made elsewhere: 'e' owns 'fd' and
 * 'rtnl' from now on. */
static struct ns_handle *
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
static struct ns_handle *
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
static void
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
static struct vplug_backend *
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

/* ---- The state file. ---- */

static void
state_init(struct state *st)
{
    memset(st, 0, sizeof *st);
    svec_init(&st->created_ns);
}

static void
state_uninit(struct state *st)
{
    topology_destroy(st->topo);
    topology_destroy(st->previous);
    svec_destroy(&st->created_ns);
    for (size_t i = 0; i < st->n_switches; i++) {
        free(st->switches[i].name);
        free(st->switches[i].variant);
        free(st->switches[i].reason);
    }
    free(st->switches);
    for (size_t i = 0; i < st->n_sysctls; i++) {
        free(st->sysctls[i].ns);
        free(st->sysctls[i].path);
        free(st->sysctls[i].old);
    }
    free(st->sysctls);
    free(st->db_remote);
    free(st->ovn_sandbox);
    free(st->ovn_nb);
    state_init(st);
}

static struct state_switch *
state_find_switch(const struct state *st, const char *name)
{
    for (size_t i = 0; i < st->n_switches; i++) {
        if (!strcmp(st->switches[i].name, name)) {
            return &st->switches[i];
        }
    }
    return NULL;
}

static struct state_switch *
state_add_switch(struct state *st, const char *name)
{
    struct state_switch *s = state_find_switch(st, name);
    if (!s) {
        st->switches = xrealloc(st->switches,
                                (st->n_switches + 1) * sizeof *st->switches);
        s = &st->switches[st->n_switches++];
        memset(s, 0, sizeof *s);
        s->name = xstrdup(name);
    }
    return s;
}

static struct state_sysctl *
state_find_sysctl(const struct state *st, const char *ns, const char *path)
{
    for (size_t i = 0; i < st->n_sysctls; i++) {
        if (ns_equal(st->sysctls[i].ns, ns)
            && !strcmp(st->sysctls[i].path, path)) {
            return &st->sysctls[i];
        }
    }
    return NULL;
}

static void
state_add_sysctl(struct state *st, const char *ns, const char *path,
                 const char *old)
{
    if (!state_find_sysctl(st, ns, path)) {
        st->sysctls = xrealloc(st->sysctls,
                               (st->n_sysctls + 1) * sizeof *st->sysctls);
        struct state_sysctl *s = &st->sysctls[st->n_sysctls++];
        s->ns = nullable_xstrdup(ns);
        s->path = xstrdup(path);
        s->old = xstrdup(old);
    }
}

static json_t *
topology_to_json(const struct topology *topo)
{
    char *text = topology_to_string(topo);
    json_t *json = json_loads(text, 0, NULL);
    free(text);
    return json;
}

static int
state_write(const struct engine_opts *opts, const struct state *st,
            char **errp)
{
    json_t *root = json_object();
    json_object_set_new(root, "topology", topology_to_json(st->topo));
    if (st->previous) {
        json_object_set_new(root, "previous", topology_to_json(st->previous));
    }
    json_object_set_new(root, "applying", json_boolean(st->applying));

    json_t *nss = json_array();
    for (size_t i = 0; i < st->created_ns.n; i++) {
        json_array_append_new(nss, json_string(st->created_ns.names[i]));
    }
    json_object_set_new(root, "created_namespaces", nss);

    json_t *sws = json_object();
    for (size_t i = 0; i < st->n_switches; i++) {
        const struct state_switch *s = &st->switches[i];
        json_t *sw = json_pack("{s:s, s:s, s:b}",
                               "backend", topo_switch_kind_name(s->backend),
                               "variant", s->variant ? s->variant : "",
                               "created", s->created);
        if (s->reason) {
            json_object_set_new(sw, "reason", json_string(s->reason));
        }
        json_object_set_new(sws, s->name, sw);
    }
    json_object_set_new(root, "switches", sws);

    json_t *sysctls = json_array();
    for (size_t i = 0; i < st->n_sysctls; i++) {
        const struct state_sysctl *s = &st->sysctls[i];
        json_array_append_new(sysctls, json_pack(
                                  "{s:o, s:s, s:s}",
                                  "ns", s->ns ? json_string(s->ns)
                                              : json_null(),
                                  "path", s->path, "old", s->old));
    }
    json_object_set_new(root, "sysctls", sysctls);
    if (st->ovn_sandbox) {
        json_object_set_new(root, "ovn_sandbox",
                            json_string(st->ovn_sandbox));
    }
    if (st->ovn_nb) {
        json_object_set_new(root, "ovn_nb", json_string(st->ovn_nb));
    }
    if (st->db_remote) {
        json_object_set_new(root, "db_remote", json_string(st->db_remote));
    }

    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);

    char *file_name = state_file_name(opts, st->topo->name);
    int error = mkdir_p(state_dir(opts), 0755);
    if (!error) {
        error = write_file_atomic(file_name, text, strlen(text));
    }
    if (error) {
        *errp = xasprintf("cannot write state file '%s': %s", file_name,
                          ovs_strerror(error));
    }
    free(file_name);
    free(text);
    return error;
}

static char *
parse_state_topology(const json_t *json, const char *file_name,
                     struct topology **topop)
{
    char *text = json_dumps(json, 0);
    if (!text) {
        *topop = NULL;
        return xasprintf("%s: topology is not a JSON object", file_name);
    }
    char *error = topology_parse_string(text, file_name, topop);
    free(text);
    return error;
}

/* Reads the state of topology 'name'.  Returns 0, ENOENT if there is none,
 * or EPROTO/errno with '*errp'. */
static int
state_read(const struct engine_opts *opts, const char *name,
           struct state *st, char **errp)
{
    char *file_name = state_file_name(opts, name);
    char *text;
    int error;

    state_init(st);
    error = read_file(file_name, &text, NULL);
    if (error) {
        if (error != ENOENT) {
            *errp = xasprintf("cannot read state file '%s': %s", file_name,
                              ovs_strerror(error));
        }
        free(file_name);
        return error;
    }

    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    free(text);
    char *msg = NULL;
    if (!root || !json_is_object(root)) {
        msg = xasprintf("%s:%d:%d: %s", file_name, jerr.line, jerr.column,
                        root ? "not a JSON object" : jerr.text);
        goto out;
    }

    msg = parse_state_topology(json_object_get(root, "topology"), file_name,
                               &st->topo);
    if (!msg && json_object_get(root, "previous")) {
        msg = parse_state_topology(json_object_get(root, "previous"),
                                   file_name, &st->previous);
    }
    if (msg) {
        goto out;
    }
    st->applying = json_is_true(json_object_get(root, "applying"));
    st->db_remote = nullable_xstrdup(
        json_string_value(json_object_get(root, "db_remote")));
    st->ovn_sandbox = nullable_xstrdup(
        json_string_value(json_object_get(root, "ovn_sandbox")));
    st->ovn_nb = nullable_xstrdup(
        json_string_value(json_object_get(root, "ovn_nb")));

    size_t i;
    json_t *value;
    json_array_foreach (json_object_get(root, "created_namespaces"), i,
                        value) {
        if (json_is_string(value)) {
            svec_add(&st->created_ns, json_string_value(value));
        }
    }

    const char *key;
    json_object_foreach (json_object_get(root, "switches"), key, value) {
        enum topo_switch_kind kind;
        const char *backend = json_string_value(json_object_get(value,
                                                                "backend"));
        if (!backend || !topo_switch_kind_from_name(backend, &kind)) {
            msg = xasprintf("%s: switch '%s' has no valid backend",
                            file_name, key);
            goto out;
        }
        struct state_switch *s = state_add_switch(st, key);
        s->backend = kind;
        s->variant = nullable_xstrdup(
            json_string_value(json_object_get(value, "variant")));
        s->created = json_is_true(json_object_get(value, "created"));
        s->reason = nullable_xstrdup(
            json_string_value(json_object_get(value, "reason")));
    }

    json_array_foreach (json_object_get(root, "sysctls"), i, value) {
        const char *path = json_string_value(json_object_get(value, "path"));
        const char *old = json_string_value(json_object_get(value, "old"));
        if (path && old) {
            state_add_sysctl(st, json_string_value(json_object_get(value,
                                                                   "ns")),
                             path, old);
        }
    }

out:
    json_decref(root);
    free(file_name);
    if (msg) {
        *errp = xasprintf("corrupt state file: %s", msg);
        free(msg);
        state_uninit(st);
        return EPROTO;
    }
    return 0;
}

/* Like state_read(), but a topology that was never applied is an error
 * with a message too. */
static int
state_read_applied(const struct engine_opts *opts, const char *name,
                   struct state *st, char **errp)
{
    int error = state_read(opts, name, st, errp);
    if (error == ENOENT) {
        *errp = xasprintf("topology '%s' is not applied", name);
    }
    return error;
}

static int
state_remove(const struct engine_opts *opts, const char *name, char **errp)
{
    char *file_name = state_file_name(opts, name);
    int error = unlink(file_name) < 0 && errno != ENOENT ? errno : 0;
    if (error) {
        *errp = xasprintf("cannot remove state file '%s': %s", file_name,
                          ovs_strerror(error));
    }
    free(file_name);
    return error;
}

/* ---- Locks. ---- */

/* One lock per topology, STATE_DIR/.NAME.lock, serializes apply, destroy
 * and repair of it across processes (the CLI and vplugd).  Destroy removes
 * the file while holding it, so a locker checks that the file it locked is
 * still the one in the directory. */
static int
engine_lock(const struct engine_opts *opts, const char *name, bool wait,
            long long int deadline, int *fdp, char **errp)
{
    char *path = xasprintf("%s/.%s.lock", state_dir(opts), name);
    int error = mkdir_p(state_dir(opts), 0755);

    *fdp = -1;
    while (!error) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            error = errno;
            break;
        }
        if (!flock(fd, LOCK_EX | LOCK_NB)) {
            struct stat a, b;
            if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino) {
                *fdp = fd;
                break;
            }
            close(fd);          /* Removed under us: lock the new one. */
            continue;
        }
        error = errno;
        close(fd);
        if (error != EWOULDBLOCK) {
            break;
        }
        if (!wait || time_msec() >= deadline) {
            error = wait ? ETIMEDOUT : EBUSY;
            *errp = xasprintf("topology '%s' is being changed by another "
                              "vplug (apply, destroy or repair)%s", name,
                              wait ? ": gave up after --timeout" : "");
            free(path);
            return error;
        }
        error = 0;
        usleep(10000);
    }
    if (error) {
        *errp = xasprintf("cannot lock topology '%s' (%s): %s", name, path,
                          ovs_strerror(error));
    }
    free(path);
    return error;
}

/* Releases lock 'fd', removing its file first if the topology has no
 * state (it is destroyed, or an apply that failed left nothing), so that
 * nothing of a topology outlives it. */
static void
engine_unlock(const struct engine_opts *opts, const char *name, int fd)
{
    if (fd >= 0) {
        char *state = state_file_name(opts, name);
        bool remove = access(state, F_OK) != 0;
        free(state);
        if (remove) {
            char *path = xasprintf("%s/.%s.lock", state_dir(opts), name);
            unlink(path);
            free(path);
        }
        close(fd);
    }
}

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
static size_t
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
static struct topology *
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
static struct topology *
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
static struct topology *
engine_effective_or_plain(struct engine *e, const struct topology *topo,
                          const struct state *st)
{
    char *err = NULL;
    struct topology *eff = engine_effective(e, topo, st, &err);
    if (!eff) {
        VLOG_WARN("%s", err);
        free(err);
        eff = effective_topology(topo, st);
    }
    return eff;
}

/* Where the interface of 'end' lives: a namespace name, or NULL for the
 * current namespace.  A switch port lives there too, except where a
 * backend's localize() placed it elsewhere (a rehearsed OVN chassis's
 * namespace); a file never gives a switch end a namespace. */
static const char *
end_ns(const struct topo_end *end)
{
    return end->ns;
}

static bool
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
static char *
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

static const struct topo_link *
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
svec_equal(const struct svec *a, const struct svec *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->names[i], b->names[i])) {
            return false;
        }
    }
    return true;
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
static bool
topo_link_unchanged(const struct topo_link *l, const struct topo_link *old)
{
    return (old
            && ((topo_end_equal(&l->ends[0], &old->ends[0])
                 && topo_end_equal(&l->ends[1], &old->ends[1]))
                || (topo_end_equal(&l->ends[0], &old->ends[1])
                    && topo_end_equal(&l->ends[1], &old->ends[0]))));
}

/* Describes end 'end' for messages: "ns1/veth0", "ovs-br/ovs-veth0". */
static char *
end_label(const struct topo_end *end)
{
    return xasprintf("%s/%s", end->sw ? end->sw : end->ns ? end->ns : "-",
                     end->ifname);
}

/* ---- Choosing backends. ---- */

static const char *
kind_title(enum topo_switch_kind kind)
{
    return (kind == TOPO_SW_OVS ? "Open vSwitch"
            : kind == TOPO_SW_BRIDGE ? "a Linux bridge"
            : "a direct veth");
}

/* Chooses the backend of each switch of 'topo' into 'st': the one already
 * recorded (an applied switch keeps its backend), else the first of the
 * switch's kind and its fallbacks that can work. */
static int
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

/* ---- Undo log: what this run changed, to roll back on failure. ---- */

enum undo_type {
    UNDO_NETNS,                 /* Created namespace 'name'. */
    UNDO_LINK,                  /* Created link 'name' in 'ns'. */
    UNDO_ADDR,                  /* Added address 'arg' to 'name' in 'ns'. */
    UNDO_SYSCTL,                /* Changed sysctl 'name' in 'ns' from
                                 * 'arg'. */
    UNDO_PORT,                  /* Attached 'name' to switch 'arg'. */
    UNDO_SWITCH,                /* Created switch 'name'. */
};

struct undo {
    enum undo_type type;
    char *ns;
    char *name;
    char *arg;
    enum topo_switch_kind kind;
};

struct undo_log {
    struct undo *undos;
    size_t n, allocated;
};

static void
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

    for (size_t i = log->n; i-- > 0; ) {
        const struct undo *u = &log->undos[i];
        struct ns_handle *h;
        char *err = NULL;
        int error = 0;

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

    /* The switch side first goes in one commit, so that OVS forgets the
     * ports before their interfaces vanish. */
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

/* ---- Planning. ---- */

/* One end of a link as the plan sees it. */
struct plan_end {
    const struct topo_end *end;
    const char *ns;             /* Where it lives (NULL: current). */
    bool exists;                /* The interface exists now. */
    bool ours;                  /* ...and carries this topology's alias. */
};

struct plan_link {
    const struct topo_link *link;
    struct plan_end ends[2];
    bool exists;                /* Both ends exist and are ours. */
    bool settled;               /* Applied as it is and still there: the
                                 * address pass skips it. */
};

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
static int
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
            ours_ns[j] = pe->ns && svec_contains(&st->created_ns, pe->ns);
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
static void
collect_namespaces(const struct topology *eff, struct svec *names)
{
    for (size_t i = 0; i < eff->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const char *ns = end_ns(&eff->links[i].ends[j]);
            if (ns && !svec_contains(names, ns)) {
                svec_add(names, ns);
            }
        }
    }
}

/* ---- Applying. ---- */

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
    if (error == EEXIST && svec_contains(owned, ns)) {
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
    if (!svec_contains(&st->created_ns, ns)) {
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
    undo_push(log, UNDO_LINK, local->ns, local->end->ifname, NULL, 0);
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
        if (!svec_contains(&end->addrs, cidr)) {
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

static const struct state_switch *
link_switch_record(const struct state *st, const struct topo_end *end)
{
    return end->sw ? state_find_switch(st, end->sw) : NULL;
}

/* On the userspace datapath nobody completes partial checksums, so TCP
 * through the bridge breaks unless the end that sends into OVS (the other
 * end of each veth attached to it) computes checksums itself. */
static int
disable_tx_csum(struct engine *e, const struct plan_link *pl,
                const struct state *st, char **errp)
{
    for (int j = 0; j < 2; j++) {
        const struct state_switch *rec
            = link_switch_record(st, pl->ends[j].end);
        if (!rec || !rec->variant || strcmp(rec->variant, "ovs/netdev")) {
            continue;
        }
        const struct plan_end *other = &pl->ends[!j];
        int error = 0;
        struct ns_handle *h = engine_ns(e, other->ns, &error);
        if (h) {
            error = ethtool_set_tx_csum(h->fd, other->end->ifname, false);
        }
        if (error) {
            *errp = xasprintf("cannot turn off TX checksum offload on '%s' "
                              "in namespace '%s': %s", other->end->ifname,
                              ns_label(other->ns), ovs_strerror(error));
            return error;
        }
    }
    return 0;
}

/* Waits until both ends of every link report carrier. */
static int
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

/* ---- The switch side. ---- */

static int
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
        bool created = false;
        char *variant = NULL;
        int error = b->class->ensure_switch(b, sw, &created, &variant, errp);
        if (error) {
            free(variant);
            return error;
        }
        free(rec->variant);
        rec->variant = variant;
        if (created && !(e->opts->shared_switches
                         && svec_contains(e->opts->shared_switches,
                                          sw->name))) {
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

static int
attach_ports(struct engine *e, const struct topology *eff,
             struct undo_log *log, char **errp)
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
            undo_push(log, UNDO_PORT, NULL, end->ifname, sw->name, sw->kind);
        }
    }
    return 0;
}

/* Starts the commit of every open backend that can start one. */
static void
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
static int
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

static void
abort_backends(struct engine *e)
{
    for (size_t k = 0; k < ARRAY_SIZE(e->backends); k++) {
        struct vplug_backend *b = e->backends[k];
        if (b && b->class->abort) {
            b->class->abort(b);
        }
    }
}

/* Deletes the link of 'l' unless its namespaces are going away anyway:
 * through an end that is ours, so nothing foreign is ever deleted. */
static int
delete_link(struct engine *e, const struct topo_link *l,
            const struct svec *dying_ns, char **errp)
{
    for (int j = 0; j < 2; j++) {
        const char *ns = end_ns(&l->ends[j]);
        if (ns && svec_contains(dying_ns, ns)) {
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

/* Queues detaching the switch ports of 'l' that are ours. */
static int
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

/* Waits until the ends of links whose other end lived in a deleted
 * namespace are gone too, wherever they live (the kernel cleans up a
 * namespace asynchronously). */
static void
wait_links_gone(struct engine *e, const struct topology *eff,
                const struct svec *dead_ns)
{
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        for (int j = 0; j < 2; j++) {
            const char *ns = end_ns(&l->ends[j]);
            const char *other_ns = end_ns(&l->ends[!j]);
            if (!other_ns || !svec_contains(dead_ns, other_ns)
                || (ns && (svec_contains(dead_ns, ns)
                           || !netns_exists(ns)))) {
                continue;
            }
            int error = 0;
            struct ns_handle *h = engine_ns(e, ns, &error);
            struct rtnl_link_info info;
            while (h && !rtnl_link_get(h->rtnl, l->ends[j].ifname, &info)) {
                rtnl_link_info_uninit(&info);
                if (time_msec() >= e->ctx.deadline) {
                    report(e, "interface '%s' in namespace '%s' still exists "
                           "after its peer's namespace was deleted",
                           l->ends[j].ifname, ns_label(ns));
                    return;
                }
                usleep(1000);
            }
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
        if (!svec_contains(&wanted, ns)) {
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
        if (rec && rec->created && sw->kind != TOPO_SW_DIRECT) {
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
    }
    return NULL;
}

/* Runs one phase of kernel work (namespaces if 'names', else links, or
 * their addresses if 'addresses') on up to as many threads as there are
 * cores, then merges what the workers did into 'st' and 'log'.  Small jobs
 * run in the calling thread. */
static int
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
            if (!svec_contains(&st->created_ns, w->st.created_ns.names[j])) {
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

static void
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

/* Copies what 'old' recorded about switches, namespaces and sysctls into
 * the new state 'st', so that ownership carries over. */
static void
state_inherit(struct state *st, const struct state *old)
{
    for (size_t i = 0; i < old->created_ns.n; i++) {
        svec_add(&st->created_ns, old->created_ns.names[i]);
    }
    for (size_t i = 0; i < old->n_sysctls; i++) {
        const struct state_sysctl *s = &old->sysctls[i];
        state_add_sysctl(st, s->ns, s->path, s->old);
    }
    for (size_t i = 0; i < old->n_switches; i++) {
        const struct state_switch *o = &old->switches[i];
        struct state_switch *s = state_add_switch(st, o->name);
        s->backend = o->backend;
        s->variant = nullable_xstrdup(o->variant);
        s->created = o->created;
        s->reason = nullable_xstrdup(o->reason);
    }
}

/* engine_apply() with the topology's lock held. */
static int
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
            && !svec_contains(&st.created_ns, wanted.names[i])) {
            svec_add(&st.created_ns, wanted.names[i]);
        }
    }
    svec_destroy(&wanted);

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
        error = attach_ports(&e, eff, &log, errp);
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
    for (size_t i = 0; i < eff->n_links && !error; i++) {
        error = disable_tx_csum(&e, &plinks[i], &st, errp);
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
        if (!rec->created || rec->backend == TOPO_SW_DIRECT) {
            continue;
        }
        struct vplug_backend *b = engine_backend(e, rec->backend);
        if (!b) {
            switch_err = xasprintf("cannot remove switch '%s': %s",
                                   rec->name, e->backend_errors[rec->backend]);
            switch_error = ENXIO;
        } else {
            switch_error = b->class->remove_switch(b, rec->name, &switch_err);
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
    for (size_t t = 0; t < 2 && !error; t++) {
        for (size_t i = 0; effs[t] && i < effs[t]->n_links && !error; i++) {
            error = delete_link(e, &effs[t]->links[i], &st->created_ns, errp);
        }
    }
    for (size_t i = 0; i < st->n_sysctls && !error; i++) {
        const struct state_sysctl *s = &st->sysctls[i];
        if (s->ns && (svec_contains(&st->created_ns, s->ns)
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

/* ---- Reading back: load, list, show. ---- */

int
engine_load(const char *name, const struct engine_opts *opts,
            struct topology **topop, char **errp)
{
    struct state st;
    *topop = NULL;
    *errp = NULL;
    int error = state_read(opts, name, &st, errp);
    if (error == ENOENT) {
        *errp = xasprintf("topology '%s' is not applied (no state in %s)",
                          name, state_dir(opts));
    } else if (!error) {
        *topop = st.topo;
        st.topo = NULL;
        state_uninit(&st);
    }
    return error;
}

int
engine_list(const struct engine_opts *opts, struct svec *names)
{
    struct svec files = SVEC_EMPTY_INITIALIZER;
    char *dir_name = xstrdup(state_dir(opts));
    DIR *dir = opendir(dir_name);
    free(dir_name);
    if (!dir) {
        return errno == ENOENT ? 0 : errno;
    }
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len > 5 && !strcmp(de->d_name + len - 5, ".json")
            && de->d_name[0] != '.') {
            svec_add_nocopy(&files, xmemdup0(de->d_name, len - 5));
        }
    }
    closedir(dir);
    svec_sort(&files);
    for (size_t i = 0; i < files.n; i++) {
        svec_add(names, files.names[i]);
    }
    svec_destroy(&files);
    return 0;
}

/* Describes the live state of one end into a new JSON object. */
static json_t *
describe_end(struct engine *e, const struct topo_end *end)
{
    const char *ns = end_ns(end);
    json_t *j = json_object();
    json_object_set_new(j, "ifname", json_string(end->ifname));
    if (end->sw) {
        json_object_set_new(j, "switch", json_string(end->sw));
        if (ns) {
            json_object_set_new(j, "ns", json_string(ns));
        }
    } else {
        json_object_set_new(j, "ns", ns ? json_string(ns) : json_null());
    }

    int error = 0;
    struct ns_handle *h = (!ns || netns_exists(ns)
                           ? engine_ns(e, ns, &error) : NULL);
    struct rtnl_link_info info;
    if (h && !rtnl_link_get(h->rtnl, end->ifname, &info)) {
        json_object_set_new(j, "exists", json_true());
        json_object_set_new(j, "up", json_boolean(info.oper_up));
        json_object_set_new(j, "mtu", json_integer(info.mtu));
        json_object_set_new(j, "mac", json_string(info.mac));
        rtnl_link_info_uninit(&info);

        struct svec addrs = SVEC_EMPTY_INITIALIZER;
        json_t *ja = json_array();
        if (!rtnl_addr_list(h->rtnl, end->ifname, &addrs)) {
            for (size_t i = 0; i < addrs.n; i++) {
                json_array_append_new(ja, json_string(addrs.names[i]));
            }
        }
        svec_destroy(&addrs);
        json_object_set_new(j, "addrs", ja);
    } else {
        json_object_set_new(j, "exists", json_false());
    }
    return j;
}

static json_t *
describe_topology(struct engine *e, const struct state *st)
{
    struct topology *eff = engine_effective_or_plain(e, st->topo, st);
    json_t *j = json_object();

    json_object_set_new(j, "name", json_string(st->topo->name));
    json_object_set_new(j, "state", json_string(st->applying ? "applying"
                                                             : "applied"));
    json_t *sws = json_array();
    for (size_t i = 0; i < st->n_switches; i++) {
        const struct state_switch *s = &st->switches[i];
        json_t *sw = json_pack("{s:s, s:s, s:s, s:b}", "name", s->name,
                               "backend", topo_switch_kind_name(s->backend),
                               "variant", s->variant ? s->variant : "",
                               "created", s->created);
        if (s->reason) {
            json_object_set_new(sw, "fallback_reason",
                                json_string(s->reason));
        }
        json_array_append_new(sws, sw);
    }
    json_object_set_new(j, "switches", sws);

    struct svec names = SVEC_EMPTY_INITIALIZER;
    collect_namespaces(eff, &names);
    json_t *nss = json_array();
    for (size_t i = 0; i < names.n; i++) {
        json_array_append_new(nss, json_pack(
            "{s:s, s:b, s:b}", "name", names.names[i],
            "created", svec_contains(&st->created_ns, names.names[i]),
            "exists", netns_exists(names.names[i])));
    }
    svec_destroy(&names);
    json_object_set_new(j, "namespaces", nss);

    json_t *links = json_array();
    for (size_t i = 0; i < eff->n_links; i++) {
        json_t *ends = json_array();
        for (int k = 0; k < 2; k++) {
            json_array_append_new(ends, describe_end(e, &eff->links[i].ends[k]));
        }
        json_array_append_new(links, json_pack("{s:o}", "ends", ends));
    }
    json_object_set_new(j, "links", links);

    /* What the backends hold beyond ports (OVN's logical rows). */
    struct vplug_backend *ovn = (topology_has_ovn(eff)
                                 ? e->backends[TOPO_SW_OVN] : NULL);
    if (ovn && ovn->class->describe) {
        struct ds d = DS_EMPTY_INITIALIZER;
        char *err = NULL;
        if (ovn->class->describe(ovn, &d, &err)) {
            ds_put_format(&d, "  OVN: %s\n", err);
            free(err);
        }
        json_object_set_new(j, "ovn", json_string(ds_cstr(&d)));
        ds_destroy(&d);
    }
    topology_destroy(eff);
    return j;
}

static void
format_end_text(struct ds *out, const json_t *end)
{
    const char *sw = json_string_value(json_object_get(end, "switch"));
    const char *ns = json_string_value(json_object_get(end, "ns"));
    ds_put_format(out, "%s/%s", sw ? sw : ns ? ns : "-",
                  json_string_value(json_object_get(end, "ifname")));
}

static void
format_topology_text(struct ds *out, const json_t *t)
{
    size_t i;
    json_t *v;

    ds_put_format(out, "topology %s (%s)\n",
                  json_string_value(json_object_get(t, "name")),
                  json_string_value(json_object_get(t, "state")));
    json_array_foreach (json_object_get(t, "switches"), i, v) {
        const char *reason = json_string_value(json_object_get(
                                                   v, "fallback_reason"));
        const char *variant = json_string_value(json_object_get(v,
                                                                "variant"));
        ds_put_format(out, "  switch %s: %s%s",
                      json_string_value(json_object_get(v, "name")), variant,
                      !strcmp(variant, "direct") ? ""
                      : json_is_true(json_object_get(v, "created"))
                      ? ", created by vplug" : ", existing");
        if (reason) {
            ds_put_format(out, " (fallback: %s)", reason);
        }
        ds_put_char(out, '\n');
    }
    json_array_foreach (json_object_get(t, "namespaces"), i, v) {
        ds_put_format(out, "  namespace %s%s%s\n",
                      json_string_value(json_object_get(v, "name")),
                      json_is_true(json_object_get(v, "created"))
                      ? ", created by vplug" : ", existing",
                      json_is_true(json_object_get(v, "exists"))
                      ? "" : ", MISSING");
    }
    json_array_foreach (json_object_get(t, "links"), i, v) {
        const json_t *ends = json_object_get(v, "ends");
        ds_put_cstr(out, "  link ");
        format_end_text(out, json_array_get(ends, 0));
        ds_put_cstr(out, " <-> ");
        format_end_text(out, json_array_get(ends, 1));
        ds_put_char(out, '\n');
        for (size_t k = 0; k < 2; k++) {
            const json_t *end = json_array_get(ends, k);
            ds_put_cstr(out, "    ");
            format_end_text(out, end);
            if (!json_is_true(json_object_get(end, "exists"))) {
                ds_put_cstr(out, ": MISSING\n");
                continue;
            }
            ds_put_format(out, ": %s, mtu %d",
                          json_is_true(json_object_get(end, "up"))
                          ? "up" : "down",
                          (int) json_integer_value(json_object_get(end,
                                                                   "mtu")));
            size_t a;
            json_t *addr;
            json_array_foreach (json_object_get(end, "addrs"), a, addr) {
                ds_put_format(out, "%s%s", a ? " " : ", ",
                              json_string_value(addr));
            }
            ds_put_char(out, '\n');
        }
    }
    const char *ovn = json_string_value(json_object_get(t, "ovn"));
    if (ovn) {
        ds_put_cstr(out, ovn);
    }
}

int
engine_show(const char *name, bool as_json, const struct engine_opts *opts,
            struct ds *out, char **errp)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    int error = 0;

    *errp = NULL;
    if (name) {
        svec_add(&names, name);
    } else {
        error = engine_list(opts, &names);
        if (error) {
            *errp = xasprintf("cannot list %s: %s", state_dir(opts),
                              ovs_strerror(error));
            svec_destroy(&names);
            return error;
        }
    }

    json_t *all = json_array();
    for (size_t i = 0; i < names.n && !error; i++) {
        struct state st;
        error = state_read_applied(opts, names.names[i], &st, errp);
        if (error) {
            break;
        }
        struct engine e;
        engine_init(&e, names.names[i], opts);
        engine_use_state_remote(&e, &st);
        json_array_append_new(all, describe_topology(&e, &st));
        engine_uninit(&e);
        state_uninit(&st);
    }

    if (!error) {
        if (as_json) {
            json_t *root = json_pack("{s:O}", "topologies", all);
            char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            ds_put_format(out, "%s\n", text);
            free(text);
            json_decref(root);
        } else {
            size_t i;
            json_t *t;
            json_array_foreach (all, i, t) {
                format_topology_text(out, t);
            }
        }
    }
    json_decref(all);
    svec_destroy(&names);
    return error;
}

/* ---- Verify. ---- */

/* An addressed namespace end and the segment it sits on. */
struct vend {
    const struct topo_end *end;
    const char *ns;
    char *label;                /* "ns1/veth0". */
    char *segment;              /* Ends with equal segments share an L2
                                 * domain. */
};

/* One probe: from end 'from' (source 'src') to 'dst' of end 'to'. */
struct vpair {
    size_t from, to;
    char *src, *dst;
};

static size_t
uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        i = parent[i] = parent[parent[i]];
    }
    return i;
}

/* Returns true if address 'addr' (no prefix) is inside 'cidr'. */
static bool
cidr_contains(const char *cidr, const char *addr)
{
    int family, plen;
    char *net;
    if (topology_parse_cidr(cidr, &family, &net, &plen)) {
        return false;
    }
    unsigned char a[16], b[16];
    bool ok = (inet_pton(family, net, a) == 1
               && inet_pton(family, addr, b) == 1);
    free(net);
    if (!ok) {
        return false;
    }
    for (int bit = 0; bit < plen; bit++) {
        int byte = bit / 8, mask = 0x80 >> (bit % 8);
        if ((a[byte] & mask) != (b[byte] & mask)) {
            return false;
        }
    }
    return true;
}

/* Adds the probes from end 'a' to end 'b': for each address of 'b', from an
 * address of 'a' in the same subnet. */
static void
add_pairs(const struct vend *ends, size_t a, size_t b, struct vpair **pairs,
          size_t *n, size_t *allocated)
{
    const struct topo_end *ea = ends[a].end, *eb = ends[b].end;
    for (size_t i = 0; i < eb->addrs.n; i++) {
        char *dst;
        if (topology_parse_cidr(eb->addrs.names[i], NULL, &dst, NULL)) {
            continue;
        }
        bool found = false;
        for (size_t k = 0; k < ea->addrs.n && !found; k++) {
            if (cidr_contains(ea->addrs.names[k], dst)) {
                char *src;
                if (!topology_parse_cidr(ea->addrs.names[k], NULL, &src,
                                         NULL)) {
                    if (*n >= *allocated) {
                        *pairs = x2nrealloc(*pairs, allocated,
                                            sizeof **pairs);
                    }
                    (*pairs)[(*n)++] = (struct vpair) { a, b, src,
                                                        xstrdup(dst) };
                    found = true;
                }
            }
        }
        /* Through a router: from the first address of the family, if
         * both ends have a way off their subnets. */
        int family;
        for (size_t k = 0; k < ea->addrs.n && !found && ea->gateway
                           && eb->gateway; k++) {
            char *src;
            if (!topology_parse_cidr(ea->addrs.names[k], &family, &src, NULL)
                && (family == AF_INET6) == (strchr(dst, ':') != NULL)
                && (family == AF_INET6) == (strchr(ea->gateway, ':')
                                            != NULL)) {
                if (*n >= *allocated) {
                    *pairs = x2nrealloc(*pairs, allocated, sizeof **pairs);
                }
                (*pairs)[(*n)++] = (struct vpair) { a, b, src, xstrdup(dst) };
                found = true;
            } else {
                free(src);
            }
        }
        free(dst);
    }
}

/* Collects the addressed namespace ends of 'eff' with their segments. */
static size_t
collect_vends(const struct topology *eff, struct vend **vendsp)
{
    size_t n_sw = eff->n_switches;
    size_t *parent = xmalloc((n_sw ? n_sw : 1) * sizeof *parent);
    for (size_t i = 0; i < n_sw; i++) {
        parent[i] = i;
    }
    /* Switches joined by a veth (hybrid links) form one segment. */
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        if (l->ends[0].sw && l->ends[1].sw) {
            size_t a = topology_find_switch(eff, l->ends[0].sw)
                       - eff->switches;
            size_t b = topology_find_switch(eff, l->ends[1].sw)
                       - eff->switches;
            parent[uf_find(parent, a)] = uf_find(parent, b);
        }
    }

    /* Switches joined by a router reach each other (routed). */
    for (size_t i = 0; i < eff->n_routers; i++) {
        const struct topo_router *r = &eff->routers[i];
        for (size_t p = 1; p < r->n_ports; p++) {
            const struct topo_switch *a = topology_find_switch(eff,
                                                               r->ports[0].sw);
            const struct topo_switch *c = topology_find_switch(eff,
                                                               r->ports[p].sw);
            if (a && c) {
                parent[uf_find(parent, a - eff->switches)]
                    = uf_find(parent, c - eff->switches);
            }
        }
    }

    /* A bridge joined to OVS through a tagged port (a hybrid plug) is in
     * that VLAN. */
    int *sw_vlan = xmalloc((n_sw ? n_sw : 1) * sizeof *sw_vlan);
    for (size_t i = 0; i < n_sw; i++) {
        sw_vlan[i] = -1;
    }
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        for (int j = 0; j < 2; j++) {
            if (l->ends[j].sw && l->ends[!j].sw && l->ends[!j].vlan >= 0) {
                sw_vlan[topology_find_switch(eff, l->ends[j].sw)
                        - eff->switches] = l->ends[!j].vlan;
            }
        }
    }

    struct vend *vends = NULL;
    size_t n = 0, allocated = 0;
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &l->ends[j];
            const struct topo_end *other = &l->ends[!j];
            if (end->sw || !end->addrs.n) {
                continue;
            }
            char *segment;
            if (other->sw) {
                size_t s = topology_find_switch(eff, other->sw)
                           - eff->switches;
                segment = xasprintf("switch %zu vlan %d", uf_find(parent, s),
                                    other->vlan >= 0 ? other->vlan
                                    : sw_vlan[s]);
            } else {
                segment = xasprintf("link %zu", i);
            }
            if (n >= allocated) {
                vends = x2nrealloc(vends, &allocated, sizeof *vends);
            }
            vends[n++] = (struct vend) {
                .end = end,
                .ns = end->ns,
                .label = end_label(end),
                .segment = segment,
            };
        }
    }
    free(parent);
    free(sw_vlan);
    *vendsp = vends;
    return n;
}

/* Ends the line in 'out' without its trailing blanks. */
static void
ds_rtrim_line(struct ds *out)
{
    while (out->length && out->string[out->length - 1] == ' ') {
        out->string[--out->length] = '\0';
    }
    ds_put_char(out, '\n');
}

int
engine_verify(const char *name, bool all, bool as_json,
              const struct engine_opts *opts, struct ds *out,
              int *n_failedp, char **errp)
{
    struct state st;
    *errp = NULL;
    *n_failedp = 0;
    int error = state_read_applied(opts, name, &st, errp);
    if (error) {
        return error;
    }

    struct engine e;
    engine_init(&e, name, opts);
    engine_use_state_remote(&e, &st);
    struct topology *eff = engine_effective_or_plain(&e, st.topo, &st);
    struct vend *vends;
    size_t n_vends = collect_vends(eff, &vends);

    /* Which pairs: all of them in small topologies or with --all; in large
     * ones, every end against the first and a fixed random sample. */
    struct vpair *pairs = NULL;
    size_t n_pairs = 0, allocated = 0;
    bool full = all || n_vends <= 32;
    for (size_t a = 0; a < n_vends; a++) {
        for (size_t b = 0; b < n_vends; b++) {
            if (a == b || strcmp(vends[a].segment, vends[b].segment)) {
                continue;
            }
            if (full || a == 0 || b == 0) {
                add_pairs(vends, a, b, &pairs, &n_pairs, &allocated);
            }
        }
    }
    if (!full) {
        unsigned int seed = 1;
        for (size_t k = 0; k < n_vends; k++) {
            size_t a = rand_r(&seed) % n_vends, b = rand_r(&seed) % n_vends;
            if (a != b && !strcmp(vends[a].segment, vends[b].segment)) {
                add_pairs(vends, a, b, &pairs, &n_pairs, &allocated);
            }
        }
    }

    struct probe_target *targets = xcalloc(n_pairs ? n_pairs : 1,
                                           sizeof *targets);
    struct probe_result *results = xcalloc(n_pairs ? n_pairs : 1,
                                           sizeof *results);
    for (size_t i = 0; i < n_pairs && !error; i++) {
        const struct vend *from = &vends[pairs[i].from];
        struct ns_handle *h = engine_ns(&e, from->ns, &error);
        if (!h) {
            *errp = xasprintf("cannot open namespace '%s' of '%s': %s",
                              ns_label(from->ns), from->label,
                              ovs_strerror(error));
            break;
        }
        targets[i] = (struct probe_target) {
            .netns_fd = h->fd,
            .ifname = from->end->ifname,
            .src = pairs[i].src,
            .dst = pairs[i].dst,
        };
    }
    /* Large runs go in batches so that progress can be shown. */
    enum { BATCH = 512 };
    for (size_t done = 0; !error && done < n_pairs; done += BATCH) {
        size_t n = MIN(BATCH, n_pairs - done);
        error = probe_run(&targets[done], n, 3, 3000, &results[done]);
        if (error) {
            *errp = xasprintf("cannot probe topology '%s': %s", name,
                              ovs_strerror(error));
        } else if (opts->progress && n_pairs > BATCH) {
            opts->progress(opts->report_aux, done + n, n_pairs);
        }
    }

    int n_failed = 0;
    for (size_t i = 0; i < n_pairs && !error; i++) {
        n_failed += results[i].error != 0;
    }

    if (!error && as_json) {
        json_t *jpairs = json_array();
        for (size_t i = 0; i < n_pairs; i++) {
            json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:b}",
                                  "from", vends[pairs[i].from].label,
                                  "to", vends[pairs[i].to].label,
                                  "src", pairs[i].src, "dst", pairs[i].dst,
                                  "ok", !results[i].error);
            if (!results[i].error) {
                json_object_set_new(p, "rtt_ms",
                                    json_real(results[i].rtt_ms));
            } else {
                json_object_set_new(p, "error", json_string(
                                        ovs_strerror(results[i].error)));
            }
            json_array_append_new(jpairs, p);
        }
        json_t *root = json_pack("{s:s, s:o, s:i, s:i}", "topology", name,
                                 "pairs", jpairs,
                                 "ok", (int) n_pairs - n_failed,
                                 "failed", n_failed);
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        ds_put_format(out, "%s\n", text);
        free(text);
        json_decref(root);
    } else if (!error) {
        if (full && n_vends <= 16) {
            /* The matrix: rows send, columns answer. */
            int width = 11;
            for (size_t i = 0; i < n_vends; i++) {
                width = MAX(width, (int) strlen(vends[i].label) + 2);
            }
            ds_put_format(out, "%-*s", width, "from \\ to");
            for (size_t b = 0; b < n_vends; b++) {
                ds_put_format(out, "%-*s", width, vends[b].label);
            }
            ds_rtrim_line(out);
            for (size_t a = 0; a < n_vends; a++) {
                ds_put_format(out, "%-*s", width, vends[a].label);
                for (size_t b = 0; b < n_vends; b++) {
                    char cell[32] = ".";
                    bool any = false, failed = false;
                    double worst = 0;
                    for (size_t i = 0; i < n_pairs; i++) {
                        if (pairs[i].from == a && pairs[i].to == b) {
                            any = true;
                            failed |= results[i].error != 0;
                            worst = MAX(worst, results[i].rtt_ms);
                        }
                    }
                    if (a == b) {
                        strcpy(cell, "-");
                    } else if (failed) {
                        strcpy(cell, "FAIL");
                    } else if (any) {
                        snprintf(cell, sizeof cell, "%.3f ms", worst);
                    }
                    ds_put_format(out, "%-*s", width, cell);
                }
                ds_rtrim_line(out);
            }
        }
        for (size_t i = 0; i < n_pairs; i++) {
            if (results[i].error) {
                ds_put_format(out, "FAIL %s (%s) -> %s (%s): %s\n",
                              vends[pairs[i].from].label, pairs[i].src,
                              vends[pairs[i].to].label, pairs[i].dst,
                              results[i].error == ETIMEDOUT
                              ? "no echo reply"
                              : ovs_strerror(results[i].error));
            }
        }
        ds_put_format(out, "%zu pair%s probed: %zu ok, %d failed\n", n_pairs,
                      n_pairs == 1 ? "" : "s", n_pairs - n_failed, n_failed);
    }
    *n_failedp = n_failed;

    for (size_t i = 0; i < n_pairs; i++) {
        free(pairs[i].src);
        free(pairs[i].dst);
    }
    free(pairs);
    free(targets);
    free(results);
    for (size_t i = 0; i < n_vends; i++) {
        free(vends[i].label);
        free(vends[i].segment);
    }
    free(vends);
    topology_destroy(eff);
    state_uninit(&st);
    engine_uninit(&e);
    return error;
}

/* ---- Repair (the daemon's self-healing). ---- */

/* True if the state file of 'name' changed within the last apply's
 * timeout. */
static bool
state_is_recent(const struct engine_opts *opts, const char *name)
{
    char *file_name = state_file_name(opts, name);
    struct stat s;
    bool recent = (!stat(file_name, &s)
                   && time(NULL) - s.st_mtime
                      <= (opts->timeout_ms > 0 ? opts->timeout_ms : 30000)
                         / 1000 + 1);
    free(file_name);
    return recent;
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
    if (st.applying && state_is_recent(opts, name)) {
        /* Someone else's apply may be under way: leave it to them, and let
         * a later check decide.  An older "applying" is a crashed run,
         * which a re-apply completes. */
        *errp = xasprintf("topology '%s' is being applied", name);
        error = EBUSY;
        goto out;
    }
    struct topology *eff = engine_effective_or_plain(&e, st.topo, &st);
    *n_missingp = check_topology(&e, eff, drift);
    topology_destroy(eff);
    engine_uninit(&e);
    if (!*n_missingp) {
        state_uninit(&st);
        engine_unlock(opts, name, lock_fd);
        return 0;
    }

    /* A switch the topology did not create stays shared: re-creating it
     * (an empty database) must not make it this topology's to remove. */
    struct svec shared = SVEC_EMPTY_INITIALIZER;
    if (opts->shared_switches) {
        for (size_t i = 0; i < opts->shared_switches->n; i++) {
            svec_add(&shared, opts->shared_switches->names[i]);
        }
    }
    for (size_t i = 0; i < st.n_switches; i++) {
        if (!st.switches[i].created) {
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

out:
    engine_uninit(&e);
    state_uninit(&st);
    engine_unlock(opts, name, lock_fd);
    return error;
}
