/* ICMP echo prober: sends echo requests from inside network namespaces,
 * bound to a device and source address as "ping -I" does, many targets in
 * parallel from one thread, and measures round trips.  IPv4 and IPv6. */
#ifndef PROBE_H
#define PROBE_H 1

#include <stdbool.h>
#include <stddef.h>

struct probe_target {
    int netns_fd;               /* Namespace to send from (-1: current). */
    const char *ifname;         /* Device to bind to, or NULL. */
    const char *src;            /* Source address (no prefix), or NULL. */
    const char *dst;            /* Destination address (no prefix). */
};

struct probe_result {
    int error;                  /* 0: answered; ETIMEDOUT: no answer; other
                                 * errno: could not send. */
    double rtt_ms;              /* Best round trip when 'error' is 0. */
    int sent, received;
};

/* Probes every target with up to 'count' echo requests until one answers
 * or 'timeout_ms' passes, all targets at once.  Fills 'results' (one per
 * target).  Returns 0, or errno if probing could not start at all. */
int probe_run(const struct probe_target *, size_t n, int count,
              int timeout_ms, struct probe_result *results);

#endif /* probe.h */
