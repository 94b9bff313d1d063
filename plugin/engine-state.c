/* The engine's state files and per-topology locks: reading, writing
 * and removing STATE_DIR/NAME.json, inheriting ownership across applies,
 * engine_load() and engine_list(). */
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

const char *
state_dir(const struct engine_opts *opts)
{
    return opts->state_dir ? opts->state_dir : ENGINE_STATE_DIR;
}

char *
state_file_name(const struct engine_opts *opts, const char *name)
{
    return xasprintf("%s/%s.json", state_dir(opts), name);
}

/* ---- The state file. ---- */

void
state_init(struct state *st)
{
    memset(st, 0, sizeof *st);
    svec_init(&st->created_ns);
}

void
state_uninit(struct state *st)
{
    topology_destroy(st->topo);
    topology_destroy(st->previous);
    svec_destroy(&st->created_ns);
    for (size_t i = 0; i < st->n_switches; i++) {
        free(st->switches[i].name);
        free(st->switches[i].variant);
        free(st->switches[i].tcp_limit);
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

struct state_switch *
state_find_switch(const struct state *st, const char *name)
{
    for (size_t i = 0; i < st->n_switches; i++) {
        if (!strcmp(st->switches[i].name, name)) {
            return &st->switches[i];
        }
    }
    return NULL;
}

struct state_switch *
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

void
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

int
state_write(const struct engine_opts *opts, const struct state *st,
            char **errp)
{
    json_t *root = vjson_object();
    json_object_set_new(root, "topology", topology_to_json(st->topo));
    if (st->previous) {
        json_object_set_new(root, "previous", topology_to_json(st->previous));
    }
    json_object_set_new(root, "applying", json_boolean(st->applying));

    json_t *nss = vjson_array();
    for (size_t i = 0; i < st->created_ns.n; i++) {
        json_array_append_new(nss, vjson_string(st->created_ns.names[i]));
    }
    json_object_set_new(root, "created_namespaces", nss);

    json_t *sws = vjson_object();
    for (size_t i = 0; i < st->n_switches; i++) {
        const struct state_switch *s = &st->switches[i];
        json_t *sw = json_pack("{s:s, s:s, s:b}",
                               "backend", topo_switch_kind_name(s->backend),
                               "variant", s->variant ? s->variant : "",
                               "created", s->created);
        if (s->creating && st->applying) {
            json_object_set_new(sw, "creating", json_true());
        }
        if (s->reason) {
            json_object_set_new(sw, "reason", vjson_string(s->reason));
        }
        if (s->tcp_limit) {
            json_object_set_new(sw, "tcp_limit", vjson_string(s->tcp_limit));
        }
        json_object_set_new(sws, s->name, sw);
    }
    json_object_set_new(root, "switches", sws);

    json_t *sysctls = vjson_array();
    for (size_t i = 0; i < st->n_sysctls; i++) {
        const struct state_sysctl *s = &st->sysctls[i];
        json_array_append_new(sysctls, json_pack(
                                  "{s:o, s:s, s:s}",
                                  "ns", s->ns ? vjson_string(s->ns)
                                              : json_null(),
                                  "path", s->path, "old", s->old));
    }
    json_object_set_new(root, "sysctls", sysctls);
    if (st->ovn_sandbox) {
        json_object_set_new(root, "ovn_sandbox",
                            vjson_string(st->ovn_sandbox));
    }
    if (st->ovn_nb) {
        json_object_set_new(root, "ovn_nb", vjson_string(st->ovn_nb));
    }
    if (st->db_remote) {
        json_object_set_new(root, "db_remote", vjson_string(st->db_remote));
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
int
state_read(const struct engine_opts *opts, const char *name,
           struct state *st, char **errp)
{
    char *file_name = state_file_name(opts, name);
    char *text;
    int error;

    state_init(st);
    char *why;
    error = topology_read_text(file_name, "state file", TOPO_MAX_STATE_SIZE,
                               &text, NULL, &why);
    if (error) {
        if (error != ENOENT) {
            *errp = why;
        } else {
            free(why);
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
        s->creating = json_is_true(json_object_get(value, "creating"));
        s->reason = nullable_xstrdup(
            json_string_value(json_object_get(value, "reason")));
        s->tcp_limit = nullable_xstrdup(
            json_string_value(json_object_get(value, "tcp_limit")));
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
int
state_read_applied(const struct engine_opts *opts, const char *name,
                   struct state *st, char **errp)
{
    int error = state_read(opts, name, st, errp);
    if (error == ENOENT) {
        *errp = xasprintf("topology '%s' is not applied", name);
    }
    return error;
}

int
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
int
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
void
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

/* Copies what 'old' recorded about switches, namespaces and sysctls into
 * the new state 'st', so that ownership carries over. */
void
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
        /* An apply that did not finish may have created the switch and
         * died before tagging it. */
        s->adopt = old->applying && o->creating && !o->created;
        s->reason = nullable_xstrdup(o->reason);
        s->tcp_limit = nullable_xstrdup(o->tcp_limit);
    }
}

/* ---- Reading back: load, list. ---- */

/* engine_load() or, if 'effective', engine_load_effective(). */
static int
load(const char *name, const struct engine_opts *opts, bool effective,
     struct topology **topop, char **errp)
{
    struct state st;
    *topop = NULL;
    *errp = NULL;
    int error = state_read(opts, name, &st, errp);
    if (error == ENOENT) {
        *errp = xasprintf("topology '%s' is not applied (no state in %s)",
                          name, state_dir(opts));
    } else if (!error && effective) {
        *topop = effective_topology(st.topo, &st);
        state_uninit(&st);
    } else if (!error) {
        *topop = st.topo;
        st.topo = NULL;
        state_uninit(&st);
    }
    return error;
}

int
engine_load(const char *name, const struct engine_opts *opts,
            struct topology **topop, char **errp)
{
    return load(name, opts, false, topop, errp);
}

int
engine_load_effective(const char *name, const struct engine_opts *opts,
                      struct topology **topop, char **errp)
{
    return load(name, opts, true, topop, errp);
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
