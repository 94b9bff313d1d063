/* ICMP echo prober.  Every target gets its own raw socket, made inside the
 * target's namespace, bound to its device (as "ping -I IFNAME" does) and to
 * its source address, and connected to its destination so that the kernel
 * hands it only packets from that address.  One thread drives all sockets
 * with one poll() loop.
 *
 * Replies are matched by identifier (one per target), sequence number,
 * source address and a per-run cookie in the payload, which also carries
 * the send time (CLOCK_MONOTONIC) the round trip is measured from.
 *
 * About the device binding: when a reply is delivered locally, as in a veth
 * pair with both ends in one namespace where the reply comes back over
 * "lo", the kernel reports as its input interface the device that owns the
 * destination address (the route's result device), not "lo", so a socket
 * bound to that device still receives it (the test "probe: veth pair in one
 * namespace" checks this). */
#include <config.h>
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <net/if.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(probe);

/* IPv4 raw ICMP socket filter (linux/icmp.h, whose struct names clash with
 * the C library's): a bit set for each ICMP type to drop. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

#define ICMP4_ECHO_REPLY 0
#define ICMP4_ECHO_REQUEST 8

#define PROBE_INTERVAL_MS 200   /* Between retransmissions. */
#define PROBE_PAYLOAD_SIZE 56   /* As ping's default. */
#define PROBE_MAX_SOCKETS_MARGIN 64 /* Descriptors left to the caller. */

/* Echo payload: what we put in, so that a reply is known to be ours. */
struct probe_payload {
    uint32_t cookie;            /* Per probe_run() call. */
    uint32_t index;             /* Target index. */
    uint64_t sent_ns;           /* CLOCK_MONOTONIC at send. */
};

/* One target's state. */
struct probe {
    const struct probe_target *target;  /* Borrowed from the caller. */
    struct probe_result *result;        /* Borrowed from the caller. */
    uint32_t index;             /* In the caller's arrays. */
    int family;                 /* AF_INET or AF_INET6. */
    union {
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } dst, src;
    bool has_src;               /* Bind to 'src'? */
    int fd;                     /* Raw socket, -1 when not open. */
    size_t size;                /* Of each echo request (ICMP header
                                 * included). */
    uint16_t id;                /* ICMP echo identifier. */
    long long int deadline;     /* time_msec() at which it times out. */
    long long int next_send;    /* time_msec() of the next request. */
};

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t
random_u32(void)
{
    uint32_t x;
    if (getrandom(&x, sizeof x, GRND_NONBLOCK) != sizeof x) {
        x = (uint32_t) now_ns() ^ ((uint32_t) getpid() << 16);
    }
    return x;
}

/* Raises the soft limit on open files to the hard one, so that many targets
 * can have their sockets at once, and returns how many sockets to keep open
 * at most. */
static size_t
probe_max_sockets(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl)) {
        return 256;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = { rl.rlim_max, rl.rlim_max };
        if (!setrlimit(RLIMIT_NOFILE, &want)) {
            rl.rlim_cur = rl.rlim_max;
        }
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20) {
        rl.rlim_cur = 1 << 20;
    }
    return (rl.rlim_cur > 2 * PROBE_MAX_SOCKETS_MARGIN
            ? rl.rlim_cur - PROBE_MAX_SOCKETS_MARGIN
            : MAX(rl.rlim_cur / 2, 1));
}

/* Parses the addresses of 'p''s target.  Returns 0 or EINVAL. */
static int
probe_parse(struct probe *p)
{
    const struct probe_target *t = p->target;

    memset(&p->dst, 0, sizeof p->dst);
    memset(&p->src, 0, sizeof p->src);
    if (t->dst && inet_pton(AF_INET, t->dst, &p->dst.in.sin_addr) == 1) {
        p->family = AF_INET;
        p->dst.in.sin_family = AF_INET;
    } else if (t->dst
               && inet_pton(AF_INET6, t->dst, &p->dst.in6.sin6_addr) == 1) {
        p->family = AF_INET6;
        p->dst.in6.sin6_family = AF_INET6;
    } else {
        return EINVAL;
    }

    p->has_src = t->src != NULL;
    if (t->src) {
        void *addr = (p->family == AF_INET
                      ? (void *) &p->src.in.sin_addr
                      : (void *) &p->src.in6.sin6_addr);
        if (inet_pton(p->family, t->src, addr) != 1) {
            return EINVAL;
        }
        p->src.in.sin_family = p->family;
    }
    return 0;
}

static socklen_t
probe_sockaddr_size(const struct probe *p)
{
    return (p->family == AF_INET
            ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
}

/* Opens and sets up 'p''s socket in the calling thread's current namespace.
 * Returns 0 or errno. */
static int
probe_open_socket(struct probe *p)
{
    const struct probe_target *t = p->target;
    int error;

    int fd = (p->family == AF_INET
              ? socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       IPPROTO_ICMP)
              : socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       IPPROTO_ICMPV6));
    if (fd < 0) {
        return errno;
    }

    /* Only echo replies wake us up.  (The kernel fills in the ICMPv6
     * checksum itself on raw ICMPv6 sockets.) */
    if (p->family == AF_INET) {
        uint32_t block = ~(UINT32_C(1) << ICMP4_ECHO_REPLY);
        if (setsockopt(fd, IPPROTO_RAW, ICMP_FILTER, &block, sizeof block)) {
            goto error;
        }
    } else {
        struct icmp6_filter filter;
        ICMP6_FILTER_SETBLOCKALL(&filter);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
        if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter,
                       sizeof filter)) {
            goto error;
        }
    }

    if (t->ifname
        && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->ifname,
                      strlen(t->ifname) + 1)) {
        goto error;
    }
    if (p->has_src
        && bind(fd, (struct sockaddr *) &p->src, probe_sockaddr_size(p))) {
        goto error;
    }
    if (t->full_size) {
        /* As large as the device's MTU, IP header included, and never
         * fragmented on the way: a hop with a smaller MTU drops it. */
        struct ifreq ifr;
        if (!t->ifname || strlen(t->ifname) >= sizeof ifr.ifr_name) {
            errno = EINVAL;
            goto error;
        }
        memset(&ifr, 0, sizeof ifr);
        strcpy(ifr.ifr_name, t->ifname);
        if (ioctl(fd, SIOCGIFMTU, &ifr)) {
            goto error;
        }
        int ip_header = p->family == AF_INET ? 20 : 40;
        if (ifr.ifr_mtu < ip_header + 8 + (int) sizeof(struct probe_payload)) {
            errno = EMSGSIZE;
            goto error;
        }
        p->result->mtu = ifr.ifr_mtu;
        p->size = ifr.ifr_mtu - ip_header;

        int on = 1;
        int pmtu = p->family == AF_INET ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO;
        if (p->family == AF_INET
            ? setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu)
            : (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu,
                          sizeof pmtu)
               || setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &on,
                             sizeof on))) {
            goto error;
        }
    }
    /* Connecting makes the kernel deliver only packets from 'dst' to this
     * socket, and reports an unroutable destination right away. */
    if (connect(fd, (struct sockaddr *) &p->dst, probe_sockaddr_size(p))) {
        goto error;
    }
    p->fd = fd;
    return 0;

error:
    error = errno;
    close(fd);
    return error;
}

static uint16_t
icmp4_checksum(const uint8_t *data, size_t size)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < size; i += 2) {
        sum += (data[i] << 8) | data[i + 1];
    }
    if (size & 1) {
        sum += data[size - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* Ends 'p' with 'error' (0: answered). */
static void
probe_finish(struct probe *p, int error)
{
    p->result->error = error;
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
}

/* Sends 'p''s next echo request.  Returns 0 or errno. */
static int
probe_send(struct probe *p, uint32_t cookie, uint8_t *packet)
{
    size_t size = p->size;
    uint16_t seq = p->result->sent + 1;
    struct probe_payload payload = {
        .cookie = cookie,
        .index = p->index,
        .sent_ns = now_ns(),
    };

    memset(packet, 0, size);
    packet[0] = p->family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
    packet[4] = p->id >> 8;
    packet[5] = p->id;
    packet[6] = seq >> 8;
    packet[7] = seq;
    memcpy(&packet[8], &payload, sizeof payload);
    for (size_t i = 8 + sizeof payload; i < size; i++) {
        packet[i] = i;
    }
    if (p->family == AF_INET) {
        uint16_t csum = icmp4_checksum(packet, size);
        packet[2] = csum >> 8;
        packet[3] = csum;
    }

    if (send(p->fd, packet, size, 0) < 0) {
        /* A full queue is not the target's fault: try again later. */
        return errno == EAGAIN || errno == ENOBUFS ? 0 : errno;
    }
    p->result->sent++;
    return 0;
}

/* Reads what arrived on 'p''s socket.  Returns true if it holds an answer
 * to one of 'p''s requests. */
static bool
probe_receive(struct probe *p, uint32_t cookie)
{
    /* Bounded, so that a flood on one socket cannot starve the others. */
    for (int i = 0; i < 64; i++) {
        uint8_t buf[1500];
        union {
            struct sockaddr_in in;
            struct sockaddr_in6 in6;
        } from;
        socklen_t from_len = sizeof from;

        ssize_t n = recvfrom(p->fd, buf, sizeof buf, 0,
                             (struct sockaddr *) &from, &from_len);
        uint64_t now = now_ns();
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return false;
            }
            /* An ICMP error about an earlier request (no neighbour, for
             * example) is reported once: go on waiting for an answer. */
            VLOG_DBG("%s: %s", p->target->dst, ovs_strerror(errno));
            continue;
        }

        const uint8_t *icmp = buf;
        uint8_t reply_type;
        if (p->family == AF_INET) {
            /* Raw IPv4 sockets get the IP header too. */
            size_t ihl = n > 0 ? (buf[0] & 0xf) * 4 : 0;
            if (ihl < 20 || n < ihl) {
                continue;
            }
            icmp += ihl;
            n -= ihl;
            reply_type = ICMP4_ECHO_REPLY;
            if (from.in.sin_family != AF_INET
                || from.in.sin_addr.s_addr != p->dst.in.sin_addr.s_addr) {
                continue;
            }
        } else {
            reply_type = ICMP6_ECHO_REPLY;
            if (from.in6.sin6_family != AF_INET6
                || memcmp(&from.in6.sin6_addr, &p->dst.in6.sin6_addr,
                          sizeof from.in6.sin6_addr)) {
                continue;
            }
        }

        struct probe_payload payload;
        if (n < 8 + sizeof payload || icmp[0] != reply_type || icmp[1]) {
            continue;
        }
        uint16_t id = (icmp[4] << 8) | icmp[5];
        uint16_t seq = (icmp[6] << 8) | icmp[7];
        memcpy(&payload, &icmp[8], sizeof payload);
        if (id != p->id || !seq || seq > p->result->sent
            || payload.cookie != cookie || payload.index != p->index
            || payload.sent_ns > now) {
            continue;
        }

        double rtt_ms = (now - payload.sent_ns) / 1e6;
        if (!p->result->received++ || rtt_ms < p->result->rtt_ms) {
            p->result->rtt_ms = rtt_ms;
        }
        return true;
    }
    return false;
}

/* Opens the sockets of the targets in 'probes' from '*nextp' on, while
 * fewer than '*maxp' are open, entering each target's namespace for its
 * socket, and adds them to 'active' ('*n_activep' of them).  Targets that
 * cannot start are finished with their error.  Lowers '*maxp' if the
 * process runs out of descriptors. */
static void
probe_start(struct probe *probes, size_t n, size_t *nextp, int timeout_ms,
            struct probe **active, size_t *n_activep, size_t *maxp)
{
    long long int now = time_msec();
    int cur_netns = -1;         /* Namespace the thread is in (-1: own). */
    int saved_fd = -1;

    while (*nextp < n && *n_activep < *maxp) {
        struct probe *p = &probes[*nextp];
        int want = p->target->netns_fd;
        int error = p->result->error;

        if (!error && want != cur_netns) {
            if (saved_fd >= 0) {
                netns_restore(saved_fd);
                saved_fd = -1;
            }
            cur_netns = -1;
            if (want >= 0) {
                error = netns_enter(want, &saved_fd);
                if (!error) {
                    cur_netns = want;
                }
            }
        }
        if (!error) {
            error = probe_open_socket(p);
        }
        if ((error == EMFILE || error == ENFILE) && *n_activep > 0) {
            /* Out of descriptors: go on with fewer sockets at once. */
            *maxp = *n_activep;
            break;
        }

        ++*nextp;
        if (error) {
            VLOG_DBG("%s: cannot probe: %s", p->target->dst,
                     ovs_strerror(error));
            probe_finish(p, error);
            continue;
        }
        p->deadline = now + timeout_ms;
        p->next_send = now;
        active[(*n_activep)++] = p;
    }
    if (saved_fd >= 0) {
        netns_restore(saved_fd);
    }
}

/* Removes the probes that finished (socket closed) from 'active'. */
static void
probe_compact(struct probe **active, size_t *n_activep)
{
    size_t n = 0;
    for (size_t i = 0; i < *n_activep; i++) {
        if (active[i]->fd >= 0) {
            active[n++] = active[i];
        }
    }
    *n_activep = n;
}

int
probe_run(const struct probe_target *targets, size_t n, int count,
          int timeout_ms, struct probe_result *results)
{
    uint32_t cookie = random_u32();
    uint16_t id_base = random_u32();
    size_t max = MIN(probe_max_sockets(), MAX(n, 1));

    count = MAX(count, 1);
    timeout_ms = MAX(timeout_ms, 0);

    struct probe *probes = xcalloc(MAX(n, 1), sizeof *probes);
    for (size_t i = 0; i < n; i++) {
        struct probe *p = &probes[i];

        p->target = &targets[i];
        p->result = &results[i];
        p->index = i;
        p->id = id_base + i;
        p->fd = -1;
        p->size = 8 + PROBE_PAYLOAD_SIZE;
        memset(p->result, 0, sizeof *p->result);
        p->result->error = probe_parse(p);
    }
    /* Large enough for any IP packet. */
    uint8_t *packet = xmalloc(65536);

    struct probe **active = xcalloc(max, sizeof *active);
    struct probe **polled = xcalloc(max, sizeof *polled);
    struct pollfd *pfds = xcalloc(max, sizeof *pfds);
    size_t n_active = 0;
    size_t next = 0;
    for (;;) {
        probe_start(probes, n, &next, timeout_ms, active, &n_active, &max);
        if (!n_active) {
            if (next >= n) {
                break;
            }
            continue;
        }

        /* Send what is due, time out what is late, and find out when to
         * wake up next. */
        long long int now = time_msec();
        long long int wake = LLONG_MAX;
        size_t n_poll = 0;
        for (size_t i = 0; i < n_active; i++) {
            struct probe *p = active[i];
            int error = 0;

            if (now >= p->deadline) {
                error = ETIMEDOUT;
            } else if (p->result->sent < count && now >= p->next_send) {
                error = probe_send(p, cookie, packet);
                p->next_send = now + PROBE_INTERVAL_MS;
            }
            if (error) {
                probe_finish(p, error);
                continue;
            }

            wake = MIN(wake, p->deadline);
            if (p->result->sent < count) {
                wake = MIN(wake, p->next_send);
            }
            polled[n_poll] = p;
            pfds[n_poll].fd = p->fd;
            pfds[n_poll].events = POLLIN;
            pfds[n_poll].revents = 0;
            n_poll++;
        }

        if (n_poll) {
            int retval = poll(pfds, n_poll, MIN(MAX(0, wake - now), INT_MAX));
            if (retval < 0 && errno != EINTR) {
                VLOG_DBG("poll failed: %s", ovs_strerror(errno));
            }
            for (size_t i = 0; retval > 0 && i < n_poll; i++) {
                if (pfds[i].revents && probe_receive(polled[i], cookie)) {
                    probe_finish(polled[i], 0);
                }
            }
        }
        probe_compact(active, &n_active);
    }

    free(packet);
    free(pfds);
    free(polled);
    free(active);
    free(probes);
    return 0;
}

/* ---- TCP probes. ---- */

/* Size of each write and read. */
#define PROBE_TCP_CHUNK 65536

/* One TCP probe's state. */
struct tcp_probe {
    const struct probe_tcp_target *target;  /* Borrowed from the caller. */
    struct probe_tcp_result *result;        /* Borrowed from the caller. */
    uint8_t key;                /* Mixed into the pattern: a stray
                                 * connection's bytes do not pass. */
    int listen_fd, client_fd, server_fd;    /* -1 when not open. */
    size_t sent;                /* Bytes the client has written. */
    bool connected;             /* The client's connect() finished. */
    bool shut;                  /* The client has sent everything. */
    uint64_t start_ns;          /* When the connection was made. */
    long long int deadline;     /* time_msec(): no progress by then. */
};

/* The byte at 'offset' of the stream of a probe with 'key'. */
static uint8_t
tcp_pattern(size_t offset, uint8_t key)
{
    return (offset % 251) ^ (offset >> 16) ^ key;
}

static void
tcp_close(int *fdp)
{
    if (*fdp >= 0) {
        close(*fdp);
        *fdp = -1;
    }
}

/* Ends 't' at 'stage' with 'error' (0: done). */
static void
tcp_finish(struct tcp_probe *t, enum probe_tcp_stage stage, int error)
{
    t->result->stage = stage;
    t->result->error = error;
    tcp_close(&t->listen_fd);
    tcp_close(&t->client_fd);
    tcp_close(&t->server_fd);
}

static bool
tcp_active(const struct tcp_probe *t)
{
    return t->listen_fd >= 0 || t->client_fd >= 0 || t->server_fd >= 0;
}

/* Parses 'addr' with port 0 into 'ss'.  Returns 0 or EINVAL. */
static int
tcp_parse(const char *addr, struct sockaddr_storage *ss, socklen_t *lenp)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *) ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;
    if (addr && inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        *lenp = sizeof *in;
    } else if (addr && inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        *lenp = sizeof *in6;
    } else {
        return EINVAL;
    }
    return 0;
}

/* Makes a non-blocking TCP socket in namespace 'netns_fd' (-1: current).
 * Returns it, or -1 with errno set. */
static int
tcp_socket(int netns_fd, int family)
{
    int saved_fd = -1;
    if (netns_fd >= 0) {
        int error = netns_enter(netns_fd, &saved_fd);
        if (error) {
            errno = error;
            return -1;
        }
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int error = errno;
    if (saved_fd >= 0) {
        netns_restore(saved_fd);
    }
    errno = error;
    return fd;
}

/* Opens 't''s listener and starts its connection.  Returns 0 or errno. */
static int
tcp_start(struct tcp_probe *t)
{
    const struct probe_tcp_target *tg = t->target;
    struct sockaddr_storage dst, src;
    socklen_t dst_len, src_len;

    if (tcp_parse(tg->dst, &dst, &dst_len)
        || (tg->src && tcp_parse(tg->src, &src, &src_len))
        || (tg->src && src.ss_family != dst.ss_family)) {
        return EINVAL;
    }

    t->listen_fd = tcp_socket(tg->dst_netns_fd, dst.ss_family);
    if (t->listen_fd < 0
        || bind(t->listen_fd, (struct sockaddr *) &dst, dst_len)
        || listen(t->listen_fd, 1)
        || getsockname(t->listen_fd, (struct sockaddr *) &dst, &dst_len)) {
        return errno;
    }

    t->client_fd = tcp_socket(tg->src_netns_fd, dst.ss_family);
    if (t->client_fd < 0
        || (tg->ifname
            && setsockopt(t->client_fd, SOL_SOCKET, SO_BINDTODEVICE,
                          tg->ifname, strlen(tg->ifname) + 1))
        || (tg->src
            && bind(t->client_fd, (struct sockaddr *) &src, src_len))) {
        return errno;
    }
    if (connect(t->client_fd, (struct sockaddr *) &dst, dst_len)
        && errno != EINPROGRESS) {
        return errno;
    }
    return 0;
}

/* Handles what poll() said about 't'.  'buf' holds PROBE_TCP_CHUNK
 * bytes. */
static void
tcp_step(struct tcp_probe *t, uint8_t *buf, long long int now,
         int timeout_ms)
{
    const size_t total = t->target->bytes;
    bool progress = false;

    if (t->server_fd < 0 && t->listen_fd >= 0) {
        int fd = accept4(t->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            t->server_fd = fd;
            tcp_close(&t->listen_fd);
            progress = true;
        } else if (errno != EAGAIN && errno != EINTR) {
            tcp_finish(t, PROBE_TCP_CONNECT, errno);
            return;
        }
    }

    if (t->client_fd >= 0 && !t->connected) {
        int error = 0;
        socklen_t len = sizeof error;
        struct pollfd pfd = { .fd = t->client_fd, .events = POLLOUT };
        if (poll(&pfd, 1, 0) == 1) {
            if (getsockopt(t->client_fd, SOL_SOCKET, SO_ERROR, &error,
                           &len)) {
                error = errno;
            }
            if (error) {
                tcp_finish(t, PROBE_TCP_CONNECT, error);
                return;
            }
            t->connected = true;
            t->start_ns = now_ns();
            progress = true;
        }
    }

    if (t->connected && t->client_fd >= 0) {
        while (t->sent < total) {
            size_t n = MIN(PROBE_TCP_CHUNK, total - t->sent);
            for (size_t i = 0; i < n; i++) {
                buf[i] = tcp_pattern(t->sent + i, t->key);
            }
            ssize_t retval = send(t->client_fd, buf, n, MSG_NOSIGNAL);
            if (retval < 0) {
                if (errno != EAGAIN && errno != EINTR) {
                    tcp_finish(t, PROBE_TCP_TRANSFER, errno);
                    return;
                }
                break;
            }
            t->sent += retval;
            progress = true;
        }
        if (t->sent >= total && !t->shut) {
            /* The listener's side sees the end of the stream. */
            shutdown(t->client_fd, SHUT_WR);
            t->shut = true;
        }
    }

    if (t->server_fd >= 0) {
        for (int i = 0; i < 64; i++) {
            ssize_t n = recv(t->server_fd, buf, PROBE_TCP_CHUNK, 0);
            if (n < 0) {
                if (errno != EAGAIN && errno != EINTR) {
                    tcp_finish(t, PROBE_TCP_TRANSFER, errno);
                    return;
                }
                break;
            } else if (!n) {
                if (t->result->received == total) {
                    double s = (now_ns() - t->start_ns) / 1e9;
                    t->result->seconds = s;
                    t->result->gbps = s > 0 ? total * 8 / s / 1e9 : 0;
                    tcp_finish(t, PROBE_TCP_DONE, 0);
                } else {
                    tcp_finish(t, PROBE_TCP_TRANSFER, ECONNRESET);
                }
                return;
            }
            for (ssize_t k = 0; k < n; k++) {
                if (buf[k] != tcp_pattern(t->result->received + k, t->key)
                    || t->result->received + k >= total) {
                    t->result->received += k;
                    tcp_finish(t, PROBE_TCP_CHECK, EBADMSG);
                    return;
                }
            }
            t->result->received += n;
            progress = true;
        }
    }

    if (progress) {
        t->deadline = now + timeout_ms;
    } else if (now >= t->deadline) {
        tcp_finish(t, (t->connected && t->server_fd >= 0
                       ? PROBE_TCP_TRANSFER : PROBE_TCP_CONNECT),
                   ETIMEDOUT);
    }
}

int
probe_tcp_run(const struct probe_tcp_target *targets, size_t n,
              int timeout_ms, struct probe_tcp_result *results)
{
    struct tcp_probe *probes = xcalloc(MAX(n, 1), sizeof *probes);
    uint8_t *buf = xmalloc(PROBE_TCP_CHUNK);
    uint32_t key = random_u32();
    size_t next = 0, n_active = 0;
    struct tcp_probe *active[PROBE_TCP_PARALLEL];

    timeout_ms = MAX(timeout_ms, 1);
    for (;;) {
        long long int now = time_msec();
        while (next < n && n_active < PROBE_TCP_PARALLEL) {
            struct tcp_probe *t = &probes[next];
            t->target = &targets[next];
            t->result = &results[next];
            t->key = key + next;
            t->listen_fd = t->client_fd = t->server_fd = -1;
            t->deadline = now + timeout_ms;
            memset(t->result, 0, sizeof *t->result);
            next++;

            int error = tcp_start(t);
            if (error) {
                tcp_finish(t, PROBE_TCP_SETUP, error);
                continue;
            }
            active[n_active++] = t;
        }
        if (!n_active) {
            break;
        }

        struct pollfd pfds[3 * PROBE_TCP_PARALLEL];
        size_t n_pfds = 0;
        long long int wake = LLONG_MAX;
        for (size_t i = 0; i < n_active; i++) {
            struct tcp_probe *t = active[i];
            if (t->listen_fd >= 0) {
                pfds[n_pfds++] = (struct pollfd) { t->listen_fd, POLLIN, 0 };
            }
            if (t->client_fd >= 0) {
                bool writing = !t->connected || t->sent < t->target->bytes;
                pfds[n_pfds++] = (struct pollfd) {
                    t->client_fd, writing ? POLLOUT : 0, 0 };
            }
            if (t->server_fd >= 0) {
                pfds[n_pfds++] = (struct pollfd) { t->server_fd, POLLIN, 0 };
            }
            wake = MIN(wake, t->deadline);
        }
        if (poll(pfds, n_pfds, MIN(MAX(0, wake - now), INT_MAX)) < 0
            && errno != EINTR) {
            VLOG_DBG("poll failed: %s", ovs_strerror(errno));
        }

        now = time_msec();
        size_t k = 0;
        for (size_t i = 0; i < n_active; i++) {
            tcp_step(active[i], buf, now, timeout_ms);
            if (tcp_active(active[i])) {
                active[k++] = active[i];
            }
        }
        n_active = k;
    }

    free(buf);
    free(probes);
    return 0;
}
