/* The gate of vplugd's control socket (see vplugd-gate.h). */
#include <config.h>

#include "vplugd-gate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fatal-signal.h"
#include "jsonrpc.h"
#include "openvswitch/json.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "socket-util.h"
#include "stream.h"
#include "stream-fd.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(vplugd_gate);

/* How long accepting pauses when the open-files limit is reached and no
 * connection can make room. */
#define ACCEPT_PAUSE_MS 100

struct gate_conn {
    struct ovs_list node;       /* In 'gate->conns', oldest 'since'
                                 * first. */
    struct jsonrpc *client;
    pid_t pid;                  /* The client's (SO_PEERCRED), or 0. */
    long long int since;        /* Accepted, or its last reply passed on. */
    unsigned int mark;          /* jsonrpc_get_received_bytes() then. */

    /* A request being served: sent to 'inner' or, while no connection to
     * the unixctl server could be made, held in 'pending'. */
    struct jsonrpc *inner;
    struct jsonrpc_msg *pending;
    struct json *request_id;    /* Non-null while a request is served. */
};

struct ctl_gate {
    int fd;                     /* The listening socket. */
    char *path;
    char *inner_name;           /* "unix:" and the unixctl server's path. */
    struct ctl_gate_limits limits;
    size_t max_conns;           /* After the open-files limit, as of the
                                 * last connection. */
    size_t max_per_peer;
    struct ovs_list conns;
    size_t n_conns;
    long long int accept_after; /* Accepting paused until then. */
    bool flushing;
};

/* Each kind of drop is logged under a rate limit of its own, so that a
 * flood of one kind hides none of the others. */
static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 20);
static struct vlog_rate_limit idle_rl = VLOG_RATE_LIMIT_INIT(10, 20);
static struct vlog_rate_limit size_rl = VLOG_RATE_LIMIT_INIT(10, 20);
static struct vlog_rate_limit evict_rl = VLOG_RATE_LIMIT_INIT(10, 20);
static struct vlog_rate_limit peer_rl = VLOG_RATE_LIMIT_INIT(10, 20);

static bool
conn_busy(const struct gate_conn *c)
{
    return c->request_id != NULL;
}

/* "pid 1234 (ovs-appctl)", for the log. */
static char *
peer_name(pid_t pid)
{
    if (!pid) {
        return xstrdup("an unknown process");
    }
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", (long) pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(comm, sizeof comm, f)) {
            comm[strcspn(comm, "\n")] = '\0';
        }
        fclose(f);
    }
    return comm[0] ? xasprintf("pid %ld (%s)", (long) pid, comm)
                   : xasprintf("pid %ld", (long) pid);
}

/* The connection to the unixctl server goes with the client's: OVS's
 * server reads each of its connections up to ten times per pass, so that
 * idle ones kept for later requests made every pass slower (16 of them
 * made each request take 0.7 ms where it took 0.15). */
static void
conn_close(struct ctl_gate *g, struct gate_conn *c)
{
    ovs_list_remove(&c->node);
    g->n_conns--;
    jsonrpc_close(c->client);
    jsonrpc_close(c->inner);
    jsonrpc_msg_destroy(c->pending);
    json_destroy(c->request_id);
    free(c);
}

/* Closes 'c', saying why in the log. */
static void
conn_drop(struct ctl_gate *g, struct gate_conn *c,
          struct vlog_rate_limit *drop_rl, const char *why)
{
    if (!VLOG_DROP_INFO(drop_rl)) {
        char *who = peer_name(c->pid);
        VLOG_INFO("%s: dropped the control connection of %s: %s", g->path,
                  who, why);
        free(who);
    }
    conn_close(g, c);
}

/* Drops the longest idle connection, of 'pid' only if it is nonzero, to
 * make room for another.  Returns false if every such connection has a
 * request in progress. */
static bool
evict(struct ctl_gate *g, pid_t pid, const char *why)
{
    struct gate_conn *c;
    LIST_FOR_EACH (c, node, &g->conns) {
        if (!conn_busy(c) && (!pid || c->pid == pid)) {
            conn_drop(g, c, pid ? &peer_rl : &evict_rl, why);
            return true;
        }
    }
    return false;
}

static size_t
count_peer(const struct ctl_gate *g, pid_t pid)
{
    const struct gate_conn *c;
    size_t n = 0;
    LIST_FOR_EACH (c, node, &g->conns) {
        n += pid && c->pid == pid;
    }
    return n;
}

/* The most connections the open-files limit leaves room for: a quarter of
 * it, as each may need a second descriptor to the unixctl server and the
 * daemon needs the rest. */
static size_t
nofile_room(void)
{
    struct rlimit rl_nofile;
    if (getrlimit(RLIMIT_NOFILE, &rl_nofile) || rl_nofile.rlim_cur
        == RLIM_INFINITY) {
        return SIZE_MAX;
    }
    return MAX(8, rl_nofile.rlim_cur / 4);
}

/* Makes room for a new connection of 'pid'.  Returns false, and says why
 * in '*whyp', if none can be made. */
static bool
make_room(struct ctl_gate *g, pid_t pid, char **whyp)
{
    /* The open-files limit can change meanwhile (prlimit). */
    g->max_conns = MAX(1, MIN(g->limits.max_conns, nofile_room()));
    g->max_per_peer = MAX(1, g->max_conns / 4);
    if (pid && count_peer(g, pid) >= g->max_per_peer) {
        char *why = xasprintf("its process opened more than %zu "
                              "connections, the most one process may hold",
                              g->max_per_peer);
        bool ok = evict(g, pid, why);
        free(why);
        if (!ok) {
            *whyp = xasprintf("all %zu connections of its process have a "
                              "request in progress", g->max_per_peer);
            return false;
        }
    }
    if (g->n_conns >= g->max_conns) {
        char *why = xasprintf("it was the longest idle of %zu connections "
                              "when another came", g->max_conns);
        bool ok = evict(g, 0, why);
        free(why);
        if (!ok) {
            *whyp = xasprintf("all %zu connections have a request in "
                              "progress", g->max_conns);
            return false;
        }
    }
    return true;
}

static pid_t
peer_pid(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    return (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)
            ? cred.pid : 0);
}

static void
gate_accept(struct ctl_gate *g)
{
    for (int i = 0; i < 50; i++) {
        int fd = accept4(g->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            } else if ((errno == EMFILE || errno == ENFILE)
                       && evict(g, 0, "the open-files limit was reached when "
                                "another connection came")) {
                continue;
            } else if (errno != EAGAIN) {
                VLOG_WARN_RL(&rl, "%s: accept failed (%s)", g->path,
                             ovs_strerror(errno));
                g->accept_after = time_msec() + ACCEPT_PAUSE_MS;
            }
            return;
        }

        pid_t pid = peer_pid(fd);
        char *why = NULL;
        if (!make_room(g, pid, &why)) {
            if (!VLOG_DROP_WARN(&rl)) {
                char *who = peer_name(pid);
                VLOG_WARN("%s: refused a control connection of %s: %s",
                          g->path, who, why);
                free(who);
            }
            free(why);
            close(fd);
            continue;
        }

        struct stream *stream;
        int error = new_fd_stream(xasprintf("%s#%ld", g->path, (long) pid),
                                  fd, 0, AF_UNIX, &stream);
        if (error) {
            VLOG_WARN_RL(&rl, "%s: cannot set up a connection (%s)",
                         g->path, ovs_strerror(error));
            continue;
        }
        struct gate_conn *c = xzalloc(sizeof *c);
        c->client = jsonrpc_open(stream);
        c->pid = pid;
        c->since = time_msec();
        ovs_list_push_back(&g->conns, &c->node);
        g->n_conns++;
    }
}

/* Sends 'reply' to 'c''s client, which ends its request: 'c' is idle from
 * now on, and the newest of the idle connections. */
static void
send_reply(struct ctl_gate *g, struct gate_conn *c, struct jsonrpc_msg *reply)
{
    json_destroy(c->request_id);
    c->request_id = NULL;
    jsonrpc_send(c->client, reply);

    c->since = time_msec();
    c->mark = jsonrpc_get_received_bytes(c->client);
    ovs_list_remove(&c->node);
    ovs_list_push_back(&g->conns, &c->node);
}

/* Sends 'c''s pending request to the unixctl server, on 'c''s connection
 * to it, made for its first request.  Making it can fail while the
 * server's listen backlog is full; the request then waits for the next
 * pass. */
static void
forward(struct ctl_gate *g, struct gate_conn *c)
{
    if (!c->inner) {
        struct stream *stream;
        int error = stream_open(g->inner_name, &stream, DSCP_DEFAULT);
        if (error == EPROTO || error == EAGAIN) {
            poll_immediate_wake();
            return;
        } else if (error) {
            char *msg = xasprintf("vplugd cannot reach its own command "
                                  "server at %s (%s)",
                                  g->inner_name + strlen("unix:"),
                                  ovs_strerror(error));
            jsonrpc_msg_destroy(c->pending);
            c->pending = NULL;
            send_reply(g, c,
                       jsonrpc_create_error(json_string_create_nocopy(msg),
                                            c->request_id));
            return;
        }
        c->inner = jsonrpc_open(stream);
    }
    jsonrpc_send(c->inner, c->pending);
    c->pending = NULL;
}

/* Passes on the reply of 'c''s request, once the unixctl server gave it. */
static void
relay_reply(struct ctl_gate *g, struct gate_conn *c)
{
    struct jsonrpc_msg *reply;
    int error = jsonrpc_recv(c->inner, &reply);
    if (error == EAGAIN) {
        return;
    }
    if (!reply) {
        char *msg = xasprintf("vplugd's command server closed the "
                              "connection before replying (%s)",
                              ovs_retval_to_string(error));
        reply = jsonrpc_create_error(json_string_create_nocopy(msg),
                                     c->request_id);
        jsonrpc_close(c->inner);
        c->inner = NULL;
    } else if (reply->type == JSONRPC_ERROR) {
        /* As the unixctl server sent it: an error reply without "result"
         * (jsonrpc parses it as JSONRPC_ERROR, which it would send with
         * "result": null). */
        reply->type = JSONRPC_REPLY;
    }
    send_reply(g, c, reply);
}

/* Reads a request from 'c', if it has one.  Returns false if 'c' was
 * closed. */
static bool
read_request(struct ctl_gate *g, struct gate_conn *c)
{
    struct jsonrpc_msg *msg;
    int error = jsonrpc_recv(c->client, &msg);
    unsigned int n = jsonrpc_get_received_bytes(c->client) - c->mark;

    if (n > g->limits.max_request) {
        char *why = xasprintf("its request grew beyond %zu bytes, the "
                              "most one may have", g->limits.max_request);
        conn_drop(g, c, &size_rl, why);
        free(why);
        jsonrpc_msg_destroy(msg);
        return false;
    } else if (msg && msg->type != JSONRPC_REQUEST) {
        char *why = xasprintf("it sent a JSON-RPC %s, not a request",
                              jsonrpc_msg_type_to_string(msg->type));
        conn_drop(g, c, &rl, why);
        free(why);
        jsonrpc_msg_destroy(msg);
        return false;
    } else if (msg) {
        c->request_id = json_clone(msg->id);
        c->pending = msg;
        forward(g, c);
    } else if (error != EAGAIN) {
        /* The client went away, or sent what is not JSON (which jsonrpc
         * logs). */
        conn_close(g, c);
        return false;
    }
    return true;
}

/* Drops the connections that stayed idle for too long. */
static void
expire(struct ctl_gate *g)
{
    if (!g->limits.idle_ms) {
        return;
    }
    long long int now = time_msec();
    struct gate_conn *c;
    LIST_FOR_EACH_SAFE (c, node, &g->conns) {
        if (conn_busy(c)) {
            continue;
        } else if (now < c->since + g->limits.idle_ms) {
            break;
        }
        unsigned int n = jsonrpc_get_received_bytes(c->client) - c->mark;
        char *why = (n
                     ? xasprintf("its request was still incomplete after "
                                 "%d ms (%u bytes)", g->limits.idle_ms, n)
                     : xasprintf("it sent no request in %d ms",
                                 g->limits.idle_ms));
        conn_drop(g, c, &idle_rl, why);
        free(why);
    }
}

int
ctl_gate_create(const char *path, const char *inner_path,
                const struct ctl_gate_limits *limits,
                struct ctl_gate **gatep, char **errp)
{
    *gatep = NULL;
    int fd = make_unix_socket(SOCK_STREAM, true, path, NULL);
    if (fd < 0) {
        *errp = xasprintf("%s: could not initialize control socket (%s)",
                          path, ovs_strerror(-fd));
        return -fd;
    }
    if (listen(fd, 128) < 0 || chmod(path, 0700) < 0) {
        int error = errno;
        *errp = xasprintf("%s: could not initialize control socket (%s)",
                          path, ovs_strerror(error));
        close(fd);
        fatal_signal_unlink_file_now(path);
        return error;
    }

    struct ctl_gate *g = xzalloc(sizeof *g);
    g->fd = fd;
    g->path = xstrdup(path);
    g->inner_name = xasprintf("unix:%s", inner_path);
    g->limits = *limits;
    ovs_list_init(&g->conns);
    *gatep = g;
    return 0;
}

void
ctl_gate_destroy(struct ctl_gate *g)
{
    if (!g) {
        return;
    }
    struct gate_conn *c;
    LIST_FOR_EACH_SAFE (c, node, &g->conns) {
        conn_close(g, c);
    }
    close(g->fd);
    fatal_signal_unlink_file_now(g->path);
    free(g->path);
    free(g->inner_name);
    free(g);
}

void
ctl_gate_run(struct ctl_gate *g)
{
    if (!g) {
        return;
    }
    if (!g->flushing && time_msec() >= g->accept_after) {
        gate_accept(g);
    }

    struct gate_conn *c;
    LIST_FOR_EACH_SAFE (c, node, &g->conns) {
        jsonrpc_run(c->client);
        if (jsonrpc_get_status(c->client)) {
            conn_close(g, c);
            continue;
        }
        if (c->pending && !g->flushing) {
            forward(g, c);
        } else if (conn_busy(c) && c->inner) {
            jsonrpc_run(c->inner);
            relay_reply(g, c);
        }
        if (!conn_busy(c) && !g->flushing
            && !jsonrpc_get_backlog(c->client)) {
            read_request(g, c);
        }
    }
    expire(g);
}

void
ctl_gate_wait(struct ctl_gate *g)
{
    if (!g) {
        return;
    }
    if (!g->flushing) {
        if (time_msec() < g->accept_after) {
            poll_timer_wait_until(g->accept_after);
        } else {
            poll_fd_wait(g->fd, POLLIN);
        }
    }

    bool timer = false;
    struct gate_conn *c;
    LIST_FOR_EACH (c, node, &g->conns) {
        jsonrpc_wait(c->client);
        if (conn_busy(c)) {
            if (c->inner) {
                jsonrpc_wait(c->inner);
                jsonrpc_recv_wait(c->inner);
            }
        } else {
            if (!jsonrpc_get_backlog(c->client)) {
                jsonrpc_recv_wait(c->client);
            }
            if (!timer && g->limits.idle_ms) {
                poll_timer_wait_until(c->since + g->limits.idle_ms);
                timer = true;
            }
        }
    }
}

void
ctl_gate_flush(struct ctl_gate *g, long long int deadline)
{
    if (!g) {
        return;
    }
    g->flushing = true;
    for (;;) {
        ctl_gate_run(g);

        bool owed = false;
        const struct gate_conn *c;
        LIST_FOR_EACH (c, node, &g->conns) {
            owed |= jsonrpc_get_backlog(c->client) > 0;
        }
        if (!owed || time_msec() >= deadline) {
            break;
        }
        ctl_gate_wait(g);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

size_t
ctl_gate_n_conns(const struct ctl_gate *g)
{
    return g ? g->n_conns : 0;
}
