/* Typed access to the Open_vSwitch database (the tables vplug uses:
 * Open_vSwitch, Bridge, Port, Interface) on top of libopenvswitch's
 * ovsdb-idl with the generated vswitch-idl: an IDL that monitors exactly
 * the columns vplug reads, lookups that return small structs the caller
 * frees (copies: IDL rows do not outlive the next ovsdb_idl_run()), and a
 * transaction builder that speaks in bridges and ports, verifies what it
 * read (TRY_AGAIN becomes EAGAIN) and bumps next_cfg.  No IDL type
 * crosses this header, so plugin/ never sees ovsrec_*. */
#ifndef VSWITCH_H
#define VSWITCH_H 1

#include <stdbool.h>
#include <stddef.h>
#include "compiler.h"
#include "smap.h"
#include "svec.h"

struct vswitch;
struct vswitch_txn;

/* The root row. */
struct vswitch_root {
    char *uuid;
    long long int next_cfg;
    long long int cur_cfg;
    struct svec bridges;        /* Bridge row UUIDs. */
    struct svec datapath_types; /* As ovs-vswitchd reports them, sorted
                                 * (svec_contains() works on it). */
    struct smap external_ids;   /* The host's settings for other daemons
                                 * (ovn-controller's ovn-remote, system-id,
                                 * ovn-bridge). */
};

struct vswitch_bridge {
    char *uuid;
    char *name;
    char *datapath_type;        /* "" means the default ("system"). */
    char *fail_mode;            /* NULL if unset. */
    struct svec ports;          /* Port row UUIDs. */
    struct smap external_ids;
};

struct vswitch_port {
    char *uuid;
    char *name;
    char *bridge;               /* Name of the bridge holding it, or NULL
                                 * if no bridge in the replica does. */
    struct svec interfaces;     /* Interface row UUIDs. */
    int tag;                    /* VLAN tag, or -1. */
    struct smap external_ids;
};

struct vswitch_iface {
    char *uuid;
    char *name;
    char *type;                 /* "" for a plain (system) interface. */
    int ofport;                 /* 0: not assigned yet; -1: failed. */
    char *error;                /* NULL if unset. */
    char *link_state;           /* "up", "down", or NULL if unset. */
    char *admin_state;          /* "up", "down", or NULL if unset. */
    struct smap external_ids;
};

void vswitch_root_destroy(struct vswitch_root *);
void vswitch_bridge_free(struct vswitch_bridge *);
void vswitch_port_free(struct vswitch_port *);
void vswitch_iface_free(struct vswitch_iface *);
void vswitch_bridges_free(struct vswitch_bridge **, size_t n);

/* Creates a client for the Open_vSwitch database at 'remote' (any OVS
 * remote: "unix:PATH", "tcp:IP:PORT", "ssl:IP:PORT", or a comma-separated
 * list of them, of which it uses the leader of a cluster), monitoring the
 * columns above.  With 'retry' false (a command), each remote is tried once
 * and vswitch_wait_ready() fails as soon as all of them failed; with
 * 'retry' true (a daemon), it keeps reconnecting.  Nothing happens until
 * vswitch_wait_ready() or vswitch_run().  For "ssl:", the caller sets up
 * stream-ssl (stream_ssl_set_key_and_cert() etc.) first. */
struct vswitch *vswitch_create(const char *remote, bool retry);

/* Creates a client as vswitch_create() does (reconnecting, as a daemon's),
 * to be used by many threads at once: a thread of its own runs it, every
 * function here but vswitch_get_last_error() (whose string that thread
 * replaces) may be called from any thread, and the waits
 * (vswitch_wait_ready(), vswitch_wait_change(), vswitch_wait_cur_cfg(),
 * vswitch_txn_commit()) block only their caller until that thread has run
 * the IDL.  While one thread builds a transaction, the others wait for it
 * to be sent.  vswitch_run() and vswitch_wait() do nothing on it.  So many
 * requests at once share one replica: each change of the database arrives
 * and is parsed once, not once per request. */
struct vswitch *vswitch_create_shared(const char *remote);

/* Which SSL options a program was given (--bootstrap-ca-cert counts as
 * --ca-cert). */
struct vswitch_ssl_opts {
    bool private_key, certificate, ca_cert;
};

/* Handles the key and certificate options of OVS's programs: -p/--private-key,
 * -c/--certificate, -C/--ca-cert, and 'bootstrap_option' (the program's
 * value for --bootstrap-ca-cert), recording each in 'opts'.  Returns false
 * if 'option' is none of them. */
bool vswitch_ssl_option(int option, int bootstrap_option, const char *arg,
                        struct vswitch_ssl_opts *opts);

/* If 'remote' (as for vswitch_create()) has an "ssl:" remote and not every
 * SSL option it needs is in 'opts', returns a malloc'd sentence naming the
 * remote and the missing options; else NULL.  Without them, the SSL
 * connection would fail only once attempted, with a bare errno. */
char *vswitch_check_ssl_options(const char *remote,
                                const struct vswitch_ssl_opts *opts)
    OVS_WARN_UNUSED_RESULT;
void vswitch_destroy(struct vswitch *);
const char *vswitch_get_remote(const struct vswitch *);

/* Connects and fetches the replica, until 'deadline' (time_msec()).
 * Returns 0, or errno with a sentence in '*errp' naming the remote and the
 * cause ("cannot connect to unix:/x/db.sock: No such file or directory"),
 * ETIMEDOUT if the deadline passed first. */
int vswitch_wait_ready(struct vswitch *, long long int deadline,
                       char **errp);
/* True if connected and the replica has arrived. */
bool vswitch_is_ready(const struct vswitch *);
/* Returns NULL if the server's schema has every column vplug uses, else
 * a message naming the first missing one (caller frees).  Meaningful once
 * vswitch_is_ready(). */
char *vswitch_check_schema(const struct vswitch *) OVS_WARN_UNUSED_RESULT;

/* Drives the connection from the caller's own poll loop (a daemon that
 * watches the database): vswitch_run() processes what arrived and
 * reconnects after the backoff, vswitch_wait() registers what it waits
 * for.  While a transaction is being built (between vswitch_txn_create()
 * and vswitch_txn_send()/commit()/destroy()), vswitch_run() does nothing:
 * the IDL cannot take updates then. */
void vswitch_run(struct vswitch *);
void vswitch_wait(struct vswitch *);
/* Counts connections made so far, each counted when its replica arrived (a
 * change means a reconnect). */
unsigned int vswitch_get_n_connects(const struct vswitch *);
/* Why the last connection attempt failed, as a sentence naming the remote,
 * or NULL if none failed since the last success. */
const char *vswitch_get_last_error(const struct vswitch *);

/* Changes whenever the replica changes. */
unsigned int vswitch_get_seqno(const struct vswitch *);
/* Processes messages until the seqno differs from 'seqno' or 'deadline'.
 * Returns 0 or ETIMEDOUT. */
int vswitch_wait_change(struct vswitch *, unsigned int seqno,
                        long long int deadline);

/* Waits until ovs-vswitchd has applied configuration 'next_cfg' (the
 * root's cur_cfg reaches it) or 'deadline'.  Returns 0 or ETIMEDOUT, with
 * the last cur_cfg seen in '*cur_cfgp'. */
int vswitch_wait_cur_cfg(struct vswitch *, long long int next_cfg,
                         long long int deadline, long long int *cur_cfgp);

/* Reads the root row into '*root' (caller destroys).  Returns 0 or ENOENT
 * if the database has none. */
int vswitch_get_root(const struct vswitch *, struct vswitch_root *root);
/* How long ovs-vswitchd has had a configuration to apply, as this replica
 * saw it: 0 if cur_cfg is caught up with next_cfg, LLONG_MAX if it has been
 * behind since the replica arrived, otherwise the milliseconds since it fell
 * behind. */
long long int vswitch_cfg_behind_ms(const struct vswitch *);

/* Lookups by name (or by UUID for the _get variants).  Each returns a new
 * struct the caller frees, or NULL if no such row is in the replica. */
struct vswitch_bridge *vswitch_bridge_find(const struct vswitch *,
                                           const char *name);
struct vswitch_port *vswitch_port_find(const struct vswitch *,
                                       const char *name);
struct vswitch_port *vswitch_port_get(const struct vswitch *,
                                      const char *uuid);
struct vswitch_iface *vswitch_iface_find(const struct vswitch *,
                                         const char *name);
struct vswitch_iface *vswitch_iface_get(const struct vswitch *,
                                        const char *uuid);
/* Every bridge the root row references, sorted by name, into '*bridgesp'
 * (free with vswitch_bridges_free()). */
void vswitch_bridges_list(const struct vswitch *,
                          struct vswitch_bridge ***bridgesp, size_t *n);

/* Transactions (ovsdb_idl_txn).  A commit increments Open_vSwitch next_cfg
 * and reads the new value back.  Only one transaction per vswitch can be
 * under construction at a time (as with the IDL); one that was sent may
 * still await its answer while the next is built.  While one is under
 * construction, lookups see its inserted rows and new values (not its
 * removals). */
struct vswitch_txn *vswitch_txn_create(struct vswitch *);
void vswitch_txn_destroy(struct vswitch_txn *);
/* Number of operations added so far (guards included). */
size_t vswitch_txn_n_ops(const struct vswitch_txn *);

/* Guards (ovsrec_*_verify_*()): the transaction fails with EAGAIN at commit
 * (rebuild and retry) unless, when it runs, ... */
/* ... bridge 'uuid''s ports are what the replica says now; */
void vswitch_txn_wait_bridge_ports(struct vswitch_txn *, const char *uuid);
/* ... the root's bridges are what the replica says now; */
void vswitch_txn_wait_root_bridges(struct vswitch_txn *);
/* ... no row of 'table' ("Bridge", "Port", "Interface") is named 'name'
 * (call it before adding that row).  The IDL has no such test: this
 * fails at once if the replica has one, else verifies what a new row of
 * that name would change: the root's bridges, and for ports and
 * interfaces also every bridge's ports; */
void vswitch_txn_wait_absent(struct vswitch_txn *, const char *table,
                             const char *name);
/* ... row 'uuid' of 'table' still exists with the name 'name' (it fails
 * at once if the replica has no such row). */
void vswitch_txn_wait_exists(struct vswitch_txn *, const char *table,
                             const char *uuid, const char *name);

/* Adds bridge 'name' as ovs-vsctl does: with a Port and an Interface of
 * the same name (type "internal"), and references it from the root.
 * 'fail_mode' may be NULL. */
void vswitch_txn_add_bridge(struct vswitch_txn *, const char *name,
                            const char *datapath_type, const char *fail_mode,
                            const struct smap *external_ids);
/* Adds Port 'name' holding Interface 'name' of 'type' ("" for plain) to
 * bridge 'bridge' (existing, or added earlier in this transaction), with
 * VLAN 'tag' (-1: none). */
void vswitch_txn_add_port(struct vswitch_txn *, const char *bridge,
                          const char *name, const char *type, int tag,
                          const struct smap *port_external_ids,
                          const struct smap *iface_external_ids);
/* Removes Port 'port_uuid' from bridge 'bridge' (by name); the database
 * then drops the Port and its Interfaces. */
void vswitch_txn_del_port(struct vswitch_txn *, const char *bridge,
                          const char *port_uuid);
/* Removes bridge 'bridge_uuid' from the root; its ports go with it. */
void vswitch_txn_del_bridge(struct vswitch_txn *, const char *bridge_uuid);
/* Replaces the external_ids of row 'uuid' in 'table'. */
void vswitch_txn_set_external_ids(struct vswitch_txn *, const char *table,
                                  const char *uuid, const struct smap *);
/* Sets Port 'uuid''s VLAN tag (-1: none). */
void vswitch_txn_set_port_tag(struct vswitch_txn *, const char *uuid,
                              int tag);
/* Sets Interface 'uuid''s type ("" for plain). */
void vswitch_txn_set_iface_type(struct vswitch_txn *, const char *uuid,
                                const char *type);

/* Appends the next_cfg bump and sends everything as one transaction without
 * waiting (the first, non-blocking ovsdb_idl_txn_commit()): the database
 * and ovs-vswitchd work on it while the caller does something else, then
 * vswitch_txn_commit() takes the answer.  Destroying the transaction
 * instead forgets the answer (the changes may still have been made). */
void vswitch_txn_send(struct vswitch_txn *);

/* Commits: appends the next_cfg bump and sends everything as one
 * transaction (unless vswitch_txn_send() did), waiting for the answer until
 * 'deadline'.  Returns 0 and the new next_cfg in '*next_cfgp', EAGAIN if a
 * guard failed (TRY_AGAIN: the replica was stale; wait for it to change,
 * rebuild, retry), or another errno with a sentence in '*errp' (ENOTCONN:
 * the connection was lost and did not come back by 'deadline'; ETIMEDOUT;
 * EIO: the server refused it).  The transaction cannot be committed
 * twice. */
int vswitch_txn_commit(struct vswitch_txn *, long long int deadline,
                       long long int *next_cfgp, char **errp);

#endif /* vswitch.h */
