/* kernel-floor: the least a program has to do in the kernel for a star of
 * N hosts, to measure vplug's kernel side against (tests/bench/run-bench).
 *
 * For I from 1 to N, with nothing but system calls and raw rtnetlink (one
 * request, one acknowledgement): a network namespace named hI, made as
 * "ip netns add" does (unshare, bind mount under /run/netns); a veth
 * "ovs-vethI" in the caller's namespace whose peer "vethI" is created
 * inside hI; the address 10.0.I/250.I%250+1/16 on vethI; both ends up.
 * No lo, no ifalias, no sysctl, no checks beyond the kernel's answers.
 *
 * usage: kernel-floor N (at most 9999, so that names fit IFNAMSIZ)
 * Exit status 0, or 1 with the failing step on stderr. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETNS_DIR "/run/netns"

struct req {
    struct nlmsghdr *h;
    char buf[1024];
};

static unsigned int seq;

static void
fail(const char *what, int error)
{
    fprintf(stderr, "kernel-floor: %s: %s\n", what, strerror(error));
    exit(1);
}

static void
req_init(struct req *r, int type, int flags, const void *hdr, size_t size)
{
    memset(r->buf, 0, sizeof r->buf);
    r->h = (struct nlmsghdr *) r->buf;
    r->h->nlmsg_len = NLMSG_LENGTH(size);
    r->h->nlmsg_type = type;
    r->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    r->h->nlmsg_seq = ++seq;
    memcpy(NLMSG_DATA(r->h), hdr, size);
}

static struct rtattr *
attr_put(struct req *r, int type, const void *data, size_t size)
{
    struct rtattr *a = (struct rtattr *) (r->buf
                                          + NLMSG_ALIGN(r->h->nlmsg_len));
    a->rta_type = type;
    a->rta_len = RTA_LENGTH(size);
    if (size) {
        memcpy(RTA_DATA(a), data, size);
    }
    r->h->nlmsg_len = NLMSG_ALIGN(r->h->nlmsg_len) + RTA_ALIGN(a->rta_len);
    return a;
}

static void
attr_end(struct req *r, struct rtattr *nest)
{
    nest->rta_len = (char *) r->h + r->h->nlmsg_len - (char *) nest;
}

/* Sends 'r' on 'fd' and returns the kernel's errno for it (0 on success). */
static int
transact(int fd, struct req *r)
{
    if (send(fd, r->h, r->h->nlmsg_len, 0) < 0) {
        return errno;
    }
    for (;;) {
        char reply[4096];
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *) reply;
             NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq == r->h->nlmsg_seq
                && h->nlmsg_type == NLMSG_ERROR) {
                return -((struct nlmsgerr *) NLMSG_DATA(h))->error;
            }
        }
    }
}

static int
nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
        fail("netlink socket", errno);
    }
    return fd;
}

/* Turns off IPv6 address generation on the link with index 'ifindex' (or
 * name 'name') in the namespace of 'fd', as vplug does on every end
 * without an IPv6 address: without it, a thousand new interfaces flood a
 * userspace switch with router solicitations, DAD and MLD. */
static void
link_no_ipv6(int fd, int ifindex, const char *name)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
    struct req r;
    uint8_t mode = 1;           /* IN6_ADDR_GEN_MODE_NONE */

    req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
    if (ifindex == 0) {
        attr_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
    }
    struct rtattr *af = attr_put(&r, IFLA_AF_SPEC, NULL, 0);
    struct rtattr *inet6 = attr_put(&r, AF_INET6, NULL, 0);
    attr_put(&r, IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof mode);
    attr_end(&r, inet6);
    attr_end(&r, af);
    int error = transact(fd, &r);
    if (error) {
        fail(name, error);
    }
}

/* Brings up the link with index 'ifindex' in the namespace of 'fd'. */
static void
link_up(int fd, int ifindex, const char *name)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
                             .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    struct req r;

    req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
    if (ifindex == 0) {
        attr_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
    }
    int error = transact(fd, &r);
    if (error) {
        fail(name, error);
    }
}

int
main(int argc, char *argv[])
{
    if (argc != 2 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 9999) {
        fprintf(stderr, "usage: kernel-floor N (1 to 9999)\n");
        return 2;
    }
    int n = atoi(argv[1]);

    /* /run/netns as "ip netns add" makes it: a shared mount point. */
    mkdir(NETNS_DIR, 0755);
    if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL)) {
        if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL)
            || mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL)) {
            fail(NETNS_DIR, errno);
        }
    }

    int root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (root_ns < 0) {
        fail("/proc/self/ns/net", errno);
    }
    int root_nl = nl_open();

    for (int i = 1; i <= n; i++) {
        char path[64], host[32], peer[32], name[32];
        snprintf(host, sizeof host, "h%d", i);
        snprintf(path, sizeof path, NETNS_DIR "/%s", host);
        snprintf(peer, sizeof peer, "veth%d", i);
        snprintf(name, sizeof name, "ovs-veth%d", i);

        /* The namespace, named; a netlink socket inside it; back home. */
        int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
        if (fd < 0) {
            fail(path, errno);
        }
        close(fd);
        if (unshare(CLONE_NEWNET)) {
            fail("unshare", errno);
        }
        if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL)) {
            fail(path, errno);
        }
        int ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int ns_nl = nl_open();
        if (ns_fd < 0 || setns(root_ns, CLONE_NEWNET)) {
            fail("back to the first namespace", errno);
        }

        /* The veth, its peer made in the namespace with ifindex 2 (lo is
         * 1 in every new namespace), and this end up at once. */
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
                                 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
        struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC,
                                      .ifi_index = 2 };
        struct req r;
        req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi,
                 sizeof ifi);
        attr_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
        struct rtattr *linkinfo = attr_put(&r, IFLA_LINKINFO, NULL, 0);
        attr_put(&r, IFLA_INFO_KIND, "veth", 4);
        struct rtattr *data = attr_put(&r, IFLA_INFO_DATA, NULL, 0);
        struct rtattr *info = attr_put(&r, VETH_INFO_PEER, &peer_ifi,
                                       sizeof peer_ifi);
        attr_put(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
        attr_put(&r, IFLA_NET_NS_FD, &ns_fd, sizeof ns_fd);
        attr_end(&r, info);
        attr_end(&r, data);
        attr_end(&r, linkinfo);
        int error = transact(root_nl, &r);
        if (error) {
            fail(name, error);
        }
        /* No carrier until the peer is up, so no IPv6 address yet. */
        link_no_ipv6(root_nl, 0, name);

        /* The address and up, inside the namespace. */
        struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 16,
                                 .ifa_index = 2 };
        struct in_addr addr;
        char text[32];
        snprintf(text, sizeof text, "10.0.%d.%d", i / 250, i % 250 + 1);
        inet_pton(AF_INET, text, &addr);
        req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa,
                 sizeof ifa);
        attr_put(&r, IFA_LOCAL, &addr, sizeof addr);
        attr_put(&r, IFA_ADDRESS, &addr, sizeof addr);
        error = transact(ns_nl, &r);
        if (error) {
            fail(peer, error);
        }
        link_no_ipv6(ns_nl, 2, peer);
        link_up(ns_nl, 2, peer);

        close(ns_nl);
        close(ns_fd);
    }
    return 0;
}
