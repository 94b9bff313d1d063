/* vplug's view of the databases of an OVN lab, on OVS's IDL: the OVN
 * Northbound database (through the IDL generated from ovn-central's schema,
 * nbrec_*), the Southbound database for diagnostics (sbrec_*, generated
 * likewise) and a chassis's Open_vSwitch database (vswitch-idl, ovsrec_*):
 * connecting, committing within a deadline, the rows an OVN lab owns
 * (external_ids:vplug-topology), a chassis's OVN settings, and the signals
 * of readiness (Logical_Switch_Port.up, Interface
 * external_ids:ovn-installed).
 *
 * Errors: 0 or a positive errno, and on failure a malloc'd sentence in
 * '*errp' naming the database or row and the cause. */
#ifndef OVN_DB_H
#define OVN_DB_H 1

#include <stdbool.h>
#include <stddef.h>
#include "compiler.h"

struct ovsdb_idl;
struct smap;
struct sset;
struct ovsdb_idl_class;
struct ovsdb_idl_txn;

/* The external_ids key that marks what a topology owns. */
#define OVN_DB_OWNER_KEY "vplug-topology"

/* One open database connection, replicated in full (or, for the
 * Southbound database, in the part that diagnostics read). */
struct ovn_db {
    struct ovsdb_idl *idl;
    char *remote;
    char *what;                 /* "the OVN Northbound database", "the
                                 * Open_vSwitch database of chassis 'hv1'",
                                 * for messages. */
};

/* Connects to 'remote' (any OVS remote, or a comma-separated list) with
 * 'class' (&nbrec_idl_class or &ovsrec_idl_class) and waits for the first
 * full copy of the database until 'deadline' (time_msec()).  'what' names
 * the database in messages. */
int ovn_db_open(const struct ovsdb_idl_class *class, const char *remote,
                const char *what, long long int deadline,
                struct ovn_db **dbp, char **errp);
void ovn_db_close(struct ovn_db *);

/* Commits 'txn' (which it destroys), waiting until 'deadline'.  Returns 0
 * on success or no change, EAGAIN if the database changed meanwhile and
 * the transaction must be built again (the IDL has caught up by then),
 * another errno with a message otherwise. */
int ovn_db_commit(struct ovn_db *, struct ovsdb_idl_txn *txn,
                  long long int deadline, char **errp);

/* Runs the IDLs of 'dbs' until 'done(aux)' returns true (checked after each
 * change) or 'deadline'.  Returns true if 'done' did. */
bool ovn_db_wait_until(struct ovn_db **dbs, size_t n,
                       bool (*done)(void *aux), void *aux,
                       long long int deadline);

/* ---- OVN Northbound. ---- */

/* A Logical_Switch_Port to make: a VIF ("" type) with 'addresses' ("MAC
 * IP..."), or a router port (type "router", 'router_port' the peer's
 * Logical_Router_Port name, addresses "router"). */
struct ovn_nb_lsp {
    const char *name;
    const char *ls;             /* Its Logical_Switch. */
    const char *addresses;
    const char *router_port;    /* NULL for a VIF. */
    const char *chassis;        /* options:requested-chassis, or NULL. */
};

/* A Logical_Router_Port to make. */
struct ovn_nb_lrp {
    const char *name;
    const char *lr;             /* Its Logical_Router. */
    const char *mac;            /* "aa:bb:cc:dd:ee:ff". */
    const char *network;        /* "10.0.1.1/24". */
};

/* Everything topology 'owner' has in the Northbound database. */
struct ovn_nb_spec {
    const char *owner;
    const char **switches;
    size_t n_switches;
    const char **routers;
    size_t n_routers;
    const struct ovn_nb_lsp *lsps;
    size_t n_lsps;
    const struct ovn_nb_lrp *lrps;
    size_t n_lrps;
};

/* Makes the Northbound database hold 'spec' in one transaction: creates the
 * missing rows, each tagged external_ids:vplug-topology=OWNER, brings the
 * owner's rows in line, and removes the owner's rows that 'spec' does not
 * list.  A switch or router of that name that carries no tag is used as it
 * is (only ports are added to it); a row of another topology is a conflict
 * (EEXIST) and nothing changes.  Idempotent: applying it again changes
 * nothing, from any host. */
int ovn_nb_sync(struct ovn_db *, const struct ovn_nb_spec *spec,
                long long int deadline, char **errp);

/* Removes, in one transaction, the Northbound rows of topology 'owner' that
 * 'switches' and 'lsps' name: the owner's Logical_Switch_Ports named in
 * 'lsps'; for each logical switch named in 'switches', the switch if it is
 * the owner's (its ports go with it), or else the owner's ports on it, and
 * the owner's router ports that the removed router-type ports join; and a
 * router of the owner once none of its ports remain.  With 'switches' NULL
 * removes every row tagged with 'owner' instead (switches, routers and
 * their ports; the owner's ports on switches that are not its own), and
 * 'lsps' does not count.  Rows of other owners stay.  Stores the number of
 * rows removed in '*n_removedp' if nonnull. */
int ovn_nb_remove(struct ovn_db *, const char *owner,
                  const struct sset *switches, const struct sset *lsps,
                  long long int deadline, size_t *n_removedp, char **errp);

/* Returns 1 if Logical_Switch_Port 'name' exists with up=true, 0 if it
 * exists and is not up, -1 if it does not exist. */
int ovn_nb_lsp_up(const struct ovn_db *, const char *name);

/* ---- OVN Southbound, read for diagnostics. ---- */

/* Connects to the OVN Southbound database at 'remote' and waits, until
 * 'deadline', for the first copy of the little that
 * ovn_sb_why_not_bound() reads: Chassis name, hostname and encaps, Encap
 * type and ip, Port_Binding logical_port and chassis. */
int ovn_sb_open(const char *remote, long long int deadline,
                struct ovn_db **dbp, char **errp);

/* Returns a malloc'd clause (no capital, no period) saying what the
 * Southbound database 'sb' shows keeps Logical_Switch_Port 'lsp' from
 * being bound to chassis 'chassis' (whose Open_vSwitch external_ids
 * hostname is 'hostname', or NULL if unknown): the chassis is not
 * registered (naming the chassis that are, or one registered with that
 * hostname under another name), the port has no Port_Binding, or its
 * Port_Binding has no chassis or another one.  Returns NULL if the port is
 * bound to 'chassis'. */
char *ovn_sb_why_not_bound(const struct ovn_db *sb, const char *chassis,
                           const char *hostname, const char *lsp)
    OVS_WARN_UNUSED_RESULT;

/* ---- A chassis's Open_vSwitch database. ---- */

/* The settings ovn-controller reads from a chassis's Open_vSwitch row,
 * and its bridges (the rehearsal writes them; an operator's host has
 * them). */
struct ovn_chassis_config {
    const char *system_id;      /* external_ids:system-id. */
    const char *hostname;       /* external_ids:hostname, or NULL: the
                                 * host's name.  Rehearsed chassis share
                                 * one host, so each gets its own. */
    const char *ovn_remote;     /* external_ids:ovn-remote (the SB). */
    const char *encap_ip;       /* external_ids:ovn-encap-ip. */
    const char *underlay_port;  /* Added to br-phy, or NULL: no br-phy. */
};

/* Writes 'cfg' into the chassis's database: Open_vSwitch external_ids
 * system-id, ovn-remote, ovn-encap-type=geneve, ovn-encap-ip,
 * ovn-bridge-datapath-type=netdev; bridge br-int (netdev,
 * fail_mode=secure, other_config:disable-in-band=true); bridge br-phy
 * (netdev) holding 'underlay_port'. */
int ovn_vs_configure_chassis(struct ovn_db *,
                             const struct ovn_chassis_config *cfg,
                             long long int deadline, char **errp);

/* Returns the Open_vSwitch row's external_ids:system-id, or NULL. */
const char *ovn_vs_system_id(const struct ovn_db *);

/* Returns the Open_vSwitch row's external_ids:KEY, or NULL. */
const char *ovn_vs_external_id(const struct ovn_db *, const char *key);

/* A port of the integration bridge bound to a Logical_Switch_Port. */
struct ovn_vs_port {
    const char *ifname;         /* The veth end, in vswitchd's namespace. */
    const char *iface_id;       /* external_ids:iface-id: the LSP name. */
    const char *mac;            /* external_ids:attached-mac, or NULL. */
};

/* Makes 'bridge' (which must exist) carry exactly 'owner''s 'ports', each
 * tagged external_ids:vplug-topology=OWNER, in one transaction: adds the
 * missing ones and removes the owner's others.  A port of that name that
 * is not the owner's is a conflict (EEXIST). */
int ovn_vs_sync_ports(struct ovn_db *, const char *bridge, const char *owner,
                      const struct ovn_vs_port *ports, size_t n,
                      long long int deadline, char **errp);

/* Removes from 'bridge' the ports of 'owner' named in 'ifnames' (NULL:
 * every port of 'owner'), in one transaction.  Succeeds if they, or the
 * bridge, are gone already. */
int ovn_vs_remove_ports(struct ovn_db *, const char *bridge, const char *owner,
                        const struct sset *ifnames, long long int deadline,
                        char **errp);

/* Describes Interface 'ifname': stores its ofport (-1 if none yet) and
 * whether ovn-controller marked it external_ids:ovn-installed=true.
 * Returns false if there is no such Interface. */
bool ovn_vs_port_state(const struct ovn_db *, const char *ifname,
                       int *ofportp, bool *installedp);

/* True if 'bridge' carries the marks ovn-controller leaves on the
 * integration bridge it works on (external_ids:ovn-startup-ts, written when
 * it starts, or ovn-nb-cfg, written once its flows follow the Southbound
 * database). */
bool ovn_vs_controller_seen(const struct ovn_db *, const char *bridge);

/* ---- Why a port is not installed (both the OVN and the OVS backend). ---- */

/* What a chassis's own Open_vSwitch database says about ovn-controller
 * there: all that is knowable locally.  Whether it runs now, and what the
 * Southbound database holds, is not. */
struct ovn_local_view {
    const char *system_id;      /* external_ids:system-id, or NULL. */
    const char *sb_remote;      /* external_ids:ovn-remote, or NULL. */
    const char *bridge;         /* The integration bridge. */
    bool controller_seen;       /* 'bridge' carries ovn-controller's marks
                                 * (see ovn_vs_controller_seen()). */
};

/* The bridge external_ids keys that ovn_vs_controller_seen() looks for,
 * for callers that read the bridge through another IDL. */
bool ovn_bridge_ids_show_controller(const struct smap *bridge_ids);

/* Returns a malloc'd clause (no capital, no period) saying why
 * ovn-controller did not mark an Interface with external_ids:iface-id
 * 'iface_id' ovn-installed=true, from 'view': no system-id (no chassis can
 * register), no trace of ovn-controller on the bridge (is it running and
 * connected to the Southbound database?), or else no logical switch port
 * 'iface_id' bound to this chassis. */
char *ovn_why_not_installed(const struct ovn_local_view *view,
                            const char *iface_id) OVS_WARN_UNUSED_RESULT;

#endif /* ovn-db.h */
