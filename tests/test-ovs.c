/* Unit tests: the OVS backend, driven directly against a test's private
 * ovsdb-server and ovs-vswitchd. */
#include <config.h>
#include "test-vplug.h"

#include <errno.h>
#include <string.h>

#include "ovsdb/vswitch.h"
#include "plugin/backend.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "ovs-thread.h"
#include "svec.h"
#include "timeval.h"

/* The model's strings are not const; these tests only lend them. */

/* Options common to every command, before the positional arguments. */
struct ovs_test_opts {
    int timeout_ms;
    const char *port_type;
    const char *fail_mode;
    bool dry_run;
};

/* Parses leading "--timeout=MS", "--port-type=T", "--fail-mode=M",
 * "--dry-run".  Returns the index of the first positional argument. */
static int
parse_opts(int argc, char *argv[], struct ovs_test_opts *opts)
{
    int i;

    opts->timeout_ms = 5000;
    opts->port_type = NULL;
    opts->fail_mode = NULL;
    opts->dry_run = false;
    for (i = 1; i < argc && str_startswith(argv[i], "--"); i++) {
        const char *arg = argv[i];
        if (str_startswith(arg, "--timeout=")) {
            CHECK(str_to_int(arg + strlen("--timeout="), 10,
                             &opts->timeout_ms));
        } else if (str_startswith(arg, "--port-type=")) {
            opts->port_type = arg + strlen("--port-type=");
        } else if (str_startswith(arg, "--fail-mode=")) {
            opts->fail_mode = arg + strlen("--fail-mode=");
        } else if (!strcmp(arg, "--dry-run")) {
            opts->dry_run = true;
        } else {
            fprintf(stderr, "unknown option %s\n", arg);
            exit(2);
        }
    }
    return i;
}

static void
init_ctx(struct vplug_ctx *ctx, const struct ovs_test_opts *opts,
         const char *remote, const char *owner)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->owner = owner;
    ctx->db_remote = remote;
    ctx->timeout_ms = opts->timeout_ms;
    ctx->deadline = time_msec() + opts->timeout_ms;
    ctx->dry_run = opts->dry_run;
}

static void
init_switch(struct topo_switch *sw, const struct ovs_test_opts *opts,
            const char *name, const char *datapath)
{
    memset(sw, 0, sizeof *sw);
    sw->name = CONST_CAST(char *, name);
    sw->kind = TOPO_SW_OVS;
    sw->datapath = CONST_CAST(char *, datapath);
    sw->fail_mode = CONST_CAST(char *, opts->fail_mode);
    sw->port_type = CONST_CAST(char *, opts->port_type);
}

/* Reports 'error' with message 'msg' (freed), returning the exit status. */
static int
report(const char *what, int error, char *msg)
{
    if (error) {
        fprintf(stderr, "%s: %s (%s)\n", what, msg ? msg : "(no message)",
                ovs_strerror(error));
    }
    free(msg);
    return error ? 1 : 0;
}

/* Opens the backend; on failure prints the reason and exits 1. */
static struct vplug_backend *
open_backend(struct vplug_ctx *ctx)
{
    struct vplug_backend *backend;
    char *msg;
    int error = vplug_ovs_backend.open(ctx, &backend, &msg);
    if (error) {
        exit(report("open", error, msg));
    }
    return backend;
}

/* Parses "IFNAME[:VLAN][:KEY=VALUE]..." into 'end'.  The strings point
 * into 'spec', which is modified. */
static void
parse_end(char *spec, struct topo_end *end)
{
    char *save = NULL;
    char *token = strtok_r(spec, ":", &save);

    memset(end, 0, sizeof *end);
    end->vlan = -1;
    end->ifname = token;
    while ((token = strtok_r(NULL, ":", &save)) != NULL) {
        char *eq = strchr(token, '=');
        if (eq) {
            *eq = '\0';
            end->external_ids = xrealloc(end->external_ids,
                                         (end->n_external_ids + 1)
                                         * sizeof *end->external_ids);
            end->external_ids[end->n_external_ids].key = token;
            end->external_ids[end->n_external_ids].value = eq + 1;
            end->n_external_ids++;
        } else {
            CHECK(str_to_int(token, 10, &end->vlan));
        }
    }
}

/* ovs-attach [OPTS] REMOTE OWNER BRIDGE DATAPATH IFNAME[:VLAN][:K=V]...:
 * ensures BRIDGE, attaches each IFNAME, commits. */
static int
test_ovs_attach(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    if (argc - i < 4) {
        fprintf(stderr, "usage: ovs-attach REMOTE OWNER BRIDGE DATAPATH "
                "IFNAME...\n");
        return 2;
    }

    struct vplug_ctx ctx;
    struct topo_switch sw;
    init_ctx(&ctx, &opts, argv[i], argv[i + 1]);
    init_switch(&sw, &opts, argv[i + 2], argv[i + 3]);

    struct vplug_backend *backend = open_backend(&ctx);
    bool created;
    char *variant = NULL;
    char *msg;
    int status = 0;
    int error = backend->class->ensure_switch(backend, &sw, &created,
                                              &variant, &msg);
    if (error) {
        status = report("ensure_switch", error, msg);
        goto out;
    }
    free(msg);
    printf("%s: %s%s\n", sw.name, variant, created ? " (created)" : "");

    for (i += 4; i < argc; i++) {
        char *spec = xstrdup(argv[i]);
        struct topo_end end;
        parse_end(spec, &end);
        error = backend->class->attach(backend, &sw, &end, &msg);
        free(end.external_ids);
        free(spec);
        if (error) {
            status = report("attach", error, msg);
            goto out;
        }
        free(msg);
    }

    error = backend->class->commit(backend, &msg);
    status = report("commit", error, msg);

out:
    free(variant);
    backend->class->close(backend);
    return status;
}
VPLUG_TEST("ovs-attach",
           "[--timeout=MS] [--port-type=T] [--fail-mode=M] [--dry-run] "
           "REMOTE OWNER BRIDGE DATAPATH IFNAME[:VLAN][:K=V]...",
           test_ovs_attach)

/* ovs-detach [OPTS] REMOTE OWNER BRIDGE IFNAME...: detaches and commits. */
static int
test_ovs_detach(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    if (argc - i < 3) {
        fprintf(stderr, "usage: ovs-detach REMOTE OWNER BRIDGE IFNAME...\n");
        return 2;
    }

    struct vplug_ctx ctx;
    init_ctx(&ctx, &opts, argv[i], argv[i + 1]);
    struct vplug_backend *backend = open_backend(&ctx);
    const char *bridge = argv[i + 2];
    char *msg;
    int status = 0;

    for (i += 3; i < argc; i++) {
        int error = backend->class->detach(backend, bridge, argv[i], &msg);
        if (error) {
            status = report("detach", error, msg);
            goto out;
        }
        free(msg);
    }
    int error = backend->class->commit(backend, &msg);
    status = report("commit", error, msg);

out:
    backend->class->close(backend);
    return status;
}
VPLUG_TEST("ovs-detach", "[--timeout=MS] REMOTE OWNER BRIDGE IFNAME...",
           test_ovs_detach)

/* ovs-remove [OPTS] REMOTE OWNER BRIDGE...: removes switches, commits. */
static int
test_ovs_remove(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    if (argc - i < 3) {
        fprintf(stderr, "usage: ovs-remove REMOTE OWNER BRIDGE...\n");
        return 2;
    }

    struct vplug_ctx ctx;
    init_ctx(&ctx, &opts, argv[i], argv[i + 1]);
    struct vplug_backend *backend = open_backend(&ctx);
    char *msg;
    int status = 0;

    for (i += 2; i < argc; i++) {
        int error = backend->class->remove_switch(backend, argv[i], &msg);
        if (error) {
            status = report("remove_switch", error, msg);
            goto out;
        }
        free(msg);
    }
    int error = backend->class->commit(backend, &msg);
    status = report("commit", error, msg);

out:
    backend->class->close(backend);
    return status;
}
VPLUG_TEST("ovs-remove", "[--timeout=MS] REMOTE OWNER BRIDGE...",
           test_ovs_remove)

/* ovs-list [OPTS] REMOTE [OWNER]: prints list()'s view, one switch per
 * line and its ports indented. */
static int
test_ovs_list(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    if (argc - i < 1) {
        fprintf(stderr, "usage: ovs-list REMOTE [OWNER]\n");
        return 2;
    }

    struct vplug_ctx ctx;
    const char *owner = argc - i > 1 ? argv[i + 1] : NULL;
    init_ctx(&ctx, &opts, argv[i], owner ? owner : "");
    struct vplug_backend *backend = open_backend(&ctx);
    struct vplug_switch_info *infos;
    size_t n;
    char *msg;
    int error = backend->class->list(backend, owner, &infos, &n, &msg);
    if (!error) {
        for (size_t j = 0; j < n; j++) {
            const struct vplug_switch_info *info = &infos[j];
            printf("%s %s owner=%s\n", info->name, info->variant,
                   info->owner ? info->owner : "-");
            for (size_t k = 0; k < info->n_ports; k++) {
                const struct vplug_port_info *p = &info->ports[k];
                printf("  %s ofport=%s vlan=%d owner=%s\n", p->ifname,
                       p->ofport > 0 ? "yes" : "no", p->vlan,
                       p->owner ? p->owner : "-");
            }
        }
        vplug_switch_info_free_array(infos, n);
    }
    backend->class->close(backend);
    return report("list", error, msg);
}
VPLUG_TEST("ovs-list", "[--timeout=MS] REMOTE [OWNER]", test_ovs_list)

/* ovs-probe [OPTS] REMOTE BRIDGE DATAPATH: probe() for a switch, then the
 * variant ensure_switch() would pick (nothing is committed). */
static int
test_ovs_probe(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    if (argc - i != 3) {
        fprintf(stderr, "usage: ovs-probe REMOTE BRIDGE DATAPATH\n");
        return 2;
    }

    struct vplug_ctx ctx;
    struct topo_switch sw;
    init_ctx(&ctx, &opts, argv[i], "probe-test");
    init_switch(&sw, &opts, argv[i + 1], argv[i + 2]);
    struct vplug_backend *backend = open_backend(&ctx);
    char *msg;
    int status;
    int error = backend->class->probe(backend, &sw, &msg);
    if (error) {
        status = report("probe", error, msg);
    } else {
        bool created;
        char *variant;
        free(msg);
        error = backend->class->ensure_switch(backend, &sw, &created,
                                              &variant, &msg);
        if (!error) {
            printf("%s: %s%s\n", sw.name, variant,
                   created ? " (would be created)" : "");
            free(variant);
        }
        status = report("ensure_switch", error, msg);
    }
    backend->class->close(backend);
    return status;
}
VPLUG_TEST("ovs-probe", "[--timeout=MS] REMOTE BRIDGE DATAPATH",
           test_ovs_probe)

/* ovs-race REMOTE IFNAME: two clients race.  A queues bridge "br-a" with
 * port IFNAME from its replica; B then creates bridge "br-b"; A's commit,
 * built on a replica that has not seen "br-b", must fail its guard, rebuild
 * and succeed. */
static int
test_ovs_race(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    if (argc - i != 2) {
        fprintf(stderr, "usage: ovs-race REMOTE IFNAME\n");
        return 2;
    }

    struct vplug_ctx ctx_a, ctx_b;
    struct topo_switch sw_a, sw_b;
    struct topo_end end;
    init_ctx(&ctx_a, &opts, argv[i], "lab-a");
    init_ctx(&ctx_b, &opts, argv[i], "lab-b");
    init_switch(&sw_a, &opts, "br-a", "netdev");
    init_switch(&sw_b, &opts, "br-b", "netdev");
    memset(&end, 0, sizeof end);
    end.ifname = argv[i + 1];
    end.vlan = -1;

    struct vplug_backend *a = open_backend(&ctx_a);
    struct vplug_backend *b = open_backend(&ctx_b);
    bool created;
    char *variant;
    char *msg;

    CHECK(!a->class->ensure_switch(a, &sw_a, &created, &variant, &msg));
    free(variant);
    free(msg);
    CHECK(!a->class->attach(a, &sw_a, &end, &msg));
    free(msg);

    CHECK(!b->class->ensure_switch(b, &sw_b, &created, &variant, &msg));
    free(variant);
    free(msg);
    int error = b->class->commit(b, &msg);
    int status = report("commit b", error, msg);

    if (!status) {
        error = a->class->commit(a, &msg);
        status = report("commit a", error, msg);
    }
    a->class->close(a);
    b->class->close(b);
    return status;
}
VPLUG_TEST("ovs-race", "[--timeout=MS] REMOTE IFNAME", test_ovs_race)

/* One thread of "vswitch-shared". */
struct shared_adder {
    struct vswitch *vs;
    const char *bridge;
    char *name;
    long long int deadline;
    int error;
    char *why;
};

/* Adds port 'a->name' through the shared connection, as a request would:
 * builds on the replica, retries when a guard failed, then waits until the
 * replica shows the port. */
static void *
shared_add(void *a_)
{
    struct shared_adder *a = a_;

    for (int try = 1; ; try++) {
        unsigned int seqno = vswitch_get_seqno(a->vs);
        struct vswitch_txn *txn = vswitch_txn_create(a->vs);
        long long int next_cfg;
        vswitch_txn_wait_absent(txn, "Port", a->name);
        vswitch_txn_add_port(txn, a->bridge, a->name, "internal", -1, NULL,
                             NULL);
        a->error = vswitch_txn_commit(txn, a->deadline, &next_cfg, &a->why);
        vswitch_txn_destroy(txn);
        if (a->error != EAGAIN || try == 20) {
            break;
        }
        free(a->why);
        a->why = NULL;
        vswitch_wait_change(a->vs, seqno, a->deadline);
    }
    while (!a->error) {
        unsigned int seqno = vswitch_get_seqno(a->vs);
        struct vswitch_port *port = vswitch_port_find(a->vs, a->name);
        bool found = port && port->bridge && !strcmp(port->bridge, a->bridge);
        vswitch_port_free(port);
        if (found) {
            break;
        }
        if (vswitch_wait_change(a->vs, seqno, a->deadline)) {
            a->error = ETIMEDOUT;
            a->why = xasprintf("port %s never showed in the replica", a->name);
        }
    }
    return NULL;
}

/* vswitch-shared [--timeout=MS] REMOTE BRIDGE N: N threads add internal
 * ports "sh1" to "shN" to existing bridge BRIDGE at once, all through one
 * shared connection (vswitch_create_shared()), each waiting for its own
 * answer and then for its port in the replica they share. */
static int
test_vswitch_shared(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    int n;
    if (argc - i != 3 || !str_to_int(argv[i + 2], 10, &n) || n < 1) {
        fprintf(stderr, "usage: vswitch-shared REMOTE BRIDGE N\n");
        return 2;
    }

    long long int deadline = time_msec() + opts.timeout_ms;
    struct vswitch *vs = vswitch_create_shared(argv[i]);
    char *why = NULL;
    int error = vswitch_wait_ready(vs, deadline, &why);
    if (error) {
        vswitch_destroy(vs);
        return report("connect", error, why);
    }

    struct shared_adder *adders = xcalloc(n, sizeof *adders);
    pthread_t *threads = xcalloc(n, sizeof *threads);
    for (int j = 0; j < n; j++) {
        adders[j] = (struct shared_adder) {
            .vs = vs, .bridge = argv[i + 1], .deadline = deadline,
            .name = xasprintf("sh%d", j + 1),
        };
        threads[j] = ovs_thread_create("adder", shared_add, &adders[j]);
    }
    int status = 0, n_added = 0;
    for (int j = 0; j < n; j++) {
        xpthread_join(threads[j], NULL);
        if (adders[j].error) {
            status = report(adders[j].name, adders[j].error, adders[j].why);
        } else {
            n_added++;
        }
        free(adders[j].name);
    }
    printf("%d of %d ports added through one shared connection\n", n_added,
           n);
    free(adders);
    free(threads);
    vswitch_destroy(vs);
    return status;
}
VPLUG_TEST("vswitch-shared", "[--timeout=MS] REMOTE BRIDGE N",
           test_vswitch_shared)

/* One plug of "ovs-gather": its backend, opened with the others before any
 * commits, and when it commits. */
struct gatherer {
    struct vplug_ctx ctx;
    struct vplug_backend *backend;
    char *owner;
    int delay_ms;
    int error;
    char *why;
};

static void *
gather_commit(void *g_)
{
    struct gatherer *g = g_;
    if (g->delay_ms) {
        xnanosleep((long long int) g->delay_ms * 1000 * 1000);
    }
    g->error = g->backend->class->commit(g->backend, &g->why);
    return NULL;
}

/* ovs-gather [--timeout=MS] REMOTE BRIDGE DELAY IFNAME...: a backend per
 * IFNAME, each as a plug of vplugd opens it (its commit may be shared),
 * attaching IFNAME to existing bridge BRIDGE; then the first commits at
 * once from a thread of its own, and the others, each from its own thread,
 * DELAY ms later.  The first is a group's leader: it waits for the others,
 * which were on their way when it came, so that all go out in one
 * transaction. */
static int
test_ovs_gather(int argc, char *argv[])
{
    struct ovs_test_opts opts;
    int i = parse_opts(argc, argv, &opts);
    int delay, n = argc - i - 3;
    if (n < 1 || !str_to_int(argv[i + 2], 10, &delay) || delay < 0) {
        fprintf(stderr, "usage: ovs-gather REMOTE BRIDGE DELAY IFNAME...\n");
        return 2;
    }

    struct topo_switch sw;
    init_switch(&sw, &opts, argv[i + 1], "netdev");
    struct gatherer *gs = xcalloc(n, sizeof *gs);
    for (int j = 0; j < n; j++) {
        struct gatherer *g = &gs[j];
        struct topo_end end = { .ifname = argv[i + 3 + j], .vlan = -1 };
        bool created;
        char *variant, *msg;

        g->owner = xasprintf("gather-%s", end.ifname);
        init_ctx(&g->ctx, &opts, argv[i], g->owner);
        g->ctx.share_commits = true;
        g->backend = open_backend(&g->ctx);
        CHECK(!g->backend->class->ensure_switch(g->backend, &sw, &created,
                                                &variant, &msg));
        free(variant);
        free(msg);
        CHECK(!g->backend->class->attach(g->backend, &sw, &end, &msg));
        free(msg);
        g->delay_ms = j ? delay : 0;
    }

    pthread_t *threads = xcalloc(n, sizeof *threads);
    for (int j = 0; j < n; j++) {
        threads[j] = ovs_thread_create("gatherer", gather_commit, &gs[j]);
    }
    int status = 0;
    for (int j = 0; j < n; j++) {
        xpthread_join(threads[j], NULL);
        status |= report(gs[j].owner, gs[j].error, gs[j].why);
        gs[j].backend->class->close(gs[j].backend);
        free(gs[j].owner);
    }
    free(threads);
    free(gs);
    return status;
}
VPLUG_TEST("ovs-gather", "[--timeout=MS] REMOTE BRIDGE DELAY IFNAME...",
           test_ovs_gather)
