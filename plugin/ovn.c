/* The OVN backend: a switch of kind "ovn" is a Logical_Switch in OVN's
 * Northbound database, each link to it a Logical_Switch_Port bound through
 * external_ids:iface-id on the integration bridge (br-int) of the chassis
 * the port lives on, and each router a Logical_Router with one port per
 * switch it joins.
 *
 * Where the switch-side end of a veth lives.  ovs-vswitchd with the
 * userspace datapath opens a "system" port by name in its own network
 * namespace.  On a real host that is the host's namespace, where the engine
 * puts every switch end anyway.  In a rehearsal each chassis's
 * ovs-vswitchd runs inside the chassis's namespace (see sandbox-ovn.h), so
 * localize() moves the switch end of each link into the namespace of its
 * chassis: the engine then creates the veth with one end in the VM's
 * namespace and its peer directly in the chassis's, exactly as for any two
 * namespaces, and this backend adds that peer to the chassis's own br-int
 * over the chassis's own database socket.
 *
 * Real hosts: the local chassis is the one whose name is the local
 * Open_vSwitch external_ids:system-id.  localize() drops the links whose
 * port lives on another chassis from what the engine makes here (and says
 * which), while the Northbound rows of the whole lab are written from every
 * host alike, idempotently.
 *
 * Ready: every local port's Interface has external_ids:ovn-installed=true
 * (ovn-controller's mark that its flows are in) and its Logical_Switch_Port
 * has up=true; in a rehearsal, also a first packet from one chassis to
 * another passes. */
#include <config.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "lib/vswitch-idl.h"
#include "netns.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn-db.h"
#include "ovsdb/ovn-nb-idl.h"
#include "probe.h"
#include "sandbox-ovn.h"
#include "smap.h"
#include "sset.h"
#include "svec.h"
#include "timeval.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"

VLOG_DEFINE_THIS_MODULE(ovn);

/* ovn-controller's integration bridge. */
#define OVN_BRIDGE "br-int"

/* One Logical_Switch_Port of the lab that is plugged on this machine. */
struct ovn_port {
    char *lsp;                  /* Logical_Switch_Port name = iface-id. */
    char *ls;                   /* Its logical switch. */
    char *chassis;              /* The chassis it lives on. */
    char *ifname;               /* Switch-side veth end (on br-int). */
    char *ns;                   /* The namespace end's namespace. */
    char *ns_ifname;            /* The namespace end's interface. */
    char *mac;
    char *ipv4;                 /* First IPv4 address (no prefix), or NULL. */
};

/* One chassis's Open_vSwitch database, opened when needed. */
struct ovn_chassis_db {
    char *name;
    char *remote;
    struct ovn_db *db;
};

struct ovn_backend {
    struct vplug_backend up;

    /* What localize() found in the topology. */
    char *owner;
    struct svec switches;       /* Logical switch names. */
    struct svec routers;        /* Logical router names. */
    struct ovn_nb_lsp *lsps;    /* Every LSP of the lab (strings owned). */
    size_t n_lsps;
    struct ovn_nb_lrp *lrps;
    size_t n_lrps;
    struct ovn_port *ports;     /* The local ones. */
    size_t n_ports;
    struct svec elsewhere;      /* "vm2/eth0 on chassis hv2". */
    struct svec chassis;        /* The lab's chassis. */
    char *local_chassis;        /* Real hosts: this host's system-id. */

    struct ovn_db *nb;
    struct ovn_chassis_db *dbs;
    size_t n_dbs;

    bool applying;              /* ensure_switch()/attach() were called. */

    /* What detach() and remove_switch() queued for commit(): exactly
     * these go, so that a rollback of the ports a re-apply added leaves
     * the rest of the lab. */
    struct sset removed_ifnames;        /* Switch ends, on br-int. */
    struct sset removed_lsps;           /* Their Logical_Switch_Ports. */
    struct sset removed_switches;       /* Logical switches. */
};

static struct ovn_backend *
ovn_backend_cast(struct vplug_backend *b)
{
    return CONTAINER_OF(b, struct ovn_backend, up);
}

static bool
rehearsal(const struct ovn_backend *ob)
{
    return ob->up.ctx->ovn_sandbox != NULL;
}

/* A stable, locally administered unicast MAC derived from 'seed'. */
static char *
stable_mac(const char *seed)
{
    uint32_t h1 = 2166136261u, h2 = 0x811c9dc5u ^ 0x5bd1e995u;
    for (const char *p = seed; *p; p++) {
        h1 = (h1 ^ (uint8_t) *p) * 16777619u;
        h2 = (h2 ^ (uint8_t) *p) * 16777619u + 1;
    }
    return xasprintf("0a:%02x:%02x:%02x:%02x:%02x", h1 >> 24, (h1 >> 16) & 0xff,
                     (h1 >> 8) & 0xff, h1 & 0xff, h2 & 0xff);
}

static void
ovn_lab_clear(struct ovn_backend *ob)
{
    svec_clear(&ob->switches);
    svec_clear(&ob->routers);
    for (size_t i = 0; i < ob->n_lsps; i++) {
        struct ovn_nb_lsp *l = &ob->lsps[i];
        free((char *) l->name);
        free((char *) l->ls);
        free((char *) l->addresses);
        free((char *) l->router_port);
        free((char *) l->chassis);
    }
    free(ob->lsps);
    ob->lsps = NULL;
    ob->n_lsps = 0;
    for (size_t i = 0; i < ob->n_lrps; i++) {
        struct ovn_nb_lrp *l = &ob->lrps[i];
        free((char *) l->name);
        free((char *) l->lr);
        free((char *) l->mac);
        free((char *) l->network);
    }
    free(ob->lrps);
    ob->lrps = NULL;
    ob->n_lrps = 0;
    for (size_t i = 0; i < ob->n_ports; i++) {
        struct ovn_port *p = &ob->ports[i];
        free(p->lsp);
        free(p->ls);
        free(p->chassis);
        free(p->ifname);
        free(p->ns);
        free(p->ns_ifname);
        free(p->mac);
        free(p->ipv4);
    }
    free(ob->ports);
    ob->ports = NULL;
    ob->n_ports = 0;
    svec_clear(&ob->elsewhere);
    svec_clear(&ob->chassis);
}

static int
ovn_open(struct vplug_ctx *ctx, struct vplug_backend **backendp, char **errp)
{
    struct ovn_backend *ob = xzalloc(sizeof *ob);
    ob->up.class = &vplug_ovn_backend;
    ob->up.ctx = ctx;
    svec_init(&ob->switches);
    svec_init(&ob->routers);
    svec_init(&ob->elsewhere);
    svec_init(&ob->chassis);
    sset_init(&ob->removed_ifnames);
    sset_init(&ob->removed_lsps);
    sset_init(&ob->removed_switches);
    ob->owner = xstrdup(ctx->owner);
    *backendp = &ob->up;
    *errp = NULL;
    return 0;
}

static void
ovn_close(struct vplug_backend *b)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    ovn_lab_clear(ob);
    svec_destroy(&ob->switches);
    svec_destroy(&ob->routers);
    svec_destroy(&ob->elsewhere);
    svec_destroy(&ob->chassis);
    sset_destroy(&ob->removed_ifnames);
    sset_destroy(&ob->removed_lsps);
    sset_destroy(&ob->removed_switches);
    ovn_db_close(ob->nb);
    for (size_t i = 0; i < ob->n_dbs; i++) {
        ovn_db_close(ob->dbs[i].db);
        free(ob->dbs[i].name);
        free(ob->dbs[i].remote);
    }
    free(ob->dbs);
    free(ob->local_chassis);
    free(ob->owner);
    free(ob);
}

/* Returns the Northbound remote: the rehearsal's, the user's, or the
 * file's (NULL if none). */
static char *
nb_remote(const struct ovn_backend *ob)
{
    const struct vplug_ctx *ctx = ob->up.ctx;
    if (ctx->ovn_sandbox) {
        return sandbox_ovn_nb_remote(ctx->ovn_sandbox);
    } else if (ctx->ovn_nb_remote) {
        return xstrdup(ctx->ovn_nb_remote);
    } else if (ctx->topo && ctx->topo->ovn_nb) {
        return xstrdup(ctx->topo->ovn_nb);
    }
    return NULL;
}

static int
open_nb(struct ovn_backend *ob, char **errp)
{
    if (ob->nb) {
        return 0;
    }
    char *remote = nb_remote(ob);
    if (!remote) {
        *errp = xasprintf("topology '%s' has ovn switches but no OVN "
                          "Northbound database to write them to (give "
                          "--ovn-nb=REMOTE, \"ovn\": {\"nb\": REMOTE} in the "
                          "file, or --sandbox)", ob->owner);
        return EINVAL;
    }
    int error = ovn_db_open(&nbrec_idl_class, remote,
                            "the OVN Northbound database",
                            ob->up.ctx->deadline, &ob->nb, errp);
    free(remote);
    return error;
}

/* Returns chassis 'name''s database connection, opening it if needed. */
static struct ovn_db *
chassis_db(struct ovn_backend *ob, const char *name, char **errp)
{
    for (size_t i = 0; i < ob->n_dbs; i++) {
        if (!strcmp(ob->dbs[i].name, name)) {
            return ob->dbs[i].db;
        }
    }

    const struct vplug_ctx *ctx = ob->up.ctx;
    char *remote = (rehearsal(ob)
                    ? sandbox_ovn_chassis_remote(ctx->ovn_sandbox, name)
                    : xstrdup(ctx->db_remote));
    char *what = xasprintf("the Open_vSwitch database of chassis '%s'",
                           name);
    struct ovn_db *db;
    int error = ovn_db_open(&ovsrec_idl_class, remote, what, ctx->deadline,
                            &db, errp);
    free(what);
    if (error) {
        free(remote);
        return NULL;
    }
    ob->dbs = xrealloc(ob->dbs, (ob->n_dbs + 1) * sizeof *ob->dbs);
    ob->dbs[ob->n_dbs++] = (struct ovn_chassis_db) {
        .name = xstrdup(name), .remote = remote, .db = db,
    };
    return db;
}

/* Real hosts: finds this host's chassis name (the local Open_vSwitch
 * external_ids:system-id) and checks that 'topo' lists it. */
static int
find_local_chassis(struct ovn_backend *ob, const struct topology *topo,
                   char **errp)
{
    if (ob->local_chassis) {
        return 0;
    }
    const struct vplug_ctx *ctx = ob->up.ctx;
    struct ovn_db *db;
    int error = ovn_db_open(&ovsrec_idl_class, ctx->db_remote,
                            "the local Open_vSwitch database", ctx->deadline,
                            &db, errp);
    if (error) {
        return error;
    }

    struct ds names = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < topo->n_chassis; i++) {
        ds_put_format(&names, "%s'%s'", i ? ", " : "", topo->chassis[i].name);
    }
    const char *id = ovn_vs_system_id(db);
    if (!id) {
        *errp = xasprintf("the local Open_vSwitch (%s) has no "
                          "external_ids:system-id, so this host is none of "
                          "topology '%s''s chassis (%s); is ovn-controller "
                          "set up here?", ctx->db_remote, topo->name,
                          ds_cstr(&names));
        error = ENOENT;
    } else if (!topology_find_chassis(topo, id)) {
        *errp = xasprintf("this host is chassis '%s' (external_ids:system-id "
                          "of the local Open_vSwitch), which topology '%s' "
                          "does not list (its chassis: %s)", id, topo->name,
                          ds_cstr(&names));
        error = ENOENT;
    } else {
        ob->local_chassis = xstrdup(id);
        /* Keep the connection: the local chassis's ports go there. */
        ob->dbs = xrealloc(ob->dbs, (ob->n_dbs + 1) * sizeof *ob->dbs);
        ob->dbs[ob->n_dbs++] = (struct ovn_chassis_db) {
            .name = xstrdup(id), .remote = xstrdup(ctx->db_remote), .db = db,
        };
        db = NULL;
    }
    ds_destroy(&names);
    ovn_db_close(db);
    return error;
}

/* Returns "OWNER-A-B", a Northbound name. */
static char *
nb_name(const char *owner, const char *a, const char *b)
{
    return xasprintf("%s-%s-%s", owner, a, b);
}

static int
ovn_localize(struct vplug_backend *b, struct topology *eff, char **errp)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    const char *owner = ob->owner;
    int error = 0;

    ovn_lab_clear(ob);
    if (!rehearsal(ob) && !b->ctx->dry_run) {
        error = find_local_chassis(ob, eff, errp);
        if (error) {
            return error;
        }
    }
    for (size_t i = 0; i < eff->n_chassis; i++) {
        svec_add(&ob->chassis, eff->chassis[i].name);
    }

    for (size_t i = 0; i < eff->n_switches; i++) {
        if (eff->switches[i].kind == TOPO_SW_OVN) {
            svec_add(&ob->switches, eff->switches[i].name);
        }
    }
    for (size_t i = 0; i < eff->n_routers; i++) {
        const struct topo_router *r = &eff->routers[i];
        svec_add(&ob->routers, r->name);
        for (size_t j = 0; j < r->n_ports; j++) {
            const struct topo_router_port *p = &r->ports[j];
            char *lrp = nb_name(owner, r->name, p->sw);
            ob->lrps = xrealloc(ob->lrps, (ob->n_lrps + 1) * sizeof *ob->lrps);
            ob->lrps[ob->n_lrps++] = (struct ovn_nb_lrp) {
                .name = xstrdup(lrp),
                .lr = xstrdup(r->name),
                .mac = stable_mac(lrp),
                .network = xstrdup(p->cidr),
            };
            ob->lsps = xrealloc(ob->lsps, (ob->n_lsps + 1) * sizeof *ob->lsps);
            ob->lsps[ob->n_lsps++] = (struct ovn_nb_lsp) {
                .name = nb_name(owner, p->sw, r->name),
                .ls = xstrdup(p->sw),
                .addresses = xstrdup("router"),
                .router_port = lrp,
            };
        }
    }

    for (size_t i = 0; i < eff->n_links; ) {
        struct topo_link *l = &eff->links[i];
        int k = -1;
        for (int j = 0; j < 2; j++) {
            const struct topo_switch *sw = topology_find_switch(eff,
                                                                l->ends[j].sw);
            if (sw && sw->kind == TOPO_SW_OVN) {
                k = j;
            }
        }
        if (k < 0) {
            i++;
            continue;
        }
        struct topo_end *se = &l->ends[k];
        struct topo_end *ne = &l->ends[!k];
        const char *chassis = (se->chassis ? se->chassis
                               : rehearsal(ob) ? topology_default_chassis(eff)
                               : ob->local_chassis);
        if (!ne->mac) {
            char *seed = xasprintf("%s/%s/%s", owner, ne->ns ? ne->ns : "",
                                   ne->ifname);
            ne->mac = stable_mac(seed);
            free(seed);
        }

        /* "MAC IP...": the addresses OVN answers ARP for and lets pass. */
        struct ds addresses = DS_EMPTY_INITIALIZER;
        char *ipv4 = NULL;
        ds_put_cstr(&addresses, ne->mac);
        for (size_t a = 0; a < ne->addrs.n; a++) {
            char *addr;
            int family;
            if (!topology_parse_cidr(ne->addrs.names[a], &family, &addr,
                                     NULL)) {
                ds_put_format(&addresses, " %s", addr);
                if (family == AF_INET && !ipv4) {
                    ipv4 = addr;
                } else {
                    free(addr);
                }
            }
        }
        char *lsp = nb_name(owner, ne->ns ? ne->ns : "-", ne->ifname);
        ob->lsps = xrealloc(ob->lsps, (ob->n_lsps + 1) * sizeof *ob->lsps);
        ob->lsps[ob->n_lsps++] = (struct ovn_nb_lsp) {
            .name = xstrdup(lsp),
            .ls = xstrdup(se->sw),
            .addresses = ds_steal_cstr(&addresses),
            .chassis = chassis ? xstrdup(chassis) : NULL,
        };

        bool local = (rehearsal(ob) || !chassis || !ob->local_chassis
                      || !strcmp(chassis, ob->local_chassis));
        if (!local) {
            svec_add_nocopy(&ob->elsewhere,
                            xasprintf("%s/%s on chassis '%s'",
                                      ne->ns ? ne->ns : "-", ne->ifname,
                                      chassis));
            free(lsp);
            free(ipv4);
            topo_end_uninit(&l->ends[0]);
            topo_end_uninit(&l->ends[1]);
            memmove(l, l + 1, (eff->n_links - i - 1) * sizeof *l);
            eff->n_links--;
            continue;
        }

        if (se->chassis != chassis) {
            free(se->chassis);
            se->chassis = chassis ? xstrdup(chassis) : NULL;
            chassis = se->chassis;
        }
        if (rehearsal(ob)) {
            /* The switch end lives where its chassis's ovs-vswitchd
             * runs. */
            free(se->ns);
            se->ns = xstrdup(chassis);
        }
        ob->ports = xrealloc(ob->ports, (ob->n_ports + 1) * sizeof *ob->ports);
        ob->ports[ob->n_ports++] = (struct ovn_port) {
            .lsp = lsp,
            .ls = xstrdup(se->sw),
            .chassis = xstrdup(chassis ? chassis : ""),
            .ifname = xstrdup(se->ifname),
            .ns = nullable_xstrdup(ne->ns),
            .ns_ifname = xstrdup(ne->ifname),
            .mac = xstrdup(ne->mac),
            .ipv4 = ipv4,
        };
        i++;
    }
    return 0;
}

static int
ovn_probe(struct vplug_backend *b OVS_UNUSED,
          const struct topo_switch *sw OVS_UNUSED, char **errp OVS_UNUSED)
{
    return 0;
}

static int
ovn_ensure_switch(struct vplug_backend *b, const struct topo_switch *sw,
                  bool *createdp, char **variantp, char **errp OVS_UNUSED)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    ob->applying = true;
    *createdp = true;
    *variantp = xasprintf("ovn/%s", rehearsal(ob) ? "rehearsal" : "nb");
    (void) sw;
    return 0;
}

static int
ovn_attach(struct vplug_backend *b, const struct topo_switch *sw OVS_UNUSED,
           const struct topo_end *end OVS_UNUSED, char **errp OVS_UNUSED)
{
    /* The ports come from localize(); commit() makes them all at once. */
    ovn_backend_cast(b)->applying = true;
    return 0;
}

/* Queues removing switch end 'ifname' from br-int and, if it is a port of
 * the lab as localize() last saw it, its Logical_Switch_Port. */
static int
ovn_detach(struct vplug_backend *b, const char *sw_name, const char *ifname,
           char **errp OVS_UNUSED)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    sset_add(&ob->removed_ifnames, ifname);
    for (size_t i = 0; i < ob->n_ports; i++) {
        const struct ovn_port *p = &ob->ports[i];
        if (!strcmp(p->ifname, ifname) && !strcmp(p->ls, sw_name)) {
            sset_add(&ob->removed_lsps, p->lsp);
        }
    }
    return 0;
}

static int
ovn_remove_switch(struct vplug_backend *b, const char *sw_name,
                  char **errp OVS_UNUSED)
{
    sset_add(&ovn_backend_cast(b)->removed_switches, sw_name);
    return 0;
}

static bool
removal_queued(const struct ovn_backend *ob)
{
    return (!sset_is_empty(&ob->removed_ifnames)
            || !sset_is_empty(&ob->removed_switches));
}

static void
removal_clear(struct ovn_backend *ob)
{
    sset_clear(&ob->removed_ifnames);
    sset_clear(&ob->removed_lsps);
    sset_clear(&ob->removed_switches);
}

/* True if the queued removal takes every logical switch of the lab: then
 * it is the lab's end, and everything tagged with the owner goes (rows of
 * ports on other chassis, rows that no file lists any more). */
static bool
removes_whole_lab(const struct ovn_backend *ob)
{
    if (sset_is_empty(&ob->removed_switches)) {
        return false;
    }
    for (size_t i = 0; i < ob->switches.n; i++) {
        if (!sset_contains(&ob->removed_switches, ob->switches.names[i])) {
            return false;
        }
    }
    return true;
}

static void
ovn_abort(struct vplug_backend *b)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    ob->applying = false;
    removal_clear(ob);
}

/* Readiness. */

struct ready_aux {
    struct ovn_backend *ob;
    size_t n_ready;
};

static struct ovn_db *
find_chassis_db(const struct ovn_backend *ob, const char *name)
{
    for (size_t i = 0; i < ob->n_dbs; i++) {
        if (!strcmp(ob->dbs[i].name, name)) {
            return ob->dbs[i].db;
        }
    }
    return NULL;
}

static bool
port_ready(const struct ovn_backend *ob, const struct ovn_port *p)
{
    const struct ovn_db *db = find_chassis_db(ob, p->chassis);
    int ofport;
    bool installed;
    return (db && ovn_vs_port_state(db, p->ifname, &ofport, &installed)
            && installed && ofport > 0
            && ovn_nb_lsp_up(ob->nb, p->lsp) == 1);
}

static bool
all_ready(void *aux_)
{
    struct ready_aux *aux = aux_;
    aux->n_ready = 0;
    for (size_t i = 0; i < aux->ob->n_ports; i++) {
        aux->n_ready += port_ready(aux->ob, &aux->ob->ports[i]);
    }
    return aux->n_ready == aux->ob->n_ports;
}

/* How long the diagnostics may wait for the Southbound database: they run
 * once the apply's own deadline has passed. */
#define SB_READ_MS 2000

/* Reads the Southbound database to say why port 'p', whose chassis's
 * Open_vSwitch database is 'db', is not bound there.  Returns a
 * malloc'd sentence, or NULL if the Southbound database shows the port
 * bound there, or if there is no Southbound remote to read (a chassis
 * without external_ids:ovn-remote). */
static char *
why_not_bound(const struct ovn_backend *ob, const struct ovn_port *p,
              const struct ovn_db *db)
{
    const struct vplug_ctx *ctx = ob->up.ctx;
    char *remote = (rehearsal(ob) ? sandbox_ovn_sb_remote(ctx->ovn_sandbox)
                    : nullable_xstrdup(ovn_vs_external_id(db, "ovn-remote")));
    if (!remote) {
        return NULL;
    }

    struct ovn_db *sb;
    char *cause = NULL;
    if (!ovn_sb_open(remote, time_msec() + SB_READ_MS, &sb, &cause)) {
        cause = ovn_sb_why_not_bound(sb, p->chassis,
                                     ovn_vs_external_id(db, "hostname"),
                                     p->lsp);
        ovn_db_close(sb);
    }
    free(remote);

    char *why = NULL;
    if (cause) {
        why = xasprintf("port %s/%s is not bound on chassis '%s': %s",
                        p->ns ? p->ns : "-", p->ns_ifname, p->chassis,
                        cause);
        free(cause);
    }
    return why;
}

/* Explains why port 'p' is not ready. */
static char *
why_not_ready(struct ovn_backend *ob, const struct ovn_port *p)
{
    const struct vplug_ctx *ctx = ob->up.ctx;
    const struct ovn_db *db = find_chassis_db(ob, p->chassis);
    int ofport;
    bool installed;
    bool exists = db && ovn_vs_port_state(db, p->ifname, &ofport,
                                          &installed);
    int up = ovn_nb_lsp_up(ob->nb, p->lsp);
    const char *where = p->ns ? p->ns : "-";

    if (rehearsal(ob)
        && !sandbox_ovn_controller_runs(ctx->ovn_sandbox, p->chassis)) {
        return xasprintf("port %s/%s cannot be bound: chassis '%s' has no "
                         "ovn-controller running (its log: "
                         "%s/chassis/%s/ovn-controller.log)", where,
                         p->ns_ifname, p->chassis, ctx->ovn_sandbox,
                         p->chassis);
    } else if (!exists || ofport <= 0) {
        return xasprintf("port %s/%s: interface '%s' has no OpenFlow port on "
                         "chassis '%s''s %s", where, p->ns_ifname, p->ifname,
                         p->chassis, OVN_BRIDGE);
    } else if (!installed) {
        char *why = why_not_bound(ob, p, db);
        if (why) {
            return why;
        }
        struct ovn_local_view view = {
            .system_id = ovn_vs_system_id(db),
            .sb_remote = ovn_vs_external_id(db, "ovn-remote"),
            .bridge = OVN_BRIDGE,
            .controller_seen = ovn_vs_controller_seen(db, OVN_BRIDGE),
        };
        char *cause = ovn_why_not_installed(&view, p->lsp);
        why = xasprintf("port %s/%s is not bound: ovn-controller on "
                        "chassis '%s' did not mark interface '%s' "
                        "ovn-installed=true: %s", where, p->ns_ifname,
                        p->chassis, p->ifname, cause);
        free(cause);
        return why;
    } else if (up != 1) {
        return xasprintf("port %s/%s is installed on chassis '%s' but "
                         "logical switch port '%s' is not up (is ovn-northd "
                         "running?)", where, p->ns_ifname, p->chassis,
                         p->lsp);
    }
    return xasprintf("port %s/%s is ready", where, p->ns_ifname);
}

/* In a rehearsal: waits until a first packet passes from a port on one
 * chassis to a port on another, for a pair of ports on each logical switch
 * that spans chassis. */
static int
first_packet(struct ovn_backend *ob, char **errp)
{
    const struct vplug_ctx *ctx = ob->up.ctx;
    struct probe_target *targets = xcalloc(ob->n_ports + 1, sizeof *targets);
    size_t *from = xcalloc(ob->n_ports + 1, sizeof *from);
    size_t *to = xcalloc(ob->n_ports + 1, sizeof *to);
    int *fds = xcalloc(ob->n_ports + 1, sizeof *fds);
    size_t n = 0;
    int error = 0;

    for (size_t i = 0; i < ob->n_ports; i++) {
        fds[i] = -1;
    }
    for (size_t i = 0; i < ob->n_ports; i++) {
        const struct ovn_port *a = &ob->ports[i];
        bool done = false;
        for (size_t k = 0; k < n; k++) {
            done |= !strcmp(ob->ports[from[k]].ls, a->ls);
        }
        for (size_t j = 0; !done && a->ipv4 && a->ns && j < ob->n_ports;
             j++) {
            const struct ovn_port *c = &ob->ports[j];
            if (c->ipv4 && !strcmp(c->ls, a->ls)
                && strcmp(c->chassis, a->chassis)) {
                if (netns_open(a->ns, &fds[i])) {
                    break;
                }
                targets[n] = (struct probe_target) {
                    .netns_fd = fds[i], .ifname = a->ns_ifname,
                    .src = a->ipv4, .dst = c->ipv4,
                };
                from[n] = i;
                to[n] = j;
                n++;
                done = true;
            }
        }
    }

    if (n) {
        struct probe_result *results = xcalloc(n, sizeof *results);
        long long int left = ctx->deadline - time_msec();
        error = probe_run(targets, n, (int) MAX(left / 10, 1),
                          (int) MAX(left, 1), results);
        for (size_t k = 0; !error && k < n; k++) {
            if (results[k].error) {
                const struct ovn_port *a = &ob->ports[from[k]];
                const struct ovn_port *c = &ob->ports[to[k]];
                char *a_ip = sandbox_ovn_chassis_encap_ip(ctx->ovn_sandbox,
                                                          a->chassis);
                char *c_ip = sandbox_ovn_chassis_encap_ip(ctx->ovn_sandbox,
                                                          c->chassis);
                /* Is the underlay the reason? */
                int cfd = -1;
                bool underlay = false;
                if (c_ip && !netns_open(a->chassis, &cfd)) {
                    struct probe_target t = {
                        .netns_fd = cfd, .src = a_ip, .dst = c_ip,
                    };
                    struct probe_result r;
                    underlay = (!probe_run(&t, 1, 3, 300, &r) && !r.error);
                    close(cfd);
                }
                if (!underlay) {
                    *errp = xasprintf("chassis '%s' cannot reach the encap "
                                      "IP %s of chassis '%s', so no packet "
                                      "crosses between them (first packet "
                                      "from %s to %s failed)", a->chassis,
                                      c_ip ? c_ip : "(none)", c->chassis,
                                      a->ipv4, c->ipv4);
                } else {
                    *errp = xasprintf("ports are bound but the first packet "
                                      "from %s/%s (%s, chassis '%s') to %s "
                                      "(chassis '%s') did not pass within "
                                      "%d ms", a->ns, a->ns_ifname, a->ipv4,
                                      a->chassis, c->ipv4, c->chassis,
                                      ctx->timeout_ms);
                }
                free(a_ip);
                free(c_ip);
                error = EHOSTUNREACH;
            }
        }
        free(results);
    }
    for (size_t i = 0; i < ob->n_ports; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    free(fds);
    free(targets);
    free(from);
    free(to);
    return error;
}

/* Carries out the queued removal: from the integration bridge of each
 * chassis that this machine holds, the owner's ports that detach() named;
 * from the Northbound database, their Logical_Switch_Ports and the
 * switches that remove_switch() named, with the router ports joining them
 * (see ovn_nb_remove()).  A removal of the whole lab removes every port
 * and row of the owner instead. */
static int
commit_removal(struct ovn_backend *ob, char **errp)
{
    const struct vplug_ctx *ctx = ob->up.ctx;
    bool whole = removes_whole_lab(ob);
    struct svec names = SVEC_EMPTY_INITIALIZER;
    int error = 0;

    bool ports = whole || !sset_is_empty(&ob->removed_ifnames);
    if (ports && rehearsal(ob)) {
        svec_append(&names, &ob->chassis);
    } else if (ports && ob->local_chassis) {
        svec_add(&names, ob->local_chassis);
    }
    for (size_t i = 0; i < names.n && !error; i++) {
        if (rehearsal(ob)
            && !sandbox_ovn_controller_runs(ctx->ovn_sandbox,
                                            names.names[i])) {
            /* A stopped chassis: its ports go with it. */
            char *remote = sandbox_ovn_chassis_remote(ctx->ovn_sandbox,
                                                      names.names[i]);
            char *sock = remote + strlen("unix:");
            bool gone = access(sock, F_OK) != 0;
            free(remote);
            if (gone) {
                continue;
            }
        }
        struct ovn_db *db = chassis_db(ob, names.names[i], errp);
        error = (!db ? ENOTCONN
                 : ovn_vs_remove_ports(db, OVN_BRIDGE, ob->owner,
                                       whole ? NULL : &ob->removed_ifnames,
                                       ctx->deadline, errp));
    }
    svec_destroy(&names);

    size_t n_removed = 0;
    if (!error && (whole || !sset_is_empty(&ob->removed_lsps)
                   || !sset_is_empty(&ob->removed_switches))) {
        error = open_nb(ob, errp);
        if (!error) {
            error = ovn_nb_remove(ob->nb, ob->owner,
                                  whole ? NULL : &ob->removed_switches,
                                  &ob->removed_lsps, ctx->deadline,
                                  &n_removed, errp);
        }
    }
    if (!error && ctx->report && n_removed) {
        char *line = xasprintf("removed %zu OVN Northbound row%s", n_removed,
                               n_removed == 1 ? "" : "s");
        ctx->report(ctx->report_aux, line);
        free(line);
    }
    removal_clear(ob);
    return error;
}

static int
ovn_commit(struct vplug_backend *b, char **errp)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    const struct vplug_ctx *ctx = b->ctx;
    int error;

    if (!ob->applying) {
        return removal_queued(ob) ? commit_removal(ob, errp) : 0;
    }
    /* The sync below removes whatever of the owner the lab no longer
     * lists. */
    ob->applying = false;
    removal_clear(ob);

    /* The whole lab's Northbound rows, from every host alike. */
    error = open_nb(ob, errp);
    if (error) {
        return error;
    }
    const char **switches = xcalloc(ob->switches.n + 1, sizeof *switches);
    const char **routers = xcalloc(ob->routers.n + 1, sizeof *routers);
    for (size_t i = 0; i < ob->switches.n; i++) {
        switches[i] = ob->switches.names[i];
    }
    for (size_t i = 0; i < ob->routers.n; i++) {
        routers[i] = ob->routers.names[i];
    }
    struct ovn_nb_spec spec = {
        .owner = ob->owner,
        .switches = switches, .n_switches = ob->switches.n,
        .routers = routers, .n_routers = ob->routers.n,
        .lsps = ob->lsps, .n_lsps = ob->n_lsps,
        .lrps = ob->lrps, .n_lrps = ob->n_lrps,
    };
    error = ovn_nb_sync(ob->nb, &spec, ctx->deadline, errp);
    free(switches);
    free(routers);
    if (error) {
        return error;
    }

    /* The local ports, on their chassis's br-int. */
    struct svec names = SVEC_EMPTY_INITIALIZER;
    if (rehearsal(ob)) {
        svec_append(&names, &ob->chassis);
    } else if (ob->local_chassis) {
        svec_add(&names, ob->local_chassis);
    }
    for (size_t i = 0; i < names.n && !error; i++) {
        struct ovn_vs_port *ports = xcalloc(ob->n_ports + 1, sizeof *ports);
        size_t n = 0;
        for (size_t k = 0; k < ob->n_ports; k++) {
            const struct ovn_port *p = &ob->ports[k];
            if (!strcmp(p->chassis, names.names[i])) {
                ports[n++] = (struct ovn_vs_port) {
                    .ifname = p->ifname, .iface_id = p->lsp, .mac = p->mac,
                };
            }
        }
        struct ovn_db *db = chassis_db(ob, names.names[i], errp);
        error = (!db ? ENOTCONN
                 : ovn_vs_sync_ports(db, OVN_BRIDGE, ob->owner, ports, n,
                                     ctx->deadline, errp));
        free(ports);
    }
    svec_destroy(&names);
    if (error) {
        return error;
    }

    /* Ready means ovn-installed and up. */
    struct ovn_db **dbs = xcalloc(ob->n_dbs + 1, sizeof *dbs);
    dbs[0] = ob->nb;
    for (size_t i = 0; i < ob->n_dbs; i++) {
        dbs[i + 1] = ob->dbs[i].db;
    }
    struct ready_aux aux = { .ob = ob };
    long long int start = time_msec();
    bool ready = ovn_db_wait_until(dbs, ob->n_dbs + 1, all_ready, &aux,
                                   ctx->deadline);
    free(dbs);
    if (!ready) {
        for (size_t i = 0; i < ob->n_ports; i++) {
            if (!port_ready(ob, &ob->ports[i])) {
                char *why = why_not_ready(ob, &ob->ports[i]);
                *errp = xasprintf("%s (%zu of %zu ports ready after %d "
                                  "ms)", why, aux.n_ready, ob->n_ports,
                                  ctx->timeout_ms);
                free(why);
                break;
            }
        }
        return ETIMEDOUT;
    }
    VLOG_INFO("%zu OVN ports installed and up in %lld ms", ob->n_ports,
              time_msec() - start);

    if (rehearsal(ob)) {
        error = first_packet(ob, errp);
        if (error) {
            return error;
        }
    }
    if (ctx->report) {
        for (size_t i = 0; i < ob->elsewhere.n; i++) {
            char *line = xasprintf("left to its chassis: %s",
                                   ob->elsewhere.names[i]);
            ctx->report(ctx->report_aux, line);
            free(line);
        }
    }
    return 0;
}

/* Lists the logical switches of the lab with the local ports that are on
 * their chassis's integration bridge (as localize() last saw the lab). */
static int
ovn_list(struct vplug_backend *b, const char *owner OVS_UNUSED,
         struct vplug_switch_info **infosp, size_t *n, char **errp)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    struct vplug_switch_info *infos = xcalloc(ob->switches.n + 1,
                                              sizeof *infos);
    for (size_t i = 0; i < ob->switches.n; i++) {
        struct vplug_switch_info *info = &infos[i];
        info->name = xstrdup(ob->switches.names[i]);
        info->variant = xstrdup("ovn");
        info->owner = xstrdup(ob->owner);
        info->ports = xcalloc(ob->n_ports + 1, sizeof *info->ports);
        for (size_t k = 0; k < ob->n_ports; k++) {
            const struct ovn_port *p = &ob->ports[k];
            char *err = NULL;
            struct ovn_db *db = (strcmp(p->ls, info->name) ? NULL
                                 : chassis_db(ob, p->chassis, &err));
            int ofport;
            bool installed;
            if (db && ovn_vs_port_state(db, p->ifname, &ofport,
                                        &installed)) {
                info->ports[info->n_ports++] = (struct vplug_port_info) {
                    .ifname = xstrdup(p->ifname),
                    .owner = xstrdup(ob->owner),
                    .ofport = ofport,
                    .vlan = -1,
                };
            }
            free(err);
        }
    }
    *infosp = infos;
    *n = ob->switches.n;
    *errp = NULL;
    return 0;
}

/* Describes the owner's logical switches, routers and ports, with each
 * port's chassis and binding state. */
static int
ovn_describe(struct vplug_backend *b, struct ds *out, char **errp)
{
    struct ovn_backend *ob = ovn_backend_cast(b);
    int error = open_nb(ob, errp);
    if (error) {
        return error;
    }
    const struct nbrec_logical_switch *ls;
    NBREC_LOGICAL_SWITCH_FOR_EACH (ls, ob->nb->idl) {
        const char *o = smap_get(&ls->external_ids, OVN_DB_OWNER_KEY);
        if (!o || strcmp(o, ob->owner)) {
            continue;
        }
        ds_put_format(out, "  logical switch %s\n", ls->name);
        for (size_t i = 0; i < ls->n_ports; i++) {
            const struct nbrec_logical_switch_port *lsp = ls->ports[i];
            const char *chassis = smap_get(&lsp->options,
                                           "requested-chassis");
            bool up = lsp->n_up && lsp->up[0];
            ds_put_format(out, "    port %s", lsp->name);
            if (!strcmp(lsp->type, "router")) {
                ds_put_format(out, " (router port %s)",
                              smap_get_def(&lsp->options, "router-port",
                                           "?"));
            } else {
                ds_put_format(out, " %s, chassis %s",
                              lsp->n_addresses ? lsp->addresses[0] : "",
                              chassis ? chassis : "(any)");
            }
            ds_put_format(out, ", %s", up ? "up" : "down");
            for (size_t k = 0; k < ob->n_ports; k++) {
                const struct ovn_port *p = &ob->ports[k];
                char *err = NULL;
                const struct ovn_db *db = (strcmp(p->lsp, lsp->name) ? NULL
                                           : chassis_db(ob, p->chassis,
                                                        &err));
                free(err);
                int ofport;
                bool installed;
                if (db && ovn_vs_port_state(db, p->ifname, &ofport,
                                            &installed)) {
                    ds_put_format(out, ", %s on %s", installed
                                  ? "ovn-installed" : "not installed",
                                  p->ifname);
                }
            }
            ds_put_char(out, '\n');
        }
    }
    const struct nbrec_logical_router *lr;
    NBREC_LOGICAL_ROUTER_FOR_EACH (lr, ob->nb->idl) {
        const char *o = smap_get(&lr->external_ids, OVN_DB_OWNER_KEY);
        if (!o || strcmp(o, ob->owner)) {
            continue;
        }
        ds_put_format(out, "  logical router %s\n", lr->name);
        for (size_t i = 0; i < lr->n_ports; i++) {
            const struct nbrec_logical_router_port *lrp = lr->ports[i];
            ds_put_format(out, "    port %s %s %s\n", lrp->name, lrp->mac,
                          lrp->n_networks ? lrp->networks[0] : "");
        }
    }
    for (size_t i = 0; i < ob->elsewhere.n; i++) {
        ds_put_format(out, "  elsewhere: %s\n", ob->elsewhere.names[i]);
    }
    return 0;
}

const struct vplug_backend_class vplug_ovn_backend = {
    .name = "ovn",
    .open = ovn_open,
    .close = ovn_close,
    .probe = ovn_probe,
    .ensure_switch = ovn_ensure_switch,
    .attach = ovn_attach,
    .detach = ovn_detach,
    .remove_switch = ovn_remove_switch,
    .abort = ovn_abort,
    .commit = ovn_commit,
    .list = ovn_list,
    .localize = ovn_localize,
    .describe = ovn_describe,
};
