/* The engine: turns a topology into a plan and applies it (namespaces,
 * veths, addresses, routes, sysctls, then the switch side through the
 * backends in one commit), rolls back everything it created in the run when
 * a step fails, records what it owns in a state file under the state
 * directory, and destroys exactly that.  Fallback between backends
 * (ovs -> bridge -> direct) is decided here.
 *
 * Errors: 0 or a positive errno, and on failure a malloc'd sentence in
 * '*errp' naming the object and the cause. */
#ifndef ENGINE_H
#define ENGINE_H 1

#include <stdbool.h>
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

struct topology;
struct vswitch;
struct netns_pool;
struct vplug_switch_info;

struct engine_opts {
    const char *db_remote;      /* OVSDB remote given by the user, or NULL:
                                 * then the one the topology was applied
                                 * with, else 'default_db_remote'. */
    const char *default_db_remote;
    int timeout_ms;             /* Bound on every wait. */
    bool dry_run;               /* Print the plan, change nothing. */
    const char *state_dir;      /* Default "/run/vplug". */
    /* Lines for the user as work proceeds ("ns1: enabled accept_local ...",
     * "ovs-br: Open vSwitch unreachable, using a Linux bridge ..."); may be
     * NULL. */
    void (*report)(void *aux, const char *line);
    void *report_aux;
    /* Progress of a run: 'done' of the 'total' items of 'phase'
     * ("creating namespaces", "probing pairs", ...), called as items
     * finish, possibly from several threads at once (never two calls at a
     * time).  May be NULL. */
    void (*progress)(void *aux, const char *phase, size_t done,
                     size_t total);
    /* Switches that an apply may create but never owns (VIF plugging: the
     * integration bridge outlives every VIF on it).  May be NULL. */
    const struct svec *shared_switches;
    /* Destroy leaves the switches the topology did not create even when
     * their tag has become the topology's (VIF unplug: the integration
     * bridge outlives every VIF on it). */
    bool keep_joined_switches;
    /* An open connection to the database that the OVS backend uses instead
     * of connecting afresh when the remote is the same (a daemon keeps one
     * and saves the connect and the full download per request).  Borrowed;
     * may be NULL. */
    struct vswitch *vswitch;
    /* verify: bytes to carry over a TCP connection per pair (0: no TCP
     * probe). */
    size_t verify_tcp_bytes;
    /* Spare namespaces that new ones are made from (a daemon fills it while
     * idle); borrowed; may be NULL. */
    struct netns_pool *netns_pool;
    /* OVN labs: the Northbound remote the user gave (--ovn-nb), or NULL;
     * and the rehearsal's directory (--sandbox), or NULL on real hosts. */
    const char *ovn_nb_remote;
    const char *ovn_sandbox;
    /* apply: also wait, once the topology is recorded, until its ports are
     * ready beyond the switch (settle() in backend.h: on an integration
     * bridge that ovn-controller manages, OVN installed them).  VIF plugs
     * ask for it; repairs do not (ovn-controller binds a re-created port
     * again by itself). */
    bool settle;
    /* apply with 'settle': set to true when it failed only because ports it
     * made are not ready beyond the switch in time; the topology then stays
     * applied, and destroy removes it.  May be NULL. */
    bool *kept_not_readyp;
    /* The switch side may share its transaction with other applies of the
     * same process that attach ports at the same time (VIF plugs: a compute
     * node booting 20 VMs); see group_commit() in plugin/ovs.c. */
    bool share_commits;
};

/* The default state directory. */
#define ENGINE_STATE_DIR "/run/vplug"

/* Makes the system match 'topo': idempotent; on an applied topology changes
 * only the difference.  Returns when every port is ready. */
int engine_apply(const struct topology *topo, const struct engine_opts *,
                 char **errp);

/* Removes everything topology 'name' owns, nothing else.  Succeeds when it
 * is already gone.  'topo', if nonnull, is the file's topology, used when no
 * state was recorded. */
int engine_destroy(const char *name, const struct topology *topo,
                   const struct engine_opts *, char **errp);

/* Describes topology 'name' (NULL: every applied topology) into 'out', as
 * text or JSON. */
int engine_show(const char *name, bool json, const struct engine_opts *,
                struct ds *out, char **errp);

/* Probes every pair of addressed ends of topology 'name' that share a
 * segment, printing a matrix into 'out'.  Stores into '*n_failedp' the
 * number of failing pairs.  'all' probes every pair even in large
 * topologies (otherwise each host against the hub and a sample). */
int engine_verify(const char *name, bool all, bool json,
                  const struct engine_opts *, struct ds *out,
                  int *n_failedp, char **errp);

/* Reads the applied topology 'name' from the state directory into a new
 * '*topop'.  Returns ENOENT (with a message) when it was never applied. */
int engine_load(const char *name, const struct engine_opts *,
                struct topology **topop, char **errp);

/* Like engine_load(), but the topology as the backends realized it: each
 * switch's kind is the backend that hosts it after any fallback, and a
 * switch that fell back to direct is replaced by the direct link.  Show,
 * status and self-healing go by it, never by the declared kinds. */
int engine_load_effective(const char *name, const struct engine_opts *,
                          struct topology **topop, char **errp);

/* Compares what topology 'name' should have with what exists: missing
 * namespaces, interfaces (or interfaces down) and switch ports.  Adds one
 * line per problem to 'drift' and stores their number in '*n_missingp'.
 * Re-applying the topology repairs them. */
int engine_check(const char *name, const struct engine_opts *,
                 struct ds *drift, int *n_missingp, char **errp);

/* Repairs topology 'name' from its state: like engine_check(), then, if
 * something is missing, re-applies the recorded topology, keeping every
 * switch it did not create shared.  A state that says "applying" while
 * nobody holds the topology's lock is an apply that died half-way (a
 * killed vplug or vplugd): it counts as one missing object, and the
 * re-apply finishes it.  Returns EBUSY (with a message) and changes
 * nothing while another vplug holds the lock. */
int engine_repair(const char *name, const struct engine_opts *,
                  struct ds *drift, int *n_missingp, char **errp);

/* True if topology 'name' has a state that says "applying" while nobody
 * holds its lock: an apply that died half-way, which engine_repair()
 * finishes. */
bool engine_unfinished(const char *name, const struct engine_opts *);

/* Lists, through backend 'backend' ("ovs", "bridge"), the switches it
 * hosts that carry vplug's tag or a vplug port, with their ports (see
 * list() in backend.h).  The caller frees '*infosp' with
 * vplug_switch_info_free_array(). */
int engine_list_switches(const char *backend, const struct engine_opts *,
                         struct vplug_switch_info **infosp, size_t *n,
                         char **errp);

/* Asks the apply in progress to stop and roll back (async-signal-safe: call
 * it from a SIGINT/SIGTERM handler). */
void engine_request_stop(void);

/* Adds the names of applied topologies to 'names'. */
int engine_list(const struct engine_opts *, struct svec *names);

#endif /* engine.h */
