/* Typed access to the Open_vSwitch database on top of ovsdb-idl and the
 * generated vswitch-idl. */
#include <config.h>
#include "vswitch.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "latch.h"
#include "ovs-thread.h"
#include "ovsdb-idl.h"
#include "lib/vswitch-idl.h"
#include "smap.h"
#include "stream-ssl.h"
#include "svec.h"
#include "timeval.h"
#include "util.h"
#include "uuid.h"
#include "vplug-util.h"

VLOG_DEFINE_THIS_MODULE(vswitch);

/* What a vswitch shared by threads has (vswitch_create_shared()). */
struct vswitch_shared {
    struct ovs_mutex mutex;     /* Recursive: guards everything in the
                                 * vswitch. */
    unsigned int depth;         /* How many times its owner holds it. */
    pthread_cond_t cond;        /* Broadcast after each run of the IDL. */
    struct latch latch;         /* Wakes the IDL's thread. */
    bool exiting;               /* Tells the IDL's thread to end. */
    pthread_t thread;
};

struct vswitch {
    struct ovsdb_idl *idl;
    struct vswitch_shared *sh;  /* NULL unless shared by threads. */
    char *remote;
    bool retry;                 /* Keep reconnecting (a daemon). */
    bool reopened;              /* A one-shot IDL was made again once. */
    struct vswitch_txn *building;       /* Under construction, or NULL. */

    /* Connection bookkeeping, updated by vswitch_update(). */
    struct ovsdb_idl_txn **zombies;     /* Sent transactions to destroy
                                         * once none is being built. */
    size_t n_zombies;
    bool connected;             /* As of the last ovsdb_idl_run(). */
    bool synced;                /* The replica arrived on this connection. */
    unsigned int connect_seqno; /* IDL seqno when it connected. */
    bool was_ready;
    unsigned int n_connects;
    char *last_error;           /* Or NULL. */

    /* 0 while the replica has cur_cfg caught up with next_cfg; the time
     * this replica saw cur_cfg fall behind after it had been caught up; or
     * LLONG_MIN if behind since it arrived (since when, nobody here
     * knows). */
    long long int behind_since;
};

/* A bridge inserted by a transaction: its ports are written once, when the
 * transaction is sent (a partial update of a row that does not exist yet
 * is not something to rely on). */
struct vswitch_new_bridge {
    const struct ovsrec_bridge *row;
    struct ovsrec_port **ports;
    size_t n_ports;
};

struct vswitch_txn {
    struct vswitch *vs;
    struct ovsdb_idl_txn *txn;
    size_t n_ops;               /* Operations added (guards included). */
    bool sent;                  /* First ovsdb_idl_txn_commit() done. */
    bool finished;              /* vswitch_txn_commit() took the answer. */
    bool stale;                 /* A guard failed already when built. */
    bool verified_bridges;      /* Root's bridges verified. */
    bool verified_ports;        /* Every bridge's ports verified. */
    enum ovsdb_idl_txn_status status;   /* Of the last commit call. */
    char *error;                /* A failure found when sending, or NULL. */

    struct vswitch_new_bridge *new_bridges;
    size_t n_new_bridges;
};

/* The columns vplug monitors.  next_cfg changes with every commit anyone
 * makes and matters only with cur_cfg, whose change does alert. */
static const struct ovsdb_idl_column *const monitored[] = {
    &ovsrec_open_vswitch_col_next_cfg,
    &ovsrec_open_vswitch_col_cur_cfg,
    &ovsrec_open_vswitch_col_bridges,
    &ovsrec_open_vswitch_col_datapath_types,
    &ovsrec_open_vswitch_col_external_ids,
    &ovsrec_bridge_col_name,
    &ovsrec_bridge_col_ports,
    &ovsrec_bridge_col_datapath_type,
    &ovsrec_bridge_col_fail_mode,
    &ovsrec_bridge_col_external_ids,
    &ovsrec_port_col_name,
    &ovsrec_port_col_interfaces,
    &ovsrec_port_col_tag,
    &ovsrec_port_col_external_ids,
    &ovsrec_interface_col_name,
    &ovsrec_interface_col_type,
    &ovsrec_interface_col_ofport,
    &ovsrec_interface_col_error,
    &ovsrec_interface_col_link_state,
    &ovsrec_interface_col_admin_state,
    &ovsrec_interface_col_external_ids,
};

/* The client. */

static struct ovsdb_idl *
create_idl(const char *remote, bool retry)
{
    struct ovsdb_idl *idl = ovsdb_idl_create(remote, &ovsrec_idl_class,
                                             false, retry);
    ovsdb_idl_set_leader_only(idl, true);
    for (size_t i = 0; i < ARRAY_SIZE(monitored); i++) {
        ovsdb_idl_add_column(idl, monitored[i]);
    }
    ovsdb_idl_omit_alert(idl, &ovsrec_open_vswitch_col_next_cfg);
    return idl;
}

struct vswitch *
vswitch_create(const char *remote, bool retry)
{
    struct vswitch *vs = xzalloc(sizeof *vs);

    vs->remote = xstrdup(remote);
    vs->retry = retry;
    vs->behind_since = LLONG_MIN;
    vs->idl = create_idl(remote, retry);
    return vs;
}

/* Locking of a shared vswitch: every public function takes the mutex (the
 * builder of a transaction holds it from vswitch_txn_create() until the
 * transaction is sent or destroyed), so that a reader never sees the IDL
 * halfway through an update. */
static void
vs_lock(const struct vswitch *vs_)
{
    struct vswitch *vs = CONST_CAST(struct vswitch *, vs_);
    if (vs->sh) {
        ovs_mutex_lock(&vs->sh->mutex);
        vs->sh->depth++;
    }
}

static void
vs_unlock(const struct vswitch *vs_)
{
    struct vswitch *vs = CONST_CAST(struct vswitch *, vs_);
    if (vs->sh) {
        vs->sh->depth--;
        ovs_mutex_unlock(&vs->sh->mutex);
    }
}

static void vswitch_update__(struct vswitch *);

/* The thread of a shared vswitch: runs the IDL, and after each run wakes
 * whoever waits for a change, an answer or the connection. */
static void *
shared_main(void *vs_)
{
    struct vswitch *vs = vs_;
    struct vswitch_shared *sh = vs->sh;

    for (;;) {
        vs_lock(vs);
        if (sh->exiting) {
            vs_unlock(vs);
            return NULL;
        }
        vswitch_update__(vs);
        ovsdb_idl_wait(vs->idl);
        latch_wait(&sh->latch);
        xpthread_cond_broadcast(&sh->cond);
        vs_unlock(vs);

        poll_block();
        latch_poll(&sh->latch);
    }
}

struct vswitch *
vswitch_create_shared(const char *remote)
{
    struct vswitch *vs = vswitch_create(remote, true);
    struct vswitch_shared *sh = xzalloc(sizeof *sh);

    ovs_mutex_init_recursive(&sh->mutex);
    vplug_cond_init_monotonic(&sh->cond);   /* The deadlines' clock. */
    latch_init(&sh->latch);
    /* As a daemon's connection that its owner ran once: a first user
     * learns at once that the remote cannot be reached (see
     * vswitch_wait_ready()). */
    vswitch_update__(vs);
    vs->sh = sh;
    sh->thread = ovs_thread_create("vswitch-shared", shared_main, vs);
    return vs;
}

/* Waits until the IDL's thread has run the IDL again, or 'deadline',
 * giving up meanwhile every hold this thread has on the mutex.  Never while
 * this thread builds a transaction: the IDL cannot run then. */
static void
shared_block(struct vswitch *vs, long long int deadline)
{
    struct vswitch_shared *sh = vs->sh;
    unsigned int depth = sh->depth;

    ovs_assert(depth >= 1 && !vs->building);
    for (unsigned int i = 1; i < depth; i++) {
        ovs_mutex_unlock(&sh->mutex);
    }
    sh->depth = 0;
    vplug_cond_wait_until(&sh->cond, &sh->mutex, deadline);
    sh->depth = depth;
    for (unsigned int i = 1; i < depth; i++) {
        ovs_mutex_lock(&sh->mutex);
    }
}

/* Returns true if 'remotes' (a comma-separated list) has an "ssl:" one. */
static bool
has_ssl_remote(const char *remotes)
{
    for (const char *p = remotes; p; p = strchr(p, ',')) {
        p += *p == ',';
        p += strspn(p, " ");
        if (!strncmp(p, "ssl:", 4)) {
            return true;
        }
    }
    return false;
}

bool
vswitch_ssl_option(int option, int bootstrap_option, const char *arg,
                   struct vswitch_ssl_opts *opts)
{
    if (option == 'p') {
        stream_ssl_set_private_key_file(arg);
        opts->private_key = true;
    } else if (option == 'c') {
        stream_ssl_set_certificate_file(arg);
        opts->certificate = true;
    } else if (option == 'C' || option == bootstrap_option) {
        stream_ssl_set_ca_cert_file(arg, option == bootstrap_option);
        opts->ca_cert = true;
    } else {
        return false;
    }
    return true;
}

char *
vswitch_check_ssl_options(const char *remote,
                          const struct vswitch_ssl_opts *opts)
{
    bool private_key = opts->private_key;
    bool certificate = opts->certificate;
    bool ca_cert = opts->ca_cert;

    if (!has_ssl_remote(remote) || (private_key && certificate && ca_cert)) {
        return NULL;
    }

    const char *missing[3];
    size_t n = 0;
    if (!private_key) {
        missing[n++] = "--private-key";
    }
    if (!certificate) {
        missing[n++] = "--certificate";
    }
    if (!ca_cert) {
        missing[n++] = "--ca-cert";
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_format(&s, "--db=%s needs ", remote);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&s, "%s%s", (i == 0 ? ""
                                   : i == n - 1 ? " and " : ", "),
                      missing[i]);
    }
    if (!ca_cert) {
        ds_put_cstr(&s, " (or --bootstrap-ca-cert)");
    }
    return ds_steal_cstr(&s);
}

/* Destroys the transactions whose destruction vswitch_txn_destroy()
 * deferred: destroying an IDL transaction ends the one under construction,
 * if any. */
static void
destroy_zombies(struct vswitch *vs)
{
    if (!vs->building) {
        for (size_t i = 0; i < vs->n_zombies; i++) {
            ovsdb_idl_txn_destroy(vs->zombies[i]);
        }
        free(vs->zombies);
        vs->zombies = NULL;
        vs->n_zombies = 0;
    }
}

void
vswitch_destroy(struct vswitch *vs)
{
    if (vs) {
        struct vswitch_shared *sh = vs->sh;
        if (sh) {
            vs_lock(vs);
            sh->exiting = true;
            latch_set(&sh->latch);
            vs_unlock(vs);
            xpthread_join(sh->thread, NULL);
            latch_destroy(&sh->latch);
            xpthread_cond_destroy(&sh->cond);
            ovs_mutex_destroy(&sh->mutex);
            free(sh);
            vs->sh = NULL;
        }
        ovs_assert(!vs->building);
        destroy_zombies(vs);
        ovsdb_idl_destroy(vs->idl);
        free(vs->remote);
        free(vs->last_error);
        free(vs);
    }
}

const char *
vswitch_get_remote(const struct vswitch *vs)
{
    return vs->remote;
}

static bool
is_ready(const struct vswitch *vs)
{
    return vs->connected && vs->synced;
}

bool
vswitch_is_ready(const struct vswitch *vs)
{
    vs_lock(vs);
    bool ready = is_ready(vs);
    vs_unlock(vs);
    return ready;
}

/* Returns the sentence for connection error 'error' (an errno or EOF). */
static char *
connect_error(const struct vswitch *vs, int error)
{
    if (error == EOF) {
        return xasprintf("connection to %s closed by the server", vs->remote);
    }
    return xasprintf("cannot connect to %s: %s", vs->remote,
                     ovs_retval_to_string(error));
}

/* Notes when cur_cfg fell behind next_cfg (see 'behind_since'). */
static void
update_behind(struct vswitch *vs)
{
    const struct ovsrec_open_vswitch *row = ovsrec_open_vswitch_first(vs->idl);
    if (!vs->synced || !row) {
        vs->behind_since = LLONG_MIN;
    } else if (row->cur_cfg >= row->next_cfg) {
        vs->behind_since = 0;
    } else if (!vs->behind_since) {
        vs->behind_since = time_msec();
    }
}

/* Runs the IDL, unless a transaction is under construction or the vswitch
 * is shared (its own thread runs it), and updates the connection
 * bookkeeping. */
static void
vswitch_update(struct vswitch *vs)
{
    if (!vs->sh) {
        vswitch_update__(vs);
    }
}

static void
vswitch_update__(struct vswitch *vs)
{
    if (vs->building) {
        return;
    }

    /* A connection is ready once the IDL's seqno changed on it: the IDL
     * bumps it for every monitor reply.  Until then its transactions come
     * back TRY_AGAIN at once, and the replica may be an old server's. */
    unsigned int seqno = ovsdb_idl_get_seqno(vs->idl);
    ovsdb_idl_run(vs->idl);
    bool connected = ovsdb_idl_is_connected(vs->idl);
    if (connected && !vs->connected) {
        vs->connect_seqno = seqno;
    }
    vs->connected = connected;
    vs->synced = (connected
                  && ovsdb_idl_get_seqno(vs->idl) != vs->connect_seqno);
    update_behind(vs);

    bool ready = is_ready(vs);
    if (ready && !vs->was_ready) {
        vs->n_connects++;
        free(vs->last_error);
        vs->last_error = NULL;
        VLOG_DBG("%s: connected, replica received", vs->remote);
    } else if (!ready) {
        int error = ovsdb_idl_get_last_error(vs->idl);
        if (error && (vs->was_ready || !vs->last_error)) {
            free(vs->last_error);
            vs->last_error = connect_error(vs, error);
            VLOG_DBG("%s", vs->last_error);
        } else if (error && vs->last_error) {
            /* A later attempt may fail for another reason. */
            char *msg = connect_error(vs, error);
            if (strcmp(msg, vs->last_error)) {
                free(vs->last_error);
                vs->last_error = msg;
                VLOG_DBG("%s", vs->last_error);
            } else {
                free(msg);
            }
        }
    }
    vs->was_ready = ready;
}

/* Waits in the poll loop for the IDL or 'deadline' (if shared, for the
 * IDL's thread to run it). */
static void
vswitch_block(struct vswitch *vs, long long int deadline)
{
    if (vs->sh) {
        shared_block(vs, deadline);
        return;
    }
    ovsdb_idl_wait(vs->idl);
    if (deadline != LLONG_MAX) {
        poll_timer_wait_until(deadline);
    }
    poll_block();
}

static int
vswitch_wait_ready__(struct vswitch *vs, long long int deadline, char **errp)
{
    /* A daemon's connection that was already failing when asked: its
     * owner's loop has been retrying, so say why now rather than stall
     * until the deadline. */
    bool failing = vs->retry && vs->last_error && !vswitch_is_ready(vs);

    *errp = NULL;
    if (vs->building && !is_ready(vs)) {
        /* The IDL cannot run until the transaction is sent. */
        *errp = xasprintf("%s: cannot wait for the connection while a "
                          "transaction is being built", vs->remote);
        return EBUSY;
    }
    for (;;) {
        vswitch_update(vs);
        if (vswitch_is_ready(vs)) {
            return 0;
        }

        int error = ovsdb_idl_get_last_error(vs->idl);
        if (failing && vs->last_error) {
            *errp = xstrdup(vs->last_error);
            return error > 0 ? error : ECONNRESET;
        } else if (!ovsdb_idl_is_alive(vs->idl) && error == EPROTO
                   && !vs->reopened && has_ssl_remote(vs->remote)) {
            /* With --bootstrap-ca-cert and no CA certificate yet, OVS's
             * first SSL connection saves the server's CA certificate and
             * then fails with EPROTO by design; the next one uses it.  A
             * one-shot IDL does not make that next one, so make it once
             * more. */
            VLOG_DBG("%s: %s, connecting once more", vs->remote,
                     ovs_strerror(error));
            vs->reopened = true;
            ovsdb_idl_destroy(vs->idl);
            vs->idl = create_idl(vs->remote, vs->retry);
            vs->connected = vs->synced = vs->was_ready = false;
            continue;
        } else if (!ovsdb_idl_is_alive(vs->idl)) {
            /* Every remote was tried (or the database is not there). */
            if (!error) {
                error = ENOENT;
            }
            *errp = (error == ENOENT && ovsdb_idl_is_connected(vs->idl)
                     ? xasprintf("%s has no database Open_vSwitch",
                                 vs->remote)
                     : connect_error(vs, error));
            return error == EOF ? ECONNRESET : error;
        } else if (time_msec() >= deadline) {
            *errp = (vs->last_error
                     ? xasprintf("timed out waiting for database "
                                 "Open_vSwitch at %s (%s)", vs->remote,
                                 vs->last_error)
                     : xasprintf("timed out waiting for database "
                                 "Open_vSwitch at %s", vs->remote));
            return ETIMEDOUT;
        }
        vswitch_block(vs, deadline);
    }
}

int
vswitch_wait_ready(struct vswitch *vs, long long int deadline, char **errp)
{
    vs_lock(vs);
    int result = vswitch_wait_ready__(vs, deadline, errp);
    vs_unlock(vs);
    return result;
}

static char *
vswitch_check_schema__(const struct vswitch *vs)
{
    for (size_t i = 0; i < ARRAY_SIZE(monitored); i++) {
        const struct ovsdb_idl_column *column = monitored[i];
        const struct ovsdb_idl_table_class *tc
            = ovsdb_idl_table_class_from_column(ovsdb_idl_get_class(vs->idl),
                                                column);
        if (!ovsdb_idl_server_has_table(vs->idl, tc)) {
            return xasprintf("database Open_vSwitch at %s has no table %s",
                             vs->remote, tc->name);
        } else if (!ovsdb_idl_server_has_column(vs->idl, column)) {
            return xasprintf("database Open_vSwitch at %s has no column %s "
                             "in table %s", vs->remote, column->name,
                             tc->name);
        }
    }
    return NULL;
}

char *
vswitch_check_schema(const struct vswitch *vs)
{
    vs_lock(vs);
    char *result = vswitch_check_schema__(vs);
    vs_unlock(vs);
    return result;
}

void
vswitch_run(struct vswitch *vs)
{
    vswitch_update(vs);
}

void
vswitch_wait(struct vswitch *vs)
{
    if (!vs->sh) {
        ovsdb_idl_wait(vs->idl);
    }
}

unsigned int
vswitch_get_n_connects(const struct vswitch *vs)
{
    vs_lock(vs);
    unsigned int n = vs->n_connects;
    vs_unlock(vs);
    return n;
}

const char *
vswitch_get_last_error(const struct vswitch *vs)
{
    return vs->last_error;
}

unsigned int
vswitch_get_seqno(const struct vswitch *vs)
{
    vs_lock(vs);
    unsigned int seqno = ovsdb_idl_get_seqno(vs->idl);
    vs_unlock(vs);
    return seqno;
}

static int
vswitch_wait_change__(struct vswitch *vs, unsigned int seqno,
                      long long int deadline)
{
    for (;;) {
        vswitch_update(vs);
        if (vswitch_get_seqno(vs) != seqno) {
            return 0;
        } else if (time_msec() >= deadline || vs->building) {
            return ETIMEDOUT;
        }
        vswitch_block(vs, deadline);
    }
}

int
vswitch_wait_change(struct vswitch *vs, unsigned int seqno,
                    long long int deadline)
{
    vs_lock(vs);
    int result = vswitch_wait_change__(vs, seqno, deadline);
    vs_unlock(vs);
    return result;
}

/* Returns the root row's cur_cfg, or 0 if there is none. */
static long long int
get_cur_cfg(const struct vswitch *vs)
{
    const struct ovsrec_open_vswitch *root
        = ovsrec_open_vswitch_first(vs->idl);
    return root ? root->cur_cfg : 0;
}

static int
vswitch_wait_cur_cfg__(struct vswitch *vs, long long int next_cfg,
                       long long int deadline, long long int *cur_cfgp)
{
    /* As ovs-vsctl --wait does. */
    for (;;) {
        vswitch_update(vs);
        *cur_cfgp = get_cur_cfg(vs);
        if (*cur_cfgp >= next_cfg) {
            return 0;
        } else if (time_msec() >= deadline || vs->building) {
            return ETIMEDOUT;
        }
        vswitch_block(vs, deadline);
    }
}

int
vswitch_wait_cur_cfg(struct vswitch *vs, long long int next_cfg,
                     long long int deadline, long long int *cur_cfgp)
{
    vs_lock(vs);
    int result = vswitch_wait_cur_cfg__(vs, next_cfg, deadline, cur_cfgp);
    vs_unlock(vs);
    return result;
}

/* Reading rows. */

static char *
uuid_to_string(const struct uuid *uuid)
{
    return xasprintf(UUID_FMT, UUID_ARGS(uuid));
}

static void
svec_add_uuid(struct svec *svec, const struct uuid *uuid)
{
    svec_add_nocopy(svec, uuid_to_string(uuid));
}

long long int
vswitch_cfg_behind_ms(const struct vswitch *vs)
{
    vs_lock(vs);
    long long int ms = (!vs->behind_since ? 0
                        : vs->behind_since == LLONG_MIN ? LLONG_MAX
                        : time_msec() - vs->behind_since);
    vs_unlock(vs);
    return ms;
}

static int
vswitch_get_root__(const struct vswitch *vs, struct vswitch_root *root)
{
    const struct ovsrec_open_vswitch *row = ovsrec_open_vswitch_first(vs->idl);

    memset(root, 0, sizeof *root);
    smap_init(&root->external_ids);
    if (!row) {
        return ENOENT;
    }
    root->uuid = uuid_to_string(&row->header_.uuid);
    root->next_cfg = row->next_cfg;
    root->cur_cfg = row->cur_cfg;
    svec_init(&root->bridges);
    for (size_t i = 0; i < row->n_bridges; i++) {
        svec_add_uuid(&root->bridges, &row->bridges[i]->header_.uuid);
    }
    svec_init(&root->datapath_types);
    for (size_t i = 0; i < row->n_datapath_types; i++) {
        svec_add(&root->datapath_types, row->datapath_types[i]);
    }
    svec_sort(&root->datapath_types);
    smap_destroy(&root->external_ids);
    smap_clone(&root->external_ids, &row->external_ids);
    return 0;
}

int
vswitch_get_root(const struct vswitch *vs, struct vswitch_root *root)
{
    vs_lock(vs);
    int result = vswitch_get_root__(vs, root);
    vs_unlock(vs);
    return result;
}

void
vswitch_root_destroy(struct vswitch_root *root)
{
    if (root) {
        free(root->uuid);
        svec_destroy(&root->bridges);
        svec_destroy(&root->datapath_types);
        smap_destroy(&root->external_ids);
        memset(root, 0, sizeof *root);
    }
}

static struct vswitch_bridge *
bridge_from_row(const struct ovsrec_bridge *row)
{
    struct vswitch_bridge *br = xzalloc(sizeof *br);
    br->uuid = uuid_to_string(&row->header_.uuid);
    br->name = xstrdup(row->name ? row->name : "");
    br->datapath_type = xstrdup(row->datapath_type ? row->datapath_type : "");
    br->fail_mode = nullable_xstrdup(row->fail_mode);
    svec_init(&br->ports);
    for (size_t i = 0; i < row->n_ports; i++) {
        svec_add_uuid(&br->ports, &row->ports[i]->header_.uuid);
    }
    smap_clone(&br->external_ids, &row->external_ids);
    return br;
}

void
vswitch_bridge_free(struct vswitch_bridge *br)
{
    if (br) {
        free(br->uuid);
        free(br->name);
        free(br->datapath_type);
        free(br->fail_mode);
        svec_destroy(&br->ports);
        smap_destroy(&br->external_ids);
        free(br);
    }
}

void
vswitch_bridges_free(struct vswitch_bridge **bridges, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vswitch_bridge_free(bridges[i]);
    }
    free(bridges);
}

static const struct ovsrec_bridge *
bridge_row_by_name(const struct vswitch *vs, const char *name)
{
    const struct ovsrec_bridge *row;
    OVSREC_BRIDGE_FOR_EACH (row, vs->idl) {
        if (row->name && !strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

static const struct ovsrec_port *
port_row_by_name(const struct vswitch *vs, const char *name)
{
    const struct ovsrec_port *row;
    OVSREC_PORT_FOR_EACH (row, vs->idl) {
        if (row->name && !strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

static const struct ovsrec_interface *
iface_row_by_name(const struct vswitch *vs, const char *name)
{
    const struct ovsrec_interface *row;
    OVSREC_INTERFACE_FOR_EACH (row, vs->idl) {
        if (row->name && !strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

/* The generated casts are private to vswitch-idl.c. */
#define ovsrec_open_vswitch_cast(ROW) \
    CONTAINER_OF(ROW, const struct ovsrec_open_vswitch, header_)
#define ovsrec_bridge_cast(ROW) \
    CONTAINER_OF(ROW, const struct ovsrec_bridge, header_)
#define ovsrec_port_cast(ROW) \
    CONTAINER_OF(ROW, const struct ovsrec_port, header_)
#define ovsrec_interface_cast(ROW) \
    CONTAINER_OF(ROW, const struct ovsrec_interface, header_)

/* Returns the row of 'table' ("Open_vSwitch", "Bridge", "Port",
 * "Interface") whose UUID is 'uuid_s', or NULL. */
static const struct ovsdb_idl_row *
row_by_uuid(const struct vswitch *vs, const char *table, const char *uuid_s)
{
    struct uuid uuid;

    if (!uuid_from_string(&uuid, uuid_s)) {
        return NULL;
    }
    if (!strcmp(table, "Bridge")) {
        const struct ovsrec_bridge *r = ovsrec_bridge_get_for_uuid(vs->idl,
                                                                   &uuid);
        return r ? &r->header_ : NULL;
    } else if (!strcmp(table, "Port")) {
        const struct ovsrec_port *r = ovsrec_port_get_for_uuid(vs->idl,
                                                               &uuid);
        return r ? &r->header_ : NULL;
    } else if (!strcmp(table, "Interface")) {
        const struct ovsrec_interface *r
            = ovsrec_interface_get_for_uuid(vs->idl, &uuid);
        return r ? &r->header_ : NULL;
    } else if (!strcmp(table, "Open_vSwitch")) {
        const struct ovsrec_open_vswitch *r
            = ovsrec_open_vswitch_get_for_uuid(vs->idl, &uuid);
        return r ? &r->header_ : NULL;
    }
    OVS_NOT_REACHED();
}

struct vswitch_bridge *
vswitch_bridge_find(const struct vswitch *vs, const char *name)
{
    vs_lock(vs);
    const struct ovsrec_bridge *row = bridge_row_by_name(vs, name);
    struct vswitch_bridge *bridge = row ? bridge_from_row(row) : NULL;
    vs_unlock(vs);
    return bridge;
}

static int
compare_bridges(const void *a_, const void *b_)
{
    const struct vswitch_bridge *const *a = a_;
    const struct vswitch_bridge *const *b = b_;
    return strcmp((*a)->name, (*b)->name);
}

void
vswitch_bridges_list(const struct vswitch *vs,
                     struct vswitch_bridge ***bridgesp, size_t *n)
{
    vs_lock(vs);
    const struct ovsrec_open_vswitch *root
        = ovsrec_open_vswitch_first(vs->idl);
    size_t n_bridges = root ? root->n_bridges : 0;
    struct vswitch_bridge **bridges = xcalloc(n_bridges ? n_bridges : 1,
                                              sizeof *bridges);

    for (size_t i = 0; i < n_bridges; i++) {
        bridges[i] = bridge_from_row(root->bridges[i]);
    }
    vs_unlock(vs);
    qsort(bridges, n_bridges, sizeof *bridges, compare_bridges);
    *bridgesp = bridges;
    *n = n_bridges;
}

/* Returns the name of the bridge whose ports hold 'port', or NULL. */
static char *
bridge_of_port(const struct vswitch *vs, const struct ovsrec_port *port)
{
    const struct ovsrec_bridge *br;

    OVSREC_BRIDGE_FOR_EACH (br, vs->idl) {
        for (size_t i = 0; i < br->n_ports; i++) {
            if (br->ports[i] == port) {
                return xstrdup(br->name ? br->name : "");
            }
        }
    }
    return NULL;
}

static struct vswitch_port *
port_from_row(const struct vswitch *vs, const struct ovsrec_port *row)
{
    struct vswitch_port *port = xzalloc(sizeof *port);
    port->uuid = uuid_to_string(&row->header_.uuid);
    port->name = xstrdup(row->name ? row->name : "");
    port->bridge = bridge_of_port(vs, row);
    svec_init(&port->interfaces);
    for (size_t i = 0; i < row->n_interfaces; i++) {
        svec_add_uuid(&port->interfaces, &row->interfaces[i]->header_.uuid);
    }
    port->tag = row->n_tag ? *row->tag : -1;
    smap_clone(&port->external_ids, &row->external_ids);
    return port;
}

struct vswitch_port *
vswitch_port_get(const struct vswitch *vs, const char *uuid)
{
    vs_lock(vs);
    const struct ovsdb_idl_row *row = row_by_uuid(vs, "Port", uuid);
    struct vswitch_port *port
        = row ? port_from_row(vs, ovsrec_port_cast(row)) : NULL;
    vs_unlock(vs);
    return port;
}

struct vswitch_port *
vswitch_port_find(const struct vswitch *vs, const char *name)
{
    vs_lock(vs);
    const struct ovsrec_port *row = port_row_by_name(vs, name);
    struct vswitch_port *port = row ? port_from_row(vs, row) : NULL;
    vs_unlock(vs);
    return port;
}

void
vswitch_port_free(struct vswitch_port *port)
{
    if (port) {
        free(port->uuid);
        free(port->name);
        free(port->bridge);
        svec_destroy(&port->interfaces);
        smap_destroy(&port->external_ids);
        free(port);
    }
}

static struct vswitch_iface *
iface_from_row(const struct ovsrec_interface *row)
{
    struct vswitch_iface *iface = xzalloc(sizeof *iface);
    iface->uuid = uuid_to_string(&row->header_.uuid);
    iface->name = xstrdup(row->name ? row->name : "");
    iface->type = xstrdup(row->type ? row->type : "");
    iface->ofport = row->n_ofport ? *row->ofport : 0;
    iface->error = nullable_xstrdup(row->error);
    iface->link_state = nullable_xstrdup(row->link_state);
    iface->admin_state = nullable_xstrdup(row->admin_state);
    smap_clone(&iface->external_ids, &row->external_ids);
    return iface;
}

struct vswitch_iface *
vswitch_iface_get(const struct vswitch *vs, const char *uuid)
{
    vs_lock(vs);
    const struct ovsdb_idl_row *row = row_by_uuid(vs, "Interface", uuid);
    struct vswitch_iface *iface
        = row ? iface_from_row(ovsrec_interface_cast(row)) : NULL;
    vs_unlock(vs);
    return iface;
}

struct vswitch_iface *
vswitch_iface_find(const struct vswitch *vs, const char *name)
{
    vs_lock(vs);
    const struct ovsrec_interface *row = iface_row_by_name(vs, name);
    struct vswitch_iface *iface = row ? iface_from_row(row) : NULL;
    vs_unlock(vs);
    return iface;
}

void
vswitch_iface_free(struct vswitch_iface *iface)
{
    if (iface) {
        free(iface->uuid);
        free(iface->name);
        free(iface->type);
        free(iface->error);
        free(iface->link_state);
        free(iface->admin_state);
        smap_destroy(&iface->external_ids);
        free(iface);
    }
}

/* Transactions. */

struct vswitch_txn *
vswitch_txn_create(struct vswitch *vs)
{
    struct vswitch_txn *txn = xzalloc(sizeof *txn);

    /* Shared: held until the transaction is sent or destroyed. */
    vs_lock(vs);
    ovs_assert(!vs->building);
    txn->vs = vs;
    txn->txn = ovsdb_idl_txn_create(vs->idl);
    ovsdb_idl_txn_add_comment(txn->txn, "vplug");
    txn->status = TXN_INCOMPLETE;
    vs->building = txn;
    return txn;
}

static void
free_new_bridges(struct vswitch_txn *txn)
{
    for (size_t i = 0; i < txn->n_new_bridges; i++) {
        free(txn->new_bridges[i].ports);
    }
    free(txn->new_bridges);
    txn->new_bridges = NULL;
    txn->n_new_bridges = 0;
}

void
vswitch_txn_destroy(struct vswitch_txn *txn)
{
    if (txn) {
        /* An answer that still comes is ignored. */
        struct vswitch *vs = txn->vs;
        vs_lock(vs);
        if (vs->building == txn) {
            vs->building = NULL;
            vs_unlock(vs);      /* The builder's hold. */
        }
        vs->zombies = xrealloc(vs->zombies,
                               (vs->n_zombies + 1) * sizeof *vs->zombies);
        vs->zombies[vs->n_zombies++] = txn->txn;
        destroy_zombies(vs);
        vs_unlock(vs);
        free_new_bridges(txn);
        free(txn->error);
        free(txn);
    }
}

size_t
vswitch_txn_n_ops(const struct vswitch_txn *txn)
{
    return txn->n_ops;
}

static const struct ovsrec_open_vswitch *
txn_root(const struct vswitch_txn *txn)
{
    return ovsrec_open_vswitch_first(txn->vs->idl);
}

static void
verify_root_bridges(struct vswitch_txn *txn)
{
    const struct ovsrec_open_vswitch *root = txn_root(txn);
    if (!txn->verified_bridges && root) {
        ovsrec_open_vswitch_verify_bridges(root);
        txn->verified_bridges = true;
        txn->n_ops++;
    }
}

/* Verifies every bridge's ports, once per transaction: a new port of any
 * name changes one of them. */
static void
verify_all_ports(struct vswitch_txn *txn)
{
    if (!txn->verified_ports) {
        const struct ovsrec_bridge *br;
        OVSREC_BRIDGE_FOR_EACH (br, txn->vs->idl) {
            ovsrec_bridge_verify_ports(br);
            txn->n_ops++;
        }
        txn->verified_ports = true;
    }
}

void
vswitch_txn_wait_bridge_ports(struct vswitch_txn *txn, const char *uuid)
{
    const struct ovsdb_idl_row *row = row_by_uuid(txn->vs, "Bridge", uuid);
    if (row) {
        ovsrec_bridge_verify_ports(ovsrec_bridge_cast(row));
        txn->n_ops++;
    } else {
        txn->stale = true;
    }
}

void
vswitch_txn_wait_root_bridges(struct vswitch_txn *txn)
{
    verify_root_bridges(txn);
}

void
vswitch_txn_wait_absent(struct vswitch_txn *txn, const char *table,
                        const char *name)
{
    const struct vswitch *vs = txn->vs;

    verify_root_bridges(txn);
    if (!strcmp(table, "Bridge")) {
        txn->stale |= bridge_row_by_name(vs, name) != NULL;
    } else if (!strcmp(table, "Port")) {
        txn->stale |= port_row_by_name(vs, name) != NULL;
        verify_all_ports(txn);
    } else if (!strcmp(table, "Interface")) {
        /* A new interface comes with a new port, or into an existing port;
         * vplug never does the latter, and a name index in the schema
         * rejects a duplicate anyway. */
        txn->stale |= iface_row_by_name(vs, name) != NULL;
        verify_all_ports(txn);
    } else {
        OVS_NOT_REACHED();
    }
}

void
vswitch_txn_wait_exists(struct vswitch_txn *txn, const char *table,
                        const char *uuid, const char *name)
{
    const struct ovsdb_idl_row *row = row_by_uuid(txn->vs, table, uuid);
    const char *row_name = NULL;

    if (row && !strcmp(table, "Bridge")) {
        ovsrec_bridge_verify_name(ovsrec_bridge_cast(row));
        row_name = ovsrec_bridge_cast(row)->name;
    } else if (row && !strcmp(table, "Port")) {
        ovsrec_port_verify_name(ovsrec_port_cast(row));
        row_name = ovsrec_port_cast(row)->name;
    } else if (row && !strcmp(table, "Interface")) {
        ovsrec_interface_verify_name(ovsrec_interface_cast(row));
        row_name = ovsrec_interface_cast(row)->name;
    }
    txn->n_ops++;
    if (!row_name || strcmp(row_name, name)) {
        txn->stale = true;
    }
}

/* Inserts Interface 'name' of 'type'. */
static const struct ovsrec_interface *
insert_iface(struct vswitch_txn *txn, const char *name, const char *type,
             const struct smap *external_ids)
{
    struct ovsdb_idl_txn *t = txn->txn;
    const struct ovsrec_interface *iface = ovsrec_interface_insert(t);

    ovsrec_interface_set_name(iface, name);
    ovsrec_interface_set_type(iface, type);
    if (external_ids) {
        ovsrec_interface_set_external_ids(iface, external_ids);
    }
    txn->n_ops++;
    return iface;
}

/* Inserts Port 'name' holding 'iface'. */
static const struct ovsrec_port *
insert_port(struct vswitch_txn *txn, const char *name,
            const struct ovsrec_interface *iface, int tag,
            const struct smap *external_ids)
{
    const struct ovsrec_port *port = ovsrec_port_insert(txn->txn);
    struct ovsrec_interface *ifaces[1] = {
        CONST_CAST(struct ovsrec_interface *, iface)
    };

    ovsrec_port_set_name(port, name);
    ovsrec_port_set_interfaces(port, ifaces, 1);
    if (tag >= 0) {
        int64_t tag64 = tag;
        ovsrec_port_set_tag(port, &tag64, 1);
    }
    if (external_ids) {
        ovsrec_port_set_external_ids(port, external_ids);
    }
    txn->n_ops++;
    return port;
}

static struct vswitch_new_bridge *
find_new_bridge(struct vswitch_txn *txn, const struct ovsrec_bridge *row)
{
    for (size_t i = 0; i < txn->n_new_bridges; i++) {
        if (txn->new_bridges[i].row == row) {
            return &txn->new_bridges[i];
        }
    }
    return NULL;
}

static void
new_bridge_add_port(struct vswitch_new_bridge *nb,
                    const struct ovsrec_port *port)
{
    nb->ports = xrealloc(nb->ports, (nb->n_ports + 1) * sizeof *nb->ports);
    nb->ports[nb->n_ports++] = CONST_CAST(struct ovsrec_port *, port);
}

void
vswitch_txn_add_bridge(struct vswitch_txn *txn, const char *name,
                       const char *datapath_type, const char *fail_mode,
                       const struct smap *external_ids)
{
    const struct ovsrec_interface *iface = insert_iface(txn, name,
                                                        "internal", NULL);
    const struct ovsrec_port *port = insert_port(txn, name, iface, -1, NULL);
    const struct ovsrec_bridge *br = ovsrec_bridge_insert(txn->txn);

    ovsrec_bridge_set_name(br, name);
    ovsrec_bridge_set_datapath_type(br, datapath_type);
    if (fail_mode) {
        ovsrec_bridge_set_fail_mode(br, fail_mode);
    }
    if (external_ids) {
        ovsrec_bridge_set_external_ids(br, external_ids);
    }
    txn->new_bridges = xrealloc(txn->new_bridges,
                                (txn->n_new_bridges + 1)
                                * sizeof *txn->new_bridges);
    struct vswitch_new_bridge *nb = &txn->new_bridges[txn->n_new_bridges++];
    nb->row = br;
    nb->ports = NULL;
    nb->n_ports = 0;
    new_bridge_add_port(nb, port);
    ovsrec_bridge_set_ports(br, nb->ports, nb->n_ports);

    const struct ovsrec_open_vswitch *root = txn_root(txn);
    if (root) {
        ovsrec_open_vswitch_update_bridges_addvalue(root, br);
    } else {
        txn->stale = true;
    }
    txn->n_ops += 2;
}

void
vswitch_txn_add_port(struct vswitch_txn *txn, const char *bridge,
                     const char *name, const char *type, int tag,
                     const struct smap *port_external_ids,
                     const struct smap *iface_external_ids)
{
    const struct ovsrec_bridge *br = bridge_row_by_name(txn->vs, bridge);
    if (!br) {
        /* The old protocol's mutate matched no row and the port was
         * dropped; here the commit fails and the caller rebuilds. */
        txn->stale = true;
        return;
    }

    const struct ovsrec_interface *iface = insert_iface(txn, name, type,
                                                        iface_external_ids);
    const struct ovsrec_port *port = insert_port(txn, name, iface, tag,
                                                 port_external_ids);
    struct vswitch_new_bridge *nb = find_new_bridge(txn, br);
    if (nb) {
        /* Written whole when sent. */
        new_bridge_add_port(nb, port);
    } else {
        ovsrec_bridge_update_ports_addvalue(br, port);
    }
    txn->n_ops++;
}

void
vswitch_txn_del_port(struct vswitch_txn *txn, const char *bridge,
                     const char *port_uuid)
{
    const struct ovsrec_bridge *br = bridge_row_by_name(txn->vs, bridge);
    const struct ovsdb_idl_row *port = row_by_uuid(txn->vs, "Port",
                                                   port_uuid);
    if (br && port) {
        ovsrec_bridge_update_ports_delvalue(br, ovsrec_port_cast(port));
        txn->n_ops++;
    }
}

void
vswitch_txn_del_bridge(struct vswitch_txn *txn, const char *bridge_uuid)
{
    const struct ovsrec_open_vswitch *root = txn_root(txn);
    const struct ovsdb_idl_row *br = row_by_uuid(txn->vs, "Bridge",
                                                 bridge_uuid);
    if (root && br) {
        ovsrec_open_vswitch_update_bridges_delvalue(root,
                                                    ovsrec_bridge_cast(br));
        txn->n_ops++;
    }
}

void
vswitch_txn_set_external_ids(struct vswitch_txn *txn, const char *table,
                             const char *uuid,
                             const struct smap *external_ids)
{
    const struct ovsdb_idl_row *row = row_by_uuid(txn->vs, table, uuid);

    if (!row) {
        txn->stale = true;
    } else if (!strcmp(table, "Bridge")) {
        ovsrec_bridge_set_external_ids(ovsrec_bridge_cast(row),
                                       external_ids);
    } else if (!strcmp(table, "Port")) {
        ovsrec_port_set_external_ids(ovsrec_port_cast(row), external_ids);
    } else if (!strcmp(table, "Interface")) {
        ovsrec_interface_set_external_ids(ovsrec_interface_cast(row),
                                          external_ids);
    } else if (!strcmp(table, "Open_vSwitch")) {
        ovsrec_open_vswitch_set_external_ids(ovsrec_open_vswitch_cast(row),
                                             external_ids);
    }
    txn->n_ops++;
}

void
vswitch_txn_set_port_tag(struct vswitch_txn *txn, const char *uuid, int tag)
{
    const struct ovsdb_idl_row *row = row_by_uuid(txn->vs, "Port", uuid);
    if (row) {
        int64_t tag64 = tag;
        ovsrec_port_set_tag(ovsrec_port_cast(row), &tag64, tag >= 0);
    } else {
        txn->stale = true;
    }
    txn->n_ops++;
}

void
vswitch_txn_set_iface_type(struct vswitch_txn *txn, const char *uuid,
                           const char *type)
{
    const struct ovsdb_idl_row *row = row_by_uuid(txn->vs, "Interface", uuid);
    if (row) {
        ovsrec_interface_set_type(ovsrec_interface_cast(row), type);
    } else {
        txn->stale = true;
    }
    txn->n_ops++;
}

void
vswitch_txn_send(struct vswitch_txn *txn)
{
    if (txn->sent) {
        return;
    }
    txn->sent = true;
    const struct ovsrec_open_vswitch *root = txn_root(txn);
    if (txn->stale || !root) {
        /* A guard failed already, or there is no root row to bump: nothing
         * is sent, and vswitch_txn_commit() says why. */
        if (!root && !txn->stale) {
            txn->error = xasprintf("database Open_vSwitch at %s has no "
                                   "Open_vSwitch row (run "
                                   "\"ovs-vsctl init\")", txn->vs->remote);
        }
        ovsdb_idl_txn_abort(txn->txn);
        txn->status = txn->stale ? TXN_TRY_AGAIN : TXN_ERROR;
        txn->vs->building = NULL;
        destroy_zombies(txn->vs);
        vs_unlock(txn->vs);     /* The builder's hold. */
        return;
    }

    for (size_t i = 0; i < txn->n_new_bridges; i++) {
        struct vswitch_new_bridge *nb = &txn->new_bridges[i];
        ovsrec_bridge_set_ports(nb->row, nb->ports, nb->n_ports);
    }
    /* Forced: a transaction that changes nothing else still bumps it, which
     * is how a caller checks that ovs-vswitchd follows (cur_cfg). */
    ovsdb_idl_txn_increment(txn->txn, &root->header_,
                            &ovsrec_open_vswitch_col_next_cfg, true);
    txn->n_ops += 2;

    VLOG_DBG("%s: transaction of %zu operations", txn->vs->remote,
             txn->n_ops);
    txn->status = ovsdb_idl_txn_commit(txn->txn);
    txn->vs->building = NULL;
    destroy_zombies(txn->vs);
    if (txn->vs->sh) {
        /* What did not fit into the socket goes once the IDL's thread
         * waits for it. */
        latch_set(&txn->vs->sh->latch);
    }
    vs_unlock(txn->vs);         /* The builder's hold. */
}

static int
vswitch_txn_commit__(struct vswitch_txn *txn, long long int deadline,
                     long long int *next_cfgp, char **errp)
{
    struct vswitch *vs = txn->vs;

    *errp = NULL;
    *next_cfgp = 0;
    if (txn->finished) {
        *errp = xstrdup("transaction already committed");
        return EINVAL;
    }
    if (vs->building && vs->building != txn) {
        /* Its answer needs ovsdb_idl_run(), which cannot run now. */
        *errp = xasprintf("%s: cannot commit a transaction while another "
                          "is being built", vs->remote);
        return EBUSY;
    }
    txn->finished = true;
    vswitch_txn_send(txn);
    if (txn->error) {
        *errp = xstrdup(txn->error);
        return ENOENT;
    }

    while (txn->status == TXN_INCOMPLETE) {
        vswitch_update(vs);
        txn->status = ovsdb_idl_txn_commit(txn->txn);
        if (txn->status != TXN_INCOMPLETE) {
            break;
        } else if (time_msec() >= deadline) {
            *errp = (vs->last_error
                     ? xasprintf("%s: transaction timed out (%s)",
                                 vs->remote, vs->last_error)
                     : xasprintf("%s: transaction timed out", vs->remote));
            return ETIMEDOUT;
        }
        if (!vs->sh) {
            ovsdb_idl_txn_wait(txn->txn);
        }
        vswitch_block(vs, deadline);
    }

    switch (txn->status) {
    case TXN_SUCCESS:
        *next_cfgp = ovsdb_idl_txn_get_increment_new_value(txn->txn);
        return 0;

    case TXN_UNCHANGED: {
        const struct ovsrec_open_vswitch *root = txn_root(txn);
        *next_cfgp = root ? root->next_cfg : 0;
        return 0;
    }

    case TXN_TRY_AGAIN:
        /* A guard failed, or the connection dropped (the IDL aborts what
         * is in flight then, and sends nothing until the replica is back).
         * Either way the caller rebuilds on a fresh replica; if the
         * connection does not come back by the deadline, say so. */
        if (!txn->stale) {
            char *ignored = NULL;
            if (!vswitch_is_ready(vs)
                && vswitch_wait_ready(vs, deadline, &ignored)) {
                *errp = (vs->last_error
                         ? xasprintf("lost the connection to %s during a "
                                     "transaction (%s)", vs->remote,
                                     vs->last_error)
                         : xasprintf("lost the connection to %s during a "
                                     "transaction", vs->remote));
                free(ignored);
                return ENOTCONN;
            }
            free(ignored);
        }
        VLOG_DBG("%s: transaction must be tried again", vs->remote);
        return EAGAIN;

    case TXN_ERROR:
        *errp = xasprintf("%s: transaction failed: %s", vs->remote,
                          ovsdb_idl_txn_get_error(txn->txn));
        return EIO;

    case TXN_ABORTED:
    case TXN_NOT_LOCKED:
    case TXN_INCOMPLETE:
    default:
        *errp = xasprintf("%s: transaction %s", vs->remote,
                          ovsdb_idl_txn_status_to_string(txn->status));
        return EIO;
    }
}

int
vswitch_txn_commit(struct vswitch_txn *txn, long long int deadline,
                   long long int *next_cfgp, char **errp)
{
    struct vswitch *vs = txn->vs;
    vs_lock(vs);
    int error = vswitch_txn_commit__(txn, deadline, next_cfgp, errp);
    vs_unlock(vs);
    return error;
}
