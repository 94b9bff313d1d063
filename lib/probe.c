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
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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
probe_send(struct probe *p, uint32_t cookie)
{
    uint8_t packet[8 + PROBE_PAYLOAD_SIZE];
    uint16_t seq = p->result->sent + 1;
    struct probe_payload payload = {
        .cookie = cookie,
        .index = p->index,
        .sent_ns = now_ns(),
    };

    memset(packet, 0, sizeof packet);
    packet[0] = p->family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
    packet[4] = p->id >> 8;
    packet[5] = p->id;
    packet[6] = seq >> 8;
    packet[7] = seq;
    memcpy(&packet[8], &payload, sizeof payload);
    for (size_t i = 8 + sizeof payload; i < sizeof packet; i++) {
        packet[i] = i;
    }
    if (p->family == AF_INET) {
        uint16_t csum = icmp4_checksum(packet, sizeof packet);
        packet[2] = csum >> 8;
        packet[3] = csum;
    }

    if (send(p->fd, packet, sizeof packet, 0) < 0) {
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
        memset(p->result, 0, sizeof *p->result);
        p->result->error = probe_parse(p);
    }

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
                error = probe_send(p, cookie);
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

    free(pfds);
    free(polled);
    free(active);
    free(probes);
    return 0;
}
