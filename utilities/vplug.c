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

#include "commands.h"
#include "engine.h"
#include "graph.h"
#include "netns.h"
#include "ovsdb/remote.h"
#include "sandbox.h"
#include "sandbox-ovn.h"
#include "topo-gen.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "vif.h"
#include "vswitch.h"
#include "openvswitch/vlog.h"
#include "stream-ssl.h"
#include "vplug-json.h"
#include "vplug-progress.h"

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
    char *ovn_nb;               /* --ovn-nb, or NULL. */
    bool json;                  /* --format=json. */
    int timeout_ms;             /* --timeout. */
    bool dry_run;               /* --dry-run. */
    bool verbose;               /* -v. */
};

static struct options options;

/* --format=json: the engine's report lines, for the command's object, and
 * what the command works on, for error objects. */
static struct svec json_messages = SVEC_EMPTY_INITIALIZER;
static const char *json_object_name;

/* Prints JSON text 'text' (and frees it) to 'stream'. */
static void
put_json(FILE *stream, char *text)
{
    fputs(text, stream);
    free(text);
}

/* Which SSL options were given. */
static struct vswitch_ssl_opts ssl_opts;

static void OVS_NO_RETURN
usage_error(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);

static void
usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *msg = xvasprintf(format, args);
    va_end(args);
    if (options.json) {
        put_json(stderr, vplug_json_error(msg, json_object_name, NULL));
        free(msg);
        exit(EXIT_USAGE);
    }
    fprintf(stderr, "%s: %s", get_program_name(), msg);
    free(msg);
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
  verify FILE|NAME [--all] [--tcp[=BYTES]]\n\
                         ping between every pair of ends on a segment, also\n\
                         with packets of the sender's MTU (DF set); --tcp\n\
                         also carries BYTES (default 1 MiB) over TCP\n\
  graph FILE|NAME [--format=dot|svg] [--verify]\n\
                         draw the lab (its live state if applied)\n\
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
  --sandbox[=DIR]        use (and start if needed) a private OVS in DIR; for\n\
                         an OVN lab, rehearse its central and chassis there\n\
  --ovn-nb=REMOTE        OVN Northbound remote of an OVN lab on real hosts\n\
  --format=text|json     output format (json: one object; see vplug(8))\n\
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
    vplug_progress_end();
    if (options.json) {
        svec_add(&json_messages, line);
        return;
    }
    printf("%s\n", line);
    fflush(stdout);
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
    eo->progress = vplug_progress_callback();
    eo->ovn_nb_remote = options.ovn_nb;
    eo->ovn_sandbox = options.sandbox_dir;
}


/* Prints 'err' (and frees it) and returns EXIT_FAILED. */
static int
fail(char *err)
{
    vplug_progress_end();
    if (options.json) {
        put_json(stderr, vplug_json_error(err, json_object_name, NULL));
        free(err);
        return EXIT_FAILED;
    }
    fprintf(stderr, "%s: %s\n", get_program_name(), err);
    free(err);
    return EXIT_FAILED;
}

/* With --sandbox, starts what 'topo' runs on: the OVN rehearsal (central
 * and chassis) for a lab with ovn switches, else the private OVS. */
static int
start_sandbox_for(const struct topology *topo)
{
    char *err = NULL;
    int error = 0;
    if (!options.sandbox_dir || options.dry_run) {
        return 0;
    }
    error = (topology_has_ovn(topo)
             ? sandbox_ovn_start(options.sandbox_dir, topo, &err)
             : sandbox_start(options.sandbox_dir, &err));
    return error ? fail(err) : 0;
}

/* Parses topology file 'file_name', exiting with status 2 on error. */
static struct topology *
parse_topology_or_exit(const char *file_name)
{
    struct topology *topo;
    char *err = topology_parse_file(file_name, &topo);
    if (err && options.json) {
        put_json(stderr, vplug_json_error(err, file_name, file_name));
        free(err);
        exit(EXIT_USAGE);
    } else if (err) {
        fprintf(stderr, "%s\n", err);
        free(err);
        exit(EXIT_USAGE);
    }
    return topo;
}

/* Exits with status 2 and the reason if 'argv' ('argc' arguments) of
 * 'command' name anything invalid, before any of it becomes a path. */
static void
check_args_or_exit(const char *command, int argc, const char *const argv[])
{
    char *err = commands_check_args(command, argc, argv);
    if (err) {
        fprintf(stderr, "%s: %s\n", get_program_name(), err);
        free(err);
        exit(EXIT_USAGE);
    }
}

/* True if 'arg' names a topology file ("-" for standard input) rather
 * than an applied topology. */
static bool
is_file_arg(const char *arg)
{
    return !strcmp(arg, "-") || access(arg, F_OK) == 0;
}

/* engine_show() JSON of applied topology 'name', or NULL if it is not
 * applied.  Caller frees. */
static char *
show_json(const char *name, const struct engine_opts *eo)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    char *err;
    if (engine_show(name, true, eo, &out, &err)) {
        free(err);
        ds_destroy(&out);
        return NULL;
    }
    return ds_steal_cstr(&out);
}

static void
stop_handler(int sig OVS_UNUSED)
{
    engine_request_stop();
}

/* SIGINT or SIGTERM mid-apply rolls back what this run made; mid-destroy
 * it stops between two kernel requests, keeping the state for the next
 * destroy. */
static void
catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_handler;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int
apply_topology(struct topology *topo)
{
    struct engine_opts eo;
    char *err;

    catch_stop_signals();
    engine_opts_init(&eo);
    /* Ready means ready beyond the switch too: on an integration bridge
     * that ovn-controller manages, installed by OVN. */
    eo.settle = true;
    json_object_name = topo->name;
    struct svec existed = SVEC_EMPTY_INITIALIZER;
    char *before = NULL;
    if (options.json) {
        for (size_t i = 0; i < topo->n_links; i++) {
            for (int j = 0; j < 2; j++) {
                const char *ns = topo->links[i].ends[j].ns;
                if (ns && netns_exists(ns)) {
                    svec_add(&existed, ns);
                }
            }
        }
        before = show_json(topo->name, &eo);
    }
    int error = engine_apply(topo, &eo, &err);
    if (!error && options.json) {
        char *after = show_json(topo->name, &eo);
        put_json(stdout, vplug_json_apply(topo->name, &existed, before,
                                          after, &json_messages));
        free(after);
    }
    svec_destroy(&existed);
    free(before);
    return error ? fail(err) : 0;
}

static int
cmd_apply(int argc, char *argv[])
{
    if (argc != 2) {
        usage_error("apply takes one topology file");
    }
    struct topology *topo = parse_topology_or_exit(argv[1]);
    int status = start_sandbox_for(topo);
    if (!status) {
        status = apply_topology(topo);
    }
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
    } else {
        check_args_or_exit("destroy", 1, (const char *const *) &argv[1]);
    }

    struct engine_opts eo;
    char *err;
    catch_stop_signals();
    engine_opts_init(&eo);
    json_object_name = name;
    char *before = options.json ? show_json(name, &eo) : NULL;

    /* A rehearsed OVN lab goes with its rehearsal: the central and the
     * chassis must run while the lab's rows and ports go, then stop. */
    char *name_copy = xstrdup(name);
    name = name_copy;
    struct topology *applied = NULL;
    if (options.sandbox_dir && !engine_load(name, &eo, &applied, &err)) {
        topology_destroy(topo);
        topo = applied;
    } else if (options.sandbox_dir) {
        free(err);
    }
    bool rehearsed = (options.sandbox_dir && topo && topology_has_ovn(topo)
                      && sandbox_ovn_exists(options.sandbox_dir));
    int status = topo ? start_sandbox_for(topo) : 0;
    if (status) {
        topology_destroy(topo);
        free(before);
        free(name_copy);
        return status;
    }

    int error = engine_destroy(name, topo, &eo, &err);
    if (!error && rehearsed && !options.dry_run) {
        error = sandbox_ovn_stop(options.sandbox_dir, &err);
    }
    if (!error && options.json) {
        put_json(stdout, vplug_json_destroy(name, before, &json_messages));
    }
    free(before);
    status = error ? fail(err) : 0;
    free(name_copy);
    topology_destroy(topo);
    return status;
}

static int
cmd_show(int argc, char *argv[])
{
    if (argc > 2) {
        usage_error("show takes at most one topology name");
    }
    check_args_or_exit("show", argc - 1, (const char *const *) argv + 1);

    struct engine_opts eo;
    struct ds out = DS_EMPTY_INITIALIZER;
    char *err;
    engine_opts_init(&eo);
    json_object_name = argc > 1 ? argv[1] : NULL;
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
    size_t tcp_bytes = 0;
    for (int i = 1; i < argc; i++) {
        long long int bytes;
        if (!strcmp(argv[i], "--all")) {
            all = true;
        } else if (!strcmp(argv[i], "--tcp")) {
            tcp_bytes = 1024 * 1024;
        } else if (!strncmp(argv[i], "--tcp=", 6)) {
            if (!str_to_llong(argv[i] + 6, 10, &bytes) || bytes < 1
                || bytes > (1LL << 40)) {
                usage_error("--tcp takes a number of bytes from 1 to 2^40");
            }
            tcp_bytes = bytes;
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
    } else {
        check_args_or_exit("verify", 1, &arg);
    }

    struct engine_opts eo;
    struct ds out = DS_EMPTY_INITIALIZER;
    char *err;
    int n_failed;
    engine_opts_init(&eo);
    json_object_name = name;
    eo.verify_tcp_bytes = tcp_bytes;
    int error = engine_verify(name, all, options.json, &eo, &out, &n_failed,
                              &err);
    vplug_progress_end();
    fputs(ds_cstr(&out), stdout);
    ds_destroy(&out);
    int status = error ? fail(err) : n_failed ? EXIT_FAILED : 0;
    free(name);
    return status;
}

static int
cmd_graph(int argc, char *argv[])
{
    const char *arg = NULL;
    enum graph_format format = GRAPH_DOT;
    bool verify = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verify")) {
            verify = true;
        } else if (!strcmp(argv[i], "--format=dot")) {
            format = GRAPH_DOT;
        } else if (!strcmp(argv[i], "--format=svg")) {
            format = GRAPH_SVG;
        } else if (str_startswith(argv[i], "--")) {
            usage_error("graph: unknown option '%s' (graph takes "
                        "--format=dot|svg and --verify)", argv[i]);
        } else if (!arg) {
            arg = argv[i];
        } else {
            usage_error("graph takes one topology file or name");
        }
    }
    if (!arg) {
        usage_error("graph takes one topology file or name");
    }

    struct topology *topo = is_file_arg(arg) ? parse_topology_or_exit(arg)
                                             : NULL;
    struct engine_opts eo;
    char *err;
    engine_opts_init(&eo);
    json_object_name = topo ? topo->name : arg;
    int error = graph_run(topo, arg, format, verify, &eo, &err);
    topology_destroy(topo);
    return error ? fail(err) : 0;
}

/* Parses endpoint "NS[/IFNAME][=ADDR/PLEN]" into 'end', exiting with
 * status 2 if it is not one. */
static void
parse_endpoint(const char *s, struct topo_end *end)
{
    char *err = topology_parse_endpoint(s, end);
    if (err) {
        usage_error("%s", err);
    }
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

    json_object_name = topo->name;
    char *err = topology_validate(topo);
    if (err) {
        fail(err);
        topology_destroy(topo);
        return EXIT_USAGE;
    }

    if (!options.json) {
        printf("topology %s\n", topo->name);
    }
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
    json_object_name = name;
    char *err = topo_gen(shape, n, kind, subnet, name, &topo);
    if (err) {
        fail(err);
        free(default_name);
        return EXIT_USAGE;
    }
    free(default_name);
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
    json_object_name = dir;
    if (!strcmp(argv[1], "start")) {
        error = sandbox_start(dir, &err);
        if (!error && !options.json) {
            printf("sandbox running in %s (db unix:%s/db.sock)\n", dir, dir);
        }
    } else if (!strcmp(argv[1], "stop")) {
        error = sandbox_ovn_stop(dir, &err);
        if (!error) {
            error = sandbox_stop(dir, &err);
        }
        if (!error && !options.json) {
            printf("sandbox in %s stopped\n", dir);
        }
    } else if (!strcmp(argv[1], "status")) {
        struct ds out = DS_EMPTY_INITIALIZER;
        int ovn_error = sandbox_ovn_status(dir, &out);
        if (ovn_error == ENOENT) {
            error = sandbox_status(dir, &out);
        } else {
            error = ovn_error;
        }
        if (options.json) {
            put_json(stdout, vplug_json_sandbox(argv[1], ds_cstr(&out)));
        } else {
            fputs(ds_cstr(&out), stdout);
        }
        ds_destroy(&out);
        return error ? EXIT_FAILED : 0;
    } else {
        usage_error("sandbox takes start, stop or status, not '%s'", argv[1]);
    }
    if (!error && options.json) {
        struct ds out = DS_EMPTY_INITIALIZER;
        sandbox_status(dir, &out);
        put_json(stdout, vplug_json_sandbox(argv[1], ds_cstr(&out)));
        ds_destroy(&out);
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
    char *object = (argc > 2 ? xasprintf("%s/%s", argv[1], argv[2])
                    : NULL);
    json_object_name = object;
    if (err) {
        fail(err);
        vif_request_uninit(&req);
        free(object);
        return EXIT_USAGE;
    }

    struct engine_opts eo;
    bool changed;
    engine_opts_init(&eo);
    int error = vif_plug(&req, &eo, &changed, &err);
    if (!error && options.json) {
        char *name = vif_topology_name(req.ns, req.ifname);
        char *after = show_json(name, &eo);
        put_json(stdout, vplug_json_plug(req.ns, req.ifname, req.sw, name,
                                         changed, after, &json_messages));
        free(after);
        free(name);
    } else if (!error && !changed) {
        printf("'%s' in namespace '%s' is already plugged\n", req.ifname,
               req.ns);
    }
    vif_request_uninit(&req);
    int status = error ? fail(err) : 0;
    free(object);
    return status;
}

static int
cmd_unplug(int argc, char *argv[])
{
    if (argc != 3) {
        usage_error("unplug takes NAMESPACE IFNAME");
    }
    check_args_or_exit("unplug", 2, (const char *const *) argv + 1);
    struct engine_opts eo;
    char *err;
    engine_opts_init(&eo);
    char *object = xasprintf("%s/%s", argv[1], argv[2]);
    json_object_name = object;
    char *name = vif_topology_name(argv[1], argv[2]);
    char *before = options.json ? show_json(name, &eo) : NULL;
    int error = vif_unplug(argv[1], argv[2], &eo, &err);
    if (!error && options.json) {
        put_json(stdout, vplug_json_unplug(argv[1], argv[2], before != NULL,
                                           &json_messages));
    }
    free(before);
    free(name);
    int status = error ? fail(err) : 0;
    free(object);
    return status;
}

struct command {
    const char *name;
    int (*func)(int argc, char *argv[]);
    bool uses_db;               /* Starts the sandbox if --sandbox. */
};

static const struct command commands[] = {
    { "apply", cmd_apply, false },      /* Starts what the file needs. */
    { "destroy", cmd_destroy, false },
    { "show", cmd_show, true },
    { "verify", cmd_verify, false },
    { "graph", cmd_graph, false },
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
        OPT_OVN_NB,
        OPT_BOOTSTRAP_CA_CERT,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        { "db", required_argument, NULL, OPT_DB },
        { "sandbox", optional_argument, NULL, OPT_SANDBOX },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "ovn-nb", required_argument, NULL, OPT_OVN_NB },
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
        case OPT_OVN_NB:
            free(options.ovn_nb);
            options.ovn_nb = xstrdup(optarg);
            break;
        case 'v':
            options.verbose = true;
            vlog_set_verbosity(NULL);
            break;
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
    char *why = vswitch_check_ssl_options(options.db, &ssl_opts);
    if (why) {
        /* Whatever the command: an ssl: remote without its keys is bad
         * usage (apply starts what its file needs itself). */
        usage_error("%s", why);
    }
    free(why);

    int status = cmd->func(argc, argv);
    vplug_progress_end();
    svec_destroy(&json_messages);
    free(options.db);
    free(options.sandbox_dir);
    free(options.ovn_nb);
    return status;
}
