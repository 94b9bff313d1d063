/* vplugd: the vplug daemon.  It serves a control socket that the real
 * "ovs-appctl -t vplugd COMMAND" drives (apply, destroy, show, verify,
 * plug, unplug, status, logging), beside the Open vSwitch daemons and the
 * same way they are run.
 *
 * This file holds main(), the options and the loop; vplugd-commands.c the
 * unixctl command handlers, vplugd-heal.c the self-healing. */
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
#include "poll-loop.h"
#include "rtnl.h"
#include "sandbox.h"
#include "topology.h"
#include "unixctl.h"
#include "util.h"
#include "vif.h"
#include "vlog.h"
#include "vplugd.h"

VLOG_DEFINE_THIS_MODULE(vplugd);
struct vlog_module *const vplugd_module = &this_module;

static void parse_options(int argc, char *argv[], struct vplugd *);
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
