/* vplugd: the vplug daemon.  It serves a control socket that the real
 * "ovs-appctl -t vplugd COMMAND" drives (apply, destroy, show, verify,
 * plug, unplug, status, logging), beside the Open vSwitch daemons and the
 * same way they are run. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "daemon.h"
#include "engine.h"
#include "netns-pool.h"
#include "netns.h"
#include "ovsdb/vswitch.h"
#include "openvswitch/poll-loop.h"
#include "rtnl.h"
#include "sandbox.h"
#include "topology.h"
#include "unixctl.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "vif.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(vplugd);

/* How often the kernel side is checked without any event (namespaces,
 * links inside namespaces), and how long drift must last before a repair:
 * long enough for someone else's destroy of a small topology to finish. */
#define TICK_MS 1000
#define GRACE_MS 1000
/* How long after an event the check runs, so that a burst of events (a
 * plug makes several) costs one check. */
#define COALESCE_MS 100
/* Bound on a repair's waits: shorter than a request's, as the daemon does
 * nothing else meanwhile. */
#define REPAIR_TIMEOUT_MS 10000
/* Spare namespaces kept for plugs into new namespaces by default, at most,
 * and how long to wait after failing to make one. */
#define SPARE_NAMESPACES 4
#define MAX_SPARE_NAMESPACES 64
#define SPARE_RETRY_MS 10000

/* What the quick check compares, per kind of object. */
enum drift_kind {
    DRIFT_NONE,
    DRIFT_NS,                   /* A namespace is gone. */
    DRIFT_LINK,                 /* A link is gone or down. */
    DRIFT_PORT,                 /* An OVS port is gone from its bridge. */
};

/* A topology in the state directory (applied by the daemon or by the
 * CLI: every one is vplug's, so the daemon keeps them all), with what the
 * quick check looks for. */
struct managed {
    char *name;
    struct timespec mtime;      /* Of its state file when loaded. */
    bool is_vif;                /* Plugged by vplug/plug or "vplug plug". */
    struct svec namespaces;     /* Namespaces of its ends. */
    struct svec root_links;     /* Its interfaces in the root namespace. */
    struct svec ovs_ports;      /* "BRIDGE IFNAME" of its ends on OVS. */
    struct svec ns_links;       /* "NS IFNAME" of links with no end in the
                                 * root namespace (seen by no event). */
    struct svec switches;       /* "KIND NAME" of its switches. */
    bool exempt[4];             /* Per drift_kind: the quick check was
                                 * wrong here (a fallback backend), so only
                                 * engine_check() judges it. */
    long long int suspect_since;        /* When drift was first seen, or
                                         * 0. */
    enum drift_kind suspect_kind;
    long long int retry_after;  /* After a failed repair. */
    int n_failures;             /* Consecutive failed repairs. */
    bool seen;                  /* Found in this reload. */
};

/* The daemon's settings and state, one per process. */
struct vplugd {
    char *db_remote;            /* OVSDB remote. */
    char *sandbox_dir;          /* Sandbox directory, or NULL. */
    char *unixctl_path;         /* --unixctl, or NULL for the default. */
    const char *state_dir;      /* Engine state directory. */
    bool exiting;               /* "exit" received. */
    long long int start_time;   /* time_msec() at start. */
    unsigned int n_requests;    /* Engine requests served. */

    /* Desired state and self-healing. */
    struct managed **topos;
    size_t n_topos, allocated_topos;
    struct vswitch *vs;         /* Database monitor. */
    unsigned int vs_seqno;
    unsigned int vs_n_connects;
    int nl_fd;                  /* rtnetlink RTNLGRP_LINK, or -1. */
    struct rtnl *root_rtnl;     /* For listing root-namespace links. */
    long long int next_tick;    /* Next periodic check. */
    long long int check_at;     /* Next quick check (LLONG_MAX: none). */
    long long int repair_at;    /* Next repair pass (LLONG_MAX: none). */
    unsigned int n_checks;      /* Quick checks run. */
    unsigned int n_repairs;     /* Topologies re-applied to fix drift. */
    unsigned int n_repaired;    /* Objects found missing by those. */
    unsigned int n_repair_failures;
    char *last_repair;          /* "TOPOLOGY: what was missing", or NULL. */

    /* Spare namespaces, made while idle. */
    struct netns_pool *pool;
    int n_spares;                       /* --spare-namespaces. */
    long long int pool_retry_at;        /* After a failure to make one. */
};

static void parse_options(int argc, char *argv[], struct vplugd *);
static void register_commands(struct vplugd *);
static void heal_init(struct vplugd *);
static void heal_run(struct vplugd *);
static void heal_wait(struct vplugd *);
static void heal_destroy(struct vplugd *);
static void pool_run(struct vplugd *);
static void pool_wait(struct vplugd *);

int
main(int argc, char *argv[])
{
    struct vplugd d = { .start_time = time_msec(), .nl_fd = -1,
                        .n_spares = SPARE_NAMESPACES };
    struct unixctl_server *server;
    int error;

    set_program_name(argv[0]);
    parse_options(argc, argv, &d);

    daemonize_start();

    if (d.sandbox_dir) {
        char *why = NULL;
        error = sandbox_start(d.sandbox_dir, &why);
        if (error) {
            ovs_fatal_status(1, "%s", why);
        }
        free(d.db_remote);
        d.db_remote = sandbox_db_remote(d.sandbox_dir);
    }

    error = unixctl_server_create(d.unixctl_path, &server);
    if (error) {
        ovs_fatal_status(1, "cannot create the control socket %s: %s",
                         d.unixctl_path ? d.unixctl_path : "(default)",
                         ovs_strerror(error));
    }
    char *ctl_path = server ? xstrdup(unixctl_server_get_path(server)) : NULL;
    if (ctl_path) {
        daemon_unlink_at_exit(ctl_path);
    }
    register_commands(&d);
    heal_init(&d);
    d.pool = netns_pool_create(d.n_spares);

    daemonize_complete();
    VLOG_INFO("vplugd %s started, database %s, control socket %s",
              PACKAGE_VERSION, d.db_remote, ctl_path ? ctl_path : "none");

    while (!d.exiting && !daemon_should_exit()) {
        unixctl_server_run(server);
        if (d.exiting) {
            break;
        }
        heal_run(&d);
        pool_run(&d);
        unixctl_server_wait(server);
        heal_wait(&d);
        pool_wait(&d);
        daemon_wait();
        poll_block();
    }
    VLOG_INFO("vplugd exiting (%s)", d.exiting ? "exit command" : "signal");

    unixctl_server_destroy(server);
    heal_destroy(&d);
    netns_pool_destroy(d.pool);
    if (ctl_path) {
        daemon_cancel_unlink_at_exit(ctl_path);
        free(ctl_path);
    }
    free(d.db_remote);
    free(d.sandbox_dir);
    free(d.unixctl_path);
    return 0;
}

static void
usage(void)
{
    printf("%s: the vplug daemon, driven with ovs-appctl\n"
           "usage: %s [OPTIONS]\n"
           "\nOptions:\n"
           "  --db=REMOTE             OVSDB remote (unix:PATH or "
           "tcp:IP:PORT)\n"
           "  --sandbox[=DIR]         use (and start) the private OVS in DIR\n"
           "                          (default: %s)\n"
           "  --unixctl=PATH          control socket (default: "
           "%s/%s.PID.ctl)\n"
           "  --spare-namespaces=N    namespaces made ahead of need "
           "(default: %d; 0: none)\n",
           get_program_name(), get_program_name(), SANDBOX_DEFAULT_DIR,
           daemon_rundir(), get_program_name(), SPARE_NAMESPACES);
    daemon_usage();
    printf("\nOther options:\n"
           "  -v, --verbose[=SPEC]    log debug messages to the console, or "
           "as SPEC says\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
}

/* The default remote, as the vplug command chooses it. */
static char *
default_db_remote(void)
{
    const char *env = getenv("VPLUG_DB");
    if (env && env[0]) {
        return xstrdup(env);
    }
    return xasprintf("unix:%s/db.sock", daemon_rundir());
}

static void
parse_options(int argc, char *argv[], struct vplugd *d)
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_SANDBOX,
        OPT_UNIXCTL,
        OPT_SPARE_NAMESPACES,
        DAEMON_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"sandbox", optional_argument, NULL, OPT_SANDBOX},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"spare-namespaces", required_argument, NULL, OPT_SPARE_NAMESPACES},
        {"verbose", optional_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        DAEMON_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };

    for (;;) {
        int c = getopt_long(argc, argv, "v::hV", long_options, NULL);
        if (c == -1) {
            break;
        }

        switch (c) {
        case OPT_DB:
            free(d->db_remote);
            d->db_remote = xstrdup(optarg);
            break;

        case OPT_SANDBOX:
            free(d->sandbox_dir);
            d->sandbox_dir = xstrdup(optarg ? optarg : SANDBOX_DEFAULT_DIR);
            break;

        case OPT_UNIXCTL:
            free(d->unixctl_path);
            d->unixctl_path = xstrdup(optarg);
            break;

        case OPT_SPARE_NAMESPACES:
            if (!str_to_int(optarg, 10, &d->n_spares) || d->n_spares < 0
                || d->n_spares > MAX_SPARE_NAMESPACES) {
                ovs_fatal_status(2, "--spare-namespaces=%s: not a number "
                                 "from 0 to %d", optarg,
                                 MAX_SPARE_NAMESPACES);
            }
            break;

        case 'v':
            if (optarg) {
                char *error = vlog_set_levels_from_string(optarg);
                if (error) {
                    ovs_fatal_status(2, "--verbose=%s: %s", optarg, error);
                }
            } else {
                vlog_set_verbosity(VLL_DBG);
            }
            break;

        case 'h':
            usage();
            exit(0);

        case 'V':
            printf("%s (vplug) %s\n", get_program_name(), PACKAGE_VERSION);
            exit(0);

        case '?':
            exit(2);

        default:
            if (!daemon_handle_option(c, optarg)) {
                abort();
            }
            break;
        }
    }
    if (optind < argc) {
        ovs_fatal_status(2, "unexpected argument \"%s\" (use --help for "
                         "help)", argv[optind]);
    }
    if (d->db_remote && d->sandbox_dir) {
        ovs_fatal_status(2, "--db and --sandbox cannot be used together");
    }
    if (!d->db_remote) {
        d->db_remote = default_db_remote();
    }
    const char *state_dir = getenv("VPLUG_STATE_DIR");
    d->state_dir = state_dir && *state_dir ? state_dir : ENGINE_STATE_DIR;
}

/* Desired state and self-healing.
 *
 * Every topology in the state directory is kept: the daemon's own and
 * those the CLI applied, as all of them are vplug's.  Detection is
 * event-driven with a cheap "quick check" over the whole set: the database
 * monitor (any change or reconnect), an rtnetlink socket on RTNLGRP_LINK in
 * the root namespace (a link deleted or changed), and a periodic tick for
 * what sends no event here (a namespace unmounted with "ip netns del" while
 * something still holds it, links with both ends inside namespaces, state
 * files the CLI wrote).  The quick check compares names against one
 * listing each of the root namespace's links and the monitor's ports; a
 * topology it suspects is judged, after GRACE_MS, by engine_repair(),
 * which checks it properly and re-applies it only if something is missing.
 * Each such re-apply counts as one repair. */

static char *
state_file(const struct vplugd *d, const char *name)
{
    return xasprintf("%s/%s.json", d->state_dir, name);
}

static void
managed_destroy(struct managed *m)
{
    if (m) {
        free(m->name);
        svec_destroy(&m->namespaces);
        svec_destroy(&m->root_links);
        svec_destroy(&m->ovs_ports);
        svec_destroy(&m->ns_links);
        svec_destroy(&m->switches);
        free(m);
    }
}

static void
add_unique(struct svec *v, const char *s)
{
    if (!svec_has(v, s)) {
        svec_add(v, s);
    }
}

/* Fills 'm''s lists from its applied topology. */
static void
managed_fill(struct managed *m, const struct topology *topo)
{
    svec_clear(&m->namespaces);
    svec_clear(&m->root_links);
    svec_clear(&m->ovs_ports);
    svec_clear(&m->ns_links);
    svec_clear(&m->switches);
    for (size_t i = 0; i < topo->n_switches; i++) {
        const struct topo_switch *sw = &topo->switches[i];
        svec_add_nocopy(&m->switches,
                        xasprintf("%s %s", topo_switch_kind_name(sw->kind),
                                  sw->name));
    }
    for (size_t i = 0; i < topo->n_links; i++) {
        const struct topo_link *l = &topo->links[i];
        bool in_root = false;
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &l->ends[j];
            if (end->sw) {
                const struct topo_switch *sw
                    = topology_find_switch(topo, end->sw);
                svec_add(&m->root_links, end->ifname);
                if (sw && sw->kind == TOPO_SW_OVS) {
                    svec_add_nocopy(&m->ovs_ports,
                                    xasprintf("%s %s", sw->name,
                                              end->ifname));
                }
                in_root = true;
            } else if (end->ns) {
                add_unique(&m->namespaces, end->ns);
            } else {
                svec_add(&m->root_links, end->ifname);
                in_root = true;
            }
        }
        if (!in_root) {
            for (int j = 0; j < 2; j++) {
                svec_add_nocopy(&m->ns_links,
                                xasprintf("%s %s", l->ends[j].ns,
                                          l->ends[j].ifname));
            }
        }
    }
}

static struct managed *
find_managed(const struct vplugd *d, const char *name)
{
    for (size_t i = 0; i < d->n_topos; i++) {
        if (!strcmp(d->topos[i]->name, name)) {
            return d->topos[i];
        }
    }
    return NULL;
}

static void
init_heal_opts(const struct vplugd *d, struct engine_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    /* The remote each topology was applied with, as the CLI does. */
    opts->default_db_remote = d->db_remote;
    opts->timeout_ms = REPAIR_TIMEOUT_MS;
    opts->state_dir = d->state_dir;
    opts->vswitch = d->vs;
    opts->netns_pool = d->pool;
}

/* Brings the set of managed topologies up to date with the state
 * directory: loads new and changed state files, forgets removed ones. */
static void
reload_topologies(struct vplugd *d)
{
    struct engine_opts opts;
    struct svec names = SVEC_EMPTY_INITIALIZER;

    init_heal_opts(d, &opts);
    engine_list(&opts, &names);
    for (size_t i = 0; i < d->n_topos; i++) {
        d->topos[i]->seen = false;
    }
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.names[i];
        char *file = state_file(d, name);
        struct stat st;
        int error = stat(file, &st) ? errno : 0;
        free(file);
        if (error) {
            continue;
        }

        struct managed *m = find_managed(d, name);
        if (m && m->mtime.tv_sec == st.st_mtim.tv_sec
            && m->mtime.tv_nsec == st.st_mtim.tv_nsec) {
            m->seen = true;
            continue;
        }

        struct topology *topo;
        char *why = NULL;
        if (engine_load(name, &opts, &topo, &why)) {
            VLOG_WARN("cannot load topology %s: %s", name, why);
            free(why);
            continue;
        }
        if (!m) {
            m = xzalloc(sizeof *m);
            m->name = xstrdup(name);
            svec_init(&m->namespaces);
            svec_init(&m->root_links);
            svec_init(&m->ovs_ports);
            svec_init(&m->ns_links);
            svec_init(&m->switches);
            if (d->n_topos >= d->allocated_topos) {
                d->topos = x2nrealloc(d->topos, &d->allocated_topos,
                                      sizeof *d->topos);
            }
            d->topos[d->n_topos++] = m;
            VLOG_DBG("keeping topology %s", name);
        }
        m->mtime = st.st_mtim;
        m->is_vif = str_startswith(name, "vif-");
        memset(m->exempt, 0, sizeof m->exempt);
        managed_fill(m, topo);
        m->seen = true;
        topology_destroy(topo);
    }
    svec_destroy(&names);

    for (size_t i = 0; i < d->n_topos; ) {
        if (!d->topos[i]->seen) {
            VLOG_DBG("forgetting topology %s", d->topos[i]->name);
            managed_destroy(d->topos[i]);
            d->topos[i] = d->topos[--d->n_topos];
        } else {
            i++;
        }
    }
}

static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;
    return strcmp(*a, *b);
}

static void
sort_strings(struct svec *v)
{
    if (v->n > 1) {
        qsort(v->names, v->n, sizeof *v->names, compare_strings);
    }
}

static bool
sorted_contains(const struct svec *v, const char *s)
{
    return v->n && bsearch(&s, v->names, v->n, sizeof *v->names,
                           compare_strings);
}

/* Lists the root namespace's links that are up into sorted 'links'. */
static int
list_root_links(struct vplugd *d, struct svec *links)
{
    if (!d->root_rtnl) {
        int error = rtnl_open(-1, &d->root_rtnl);
        if (error) {
            return error;
        }
    }
    struct rtnl_link_info *infos;
    size_t n;
    int error = rtnl_link_list(d->root_rtnl, &infos, &n);
    if (error) {
        /* Reopen next time: the socket may have lost messages. */
        rtnl_close(d->root_rtnl);
        d->root_rtnl = NULL;
        return error;
    }
    for (size_t i = 0; i < n; i++) {
        if (infos[i].admin_up) {
            svec_add(links, infos[i].name);
        }
    }
    rtnl_link_info_free_array(infos, n);
    sort_strings(links);
    return 0;
}

/* Lists "BRIDGE PORT" for every port in the monitor's replica into sorted
 * 'ports'. */
static void
list_ovs_ports(struct vplugd *d, struct svec *ports)
{
    struct vswitch_bridge **bridges;
    size_t n;

    vswitch_bridges_list(d->vs, &bridges, &n);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < bridges[i]->ports.n; j++) {
            struct vswitch_port *port
                = vswitch_port_get(d->vs, bridges[i]->ports.names[j]);
            if (port) {
                svec_add_nocopy(ports, xasprintf("%s %s", bridges[i]->name,
                                                 port->name));
                vswitch_port_free(port);
            }
        }
    }
    vswitch_bridges_free(bridges, n);
    sort_strings(ports);
}

/* True if link "NS IFNAME" exists and is up. */
static bool
ns_link_ok(const char *ns_ifname)
{
    const char *space = strchr(ns_ifname, ' ');
    char *ns = xmemdup0(ns_ifname, space - ns_ifname);
    bool ok = false;
    int fd;
    if (!netns_open(ns, &fd)) {
        struct rtnl *rtnl;
        if (!rtnl_open(fd, &rtnl)) {
            struct rtnl_link_info info;
            if (!rtnl_link_get(rtnl, space + 1, &info)) {
                ok = info.admin_up;
                rtnl_link_info_uninit(&info);
            }
            rtnl_close(rtnl);
        }
        close(fd);
    }
    free(ns);
    return ok;
}

/* Compares 'm' with the listings (NULL: not available now).  Returns the
 * kind of the first thing missing and describes it in 'what'. */
static enum drift_kind
quick_check(const struct managed *m, const struct svec *links,
            const struct svec *ports, bool full, struct ds *what)
{
    for (size_t i = 0; i < m->namespaces.n && !m->exempt[DRIFT_NS]; i++) {
        if (!netns_exists(m->namespaces.names[i])) {
            ds_put_format(what, "namespace '%s' is missing",
                          m->namespaces.names[i]);
            return DRIFT_NS;
        }
    }
    for (size_t i = 0; links && i < m->root_links.n
                       && !m->exempt[DRIFT_LINK]; i++) {
        if (!sorted_contains(links, m->root_links.names[i])) {
            ds_put_format(what, "interface '%s' is missing or down",
                          m->root_links.names[i]);
            return DRIFT_LINK;
        }
    }
    for (size_t i = 0; full && i < m->ns_links.n
                       && !m->exempt[DRIFT_LINK]; i++) {
        if (!ns_link_ok(m->ns_links.names[i])) {
            ds_put_format(what, "interface %s is missing or down",
                          m->ns_links.names[i]);
            return DRIFT_LINK;
        }
    }
    for (size_t i = 0; ports && i < m->ovs_ports.n
                       && !m->exempt[DRIFT_PORT]; i++) {
        if (!sorted_contains(ports, m->ovs_ports.names[i])) {
            ds_put_format(what, "port %s is missing", m->ovs_ports.names[i]);
            return DRIFT_PORT;
        }
    }
    return DRIFT_NONE;
}

/* Runs the quick check over every managed topology and schedules repairs.
 * 'listings': compare against the root namespace's links and the bridges'
 * ports (after an event: what the events cover); 'inside_ns': also look
 * inside namespaces (the periodic check: what no event here covers).
 * Namespaces are checked every time: a stat() each. */
static void
check_all(struct vplugd *d, bool listings, bool inside_ns)
{
    struct svec links = SVEC_EMPTY_INITIALIZER;
    struct svec ports = SVEC_EMPTY_INITIALIZER;
    bool have_links = false, have_ports = false;
    bool db_ready = vswitch_is_ready(d->vs);
    long long int now = time_msec();

    d->n_checks++;
    reload_topologies(d);
    if (listings) {
        have_links = !list_root_links(d, &links);
        have_ports = db_ready;
        if (have_ports) {
            list_ovs_ports(d, &ports);
        }
    }

    for (size_t i = 0; i < d->n_topos; i++) {
        struct managed *m = d->topos[i];
        struct ds what = DS_EMPTY_INITIALIZER;

        /* While the database is unreachable, a topology on OVS cannot be
         * judged (nor repaired): wait for it. */
        if (!db_ready && m->ovs_ports.n) {
            ds_destroy(&what);
            continue;
        }
        enum drift_kind kind = quick_check(m, have_links ? &links : NULL,
                                           have_ports ? &ports : NULL,
                                           inside_ns, &what);
        if (kind != DRIFT_NONE && !m->suspect_since) {
            VLOG_INFO("%s: %s", m->name, ds_cstr(&what));
            m->suspect_since = now;
            m->suspect_kind = kind;
            d->repair_at = MIN(d->repair_at, now + GRACE_MS);
        }
        ds_destroy(&what);
    }
    svec_destroy(&links);
    svec_destroy(&ports);
}

/* Removes from OVS the ports of 'm' whose interface is gone from the
 * kernel.  ovs-vswitchd does not reopen a port whose device was deleted
 * and created again under the same name (on the userspace datapath its
 * packet socket stays bound to the old device), so a repair that re-creates
 * the link must add the port afresh. */
static void
drop_stale_ports(struct vplugd *d, const struct managed *m)
{
    struct svec links = SVEC_EMPTY_INITIALIZER;
    struct vswitch_txn *txn = NULL;

    if (!m->ovs_ports.n || !vswitch_is_ready(d->vs)
        || list_root_links(d, &links)) {
        svec_destroy(&links);
        return;
    }
    for (size_t i = 0; i < m->ovs_ports.n; i++) {
        const char *ifname = strchr(m->ovs_ports.names[i], ' ') + 1;
        if (sorted_contains(&links, ifname)) {
            continue;
        }
        struct vswitch_port *port = vswitch_port_find(d->vs, ifname);
        const char *owner = (port
                             ? smap_get(&port->external_ids,
                                        "vplug-topology")
                             : NULL);
        if (port && port->bridge && owner && !strcmp(owner, m->name)) {
            if (!txn) {
                txn = vswitch_txn_create(d->vs);
            }
            vswitch_txn_wait_exists(txn, "Port", port->uuid, port->name);
            vswitch_txn_del_port(txn, port->bridge, port->uuid);
            VLOG_DBG("%s: removing port %s, its device is gone", m->name,
                     ifname);
        }
        vswitch_port_free(port);
    }
    if (txn) {
        /* ovs-vswitchd must have closed the old ports before the repair
         * adds them again: a removal and an addition of the same name that
         * it sees at once are no change to it. */
        long long int deadline = time_msec() + REPAIR_TIMEOUT_MS;
        long long int next_cfg, cur_cfg;
        char *why = NULL;
        if (vswitch_txn_commit(txn, deadline, &next_cfg, &why)) {
            VLOG_WARN("%s: cannot remove ports whose devices are gone: %s",
                      m->name, why ? why : "unknown error");
        } else if (vswitch_wait_cur_cfg(d->vs, next_cfg, deadline,
                                        &cur_cfg)) {
            VLOG_WARN("%s: ovs-vswitchd did not remove the ports whose "
                      "devices are gone (cur_cfg stays at %lld while "
                      "next_cfg is %lld)", m->name, cur_cfg, next_cfg);
        }
        free(why);
        vswitch_txn_destroy(txn);
    }
    svec_destroy(&links);
}

/* Judges and repairs the topologies suspected for GRACE_MS. */
static void
repair_suspects(struct vplugd *d)
{
    long long int now = time_msec();
    struct engine_opts opts;
    struct svec due = SVEC_EMPTY_INITIALIZER;

    d->repair_at = LLONG_MAX;
    for (size_t i = 0; i < d->n_topos; i++) {
        struct managed *m = d->topos[i];
        if (!m->suspect_since) {
            continue;
        }
        long long int when = MAX(m->suspect_since + GRACE_MS,
                                 m->retry_after);
        if (when <= now) {
            svec_add(&due, m->name);
        } else {
            d->repair_at = MIN(d->repair_at, when);
        }
    }

    init_heal_opts(d, &opts);
    for (size_t i = 0; i < due.n; i++) {
        const char *name = due.names[i];
        struct managed *m = find_managed(d, name);
        struct svec shared = SVEC_EMPTY_INITIALIZER;
        struct ds drift = DS_EMPTY_INITIALIZER;
        int n_missing = 0;
        char *why = NULL;

        if (!m) {
            continue;
        }
        /* A VIF's integration bridge is never its own. */
        for (size_t j = 0; m->is_vif && j < m->switches.n; j++) {
            if (str_startswith(m->switches.names[j], "ovs ")) {
                svec_add(&shared, m->switches.names[j] + strlen("ovs "));
            }
        }
        if (m->suspect_kind == DRIFT_NS || m->suspect_kind == DRIFT_LINK) {
            drop_stale_ports(d, m);
        }
        opts.shared_switches = &shared;
        int error = engine_repair(name, &opts, &drift, &n_missing, &why);
        svec_destroy(&shared);
        ds_chomp(&drift, '\n');

        /* The repair may have rewritten or removed the state file. */
        reload_topologies(d);
        m = find_managed(d, name);
        if (error == ENOENT) {
            /* Destroyed meanwhile. */
        } else if (error == EBUSY && m) {
            m->retry_after = time_msec() + TICK_MS;
            d->repair_at = MIN(d->repair_at, m->retry_after);
        } else if (error && m) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
            d->n_repair_failures++;
            m->n_failures++;
            m->retry_after = time_msec() + MIN(1000LL << MIN(m->n_failures,
                                                             5), 30000);
            d->repair_at = MIN(d->repair_at, m->retry_after);
            VLOG_WARN_RL(&rl, "%s: repair failed: %s", name,
                         why ? why : ovs_strerror(error));
        } else if (!error && !n_missing) {
            /* The quick check was wrong about this topology (a switch on a
             * fallback backend, say): trust engine_check() for that kind of
             * object from now on. */
            if (m) {
                VLOG_DBG("%s: nothing missing after all", name);
                m->exempt[m->suspect_kind] = true;
                m->suspect_since = 0;
                m->n_failures = 0;
            }
        } else if (!error) {
            d->n_repairs++;
            d->n_repaired += n_missing;
            free(d->last_repair);
            d->last_repair = xasprintf("%s: %s", name, ds_cstr(&drift));
            for (char *p = d->last_repair; *p; p++) {
                if (*p == '\n') {
                    *p = ';';
                }
            }
            VLOG_INFO("%s: repaired (%s)", name, ds_cstr(&drift));
            if (m) {
                m->suspect_since = 0;
                m->n_failures = 0;
            }
        }
        free(why);
        ds_destroy(&drift);
    }
    svec_destroy(&due);
}

/* Opens the rtnetlink socket that reports link changes in the root
 * namespace. */
static void
open_link_monitor(struct vplugd *d)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    NETLINK_ROUTE);
    if (fd < 0) {
        VLOG_WARN("cannot open an rtnetlink socket (%s): link deletions "
                  "are seen by the periodic check only", ovs_strerror(errno));
        return;
    }
    struct sockaddr_nl snl = {
        .nl_family = AF_NETLINK,
        .nl_groups = RTMGRP_LINK,
    };
    if (bind(fd, (struct sockaddr *) &snl, sizeof snl) < 0) {
        VLOG_WARN("cannot join the rtnetlink link group (%s): link "
                  "deletions are seen by the periodic check only",
                  ovs_strerror(errno));
        close(fd);
        return;
    }
    d->nl_fd = fd;
}

/* Drains the link monitor.  Returns true if a link was deleted or changed
 * (or messages were lost), so a check is due. */
static bool
drain_link_monitor(struct vplugd *d)
{
    bool changed = false;
    char buf[16384];

    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(d->nl_fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == ENOBUFS) {
                changed = true;
                continue;
            }
            break;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *) buf;
             NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == RTM_DELLINK
                || h->nlmsg_type == RTM_NEWLINK) {
                changed = true;
            }
        }
    }
    return changed;
}

static void
heal_init(struct vplugd *d)
{
    d->vs = vswitch_create(d->db_remote, true);
    open_link_monitor(d);
    reload_topologies(d);
    VLOG_INFO("keeping %zu applied topolog%s from %s", d->n_topos,
              d->n_topos == 1 ? "y" : "ies", d->state_dir);
    /* The first pass compares everything: a restarted daemon finds what
     * changed while it was down. */
    d->next_tick = time_msec();
    d->check_at = time_msec();
    d->repair_at = LLONG_MAX;
}

static void
heal_destroy(struct vplugd *d)
{
    for (size_t i = 0; i < d->n_topos; i++) {
        managed_destroy(d->topos[i]);
    }
    free(d->topos);
    vswitch_destroy(d->vs);
    rtnl_close(d->root_rtnl);
    if (d->nl_fd >= 0) {
        close(d->nl_fd);
    }
    free(d->last_repair);
}

/* Asks for a quick check soon. */
static void
schedule_check(struct vplugd *d)
{
    d->check_at = MIN(d->check_at, time_msec() + COALESCE_MS);
}

static void
heal_run(struct vplugd *d)
{
    vswitch_run(d->vs);
    unsigned int seqno = vswitch_get_seqno(d->vs);
    if (seqno != d->vs_seqno) {
        d->vs_seqno = seqno;
        if (vswitch_get_n_connects(d->vs) != d->vs_n_connects
            && vswitch_is_ready(d->vs)) {
            d->vs_n_connects = vswitch_get_n_connects(d->vs);
            VLOG_INFO("connected to %s", d->db_remote);
        }
        schedule_check(d);
    }
    if (d->nl_fd >= 0 && drain_link_monitor(d)) {
        schedule_check(d);
    }

    long long int now = time_msec();
    bool tick = now >= d->next_tick;
    bool event = now >= d->check_at;
    if (tick || event) {
        if (tick) {
            d->next_tick = now + TICK_MS;
        }
        if (event) {
            d->check_at = LLONG_MAX;
        }
        check_all(d, event, tick);
    }
    if (time_msec() >= d->repair_at) {
        repair_suspects(d);
    }
}

static void
heal_wait(struct vplugd *d)
{
    vswitch_wait(d->vs);
    if (d->nl_fd >= 0) {
        poll_fd_wait(d->nl_fd, POLLIN);
    }
    poll_timer_wait_until(MIN(d->next_tick, MIN(d->check_at,
                                                d->repair_at)));
}

/* Makes one spare namespace per pass while the pool is short, so that a
 * request waits for at most one creation. */
static void
pool_run(struct vplugd *d)
{
    if (netns_pool_needs_fill(d->pool) && time_msec() >= d->pool_retry_at) {
        int error = netns_pool_fill_one(d->pool);
        if (error) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 60);
            VLOG_WARN_RL(&rl, "cannot make a spare network namespace (new "
                         "namespaces are made on demand): %s",
                         ovs_strerror(error));
            d->pool_retry_at = time_msec() + SPARE_RETRY_MS;
        }
    }
}

static void
pool_wait(struct vplugd *d)
{
    if (netns_pool_needs_fill(d->pool)) {
        poll_timer_wait_until(d->pool_retry_at);
    }
}

/* Commands. */

static void
vplugd_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
            const char *argv[] OVS_UNUSED, void *d_)
{
    struct vplugd *d = d_;
    d->exiting = true;
    unixctl_command_reply(conn, NULL);
}

static void
vplugd_vlog_set(struct unixctl_conn *conn, int argc, const char *argv[],
                void *aux OVS_UNUSED)
{
    for (int i = 1; i < argc; i++) {
        char *error = vlog_set_levels_from_string(argv[i]);
        if (error) {
            unixctl_command_reply_error(conn, error);
            free(error);
            return;
        }
    }
    unixctl_command_reply(conn, NULL);
}

static void
vplugd_vlog_list(struct unixctl_conn *conn, int argc OVS_UNUSED,
                 const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    char *levels = vlog_get_levels();
    unixctl_command_reply(conn, levels);
    free(levels);
}

/* Describes the database monitor's connection. */
static void
describe_db_state(const struct vplugd *d, struct ds *out)
{
    if (vswitch_is_ready(d->vs)) {
        ds_put_cstr(out, "connected");
    } else {
        const char *why = vswitch_get_last_error(d->vs);
        ds_put_format(out, "connecting%s%s", why ? " (" : "",
                      why ? why : "");
        if (why) {
            ds_put_char(out, ')');
        }
    }
}

/* Counts the distinct switches of kind 'kind' ("ovs", "bridge") among
 * the managed topologies. */
static size_t
count_switches(const struct vplugd *d, const char *kind)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    for (size_t i = 0; i < d->n_topos; i++) {
        const struct svec *sws = &d->topos[i]->switches;
        for (size_t j = 0; j < sws->n; j++) {
            const char *space = strchr(sws->names[j], ' ');
            if (strlen(kind) == (size_t) (space - sws->names[j])
                && !strncmp(sws->names[j], kind, strlen(kind))) {
                add_unique(&names, space + 1);
            }
        }
    }
    size_t n = names.n;
    svec_destroy(&names);
    return n;
}

/* Describes the datapath types of the managed OVS bridges, as the
 * database says: "netdev (1 bridge)", "missing (1 bridge)". */
static void
describe_datapaths(const struct vplugd *d, struct ds *out)
{
    struct svec bridges = SVEC_EMPTY_INITIALIZER;
    struct svec types = SVEC_EMPTY_INITIALIZER;

    for (size_t i = 0; i < d->n_topos; i++) {
        const struct svec *sws = &d->topos[i]->switches;
        for (size_t j = 0; j < sws->n; j++) {
            if (str_startswith(sws->names[j], "ovs ")) {
                add_unique(&bridges, sws->names[j] + strlen("ovs "));
            }
        }
    }
    for (size_t i = 0; i < bridges.n; i++) {
        struct vswitch_bridge *br = (vswitch_is_ready(d->vs)
                                     ? vswitch_bridge_find(d->vs,
                                                           bridges.names[i])
                                     : NULL);
        svec_add(&types, !br ? "missing"
                 : *br->datapath_type ? br->datapath_type : "system");
        vswitch_bridge_free(br);
    }
    svec_sort(&types);
    for (size_t i = 0; i < types.n; ) {
        size_t n = 1;
        while (i + n < types.n && !strcmp(types.names[i],
                                           types.names[i + n])) {
            n++;
        }
        ds_put_format(out, "%s%s (%zu bridge%s)", i ? ", " : "",
                      types.names[i], n, n == 1 ? "" : "s");
        i += n;
    }
    if (!types.n) {
        ds_put_cstr(out, "none");
    }
    svec_destroy(&bridges);
    svec_destroy(&types);
}

static void
vplugd_status(struct unixctl_conn *conn, int argc OVS_UNUSED,
              const char *argv[] OVS_UNUSED, void *d_)
{
    struct vplugd *d = d_;
    struct ds s = DS_EMPTY_INITIALIZER;

    reload_topologies(d);
    size_t n_vifs = 0, n_suspects = 0;
    for (size_t i = 0; i < d->n_topos; i++) {
        n_vifs += d->topos[i]->is_vif;
        n_suspects += d->topos[i]->suspect_since != 0;
    }

    ds_put_format(&s, "database: %s\n", d->db_remote);
    ds_put_cstr(&s, "database state: ");
    describe_db_state(d, &s);
    ds_put_char(&s, '\n');
    ds_put_format(&s, "sandbox: %s\n", d->sandbox_dir ? d->sandbox_dir
                                                      : "none");
    ds_put_format(&s, "uptime: %lld seconds\n",
                  (time_msec() - d->start_time) / 1000);
    ds_put_format(&s, "requests: %u\n", d->n_requests);
    ds_put_format(&s, "spare namespaces: %zu of %d\n",
                  netns_pool_count(d->pool), d->n_spares);
    ds_put_format(&s, "topologies: %zu (%zu VIF%s)\n", d->n_topos, n_vifs,
                  n_vifs == 1 ? "" : "s");
    size_t n_ovs = count_switches(d, "ovs");
    size_t n_bridge = count_switches(d, "bridge");
    ds_put_cstr(&s, "backends in use:");
    if (n_ovs) {
        ds_put_format(&s, " ovs (%zu switch%s)", n_ovs,
                      n_ovs == 1 ? "" : "es");
    }
    if (n_bridge) {
        ds_put_format(&s, "%s bridge (%zu switch%s)", n_ovs ? "," : "",
                      n_bridge, n_bridge == 1 ? "" : "es");
    }
    if (!n_ovs && !n_bridge) {
        ds_put_cstr(&s, " none");
    }
    ds_put_char(&s, '\n');
    ds_put_cstr(&s, "datapath: ");
    describe_datapaths(d, &s);
    ds_put_char(&s, '\n');
    ds_put_format(&s, "drifting: %zu\n", n_suspects);
    ds_put_format(&s, "repairs: %u (%u object%s restored)\n", d->n_repairs,
                  d->n_repaired, d->n_repaired == 1 ? "" : "s");
    ds_put_format(&s, "failed repairs: %u\n", d->n_repair_failures);
    if (d->last_repair) {
        ds_put_format(&s, "last repair: %s\n", d->last_repair);
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

/* Collects the engine's progress lines for the reply. */
static void
collect_report(void *out_, const char *line)
{
    struct ds *out = out_;
    ds_put_format(out, "%s\n", line);
}

static void
init_engine_opts(const struct vplugd *d, struct ds *report,
                 struct engine_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->db_remote = d->db_remote;
    opts->timeout_ms = 30000;
    opts->state_dir = d->state_dir;
    opts->report = collect_report;
    opts->report_aux = report;
    opts->vswitch = d->vs;
    opts->netns_pool = d->pool;
}

/* Replies on 'conn' with 'out' on success, otherwise with 'out' followed
 * by 'why'; frees 'why'. */
static void
reply_engine(struct unixctl_conn *conn, int error, struct ds *out, char *why)
{
    if (error) {
        ds_put_format(out, "%s", why ? why : ovs_strerror(error));
        unixctl_command_reply_error(conn, ds_cstr(out));
    } else {
        unixctl_command_reply(conn, ds_cstr(out));
    }
    free(why);
}

static void
vplugd_apply(struct unixctl_conn *conn, int argc OVS_UNUSED,
             const char *argv[], void *d_)
{
    struct vplugd *d = d_;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct engine_opts opts;
    struct topology *topo;
    char *why;
    int error;

    d->n_requests++;
    why = topology_parse_file(argv[1], &topo);
    if (why) {
        error = EINVAL;
    } else {
        init_engine_opts(d, &out, &opts);
        error = engine_apply(topo, &opts, &why);
        if (!error) {
            ds_put_format(&out, "applied topology %s\n", topo->name);
        }
        topology_destroy(topo);
    }
    reply_engine(conn, error, &out, why);
    ds_destroy(&out);
}

static void
vplugd_destroy(struct unixctl_conn *conn, int argc OVS_UNUSED,
               const char *argv[], void *d_)
{
    struct vplugd *d = d_;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct engine_opts opts;
    char *why = NULL;

    d->n_requests++;
    init_engine_opts(d, &out, &opts);
    int error = engine_destroy(argv[1], NULL, &opts, &why);
    if (!error) {
        ds_put_format(&out, "destroyed topology %s\n", argv[1]);
    }
    reply_engine(conn, error, &out, why);
    ds_destroy(&out);
}

static void
vplugd_show(struct unixctl_conn *conn, int argc, const char *argv[],
            void *d_)
{
    struct vplugd *d = d_;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct engine_opts opts;
    char *why = NULL;

    d->n_requests++;
    init_engine_opts(d, &out, &opts);
    int error = engine_show(argc > 1 ? argv[1] : NULL, false, &opts, &out,
                            &why);
    reply_engine(conn, error, &out, why);
    ds_destroy(&out);
}

static void
vplugd_verify(struct unixctl_conn *conn, int argc OVS_UNUSED,
              const char *argv[], void *d_)
{
    struct vplugd *d = d_;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct engine_opts opts;
    char *why = NULL;
    int n_failed = 0;

    d->n_requests++;
    init_engine_opts(d, &out, &opts);
    int error = engine_verify(argv[1], false, false, &opts, &out, &n_failed,
                              &why);
    if (!error && n_failed) {
        /* An error reply makes ovs-appctl exit nonzero, as "vplug verify"
         * does. */
        why = xasprintf("%d pair%s of topology %s cannot reach each other",
                        n_failed, n_failed == 1 ? "" : "s", argv[1]);
        error = EHOSTUNREACH;
    }
    reply_engine(conn, error, &out, why);
    ds_destroy(&out);
}

static void
vplugd_plug(struct unixctl_conn *conn, int argc, const char *argv[],
            void *d_)
{
    struct vplugd *d = d_;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct engine_opts opts;
    struct vif_request req;
    bool changed = false;
    int error = 0;

    d->n_requests++;
    char *why = vif_request_parse(argc - 1, argv + 1, &req);
    if (why) {
        error = EINVAL;
    } else {
        init_engine_opts(d, &out, &opts);
        error = vif_plug(&req, &opts, &changed, &why);
    }
    if (!error) {
        /* The reply says what happened, not how (the engine's lines go to
         * the log). */
        ds_clear(&out);
        ds_put_format(&out, "%s %s in namespace %s on %s\n",
                      changed ? "plugged" : "already plugged:", req.ifname,
                      req.ns, req.sw);
    }
    vif_request_uninit(&req);
    reply_engine(conn, error, &out, why);
    ds_destroy(&out);
}

static void
vplugd_unplug(struct unixctl_conn *conn, int argc OVS_UNUSED,
              const char *argv[], void *d_)
{
    struct vplugd *d = d_;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct engine_opts opts;
    char *why = NULL;

    d->n_requests++;
    init_engine_opts(d, &out, &opts);
    int error = vif_unplug(argv[1], argv[2], &opts, &why);
    if (!error) {
        ds_clear(&out);
        ds_put_format(&out, "unplugged %s in namespace %s\n", argv[2],
                      argv[1]);
    }
    reply_engine(conn, error, &out, why);
    ds_destroy(&out);
}

static void
register_commands(struct vplugd *d)
{
    unixctl_command_register("exit", "", 0, 0, vplugd_exit, d);
    unixctl_command_register("vlog/set", "{spec | PATTERN...}", 1, INT_MAX,
                             vplugd_vlog_set, NULL);
    unixctl_command_register("vlog/list", "", 0, 0, vplugd_vlog_list, NULL);
    unixctl_command_register("vplug/status", "", 0, 0, vplugd_status, d);
    unixctl_command_register("vplug/apply", "FILE", 1, 1, vplugd_apply, d);
    unixctl_command_register("vplug/destroy", "NAME", 1, 1, vplugd_destroy,
                             d);
    unixctl_command_register("vplug/show", "[NAME]", 0, 1, vplugd_show, d);
    unixctl_command_register("vplug/verify", "NAME", 1, 1, vplugd_verify, d);
    unixctl_command_register("vplug/plug", "NS IFNAME SWITCH [KEY=VALUE]...",
                             3, INT_MAX, vplugd_plug, d);
    unixctl_command_register("vplug/unplug", "NS IFNAME", 2, 2,
                             vplugd_unplug, d);
}
