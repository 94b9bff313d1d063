/* Unit tests: named namespaces (netns) and route netlink (rtnl).  Each
 * command does one operation and prints what the kernel then reports, or an
 * error sentence naming the object and exits 1.  tests/kernel.at runs them
 * inside private namespaces and checks them against iproute2. */
#include <config.h>
#include "test-vplug.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns-pool.h"
#include "netns.h"
#include "rtnl.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Prints "PROGRAM: message" to stderr and returns 1, for "return fail()". */
static int OVS_PRINTF_FORMAT(1, 2)
fail(const char *format, ...)
{
    va_list args;

    fprintf(stderr, "%s: ", get_program_name());
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    putc('\n', stderr);
    return 1;
}

/* Options of the form KEY=VALUE or KEY after the positional arguments. */
struct options {
    const char *netns;          /* netns=NS: where to open the socket. */
    const char *alias;          /* alias=TEXT (both ends of a veth). */
    const char *peer_alias;     /* peer-alias=TEXT. */
    const char *mac;            /* mac=MAC. */
    const char *peer_mac;       /* peer-mac=MAC. */
    int mtu;                    /* mtu=N. */
    bool ipv6_off;              /* ipv6off (both ends). */
    bool peer_ipv6_off;         /* peer-ipv6off (peer only). */
    bool down;                  /* down: create administratively down. */
};

/* Splits 'argv' into at most 'max_pos' positional arguments, stored in
 * 'pos' (missing ones NULL), and options.  Returns false on an unknown
 * option or too many arguments, after printing why. */
static bool
parse_args(int argc, char *argv[], const char *pos[], int max_pos,
           struct options *o)
{
    int n_pos = 0;

    memset(o, 0, sizeof *o);
    for (int i = 0; i < max_pos; i++) {
        pos[i] = NULL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        if (!eq && !strcmp(a, "ipv6off")) {
            o->ipv6_off = true;
        } else if (!eq && !strcmp(a, "peer-ipv6off")) {
            o->peer_ipv6_off = true;
        } else if (!eq && !strcmp(a, "down")) {
            o->down = true;
        } else if (str_startswith(a, "netns=")) {
            o->netns = eq + 1;
        } else if (str_startswith(a, "alias=")) {
            o->alias = eq + 1;
        } else if (str_startswith(a, "peer-alias=")) {
            o->peer_alias = eq + 1;
        } else if (str_startswith(a, "mac=")) {
            o->mac = eq + 1;
        } else if (str_startswith(a, "peer-mac=")) {
            o->peer_mac = eq + 1;
        } else if (str_startswith(a, "mtu=")) {
            if (!str_to_int(eq + 1, 10, &o->mtu)) {
                fprintf(stderr, "bad mtu '%s'\n", eq + 1);
                return false;
            }
        } else if (n_pos < max_pos) {
            pos[n_pos++] = a;
        } else {
            fprintf(stderr, "unexpected argument '%s'\n", a);
            return false;
        }
    }
    return true;
}

/* Opens a socket in namespace 'netns' (NULL: the current one). */
static int
open_rtnl(const char *netns, struct rtnl **rp)
{
    int fd = -1;
    int error;

    *rp = NULL;
    if (netns) {
        error = netns_open(netns, &fd);
        if (error) {
            return fail("cannot open namespace '%s': %s",
                        netns, ovs_strerror(error));
        }
    }
    error = rtnl_open(fd, rp);
    if (fd >= 0) {
        close(fd);
    }
    if (error) {
        return fail("cannot open route netlink in namespace '%s': %s",
                    netns ? netns : "-", ovs_strerror(error));
    }
    return 0;
}

/* Parses the arguments of a command taking 'min_pos' to 'max_pos'
 * positional arguments and opens a socket in the namespace its netns=
 * option names.  Returns 0, or the exit status the command must return. */
static int
start_command(int argc, char *argv[], const char *pos[], int min_pos,
              int max_pos, struct options *o, struct rtnl **rp)
{
    *rp = NULL;
    if (!parse_args(argc, argv, pos, max_pos, o)
        || (min_pos > 0 && !pos[min_pos - 1])) {
        return 2;
    }
    return open_rtnl(o->netns, rp);
}

static int
netns_add_or_del(int argc, char *argv[], bool add)
{
    CHECK(argc == 2);
    int error = add ? netns_add(argv[1]) : netns_delete(argv[1]);
    if (error) {
        return fail("cannot %s namespace '%s': %s", add ? "create" : "delete",
                    argv[1], ovs_strerror(error));
    }
    return 0;
}

static int
test_netns_add(int argc, char *argv[])
{
    return netns_add_or_del(argc, argv, true);
}
VPLUG_TEST("netns-add", "NAME", test_netns_add)

static int
test_netns_del(int argc, char *argv[])
{
    return netns_add_or_del(argc, argv, false);
}
VPLUG_TEST("netns-del", "NAME", test_netns_del)

/* "netns-pool NAME...": fills a pool with one spare namespace per NAME,
 * then takes each in turn and names it NAME, printing the outcome and
 * whether its lo is up, and finally whether the pool is empty. */
static int
test_netns_pool(int argc, char *argv[])
{
    CHECK(argc >= 2);
    struct netns_pool *pool = netns_pool_create(argc - 1, argc - 1);
    int status = 0;

    while (netns_pool_needs_fill(pool)) {
        int error = netns_pool_fill_one(pool);
        if (error) {
            status = fail("cannot make a spare namespace: %s",
                          ovs_strerror(error));
            goto out;
        }
    }
    printf("%zu spare\n", netns_pool_count(pool));
    for (int i = 1; i < argc; i++) {
        struct netns_spare spare;
        CHECK(netns_pool_take(pool, &spare));
        int error = netns_add_fd(argv[i], spare.fd);
        struct rtnl_link_info info;
        bool up = !rtnl_link_get(spare.rtnl, "lo", &info) && info.admin_up;
        rtnl_link_info_uninit(&info);
        printf("%s: %s, lo %s\n", argv[i],
               error ? ovs_strerror(error) : "named", up ? "up" : "down");
        rtnl_close(spare.rtnl);
        close(spare.fd);
    }
    struct netns_spare spare;
    printf("%s\n", netns_pool_take(pool, &spare) ? "not empty" : "empty");
out:
    netns_pool_destroy(pool);
    return status;
}
VPLUG_TEST("netns-pool", "NAME...", test_netns_pool)

/* Fills 'pool' and prints how many it holds of how many it keeps. */
static int
fill_pool(struct netns_pool *pool)
{
    while (netns_pool_needs_fill(pool)) {
        int error = netns_pool_fill_one(pool);
        if (error) {
            return fail("cannot make a spare namespace: %s",
                        ovs_strerror(error));
        }
    }
    printf("%zu of %zu\n", netns_pool_count(pool),
           netns_pool_capacity(pool));
    return 0;
}

/* "netns-pool-grow CAPACITY MAX TAKES...": a pool that keeps CAPACITY
 * spares, up to MAX; fills it, then for each TAKES takes that many
 * namespaces at once (closing them; a take that finds none stands for one
 * made on demand), and fills it again, printing what it holds each time. */
static int
test_netns_pool_grow(int argc, char *argv[])
{
    int capacity, max;
    CHECK(argc >= 3 && str_to_int(argv[1], 10, &capacity)
          && str_to_int(argv[2], 10, &max));
    struct netns_pool *pool = netns_pool_create(capacity, max);
    int status = fill_pool(pool);

    for (int i = 3; !status && i < argc; i++) {
        int n;
        CHECK(str_to_int(argv[i], 10, &n));
        int found = 0;
        for (int j = 0; j < n; j++) {
            struct netns_spare spare;
            if (netns_pool_take(pool, &spare)) {
                rtnl_close(spare.rtnl);
                close(spare.fd);
                found++;
            }
        }
        printf("took %d, %d of them spare: ", n, found);
        status = fill_pool(pool);
    }
    netns_pool_destroy(pool);
    return status;
}
VPLUG_TEST("netns-pool-grow", "CAPACITY MAX TAKES...", test_netns_pool_grow)

static int
test_netns_list(int argc, char *argv[])
{
    struct svec names = SVEC_EMPTY_INITIALIZER;

    CHECK(argc == 1);
    int error = netns_list(&names);
    if (error) {
        svec_destroy(&names);
        return fail("cannot list namespaces: %s", ovs_strerror(error));
    }
    for (size_t i = 0; i < names.n; i++) {
        printf("%s%s\n", names.names[i],
               netns_exists(names.names[i]) ? "" : " (missing)");
    }
    svec_destroy(&names);
    return 0;
}
VPLUG_TEST("netns-list", "", test_netns_list)

static int
test_netns_valid(int argc, char *argv[])
{
    for (int i = 1; i < argc; i++) {
        printf("'%s': netns %s, ifname %s\n", argv[i],
               netns_name_is_valid(argv[i]) ? "valid" : "invalid",
               rtnl_ifname_is_valid(argv[i]) ? "valid" : "invalid");
    }
    return 0;
}
VPLUG_TEST("name-valid", "NAME...", test_netns_valid)

/* Runs in namespace NAME: prints the inode of the thread's namespace, then
 * goes back and checks that it is where it was. */
static int
test_netns_enter(int argc, char *argv[])
{
    struct stat before, inside, after;
    int fd, saved_fd;

    CHECK(argc == 2);
    int error = netns_open(argv[1], &fd);
    if (error) {
        return fail("cannot open namespace '%s': %s",
                    argv[1], ovs_strerror(error));
    }
    CHECK(!stat("/proc/thread-self/ns/net", &before));
    error = netns_enter(fd, &saved_fd);
    close(fd);
    if (error) {
        return fail("cannot enter namespace '%s': %s",
                    argv[1], ovs_strerror(error));
    }
    CHECK(!stat("/proc/thread-self/ns/net", &inside));
    netns_restore(saved_fd);
    CHECK(!stat("/proc/thread-self/ns/net", &after));
    CHECK(before.st_ino == after.st_ino);
    printf("entered: %s\n", before.st_ino != inside.st_ino ? "yes" : "no");
    return 0;
}
VPLUG_TEST("netns-enter", "NAME", test_netns_enter)

struct netns_thread {
    pthread_t thread;
    int first, n;               /* Creates ns-FIRST ... ns-(FIRST+N-1). */
    int error;
};

static void *
netns_thread_main(void *t_)
{
    struct netns_thread *t = t_;

    for (int i = t->first; i < t->first + t->n && !t->error; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d", i);
        t->error = netns_add(name);
    }
    return NULL;
}

/* Creates N namespaces from THREADS threads at once, then checks that they
 * are N distinct namespaces, none of them the caller's. */
static int
test_netns_threads(int argc, char *argv[])
{
    int n, n_threads;

    CHECK(argc == 3);
    CHECK(str_to_int(argv[1], 10, &n) && n > 0);
    CHECK(str_to_int(argv[2], 10, &n_threads) && n_threads > 0);

    struct netns_thread *threads = xcalloc(n_threads, sizeof *threads);
    for (int i = 0; i < n_threads; i++) {
        threads[i].first = i * (n / n_threads);
        threads[i].n = i == n_threads - 1 ? n - threads[i].first
                                          : n / n_threads;
        CHECK(!pthread_create(&threads[i].thread, NULL, netns_thread_main,
                              &threads[i]));
    }
    int error = 0;
    for (int i = 0; i < n_threads; i++) {
        pthread_join(threads[i].thread, NULL);
        if (threads[i].error && !error) {
            error = threads[i].error;
        }
    }
    free(threads);
    if (error) {
        return fail("cannot create namespace: %s", ovs_strerror(error));
    }

    struct stat self;
    CHECK(!stat("/proc/thread-self/ns/net", &self));
    ino_t *inodes = xcalloc(n, sizeof *inodes);
    for (int i = 0; i < n; i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof path, "%s/t%d", netns_dir(), i);
        CHECK(!stat(path, &st));
        CHECK(st.st_ino != self.st_ino);
        inodes[i] = st.st_ino;
        for (int j = 0; j < i; j++) {
            CHECK(inodes[j] != st.st_ino);
        }
    }
    free(inodes);
    printf("%d distinct namespaces\n", n);
    return 0;
}
VPLUG_TEST("netns-threads", "N THREADS", test_netns_threads)

static int
test_bench_netns(int argc, char *argv[])
{
    int n;

    CHECK(argc == 2);
    CHECK(str_to_int(argv[1], 10, &n) && n > 0);

    long long int start = time_usec();
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "bench%d", i);
        int error = netns_add(name);
        if (error) {
            return fail("cannot create namespace '%s': %s",
                        name, ovs_strerror(error));
        }
    }
    long long int created = time_usec();
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "bench%d", i);
        int error = netns_delete(name);
        if (error) {
            return fail("cannot delete namespace '%s': %s",
                        name, ovs_strerror(error));
        }
    }
    long long int deleted = time_usec();

    fprintf(stderr, "%d netns_add: %.3f s (%.0f us each)\n", n,
            (created - start) / 1e6, (double) (created - start) / n);
    fprintf(stderr, "%d netns_delete: %.3f s (%.0f us each)\n", n,
            (deleted - created) / 1e6, (double) (deleted - created) / n);
    printf("created and deleted %d namespaces\n", n);
    return 0;
}
VPLUG_TEST("bench-netns", "N", test_bench_netns)

/* Fills the specs of veth 'name' and of its peer 'peer_name', to be created
 * in the namespace open on 'peer_fd', from options 'o'. */
static void
veth_specs(const struct options *o, const char *name, const char *peer_name,
           int peer_fd, struct rtnl_link_spec *local,
           struct rtnl_link_spec *peer)
{
    *local = (struct rtnl_link_spec) {
        .name = name, .alias = o->alias, .mac = o->mac, .mtu = o->mtu,
        .ipv6_off = o->ipv6_off, .up = !o->down, .netns_fd = -1,
    };
    *peer = (struct rtnl_link_spec) {
        .name = peer_name,
        .alias = o->peer_alias ? o->peer_alias : o->alias,
        .mac = o->peer_mac, .mtu = o->mtu,
        .ipv6_off = o->ipv6_off || o->peer_ipv6_off, .up = !o->down,
        .netns_fd = peer_fd,
    };
}

static int
test_veth_add(int argc, char *argv[])
{
    struct rtnl_link_spec local, peer;
    const char *pos[3];
    struct options o;
    struct rtnl *r;
    int peer_fd = -1;

    int status = start_command(argc, argv, pos, 2, 3, &o, &r);
    if (status) {
        return status;
    }
    const char *name = pos[0];
    const char *peer_ns = pos[2] && strcmp(pos[2], "-") ? pos[2] : NULL;
    if (peer_ns) {
        int error = netns_open(peer_ns, &peer_fd);
        if (error) {
            rtnl_close(r);
            return fail("cannot open namespace '%s': %s",
                        peer_ns, ovs_strerror(error));
        }
    }

    veth_specs(&o, name, pos[1], peer_fd, &local, &peer);
    int error = rtnl_veth_create(r, &local, &peer);
    if (peer_fd >= 0) {
        close(peer_fd);
    }
    rtnl_close(r);
    if (error) {
        return fail("cannot create veth '%s': %s", name, ovs_strerror(error));
    }
    return 0;
}
VPLUG_TEST("veth-add",
           "NAME PEER [PEER_NS|-] [netns=NS] [mtu=N] [mac=M] [peer-mac=M] "
           "[alias=A] [peer-alias=A] [ipv6off] [peer-ipv6off] [down]",
           test_veth_add)

static int
test_bridge_add(int argc, char *argv[])
{
    const char *pos[1];
    struct options o;
    struct rtnl *r;

    int status = start_command(argc, argv, pos, 1, 1, &o, &r);
    if (status) {
        return status;
    }
    struct rtnl_link_spec spec = {
        .name = pos[0], .alias = o.alias, .mac = o.mac, .mtu = o.mtu,
        .ipv6_off = o.ipv6_off, .up = !o.down, .netns_fd = -1,
    };
    int error = rtnl_bridge_create(r, &spec);
    rtnl_close(r);
    if (error) {
        return fail("cannot create bridge '%s': %s",
                    pos[0], ovs_strerror(error));
    }
    return 0;
}
VPLUG_TEST("bridge-add",
           "NAME [netns=NS] [mtu=N] [mac=M] [alias=A] [ipv6off] [down]",
           test_bridge_add)

static int
test_link_del(int argc, char *argv[])
{
    const char *pos[1];
    struct options o;
    struct rtnl *r;

    int status = start_command(argc, argv, pos, 1, 1, &o, &r);
    if (status) {
        return status;
    }
    int error = rtnl_link_delete(r, pos[0]);
    rtnl_close(r);
    if (error) {
        return fail("cannot delete link '%s': %s",
                    pos[0], ovs_strerror(error));
    }
    return 0;
}
VPLUG_TEST("link-del", "NAME [netns=NS]", test_link_del)

/* Changes link NAME: each of mtu=N, mac=M, alias=A ("alias=" clears it),
 * up, down, ipv6off, ipv6on in order, one request each. */
static int
test_link_set(int argc, char *argv[])
{
    const char *netns = NULL;
    struct rtnl *r;

    if (argc < 2) {
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (str_startswith(argv[i], "netns=")) {
            netns = argv[i] + 6;
        }
    }
    if (open_rtnl(netns, &r)) {
        return 1;
    }

    const char *name = argv[1];
    int error = 0;
    for (int i = 2; i < argc && !error; i++) {
        const char *a = argv[i];
        int mtu;
        if (str_startswith(a, "netns=")) {
            continue;
        } else if (str_startswith(a, "mtu=") && str_to_int(a + 4, 10, &mtu)) {
            error = rtnl_link_set_mtu(r, name, mtu);
        } else if (str_startswith(a, "mac=")) {
            error = rtnl_link_set_mac(r, name, a + 4);
        } else if (str_startswith(a, "alias=")) {
            error = rtnl_link_set_alias(r, name, a[6] ? a + 6 : NULL);
        } else if (!strcmp(a, "up") || !strcmp(a, "down")) {
            error = rtnl_link_set_up(r, name, !strcmp(a, "up"));
        } else if (!strcmp(a, "ipv6off") || !strcmp(a, "ipv6on")) {
            error = rtnl_link_set_ipv6_off(r, name, !strcmp(a, "ipv6off"));
        } else {
            rtnl_close(r);
            fprintf(stderr, "unknown setting '%s'\n", a);
            return 2;
        }
        if (error) {
            rtnl_close(r);
            return fail("cannot set %s on link '%s': %s",
                        a, name, ovs_strerror(error));
        }
    }
    rtnl_close(r);
    return 0;
}
VPLUG_TEST("link-set",
           "NAME [netns=NS] [mtu=N] [mac=M] [alias=[A]] [up|down] "
           "[ipv6off|ipv6on]...", test_link_set)

static void
print_link_info(const struct rtnl_link_info *info)
{
    printf("%d: %s kind=%s master=%s mtu=%d mac=%s admin=%s oper=%s "
           "netnsid=%d peer=%d alias=%s\n",
           info->ifindex, info->name, info->kind[0] ? info->kind : "-",
           info->master[0] ? info->master : "-", info->mtu,
           info->mac[0] ? info->mac : "-",
           info->admin_up ? "up" : "down", info->oper_up ? "up" : "down",
           info->link_netnsid, info->peer_ifindex,
           info->alias ? info->alias : "-");
}

static int
test_link_show(int argc, char *argv[])
{
    const char *pos[1];
    struct options o;
    struct rtnl *r;

    int status = start_command(argc, argv, pos, 0, 1, &o, &r);
    if (status) {
        return status;
    }

    int error;
    if (pos[0]) {
        struct rtnl_link_info info;
        error = rtnl_link_get(r, pos[0], &info);
        if (!error) {
            print_link_info(&info);
            rtnl_link_info_uninit(&info);
        }
    } else {
        struct rtnl_link_info *infos;
        size_t n;
        error = rtnl_link_list(r, &infos, &n);
        if (!error) {
            for (size_t i = 0; i < n; i++) {
                print_link_info(&infos[i]);
            }
            rtnl_link_info_free_array(infos, n);
        }
    }
    rtnl_close(r);
    if (error) {
        return (pos[0]
                ? fail("cannot get link '%s': %s", pos[0],
                       ovs_strerror(error))
                : fail("cannot list links: %s", ovs_strerror(error)));
    }
    return 0;
}
VPLUG_TEST("link-show", "[NAME] [netns=NS]", test_link_show)

static int
test_master(int argc, char *argv[])
{
    const char *pos[2];
    struct options o;
    struct rtnl *r;

    int status = start_command(argc, argv, pos, 2, 2, &o, &r);
    if (status) {
        return status;
    }
    const char *master = strcmp(pos[1], "-") ? pos[1] : NULL;
    int error = rtnl_link_set_master(r, pos[0], master);
    rtnl_close(r);
    if (error) {
        return (master
                ? fail("cannot attach '%s' to '%s': %s", pos[0], master,
                       ovs_strerror(error))
                : fail("cannot release '%s': %s", pos[0],
                       ovs_strerror(error)));
    }
    return 0;
}
VPLUG_TEST("master", "IF BRIDGE|- [netns=NS]", test_master)

static int
addr_add_or_del(int argc, char *argv[], bool add)
{
    const char *pos[2];
    struct options o;
    struct rtnl *r;

    int status = start_command(argc, argv, pos, 2, 2, &o, &r);
    if (status) {
        return status;
    }
    int error = (add ? rtnl_addr_add(r, pos[0], pos[1])
                 : rtnl_addr_del(r, pos[0], pos[1]));
    rtnl_close(r);
    if (error) {
        return fail("cannot %s address %s %s '%s': %s",
                    add ? "add" : "delete", pos[1], add ? "to" : "from",
                    pos[0], ovs_strerror(error));
    }
    return 0;
}

static int
test_addr_add(int argc, char *argv[])
{
    return addr_add_or_del(argc, argv, true);
}
VPLUG_TEST("addr-add", "IF CIDR [netns=NS]", test_addr_add)

static int
test_addr_del(int argc, char *argv[])
{
    return addr_add_or_del(argc, argv, false);
}
VPLUG_TEST("addr-del", "IF CIDR [netns=NS]", test_addr_del)

static int
test_addr_list(int argc, char *argv[])
{
    struct svec cidrs = SVEC_EMPTY_INITIALIZER;
    const char *pos[1];
    struct options o;
    struct rtnl *r;

    int status = start_command(argc, argv, pos, 1, 1, &o, &r);
    if (status) {
        return status;
    }
    int error = rtnl_addr_list(r, pos[0], &cidrs);
    rtnl_close(r);
    if (error) {
        svec_destroy(&cidrs);
        return fail("cannot list addresses of '%s': %s",
                    pos[0], ovs_strerror(error));
    }
    for (size_t i = 0; i < cidrs.n; i++) {
        printf("%s\n", cidrs.names[i]);
    }
    svec_destroy(&cidrs);
    return 0;
}
VPLUG_TEST("addr-list", "IF [netns=NS]", test_addr_list)

static int
test_route_add(int argc, char *argv[])
{
    const char *pos[3];
    struct options o;
    struct rtnl *r;

    int status = start_command(argc, argv, pos, 1, 3, &o, &r);
    if (status) {
        return status;
    }
    const char *gw = pos[1] && strcmp(pos[1], "-") ? pos[1] : NULL;
    const char *ifname = pos[2] && strcmp(pos[2], "-") ? pos[2] : NULL;
    int error = rtnl_route_add(r, pos[0], gw, ifname);
    rtnl_close(r);
    if (error) {
        return fail("cannot add route to %s: %s",
                    pos[0], ovs_strerror(error));
    }
    return 0;
}
VPLUG_TEST("route-add", "DST|default [GATEWAY|-] [IF|-] [netns=NS]",
           test_route_add)

/* Creates N namespaces and one veth pair into each (the local end here,
 * named vN, the peer eth0 there), then deletes them, printing timings to
 * stderr.  Options as for veth-add. */
static int
test_bench_veth(int argc, char *argv[])
{
    const char *pos[1];
    struct options o;
    struct rtnl *r;
    int n;

    int status = start_command(argc, argv, pos, 1, 1, &o, &r);
    if (status) {
        return status;
    }
    if (!str_to_int(pos[0], 10, &n) || n <= 0) {
        rtnl_close(r);
        return 2;
    }

    long long int t0 = time_usec();
    int error = 0;
    for (int i = 0; i < n && !error; i++) {
        char ns[32];
        snprintf(ns, sizeof ns, "bv%d", i);
        error = netns_add(ns);
        if (error) {
            fail("cannot create namespace '%s': %s", ns, ovs_strerror(error));
        }
    }
    long long int t1 = time_usec();
    for (int i = 0; i < n && !error; i++) {
        char ns[32], name[16];
        int fd;
        snprintf(ns, sizeof ns, "bv%d", i);
        snprintf(name, sizeof name, "v%d", i);
        error = netns_open(ns, &fd);
        if (!error) {
            struct rtnl_link_spec local, peer;
            veth_specs(&o, name, "eth0", fd, &local, &peer);
            error = rtnl_veth_create(r, &local, &peer);
            close(fd);
        }
        if (error) {
            fail("cannot create veth '%s': %s", name, ovs_strerror(error));
        }
    }
    long long int t2 = time_usec();
    for (int i = 0; i < n && !error; i++) {
        char name[16];
        snprintf(name, sizeof name, "v%d", i);
        error = rtnl_link_delete(r, name);
        if (error) {
            fail("cannot delete link '%s': %s", name, ovs_strerror(error));
        }
    }
    long long int t3 = time_usec();
    for (int i = 0; i < n && !error; i++) {
        char ns[32];
        snprintf(ns, sizeof ns, "bv%d", i);
        error = netns_delete(ns);
        if (error) {
            fail("cannot delete namespace '%s': %s", ns, ovs_strerror(error));
        }
    }
    long long int t4 = time_usec();
    rtnl_close(r);
    if (error) {
        return 1;
    }

    fprintf(stderr, "%d netns_add: %.3f s\n", n, (t1 - t0) / 1e6);
    fprintf(stderr, "%d rtnl_veth_create: %.3f s\n", n, (t2 - t1) / 1e6);
    fprintf(stderr, "%d rtnl_link_delete: %.3f s\n", n, (t3 - t2) / 1e6);
    fprintf(stderr, "%d netns_delete: %.3f s\n", n, (t4 - t3) / 1e6);
    printf("created and deleted %d veth pairs\n", n);
    return 0;
}
VPLUG_TEST("bench-veth", "N [veth-add options]", test_bench_veth)
