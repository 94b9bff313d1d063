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
#include <unistd.h>

#include "daemon.h"
#include "engine.h"
#include "poll-loop.h"
#include "sandbox.h"
#include "topology.h"
#include "unixctl.h"
#include "util.h"
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(vplugd);

/* The daemon's settings and state, one per process. */
struct vplugd {
    char *db_remote;            /* OVSDB remote. */
    char *sandbox_dir;          /* Sandbox directory, or NULL. */
    char *unixctl_path;         /* --unixctl, or NULL for the default. */
    bool exiting;               /* "exit" received. */
    long long int start_time;   /* time_msec() at start. */
    unsigned int n_requests;    /* Engine requests served. */
};

static void parse_options(int argc, char *argv[], struct vplugd *);
static void register_commands(struct vplugd *);

int
main(int argc, char *argv[])
{
    struct vplugd d = { .start_time = time_msec() };
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

    daemonize_complete();
    VLOG_INFO("vplugd %s started, database %s, control socket %s",
              PACKAGE_VERSION, d.db_remote, ctl_path ? ctl_path : "none");

    while (!d.exiting && !daemon_should_exit()) {
        unixctl_server_run(server);
        if (d.exiting) {
            break;
        }
        unixctl_server_wait(server);
        daemon_wait();
        poll_block();
    }
    VLOG_INFO("vplugd exiting (%s)", d.exiting ? "exit command" : "signal");

    unixctl_server_destroy(server);
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
           "%s/%s.PID.ctl)\n",
           get_program_name(), get_program_name(), SANDBOX_DEFAULT_DIR,
           daemon_rundir(), get_program_name());
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
        DAEMON_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"sandbox", optional_argument, NULL, OPT_SANDBOX},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
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

/* Describes whether the database at 'remote' accepts connections.  Only
 * unix remotes are probed: a connect() to a unix socket never blocks. */
static void
describe_db_state(const char *remote, struct ds *out)
{
    if (!str_startswith(remote, "unix:")) {
        ds_put_cstr(out, "not probed");
        return;
    }

    const char *path = remote + strlen("unix:");
    struct sockaddr_un sun;
    if (strlen(path) >= sizeof sun.sun_path) {
        ds_put_cstr(out, "unreachable (socket name too long)");
        return;
    }
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ds_put_format(out, "unknown (%s)", ovs_strerror(errno));
        return;
    }
    if (!connect(fd, (struct sockaddr *) &sun, sizeof sun)) {
        ds_put_cstr(out, "reachable");
    } else {
        ds_put_format(out, "unreachable (%s)", ovs_strerror(errno));
    }
    close(fd);
}

static void
vplugd_status(struct unixctl_conn *conn, int argc OVS_UNUSED,
              const char *argv[] OVS_UNUSED, void *d_)
{
    struct vplugd *d = d_;
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "database: %s\n", d->db_remote);
    ds_put_cstr(&s, "database state: ");
    describe_db_state(d->db_remote, &s);
    ds_put_char(&s, '\n');
    ds_put_format(&s, "sandbox: %s\n", d->sandbox_dir ? d->sandbox_dir
                                                      : "none");
    ds_put_format(&s, "uptime: %lld seconds\n",
                  (time_msec() - d->start_time) / 1000);
    ds_put_format(&s, "requests: %u\n", d->n_requests);
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
    opts->state_dir = ENGINE_STATE_DIR;
    opts->report = collect_report;
    opts->report_aux = report;
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
vplugd_not_implemented(struct unixctl_conn *conn, int argc OVS_UNUSED,
                       const char *argv[], void *aux OVS_UNUSED)
{
    char *text = xasprintf("%s: not implemented yet", argv[0]);
    unixctl_command_reply_error(conn, text);
    free(text);
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
                             3, INT_MAX, vplugd_not_implemented, d);
    unixctl_command_register("vplug/unplug", "NS IFNAME", 2, 2,
                             vplugd_not_implemented, d);
}
