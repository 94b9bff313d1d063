/* The gate of vplugd's control socket.
 *
 * OVS's unixctl server keeps every connection as long as its peer does,
 * with no bound on their number, on how long a request may take to arrive
 * or on its size.  So the gate listens on the control socket in its place
 * and hands each complete request, over a connection of its own, to the
 * unixctl server, which listens on a second socket (the control socket's
 * path with ".inner" appended); the reply comes back the same way.  The
 * gate:
 *
 *   - drops a connection that has not completed a request within the idle
 *     timeout of being opened or of its last reply (a request in progress,
 *     however long it takes, is not idle);
 *   - drops a connection whose request grows beyond a size bound;
 *   - keeps at most a number of connections, fewer when the open-files
 *     limit is low, and at most a quarter of them per peer process: a new
 *     connection beyond either bound takes the place of the longest idle
 *     one, so that the operator always gets through a crowd of idle or
 *     half-sent connections.  Only when every connection has a request in
 *     progress is a new one refused.
 *
 * Everything runs in the daemon's loop, without blocking it. */
#ifndef VPLUGD_GATE_H
#define VPLUGD_GATE_H 1

#include <stddef.h>

struct ctl_gate;

struct ctl_gate_limits {
    int idle_ms;                /* See above. */
    size_t max_request;         /* Bytes of one request. */
    size_t max_conns;           /* Before the open-files limit applies. */
};

#define CTL_GATE_IDLE_MS 60000
#define CTL_GATE_MAX_REQUEST (1024 * 1024)
#define CTL_GATE_MAX_CONNS 1024

/* Listens on 'path' and hands requests to the unixctl server that listens
 * on 'inner_path'.  On failure returns an errno value and says why in
 * '*errp'. */
int ctl_gate_create(const char *path, const char *inner_path,
                    const struct ctl_gate_limits *, struct ctl_gate **,
                    char **errp);
void ctl_gate_destroy(struct ctl_gate *);

void ctl_gate_run(struct ctl_gate *);
void ctl_gate_wait(struct ctl_gate *);

/* At exit: passes on the replies the unixctl server has already sent,
 * until each has reached its client or 'deadline' (time_msec()) passes.
 * Accepts no connection and forwards no request meanwhile. */
void ctl_gate_flush(struct ctl_gate *, long long int deadline);

/* Connections now open (for memory/show). */
size_t ctl_gate_n_conns(const struct ctl_gate *);

#endif /* vplugd-gate.h */
