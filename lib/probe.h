/* Data-plane prober, from inside network namespaces, many targets in
 * parallel from one thread, IPv4 and IPv6: ICMP echo requests bound to a
 * device and source address as "ping -I" does, of the default size or of
 * the device's MTU with fragmenting forbidden ("ping -M do -s"), with their
 * round trips; and TCP connections that carry and check a given number of
 * bytes, with their throughput. */
#ifndef PROBE_H
#define PROBE_H 1

#include <stdbool.h>
#include <stddef.h>

struct probe_target {
    int netns_fd;               /* Namespace to send from (-1: current). */
    const char *ifname;         /* Device to bind to, or NULL. */
    const char *src;            /* Source address (no prefix), or NULL. */
    const char *dst;            /* Destination address (no prefix). */
    bool full_size;             /* Send echoes as large as 'ifname''s MTU
                                 * (IP header included) with DF set. */
};

struct probe_result {
    int error;                  /* 0: answered; ETIMEDOUT: no answer; other
                                 * errno: could not send. */
    double rtt_ms;              /* Best round trip when 'error' is 0. */
    int sent, received;
    int mtu;                    /* 'full_size': the MTU the echoes had (0:
                                 * it could not be read). */
};

/* Probes every target with up to 'count' echo requests until one answers
 * or 'timeout_ms' passes, all targets at once.  Fills 'results' (one per
 * target).  Returns 0, or errno if probing could not start at all. */
int probe_run(const struct probe_target *, size_t n, int count,
              int timeout_ms, struct probe_result *results);

/* One TCP probe: a listener in 'dst_netns_fd' on 'dst', a connection to it
 * from 'src_netns_fd', bound to 'ifname' and 'src', that carries 'bytes'
 * bytes of a known pattern, which the listener's side checks. */
struct probe_tcp_target {
    int src_netns_fd;           /* Namespace to connect from (-1: current). */
    int dst_netns_fd;           /* Namespace to listen in (-1: current). */
    const char *ifname;         /* Device to bind the connection to, or
                                 * NULL. */
    const char *src;            /* Source address (no prefix), or NULL. */
    const char *dst;            /* Address to listen on (no prefix). */
    size_t bytes;               /* How much to carry. */
};

/* Where a TCP probe stopped. */
enum probe_tcp_stage {
    PROBE_TCP_SETUP,            /* Sockets could not be made. */
    PROBE_TCP_CONNECT,          /* No connection. */
    PROBE_TCP_TRANSFER,         /* Connected; the bytes did not all come. */
    PROBE_TCP_CHECK,            /* They came, but not as sent. */
    PROBE_TCP_DONE,             /* All of them, as sent. */
};

struct probe_tcp_result {
    int error;                  /* 0: carried and checked. */
    enum probe_tcp_stage stage;
    size_t received;            /* Correct bytes the listener got. */
    double seconds;             /* From connection to the last byte. */
    double gbps;                /* Throughput when 'error' is 0. */
};

/* Runs every TCP probe, up to PROBE_TCP_PARALLEL at once, each given up
 * after 'timeout_ms' without progress.  Fills 'results'.  Returns 0, or
 * errno if probing could not start at all. */
#define PROBE_TCP_PARALLEL 4
int probe_tcp_run(const struct probe_tcp_target *, size_t n, int timeout_ms,
                  struct probe_tcp_result *results);

#endif /* probe.h */
