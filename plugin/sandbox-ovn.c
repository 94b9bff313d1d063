/* The rehearsal of an OVN lab: OVN central and chassis on one machine. */
#include <config.h>
#include "sandbox-ovn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/vswitch-idl.h"
#include "netns.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovn-db.h"
#include "rtnl.h"
#include "sandbox-private.h"
#include "sandbox.h"
#include "svec.h"
#include "timeval.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"

VLOG_DEFINE_THIS_MODULE(sandbox_ovn);

/* The underlay bridge in the namespace vplug runs in. */
#define UNDERLAY_BRIDGE "vplug-ul"
/* The underlay veth's end inside each chassis's namespace. */
#define UNDERLAY_PORT "ul0"
/* Encap IPs the rehearsal chooses: 172.31.0.1, 172.31.0.2, ... */
#define UNDERLAY_PREFIX "172.31"
#define UNDERLAY_PLEN 16

/* The central's three daemons, in start order. */
static const char *const central_names[] = {
    "ovnnb_db", "ovnsb_db", "ovn-northd"
};
/* A chassis's three daemons, in start order. */
static const char *const chassis_names[] = {
    "ovsdb-server", "ovs-vswitchd", "ovn-controller"
};

char *
sandbox_ovn_nb_remote(const char *dir_)
{
    char *dir = sandbox_dir(dir_);
    char *s = xasprintf("unix:%s/ovnnb_db.sock", dir);
    free(dir);
    return s;
}

char *
sandbox_ovn_sb_remote(const char *dir_)
{
    char *dir = sandbox_dir(dir_);
    char *s = xasprintf("unix:%s/ovnsb_db.sock", dir);
    free(dir);
    return s;
}

/* Returns DIR/chassis/NAME; caller frees. */
static char *
chassis_dir(const char *dir, const char *name)
{
    return xasprintf("%s/chassis/%s", dir, name);
}

char *
sandbox_ovn_chassis_remote(const char *dir_, const char *name)
{
    char *dir = sandbox_dir(dir_);
    char *s = xasprintf("unix:%s/chassis/%s/db.sock", dir, name);
    free(dir);
    return s;
}

bool
sandbox_ovn_exists(const char *dir_)
{
    char *dir = sandbox_dir(dir_);
    char *db = xasprintf("%s/ovnnb_db.db", dir);
    bool exists = !access(db, F_OK);
    free(db);
    free(dir);
    return exists;
}

/* Reads a one-line file 'dir'/'file' into a new string, or NULL. */
static char *
read_line(const char *dir, const char *file)
{
    char *path = xasprintf("%s/%s", dir, file);
    char *data = NULL;
    size_t size;
    if (read_file(path, &data, &size)) {
        data = NULL;
    } else {
        data[strcspn(data, "\n")] = '\0';
    }
    free(path);
    return data;
}

static int
write_line(const char *dir, const char *file, const char *line)
{
    char *path = xasprintf("%s/%s", dir, file);
    char *data = xasprintf("%s\n", line);
    int error = write_file_atomic(path, data, strlen(data));
    free(data);
    free(path);
    return error;
}

char *
sandbox_ovn_chassis_encap_ip(const char *dir_, const char *name)
{
    char *dir = sandbox_dir(dir_);
    char *cdir = chassis_dir(dir, name);
    char *ip = read_line(cdir, "encap-ip");
    free(cdir);
    free(dir);
    return ip;
}

bool
sandbox_ovn_controller_runs(const char *dir_, const char *name)
{
    char *dir = sandbox_dir(dir_);
    char *cdir = chassis_dir(dir, name);
    struct sandbox_daemon d;
    daemon_files_init(&d, cdir, "ovn-controller");
    bool runs = daemon_pid(&d) != 0;
    daemon_files_destroy(&d);
    free(cdir);
    free(dir);
    return runs;
}

/* Adds the names of the chassis directories under DIR/chassis to
 * 'names'. */
static void
list_chassis(const char *dir, struct svec *names)
{
    char *path = xasprintf("%s/chassis", dir);
    DIR *d = opendir(path);
    free(path);
    if (!d) {
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] != '.') {
            svec_add(names, de->d_name);
        }
    }
    closedir(d);
    svec_sort(names);
}

/* Creates database 'db' from 'schema' atomically, unless it exists. */
static int
create_schema_db(const char *db, const char *schema, char **env,
                 const char *log, char **errp)
{
    if (!access(db, F_OK)) {
        return 0;
    }
    char *tmp = xasprintf("%s.tmp", db);
    unlink(tmp);
    char *argv[] = { (char *) OVSDB_TOOL_PATH, (char *) "create", tmp,
                     (char *) schema, NULL };
    char *why = NULL;
    int error = run_program(argv, env, log, &why);
    if (error) {
        *errp = xasprintf("cannot create database %s: %s", db, why);
        free(why);
    } else if (rename(tmp, db)) {
        error = errno;
        *errp = xasprintf("cannot create database %s: %s", db,
                          ovs_strerror(error));
    }
    unlink(tmp);
    free(tmp);
    return error;
}

/* Starts 'd' with 'argv' (in namespace 'netns_fd', -1: this one) unless it
 * runs, and waits until it holds its pidfile and 'sock' (if nonnull)
 * answers.  'title' names the daemon in messages. */
static int
start_daemon(const struct sandbox_daemon *d, char **argv, char **env,
             int netns_fd, const char *sock, const char *title, char **errp)
{
    char *why = NULL;
    int error = 0;

    if (daemon_pid(d)) {
        return sock && !socket_answers(sock) ? wait_ready(d, sock, errp) : 0;
    }
    if (sock) {
        unlink(sock);
    }
    unlink(d->ctl);
    error = run_program_in(argv, env, d->log, netns_fd, &why);
    if (!error) {
        error = wait_ready(d, sock, &why);
    }
    if (error) {
        *errp = xasprintf("cannot start %s: %s", title, why);
        free(why);
    }
    return error;
}

/* Starts the NB and SB ovsdb-servers and ovn-northd in 'dir'. */
static int
start_central(const char *dir, char **env, char **errp)
{
    static const char *const schemas[] = { OVN_NB_SCHEMA_PATH,
                                           OVN_SB_SCHEMA_PATH };
    char *log = xasprintf("%s/ovsdb-tool.log", dir);
    int error = 0;

    for (int i = 0; i < 2 && !error; i++) {
        struct sandbox_daemon d;
        daemon_files_init(&d, dir, central_names[i]);
        char *db = xasprintf("%s/%s.db", dir, central_names[i]);
        char *sock = xasprintf("%s/%s.sock", dir, central_names[i]);
        char *title = xasprintf("the rehearsal's %s ovsdb-server in %s",
                                i ? "Southbound" : "Northbound", dir);
        char *pidfile = xasprintf("--pidfile=%s", d.pidfile);
        char *logfile = xasprintf("--log-file=%s", d.log);
        char *ctl = xasprintf("--unixctl=%s", d.ctl);
        char *remote = xasprintf("--remote=punix:%s", sock);
        char *argv[] = { (char *) OVSDB_SERVER_PATH, (char *) "--detach",
                         (char *) "--no-chdir", pidfile, logfile, ctl,
                         remote, db, NULL };

        error = create_schema_db(db, schemas[i], env, log, errp);
        if (!error) {
            error = start_daemon(&d, argv, env, -1, sock, title, errp);
        }
        free(pidfile);
        free(logfile);
        free(ctl);
        free(remote);
        free(title);
        free(sock);
        free(db);
        daemon_files_destroy(&d);
    }

    if (!error) {
        struct sandbox_daemon d;
        daemon_files_init(&d, dir, "ovn-northd");
        char *pidfile = xasprintf("--pidfile=%s", d.pidfile);
        char *logfile = xasprintf("--log-file=%s", d.log);
        char *ctl = xasprintf("--unixctl=%s", d.ctl);
        char *nb = xasprintf("--ovnnb-db=unix:%s/ovnnb_db.sock", dir);
        char *sb = xasprintf("--ovnsb-db=unix:%s/ovnsb_db.sock", dir);
        char *title = xasprintf("the rehearsal's ovn-northd in %s", dir);
        char *argv[] = { (char *) OVN_NORTHD_PATH, (char *) "--detach",
                         (char *) "--no-chdir", pidfile, logfile, ctl, nb,
                         sb, NULL };
        error = start_daemon(&d, argv, env, -1, NULL, title, errp);
        free(pidfile);
        free(logfile);
        free(ctl);
        free(nb);
        free(sb);
        free(title);
        daemon_files_destroy(&d);
    }
    free(log);
    return error;
}

/* Returns the root-side name of chassis 'name''s underlay veth: "vul" and
 * eight hex digits of a hash of the name (a chassis name may be longer
 * than an interface name). */
static char *
underlay_ifname(const char *name)
{
    uint32_t hash = 2166136261u;
    for (const char *p = name; *p; p++) {
        hash = (hash ^ (uint8_t) *p) * 16777619u;
    }
    return xasprintf("vul%08x", hash);
}

/* Chooses chassis 'name''s encap IP: the topology's, the one recorded in
 * its directory, or the lowest free 172.31.0.N. */
static char *
choose_encap_ip(const char *dir, const char *name, const char *given)
{
    char *cdir = chassis_dir(dir, name);
    char *ip = read_line(cdir, "encap-ip");
    free(cdir);
    if (given) {
        free(ip);
        return xstrdup(given);
    } else if (ip) {
        return ip;
    }

    struct svec names = SVEC_EMPTY_INITIALIZER;
    struct svec used = SVEC_EMPTY_INITIALIZER;
    list_chassis(dir, &names);
    for (size_t i = 0; i < names.n; i++) {
        char *c = chassis_dir(dir, names.names[i]);
        char *other = read_line(c, "encap-ip");
        if (other) {
            svec_add_nocopy(&used, other);
        }
        free(c);
    }
    for (int n = 1; !ip; n++) {
        if (n % 250 == 0) {
            continue;
        }
        char *candidate = xasprintf(UNDERLAY_PREFIX ".%d.%d", n / 250,
                                    n % 250);
        if (!svec_has(&used, candidate)) {
            ip = candidate;
        } else {
            free(candidate);
        }
    }
    svec_destroy(&used);
    svec_destroy(&names);
    return ip;
}

/* Makes the underlay bridge in the current namespace, if missing. */
static int
ensure_underlay_bridge(struct rtnl *rtnl, char **errp)
{
    struct rtnl_link_spec spec = {
        .name = UNDERLAY_BRIDGE,
        .alias = "vplug:ovn-underlay",
        .mtu = SANDBOX_OVN_UNDERLAY_MTU,
        .ipv6_off = true,
        .up = true,
        .netns_fd = -1,
    };
    int error = rtnl_bridge_create(rtnl, &spec);
    if (error && error != EEXIST) {
        *errp = xasprintf("cannot create the underlay bridge '%s': %s",
                          UNDERLAY_BRIDGE, ovs_strerror(error));
        return error;
    }
    return 0;
}

/* Joins chassis 'name' (namespace 'fd', socket 'crtnl' inside it) to the
 * underlay bridge with a veth, unless it is joined. */
static int
ensure_underlay_veth(struct rtnl *rtnl, struct rtnl *crtnl, int fd,
                     const char *name, char **errp)
{
    char *root = underlay_ifname(name);
    struct rtnl_link_info info;
    int error = rtnl_link_get(crtnl, UNDERLAY_PORT, &info);
    if (!error) {
        rtnl_link_info_uninit(&info);
        goto out;
    }

    rtnl_link_delete(rtnl, root);
    struct rtnl_link_spec local = {
        .name = root,
        .alias = "vplug:ovn-underlay",
        .mtu = SANDBOX_OVN_UNDERLAY_MTU,
        .ipv6_off = true,
        .up = true,
        .netns_fd = -1,
    };
    struct rtnl_link_spec peer = {
        .name = UNDERLAY_PORT,
        .alias = "vplug:ovn-underlay",
        .mtu = SANDBOX_OVN_UNDERLAY_MTU,
        .ipv6_off = true,
        .up = true,
        .netns_fd = fd,
        .netns_rtnl = crtnl,
    };
    error = rtnl_veth_create(rtnl, &local, &peer);
    if (!error) {
        error = rtnl_link_set_master(rtnl, root, UNDERLAY_BRIDGE);
    }
    if (error) {
        *errp = xasprintf("cannot join chassis '%s' to the underlay (veth "
                          "'%s' to '%s' in namespace '%s'): %s", name, root,
                          UNDERLAY_PORT, name, ovs_strerror(error));
    }

out:
    free(root);
    return error;
}

/* Puts 'encap_ip' on br-phy in the chassis's namespace once its
 * ovs-vswitchd made that interface. */
static int
configure_br_phy(struct rtnl *crtnl, const char *name, const char *encap_ip,
                 char **errp)
{
    long long int deadline = time_msec() + SANDBOX_STEP_TIMEOUT_MS;
    struct rtnl_link_info info;
    int error;

    while ((error = rtnl_link_get(crtnl, "br-phy", &info)) == ENODEV
           && time_msec() < deadline) {
        sleep_msec(2);
    }
    if (error) {
        *errp = xasprintf("chassis '%s': its ovs-vswitchd did not create "
                          "interface 'br-phy' within %d seconds: %s", name,
                          SANDBOX_STEP_TIMEOUT_MS / 1000,
                          ovs_strerror(error));
        return error;
    }
    rtnl_link_info_uninit(&info);

    char *cidr = xasprintf("%s/%d", encap_ip, UNDERLAY_PLEN);
    struct svec addrs = SVEC_EMPTY_INITIALIZER;
    error = rtnl_link_set_mtu(crtnl, "br-phy", SANDBOX_OVN_UNDERLAY_MTU);
    if (!error) {
        error = rtnl_link_set_up(crtnl, "br-phy", true);
    }
    if (!error) {
        error = rtnl_addr_list(crtnl, "br-phy", &addrs);
    }
    if (!error && !svec_has(&addrs, cidr)) {
        error = rtnl_addr_add(crtnl, "br-phy", cidr);
    }
    if (error) {
        *errp = xasprintf("chassis '%s': cannot put encap IP %s on "
                          "'br-phy': %s", name, cidr, ovs_strerror(error));
    }
    svec_destroy(&addrs);
    free(cidr);
    return error;
}

/* Starts chassis 'c' of the rehearsal in 'dir'. */
static int
start_chassis(const char *dir, const struct topo_chassis *c,
              struct rtnl *rtnl, char **errp)
{
    char *cdir = chassis_dir(dir, c->name);
    char **env = make_env(cdir);
    char *sock = xasprintf("%s/db.sock", cdir);
    char *encap_ip = choose_encap_ip(dir, c->name, c->encap_ip);
    struct sandbox_daemon ds[3];
    struct rtnl *crtnl = NULL;
    struct ovn_db *db = NULL;
    int fd = -1;
    int error;

    for (int i = 0; i < 3; i++) {
        daemon_files_init(&ds[i], cdir, chassis_names[i]);
    }

    error = mkdir_p(cdir, 0755);
    if (error) {
        *errp = xasprintf("cannot create directory %s: %s", cdir,
                          ovs_strerror(error));
        goto out;
    }

    /* The namespace: ours if we made it (a "netns" file says so). */
    char *marker = xasprintf("%s/netns", cdir);
    bool ours = !access(marker, F_OK);
    free(marker);
    if (!netns_exists(c->name)) {
        error = netns_add(c->name);
        if (!error) {
            error = write_line(cdir, "netns", c->name);
        }
        if (error) {
            *errp = xasprintf("cannot create namespace '%s' for chassis "
                              "'%s': %s", c->name, c->name,
                              ovs_strerror(error));
            goto out;
        }
    } else if (!ours) {
        *errp = xasprintf("namespace '%s' exists and is not the rehearsal's "
                          "chassis '%s': refusing to use it", c->name,
                          c->name);
        error = EEXIST;
        goto out;
    }
    error = write_line(cdir, "encap-ip", encap_ip);
    if (!error) {
        error = netns_open(c->name, &fd);
    }
    if (!error) {
        error = rtnl_open(fd, &crtnl);
    }
    if (!error) {
        error = rtnl_link_set_up(crtnl, "lo", true);
    }
    if (error) {
        *errp = xasprintf("cannot set up namespace '%s' of chassis '%s': %s",
                          c->name, c->name, ovs_strerror(error));
        goto out;
    }

    error = ensure_underlay_veth(rtnl, crtnl, fd, c->name, errp);
    if (error) {
        goto out;
    }

    /* Its database, with the chassis's OVN settings written over OVSDB
     * before ovs-vswitchd and ovn-controller read them. */
    error = create_db(cdir, false, false, env, errp);
    if (error) {
        goto out;
    }
    {
        char *pidfile = xasprintf("--pidfile=%s", ds[0].pidfile);
        char *logfile = xasprintf("--log-file=%s", ds[0].log);
        char *ctl = xasprintf("--unixctl=%s", ds[0].ctl);
        char *remote = xasprintf("--remote=punix:%s", sock);
        char *db_file = xasprintf("%s/conf.db", cdir);
        char *title = xasprintf("chassis '%s''s ovsdb-server", c->name);
        char *argv[] = { (char *) OVSDB_SERVER_PATH, (char *) "--detach",
                         (char *) "--no-chdir", pidfile, logfile, ctl,
                         remote, db_file, NULL };
        error = start_daemon(&ds[0], argv, env, fd, sock, title, errp);
        free(pidfile);
        free(logfile);
        free(ctl);
        free(remote);
        free(db_file);
        free(title);
        if (error) {
            goto out;
        }
    }

    char *remote = xasprintf("unix:%s", sock);
    char *what = xasprintf("the Open_vSwitch database of chassis '%s'",
                           c->name);
    char *sb = sandbox_ovn_sb_remote(dir);
    struct ovn_chassis_config cfg = {
        .system_id = c->name,
        .hostname = c->name,
        .ovn_remote = sb,
        .encap_ip = encap_ip,
        .underlay_port = UNDERLAY_PORT,
    };
    long long int deadline = time_msec() + SANDBOX_STEP_TIMEOUT_MS;
    error = ovn_db_open(&ovsrec_idl_class, remote, what, deadline, &db,
                        errp);
    if (!error) {
        error = ovn_vs_configure_chassis(db, &cfg, deadline, errp);
    }
    free(sb);
    free(what);
    free(remote);
    if (error) {
        goto out;
    }

    /* ovs-vswitchd inside the chassis's namespace: netdev internal ports
     * (br-int, br-phy) are created in its own namespace, and its tunnels
     * route by that namespace's routes. */
    {
        char *pidfile = xasprintf("--pidfile=%s", ds[1].pidfile);
        char *logfile = xasprintf("--log-file=%s", ds[1].log);
        char *ctl = xasprintf("--unixctl=%s", ds[1].ctl);
        char *remote_arg = xasprintf("unix:%s", sock);
        char *title = xasprintf("chassis '%s''s ovs-vswitchd", c->name);
        char *argv[] = { (char *) OVS_VSWITCHD_PATH, (char *) "--detach",
                         (char *) "--no-chdir", (char *) "--disable-system",
                         pidfile, logfile, ctl, remote_arg, NULL };
        error = start_daemon(&ds[1], argv, env, fd, NULL, title, errp);
        free(pidfile);
        free(logfile);
        free(ctl);
        free(remote_arg);
        free(title);
        if (error) {
            goto out;
        }
    }
    error = configure_br_phy(crtnl, c->name, encap_ip, errp);
    if (error) {
        goto out;
    }

    {
        char *pidfile = xasprintf("--pidfile=%s", ds[2].pidfile);
        char *logfile = xasprintf("--log-file=%s", ds[2].log);
        char *remote_arg = xasprintf("unix:%s", sock);
        char *title = xasprintf("chassis '%s''s ovn-controller", c->name);
        /* ovn-controller has no --unixctl: its control socket is
         * OVN_RUNDIR/ovn-controller.PID.ctl. */
        char *argv[] = { (char *) OVN_CONTROLLER_PATH, (char *) "--detach",
                         (char *) "--no-chdir", pidfile, logfile,
                         remote_arg, NULL };
        error = start_daemon(&ds[2], argv, env, fd, NULL, title, errp);
        free(pidfile);
        free(logfile);
        free(remote_arg);
        free(title);
    }

out:
    ovn_db_close(db);
    rtnl_close(crtnl);
    if (fd >= 0) {
        close(fd);
    }
    for (int i = 0; i < 3; i++) {
        daemon_files_destroy(&ds[i]);
    }
    free(encap_ip);
    free(sock);
    free_env(env);
    free(cdir);
    return error;
}

int
sandbox_ovn_start(const char *dir_, const struct topology *topo, char **errp)
{
    char *dir = sandbox_dir(dir_);
    char **env = make_env(dir);
    struct rtnl *rtnl = NULL;
    long long int start = time_msec();
    int error;

    *errp = NULL;
    error = mkdir_p(dir, 0755);
    if (error) {
        *errp = xasprintf("cannot create sandbox directory %s: %s", dir,
                          ovs_strerror(error));
        goto out;
    }
    error = start_central(dir, env, errp);
    if (error) {
        goto out;
    }

    error = rtnl_open(-1, &rtnl);
    if (error) {
        *errp = xasprintf("cannot open rtnetlink: %s", ovs_strerror(error));
        goto out;
    }
    if (topo->n_chassis) {
        error = ensure_underlay_bridge(rtnl, errp);
    }
    for (size_t i = 0; !error && i < topo->n_chassis; i++) {
        error = start_chassis(dir, &topo->chassis[i], rtnl, errp);
    }
    if (!error) {
        VLOG_INFO("OVN rehearsal in %s with %zu chassis started in %lld ms",
                  dir, topo->n_chassis, time_msec() - start);
    }

out:
    rtnl_close(rtnl);
    free_env(env);
    free(dir);
    return error;
}

/* Stops chassis 'name' of the rehearsal in 'dir'. */
static int
stop_chassis(const char *dir, const char *name, struct rtnl *rtnl,
             char **errp)
{
    char *cdir = chassis_dir(dir, name);
    int error = 0;

    /* ovn-controller first, then the switch, then its database. */
    for (int i = 2; i >= 0 && !error; i--) {
        struct sandbox_daemon d;
        daemon_files_init(&d, cdir, chassis_names[i]);
        char *why = NULL;
        error = stop_daemon(&d, &why);
        if (error) {
            *errp = xasprintf("chassis '%s': %s", name, why);
            free(why);
        }
        daemon_files_destroy(&d);
    }
    if (!error) {
        char *sock = xasprintf("%s/db.sock", cdir);
        unlink(sock);
        free(sock);

        char *marker = xasprintf("%s/netns", cdir);
        if (!access(marker, F_OK)) {
            error = netns_delete(name);
            if (error && error != ENOENT) {
                *errp = xasprintf("cannot delete namespace '%s' of chassis "
                                  "'%s': %s", name, name,
                                  ovs_strerror(error));
            } else {
                error = 0;
                unlink(marker);
            }
        }
        free(marker);
    }
    if (!error && rtnl) {
        /* Gone with the namespace as a rule; a namespace someone kept open
         * would keep it. */
        char *root = underlay_ifname(name);
        rtnl_link_delete(rtnl, root);
        free(root);
    }
    free(cdir);
    return error;
}

int
sandbox_ovn_stop(const char *dir_, char **errp)
{
    char *dir = sandbox_dir(dir_);
    struct svec names = SVEC_EMPTY_INITIALIZER;
    struct rtnl *rtnl = NULL;
    int error = 0;

    *errp = NULL;
    rtnl_open(-1, &rtnl);
    list_chassis(dir, &names);
    for (size_t i = 0; i < names.n && !error; i++) {
        error = stop_chassis(dir, names.names[i], rtnl, errp);
    }
    for (int i = 2; i >= 0 && !error; i--) {
        struct sandbox_daemon d;
        daemon_files_init(&d, dir, central_names[i]);
        error = stop_daemon(&d, errp);
        if (!error && i < 2) {
            char *sock = xasprintf("%s/%s.sock", dir, central_names[i]);
            unlink(sock);
            free(sock);
        }
        daemon_files_destroy(&d);
    }
    if (!error && rtnl) {
        rtnl_link_delete(rtnl, UNDERLAY_BRIDGE);
    }
    rtnl_close(rtnl);
    svec_destroy(&names);
    free(dir);
    return error;
}

/* Appends 'label' and the state of 'd' to 'out'; returns true if it
 * runs. */
static bool
put_daemon(struct ds *out, const char *indent, const struct sandbox_daemon *d,
           const char *label)
{
    pid_t pid = daemon_pid(d);
    if (pid) {
        ds_put_format(out, "%s%s: running, pid %ld\n", indent, label,
                      (long int) pid);
    } else {
        ds_put_format(out, "%s%s: not running\n", indent, label);
    }
    return pid != 0;
}

int
sandbox_ovn_status(const char *dir_, struct ds *out)
{
    char *dir = sandbox_dir(dir_);
    struct svec names = SVEC_EMPTY_INITIALIZER;
    bool all = true;

    if (!sandbox_ovn_exists(dir)) {
        free(dir);
        return ENOENT;
    }
    ds_put_format(out, "OVN central: %s\n", dir);
    for (int i = 0; i < 3; i++) {
        struct sandbox_daemon d;
        daemon_files_init(&d, dir, central_names[i]);
        all &= put_daemon(out, "  ", &d,
                          i == 0 ? "ovsdb-server (Northbound)"
                          : i == 1 ? "ovsdb-server (Southbound)"
                          : "ovn-northd");
        daemon_files_destroy(&d);
    }
    ds_put_format(out, "  northbound: unix:%s/ovnnb_db.sock\n", dir);
    ds_put_format(out, "  southbound: unix:%s/ovnsb_db.sock\n", dir);

    list_chassis(dir, &names);
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.names[i];
        char *cdir = chassis_dir(dir, name);
        char *ip = read_line(cdir, "encap-ip");
        bool ns = netns_exists(name);

        ds_put_format(out, "chassis %s: namespace %s%s, encap IP %s\n", name,
                      name, ns ? "" : " (missing)", ip ? ip : "(none)");
        all &= ns;
        for (int j = 0; j < 3; j++) {
            struct sandbox_daemon d;
            daemon_files_init(&d, cdir, chassis_names[j]);
            all &= put_daemon(out, "  ", &d, chassis_names[j]);
            daemon_files_destroy(&d);
        }
        ds_put_format(out, "  database: unix:%s/db.sock\n", cdir);
        free(ip);
        free(cdir);
    }
    svec_destroy(&names);
    free(dir);
    return all ? 0 : ESRCH;
}
