/* Switch backends behind one vtable.  The engine creates every veth and
 * namespace itself; a backend only owns the switch side: making sure the
 * switch exists, attaching and detaching the root-namespace end of a veth
 * as a port, removing a switch it created.  Changes are queued and carried
 * out by commit(), so the OVS backend sends one transaction per apply.
 * A backend never modifies or removes what its owner tag does not mark.
 *
 * Errors: functions return 0 or a positive errno and, on failure, store a
 * malloc'd sentence naming the object and the cause in '*errp' (the caller
 * frees it). */
#ifndef BACKEND_H
#define BACKEND_H 1

#include <stdbool.h>
#include <stddef.h>

struct ds;
struct svec;
struct vswitch;
struct topo_end;
struct topo_switch;
struct topology;

/* What every backend call may consult.  Owned by the engine. */
struct vplug_ctx {
    const char *owner;          /* Topology name: the ownership tag,
                                 * "vplug:OWNER" as ifalias, and
                                 * external_ids:vplug-topology=OWNER. */
    const char *db_remote;      /* OVSDB remote ("unix:...", "tcp:..."). */
    long long int deadline;     /* time_msec() by which waits give up. */
    int timeout_ms;             /* The user's --timeout, for messages. */
    bool dry_run;               /* Plan and report only. */
    struct vswitch *vswitch;    /* An open database connection to use
                                 * when its remote is 'db_remote' (a
                                 * daemon's), or NULL.  Borrowed. */
    bool share_commits;         /* A commit that only attaches ports may
                                 * share its transaction with those of
                                 * other threads. */

    /* OVN labs. */
    const char *ovn_nb_remote;  /* The user's --ovn-nb, or NULL. */
    const char *ovn_sandbox;    /* The rehearsal's directory, or NULL on
                                 * real hosts. */
    const struct topology *topo;        /* The effective topology being
                                         * applied or destroyed, or NULL. */
    void (*report)(void *aux, const char *line);  /* Lines for the user,
                                                   * or NULL. */
    void *report_aux;
};

/* One switch port as seen by list(). */
struct vplug_port_info {
    char *ifname;
    char *owner;                /* Owner tag, or NULL if not vplug's. */
    int ofport;                 /* OVS: assigned OpenFlow port, or -1. */
    int vlan;                   /* OVS tag or -1. */
};

/* One switch as seen by list(). */
struct vplug_switch_info {
    char *name;
    char *variant;              /* "ovs/netdev", "ovs/system", "bridge". */
    char *owner;                /* Owner tag, or NULL if not vplug's. */
    struct vplug_port_info *ports;
    size_t n_ports;
};
void vplug_switch_info_uninit(struct vplug_switch_info *);
void vplug_switch_info_free_array(struct vplug_switch_info *, size_t n);

struct vplug_backend {
    const struct vplug_backend_class *class;
    struct vplug_ctx *ctx;      /* Borrowed from the engine. */
};

struct vplug_backend_class {
    const char *name;           /* "ovs", "bridge", "direct". */

    /* Creates an instance for 'ctx' (the OVS backend connects to
     * ctx->db_remote here, within ctx->deadline). */
    int (*open)(struct vplug_ctx *ctx, struct vplug_backend **backendp,
                char **errp);
    void (*close)(struct vplug_backend *);

    /* Returns 0 if this backend can host 'sw' now, or errno and a sentence
     * saying why not (for fallback decisions and messages). */
    int (*probe)(struct vplug_backend *, const struct topo_switch *sw,
                 char **errp);

    /* Queues what it takes for 'sw' to exist.  Stores into '*createdp'
     * whether the switch belongs to ctx->owner (it is new, or carries the
     * owner's tag from an earlier run) and into
     * '*variantp' a malloc'd name of what hosts it ("ovs/netdev",
     * "ovs/system", "bridge"). */
    int (*ensure_switch)(struct vplug_backend *, const struct topo_switch *sw,
                         bool *createdp, char **variantp, char **errp);

    /* For a backend that creates a switch and tags it as ctx->owner's in
     * two steps, so that a run killed between them leaves an untagged
     * switch (a Linux bridge: the kernel ignores an alias in the request
     * that creates a link).  NULL where the two are one step (OVS, OVN).
     *
     * switch_exists() stores into '*existsp' whether switch 'name' exists:
     * the engine records one that does not before it creates it.
     * adopt_switch() tags switch 'name' as ctx->owner's if it exists and
     * carries no owner's tag, and finishes it as ensure_switch() would
     * have, storing into '*adoptedp' whether it did.  The engine calls it
     * only for a switch that a killed run of ctx->owner recorded as absent
     * and set out to create.  Neither changes anything in a dry run. */
    int (*switch_exists)(struct vplug_backend *, const char *name,
                         bool *existsp, char **errp);
    int (*adopt_switch)(struct vplug_backend *, const char *name,
                        bool *adoptedp, char **errp);

    /* Queues attaching the root-namespace interface 'end->ifname' (which
     * exists by commit time) to 'sw', with 'end''s vlan and external_ids,
     * tagged as ctx->owner's. */
    int (*attach)(struct vplug_backend *, const struct topo_switch *sw,
                  const struct topo_end *end, char **errp);

    /* Queues detaching port 'ifname' from switch 'sw_name' if it is
     * ctx->owner's; succeeds if it is already gone. */
    int (*detach)(struct vplug_backend *, const char *sw_name,
                  const char *ifname, char **errp);

    /* Queues removing switch 'sw_name' if it is ctx->owner's (its other
     * ports go with it); succeeds if it is already gone.  A switch that is
     * not ctx->owner's is left alone. */
    int (*remove_switch)(struct vplug_backend *, const char *sw_name,
                         char **errp);

    /* Forgets everything queued and not yet committed (the engine calls it
     * before rolling back).  May be NULL for backends that queue nothing. */
    void (*abort)(struct vplug_backend *);

    /* Starts carrying out everything queued so far without waiting for it
     * (OVS: sends the transaction), so that the switch works while the
     * engine finishes the kernel side; commit() then finishes and reports
     * any error.  Every device attached so far must exist.  May be NULL. */
    void (*commit_start)(struct vplug_backend *);

    /* Carries out everything queued, then waits until every attached port
     * is ready (OVS: ofport assigned and link up) or ctx->deadline. */
    int (*commit)(struct vplug_backend *, char **errp);

    /* After the engine recorded the apply of 'topo' (effective), waits
     * until each of its ports on this backend's switches is ready for what
     * works beyond the switch, or ctx->deadline: those this run attached
     * and those that were there already (a retry after a timeout must wait
     * as the first try did).  OVS: on the integration bridge
     * that ovn-controller manages (the Open_vSwitch row's
     * external_ids:ovn-remote is set and ovn-bridge, default br-int, names
     * the bridge), a port with an iface-id is ready once ovn-controller
     * marked it external_ids:ovn-installed=true.  A failure undoes nothing:
     * the ports stay, and the sentence names the port and why it is not
     * ready.  May be NULL (nothing beyond the switch to wait for). */
    int (*settle)(struct vplug_backend *, const struct topology *topo,
                  char **errp);

    /* Removes at once the ports named in 'ifnames' that are ctx->owner's,
     * on whatever switch holds them, and waits until the switch applied
     * the removal.  The engine calls it before a repair re-creates the
     * devices of those ports: ovs-vswitchd does not reopen a port whose
     * device was deleted and created again under the same name, and a
     * removal and an addition of one name that it sees at once are no
     * change to it.  Ports that are gone or not ctx->owner's are left
     * alone.  May be NULL (a switch that lets go of deleted devices). */
    int (*remove_stale_ports)(struct vplug_backend *,
                              const struct svec *ifnames, char **errp);

    /* Says, after commit(), what TCP through switch 'sw' needs from the
     * namespace ends of the veths attached to it, from what the switch
     * really runs with: stores into '*tx_csum_offp' whether those ends
     * must fill in their own TX checksums (the switch completes none and
     * segments nothing: OVS's userspace datapath without userspace TSO),
     * and into '*notep' a malloc'd sentence (without the switch's name)
     * saying what then limits TCP through 'sw' and which setting would
     * lift it, or NULL when nothing vplug knows of does.  'port' is the root-namespace end of one veth
     * attached to 'sw'.  May be NULL: the switch needs nothing. */
    int (*dataplane)(struct vplug_backend *, const struct topo_switch *sw,
                     const char *port, bool *tx_csum_offp, char **notep,
                     char **errp);

    /* Lists the switches this backend hosts that carry 'owner' (NULL:
     * every switch with at least one vplug port). */
    int (*list)(struct vplug_backend *, const char *owner,
                struct vplug_switch_info **infosp, size_t *n, char **errp);

    /* Places and completes the ends of this backend's switches in the
     * effective topology 'eff' before the engine plans anything: OVN moves
     * a rehearsed chassis's switch ends into that chassis's namespace,
     * gives namespace ends a stable MAC, and drops the links that live on
     * other hosts.  Called again for each effective topology the engine
     * computes; the last one counts.  May be NULL. */
    int (*localize)(struct vplug_backend *, struct topology *eff,
                    char **errp);

    /* Appends lines describing what ctx->owner has in this backend beyond
     * its switches' ports (OVN: logical switches, routers and ports with
     * their chassis and binding state), for "show".  May be NULL. */
    int (*describe)(struct vplug_backend *, struct ds *out, char **errp);
};

extern const struct vplug_backend_class vplug_ovs_backend;
extern const struct vplug_backend_class vplug_bridge_backend;
extern const struct vplug_backend_class vplug_direct_backend;
extern const struct vplug_backend_class vplug_ovn_backend;

/* Returns the backend class for 'name' ("ovs", "bridge", "direct"), or
 * NULL. */
const struct vplug_backend_class *vplug_backend_find(const char *name);

#endif /* backend.h */
