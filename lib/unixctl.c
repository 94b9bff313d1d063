/* The control socket served to ovs-appctl. */
#include <config.h>
#include "unixctl.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "jsonrpc.h"
#include "poll-loop.h"
#include "stream.h"
#include "util.h"
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(unixctl);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

/* A registered command. */
struct unixctl_command {
    char *name;
    char *usage;
    int min_args, max_args;
    unixctl_cb_func *cb;
    void *aux;
};

/* Every registered command, in registration order. */
static struct unixctl_command *commands;
static size_t n_commands, allocated_commands;

/* One client connection. */
struct unixctl_conn {
    struct unixctl_conn *prev, *next;   /* In the server's list. */
    struct unixctl_server *server;
    struct jsonrpc *rpc;
    json_t *request_id;         /* Nonnull while a request awaits its
                                 * reply. */
    bool closing;               /* Close once no request is pending. */
    long long int last_active;  /* time_msec() of the last request. */
};

struct unixctl_server {
    struct pstream *listener;
    char *path;                 /* Socket file, absolute. */
    struct unixctl_conn *conns; /* Doubly linked list. */
    unsigned int n_conns;
};

static void unixctl_list_commands(struct unixctl_conn *, int argc,
                                  const char *argv[], void *aux);
static void unixctl_version(struct unixctl_conn *, int argc,
                            const char *argv[], void *aux);

static struct unixctl_command *
find_command(const char *name)
{
    for (size_t i = 0; i < n_commands; i++) {
        if (!strcmp(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}

void
unixctl_command_register(const char *name, const char *usage,
                         int min_args, int max_args,
                         unixctl_cb_func *cb, void *aux)
{
    struct unixctl_command *command = find_command(name);

    if (command) {
        free(command->name);
        free(command->usage);
    } else {
        if (n_commands >= allocated_commands) {
            commands = x2nrealloc(commands, &allocated_commands,
                                  sizeof *commands);
        }
        command = &commands[n_commands++];
    }
    command->name = xstrdup(name);
    command->usage = xstrdup(usage ? usage : "");
    command->min_args = min_args;
    command->max_args = max_args;
    command->cb = cb;
    command->aux = aux;
}

static void
register_builtins(void)
{
    if (!find_command("list-commands")) {
        unixctl_command_register("list-commands", "", 0, 0,
                                 unixctl_list_commands, NULL);
    }
    if (!find_command("version")) {
        unixctl_command_register("version", "", 0, 0, unixctl_version, NULL);
    }
}

static int
compare_commands(const void *a_, const void *b_)
{
    const struct unixctl_command *const *a = a_;
    const struct unixctl_command *const *b = b_;
    return strcmp((*a)->name, (*b)->name);
}

/* "list-commands": the format of Open vSwitch's daemons, which scripts
 * parse. */
static void
unixctl_list_commands(struct unixctl_conn *conn, int argc OVS_UNUSED,
                      const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    const struct unixctl_command **sorted = xcalloc(n_commands,
                                                    sizeof *sorted);
    struct ds s = DS_EMPTY_INITIALIZER;

    for (size_t i = 0; i < n_commands; i++) {
        sorted[i] = &commands[i];
    }
    qsort(sorted, n_commands, sizeof *sorted, compare_commands);

    ds_put_cstr(&s, "The available commands are:\n");
    for (size_t i = 0; i < n_commands; i++) {
        ds_put_format(&s, "  %-23s %s\n", sorted[i]->name, sorted[i]->usage);
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
    free(sorted);
}

static void
unixctl_version(struct unixctl_conn *conn, int argc OVS_UNUSED,
                const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    char *version = xasprintf("%s (vplug) %s", get_program_name(),
                              PACKAGE_VERSION);
    unixctl_command_reply(conn, version);
    free(version);
}

static void
unixctl_command_reply__(struct unixctl_conn *conn, bool success,
                        const char *body)
{
    if (!conn->request_id) {
        VLOG_ERR("reply on a connection with no request in progress "
                 "(ignored)");
        return;
    }

    if (!body) {
        body = "";
    }
    size_t len = strlen(body);
    char *text = (len && body[len - 1] != '\n'
                  ? xasprintf("%s\n", body) : xstrdup(body));
    json_t *json = json_string(text);
    free(text);
    if (!json) {
        /* Not valid UTF-8: say so rather than send nothing. */
        json = json_string("(reply was not valid UTF-8)\n");
        success = false;
    }

    struct jsonrpc_msg *reply = (success
                                 ? jsonrpc_create_reply(json,
                                                        conn->request_id)
                                 : jsonrpc_create_error(json,
                                                        conn->request_id));
    json_decref(conn->request_id);
    conn->request_id = NULL;

    if (!jsonrpc_get_status(conn->rpc)) {
        jsonrpc_send(conn->rpc, reply);
        jsonrpc_run(conn->rpc);
    } else {
        jsonrpc_msg_destroy(reply);
    }
    conn->last_active = time_msec();
    /* A deferred reply may come from outside unixctl_server_run(): make
     * sure the next pass flushes it and sweeps closed connections. */
    poll_immediate_wake();
}

void
unixctl_command_reply(struct unixctl_conn *conn, const char *body)
{
    unixctl_command_reply__(conn, true, body);
}

void
unixctl_command_reply_error(struct unixctl_conn *conn, const char *body)
{
    unixctl_command_reply__(conn, false, body);
}

/* Replies to 'conn''s request, already recorded, with an error from
 * 'format'. */
static void PRINTF_FORMAT(2, 3)
reply_error_format(struct unixctl_conn *conn, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *text = xvasprintf(format, args);
    va_end(args);
    unixctl_command_reply_error(conn, text);
    free(text);
}

/* Dispatches request 'msg' (borrowed) on 'conn'. */
static void
process_request(struct unixctl_conn *conn, const struct jsonrpc_msg *msg)
{
    conn->request_id = json_incref(msg->id);
    conn->last_active = time_msec();

    size_t n_params = json_is_array(msg->params)
                      ? json_array_size(msg->params) : 0;
    if (msg->params && !json_is_array(msg->params)) {
        reply_error_format(conn, "\"params\" must be an array of strings");
        return;
    }

    for (size_t i = 0; i < n_params; i++) {
        json_t *param = json_array_get(msg->params, i);
        if (!json_is_string(param)) {
            char *s = json_dumps(param, JSON_ENCODE_ANY | JSON_COMPACT);
            reply_error_format(conn, "command has non-string argument: %s",
                               s ? s : "?");
            free(s);
            return;
        }
    }

    const struct unixctl_command *command = find_command(msg->method);
    if (!command) {
        reply_error_format(conn, "\"%s\" is not a valid command (use "
                           "\"list-commands\" to see a list of valid "
                           "commands)", msg->method);
        return;
    }
    if (n_params < (size_t) command->min_args) {
        reply_error_format(conn, "\"%s\" command requires at least %d "
                           "arguments", command->name, command->min_args);
        return;
    }
    if (n_params > (size_t) command->max_args) {
        reply_error_format(conn, "\"%s\" command takes at most %d arguments",
                           command->name, command->max_args);
        return;
    }

    const char **argv = xcalloc(n_params + 2, sizeof *argv);
    argv[0] = command->name;
    for (size_t i = 0; i < n_params; i++) {
        argv[i + 1] = json_string_value(json_array_get(msg->params, i));
    }
    VLOG_DBG("%s: command \"%s\" with %zu arguments",
             jsonrpc_get_name(conn->rpc), command->name, n_params);
    command->cb(conn, n_params + 1, argv, command->aux);
    free(argv);
}

static void
conn_destroy(struct unixctl_conn *conn)
{
    struct unixctl_server *server = conn->server;

    if (conn->prev) {
        conn->prev->next = conn->next;
    } else {
        server->conns = conn->next;
    }
    if (conn->next) {
        conn->next->prev = conn->prev;
    }
    server->n_conns--;
    jsonrpc_close(conn->rpc);
    json_decref(conn->request_id);
    free(conn);
}

/* Runs 'conn'.  Returns false when it should be destroyed. */
static bool
conn_run(struct unixctl_conn *conn)
{
    jsonrpc_run(conn->rpc);

    /* Read at most a few requests per pass, so that one busy client does
     * not starve the others. */
    for (int i = 0; i < 10 && !conn->request_id && !conn->closing; i++) {
        struct jsonrpc_msg *msg;
        int error = jsonrpc_recv(conn->rpc, &msg);
        if (error == EAGAIN) {
            break;
        } else if (error) {
            if (error != EOF) {
                /* The connection's error names the connection. */
                const char *why = jsonrpc_get_error(conn->rpc);
                if (why) {
                    VLOG_WARN_RL(&rl, "closing connection: %s", why);
                } else {
                    VLOG_WARN_RL(&rl, "%s: closing connection: %s",
                                 jsonrpc_get_name(conn->rpc),
                                 ovs_strerror(error));
                }
            }
            conn->closing = true;
            break;
        }

        if (msg->type == JSONRPC_REQUEST && msg->method) {
            process_request(conn, msg);
        } else {
            VLOG_WARN_RL(&rl, "%s: closing connection: expected a request, "
                         "received a %s", jsonrpc_get_name(conn->rpc),
                         msg->type == JSONRPC_NOTIFY ? "notification"
                         : "reply");
            conn->closing = true;
        }
        jsonrpc_msg_destroy(msg);
    }

    if (conn->request_id) {
        /* A reply is pending: the callback owns 'conn' until it replies. */
        return true;
    }
    if (conn->closing || jsonrpc_get_status(conn->rpc)) {
        return false;
    }
    if (!jsonrpc_get_backlog(conn->rpc)
        && time_msec() - conn->last_active >= UNIXCTL_IDLE_TIMEOUT_MS) {
        VLOG_DBG("%s: closing idle connection", jsonrpc_get_name(conn->rpc));
        return false;
    }
    return true;
}

int
unixctl_server_create(const char *path, struct unixctl_server **serverp)
{
    *serverp = NULL;
    if (path && !strcmp(path, "none")) {
        return 0;
    }

    register_builtins();

    char *abs_path;
    if (!path) {
        abs_path = xasprintf("%s/%s.%ld.ctl", daemon_rundir(),
                             get_program_name(), (long int) getpid());
    } else if (!strchr(path, '/')) {
        abs_path = xasprintf("%s/%s", daemon_rundir(), path);
    } else if (path[0] == '/') {
        abs_path = xstrdup(path);
    } else {
        /* Relative to the current directory, which --detach may leave. */
        char *cwd = getcwd(NULL, 0);
        abs_path = xasprintf("%s/%s", cwd ? cwd : ".", path);
        free(cwd);
    }

    char *dir = xstrdup(abs_path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        int error = mkdir_p(dir, 0755);
        if (error) {
            VLOG_ERR("cannot create directory %s for the control socket: %s",
                     dir, ovs_strerror(error));
            free(dir);
            free(abs_path);
            return error;
        }
    }
    free(dir);

    char *name = xasprintf("punix:%s", abs_path);
    struct pstream *listener;
    int error = pstream_open(name, 0700, &listener);
    free(name);
    if (error) {
        VLOG_ERR("cannot listen on %s: %s", abs_path, ovs_strerror(error));
        free(abs_path);
        return error;
    }

    struct unixctl_server *server = xzalloc(sizeof *server);
    server->listener = listener;
    server->path = abs_path;
    *serverp = server;
    return 0;
}

static void
accept_connections(struct unixctl_server *server)
{
    for (int i = 0; i < 10; i++) {
        struct stream *stream;
        int error = pstream_accept(server->listener, &stream);
        if (error) {
            if (error != EAGAIN) {
                VLOG_WARN_RL(&rl, "%s: accept failed: %s", server->path,
                             ovs_strerror(error));
            }
            return;
        }
        if (server->n_conns >= UNIXCTL_MAX_CONNS) {
            VLOG_WARN_RL(&rl, "%s: %u connections already open, closing a "
                         "new one", server->path, server->n_conns);
            stream_close(stream);
            continue;
        }

        struct unixctl_conn *conn = xzalloc(sizeof *conn);
        conn->server = server;
        conn->rpc = jsonrpc_open(stream);
        jsonrpc_set_max_size(conn->rpc, UNIXCTL_MAX_REQUEST_SIZE);
        conn->last_active = time_msec();
        conn->next = server->conns;
        if (conn->next) {
            conn->next->prev = conn;
        }
        server->conns = conn;
        server->n_conns++;
    }
}

void
unixctl_server_run(struct unixctl_server *server)
{
    if (!server) {
        return;
    }

    accept_connections(server);

    struct unixctl_conn *next;
    for (struct unixctl_conn *conn = server->conns; conn; conn = next) {
        next = conn->next;
        if (!conn_run(conn)) {
            conn_destroy(conn);
        }
    }
}

void
unixctl_server_wait(struct unixctl_server *server)
{
    if (!server) {
        return;
    }

    pstream_wait(server->listener);
    for (struct unixctl_conn *conn = server->conns; conn;
         conn = conn->next) {
        jsonrpc_wait(conn->rpc);
        if (!conn->request_id) {
            if (conn->closing) {
                poll_immediate_wake();
            } else {
                jsonrpc_recv_wait(conn->rpc);
                poll_timer_wait_until(conn->last_active
                                      + UNIXCTL_IDLE_TIMEOUT_MS);
            }
        }
    }
}

void
unixctl_server_destroy(struct unixctl_server *server)
{
    if (!server) {
        return;
    }

    while (server->conns) {
        conn_destroy(server->conns);
    }
    pstream_close(server->listener);
    /* pstream_close() removes the socket file; make sure. */
    unlink(server->path);
    free(server->path);
    free(server);
}

const char *
unixctl_server_get_path(const struct unixctl_server *server)
{
    return server->path;
}

unsigned int
unixctl_server_get_n_conns(const struct unixctl_server *server)
{
    return server->n_conns;
}
