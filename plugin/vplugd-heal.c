/* vplugd: desired state and self-healing. */
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

#include "backend.h"
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
#include "vplugd.h"

/* Logs to vplugd.c's module: the daemon has one. */
#define this_module (*VLM_vplugd)

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

void
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

void
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
void
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
        } else if (jobs_busy(d, name)) {
            /* A request of ours is rewriting it: loaded once it is done
             * (a 500-host state took the loop 40-80 ms per load, several
             * times per apply). */
            if (m) {
                m->seen = true;
            }
            continue;
        }

        struct topology *topo;
        char *why = NULL;
        if (engine_load_effective(name, &opts, &topo, &why)) {
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
        /* A state that still says "applying" with nobody applying is what
         * a killed vplug or vplugd left (a plug 4 ms in: the VIF without
         * its address).  Nothing the quick check looks for need be
         * missing, so it is suspect at once. */
        if (!m->suspect_since && !jobs_busy(d, name)
            && engine_unfinished(name, &opts)) {
            long long int now = time_msec();
            VLOG_INFO("%s: an apply that did not finish", name);
            m->suspect_since = now;
            m->suspect_kind = DRIFT_UNFINISHED;
            d->repair_at = MIN(d->repair_at, now + GRACE_MS);
        }
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

/* Lists "BRIDGE PORT" for every port on the Open vSwitch bridges that
 * carry one of vplug's into sorted 'ports', as the engine sees them.
 * Returns false if it cannot list them. */
static bool
list_ovs_ports(struct vplugd *d, struct svec *ports)
{
    struct engine_opts opts;
    struct vplug_switch_info *infos;
    size_t n;
    char *why = NULL;

    init_heal_opts(d, &opts);
    int error = engine_list_switches("ovs", &opts, &infos, &n, &why);
    if (error) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 60);
        VLOG_WARN_RL(&rl, "cannot list the Open vSwitch ports: %s",
                     why ? why : ovs_strerror(error));
        free(why);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < infos[i].n_ports; j++) {
            svec_add_nocopy(ports, xasprintf("%s %s", infos[i].name,
                                             infos[i].ports[j].ifname));
        }
    }
    vplug_switch_info_free_array(infos, n);
    sort_strings(ports);
    return true;
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

    /* List only what some topology that no request is changing needs: a
     * dump of the root namespace's links took the loop 50-600 ms while an
     * apply of 500 hosts was creating theirs. */
    bool need_links = false, need_ports = false;
    for (size_t i = 0; listings && i < d->n_topos; i++) {
        const struct managed *m = d->topos[i];
        if (!jobs_busy(d, m->name)) {
            need_links |= m->root_links.n && !m->exempt[DRIFT_LINK];
            need_ports |= m->ovs_ports.n && !m->exempt[DRIFT_PORT];
        }
    }
    if (need_links) {
        have_links = !list_root_links(d, &links);
    }
    if (need_ports) {
        have_ports = db_ready && list_ovs_ports(d, &ports);
    }

    for (size_t i = 0; i < d->n_topos; i++) {
        struct managed *m = d->topos[i];
        struct ds what = DS_EMPTY_INITIALIZER;

        /* While the database is unreachable, a topology on OVS cannot be
         * judged (nor repaired): wait for it.  Nor can one that a request
         * of ours is changing right now (its lock would refuse the repair
         * anyway). */
        if ((!db_ready && m->ovs_ports.n) || jobs_busy(d, m->name)) {
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

void
heal_init(struct vplugd *d)
{
    d->vs = vswitch_create(d->db_remote, true);
    open_link_monitor(d);
    d->repair_at = LLONG_MAX;
    reload_topologies(d);
    VLOG_INFO("keeping %zu applied topolog%s from %s", d->n_topos,
              d->n_topos == 1 ? "y" : "ies", d->state_dir);
    /* The first pass compares everything: a restarted daemon finds what
     * changed while it was down. */
    d->next_tick = time_msec();
    d->check_at = time_msec();
}

void
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
    /* While requests of ours run, most events are theirs (a 500-host apply
     * makes thousands): one check per tick then, not one per 100 ms. */
    int delay = ovs_list_is_empty(&d->jobs) ? COALESCE_MS : BUSY_COALESCE_MS;
    d->check_at = MIN(d->check_at, time_msec() + delay);
}

void
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

void
heal_wait(struct vplugd *d)
{
    vswitch_wait(d->vs);
    if (d->nl_fd >= 0) {
        poll_fd_wait(d->nl_fd, POLLIN);
    }
    poll_timer_wait_until(MIN(d->next_tick, MIN(d->check_at,
                                                d->repair_at)));
}
