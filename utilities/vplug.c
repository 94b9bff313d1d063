/* vplug: the command line.  Parses options and commands, turns them into
 * topologies and engine calls, and maps failures to exit statuses: 0
 * success, 1 the operation failed (reason on stderr), 2 bad usage or bad
 * input file. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "ovsdb/remote.h"
#include "sandbox.h"
#include "topo-gen.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "vif.h"
#include "openvswitch/vlog.h"
#include "stream-ssl.h"

VLOG_DEFINE_THIS_MODULE(vplug);

enum {
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
};

/* Options that come before the command. */
struct options {
    char *db;                   /* --db, or the default remote. */
    bool db_given;              /* --db or --sandbox was given. */
    char *sandbox_dir;          /* --sandbox[=DIR], or NULL. */
    bool json;                  /* --format=json. */
    int timeout_ms;             /* --timeout. */
    bool dry_run;               /* --dry-run. */
    bool verbose;               /* -v. */
};

static struct options options;

static void OVS_NO_RETURN
usage_error(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

static void
usage_error(const char *format, ...)
{
    va_list args;
    fprintf(stderr, "%s: ", get_program_name());
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\n(Use \"%s --help\" for help.)\n", get_program_name());
    exit(EXIT_USAGE);
}

static void OVS_NO_RETURN
usage(void)
{
    printf("\
%s: wire network namespaces with veth pairs through Open vSwitch,\n\
a Linux bridge, or directly\n\
usage: %s [OPTIONS] COMMAND [ARG...]\n\
\n\
Commands:\n\
  apply FILE             make the system match the topology in FILE (- = stdin)\n\
  destroy FILE|NAME      remove everything the topology owns\n\
  show [NAME]            show applied topologies and their live state\n\
  verify FILE|NAME [--all]\n\
                         ping between every pair of ends on a segment\n\
  link A B [--via=direct|bridge:BR|ovs:BR] [--name=NAME]\n\
                         join endpoints NS[/IFNAME][=ADDR/PLEN] (NS - is the\n\
                         current namespace)\n\
  generate star|line|ring|tree|mesh N [--via=ovs|bridge|direct]\n\
           [--subnet=CIDR] [--name=NAME]\n\
                         print a topology file for a lab\n\
  sandbox start|stop|status [DIR]\n\
                         manage a private OVS (default DIR %s)\n\
  plug NS IFNAME SWITCH [KEY=VALUE...]\n\
                         plug a VIF os-vif style (mac, mtu, vlan, addr,\n\
                         iface-id, vm-uuid, attached-mac, hybrid=true)\n\
  unplug NS IFNAME       unplug that VIF\n\
\n\
Options:\n\
  --db=REMOTE            OVSDB remote: unix:PATH, tcp:IP:PORT, ssl:IP:PORT,\n\
                         or a comma-separated list of them (a cluster)\n\
                         (default $VPLUG_DB, else unix:$OVS_RUNDIR/db.sock,\n\
                         else unix:/var/run/openvswitch/db.sock)\n\
  -p, --private-key=FILE   file with the private key (ssl: remotes)\n\
  -c, --certificate=FILE   file with the certificate for that key\n\
  -C, --ca-cert=FILE       CA certificate to verify the server with\n\
  --bootstrap-ca-cert=FILE CA certificate to fetch from the server once\n\
  --sandbox[=DIR]        use (and start if needed) a private OVS in DIR\n\
  --format=text|json     output format of show and verify\n\
  --timeout=SECONDS      bound on every wait (default 30)\n\
  --dry-run              print the plan, change nothing\n\
  -v, --verbose          log more\n\
  -h, --help             print this help\n\
  -V, --version          print the version\n\
\n\
Exit status: 0 success, 1 the operation failed, 2 bad usage or input.\n",
           get_program_name(), get_program_name(), SANDBOX_DEFAULT_DIR);
    exit(0);
}

static char *
default_db(void)
{
    const char *env = getenv("VPLUG_DB");
    if (env && *env) {
        return xstrdup(env);
    }
    const char *rundir = getenv("OVS_RUNDIR");
    if (rundir && *rundir) {
        return xasprintf("unix:%s/db.sock", rundir);
    }
    return xstrdup("unix:/var/run/openvswitch/db.sock");
}

static void
print_report(void *aux OVS_UNUSED, const char *line)
{
    printf("%s\n", line);
    fflush(stdout);
}

/* On a terminal, long runs show how far they are. */
static void
print_progress(void *aux OVS_UNUSED, size_t done, size_t total)
{
    fprintf(stderr, "\r%zu of %zu pairs probed%s", done, total,
            done == total ? "\n" : "");
}

static void
engine_opts_init(struct engine_opts *eo)
{
    memset(eo, 0, sizeof *eo);
    eo->db_remote = options.db_given ? options.db : NULL;
    eo->default_db_remote = options.db;
    eo->timeout_ms = options.timeout_ms;
    eo->dry_run = options.dry_run;
    eo->state_dir = getenv("VPLUG_STATE_DIR");
    eo->report = print_report;
    eo->progress = isatty(STDERR_FILENO) ? print_progress : NULL;
}

/* Prints 'err' (and frees it) and returns EXIT_FAILED. */
static int
fail(char *err)
{
    fprintf(stderr, "%s: %s\n", get_program_name(), err);
    free(err);
    return EXIT_FAILED;
}

/* Parses topology file 'file_name', exiting with status 2 on error. */
static struct topology *
parse_topology_or_exit(const char *file_name)
{
    struct topology *topo;
    char *err = topology_parse_file(file_name, &topo);
    if (err) {
        fprintf(stderr, "%s\n", err);
        free(err);
        exit(EXIT_USAGE);
    }
    return topo;
}

/* True if 'arg' names a topology file ("-" for standard input) rather
 * than an applied topology. */
static bool
is_file_arg(const char *arg)
{
    return !strcmp(arg, "-") || access(arg, F_OK) == 0;
}

static void
stop_handler(int sig OVS_UNUSED)
{
    engine_request_stop();
}

static int
apply_topology(struct topology *topo)
{
    struct engine_opts eo;
    char *err;

    /* SIGINT or SIGTERM mid-apply rolls back what this run made. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_handler;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    engine_opts_init(&eo);
    int error = engine_apply(topo, &eo, &err);
    return error ? fail(err) : 0;
}

static int
cmd_apply(int argc, char *argv[])
{
    if (argc != 2) {
        usage_error("apply takes one topology file");
    }
    struct topology *topo = parse_topology_or_exit(argv[1]);
    int status = apply_topology(topo);
    topology_destroy(topo);
    return status;
}

static int
cmd_destroy(int argc, char *argv[])
{
    if (argc != 2) {
        usage_error("destroy takes one topology file or name");
    }

    struct topology *topo = NULL;
    const char *name = argv[1];
    if (is_file_arg(argv[1])) {
        topo = parse_topology_or_exit(argv[1]);
        name = topo->name;
    }

    struct engine_opts eo;
    char *err;
    engine_opts_init(&eo);
    int error = engine_destroy(name, topo, &eo, &err);
    topology_destroy(topo);
    return error ? fail(err) : 0;
}

static int
cmd_show(int argc, char *argv[])
{
    if (argc > 2) {
        usage_error("show takes at most one topology name");
    }

    struct engine_opts eo;
    struct ds out = DS_EMPTY_INITIALIZER;
    char *err;
    engine_opts_init(&eo);
    int error = engine_show(argc > 1 ? argv[1] : NULL, options.json, &eo,
                            &out, &err);
    fputs(ds_cstr(&out), stdout);
    ds_destroy(&out);
    return error ? fail(err) : 0;
}

static int
cmd_verify(int argc, char *argv[])
{
    const char *arg = NULL;
    bool all = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all")) {
            all = true;
        } else if (!arg) {
            arg = argv[i];
        } else {
            usage_error("verify takes one topology file or name");
        }
    }
    if (!arg) {
        usage_error("verify takes one topology file or name");
    }

    char *name = xstrdup(arg);
    if (is_file_arg(arg)) {
        struct topology *topo = parse_topology_or_exit(arg);
        free(name);
        name = xstrdup(topo->name);
        topology_destroy(topo);
    }

    struct engine_opts eo;
    struct ds out = DS_EMPTY_INITIALIZER;
    char *err;
    int n_failed;
    engine_opts_init(&eo);
    int error = engine_verify(name, all, options.json, &eo, &out, &n_failed,
                              &err);
    fputs(ds_cstr(&out), stdout);
    ds_destroy(&out);
    free(name);
    if (error) {
        return fail(err);
    }
    return n_failed ? EXIT_FAILED : 0;
}

/* Parses endpoint "NS[/IFNAME][=ADDR/PLEN]" into 'end'. */
static void
parse_endpoint(const char *s, struct topo_end *end)
{
    char *copy = xstrdup(s);
    char *addr = strchr(copy, '=');
    if (addr) {
        *addr++ = '\0';
        char *err = topology_parse_cidr(addr, NULL, NULL, NULL);
        if (err) {
            usage_error("endpoint '%s': %s", s, err);
        }
        svec_add(&end->addrs, addr);
    }
    char *ifname = strchr(copy, '/');
    if (ifname) {
        *ifname++ = '\0';
        if (!*ifname) {
            usage_error("endpoint '%s' has an empty interface name", s);
        }
        end->ifname = xstrdup(ifname);
    }
    if (!*copy) {
        usage_error("endpoint '%s' names no namespace (use - for the current "
                    "one)", s);
    }
    end->ns = strcmp(copy, "-") ? xstrdup(copy) : NULL;
    free(copy);
}

/* A stable name for a "link" topology made without --name. */
static char *
link_name(int argc, char *argv[])
{
    unsigned int h = 2166136261u;
    for (int i = 0; i < argc; i++) {
        for (const char *p = argv[i]; *p; p++) {
            h = (h ^ (unsigned char) *p) * 16777619u;
        }
        h = (h ^ 0) * 16777619u;
    }
    return xasprintf("link-%08x", h);
}

static int
cmd_link(int argc, char *argv[])
{
    const char *via = "direct";
    char *name = NULL;
    const char *eps[2];
    int n_eps = 0;

    for (int i = 1; i < argc; i++) {
        if (str_startswith(argv[i], "--via=")) {
            via = argv[i] + 6;
        } else if (str_startswith(argv[i], "--name=")) {
            free(name);
            name = xstrdup(argv[i] + 7);
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            usage_error("link: unknown option '%s'", argv[i]);
        } else if (n_eps < 2) {
            eps[n_eps++] = argv[i];
        } else {
            usage_error("link takes two endpoints");
        }
    }
    if (n_eps != 2) {
        usage_error("link takes two endpoints NS[/IFNAME][=ADDR/PLEN]");
    }
    if (!name) {
        name = link_name(argc - 1, argv + 1);
    }

    enum topo_switch_kind kind = TOPO_SW_DIRECT;
    const char *sw_name = NULL;
    if (str_startswith(via, "bridge:")) {
        kind = TOPO_SW_BRIDGE;
        sw_name = via + 7;
    } else if (str_startswith(via, "ovs:")) {
        kind = TOPO_SW_OVS;
        sw_name = via + 4;
    } else if (strcmp(via, "direct")) {
        usage_error("--via must be direct, bridge:BRIDGE or ovs:BRIDGE, not "
                    "'%s'", via);
    }
    if (sw_name && !*sw_name) {
        usage_error("--via=%s names no bridge", via);
    }

    struct topology *topo = xzalloc(sizeof *topo);
    topo->name = name;
    struct topo_end ends[2];
    for (int i = 0; i < 2; i++) {
        topo_end_init(&ends[i]);
        parse_endpoint(eps[i], &ends[i]);
    }

    if (kind == TOPO_SW_DIRECT) {
        topo->n_links = 1;
        topo->links = xcalloc(1, sizeof *topo->links);
        for (int i = 0; i < 2; i++) {
            if (!ends[i].ifname) {
                ends[i].ifname = topology_generate_ifname(name, 0, i);
            }
            topo->links[0].ends[i] = ends[i];
        }
    } else {
        topo->n_switches = 1;
        topo->switches = xcalloc(1, sizeof *topo->switches);
        struct topo_switch *sw = &topo->switches[0];
        sw->name = xstrdup(sw_name);
        sw->kind = kind;
        sw->datapath = kind == TOPO_SW_OVS ? xstrdup("auto") : NULL;
        sw->port_type = kind == TOPO_SW_OVS ? xstrdup("system") : NULL;

        topo->n_links = 2;
        topo->links = xcalloc(2, sizeof *topo->links);
        for (int i = 0; i < 2; i++) {
            struct topo_link *l = &topo->links[i];
            if (!ends[i].ifname) {
                ends[i].ifname = topology_generate_ifname(name, i, 0);
            }
            l->ends[0] = ends[i];
            topo_end_init(&l->ends[1]);
            l->ends[1].sw = xstrdup(sw_name);
            /* The seed's names: br-veth0, ovs-veth0. */
            char *port = xasprintf("%s-%s", kind == TOPO_SW_OVS ? "ovs" : "br",
                                   ends[i].ifname);
            if (strlen(port) > 15) {
                free(port);
                port = topology_generate_ifname(name, i, 1);
            }
            l->ends[1].ifname = port;
        }
        /* Two ends with one name (eth0 in two namespaces) need two port
         * names in the current namespace. */
        if (!strcmp(topo->links[0].ends[1].ifname,
                    topo->links[1].ends[1].ifname)) {
            for (int i = 0; i < 2; i++) {
                free(topo->links[i].ends[1].ifname);
                topo->links[i].ends[1].ifname
                    = topology_generate_ifname(name, i, 1);
            }
        }
    }

    char *err = topology_validate(topo);
    if (err) {
        fprintf(stderr, "%s: %s\n", get_program_name(), err);
        free(err);
        topology_destroy(topo);
        return EXIT_USAGE;
    }

    printf("topology %s\n", topo->name);
    int status = apply_topology(topo);
    topology_destroy(topo);
    return status;
}

static int
cmd_generate(int argc, char *argv[])
{
    const char *via = "ovs";
    const char *subnet = NULL;
    const char *name = NULL;
    const char *shape = NULL;
    const char *count = NULL;

    for (int i = 1; i < argc; i++) {
        if (str_startswith(argv[i], "--via=")) {
            via = argv[i] + 6;
        } else if (str_startswith(argv[i], "--subnet=")) {
            subnet = argv[i] + 9;
        } else if (str_startswith(argv[i], "--name=")) {
            name = argv[i] + 7;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            usage_error("generate: unknown option '%s'", argv[i]);
        } else if (!shape) {
            shape = argv[i];
        } else if (!count) {
            count = argv[i];
        } else {
            usage_error("generate takes a shape and a host count");
        }
    }
    int n;
    if (!shape || !count) {
        usage_error("generate takes a shape (star, line, ring, tree, mesh) "
                    "and a host count");
    }
    if (!str_to_int(count, 10, &n) || n < 1) {
        usage_error("host count '%s' is not a positive integer", count);
    }
    enum topo_switch_kind kind;
    if (!topo_switch_kind_from_name(via, &kind)) {
        usage_error("--via must be ovs, bridge or direct, not '%s'", via);
    }

    char *default_name = NULL;
    if (!name) {
        default_name = xasprintf("%s%d", shape, n);
        name = default_name;
    }
    struct topology *topo;
    char *err = topo_gen(shape, n, kind, subnet, name, &topo);
    free(default_name);
    if (err) {
        fprintf(stderr, "%s: %s\n", get_program_name(), err);
        free(err);
        return EXIT_USAGE;
    }
    char *text = topology_to_string(topo);
    printf("%s\n", text);
    free(text);
    topology_destroy(topo);
    return 0;
}

static int
cmd_sandbox(int argc, char *argv[])
{
    if (argc < 2 || argc > 3) {
        usage_error("sandbox takes start, stop or status, and a directory");
    }
    const char *dir = (argc > 2 ? argv[2]
                       : options.sandbox_dir ? options.sandbox_dir
                       : SANDBOX_DEFAULT_DIR);
    char *err = NULL;
    int error;
    if (!strcmp(argv[1], "start")) {
        error = sandbox_start(dir, &err);
        if (!error) {
            printf("sandbox running in %s (db unix:%s/db.sock)\n", dir, dir);
        }
    } else if (!strcmp(argv[1], "stop")) {
        error = sandbox_stop(dir, &err);
        if (!error) {
            printf("sandbox in %s stopped\n", dir);
        }
    } else if (!strcmp(argv[1], "status")) {
        struct ds out = DS_EMPTY_INITIALIZER;
        error = sandbox_status(dir, &out);
        fputs(ds_cstr(&out), stdout);
        ds_destroy(&out);
        return error ? EXIT_FAILED : 0;
    } else {
        usage_error("sandbox takes start, stop or status, not '%s'", argv[1]);
    }
    return error ? fail(err) : 0;
}

/* VIF plugging, as the daemon's vplug/plug and vplug/unplug do it. */
static int
cmd_plug(int argc, char *argv[])
{
    struct vif_request req;
    char *err = vif_request_parse(argc - 1, (const char *const *) argv + 1,
                                  &req);
    if (err) {
        fprintf(stderr, "%s: %s\n", get_program_name(), err);
        free(err);
        vif_request_uninit(&req);
        return EXIT_USAGE;
    }

    struct engine_opts eo;
    bool changed;
    engine_opts_init(&eo);
    int error = vif_plug(&req, &eo, &changed, &err);
    if (!error && !changed) {
        printf("'%s' in namespace '%s' is already plugged\n", req.ifname,
               req.ns);
    }
    vif_request_uninit(&req);
    return error ? fail(err) : 0;
}

static int
cmd_unplug(int argc, char *argv[])
{
    if (argc != 3) {
        usage_error("unplug takes NAMESPACE IFNAME");
    }
    struct engine_opts eo;
    char *err;
    engine_opts_init(&eo);
    int error = vif_unplug(argv[1], argv[2], &eo, &err);
    return error ? fail(err) : 0;
}

struct command {
    const char *name;
    int (*func)(int argc, char *argv[]);
    bool uses_db;               /* Starts the sandbox if --sandbox. */
};

static const struct command commands[] = {
    { "apply", cmd_apply, true },
    { "destroy", cmd_destroy, true },
    { "show", cmd_show, true },
    { "verify", cmd_verify, false },
    { "link", cmd_link, true },
    { "generate", cmd_generate, false },
    { "sandbox", cmd_sandbox, false },
    { "plug", cmd_plug, true },
    { "unplug", cmd_unplug, true },
};

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_DB = 256,
        OPT_SANDBOX,
        OPT_FORMAT,
        OPT_TIMEOUT,
        OPT_DRY_RUN,
        OPT_BOOTSTRAP_CA_CERT,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        { "db", required_argument, NULL, OPT_DB },
        { "sandbox", optional_argument, NULL, OPT_SANDBOX },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "bootstrap-ca-cert", required_argument, NULL,
          OPT_BOOTSTRAP_CA_CERT },
        STREAM_SSL_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };

    options.timeout_ms = 30000;
    for (;;) {
        int c = getopt_long(argc, argv, "+vhVp:c:C:", long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_DB:
            free(options.db);
            options.db = xstrdup(optarg);
            options.db_given = true;
            break;
        case OPT_SANDBOX:
            free(options.sandbox_dir);
            options.sandbox_dir = xstrdup(optarg ? optarg
                                          : SANDBOX_DEFAULT_DIR);
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "json")) {
                options.json = true;
            } else if (!strcmp(optarg, "text")) {
                options.json = false;
            } else {
                usage_error("--format must be text or json, not '%s'",
                            optarg);
            }
            break;
        case OPT_TIMEOUT: {
            int seconds;
            if (!str_to_int(optarg, 10, &seconds) || seconds <= 0
                || seconds > 86400) {
                usage_error("--timeout must be a number of seconds from 1 to "
                            "86400, not '%s'", optarg);
            }
            options.timeout_ms = seconds * 1000;
            break;
        }
        case OPT_DRY_RUN:
            options.dry_run = true;
            break;
        case 'v':
            options.verbose = true;
            vlog_set_verbosity(NULL);
            break;
        STREAM_SSL_OPTION_HANDLERS
        case OPT_BOOTSTRAP_CA_CERT:
            stream_ssl_set_ca_cert_file(optarg, true);
            break;
        case 'h':
            usage();
        case 'V':
            ovs_print_version(0, 0);
            exit(0);
        default:
            fprintf(stderr, "(Use \"%s --help\" for help.)\n",
                    get_program_name());
            exit(EXIT_USAGE);
        }
    }
}

int
main(int argc, char *argv[])
{
    ovs_set_program_name(argv[0], PACKAGE_VERSION);
    vplug_vlog_init_command();
    parse_options(argc, argv);
    argc -= optind;
    argv += optind;
    if (argc < 1) {
        usage_error("missing command");
    }

    const struct command *cmd = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!strcmp(commands[i].name, argv[0])) {
            cmd = &commands[i];
        }
    }
    if (!cmd) {
        usage_error("unknown command '%s'", argv[0]);
    }

    if (options.sandbox_dir) {
        free(options.db);
        options.db = xasprintf("unix:%s/db.sock", options.sandbox_dir);
        options.db_given = true;
        if (cmd->uses_db && !options.dry_run) {
            char *err = NULL;
            if (sandbox_start(options.sandbox_dir, &err)) {
                return fail(err);
            }
        }
    } else if (!options.db) {
        options.db = default_db();
    }
    /* A remote the user typed is checked before anything connects or
     * falls back; the default one is ours and well-formed. */
    const char *env = getenv("VPLUG_DB");
    if (options.db_given || (env && *env)) {
        char *error = remote_check(options.db);
        if (error) {
            usage_error("%s%s: %s", options.db_given ? "--db=" : "VPLUG_DB=",
                        options.db, error);
        }
    }

    int status = cmd->func(argc, argv);
    free(options.db);
    free(options.sandbox_dir);
    return status;
}
