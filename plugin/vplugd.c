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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command-line.h"
#include "daemon.h"
#include "dirs.h"
#include "engine.h"
#include "fatal-signal.h"
#include "latch.h"
#include "memory.h"
#include "netns-pool.h"
#include "ovsdb/remote.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "sandbox.h"
#include "simap.h"
#include "stream.h"
#include "stream-ssl.h"
#include "unixctl.h"
#include "util.h"
#include "vplug-util.h"
#include "timeval.h"
#include "vplugd.h"
#include "vplugd-gate.h"
#include "vswitch.h"

VLOG_DEFINE_THIS_MODULE(vplugd);

static void parse_options(int argc, char *argv[], struct vplugd *);
static void pool_run(struct vplugd *);
static void pool_wait(struct vplugd *);

/* SIGTERM and SIGINT end the loop, so that the daemon exits as after
 * "exit" (status 0, its files removed by fatal-signal's exit hooks); every
 * other fatal signal is fatal-signal's.  The handler only sets a latch. */
static struct latch stop_latch;

static void
stop_handler(int sig OVS_UNUSED)
{
    latch_set(&stop_latch);
}

static void
catch_stop_signals(void)
{
    struct sigaction sa;

    latch_init(&stop_latch);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* What memory/show reports, besides what OVS's modules count. */
static void
report_memory(const struct vplugd *d)
{
    struct simap usage = SIMAP_INITIALIZER(&usage);

    simap_put(&usage, "topologies", d->n_topos);
    simap_put(&usage, "spare-namespaces", netns_pool_count(d->pool));
    simap_put(&usage, "control-connections", ctl_gate_n_conns(d->gate));
    memory_report(&usage);
    simap_destroy(&usage);
}

/* Each control connection holds a descriptor, and OVS's unixctl server has
 * no cap on connections: at the soft RLIMIT_NOFILE (1024 under systemd)
 * accept() fails and every new client waits in the listen backlog while
 * the listener stays readable.  Raise the soft limit to the hard one, so
 * that a crowd of idle clients must exhaust the hard limit (524288 under
 * systemd) before the operator is locked out. */
static void
raise_nofile_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        VLOG_WARN("cannot read the open-files limit (%s)",
                  ovs_strerror(errno));
        return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t old = rl.rlim_cur;

        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            VLOG_WARN("cannot raise the open-files limit from %llu to %llu "
                      "(%s)", (unsigned long long) old,
                      (unsigned long long) rl.rlim_max, ovs_strerror(errno));
        }
    }
}

/* Opens the control socket: the gate on the socket the operator names (or
 * OVS's default for the daemon), and OVS's unixctl server behind it on the
 * same path with ".inner" appended.  Returns the unixctl server, or NULL
 * with --unixctl=none. */
static struct unixctl_server *
start_control(struct vplugd *d)
{
    if (d->unixctl_path && !strcmp(d->unixctl_path, "none")) {
        return NULL;
    }
    char *path = (d->unixctl_path
                  ? abs_file_name(ovs_rundir(), d->unixctl_path)
                  : xasprintf("%s/%s.%ld.ctl", ovs_rundir(),
                              ovs_get_program_name(), (long) getpid()));
    char *inner = xasprintf("%s.inner", path);
    char *why = NULL;
    int error = ctl_gate_create(path, inner, &d->gate_limits, &d->gate,
                                &why);
    if (error) {
        ovs_fatal_status(1, "%s", why);
    }

    struct unixctl_server *server;
    error = unixctl_server_create(inner, &server);
    if (error) {
        /* unixctl_server_create() said why. */
        exit(EXIT_FAILURE);
    }
    /* Only root talks to vplugd: it creates and deletes namespaces. */
    if (chmod(inner, 0700) < 0) {
        ovs_fatal(errno, "cannot restrict the control socket %s to its "
                  "owner", inner);
    }
    free(inner);
    free(path);
    return server;
}

int
main(int argc, char *argv[])
{
    struct vplugd d = { .start_time = time_msec(), .nl_fd = -1,
                        .n_spares = SPARE_NAMESPACES,
                        .timeout_ms = 30000,
                        .gate_limits = {
                            .idle_ms = CTL_GATE_IDLE_MS,
                            .max_request = CTL_GATE_MAX_REQUEST,
                            .max_conns = CTL_GATE_MAX_CONNS,
                        } };
    struct unixctl_server *server;
    int error;

    ovs_set_program_name(argv[0], PACKAGE_VERSION);
    /* Before anything calls fatal_signal_init(), which leaves signals with
     * a handler alone. */
    catch_stop_signals();
    fatal_ignore_sigpipe();
    /* Warnings and errors on the console, everything from INFO up in the
     * log file, as before; -v and --verbose=SPEC change that. */
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    parse_options(argc, argv, &d);

    daemonize_start(false);
    raise_nofile_limit();

    if (d.sandbox_dir) {
        char *why = NULL;
        error = sandbox_start(d.sandbox_dir, &why);
        if (error) {
            ovs_fatal_status(1, "%s", why);
        }
        free(d.db_remote);
        d.db_remote = sandbox_db_remote(d.sandbox_dir);
    }

    server = start_control(&d);
    jobs_init(&d);
    register_commands(&d);
    heal_init(&d);
    d.pool = netns_pool_create(d.n_spares,
                               d.n_spares ? BURST_SPARE_NAMESPACES : 0);

    daemonize_complete();
    VLOG_INFO("vplugd %s started, database %s", PACKAGE_VERSION,
              d.db_remote);

    while (!d.exiting && !latch_is_set(&stop_latch)) {
        memory_run();
        if (memory_should_report()) {
            report_memory(&d);
        }
        unixctl_server_run(server);
        if (d.exiting) {
            break;
        }
        ctl_gate_run(d.gate);
        jobs_run(&d);
        heal_run(&d);
        pool_run(&d);
        memory_wait();
        unixctl_server_wait(server);
        ctl_gate_wait(d.gate);
        jobs_wait(&d);
        heal_wait(&d);
        pool_wait(&d);
        latch_wait(&stop_latch);
        poll_block();
    }
    VLOG_INFO("vplugd exiting (%s)", d.exiting ? "exit command" : "signal");

    jobs_destroy(&d);
    /* The reply to "exit", and those the jobs gave as they ended. */
    ctl_gate_flush(d.gate, time_msec() + 1000);
    unixctl_server_destroy(server);
    ctl_gate_destroy(d.gate);
    heal_destroy(&d);
    netns_pool_destroy(d.pool);
    free(d.db_remote);
    free(d.sandbox_dir);
    free(d.unixctl_path);
    latch_destroy(&stop_latch);
    return 0;
}

static void
usage(void)
{
    printf("%s: the vplug daemon, driven with ovs-appctl\n"
           "usage: %s [OPTIONS]\n"
           "\nOptions:\n"
           "  --db=REMOTE             OVSDB remote: unix:PATH, tcp:IP:PORT, "
           "ssl:IP:PORT,\n"
           "                          or a comma-separated list of them\n"
           "  --sandbox[=DIR]         use (and start) the private OVS in DIR\n"
           "                          (default: %s)\n"
           "  --unixctl=PATH          control socket (default: "
           "%s/%s.PID.ctl)\n"
           "  --spare-namespaces=N    namespaces made ahead of need "
           "(default: %d; 0: none)\n"
           "  --timeout=SECONDS       bound on the waits of each request "
           "(default: 30)\n"
           "  --idle-timeout=SECONDS  drop a control connection without a "
           "complete request\n"
           "                          for that long (default: %d; 0: "
           "never)\n"
           "  --max-clients=N         control connections at most "
           "(default: %d)\n",
           ovs_get_program_name(), ovs_get_program_name(),
           SANDBOX_DEFAULT_DIR, ovs_rundir(), ovs_get_program_name(),
           SPARE_NAMESPACES, CTL_GATE_IDLE_MS / 1000, CTL_GATE_MAX_CONNS);
    stream_usage("--db", true, false, true);
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
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
    return xasprintf("unix:%s/db.sock", ovs_rundir());
}

static void
parse_options(int argc, char *argv[], struct vplugd *d)
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_SANDBOX,
        OPT_UNIXCTL,
        OPT_SPARE_NAMESPACES,
        OPT_TIMEOUT,
        OPT_IDLE_TIMEOUT,
        OPT_MAX_CLIENTS,
        OPT_BOOTSTRAP_CA_CERT,
        DAEMON_OPTION_ENUMS,
        VLOG_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"sandbox", optional_argument, NULL, OPT_SANDBOX},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"spare-namespaces", required_argument, NULL, OPT_SPARE_NAMESPACES},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
        {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"bootstrap-ca-cert", required_argument, NULL,
         OPT_BOOTSTRAP_CA_CERT},
        DAEMON_LONG_OPTIONS,
        VLOG_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);
    struct vswitch_ssl_opts ssl_opts = { false, false, false };

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
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

        case OPT_TIMEOUT: {
            int seconds;
            if (!str_to_int(optarg, 10, &seconds) || seconds < 1
                || seconds > 86400) {
                ovs_fatal_status(2, "--timeout=%s: not a number of seconds "
                                 "from 1 to 86400", optarg);
            }
            d->timeout_ms = seconds * 1000;
            break;
        }

        case OPT_IDLE_TIMEOUT: {
            int seconds;
            if (!str_to_int(optarg, 10, &seconds) || seconds < 0
                || seconds > 86400) {
                ovs_fatal_status(2, "--idle-timeout=%s: not a number of "
                                 "seconds from 0 to 86400", optarg);
            }
            d->gate_limits.idle_ms = seconds * 1000;
            break;
        }

        case OPT_MAX_CLIENTS: {
            int n;
            if (!str_to_int(optarg, 10, &n) || n < 1 || n > 65536) {
                ovs_fatal_status(2, "--max-clients=%s: not a number from 1 "
                                 "to 65536", optarg);
            }
            d->gate_limits.max_conns = n;
            break;
        }

        case 'h':
            usage();
            exit(0);

        case 'V':
            ovs_print_version(0, 0);
            exit(0);

        case 'p':
        case 'c':
        case 'C':
        case OPT_BOOTSTRAP_CA_CERT:
            vswitch_ssl_option(c, OPT_BOOTSTRAP_CA_CERT, optarg, &ssl_opts);
            break;

        case OPT_SSL_PROTOCOLS:
            stream_ssl_set_protocols(optarg);
            break;

        case OPT_SSL_CIPHERS:
            stream_ssl_set_ciphers(optarg);
            break;

        DAEMON_OPTION_HANDLERS
        VLOG_OPTION_HANDLERS

        case '?':
            exit(2);

        default:
            abort();
        }
    }
    free(short_options);
    if (optind < argc) {
        ovs_fatal_status(2, "unexpected argument \"%s\" (use --help for "
                         "help)", argv[optind]);
    }
    if (d->db_remote && d->sandbox_dir) {
        ovs_fatal_status(2, "--db and --sandbox cannot be used together");
    }
    const char *env = getenv("VPLUG_DB");
    if (d->db_remote || (env && *env)) {
        const char *option = d->db_remote ? "--db=" : "VPLUG_DB=";
        if (!d->db_remote) {
            d->db_remote = default_db_remote();
        }
        char *error = remote_check(d->db_remote);
        if (error) {
            ovs_fatal_status(2, "%s%s: %s", option, d->db_remote, error);
        }
    }
    if (!d->db_remote) {
        d->db_remote = default_db_remote();
    }
    char *why = vswitch_check_ssl_options(d->db_remote, &ssl_opts);
    if (why) {
        ovs_fatal_status(2, "%s", why);
    }
    const char *state_dir = getenv("VPLUG_STATE_DIR");
    d->state_dir = state_dir && *state_dir ? state_dir : ENGINE_STATE_DIR;
}

/* Makes one spare namespace per pass while the pool is short and no
 * request is in progress (making a namespace contends in the kernel with
 * the requests' own), so that a request waits for at most one creation. */
static void
pool_run(struct vplugd *d)
{
    if (netns_pool_needs_fill(d->pool) && time_msec() >= d->pool_retry_at
        && ovs_list_is_empty(&d->jobs)) {
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
    if (netns_pool_needs_fill(d->pool) && ovs_list_is_empty(&d->jobs)) {
        poll_timer_wait_until(d->pool_retry_at);
    }
}
