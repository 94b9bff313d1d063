/* vplugd: the unixctl command handlers. */
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
#include "commands.h"
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

/* Commands. */

/* Replies with an error and returns false if the arguments of the
 * request for 'command' name nothing valid: no name from a peer becomes a
 * path unchecked.  A refused request counts as served. */
static bool
check_args(struct vplugd *d, struct unixctl_conn *conn, const char *command,
           int argc, const char *argv[])
{
    char *error = commands_check_args(command, argc - 1, argv + 1);
    if (error) {
        d->n_requests++;
        unixctl_command_reply_error(conn, error);
        free(error);
        return false;
    }
    return true;
}

static void
vplugd_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
            const char *argv[] OVS_UNUSED, void *d_)
{
    struct vplugd *d = d_;
    d->exiting = true;
    unixctl_command_reply(conn, NULL);
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

/* Adds the datapath types of the managed OVS bridges to 'st', as the
 * database says: "netdev" (1 bridge), "missing" (1 bridge). */
static void
describe_datapaths(const struct vplugd *d, struct vplugd_status *st)
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
    struct vplug_switch_info *infos = NULL;
    size_t n_infos = 0;
    if (bridges.n && vswitch_is_ready(d->vs)) {
        struct engine_opts opts;
        char *why = NULL;
        init_heal_opts(d, &opts);
        if (engine_list_switches("ovs", &opts, &infos, &n_infos, &why)) {
            free(why);
        }
    }
    for (size_t i = 0; i < bridges.n; i++) {
        const char *type = "missing";
        for (size_t j = 0; j < n_infos; j++) {
            if (!strcmp(infos[j].name, bridges.names[i])
                && str_startswith(infos[j].variant, "ovs/")) {
                type = infos[j].variant + strlen("ovs/");
            }
        }
        svec_add(&types, type);
    }
    vplug_switch_info_free_array(infos, n_infos);
    svec_sort(&types);
    for (size_t i = 0; i < types.n; ) {
        size_t n = 1;
        while (i + n < types.n && !strcmp(types.names[i],
                                           types.names[i + n])) {
            n++;
        }
        vplugd_status_add_datapath(st, types.names[i], n);
        i += n;
    }
    svec_destroy(&bridges);
    svec_destroy(&types);
}

/* "vplug/status [--format=text|json]". */
static void
vplugd_status(struct unixctl_conn *conn, int argc, const char *argv[],
              void *d_)
{
    struct vplugd *d = d_;

    /* Not an engine request: a refused one is not counted either. */
    char *error = commands_check_args(argv[0], argc - 1, argv + 1);
    if (error) {
        unixctl_command_reply_error(conn, error);
        free(error);
        return;
    }
    bool json = argc > 1 && !strcmp(argv[1], "--format=json");

    reload_topologies(d);
    struct vplugd_status st = {
        .db_remote = d->db_remote,
        .db_connected = vswitch_is_ready(d->vs),
        .db_error = vswitch_get_last_error(d->vs),
        .sandbox_dir = d->sandbox_dir,
        .uptime_s = (time_msec() - d->start_time) / 1000,
        .n_requests = d->n_requests,
        .n_spares = netns_pool_count(d->pool),
        .max_spares = netns_pool_capacity(d->pool),
        .n_topos = d->n_topos,
        .n_ovs = count_switches(d, "ovs"),
        .n_bridge = count_switches(d, "bridge"),
        .n_repairs = d->n_repairs,
        .n_repaired = d->n_repaired,
        .n_repair_failures = d->n_repair_failures,
        .last_repair = d->last_repair,
    };
    for (size_t i = 0; i < d->n_topos; i++) {
        st.n_vifs += d->topos[i]->is_vif;
        st.n_drifting += d->topos[i]->suspect_since != 0;
    }
    jobs_describe(d, &st);
    describe_datapaths(d, &st);

    if (json) {
        char *text = vplugd_status_to_json(&st);
        unixctl_command_reply(conn, text);
        free(text);
    } else {
        struct ds s = DS_EMPTY_INITIALIZER;
        vplugd_status_format_text(&st, &s);
        unixctl_command_reply(conn, ds_cstr(&s));
        ds_destroy(&s);
    }
    vplugd_status_uninit(&st);
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
    opts->timeout_ms = d->timeout_ms;
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

/* Runs in a worker: applies the topology parsed from file args[1]. */
static void
apply_job(struct vplugd_job *job, const struct engine_opts *opts)
{
    const struct topology *topo = job->aux;
    struct engine_opts o = *opts;

    /* As "vplug apply": ready beyond the switch too (settle()). */
    o.settle = true;
    job->error = engine_apply(topo, &o, &job->why);
    if (!job->error) {
        ds_put_format(&job->out, "applied topology %s\n", topo->name);
    }
}

static void
free_topology(void *topo)
{
    topology_destroy(topo);
}

static void
vplugd_apply(struct unixctl_conn *conn, int argc, const char *argv[],
             void *d_)
{
    struct vplugd *d = d_;
    struct topology *topo;

    /* Parsed here (milliseconds even for thousands of hosts), so that
     * healing knows which topology is being changed. */
    char *why = topology_parse_file(argv[1], &topo);
    if (why) {
        d->n_requests++;
        unixctl_command_reply_error(conn, why);
        free(why);
        return;
    }
    char *title = xasprintf("apply %s", argv[1]);
    jobs_start(d, conn, title, topo->name, apply_job, argc, argv, topo,
               free_topology);
    free(title);
}

static void
destroy_job(struct vplugd_job *job, const struct engine_opts *opts)
{
    const char *name = job->args.names[1];

    job->error = engine_destroy(name, NULL, opts, &job->why);
    if (!job->error) {
        ds_put_format(&job->out, "destroyed topology %s\n", name);
    }
}

static void
vplugd_destroy(struct unixctl_conn *conn, int argc, const char *argv[],
               void *d_)
{
    if (!check_args(d_, conn, "vplug/destroy", argc, argv)) {
        return;
    }
    char *title = xasprintf("destroy %s", argv[1]);
    jobs_start(d_, conn, title, argv[1], destroy_job, argc, argv, NULL, NULL);
    free(title);
}

static void
vplugd_show(struct unixctl_conn *conn, int argc, const char *argv[],
            void *d_)
{
    struct vplugd *d = d_;
    struct ds out = DS_EMPTY_INITIALIZER;
    struct engine_opts opts;
    char *why = NULL;

    if (!check_args(d, conn, "vplug/show", argc, argv)) {
        return;
    }
    d->n_requests++;
    init_engine_opts(d, &out, &opts);
    int error = engine_show(argc > 1 ? argv[1] : NULL, false, &opts, &out,
                            &why);
    reply_engine(conn, error, &out, why);
    ds_destroy(&out);
}

static void
verify_job(struct vplugd_job *job, const struct engine_opts *opts)
{
    const char *name = job->args.names[1];
    int n_failed = 0;

    job->error = engine_verify(name, false, false, opts, &job->out,
                               &n_failed, &job->why);
    if (!job->error && n_failed) {
        /* An error reply makes ovs-appctl exit nonzero, as "vplug verify"
         * does. */
        job->why = xasprintf("%d pair%s of topology %s cannot reach each "
                             "other", n_failed, n_failed == 1 ? "" : "s",
                             name);
        job->error = EHOSTUNREACH;
    }
}

static void
vplugd_verify(struct unixctl_conn *conn, int argc, const char *argv[],
              void *d_)
{
    if (!check_args(d_, conn, "vplug/verify", argc, argv)) {
        return;
    }
    char *title = xasprintf("verify %s", argv[1]);
    jobs_start(d_, conn, title, "", verify_job, argc, argv, NULL, NULL);
    free(title);
}

static void
free_vif_request(void *req)
{
    vif_request_uninit(req);
    free(req);
}

static void
plug_job(struct vplugd_job *job, const struct engine_opts *opts)
{
    const struct vif_request *req = job->aux;
    bool changed = false;

    job->error = vif_plug(req, opts, &changed, &job->why);
    /* The reply says what happened, not how (the engine's lines go to the
     * log). */
    ds_clear(&job->out);
    if (!job->error) {
        ds_put_format(&job->out, "%s %s in namespace %s on %s\n",
                      changed ? "plugged" : "already plugged:", req->ifname,
                      req->ns, req->sw);
    }
}

static void
vplugd_plug(struct unixctl_conn *conn, int argc, const char *argv[],
            void *d_)
{
    struct vplugd *d = d_;
    struct vif_request *req = xmalloc(sizeof *req);

    char *why = vif_request_parse(argc - 1, argv + 1, req);
    if (why) {
        d->n_requests++;
        free_vif_request(req);
        unixctl_command_reply_error(conn, why);
        free(why);
        return;
    }
    char *title = xasprintf("plug %s in namespace %s on %s", req->ifname,
                            req->ns, req->sw);
    char *name = vif_topology_name(req->ns, req->ifname);
    jobs_start_vif(d, conn, title, name, plug_job, argc, argv, req,
                   free_vif_request);
    free(name);
    free(title);
}

static void
unplug_job(struct vplugd_job *job, const struct engine_opts *opts)
{
    const char *ns = job->args.names[1], *ifname = job->args.names[2];

    job->error = vif_unplug(ns, ifname, opts, &job->why);
    if (!job->error) {
        ds_clear(&job->out);
        ds_put_format(&job->out, "unplugged %s in namespace %s\n", ifname,
                      ns);
    }
}

static void
vplugd_unplug(struct unixctl_conn *conn, int argc, const char *argv[],
              void *d_)
{
    if (!check_args(d_, conn, "vplug/unplug", argc, argv)) {
        return;
    }
    char *title = xasprintf("unplug %s in namespace %s", argv[2], argv[1]);
    char *name = vif_topology_name(argv[1], argv[2]);
    jobs_start_vif(d_, conn, title, name, unplug_job, argc, argv, NULL,
                   NULL);
    free(name);
    free(title);
}

void
register_commands(struct vplugd *d)
{
    unixctl_command_register("exit", "", 0, 0, vplugd_exit, d);
    unixctl_command_register("vplug/status", "[--format=text|json]", 0, 1,
                             vplugd_status, d);
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

