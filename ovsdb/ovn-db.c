/* The databases of an OVN lab, on OVS's IDL. */
#include <config.h>
#include "ovn-db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vswitch-idl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/ovn-nb-idl.h"
#include "ovsdb/ovn-sb-idl.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ovn_db);

/* ---- Connections. ---- */

/* Creates a connection to 'remote' with 'class', replicating all of it if
 * 'monitor_everything', else only the columns the caller adds. */
static struct ovn_db *
db_create(const struct ovsdb_idl_class *class, const char *remote,
          const char *what, bool monitor_everything)
{
    struct ovn_db *db = xzalloc(sizeof *db);
    db->idl = ovsdb_idl_create(remote, class, monitor_everything, true);
    db->remote = xstrdup(remote);
    db->what = xstrdup(what);
    return db;
}

/* Waits until 'db' holds its first full copy of what it monitors, or
 * 'deadline'.  On failure closes 'db'. */
static int
db_wait_connected(struct ovn_db *db, long long int deadline,
                  struct ovn_db **dbp, char **errp)
{
    for (;;) {
        ovsdb_idl_run(db->idl);
        if (ovsdb_idl_has_ever_connected(db->idl)) {
            *dbp = db;
            return 0;
        }
        if (time_msec() >= deadline) {
            int error = ovsdb_idl_get_last_error(db->idl);
            *errp = xasprintf("cannot connect to %s at %s: %s", db->what,
                              db->remote,
                              error ? ovs_retval_to_string(error)
                                    : "no answer in time");
            ovn_db_close(db);
            *dbp = NULL;
            return error ? error : ETIMEDOUT;
        }
        ovsdb_idl_wait(db->idl);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

int
ovn_db_open(const struct ovsdb_idl_class *class, const char *remote,
            const char *what, long long int deadline, struct ovn_db **dbp,
            char **errp)
{
    return db_wait_connected(db_create(class, remote, what, true), deadline,
                             dbp, errp);
}

void
ovn_db_close(struct ovn_db *db)
{
    if (db) {
        ovsdb_idl_destroy(db->idl);
        free(db->remote);
        free(db->what);
        free(db);
    }
}

int
ovn_db_commit(struct ovn_db *db, struct ovsdb_idl_txn *txn,
              long long int deadline, char **errp)
{
    enum ovsdb_idl_txn_status status;
    int error = 0;

    for (;;) {
        status = ovsdb_idl_txn_commit(txn);
        if (status != TXN_INCOMPLETE) {
            break;
        }
        if (time_msec() >= deadline) {
            *errp = xasprintf("%s at %s did not answer a transaction in "
                              "time", db->what, db->remote);
            ovsdb_idl_txn_abort(txn);
            ovsdb_idl_txn_destroy(txn);
            return ETIMEDOUT;
        }
        ovsdb_idl_run(db->idl);
        ovsdb_idl_wait(db->idl);
        ovsdb_idl_txn_wait(txn);
        poll_timer_wait_until(deadline);
        poll_block();
    }

    switch (status) {
    case TXN_SUCCESS:
    case TXN_UNCHANGED:
        break;
    case TXN_TRY_AGAIN:
        error = EAGAIN;
        break;
    case TXN_NOT_LOCKED:
    case TXN_ABORTED:
    case TXN_ERROR:
    case TXN_UNCOMMITTED:
    case TXN_INCOMPLETE:
    default:
        *errp = xasprintf("%s at %s refused a transaction: %s", db->what,
                          db->remote, ovsdb_idl_txn_get_error(txn));
        error = EPROTO;
        break;
    }
    ovsdb_idl_txn_destroy(txn);
    if (error == EAGAIN) {
        /* Let the IDL catch up with what changed before a retry. */
        ovsdb_idl_run(db->idl);
    }
    return error;
}

bool
ovn_db_wait_until(struct ovn_db **dbs, size_t n, bool (*done)(void *aux),
                  void *aux, long long int deadline)
{
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            ovsdb_idl_run(dbs[i]->idl);
        }
        if (done(aux)) {
            return true;
        }
        if (time_msec() >= deadline) {
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            ovsdb_idl_wait(dbs[i]->idl);
        }
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

/* ---- OVN Northbound. ---- */

static const char *
owner_of(const struct smap *external_ids)
{
    return smap_get(external_ids, OVN_DB_OWNER_KEY);
}

static bool
owned_by(const struct smap *external_ids, const char *owner)
{
    const char *o = owner_of(external_ids);
    return o && !strcmp(o, owner);
}

static void
set_owner(struct smap *smap, const struct smap *old, const char *owner)
{
    smap_clone(smap, old);
    smap_replace(smap, OVN_DB_OWNER_KEY, owner);
}

static bool
name_listed(const char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(names[i], name)) {
            return true;
        }
    }
    return false;
}

static const struct nbrec_logical_switch *
find_ls(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, idl) {
        if (!strcmp(ls->name, name)) {
            return ls;
        }
    }
    return NULL;
}

static const struct nbrec_logical_router *
find_lr(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_logical_router *lr;
    NBREC_LOGICAL_ROUTER_FOR_EACH (lr, idl) {
        if (!strcmp(lr->name, name)) {
            return lr;
        }
    }
    return NULL;
}

static const struct nbrec_logical_switch_port *
find_lsp(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_logical_switch_port *lsp;
    NBREC_LOGICAL_SWITCH_PORT_FOR_EACH (lsp, idl) {
        if (!strcmp(lsp->name, name)) {
            return lsp;
        }
    }
    return NULL;
}

static const struct nbrec_logical_router_port *
find_lrp(struct ovsdb_idl *idl, const char *name)
{
    const struct nbrec_logical_router_port *lrp;
    NBREC_LOGICAL_ROUTER_PORT_FOR_EACH (lrp, idl) {
        if (!strcmp(lrp->name, name)) {
            return lrp;
        }
    }
    return NULL;
}

/* Returns the logical switch that holds 'lsp', or NULL. */
static const struct nbrec_logical_switch *
lsp_switch(struct ovsdb_idl *idl, const struct nbrec_logical_switch_port *lsp)
{
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, idl) {
        for (size_t i = 0; i < ls->n_ports; i++) {
            if (ls->ports[i] == lsp) {
                return ls;
            }
        }
    }
    return NULL;
}

static const struct nbrec_logical_router *
lrp_router(struct ovsdb_idl *idl, const struct nbrec_logical_router_port *lrp)
{
    const struct nbrec_logical_router *lr;
    NBREC_LOGICAL_ROUTER_FOR_EACH (lr, idl) {
        for (size_t i = 0; i < lr->n_ports; i++) {
            if (lr->ports[i] == lrp) {
                return lr;
            }
        }
    }
    return NULL;
}

/* Stores a sentence about 'kind' row 'name' belonging to another topology
 * into '*errp', and returns EEXIST. */
static int
conflict(char **errp, const char *kind, const char *name,
         const struct smap *external_ids, const char *owner)
{
    const char *other = owner_of(external_ids);
    if (other) {
        *errp = xasprintf("%s '%s' belongs to topology '%s', not '%s'",
                          kind, name, other, owner);
    } else {
        *errp = xasprintf("%s '%s' already exists and is not vplug's: "
                          "refusing to touch it", kind, name);
    }
    return EEXIST;
}

/* Builds the transaction of ovn_nb_sync() into 'txn'. */
static int
nb_sync_txn(struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
            const struct ovn_nb_spec *spec, char **errp)
{
    const char *owner = spec->owner;
    struct smap ids;

    /* Switches and routers: reuse an untagged one, take ours, refuse
     * another topology's. */
    const struct nbrec_logical_switch **lss
        = xcalloc(spec->n_switches + 1, sizeof *lss);
    const struct nbrec_logical_router **lrs
        = xcalloc(spec->n_routers + 1, sizeof *lrs);
    int error = 0;

    for (size_t i = 0; i < spec->n_switches; i++) {
        const struct nbrec_logical_switch *ls = find_ls(idl, spec->switches[i]);
        if (!ls) {
            ls = nbrec_logical_switch_insert(txn);
            nbrec_logical_switch_set_name(ls, spec->switches[i]);
            smap_init(&ids);
            smap_add(&ids, OVN_DB_OWNER_KEY, owner);
            nbrec_logical_switch_set_external_ids(ls, &ids);
            smap_destroy(&ids);
        } else if (owner_of(&ls->external_ids)
                   && !owned_by(&ls->external_ids, owner)) {
            error = conflict(errp, "logical switch", ls->name,
                             &ls->external_ids, owner);
            goto out;
        }
        lss[i] = ls;
    }
    for (size_t i = 0; i < spec->n_routers; i++) {
        const struct nbrec_logical_router *lr = find_lr(idl, spec->routers[i]);
        if (!lr) {
            lr = nbrec_logical_router_insert(txn);
            nbrec_logical_router_set_name(lr, spec->routers[i]);
            smap_init(&ids);
            smap_add(&ids, OVN_DB_OWNER_KEY, owner);
            nbrec_logical_router_set_external_ids(lr, &ids);
            smap_destroy(&ids);
        } else if (owner_of(&lr->external_ids)
                   && !owned_by(&lr->external_ids, owner)) {
            error = conflict(errp, "logical router", lr->name,
                             &lr->external_ids, owner);
            goto out;
        }
        lrs[i] = lr;
    }

    /* Ports. */
    for (size_t i = 0; i < spec->n_lsps; i++) {
        const struct ovn_nb_lsp *p = &spec->lsps[i];
        const struct nbrec_logical_switch *ls = NULL;
        for (size_t j = 0; j < spec->n_switches; j++) {
            if (!strcmp(spec->switches[j], p->ls)) {
                ls = lss[j];
            }
        }
        ovs_assert(ls);

        const struct nbrec_logical_switch_port *lsp = find_lsp(idl, p->name);
        if (lsp && !owned_by(&lsp->external_ids, owner)) {
            error = conflict(errp, "logical switch port", lsp->name,
                             &lsp->external_ids, owner);
            goto out;
        }
        const struct nbrec_logical_switch *old_ls = (lsp
                                                     ? lsp_switch(idl, lsp)
                                                     : NULL);
        if (!lsp) {
            lsp = nbrec_logical_switch_port_insert(txn);
            nbrec_logical_switch_port_set_name(lsp, p->name);
        } else if (old_ls && old_ls != ls) {
            nbrec_logical_switch_update_ports_delvalue(old_ls, lsp);
        }
        if (old_ls != ls) {
            nbrec_logical_switch_update_ports_addvalue(ls, lsp);
        }

        const char *type = p->router_port ? "router" : "";
        if (strcmp(lsp->type, type)) {
            nbrec_logical_switch_port_set_type(lsp, type);
        }
        if (lsp->n_addresses != 1 || strcmp(lsp->addresses[0],
                                            p->addresses)) {
            const char *addresses = p->addresses;
            nbrec_logical_switch_port_set_addresses(lsp, &addresses, 1);
        }
        struct smap options = SMAP_INITIALIZER(&options);
        if (p->router_port) {
            smap_add(&options, "router-port", p->router_port);
        }
        if (p->chassis) {
            smap_add(&options, "requested-chassis", p->chassis);
        }
        if (!smap_equal(&options, &lsp->options)) {
            nbrec_logical_switch_port_set_options(lsp, &options);
        }
        smap_destroy(&options);
        if (!owned_by(&lsp->external_ids, owner)) {
            set_owner(&ids, &lsp->external_ids, owner);
            nbrec_logical_switch_port_set_external_ids(lsp, &ids);
            smap_destroy(&ids);
        }
    }
    for (size_t i = 0; i < spec->n_lrps; i++) {
        const struct ovn_nb_lrp *p = &spec->lrps[i];
        const struct nbrec_logical_router *lr = NULL;
        for (size_t j = 0; j < spec->n_routers; j++) {
            if (!strcmp(spec->routers[j], p->lr)) {
                lr = lrs[j];
            }
        }
        ovs_assert(lr);

        const struct nbrec_logical_router_port *lrp = find_lrp(idl, p->name);
        if (lrp && !owned_by(&lrp->external_ids, owner)) {
            error = conflict(errp, "logical router port", lrp->name,
                             &lrp->external_ids, owner);
            goto out;
        }
        const struct nbrec_logical_router *old_lr = (lrp
                                                     ? lrp_router(idl, lrp)
                                                     : NULL);
        if (!lrp) {
            lrp = nbrec_logical_router_port_insert(txn);
            nbrec_logical_router_port_set_name(lrp, p->name);
        } else if (old_lr && old_lr != lr) {
            nbrec_logical_router_update_ports_delvalue(old_lr, lrp);
        }
        if (old_lr != lr) {
            nbrec_logical_router_update_ports_addvalue(lr, lrp);
        }
        if (strcmp(lrp->mac, p->mac)) {
            nbrec_logical_router_port_set_mac(lrp, p->mac);
        }
        if (lrp->n_networks != 1 || strcmp(lrp->networks[0], p->network)) {
            const char *network = p->network;
            nbrec_logical_router_port_set_networks(lrp, &network, 1);
        }
        if (!owned_by(&lrp->external_ids, owner)) {
            set_owner(&ids, &lrp->external_ids, owner);
            nbrec_logical_router_port_set_external_ids(lrp, &ids);
            smap_destroy(&ids);
        }
    }

    /* The owner's rows that the spec no longer lists. */
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, idl) {
        if (owned_by(&ls->external_ids, owner)
            && !name_listed(spec->switches, spec->n_switches, ls->name)) {
            nbrec_logical_switch_delete(ls);
            continue;
        }
        for (size_t i = 0; i < ls->n_ports; i++) {
            const struct nbrec_logical_switch_port *lsp = ls->ports[i];
            bool listed = false;
            for (size_t j = 0; j < spec->n_lsps && !listed; j++) {
                listed = (!strcmp(spec->lsps[j].name, lsp->name)
                          && !strcmp(spec->lsps[j].ls, ls->name));
            }
            if (!listed && owned_by(&lsp->external_ids, owner)) {
                nbrec_logical_switch_update_ports_delvalue(ls, lsp);
            }
        }
    }
    const struct nbrec_logical_router *lr;
    NBREC_LOGICAL_ROUTER_FOR_EACH (lr, idl) {
        if (owned_by(&lr->external_ids, owner)
            && !name_listed(spec->routers, spec->n_routers, lr->name)) {
            nbrec_logical_router_delete(lr);
            continue;
        }
        for (size_t i = 0; i < lr->n_ports; i++) {
            const struct nbrec_logical_router_port *lrp = lr->ports[i];
            bool listed = false;
            for (size_t j = 0; j < spec->n_lrps && !listed; j++) {
                listed = (!strcmp(spec->lrps[j].name, lrp->name)
                          && !strcmp(spec->lrps[j].lr, lr->name));
            }
            if (!listed && owned_by(&lrp->external_ids, owner)) {
                nbrec_logical_router_update_ports_delvalue(lr, lrp);
            }
        }
    }

out:
    free(lss);
    free(lrs);
    return error;
}

int
ovn_nb_sync(struct ovn_db *db, const struct ovn_nb_spec *spec,
            long long int deadline, char **errp)
{
    for (;;) {
        struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(db->idl);
        ovsdb_idl_txn_add_comment(txn, "vplug: apply %s", spec->owner);
        int error = nb_sync_txn(db->idl, txn, spec, errp);
        if (error) {
            ovsdb_idl_txn_abort(txn);
            ovsdb_idl_txn_destroy(txn);
            return error;
        }
        error = ovn_db_commit(db, txn, deadline, errp);
        if (error != EAGAIN) {
            return error;
        }
    }
}

/* Queues into the open transaction on 'idl' what ovn_nb_remove() removes,
 * and returns the number of rows. */
static size_t
nb_remove_txn(struct ovsdb_idl *idl, const char *owner,
              const struct sset *switches, const struct sset *lsps)
{
    struct sset router_ports = SSET_INITIALIZER(&router_ports);
    size_t n = 0;

    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, idl) {
        bool whole = !switches || sset_contains(switches, ls->name);
        bool delete = whole && owned_by(&ls->external_ids, owner);
        for (size_t i = 0; i < ls->n_ports; i++) {
            const struct nbrec_logical_switch_port *lsp = ls->ports[i];
            if (!owned_by(&lsp->external_ids, owner)
                || !(whole || sset_contains(lsps, lsp->name))) {
                continue;
            }
            n++;
            if (!delete) {
                nbrec_logical_switch_update_ports_delvalue(ls, lsp);
            }
            const char *peer = smap_get(&lsp->options, "router-port");
            if (peer && !strcmp(lsp->type, "router")) {
                sset_add(&router_ports, peer);
            }
        }
        if (delete) {
            nbrec_logical_switch_delete(ls);
            n++;
        }
    }

    /* A router goes with the last of its ports. */
    const struct nbrec_logical_router *lr;
    NBREC_LOGICAL_ROUTER_FOR_EACH (lr, idl) {
        size_t n_gone = 0;
        for (size_t i = 0; i < lr->n_ports; i++) {
            const struct nbrec_logical_router_port *lrp = lr->ports[i];
            n_gone += (owned_by(&lrp->external_ids, owner)
                       && (!switches
                           || sset_contains(&router_ports, lrp->name)));
        }
        bool delete = (owned_by(&lr->external_ids, owner)
                       && (!switches || (n_gone && n_gone == lr->n_ports)));
        for (size_t i = 0; !delete && i < lr->n_ports; i++) {
            const struct nbrec_logical_router_port *lrp = lr->ports[i];
            if (owned_by(&lrp->external_ids, owner)
                && (!switches || sset_contains(&router_ports, lrp->name))) {
                nbrec_logical_router_update_ports_delvalue(lr, lrp);
            }
        }
        if (delete) {
            nbrec_logical_router_delete(lr);
            n++;
        }
        n += n_gone;
    }
    sset_destroy(&router_ports);
    return n;
}

int
ovn_nb_remove(struct ovn_db *db, const char *owner,
              const struct sset *switches, const struct sset *lsps,
              long long int deadline, size_t *n_removedp, char **errp)
{
    for (;;) {
        struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(db->idl);
        ovsdb_idl_txn_add_comment(txn, "vplug: %s %s",
                                  switches ? "remove ports of" : "destroy",
                                  owner);
        size_t n = nb_remove_txn(db->idl, owner, switches, lsps);
        int error = ovn_db_commit(db, txn, deadline, errp);
        if (error != EAGAIN) {
            if (!error && n_removedp) {
                *n_removedp = n;
            }
            return error;
        }
    }
}

int
ovn_nb_lsp_up(const struct ovn_db *db, const char *name)
{
    const struct nbrec_logical_switch_port *lsp = find_lsp(db->idl, name);
    if (!lsp) {
        return -1;
    }
    return lsp->n_up && lsp->up[0];
}

/* ---- OVN Southbound, read for diagnostics. ---- */

int
ovn_sb_open(const char *remote, long long int deadline, struct ovn_db **dbp,
            char **errp)
{
    struct ovn_db *db = db_create(&sbrec_idl_class, remote,
                                  "the OVN Southbound database", false);
    ovsdb_idl_add_column(db->idl, &sbrec_chassis_col_name);
    ovsdb_idl_add_column(db->idl, &sbrec_chassis_col_hostname);
    ovsdb_idl_add_column(db->idl, &sbrec_chassis_col_encaps);
    ovsdb_idl_add_column(db->idl, &sbrec_encap_col_ip);
    ovsdb_idl_add_column(db->idl, &sbrec_encap_col_type);
    ovsdb_idl_add_column(db->idl, &sbrec_port_binding_col_logical_port);
    ovsdb_idl_add_column(db->idl, &sbrec_port_binding_col_chassis);
    return db_wait_connected(db, deadline, dbp, errp);
}

/* Appends to 'out' what chassis are registered in 'idl': "no chassis", or
 * "only chassis 'NAME' (TYPE IP), ...". */
static void
put_registered_chassis(struct ds *out, struct ovsdb_idl *idl)
{
    const struct sbrec_chassis *ch;
    size_t n = 0;
    SBREC_CHASSIS_FOR_EACH (ch, idl) {
        ds_put_format(out, "%s'%s'", n++ ? ", " : "only chassis ", ch->name);
        for (size_t i = 0; i < ch->n_encaps; i++) {
            ds_put_format(out, "%s%s %s", i ? ", " : " (",
                          ch->encaps[i]->type, ch->encaps[i]->ip);
        }
        if (ch->n_encaps) {
            ds_put_char(out, ')');
        }
    }
    if (!n) {
        ds_put_cstr(out, "no chassis");
    }
}

char *
ovn_sb_why_not_bound(const struct ovn_db *sb, const char *chassis,
                     const char *hostname, const char *lsp)
{
    const struct sbrec_chassis *ch, *here = NULL, *namesake = NULL;
    SBREC_CHASSIS_FOR_EACH (ch, sb->idl) {
        if (!strcmp(ch->name, chassis)) {
            here = ch;
        } else if (hostname && !strcmp(ch->hostname, hostname)) {
            namesake = ch;
        }
    }
    if (!here && namesake) {
        return xasprintf("chassis '%s' is not registered in %s %s, but "
                         "chassis '%s' is, with the same hostname '%s': the "
                         "system-id of its ovn-controller differs", chassis,
                         sb->what, sb->remote, namesake->name, hostname);
    } else if (!here) {
        struct ds registered = DS_EMPTY_INITIALIZER;
        put_registered_chassis(&registered, sb->idl);
        char *why = xasprintf("chassis '%s' is not registered in %s %s, "
                              "which holds %s: its ovn-controller never "
                              "connected, or its system-id differs",
                              chassis, sb->what, sb->remote,
                              ds_cstr(&registered));
        ds_destroy(&registered);
        return why;
    }

    const struct sbrec_port_binding *pb;
    SBREC_PORT_BINDING_FOR_EACH (pb, sb->idl) {
        if (strcmp(pb->logical_port, lsp)) {
            continue;
        } else if (!pb->chassis) {
            return xasprintf("the Port_Binding of logical switch port '%s' "
                             "in %s %s has no chassis, though chassis '%s' "
                             "is registered there: its ovn-controller has "
                             "not claimed the port (is it still running "
                             "and connected?)", lsp, sb->what, sb->remote,
                             chassis);
        } else if (pb->chassis != here) {
            return xasprintf("logical switch port '%s' is bound to chassis "
                             "'%s' in %s %s, not to chassis '%s'", lsp,
                             pb->chassis->name, sb->what, sb->remote,
                             chassis);
        }
        return NULL;
    }
    return xasprintf("logical switch port '%s' has no Port_Binding in %s "
                     "%s: ovn-northd has not translated it (is it running "
                     "and connected to both databases?)", lsp, sb->what,
                     sb->remote);
}

/* ---- A chassis's Open_vSwitch database. ---- */

static const struct ovsrec_bridge *
find_bridge(struct ovsdb_idl *idl, const char *name)
{
    const struct ovsrec_bridge *br;
    OVSREC_BRIDGE_FOR_EACH (br, idl) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

/* Inserts a port with one interface 'name' of 'type' into 'txn' and returns
 * the port. */
static const struct ovsrec_port *
insert_port(struct ovsdb_idl_txn *txn, const char *name, const char *type,
            const struct smap *iface_ids, const struct smap *port_ids)
{
    const struct ovsrec_interface *iface = ovsrec_interface_insert(txn);
    ovsrec_interface_set_name(iface, name);
    ovsrec_interface_set_type(iface, type);
    if (iface_ids) {
        ovsrec_interface_set_external_ids(iface, iface_ids);
    }

    const struct ovsrec_port *port = ovsrec_port_insert(txn);
    ovsrec_port_set_name(port, name);
    ovsrec_port_set_interfaces(port,
                               (struct ovsrec_interface **) &iface, 1);
    if (port_ids) {
        ovsrec_port_set_external_ids(port, port_ids);
    }
    return port;
}

/* Inserts bridge 'name' (netdev) with its internal port into 'txn', unless
 * it exists, and brings its settings in line with 'fail_mode' and
 * 'other_config'. */
static const struct ovsrec_bridge *
ensure_bridge(struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
              const struct ovsrec_open_vswitch *ovs, const char *name,
              const char *fail_mode, const struct smap *other_config)
{
    const struct ovsrec_bridge *br = find_bridge(idl, name);
    if (!br) {
        const struct ovsrec_port *port = insert_port(txn, name, "internal",
                                                     NULL, NULL);
        br = ovsrec_bridge_insert(txn);
        ovsrec_bridge_set_name(br, name);
        ovsrec_bridge_set_ports(br, (struct ovsrec_port **) &port, 1);
        ovsrec_open_vswitch_update_bridges_addvalue(ovs, br);
    }
    if (strcmp(br->datapath_type, "netdev")) {
        ovsrec_bridge_set_datapath_type(br, "netdev");
    }
    if (fail_mode && (!br->fail_mode || strcmp(br->fail_mode, fail_mode))) {
        ovsrec_bridge_set_fail_mode(br, fail_mode);
    }
    if (other_config && !smap_equal(&br->other_config, other_config)) {
        ovsrec_bridge_set_other_config(br, other_config);
    }
    return br;
}

static bool
bridge_has_port(const struct ovsrec_bridge *br, const char *name)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        if (!strcmp(br->ports[i]->name, name)) {
            return true;
        }
    }
    return false;
}

int
ovn_vs_configure_chassis(struct ovn_db *db,
                         const struct ovn_chassis_config *cfg,
                         long long int deadline, char **errp)
{
    for (;;) {
        const struct ovsrec_open_vswitch *ovs
            = ovsrec_open_vswitch_first(db->idl);
        if (!ovs) {
            *errp = xasprintf("%s at %s has no Open_vSwitch row", db->what,
                              db->remote);
            return ENOENT;
        }

        struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(db->idl);
        ovsdb_idl_txn_add_comment(txn, "vplug: OVN chassis %s",
                                  cfg->system_id);

        struct smap ids;
        smap_clone(&ids, &ovs->external_ids);
        smap_replace(&ids, "system-id", cfg->system_id);
        if (cfg->hostname) {
            smap_replace(&ids, "hostname", cfg->hostname);
        }
        smap_replace(&ids, "ovn-remote", cfg->ovn_remote);
        smap_replace(&ids, "ovn-encap-type", "geneve");
        smap_replace(&ids, "ovn-encap-ip", cfg->encap_ip);
        smap_replace(&ids, "ovn-bridge-datapath-type", "netdev");
        if (!smap_equal(&ids, &ovs->external_ids)) {
            ovsrec_open_vswitch_set_external_ids(ovs, &ids);
        }
        smap_destroy(&ids);

        struct smap other = SMAP_INITIALIZER(&other);
        smap_add(&other, "disable-in-band", "true");
        ensure_bridge(db->idl, txn, ovs, "br-int", "secure", &other);
        smap_destroy(&other);

        if (cfg->underlay_port) {
            const struct ovsrec_bridge *br
                = ensure_bridge(db->idl, txn, ovs, "br-phy", NULL, NULL);
            if (!bridge_has_port(br, cfg->underlay_port)) {
                const struct ovsrec_port *port
                    = insert_port(txn, cfg->underlay_port, "", NULL, NULL);
                ovsrec_bridge_update_ports_addvalue(br, port);
            }
        }

        int error = ovn_db_commit(db, txn, deadline, errp);
        if (error != EAGAIN) {
            return error;
        }
    }
}

const char *
ovn_vs_external_id(const struct ovn_db *db, const char *key)
{
    const struct ovsrec_open_vswitch *ovs = ovsrec_open_vswitch_first(db->idl);
    return ovs ? smap_get(&ovs->external_ids, key) : NULL;
}

const char *
ovn_vs_system_id(const struct ovn_db *db)
{
    return ovn_vs_external_id(db, "system-id");
}

int
ovn_vs_sync_ports(struct ovn_db *db, const char *bridge, const char *owner,
                  const struct ovn_vs_port *ports, size_t n,
                  long long int deadline, char **errp)
{
    for (;;) {
        const struct ovsrec_bridge *br = find_bridge(db->idl, bridge);
        if (!br) {
            *errp = xasprintf("%s at %s has no bridge '%s' (is "
                              "ovn-controller set up there?)", db->what,
                              db->remote, bridge);
            return ENODEV;
        }

        struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(db->idl);
        ovsdb_idl_txn_add_comment(txn, "vplug: apply %s", owner);
        struct sset wanted = SSET_INITIALIZER(&wanted);
        for (size_t i = 0; i < n; i++) {
            sset_add(&wanted, ports[i].ifname);
        }

        /* The owner's ports that are no longer wanted, and conflicts. */
        int error = 0;
        for (size_t i = 0; i < br->n_ports; i++) {
            const struct ovsrec_port *port = br->ports[i];
            bool ours = owned_by(&port->external_ids, owner);
            if (!ours && sset_contains(&wanted, port->name)) {
                error = conflict(errp, "port", port->name,
                                 &port->external_ids, owner);
                break;
            } else if (ours && !sset_contains(&wanted, port->name)) {
                ovsrec_bridge_update_ports_delvalue(br, port);
            }
        }

        for (size_t i = 0; !error && i < n; i++) {
            const struct ovn_vs_port *p = &ports[i];
            const struct ovsrec_port *port = NULL;
            for (size_t j = 0; j < br->n_ports; j++) {
                if (!strcmp(br->ports[j]->name, p->ifname)) {
                    port = br->ports[j];
                }
            }

            struct smap iface_ids = SMAP_INITIALIZER(&iface_ids);
            smap_add(&iface_ids, "iface-id", p->iface_id);
            if (p->mac) {
                smap_add(&iface_ids, "attached-mac", p->mac);
            }
            smap_add(&iface_ids, OVN_DB_OWNER_KEY, owner);
            if (!port) {
                struct smap port_ids = SMAP_INITIALIZER(&port_ids);
                smap_add(&port_ids, OVN_DB_OWNER_KEY, owner);
                port = insert_port(txn, p->ifname, "", &iface_ids,
                                   &port_ids);
                ovsrec_bridge_update_ports_addvalue(br, port);
                smap_destroy(&port_ids);
            } else if (port->n_interfaces == 1) {
                /* Keep what ovn-controller added (ovn-installed). */
                const struct ovsrec_interface *iface = port->interfaces[0];
                const char *id = smap_get(&iface->external_ids, "iface-id");
                if (!id || strcmp(id, p->iface_id)) {
                    ovsrec_interface_update_external_ids_setkey(
                        iface, "iface-id", p->iface_id);
                }
            }
            smap_destroy(&iface_ids);
        }
        sset_destroy(&wanted);

        if (error) {
            ovsdb_idl_txn_abort(txn);
            ovsdb_idl_txn_destroy(txn);
            return error;
        }
        error = ovn_db_commit(db, txn, deadline, errp);
        if (error != EAGAIN) {
            return error;
        }
    }
}

int
ovn_vs_remove_ports(struct ovn_db *db, const char *bridge, const char *owner,
                    const struct sset *ifnames, long long int deadline,
                    char **errp)
{
    for (;;) {
        const struct ovsrec_bridge *br = find_bridge(db->idl, bridge);
        if (!br) {
            return 0;
        }
        struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(db->idl);
        ovsdb_idl_txn_add_comment(txn, "vplug: remove ports of %s", owner);
        for (size_t i = 0; i < br->n_ports; i++) {
            const struct ovsrec_port *port = br->ports[i];
            if (owned_by(&port->external_ids, owner)
                && (!ifnames || sset_contains(ifnames, port->name))) {
                ovsrec_bridge_update_ports_delvalue(br, port);
            }
        }
        int error = ovn_db_commit(db, txn, deadline, errp);
        if (error != EAGAIN) {
            return error;
        }
    }
}

bool
ovn_vs_port_state(const struct ovn_db *db, const char *ifname,
                  int *ofportp, bool *installedp)
{
    const struct ovsrec_interface *iface;
    OVSREC_INTERFACE_FOR_EACH (iface, db->idl) {
        if (!strcmp(iface->name, ifname)) {
            *ofportp = iface->n_ofport ? iface->ofport[0] : -1;
            *installedp = smap_get_bool(&iface->external_ids,
                                        "ovn-installed", false);
            return true;
        }
    }
    *ofportp = -1;
    *installedp = false;
    return false;
}

bool
ovn_vs_controller_seen(const struct ovn_db *db, const char *bridge)
{
    const struct ovsrec_bridge *br = find_bridge(db->idl, bridge);
    return br && ovn_bridge_ids_show_controller(&br->external_ids);
}

/* Why a port is not installed. */

bool
ovn_bridge_ids_show_controller(const struct smap *bridge_ids)
{
    return (smap_get(bridge_ids, "ovn-startup-ts")
            || smap_get(bridge_ids, "ovn-nb-cfg"));
}

char *
ovn_why_not_installed(const struct ovn_local_view *view, const char *iface_id)
{
    if (!view->system_id) {
        return xstrdup("external_ids:system-id is not set in the "
                       "Open_vSwitch table, so no ovn-controller can "
                       "register this chassis");
    } else if (!view->controller_seen) {
        /* ovn-controller marks the bridge when it starts: without the mark
         * it never ran here (or never found the bridge). */
        return xasprintf("%s carries no mark of ovn-controller "
                         "(external_ids:ovn-startup-ts), so it has not run "
                         "on chassis '%s' (is it running and connected to "
                         "%s?)", view->bridge, view->system_id,
                         view->sb_remote ? view->sb_remote
                         : "its Southbound database");
    }
    return xasprintf("no logical switch port '%s' is bound to chassis '%s' "
                     "(is '%s' in the Northbound database, not bound to "
                     "another chassis, and is ovn-controller still running "
                     "and connected to %s?)", iface_id, view->system_id,
                     iface_id, view->sb_remote ? view->sb_remote
                     : "its Southbound database");
}
