/* The Open vSwitch backend: bridges and ports in the Open_vSwitch database,
 * through ovsdb/vswitch.  Everything queued goes out in one transaction
 * with a next_cfg bump; commit then waits until ovs-vswitchd has caught up
 * (cur_cfg) and every attached interface has an OpenFlow port.
 *
 * Where ovn-controller manages the bridge (the Open_vSwitch row's
 * external_ids:ovn-remote is set and ovn-bridge, default br-int, names it),
 * an attached port with an iface-id is of use only once ovn-controller has
 * installed its flows and marked it external_ids:ovn-installed=true;
 * settle() waits for that after the apply is recorded, and on timeout says
 * from what the local database shows why the port is not bound. */
#include <config.h>
#include "backend.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb/ovn-db.h"
#include "ovsdb/vswitch.h"
#include "packet-diag.h"
#include "rtnl.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "ovs-thread.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(ovs);

#define OWNER_KEY TOPO_RESERVED_KEY_PREFIX "topology"
#define PROBE_KEY TOPO_RESERVED_KEY_PREFIX "probe"
#define PROBE_BRIDGE "vplugprobe"

/* How many times commit rebuilds and resends a transaction whose guards
 * failed because the database changed under it. */
#define MAX_TRIES 5

/* How long a commit that removes a bridge waits for ovs-vswitchd to catch
 * up (see ovs_commit()). */
#define REMOVE_GRACE_MS 500

/* At most how long the leader of a group commit waits for the commits that
 * were on their way when it came (see gather()). */
#define GATHER_MAX_MS 200

/* A bridge queued for creation. */
struct ovs_new_bridge {
    char *name;
    char *datapath_type;        /* "netdev" or "system". */
    char *fail_mode;            /* Or NULL. */
    struct smap external_ids;
};

/* A port queued for attaching. */
struct ovs_attach {
    char *bridge;
    char *ifname;
    char *type;                 /* Interface type, "" for plain. */
    char *next_types;           /* Types to fall back to, in order, comma
                                 * separated ("system" for plain), or
                                 * NULL. */
    int tag;                    /* Or -1. */
    struct smap iface_external_ids;
};

/* An attached port that settle() waits for until OVN installs it. */
struct ovs_ovn_wait {
    char *bridge;               /* ovn-controller's integration bridge. */
    char *ifname;
    char *iface_id;             /* external_ids:iface-id: the LSP name. */
};

/* A port queued for detaching. */
struct ovs_detach {
    char *bridge;
    char *ifname;
};

struct ovs_backend {
    struct vplug_backend up;
    struct vswitch *vs;
    bool borrowed;              /* 'vs' is ctx->vswitch: not ours to
                                 * destroy. */
    bool vswitchd_alive;        /* Checked once per instance. */

    /* In 'group.coming' from open until it reaches group_commit() or can no
     * longer share its commit (see gather()). */
    struct ovs_list coming_node;
    unsigned long long int ticket;      /* Its place in 'group.coming'. */
    bool coming;

    struct ovs_new_bridge *new_bridges;
    size_t n_new_bridges;
    struct ovs_attach *attaches;
    size_t n_attaches;
    struct ovs_detach *detaches;
    size_t n_detaches;
    struct svec removes;        /* Bridge names. */
    struct vswitch_txn *sent;   /* Sent by commit_start(), answer not yet
                                 * taken by commit(). */
    struct svec type_notes;     /* "SWITCH\tWHY": port type fallbacks, for
                                 * dataplane() to report. */
    struct ovs_ovn_wait *ovn_waits;     /* What settle() waits for: the
                                         * topology's ports on an
                                         * OVN-managed bridge. */
    size_t n_ovn_waits;
    struct rtnl *rtnl;          /* Opened the first time wait_ready() finds
                                 * a port of ours down, or NULL. */
};

/* A commit waiting in group_commit() to share a transaction. */
struct ovs_group_member {
    struct ovs_list node;       /* In 'group.queue' or a leader's batch. */
    struct ovs_backend *ovs;    /* Its owner's; the leader reads only its
                                 * queue and its context. */

    bool done;                  /* Under 'group.mutex': the leader is done
                                 * with it. */

    /* Set by the leader before 'done'. */
    bool decided;               /* Its outcome below is set. */
    bool solo;                  /* The shared transaction failed: commit
                                 * alone, so that one request's fault is
                                 * not everyone's. */
    int error;                  /* 0 or errno with 'why'. */
    char *why;
    long long int next_cfg;     /* The configuration to wait for. */
};

/* Commits that only attach ports, from threads of this process at the same
 * time, go out together (see group_commit()). */
static struct {
    struct ovs_mutex mutex;
    pthread_cond_t cond;        /* Monotonic: see group_init(). */
    struct ovs_list queue OVS_GUARDED;  /* Of ovs_group_member. */
    bool busy OVS_GUARDED;      /* A leader is at work. */

    /* Backends whose commit may be shared and has not come yet, oldest
     * first (ovs_backend's 'coming_node'), and the next one's ticket. */
    struct ovs_list coming OVS_GUARDED;
    unsigned long long int next_ticket OVS_GUARDED;
} group = {
    .mutex = OVS_MUTEX_INITIALIZER,
    .queue = OVS_LIST_INITIALIZER(&group.queue),
    .coming = OVS_LIST_INITIALIZER(&group.coming),
};

static void
group_init(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;
    if (ovsthread_once_start(&once)) {
        vplug_cond_init_monotonic(&group.cond);
        ovsthread_once_done(&once);
    }
}

/* Counts 'ovs', just opened, among the commits a leader waits for, if it may
 * share one. */
static void
start_coming(struct ovs_backend *ovs)
{
    const struct vplug_ctx *ctx = ovs->up.ctx;
    if (ctx->share_commits && !ctx->dry_run) {
        group_init();
        ovs_mutex_lock(&group.mutex);
        ovs->coming = true;
        ovs->ticket = group.next_ticket++;
        ovs_list_push_back(&group.coming, &ovs->coming_node);
        ovs_mutex_unlock(&group.mutex);
    }
}

static void
stop_coming__(struct ovs_backend *ovs)
    OVS_REQUIRES(group.mutex)
{
    if (ovs->coming) {
        ovs->coming = false;
        ovs_list_remove(&ovs->coming_node);
        xpthread_cond_broadcast(&group.cond);
    }
}

/* 'ovs' reached group_commit(), or its commit cannot be shared after all:
 * no leader waits for it any more. */
static void
stop_coming(struct ovs_backend *ovs)
{
    if (ovs->coming) {
        ovs_mutex_lock(&group.mutex);
        stop_coming__(ovs);
        ovs_mutex_unlock(&group.mutex);
    }
}

/* Whether the system datapath works, per process (see probe_system()). */
static struct {
    char *remote;               /* The remote the verdict is for. */
    int error;                  /* 0: works; else why not in 'why'. */
    char *why;
} system_verdict;

static struct ovs_backend *
ovs_backend_cast(struct vplug_backend *backend)
{
    return (struct ovs_backend *) backend;
}

static double
timeout_sec(const struct vplug_ctx *ctx)
{
    return ctx->timeout_ms / 1000.0;
}

static const char *
owner_of(const struct smap *external_ids)
{
    return smap_get(external_ids, OWNER_KEY);
}

static bool
owned_by(const struct smap *external_ids, const char *owner)
{
    const char *tag = owner_of(external_ids);
    return tag && !strcmp(tag, owner);
}

/* Initializes 'smap' with the 'n' pairs of 'kvs' and the owner tag. */
static void
tagged_external_ids(struct smap *smap, const struct topo_kv *kvs,
                    size_t n, const char *owner)
{
    smap_init(smap);
    for (size_t i = 0; i < n; i++) {
        smap_replace(smap, kvs[i].key, kvs[i].value);
    }
    smap_replace(smap, OWNER_KEY, owner);
}

/* Returns the variant name for a bridge with 'datapath_type' (caller
 * frees). */
static char *
variant_for(const char *datapath_type)
{
    return xasprintf("ovs/%s", *datapath_type ? datapath_type : "system");
}

/* Port types.  "auto" is plain "system" ports (AF_PACKET sockets), chosen
 * by measurement (tests/bench/bench-dataplane, 2 loaded cores, OVS 3.1,
 * userspace TSO on): one TCP stream 1.19 Gbit/s against 0.21 for
 * afxdp-nonpmd, which takes no offloads; ovs-vswitchd's RSS 19 MB with 10
 * system ports and 60 MB with 200, against 749 MB with 10 afxdp-nonpmd
 * ports (their packet memory is per port), which also took 62 s to add;
 * no idle CPU for either.  OVS's tap ports did better on TCP, but they are
 * OVS's own devices, not veths.  Returns the Interface type for
 * 'type'. */
static const char *
db_port_type(const char *type)
{
    return !strcmp(type, "auto") || !strcmp(type, "system") ? "" : type;
}

/* Waits until ovs-vswitchd has applied configuration 'next_cfg' (cur_cfg
 * reaches it), or the deadline. */
static int
wait_cur_cfg(struct ovs_backend *ovs, long long int next_cfg, char **errp)
{
    const struct vplug_ctx *ctx = ovs->up.ctx;
    long long int cur_cfg;

    if (vswitch_wait_cur_cfg(ovs->vs, next_cfg, ctx->deadline, &cur_cfg)) {
        *errp = xasprintf("ovs-vswitchd is not running (cur_cfg stays at "
                          "%lld while next_cfg is %lld; gave up after "
                          "--timeout=%g)", cur_cfg, next_cfg,
                          timeout_sec(ctx));
        return ETIMEDOUT;
    }
    return 0;
}

/* Commits 'txn' (destroying it) and waits for ovs-vswitchd to apply it. */
static int
commit_and_wait(struct ovs_backend *ovs, struct vswitch_txn *txn,
                long long int *next_cfgp, char **errp)
{
    long long int next_cfg;
    int error = vswitch_txn_commit(txn, ovs->up.ctx->deadline, &next_cfg,
                                   errp);
    vswitch_txn_destroy(txn);
    if (!error) {
        error = wait_cur_cfg(ovs, next_cfg, errp);
    }
    if (next_cfgp) {
        *next_cfgp = next_cfg;
    }
    return error;
}

/* Checks that ovs-vswitchd follows the database: a transaction that only
 * bumps next_cfg, then cur_cfg must follow before the deadline. */
static int
check_vswitchd(struct ovs_backend *ovs, char **errp)
{
    if (ovs->vswitchd_alive) {
        return 0;
    }
    if (ovs->borrowed
        && vswitch_cfg_behind_ms(ovs->vs) < ovs->up.ctx->timeout_ms) {
        /* A daemon's connection, kept current: ovs-vswitchd has applied
         * every configuration so far, or was caught up less than a
         * --timeout ago (another request's commit is being applied: in a
         * burst of plugs, almost always).  So it was alive then.  Had it
         * died since, the commit's own wait says so, within the same
         * timeout.  This saves a round trip through ovs-vswitchd per
         * request, and in a burst an empty transaction per request, which
         * ovs-vswitchd would reconfigure for and which would race with the
         * shared one. */
        ovs->vswitchd_alive = true;
        return 0;
    }
    int error = commit_and_wait(ovs, vswitch_txn_create(ovs->vs), NULL,
                                errp);
    ovs->vswitchd_alive = !error;
    return error;
}

static void
set_verdict(const char *remote, int error, char *why)
{
    free(system_verdict.remote);
    free(system_verdict.why);
    system_verdict.remote = xstrdup(remote);
    system_verdict.error = error;
    system_verdict.why = why;
}

/* Returns true if some bridge on the system datapath works now: ovs-vswitchd
 * gave its internal interface an OpenFlow port. */
static bool
system_bridge_works(struct ovs_backend *ovs)
{
    struct vswitch_bridge **bridges;
    size_t n;
    bool works = false;

    vswitch_bridges_list(ovs->vs, &bridges, &n);
    for (size_t i = 0; i < n && !works; i++) {
        const struct vswitch_bridge *br = bridges[i];
        if (!*br->datapath_type || !strcmp(br->datapath_type, "system")) {
            struct vswitch_iface *iface = vswitch_iface_find(ovs->vs,
                                                             br->name);
            works = iface && iface->ofport > 0;
            vswitch_iface_free(iface);
        }
    }
    vswitch_bridges_free(bridges, n);
    return works;
}

/* Decides, once per process and remote, whether the system datapath works
 * here.  The authoritative test: a system bridge that already works, or
 * else a short-lived probe bridge that ovs-vswitchd either gives an
 * OpenFlow port or marks failed.  Returns 0 with the verdict in '*worksp'
 * ('*whyp' borrowed: why not), or an errno and '*errp' if it cannot
 * tell. */
static int
probe_system(struct ovs_backend *ovs, bool *worksp, const char **whyp,
             char **errp)
{
    const char *remote = vswitch_get_remote(ovs->vs);

    if (system_verdict.remote && !strcmp(system_verdict.remote, remote)) {
        goto out;
    }

    int error = check_vswitchd(ovs, errp);
    if (error) {
        return error;
    }
    if (system_bridge_works(ovs)) {
        set_verdict(remote, 0, NULL);
        goto out;
    }

    /* ovs-vswitchd lists the datapath types it can open; without "system"
     * (e.g. --disable-system) there is nothing to try. */
    struct vswitch_root root;
    if (!vswitch_get_root(ovs->vs, &root)) {
        bool listed = (!root.datapath_types.n
                       || svec_has(&root.datapath_types, "system"));
        vswitch_root_destroy(&root);
        if (!listed) {
            set_verdict(remote, EOPNOTSUPP,
                        xstrdup("ovs-vswitchd does not offer the system "
                                "datapath"));
            goto out;
        }
    }
    if (ovs->up.ctx->dry_run) {
        /* Finding out takes a probe bridge: not in a dry run. */
        *worksp = false;
        *whyp = "not probed in a dry run";
        return 0;
    }

    /* Pick a free probe bridge name; remove probes a crashed run left. */
    struct vswitch_txn *txn = vswitch_txn_create(ovs->vs);
    struct vswitch_bridge **bridges;
    size_t n;
    vswitch_bridges_list(ovs->vs, &bridges, &n);
    vswitch_txn_wait_root_bridges(txn);
    char *name = NULL;
    for (int i = 0; !name; i++) {
        char *candidate = xasprintf(PROBE_BRIDGE "%d", i);
        bool taken = false;
        for (size_t j = 0; j < n; j++) {
            taken |= !strcmp(bridges[j]->name, candidate);
        }
        if (taken) {
            free(candidate);
        } else {
            name = candidate;
        }
    }
    for (size_t j = 0; j < n; j++) {
        if (smap_get(&bridges[j]->external_ids, PROBE_KEY)) {
            vswitch_txn_del_bridge(txn, bridges[j]->uuid);
        }
    }
    vswitch_bridges_free(bridges, n);

    struct smap external_ids;
    smap_init(&external_ids);
    smap_replace(&external_ids, PROBE_KEY, "true");
    vswitch_txn_add_bridge(txn, name, "system", NULL, &external_ids);
    smap_destroy(&external_ids);

    error = commit_and_wait(ovs, txn, NULL, errp);
    if (!error) {
        struct vswitch_iface *iface = vswitch_iface_find(ovs->vs, name);
        if (iface && iface->ofport > 0) {
            set_verdict(remote, 0, NULL);
        } else {
            set_verdict(remote, EOPNOTSUPP,
                        xstrdup(iface && iface->error ? iface->error
                                : "ovs-vswitchd failed to create a "
                                  "bridge on it"));
        }
        VLOG_DBG("system datapath probe with bridge %s: %s", name,
                 system_verdict.why ? system_verdict.why : "works");
        vswitch_iface_free(iface);
    }

    /* Remove the probe bridge whatever happened. */
    struct vswitch_bridge *probe = vswitch_bridge_find(ovs->vs, name);
    if (probe) {
        char *del_error = NULL;
        long long int next_cfg;
        txn = vswitch_txn_create(ovs->vs);
        vswitch_txn_del_bridge(txn, probe->uuid);
        if (vswitch_txn_commit(txn, ovs->up.ctx->deadline, &next_cfg,
                               &del_error)) {
            VLOG_WARN("cannot remove probe bridge %s: %s", name, del_error);
        }
        free(del_error);
        vswitch_txn_destroy(txn);
        vswitch_bridge_free(probe);
    }
    free(name);
    if (error) {
        return error;
    }

out:
    *worksp = !system_verdict.error;
    *whyp = system_verdict.why;
    return 0;
}

/* Stores into '*datapath_typep' the datapath type to create 'sw' with,
 * detecting it for "auto". */
static int
choose_datapath(struct ovs_backend *ovs, const struct topo_switch *sw,
                const char **datapath_typep, char **errp)
{
    const char *datapath = sw->datapath ? sw->datapath : "auto";
    bool works;
    const char *why;
    int error;

    if (!strcmp(datapath, "netdev")) {
        *datapath_typep = "netdev";
        return 0;
    } else if (strcmp(datapath, "auto") && strcmp(datapath, "system")) {
        *errp = xasprintf("switch '%s': unknown datapath '%s'", sw->name,
                          datapath);
        return EINVAL;
    }

    error = probe_system(ovs, &works, &why, errp);
    if (error) {
        return error;
    }
    if (works) {
        *datapath_typep = "system";
    } else if (!strcmp(datapath, "auto")) {
        *datapath_typep = "netdev";
    } else {
        *errp = xasprintf("cannot create bridge '%s' on the system "
                          "datapath: %s", sw->name, why);
        return EOPNOTSUPP;
    }
    return 0;
}

static int
ovs_open(struct vplug_ctx *ctx, struct vplug_backend **backendp, char **errp)
{
    struct ovs_backend *ovs = xzalloc(sizeof *ovs);
    int error;

    *backendp = NULL;
    *errp = NULL;
    ovs->up.class = &vplug_ovs_backend;
    ovs->up.ctx = ctx;
    svec_init(&ovs->removes);
    svec_init(&ovs->type_notes);
    if (ctx->vswitch
        && !strcmp(vswitch_get_remote(ctx->vswitch), ctx->db_remote)) {
        /* Catch up with what the server sent since its owner last ran
         * it; the guards of each transaction cover the rest. */
        ovs->vs = ctx->vswitch;
        ovs->borrowed = true;
        vswitch_run(ovs->vs);
    } else {
        ovs->vs = vswitch_create(ctx->db_remote, false);
    }

    error = vswitch_wait_ready(ovs->vs, ctx->deadline, errp);
    if (error) {
        if (error == ETIMEDOUT) {
            char *msg = *errp ? *errp : xasprintf("cannot reach "
                                                  "ovsdb-server at %s",
                                                  ctx->db_remote);
            *errp = xasprintf("%s (gave up after --timeout=%g)", msg,
                              timeout_sec(ctx));
            free(msg);
        } else if (!*errp) {
            *errp = xasprintf("cannot reach ovsdb-server at %s: %s",
                              ctx->db_remote, ovs_strerror(error));
        }
        goto error;
    }

    char *missing = vswitch_check_schema(ovs->vs);
    if (missing) {
        *errp = xasprintf("ovsdb-server at %s: unsupported schema: %s",
                          ctx->db_remote, missing);
        free(missing);
        error = EPROTO;
        goto error;
    }

    start_coming(ovs);
    *backendp = &ovs->up;
    return 0;

error:
    if (!ovs->borrowed) {
        vswitch_destroy(ovs->vs);
    }
    svec_destroy(&ovs->removes);
    free(ovs);
    return error;
}

static void
clear_ovn_waits(struct ovs_backend *ovs)
{
    for (size_t i = 0; i < ovs->n_ovn_waits; i++) {
        free(ovs->ovn_waits[i].bridge);
        free(ovs->ovn_waits[i].ifname);
        free(ovs->ovn_waits[i].iface_id);
    }
    free(ovs->ovn_waits);
    ovs->ovn_waits = NULL;
    ovs->n_ovn_waits = 0;
}

static void
clear_queue(struct ovs_backend *ovs)
{
    for (size_t i = 0; i < ovs->n_new_bridges; i++) {
        struct ovs_new_bridge *nb = &ovs->new_bridges[i];
        free(nb->name);
        free(nb->datapath_type);
        free(nb->fail_mode);
        smap_destroy(&nb->external_ids);
    }
    free(ovs->new_bridges);
    ovs->new_bridges = NULL;
    ovs->n_new_bridges = 0;

    for (size_t i = 0; i < ovs->n_attaches; i++) {
        struct ovs_attach *a = &ovs->attaches[i];
        free(a->bridge);
        free(a->ifname);
        free(a->type);
        free(a->next_types);
        smap_destroy(&a->iface_external_ids);
    }
    free(ovs->attaches);
    ovs->attaches = NULL;
    ovs->n_attaches = 0;

    for (size_t i = 0; i < ovs->n_detaches; i++) {
        free(ovs->detaches[i].bridge);
        free(ovs->detaches[i].ifname);
    }
    free(ovs->detaches);
    ovs->detaches = NULL;
    ovs->n_detaches = 0;

    svec_clear(&ovs->removes);
}

/* Takes the answer to a transaction that commit_start() sent, if any, so
 * that the replica has what it made before anything else is decided. */
static void
drop_sent(struct ovs_backend *ovs)
{
    if (ovs->sent) {
        long long int next_cfg;
        char *error = NULL;
        vswitch_txn_commit(ovs->sent, ovs->up.ctx->deadline, &next_cfg,
                           &error);
        free(error);
        vswitch_txn_destroy(ovs->sent);
        ovs->sent = NULL;
    }
}

static void
ovs_backend_abort(struct vplug_backend *backend)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    drop_sent(ovs);
    clear_queue(ovs);
}

static void
ovs_close(struct vplug_backend *backend)
{
    if (backend) {
        struct ovs_backend *ovs = ovs_backend_cast(backend);
        stop_coming(ovs);
        drop_sent(ovs);
        clear_queue(ovs);
        svec_destroy(&ovs->removes);
        svec_destroy(&ovs->type_notes);
        clear_ovn_waits(ovs);
        rtnl_close(ovs->rtnl);
        if (!ovs->borrowed) {
            vswitch_destroy(ovs->vs);
        }
        free(ovs);
    }
}

/* Makes sure the connection is up (it may have dropped since open). */
static int
ensure_ready(struct ovs_backend *ovs, char **errp)
{
    if (vswitch_is_ready(ovs->vs)) {
        return 0;
    }
    return vswitch_wait_ready(ovs->vs, ovs->up.ctx->deadline, errp);
}

static int
ovs_probe(struct vplug_backend *backend, const struct topo_switch *sw,
          char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    int error;

    *errp = NULL;
    error = ensure_ready(ovs, errp);
    if (!error) {
        error = check_vswitchd(ovs, errp);
    }
    if (error || !sw) {
        return error;
    }

    struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, sw->name);
    if (br) {
        /* An existing bridge is used as it is. */
        vswitch_bridge_free(br);
        return 0;
    }

    const char *datapath_type;
    error = choose_datapath(ovs, sw, &datapath_type, errp);
    if (error) {
        return error;
    }

    /* ovs-vswitchd lists the datapath types it supports. */
    struct vswitch_root root;
    if (!vswitch_get_root(ovs->vs, &root)) {
        if (root.datapath_types.n
            && !svec_has(&root.datapath_types, datapath_type)) {
            *errp = xasprintf("cannot create bridge '%s': ovs-vswitchd "
                              "does not support datapath type '%s'",
                              sw->name, datapath_type);
            error = EOPNOTSUPP;
        }
        vswitch_root_destroy(&root);
    }
    return error;
}

static struct ovs_new_bridge *
find_new_bridge(struct ovs_backend *ovs, const char *name)
{
    for (size_t i = 0; i < ovs->n_new_bridges; i++) {
        if (!strcmp(ovs->new_bridges[i].name, name)) {
            return &ovs->new_bridges[i];
        }
    }
    return NULL;
}

static int
ovs_ensure_switch(struct vplug_backend *backend, const struct topo_switch *sw,
                  bool *createdp, char **variantp, char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    const struct vplug_ctx *ctx = backend->ctx;
    int error;

    *errp = NULL;
    *createdp = false;
    *variantp = NULL;

    const struct ovs_new_bridge *queued = find_new_bridge(ovs, sw->name);
    if (queued) {
        *createdp = true;
        *variantp = variant_for(queued->datapath_type);
        return 0;
    }

    error = ensure_ready(ovs, errp);
    if (error) {
        return error;
    }
    struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, sw->name);
    if (br) {
        /* A bridge tagged with our owner is ours, even if the run that
         * created it was killed before recording it. */
        *createdp = owned_by(&br->external_ids, ctx->owner);
        *variantp = variant_for(br->datapath_type);
        vswitch_bridge_free(br);
        return 0;
    }

    const char *datapath_type;
    error = choose_datapath(ovs, sw, &datapath_type, errp);
    if (error) {
        return error;
    }

    ovs->new_bridges = xrealloc(ovs->new_bridges,
                                (ovs->n_new_bridges + 1)
                                * sizeof *ovs->new_bridges);
    /* An smap cannot simply be moved in memory (an hmap with at most one
     * element points into itself). */
    for (size_t i = 0; i < ovs->n_new_bridges; i++) {
        hmap_moved(&ovs->new_bridges[i].external_ids.map);
    }
    struct ovs_new_bridge *nb = &ovs->new_bridges[ovs->n_new_bridges++];
    nb->name = xstrdup(sw->name);
    nb->datapath_type = xstrdup(datapath_type);
    nb->fail_mode = nullable_xstrdup(sw->fail_mode);
    tagged_external_ids(&nb->external_ids, sw->external_ids,
                        sw->n_external_ids, ctx->owner);

    *createdp = true;
    *variantp = variant_for(datapath_type);
    return 0;
}

/* Checks, in replica 'vs', that port 'ifname', if it exists, may become
 * 'bridge''s port for 'owner': it must be 'owner''s and on 'bridge' already.
 * An Interface of that name in some other port is a conflict too.  Stores
 * into '*existsp' whether the port exists. */
static int
check_conflict(struct ovs_backend *ovs, struct vswitch *vs,
               const char *ifname, const char *bridge, bool *existsp,
               char **errp)
{
    const char *owner = ovs->up.ctx->owner;
    struct vswitch_port *port = vswitch_port_find(vs, ifname);
    int error = 0;

    *existsp = port != NULL;
    if (!port) {
        struct vswitch_iface *iface = vswitch_iface_find(vs, ifname);
        if (iface) {
            *errp = xasprintf("interface '%s' already exists in another "
                              "port and is not vplug's", ifname);
            error = EEXIST;
        }
        vswitch_iface_free(iface);
    } else if (!owned_by(&port->external_ids, owner)) {
        const char *tag = owner_of(&port->external_ids);
        const char *where = port->bridge ? port->bridge : "(none)";
        if (tag) {
            *errp = xasprintf("port '%s' already exists on bridge '%s' and "
                              "belongs to topology '%s'", ifname, where, tag);
        } else {
            *errp = xasprintf("port '%s' already exists on bridge '%s' and "
                              "is not vplug's", ifname, where);
        }
        error = EEXIST;
    } else if (!port->bridge || strcmp(port->bridge, bridge)) {
        *errp = xasprintf("port '%s' already exists on bridge '%s', not "
                          "'%s'", ifname,
                          port->bridge ? port->bridge : "(none)", bridge);
        error = EEXIST;
    }
    vswitch_port_free(port);
    return error;
}

static int
ovs_attach(struct vplug_backend *backend, const struct topo_switch *sw,
           const struct topo_end *end, char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    const struct vplug_ctx *ctx = backend->ctx;
    int error;

    *errp = NULL;
    error = ensure_ready(ovs, errp);
    if (error) {
        return error;
    }

    if (!find_new_bridge(ovs, sw->name)) {
        struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, sw->name);
        if (!br) {
            *errp = xasprintf("cannot attach '%s' to '%s': no such bridge",
                              end->ifname, sw->name);
            return ENOENT;
        }
        vswitch_bridge_free(br);
    }

    bool exists;
    error = check_conflict(ovs, ovs->vs, end->ifname, sw->name, &exists,
                           errp);
    if (error) {
        return error;
    }

    for (size_t i = 0; i < ovs->n_attaches; i++) {
        if (!strcmp(ovs->attaches[i].ifname, end->ifname)) {
            *errp = xasprintf("cannot attach '%s' to '%s': already queued "
                              "for bridge '%s'", end->ifname, sw->name,
                              ovs->attaches[i].bridge);
            return EEXIST;
        }
    }

    ovs->attaches = xrealloc(ovs->attaches,
                             (ovs->n_attaches + 1) * sizeof *ovs->attaches);
    for (size_t i = 0; i < ovs->n_attaches; i++) {
        hmap_moved(&ovs->attaches[i].iface_external_ids.map);
    }
    struct ovs_attach *a = &ovs->attaches[ovs->n_attaches++];
    a->bridge = xstrdup(sw->name);
    a->ifname = xstrdup(end->ifname);
    const char *types = sw->port_type ? sw->port_type : "auto";
    const char *comma = strchr(types, ',');
    char *first = xmemdup0(types, comma ? comma - types : strlen(types));
    a->type = xstrdup(db_port_type(first));
    a->next_types = comma ? xstrdup(comma + 1) : NULL;
    free(first);
    a->tag = end->vlan >= 0 ? end->vlan : -1;
    tagged_external_ids(&a->iface_external_ids, end->external_ids,
                        end->n_external_ids, ctx->owner);
    return 0;
}

static int
ovs_detach(struct vplug_backend *backend, const char *sw_name,
           const char *ifname, char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);

    *errp = NULL;
    ovs->detaches = xrealloc(ovs->detaches,
                             (ovs->n_detaches + 1) * sizeof *ovs->detaches);
    struct ovs_detach *d = &ovs->detaches[ovs->n_detaches++];
    d->bridge = xstrdup(sw_name);
    d->ifname = xstrdup(ifname);
    return 0;
}

static int
ovs_remove_switch(struct vplug_backend *backend, const char *sw_name,
                  char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);

    *errp = NULL;
    if (!svec_has(&ovs->removes, sw_name)) {
        svec_add(&ovs->removes, sw_name);
    }
    return 0;
}

/* Returns true if this commit detaches port 'name' from bridge 'bridge'. */
static bool
is_detached(const struct ovs_backend *ovs, const char *bridge,
            const char *name)
{
    for (size_t i = 0; i < ovs->n_detaches; i++) {
        const struct ovs_detach *d = &ovs->detaches[i];
        if (!strcmp(d->bridge, bridge) && !strcmp(d->ifname, name)) {
            return true;
        }
    }
    return false;
}

/* Returns the name of another topology than ctx->owner that keeps ports on
 * 'br' once this commit's detaches are done (the smallest name, so that
 * concurrent runs agree), or NULL if none does.  The caller frees it. */
static char *
other_port_owner(const struct ovs_backend *ovs,
                 const struct vswitch_bridge *br)
{
    const char *owner = ovs->up.ctx->owner;
    char *other = NULL;

    for (size_t i = 0; i < br->ports.n; i++) {
        struct vswitch_port *port = vswitch_port_get(ovs->vs,
                                                     br->ports.names[i]);
        const char *tag = port ? owner_of(&port->external_ids) : NULL;
        if (tag && strcmp(tag, owner)
            && !is_detached(ovs, br->name, port->name)
            && (!other || strcmp(tag, other) < 0)) {
            free(other);
            other = xstrdup(tag);
        }
        vswitch_port_free(port);
    }
    return other;
}

/* Adds to 'txn' what it takes to remove the bridges queued for removal
 * that are ctx->owner's.  Others are left alone.  A bridge on which
 * another topology still has ports stays: it becomes that topology's
 * (its tag changes), so that it goes with the last topology using it.
 * Guarding the bridge's ports makes a port that a concurrent apply adds
 * meanwhile send this transaction back for a rebuild. */
static void
build_removes(struct ovs_backend *ovs, struct vswitch_txn *txn)
{
    const char *owner = ovs->up.ctx->owner;

    for (size_t i = 0; i < ovs->removes.n; i++) {
        const char *name = ovs->removes.names[i];
        struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, name);
        char *heir = (br && owned_by(&br->external_ids, owner)
                      ? other_port_owner(ovs, br) : NULL);
        if (heir) {
            struct smap ids;
            smap_clone(&ids, &br->external_ids);
            smap_replace(&ids, OWNER_KEY, heir);
            vswitch_txn_wait_bridge_ports(txn, br->uuid);
            vswitch_txn_set_external_ids(txn, "Bridge", br->uuid, &ids);
            smap_destroy(&ids);
            VLOG_INFO("bridge %s stays for %s's ports: it is %s's now",
                      name, heir, heir);
        } else if (br && owned_by(&br->external_ids, owner)) {
            vswitch_txn_wait_exists(txn, "Bridge", br->uuid, br->name);
            vswitch_txn_wait_bridge_ports(txn, br->uuid);
            vswitch_txn_del_bridge(txn, br->uuid);
        } else if (br) {
            VLOG_INFO("bridge %s is not %s's: left alone", name, owner);
        }
        free(heir);
        vswitch_bridge_free(br);
    }
}

/* Returns true if this commit removes bridge 'name' with its ports. */
static bool
bridge_goes(const struct ovs_backend *ovs, const char *name)
{
    if (!svec_has(&ovs->removes, name)) {
        return false;
    }
    struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, name);
    bool goes = br && owned_by(&br->external_ids, ovs->up.ctx->owner);
    if (goes) {
        char *heir = other_port_owner(ovs, br);
        goes = !heir;
        free(heir);
    }
    vswitch_bridge_free(br);
    return goes;
}

/* Adds to 'txn' the removal of the ports queued for detaching that are
 * ctx->owner's and on the named bridge. */
static void
build_detaches(struct ovs_backend *ovs, struct vswitch_txn *txn)
{
    const char *owner = ovs->up.ctx->owner;

    for (size_t i = 0; i < ovs->n_detaches; i++) {
        const struct ovs_detach *d = &ovs->detaches[i];
        if (bridge_goes(ovs, d->bridge)) {
            continue;           /* The port goes with its bridge. */
        }

        struct vswitch_port *port = vswitch_port_find(ovs->vs, d->ifname);
        if (port && port->bridge && !strcmp(port->bridge, d->bridge)
            && owned_by(&port->external_ids, owner)) {
            vswitch_txn_wait_exists(txn, "Port", port->uuid, port->name);
            vswitch_txn_del_port(txn, d->bridge, port->uuid);
        } else if (port) {
            VLOG_INFO("port %s on %s is not %s's: left alone", d->ifname,
                      port->bridge ? port->bridge : "(none)", owner);
        }
        vswitch_port_free(port);
    }
}

static void
build_new_bridges(struct ovs_backend *ovs, struct vswitch_txn *txn)
{
    for (size_t i = 0; i < ovs->n_new_bridges; i++) {
        const struct ovs_new_bridge *nb = &ovs->new_bridges[i];
        struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, nb->name);
        if (!br) {
            vswitch_txn_wait_absent(txn, "Bridge", nb->name);
            vswitch_txn_add_bridge(txn, nb->name, nb->datapath_type,
                                   nb->fail_mode, &nb->external_ids);
        }
        vswitch_bridge_free(br);
    }
}

/* The Interface external_ids keys that ovn-controller writes. */
static const char *const ovn_controller_keys[] = {
    "ovn-installed", "ovn-installed-ts",
};

/* Adds to 'txn', built on replica 'vs', the updates that make existing port
 * 'port' (the owner's, on the right bridge) match 'a'. */
static void
build_port_update(struct ovs_backend *ovs, struct vswitch *vs,
                  struct vswitch_txn *txn, const struct vswitch_port *port,
                  const struct ovs_attach *a)
{
    if (port->tag != a->tag) {
        vswitch_txn_set_port_tag(txn, port->uuid, a->tag);
    }
    struct smap port_ids;
    smap_init(&port_ids);
    smap_replace(&port_ids, OWNER_KEY, ovs->up.ctx->owner);
    if (!smap_equal(&port->external_ids, &port_ids)) {
        vswitch_txn_set_external_ids(txn, "Port", port->uuid, &port_ids);
    }
    smap_destroy(&port_ids);

    for (size_t i = 0; i < port->interfaces.n; i++) {
        struct vswitch_iface *iface
            = vswitch_iface_get(vs, port->interfaces.names[i]);
        if (iface && !strcmp(iface->name, a->ifname)) {
            if (strcmp(iface->type, a->type)) {
                vswitch_txn_set_iface_type(txn, iface->uuid, a->type);
            }
            /* The keys ovn-controller adds stay: removing ovn-installed
             * would make the port look unbound to every agent. */
            struct smap ids;
            smap_clone(&ids, &a->iface_external_ids);
            for (size_t k = 0; k < ARRAY_SIZE(ovn_controller_keys); k++) {
                const char *v = smap_get(&iface->external_ids,
                                         ovn_controller_keys[k]);
                if (v) {
                    smap_replace(&ids, ovn_controller_keys[k], v);
                }
            }
            if (!smap_equal(&iface->external_ids, &ids)) {
                vswitch_txn_set_external_ids(txn, "Interface", iface->uuid,
                                             &ids);
            }
            smap_destroy(&ids);
        }
        vswitch_iface_free(iface);
    }
}

/* Adds to 'txn', built on replica 'vs' (ovs->vs, or another thread's
 * connection to the same database when the transaction is shared), the
 * ports queued for attaching.  On a conflict returns errno and '*errp',
 * with 'txn' holding part of them, or with 'txn' NULL only checks. */
static int
build_attaches(struct ovs_backend *ovs, struct vswitch *vs,
               struct vswitch_txn *txn, char **errp)
{
    const char *owner = ovs->up.ctx->owner;

    for (size_t i = 0; i < ovs->n_attaches; i++) {
        const struct ovs_attach *a = &ovs->attaches[i];
        bool exists;
        int error = check_conflict(ovs, vs, a->ifname, a->bridge, &exists,
                                   errp);
        if (error) {
            return error;
        }
        if (exists) {
            if (txn) {
                struct vswitch_port *port = vswitch_port_find(vs, a->ifname);
                vswitch_txn_wait_exists(txn, "Port", port->uuid, port->name);
                build_port_update(ovs, vs, txn, port, a);
                vswitch_port_free(port);
            }
            continue;
        }

        struct vswitch_bridge *br = vswitch_bridge_find(vs, a->bridge);
        if (br) {
            /* A mutate of a bridge that vanished would match nothing and
             * the new port would be dropped silently. */
            if (txn) {
                vswitch_txn_wait_exists(txn, "Bridge", br->uuid, br->name);
            }
            vswitch_bridge_free(br);
        } else if (!find_new_bridge(ovs, a->bridge)) {
            *errp = xasprintf("cannot attach '%s' to '%s': no such bridge",
                              a->ifname, a->bridge);
            return ENOENT;
        }
        if (!txn) {
            continue;
        }
        vswitch_txn_wait_absent(txn, "Port", a->ifname);
        vswitch_txn_wait_absent(txn, "Interface", a->ifname);

        struct smap port_ids;
        smap_init(&port_ids);
        smap_replace(&port_ids, OWNER_KEY, owner);
        vswitch_txn_add_port(txn, a->bridge, a->ifname, a->type, a->tag,
                             &port_ids, &a->iface_external_ids);
        smap_destroy(&port_ids);
    }
    return 0;
}

/* Builds the whole transaction from the queue and the replica as it is
 * now.  Returns 0 and the transaction in '*txnp', or errno and '*errp'. */
static int
build_txn(struct ovs_backend *ovs, struct vswitch_txn **txnp, char **errp)
{
    struct vswitch_txn *txn = vswitch_txn_create(ovs->vs);
    int error;

    /* Removals and additions of bridges both rewrite the root's bridges:
     * guard it once for all. */
    vswitch_txn_wait_root_bridges(txn);
    build_removes(ovs, txn);
    build_detaches(ovs, txn);
    build_new_bridges(ovs, txn);
    error = build_attaches(ovs, ovs->vs, txn, errp);
    if (error) {
        vswitch_txn_destroy(txn);
        txn = NULL;
    }
    *txnp = txn;
    return error;
}

/* Checks whether interface 'name' that should be on 'bridge' is ready.
 * Returns 0 if so, EAGAIN if not yet (with a reason in '*whyp', caller
 * frees), or another errno with '*errp' if it failed for good. */
static int
iface_ready(struct ovs_backend *ovs, const char *bridge, const char *name,
            bool is_bridge, bool *admin_downp, char **whyp, char **errp)
{
    struct vswitch_iface *iface = vswitch_iface_find(ovs->vs, name);
    int error = 0;

    if (!iface) {
        *whyp = xasprintf("'%s' is not in the database", name);
        error = EAGAIN;
    } else if (iface->ofport < 0) {
        const char *cause = (iface->error ? iface->error
                             : "ovs-vswitchd assigned no OpenFlow port");
        if (is_bridge) {
            *errp = xasprintf("cannot create bridge '%s': %s", bridge, cause);
        } else {
            *errp = xasprintf("cannot attach '%s' to '%s': %s", name, bridge,
                              cause);
        }
        error = EIO;
    } else if (iface->ofport == 0 && is_bridge) {
        /* ovs-vswitchd writes the bridge's ofport in the transaction that
         * advances cur_cfg, and we only get here after that. */
        *errp = xasprintf("cannot create bridge '%s': ovs-vswitchd failed "
                          "to create it (see its log)", bridge);
        error = EIO;
    } else if (iface->ofport == 0) {
        *whyp = xasprintf("'%s' on '%s' has no OpenFlow port yet", name,
                          bridge);
        error = EAGAIN;
    } else if (!is_bridge && !iface->link_state) {
        /* ovs-vswitchd reports the link state in a transaction of its own,
         * after the one that advances cur_cfg. */
        *whyp = xasprintf("'%s' on '%s' has no link state yet", name,
                          bridge);
        error = EAGAIN;
    } else if (!is_bridge && strcmp(iface->link_state, "up")) {
        *whyp = xasprintf("'%s' on '%s' has link state %s", name, bridge,
                          iface->link_state);
        *admin_downp = (iface->admin_state
                        && !strcmp(iface->admin_state, "down"));
        error = EAGAIN;
    }
    vswitch_iface_free(iface);
    return error;
}

/* ovs-vswitchd keeps a network device's state by name, and with its
 * netdevs it keeps the flags it last saw.  A veth of ours that takes the
 * name of a port just unplugged (a lab rebuilt at once) can meet the netdev
 * of the deleted device still open in ovs-vswitchd: turning promiscuous
 * mode on, or restoring the old port's flags, it then writes the deleted
 * device's flags to the new one, without IFF_UP, and the port stays down
 * for good.  So while the database reports one of our attached plain ports
 * administratively down, sets our device up again if it really is down:
 * the kernel end was up when it was attached, and vplug made it (its
 * ifalias says so).  wait_ready() calls it only once iface_ready() saw
 * such a port, so waits that go as usual read nothing more. */
static void
reassert_up(struct ovs_backend *ovs)
{
    for (size_t i = 0; i < ovs->n_attaches; i++) {
        const struct ovs_attach *a = &ovs->attaches[i];
        if (a->type[0]) {
            continue;
        }
        struct vswitch_iface *iface = vswitch_iface_find(ovs->vs, a->ifname);
        bool down = (iface && iface->ofport > 0 && iface->admin_state
                     && !strcmp(iface->admin_state, "down"));
        vswitch_iface_free(iface);
        if (!down || (!ovs->rtnl && rtnl_open(-1, &ovs->rtnl))) {
            continue;
        }

        struct rtnl_link_info info;
        if (!rtnl_link_get(ovs->rtnl, a->ifname, &info)) {
            if (!info.admin_up && info.alias
                && !strncmp(info.alias, "vplug:", 6)) {
                VLOG_INFO("'%s' on '%s' went down after it was attached "
                          "(ovs-vswitchd still had a deleted device of that "
                          "name): setting it up again", a->ifname, a->bridge);
                rtnl_link_set_up(ovs->rtnl, a->ifname, true);
            }
            rtnl_link_info_uninit(&info);
        }
    }
}

/* Waits until ovs-vswitchd applied 'next_cfg' and every attached port and
 * created bridge is ready, or the deadline. */
static int
wait_ready(struct ovs_backend *ovs, long long int next_cfg, char **errp)
{
    const struct vplug_ctx *ctx = ovs->up.ctx;
    int error = wait_cur_cfg(ovs, next_cfg, errp);
    if (error) {
        return error;
    }

    for (;;) {
        unsigned int seqno = vswitch_get_seqno(ovs->vs);
        bool admin_down = false;
        char *why = NULL;

        for (size_t i = 0; !error && i < ovs->n_new_bridges; i++) {
            const char *name = ovs->new_bridges[i].name;
            error = iface_ready(ovs, name, name, true, &admin_down, &why,
                                errp);
        }
        for (size_t i = 0; !error && i < ovs->n_attaches; i++) {
            const struct ovs_attach *a = &ovs->attaches[i];
            error = iface_ready(ovs, a->bridge, a->ifname, false,
                                &admin_down, &why, errp);
        }
        if (error != EAGAIN) {
            return error;
        }
        if (admin_down) {
            reassert_up(ovs);
        }
        if (vswitch_wait_change(ovs->vs, seqno, ctx->deadline)) {
            *errp = xasprintf("%s (gave up after --timeout=%g)", why,
                              timeout_sec(ctx));
            free(why);
            return ETIMEDOUT;
        }
        free(why);
        error = 0;
    }
}

/* Whether 'ovs''s commit may share its transaction: it only attaches ports
 * to existing bridges and its caller allows it. */
static bool
can_share(const struct ovs_backend *ovs)
{
    const struct vplug_ctx *ctx = ovs->up.ctx;
    return (ctx->share_commits && !ctx->dry_run && ovs->n_attaches
            && !ovs->n_new_bridges && !ovs->n_detaches && !ovs->removes.n);
}

/* Sends the transaction of everything queued so far, so that ovs-vswitchd
 * reconfigures while the engine finishes the kernel side; commit() then
 * waits.  Errors surface in commit(), which builds the transaction again
 * if this could not send it. */
static void
ovs_commit_start(struct vplug_backend *backend)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    struct vswitch_txn *txn;

    if (ovs->sent || backend->ctx->dry_run || !vswitch_is_ready(ovs->vs)
        || (!ovs->n_new_bridges && !ovs->n_attaches && !ovs->n_detaches
            && !ovs->removes.n)
        || can_share(ovs)) {
        /* A commit that may share its transaction waits for commit(). */
        return;
    }
    char *ignored = NULL;
    if (!build_txn(ovs, &txn, &ignored)) {
        vswitch_txn_send(txn);
        ovs->sent = txn;
    }
    free(ignored);
}

/* After ovs-vswitchd failed to open some attached ports, gives each of them
 * that has a type left to fall back to its next type, in one transaction,
 * and records why for dataplane().  Returns true if it changed any (then
 * '*next_cfgp' is the configuration to wait for); false leaves '*errp'
 * alone. */
static bool
fall_back_port_types(struct ovs_backend *ovs, long long int *next_cfgp,
                     char **errp)
{
    struct vswitch_txn *txn = vswitch_txn_create(ovs->vs);
    bool changed = false;

    for (size_t i = 0; i < ovs->n_attaches; i++) {
        struct ovs_attach *a = &ovs->attaches[i];
        struct vswitch_iface *iface = vswitch_iface_find(ovs->vs, a->ifname);
        if (iface && iface->ofport < 0 && a->next_types) {
            char *rest = a->next_types;
            char *comma = strchr(rest, ',');
            char *next = xmemdup0(rest, comma ? comma - rest : strlen(rest));
            a->next_types = comma ? xstrdup(comma + 1) : NULL;
            free(rest);

            char *note = xasprintf("%s\tport type %s does not work for "
                                   "'%s' (%s), so it uses %s",
                                   a->bridge, *a->type ? a->type : "system",
                                   a->ifname,
                                   iface->error ? iface->error
                                   : "no OpenFlow port", next);
            VLOG_INFO("%s", strchr(note, '\t') + 1);
            svec_add_nocopy(&ovs->type_notes, note);

            free(a->type);
            a->type = xstrdup(db_port_type(next));
            free(next);
            vswitch_txn_set_iface_type(txn, iface->uuid, a->type);
            changed = true;
        }
        vswitch_iface_free(iface);
    }

    if (changed) {
        char *why = NULL;
        int error = vswitch_txn_commit(txn, ovs->up.ctx->deadline, next_cfgp,
                                       &why);
        if (error) {
            free(*errp);
            *errp = why;
            changed = false;
        }
    }
    vswitch_txn_destroy(txn);
    return changed;
}

/* The integration bridge that ovn-controller manages here, as the
 * Open_vSwitch row 'root' says (external_ids:ovn-remote set; ovn-bridge,
 * default br-int), or NULL if no ovn-controller is configured. */
static const char *
ovn_bridge(const struct vswitch_root *root)
{
    return (smap_get(&root->external_ids, "ovn-remote")
            ? smap_get_def(&root->external_ids, "ovn-bridge", "br-int")
            : NULL);
}

static void
add_ovn_wait(struct ovs_backend *ovs, const char *bridge, const char *ifname,
             const char *iface_id)
{
    for (size_t i = 0; i < ovs->n_ovn_waits; i++) {
        if (!strcmp(ovs->ovn_waits[i].ifname, ifname)) {
            return;
        }
    }
    ovs->ovn_waits = xrealloc(ovs->ovn_waits, (ovs->n_ovn_waits + 1)
                              * sizeof *ovs->ovn_waits);
    ovs->ovn_waits[ovs->n_ovn_waits++] = (struct ovs_ovn_wait) {
        .bridge = xstrdup(bridge),
        .ifname = xstrdup(ifname),
        .iface_id = xstrdup(iface_id),
    };
}

/* Records, for settle(), the ports with an iface-id on the bridge that
 * ovn-controller manages: every end of 'topo' on that bridge (as an OVS
 * switch) whose Interface is in the database, whether this run attached it
 * or an earlier one did. */
static void
collect_ovn_waits(struct ovs_backend *ovs, const struct topology *topo)
{
    struct vswitch_root root;

    if (vswitch_get_root(ovs->vs, &root)) {
        return;
    }
    const char *br_int = ovn_bridge(&root);
    const struct topo_switch *sw = (br_int
                                    ? topology_find_switch(topo, br_int)
                                    : NULL);
    for (size_t i = 0; sw && sw->kind == TOPO_SW_OVS && i < topo->n_links;
         i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &topo->links[i].ends[j];
            if (!end->sw || strcmp(end->sw, br_int)) {
                continue;
            }
            for (size_t k = 0; k < end->n_external_ids; k++) {
                const struct topo_kv *kv = &end->external_ids[k];
                struct vswitch_iface *iface;
                if (!strcmp(kv->key, "iface-id")
                    && (iface = vswitch_iface_find(ovs->vs, end->ifname))) {
                    add_ovn_wait(ovs, br_int, end->ifname, kv->value);
                    vswitch_iface_free(iface);
                }
            }
        }
    }
    vswitch_root_destroy(&root);
}

static bool
ovn_installed(const struct ovs_backend *ovs, const struct ovs_ovn_wait *w)
{
    struct vswitch_iface *iface = vswitch_iface_find(ovs->vs, w->ifname);
    bool installed = (iface && smap_get_bool(&iface->external_ids,
                                             "ovn-installed", false));
    vswitch_iface_free(iface);
    return installed;
}

/* The sentence for port 'w' that OVN did not install in time. */
static char *
why_not_installed(const struct ovs_backend *ovs, const struct ovs_ovn_wait *w)
{
    const struct vplug_ctx *ctx = ovs->up.ctx;
    struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, w->bridge);
    struct vswitch_root root;

    vswitch_get_root(ovs->vs, &root);
    struct ovn_local_view view = {
        .system_id = smap_get(&root.external_ids, "system-id"),
        .sb_remote = smap_get(&root.external_ids, "ovn-remote"),
        .bridge = w->bridge,
        .controller_seen = br && ovn_bridge_ids_show_controller(
                                     &br->external_ids),
    };
    char *cause = ovn_why_not_installed(&view, w->iface_id);
    char *why = xasprintf("port '%s' on %s has iface-id %s but "
                          "ovn-controller did not mark it ovn-installed "
                          "within %g s: %s", w->ifname, w->bridge,
                          w->iface_id, timeout_sec(ctx), cause);
    free(cause);
    vswitch_root_destroy(&root);
    vswitch_bridge_free(br);
    return why;
}

/* Waits until OVN installed every port of the last commit that it is to
 * bind, within ctx->deadline, on the poll loop (vswitch_wait_change()):
 * the caller's thread blocks, no other. */
static int
ovs_settle(struct vplug_backend *backend, const struct topology *topo,
           char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    const struct vplug_ctx *ctx = backend->ctx;
    long long int start = time_msec();
    int error = 0;

    *errp = NULL;
    collect_ovn_waits(ovs, topo);
    for (size_t i = 0; i < ovs->n_ovn_waits; ) {
        unsigned int seqno = vswitch_get_seqno(ovs->vs);
        if (ovn_installed(ovs, &ovs->ovn_waits[i])) {
            i++;
        } else if (vswitch_wait_change(ovs->vs, seqno, ctx->deadline)) {
            *errp = why_not_installed(ovs, &ovs->ovn_waits[i]);
            error = ETIMEDOUT;
            break;
        }
    }
    if (!error && ovs->n_ovn_waits) {
        VLOG_INFO("%zu port%s installed by ovn-controller in %lld ms",
                  ovs->n_ovn_waits, ovs->n_ovn_waits == 1 ? "" : "s",
                  time_msec() - start);
    }
    clear_ovn_waits(ovs);
    return error;
}


/* The leader's work for 'batch' (of ovs_group_member, its own first): one
 * transaction, built on the leader's replica, with every member's attaches;
 * a member whose ports conflict gets its error and stays out.  Rebuilds
 * when the database changed under it, as ovs_commit() does.  Once the
 * transaction is in, waits for ovs-vswitchd to apply it, so that the
 * commits that queue up meanwhile go out together in the next one. */
static void
lead_group(struct ovs_backend *leader, struct ovs_list *batch)
{
    const struct vplug_ctx *ctx = leader->up.ctx;
    struct ovs_group_member *m;
    long long int next_cfg = 0;
    char *why = NULL;
    size_t n_in = 0;
    int error = 0;

    for (int try = 1; ; try++) {
        /* The leader waited for the previous group without reading its
         * connection: catch up first, or its guards see the ports that
         * group added as a change and the transaction comes back to be
         * tried again. */
        vswitch_run(leader->vs);
        unsigned int seqno = vswitch_get_seqno(leader->vs);
        struct vswitch_txn *txn = vswitch_txn_create(leader->vs);
        n_in = 0;
        LIST_FOR_EACH (m, node, batch) {
            if (m->decided) {
                continue;
            }
            m->error = build_attaches(m->ovs, leader->vs, NULL, &m->why);
            if (m->error) {
                m->decided = true;
            } else {
                build_attaches(m->ovs, leader->vs, txn, &why);
                n_in++;
            }
        }
        if (!n_in) {
            vswitch_txn_destroy(txn);
            return;
        }
        error = vswitch_txn_commit(txn, ctx->deadline, &next_cfg, &why);
        vswitch_txn_destroy(txn);
        if (error != EAGAIN) {
            break;
        }
        free(why);
        why = NULL;
        if (try >= MAX_TRIES) {
            why = xasprintf("ovsdb-server at %s: the database kept changing "
                            "during %d attempts", ctx->db_remote, try);
            break;
        }
        vswitch_wait_change(leader->vs, seqno,
                            MIN(ctx->deadline, time_msec() + 200));
    }

    if (!error) {
        VLOG_DBG("%zu commit%s shared one transaction", n_in,
                 n_in == 1 ? "" : "s");
        char *ignored = NULL;
        wait_cur_cfg(leader, next_cfg, &ignored);
        free(ignored);  /* Each member's own wait says it, if it must. */
    }
    LIST_FOR_EACH (m, node, batch) {
        if (m->decided) {
            continue;
        }
        m->decided = true;
        if (!error) {
            m->next_cfg = next_cfg;
        } else if (n_in > 1) {
            m->solo = true;
        } else {
            m->error = error;
            m->why = why;
            why = NULL;
        }
    }
    free(why);
}

/* Before a leader takes its batch: waits until every commit that was on its
 * way when it came (opened, with its kernel work still to finish) has come
 * or given up, for at most GATHER_MAX_MS.  The commits that start meanwhile
 * are not waited for, so that a steady stream of plugs cannot hold a leader
 * back; those that come in time still join. */
static void
gather(long long int deadline)
    OVS_REQUIRES(group.mutex)
{
    unsigned long long int before = group.next_ticket;
    long long int start = time_msec();
    long long int until = MIN(deadline, start + GATHER_MAX_MS);
    bool waited = false;

    while (!ovs_list_is_empty(&group.coming) && time_msec() < until) {
        const struct ovs_backend *oldest
            = CONTAINER_OF(ovs_list_front(&group.coming), struct ovs_backend,
                           coming_node);
        if (oldest->ticket >= before) {
            break;
        }
        vplug_cond_wait_until(&group.cond, &group.mutex, until);
        waited = true;
    }
    if (waited) {
        VLOG_DBG("waited %lld ms for the commits on their way",
                 time_msec() - start);
    }
}

/* Group commit of attaches (a compute node booting 20 VMs sends 20 plugs at
 * once): ovs-vswitchd reconfigures once per transaction, about 25 ms each
 * on the userspace datapath whatever the number of ports, so 20
 * transactions cost 20 times what one costs.  The first commit to come
 * leads: it waits for the commits already on their way (gather()), sends
 * one transaction for all that came and waits for ovs-vswitchd to apply
 * it; the commits that come meanwhile wait, and the first of them leads
 * them all in the next transaction.  A lone commit goes out at once, as
 * before.
 *
 * Returns true if 'ovs''s attaches are in (or failed for good): then
 * '*next_cfgp' or the error and '*errp' stand.  Returns false if the caller
 * commits alone. */
static bool
group_commit(struct ovs_backend *ovs, long long int *next_cfgp, int *errorp,
             char **errp)
{
    struct ovs_group_member me = { .ovs = ovs };

    ovs_mutex_lock(&group.mutex);
    stop_coming__(ovs);
    ovs_list_push_back(&group.queue, &me.node);
    if (group.busy) {
        VLOG_DBG("%s: waits to share a transaction", ovs->up.ctx->owner);
    }
    while (!me.done && group.busy) {
        ovs_mutex_cond_wait(&group.cond, &group.mutex);
    }
    if (!me.done) {
        struct ovs_list batch;
        group.busy = true;
        gather(ovs->up.ctx->deadline);
        ovs_list_init(&batch);
        ovs_list_splice(&batch, ovs_list_front(&group.queue), &group.queue);
        ovs_mutex_unlock(&group.mutex);

        lead_group(ovs, &batch);

        ovs_mutex_lock(&group.mutex);
        group.busy = false;
        /* Members are on their threads' stacks: off the list before they
         * return. */
        struct ovs_group_member *m;
        LIST_FOR_EACH_POP (m, node, &batch) {
            ovs_list_init(&m->node);
            m->done = true;
        }
        xpthread_cond_broadcast(&group.cond);
    }
    ovs_mutex_unlock(&group.mutex);

    if (me.solo) {
        return false;
    }
    *next_cfgp = me.next_cfg;
    *errorp = me.error;
    *errp = me.why;
    return true;
}

static int
ovs_commit(struct vplug_backend *backend, char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    const struct vplug_ctx *ctx = backend->ctx;
    long long int next_cfg = 0;
    int error;

    *errp = NULL;
    bool may_share = !ovs->sent && can_share(ovs);
    if (!may_share) {
        stop_coming(ovs);
    }
    if (!ovs->n_new_bridges && !ovs->n_attaches && !ovs->n_detaches
        && !ovs->removes.n) {
        return 0;
    }

    /* Only what was added has to become ready.  Removals are done once the
     * database has them: ovs-vswitchd deletes datapath ports one at a time
     * (about 12 ms each with 1000 ports on the userspace datapath), and
     * nothing of ours depends on when it finishes. */
    bool wait = ovs->n_new_bridges || ovs->n_attaches;
    bool removes_bridge = ovs->removes.n > 0;

    error = ensure_ready(ovs, errp);
    if (error) {
        stop_coming(ovs);
    }
    bool shared = (!error && may_share
                   && group_commit(ovs, &next_cfg, &error, errp));
    for (int try = 1; !error && !shared; try++) {
        struct vswitch_txn *txn = ovs->sent;
        unsigned int seqno = vswitch_get_seqno(ovs->vs);

        ovs->sent = NULL;
        if (!txn) {
            error = build_txn(ovs, &txn, errp);
            if (error) {
                break;
            }
        }
        if (ctx->dry_run) {
            VLOG_INFO("dry run: would send %zu operations",
                      vswitch_txn_n_ops(txn));
            vswitch_txn_destroy(txn);
            clear_queue(ovs);
            return 0;
        }
        error = vswitch_txn_commit(txn, ctx->deadline, &next_cfg, errp);
        vswitch_txn_destroy(txn);
        if (error != EAGAIN) {
            break;
        }

        /* The database changed under us: let the replica catch up (it may
         * have already), rebuild and retry. */
        free(*errp);
        *errp = NULL;
        if (try >= MAX_TRIES) {
            *errp = xasprintf("ovsdb-server at %s: the database kept "
                              "changing during %d attempts", ctx->db_remote,
                              try);
            break;
        }
        VLOG_DBG("transaction try %d raced with another client", try);
        vswitch_wait_change(ovs->vs, seqno,
                            MIN(ctx->deadline, time_msec() + 200));
        error = 0;
    }

    if (!error && wait) {
        error = wait_ready(ovs, next_cfg, errp);
        while (error == EIO && fall_back_port_types(ovs, &next_cfg, errp)) {
            free(*errp);
            *errp = NULL;
            error = wait_ready(ovs, next_cfg, errp);
        }
    } else if (!error && removes_bridge) {
        /* A removed bridge takes kernel devices of ovs-vswitchd's with it
         * (its internal port, the userspace datapath's tap): give it a
         * moment to catch up, so that a small destroy leaves the kernel as
         * it was, without waiting for a large one's port removals. */
        struct vplug_ctx *c = ovs->up.ctx;
        long long int deadline = c->deadline;
        char *ignored = NULL;
        c->deadline = MIN(deadline, time_msec() + REMOVE_GRACE_MS);
        wait_cur_cfg(ovs, next_cfg, &ignored);
        c->deadline = deadline;
        free(ignored);
    }
    clear_queue(ovs);
    return error;
}

/* What ovs-vswitchd's userspace datapath does with the TCP of a veth: with
 * userspace TSO (other_config:userspace-tso-enable=true in the database when
 * ovs-vswitchd started) it takes and hands over large segments with their
 * checksums still to do, so both veth ends keep their TX offloads; without
 * it, it completes no partial checksum, so the namespace end must compute
 * its own, and TCP then runs at about a Gbit/s.
 *
 * The database cannot tell which: the setting is read only at start.  What
 * ovs-vswitchd really runs with shows on the packet socket it opened for a
 * plain port: it asks for a virtio-net header (PACKET_VNET_HDR) exactly when
 * userspace TSO is on (lib/netdev-linux.c), and the kernel reports that
 * flag through sock_diag.  Ports of other types (AF_XDP) take no offloads
 * in OVS 3.1, and where no socket is found TX checksums are turned off too,
 * which always works. */
static int
ovs_dataplane(struct vplug_backend *backend, const struct topo_switch *sw,
              const char *port, bool *tx_csum_offp, char **notep,
              char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    int error;

    *tx_csum_offp = false;
    *notep = NULL;
    *errp = NULL;
    error = ensure_ready(ovs, errp);
    if (error) {
        return error;
    }

    struct vswitch_bridge *br = vswitch_bridge_find(ovs->vs, sw->name);
    bool netdev = br && !strcmp(br->datapath_type, "netdev");
    vswitch_bridge_free(br);
    if (!netdev) {
        /* The kernel datapath completes checksums and segments itself. */
        return 0;
    }

    struct vswitch_iface *iface = vswitch_iface_find(ovs->vs, port);
    char *type = xstrdup(iface ? iface->type : "");
    vswitch_iface_free(iface);

    int n_sockets = 0, n_vnet_hdr = 0;
    unsigned int ifindex = if_nametoindex(port);
    if (!*type && ifindex) {
        error = packet_diag_count(ifindex, &n_sockets, &n_vnet_hdr);
        if (error) {
            VLOG_WARN("cannot list the packet sockets of '%s': %s", port,
                      ovs_strerror(error));
            n_sockets = n_vnet_hdr = 0;
        }
    }

    /* The port type fallbacks of this switch, then what limits TCP. */
    struct ds note = DS_EMPTY_INITIALIZER;
    size_t sw_len = strlen(sw->name);
    for (size_t i = 0; i < ovs->type_notes.n; i++) {
        const char *n = ovs->type_notes.names[i];
        if (!strncmp(n, sw->name, sw_len) && n[sw_len] == '\t') {
            ds_put_format(&note, "%s%s", note.length ? "; " : "",
                          n + sw_len + 1);
        }
    }

    *tx_csum_offp = true;
    if (n_vnet_hdr) {
        *tx_csum_offp = false;
    } else if (n_sockets) {
        *notep = xstrdup("ovs-vswitchd runs without userspace TSO: TCP is "
                         "limited to ~1 Gbit/s; set "
                         "other_config:userspace-tso-enable=true and "
                         "restart ovs-vswitchd");
    } else if (*type) {
        /* OVS 3.1 offloads nothing to or from AF_XDP and tap ports
         * (measured: TCP fails with TX checksum offload on). */
        *notep = xasprintf("its %s ports take no offloads: TX checksum "
                           "offload is off on the namespace ends; plain "
                           "ports with userspace TSO carry TCP faster",
                           type);
    } else {
        *notep = xasprintf("cannot tell whether ovs-vswitchd runs with "
                           "userspace TSO (no packet socket on its port "
                           "'%s'): TX checksum offload is off on the "
                           "namespace ends, which limits TCP to ~1 Gbit/s",
                           port);
    }
    if (note.length) {
        if (*notep) {
            ds_put_format(&note, "; %s", *notep);
            free(*notep);
        }
        *notep = ds_steal_cstr(&note);
    }
    ds_destroy(&note);
    free(type);
    return 0;
}

static int
ovs_remove_stale_ports(struct vplug_backend *backend,
                       const struct svec *ifnames, char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    const struct vplug_ctx *ctx = backend->ctx;
    struct vswitch_txn *txn = NULL;
    int error = 0;

    *errp = NULL;
    for (size_t i = 0; i < ifnames->n; i++) {
        const char *ifname = ifnames->names[i];
        struct vswitch_port *port = vswitch_port_find(ovs->vs, ifname);
        if (port && port->bridge && owned_by(&port->external_ids,
                                             ctx->owner)) {
            if (!txn) {
                txn = vswitch_txn_create(ovs->vs);
            }
            vswitch_txn_wait_exists(txn, "Port", port->uuid, port->name);
            vswitch_txn_del_port(txn, port->bridge, port->uuid);
            VLOG_DBG("%s: removing port %s, its device is gone", ctx->owner,
                     ifname);
        }
        vswitch_port_free(port);
    }
    if (txn) {
        /* ovs-vswitchd must have closed the old ports before the repair
         * adds them again: a removal and an addition of the same name that
         * it sees at once are no change to it. */
        long long int next_cfg, cur_cfg;
        char *why = NULL;
        error = vswitch_txn_commit(txn, ctx->deadline, &next_cfg, &why);
        if (error) {
            *errp = xasprintf("cannot remove ports whose devices are gone: "
                              "%s", why ? why : "unknown error");
        } else {
            error = vswitch_wait_cur_cfg(ovs->vs, next_cfg, ctx->deadline,
                                         &cur_cfg);
            if (error) {
                *errp = xasprintf("ovs-vswitchd did not remove the ports "
                                  "whose devices are gone (cur_cfg stays at "
                                  "%lld while next_cfg is %lld)", cur_cfg,
                                  next_cfg);
            }
        }
        free(why);
        vswitch_txn_destroy(txn);
    }
    return error;
}

static int
compare_ports(const void *a_, const void *b_)
{
    const struct vplug_port_info *a = a_;
    const struct vplug_port_info *b = b_;
    return strcmp(a->ifname, b->ifname);
}

static int
ovs_list(struct vplug_backend *backend, const char *owner,
         struct vplug_switch_info **infosp, size_t *n_infosp, char **errp)
{
    struct ovs_backend *ovs = ovs_backend_cast(backend);
    struct vplug_switch_info *infos = NULL;
    size_t n_infos = 0;
    struct vswitch_bridge **bridges;
    size_t n_bridges;
    int error;

    *errp = NULL;
    *infosp = NULL;
    *n_infosp = 0;
    error = ensure_ready(ovs, errp);
    if (error) {
        return error;
    }

    vswitch_bridges_list(ovs->vs, &bridges, &n_bridges);
    for (size_t i = 0; i < n_bridges; i++) {
        const struct vswitch_bridge *br = bridges[i];
        const char *br_owner = owner_of(&br->external_ids);
        bool match = owner ? owned_by(&br->external_ids, owner) : !!br_owner;
        struct vplug_port_info *ports = xcalloc(br->ports.n + 1,
                                                sizeof *ports);
        size_t n_ports = 0;

        for (size_t j = 0; j < br->ports.n; j++) {
            struct vswitch_port *port = vswitch_port_get(ovs->vs,
                                                         br->ports.names[j]);
            if (!port || !strcmp(port->name, br->name)) {
                vswitch_port_free(port);
                continue;       /* The bridge's own internal port. */
            }
            const char *p_owner = owner_of(&port->external_ids);
            match |= owner ? owned_by(&port->external_ids, owner)
                           : !!p_owner;

            struct vplug_port_info *pi = &ports[n_ports++];
            pi->ifname = xstrdup(port->name);
            pi->owner = nullable_xstrdup(p_owner);
            pi->vlan = port->tag;
            pi->ofport = -1;
            if (port->interfaces.n) {
                struct vswitch_iface *iface
                    = vswitch_iface_get(ovs->vs, port->interfaces.names[0]);
                if (iface && iface->ofport > 0) {
                    pi->ofport = iface->ofport;
                }
                vswitch_iface_free(iface);
            }
            vswitch_port_free(port);
        }

        if (!match) {
            for (size_t j = 0; j < n_ports; j++) {
                free(ports[j].ifname);
                free(ports[j].owner);
            }
            free(ports);
            continue;
        }
        qsort(ports, n_ports, sizeof *ports, compare_ports);
        infos = xrealloc(infos, (n_infos + 1) * sizeof *infos);
        struct vplug_switch_info *info = &infos[n_infos++];
        info->name = xstrdup(br->name);
        info->variant = variant_for(br->datapath_type);
        info->owner = nullable_xstrdup(br_owner);
        info->ports = ports;
        info->n_ports = n_ports;
    }
    vswitch_bridges_free(bridges, n_bridges);

    *infosp = infos;
    *n_infosp = n_infos;
    return 0;
}

const struct vplug_backend_class vplug_ovs_backend = {
    .name = "ovs",
    .open = ovs_open,
    .close = ovs_close,
    .probe = ovs_probe,
    .ensure_switch = ovs_ensure_switch,
    .attach = ovs_attach,
    .detach = ovs_detach,
    .remove_switch = ovs_remove_switch,
    .abort = ovs_backend_abort,
    .commit_start = ovs_commit_start,
    .commit = ovs_commit,
    .settle = ovs_settle,
    .remove_stale_ports = ovs_remove_stale_ports,
    .dataplane = ovs_dataplane,
    .list = ovs_list,
};
