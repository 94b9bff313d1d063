/* JSON-RPC 1.0 over a stream, as OVSDB and ovs-appctl speak it. */
#include <config.h>
#include "jsonrpc.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poll-loop.h"
#include "stream.h"
#include "util.h"
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(jsonrpc);

#define JSONRPC_DEFAULT_MAX_SIZE (64u * 1024 * 1024)

/* Bytes read from the stream per call to stream_recv(). */
#define JSONRPC_RECV_CHUNK 65536

struct jsonrpc {
    struct stream *stream;      /* NULL once the connection failed. */
    char *name;
    int status;                 /* 0, EOF or a positive errno. */
    char *error;                /* Sentence explaining 'status', or NULL. */
    size_t max_size;

    /* Received bytes: [in_ofs, in_size) not yet consumed. */
    char *in;
    size_t in_ofs, in_size, in_alloc;

    /* Scanner over the received bytes, finding where a value ends. */
    size_t scan_ofs;            /* Next byte to scan. */
    size_t value_start;         /* Offset where the current value began. */
    bool in_value;              /* Inside a value? */
    size_t depth;               /* Open '{' and '[' in the value. */
    bool in_string;             /* Inside a string literal? */
    bool escape;                /* Just after a backslash in a string? */

    /* Queued output: [out_ofs, out_size) not yet sent. */
    char *out;
    size_t out_ofs, out_size, out_alloc;
};

static void jsonrpc_fail(struct jsonrpc *, int status, const char *format,
                         ...) PRINTF_FORMAT(3, 4);

/* Messages. */

static const char *
jsonrpc_msg_type_to_string(enum jsonrpc_msg_type type)
{
    switch (type) {
    case JSONRPC_REQUEST:
        return "request";
    case JSONRPC_NOTIFY:
        return "notification";
    case JSONRPC_REPLY:
        return "reply";
    case JSONRPC_ERROR:
        return "error";
    }
    return "<unknown>";
}

static struct jsonrpc_msg *
jsonrpc_msg_create(enum jsonrpc_msg_type type, const char *method,
                   json_t *params, json_t *result, json_t *error,
                   const json_t *id)
{
    struct jsonrpc_msg *msg = xzalloc(sizeof *msg);
    msg->type = type;
    msg->method = nullable_xstrdup(method);
    msg->params = params;
    msg->result = result;
    msg->error = error;
    msg->id = id ? json_deep_copy(id) : NULL;
    return msg;
}

/* Returns a new id: a per-process counter, so concurrent requests on one
 * connection never share an id. */
static json_t *
jsonrpc_next_id(void)
{
    static atomic_uint next_id;
    return json_integer(atomic_fetch_add(&next_id, 1));
}

struct jsonrpc_msg *
jsonrpc_create_request(const char *method, json_t *params)
{
    json_t *id = jsonrpc_next_id();
    struct jsonrpc_msg *msg = jsonrpc_msg_create(JSONRPC_REQUEST, method,
                                                 params, NULL, NULL, NULL);
    msg->id = id;
    return msg;
}

struct jsonrpc_msg *
jsonrpc_create_notify(const char *method, json_t *params)
{
    return jsonrpc_msg_create(JSONRPC_NOTIFY, method, params, NULL, NULL,
                              NULL);
}

struct jsonrpc_msg *
jsonrpc_create_reply(json_t *result, const json_t *id)
{
    return jsonrpc_msg_create(JSONRPC_REPLY, NULL, NULL, result, NULL, id);
}

struct jsonrpc_msg *
jsonrpc_create_error(json_t *error, const json_t *id)
{
    return jsonrpc_msg_create(JSONRPC_ERROR, NULL, NULL, NULL, error, id);
}

void
jsonrpc_msg_destroy(struct jsonrpc_msg *msg)
{
    if (msg) {
        free(msg->method);
        json_decref(msg->params);
        json_decref(msg->result);
        json_decref(msg->error);
        json_decref(msg->id);
        free(msg);
    }
}

char *
jsonrpc_msg_from_json(const json_t *json, struct jsonrpc_msg **msgp)
{
    static const char *const members[] = {
        "method", "params", "result", "error", "id",
    };

    *msgp = NULL;
    if (!json_is_object(json)) {
        return xstrdup("message is not a JSON object");
    }

    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) json, key, value) {
        size_t i;
        for (i = 0; i < ARRAY_SIZE(members); i++) {
            if (!strcmp(key, members[i])) {
                break;
            }
        }
        if (i >= ARRAY_SIZE(members)) {
            return xasprintf("message has unexpected member \"%s\"", key);
        }
    }

    json_t *method = json_object_get(json, "method");
    json_t *params = json_object_get(json, "params");
    json_t *result = json_object_get(json, "result");
    json_t *error = json_object_get(json, "error");
    json_t *id = json_object_get(json, "id");
    enum jsonrpc_msg_type type;

    if (method) {
        if (!json_is_string(method)) {
            return xstrdup("message has non-string \"method\"");
        }
        type = id && !json_is_null(id) ? JSONRPC_REQUEST : JSONRPC_NOTIFY;
        if (!params) {
            return xasprintf("%s \"%s\" lacks \"params\"",
                             jsonrpc_msg_type_to_string(type),
                             json_string_value(method));
        } else if (!json_is_array(params)) {
            return xasprintf("%s \"%s\" has non-array \"params\"",
                             jsonrpc_msg_type_to_string(type),
                             json_string_value(method));
        } else if (result) {
            return xasprintf("%s \"%s\" has unexpected member \"result\"",
                             jsonrpc_msg_type_to_string(type),
                             json_string_value(method));
        } else if (error && !json_is_null(error)) {
            return xasprintf("%s \"%s\" has unexpected member \"error\"",
                             jsonrpc_msg_type_to_string(type),
                             json_string_value(method));
        }
    } else if (error && !json_is_null(error)) {
        type = JSONRPC_ERROR;
        if (result && !json_is_null(result)) {
            return xstrdup("error has non-null \"result\"");
        }
    } else if (result) {
        type = JSONRPC_REPLY;
    } else {
        return xstrdup("message has none of \"method\", \"result\" or "
                       "non-null \"error\"");
    }
    if (type != JSONRPC_REQUEST && type != JSONRPC_NOTIFY) {
        if (!id) {
            return xasprintf("%s lacks \"id\"",
                             jsonrpc_msg_type_to_string(type));
        } else if (params) {
            return xasprintf("%s has unexpected member \"params\"",
                             jsonrpc_msg_type_to_string(type));
        }
    }

    struct jsonrpc_msg *msg = xzalloc(sizeof *msg);
    msg->type = type;
    switch (type) {
    case JSONRPC_REQUEST:
        msg->id = json_deep_copy(id);
        /* fall through */
    case JSONRPC_NOTIFY:
        msg->method = xstrdup(json_string_value(method));
        msg->params = json_deep_copy(params);
        break;
    case JSONRPC_REPLY:
        msg->result = json_deep_copy(result);
        msg->id = json_deep_copy(id);
        break;
    case JSONRPC_ERROR:
        msg->error = json_deep_copy(error);
        msg->id = json_deep_copy(id);
        break;
    }
    *msgp = msg;
    return NULL;
}

static json_t *
json_or_null(const json_t *json)
{
    return json ? json_deep_copy(json) : json_null();
}

json_t *
jsonrpc_msg_to_json(const struct jsonrpc_msg *msg)
{
    json_t *json = json_object();

    switch (msg->type) {
    case JSONRPC_REQUEST:
    case JSONRPC_NOTIFY:
        json_object_set_new(json, "method",
                            json_string(msg->method ? msg->method : ""));
        json_object_set_new(json, "params",
                            msg->params ? json_deep_copy(msg->params)
                            : json_array());
        json_object_set_new(json, "id",
                            msg->type == JSONRPC_REQUEST
                            ? json_or_null(msg->id) : json_null());
        break;
    case JSONRPC_REPLY:
        json_object_set_new(json, "result", json_or_null(msg->result));
        json_object_set_new(json, "error", json_null());
        json_object_set_new(json, "id", json_or_null(msg->id));
        break;
    case JSONRPC_ERROR:
        /* No "result": ovs-appctl and ovsdb-server expect none. */
        json_object_set_new(json, "error", json_or_null(msg->error));
        json_object_set_new(json, "id", json_or_null(msg->id));
        break;
    }
    return json;
}

/* Connections. */

struct jsonrpc *
jsonrpc_open(struct stream *stream)
{
    struct jsonrpc *rpc = xzalloc(sizeof *rpc);
    rpc->stream = stream;
    rpc->name = xstrdup(stream_get_name(stream));
    rpc->max_size = JSONRPC_DEFAULT_MAX_SIZE;
    return rpc;
}

void
jsonrpc_close(struct jsonrpc *rpc)
{
    if (rpc) {
        stream_close(rpc->stream);
        free(rpc->name);
        free(rpc->error);
        free(rpc->in);
        free(rpc->out);
        free(rpc);
    }
}

void
jsonrpc_set_max_size(struct jsonrpc *rpc, size_t max_size)
{
    rpc->max_size = max_size;
}

/* Marks 'rpc' failed with 'status' (EOF or errno) and the sentence built
 * from 'format' (which the connection name prefixes), and closes its stream.
 * The first failure wins. */
static void
jsonrpc_fail(struct jsonrpc *rpc, int status, const char *format, ...)
{
    if (rpc->status) {
        return;
    }

    va_list args;
    va_start(args, format);
    char *text = xvasprintf(format, args);
    va_end(args);

    rpc->status = status;
    rpc->error = xasprintf("%s: %s", rpc->name, text);
    free(text);
    VLOG_DBG("%s", rpc->error);

    stream_close(rpc->stream);
    rpc->stream = NULL;
    rpc->out_ofs = rpc->out_size = 0;
}

void
jsonrpc_run(struct jsonrpc *rpc)
{
    if (rpc->status) {
        return;
    }
    while (rpc->out_ofs < rpc->out_size) {
        ssize_t n = stream_send(rpc->stream, rpc->out + rpc->out_ofs,
                                rpc->out_size - rpc->out_ofs);
        if (n > 0) {
            rpc->out_ofs += n;
        } else if (n == -EAGAIN || n == 0) {
            break;
        } else {
            jsonrpc_fail(rpc, -n, "send failed (%s)", ovs_strerror(-n));
            return;
        }
    }
    if (rpc->out_ofs >= rpc->out_size) {
        rpc->out_ofs = rpc->out_size = 0;
    }
}

void
jsonrpc_wait(struct jsonrpc *rpc)
{
    if (!rpc->status && rpc->out_ofs < rpc->out_size) {
        stream_send_wait(rpc->stream);
    }
}

int
jsonrpc_get_status(const struct jsonrpc *rpc)
{
    return rpc->status;
}

const char *
jsonrpc_get_error(const struct jsonrpc *rpc)
{
    return rpc->error;
}

size_t
jsonrpc_get_backlog(const struct jsonrpc *rpc)
{
    return rpc->out_size - rpc->out_ofs;
}

const char *
jsonrpc_get_name(const struct jsonrpc *rpc)
{
    return rpc->name;
}

int
jsonrpc_send(struct jsonrpc *rpc, struct jsonrpc_msg *msg)
{
    if (rpc->status) {
        jsonrpc_msg_destroy(msg);
        return rpc->status;
    }

    json_t *json = jsonrpc_msg_to_json(msg);
    char *s = json_dumps(json, JSON_COMPACT);
    size_t len = strlen(s);
    if (VLOG_IS_DBG_ENABLED()) {
        VLOG_DBG("%s: send %s", rpc->name, s);
    }
    json_decref(json);
    jsonrpc_msg_destroy(msg);

    if (rpc->out_ofs > 0 && rpc->out_ofs == rpc->out_size) {
        rpc->out_ofs = rpc->out_size = 0;
    }
    while (rpc->out_size + len > rpc->out_alloc) {
        rpc->out = x2nrealloc(rpc->out, &rpc->out_alloc, 1);
    }
    memcpy(rpc->out + rpc->out_size, s, len);
    rpc->out_size += len;
    free(s);

    jsonrpc_run(rpc);
    return rpc->status;
}

/* Scans received bytes for the end of the next complete JSON value.  Returns
 * true with [value_start, scan_ofs) holding one, false if more bytes are
 * needed or the input is bad ('rpc' then failed). */
static bool
jsonrpc_scan(struct jsonrpc *rpc)
{
    while (rpc->scan_ofs < rpc->in_size) {
        unsigned char c = rpc->in[rpc->scan_ofs++];

        if (!rpc->in_value) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                rpc->in_ofs = rpc->scan_ofs;
                continue;
            } else if (c != '{' && c != '[') {
                char what[16];
                if (c >= 0x20 && c < 0x7f) {
                    snprintf(what, sizeof what, "'%c'", c);
                } else {
                    snprintf(what, sizeof what, "byte 0x%02x", c);
                }
                jsonrpc_fail(rpc, EPROTO, "received malformed JSON: "
                             "unexpected %s where a message should begin "
                             "(a message is a JSON object)", what);
                return false;
            }
            rpc->in_value = true;
            rpc->value_start = rpc->scan_ofs - 1;
            rpc->depth = 1;
            rpc->in_string = rpc->escape = false;
        } else if (rpc->in_string) {
            if (rpc->escape) {
                rpc->escape = false;
            } else if (c == '\\') {
                rpc->escape = true;
            } else if (c == '"') {
                rpc->in_string = false;
            }
        } else if (c == '"') {
            rpc->in_string = true;
        } else if (c == '{' || c == '[') {
            rpc->depth++;
        } else if (c == '}' || c == ']') {
            if (!--rpc->depth) {
                rpc->in_value = false;
                if (rpc->scan_ofs - rpc->value_start > rpc->max_size) {
                    goto too_big;
                }
                return true;
            }
        }
    }
    if (rpc->in_value && rpc->scan_ofs - rpc->value_start > rpc->max_size) {
        goto too_big;
    }
    return false;

too_big:
    jsonrpc_fail(rpc, EPROTO, "received message larger than %zu bytes",
                 rpc->max_size);
    return false;
}

/* Parses the complete value the scanner found and consumes it.  Returns 0
 * with a message or the connection's new error. */
static int
jsonrpc_parse_value(struct jsonrpc *rpc, struct jsonrpc_msg **msgp)
{
    const char *start = rpc->in + rpc->value_start;
    size_t size = rpc->scan_ofs - rpc->value_start;
    json_error_t jerror;

    json_t *json = json_loadb(start, size, 0, &jerror);
    if (VLOG_IS_DBG_ENABLED()) {
        VLOG_DBG("%s: received %.*s", rpc->name, (int) MIN(size, INT_MAX),
                 start);
    }
    rpc->in_ofs = rpc->scan_ofs;
    if (!json) {
        jsonrpc_fail(rpc, EPROTO, "received malformed JSON: %s "
                     "(message line %d, column %d)",
                     jerror.text, jerror.line, jerror.column);
        return rpc->status;
    }

    char *error = jsonrpc_msg_from_json(json, msgp);
    json_decref(json);
    if (error) {
        jsonrpc_fail(rpc, EPROTO, "received bad JSON-RPC message: %s",
                     error);
        free(error);
        return rpc->status;
    }
    return 0;
}

int
jsonrpc_recv(struct jsonrpc *rpc, struct jsonrpc_msg **msgp)
{
    *msgp = NULL;
    if (rpc->status) {
        return rpc->status;
    }

    for (int i = 0; i < 50; i++) {
        if (jsonrpc_scan(rpc)) {
            return jsonrpc_parse_value(rpc, msgp);
        } else if (rpc->status) {
            return rpc->status;
        }

        /* Drop what was consumed, then read more. */
        if (rpc->in_ofs > 0) {
            memmove(rpc->in, rpc->in + rpc->in_ofs,
                    rpc->in_size - rpc->in_ofs);
            rpc->in_size -= rpc->in_ofs;
            rpc->scan_ofs -= rpc->in_ofs;
            rpc->value_start -= MIN(rpc->value_start, rpc->in_ofs);
            rpc->in_ofs = 0;
        }
        while (rpc->in_alloc - rpc->in_size < JSONRPC_RECV_CHUNK) {
            rpc->in = x2nrealloc(rpc->in, &rpc->in_alloc, 1);
        }
        ssize_t n = stream_recv(rpc->stream, rpc->in + rpc->in_size,
                                rpc->in_alloc - rpc->in_size);
        if (n > 0) {
            rpc->in_size += n;
        } else if (n == -EAGAIN) {
            return EAGAIN;
        } else if (n == 0) {
            if (rpc->in_value) {
                jsonrpc_fail(rpc, EPROTO, "connection closed in the middle "
                             "of a message");
            } else {
                jsonrpc_fail(rpc, EOF, "connection closed by peer");
            }
            return rpc->status;
        } else {
            jsonrpc_fail(rpc, -n, "receive failed (%s)", ovs_strerror(-n));
            return rpc->status;
        }
    }
    /* Let other work run; jsonrpc_recv_wait() wakes at once. */
    return EAGAIN;
}

void
jsonrpc_recv_wait(struct jsonrpc *rpc)
{
    if (rpc->status || rpc->scan_ofs < rpc->in_size) {
        poll_immediate_wake();
    } else {
        stream_recv_wait(rpc->stream);
    }
}

/* Blocking helpers. */

static long long int
jsonrpc_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? LLONG_MAX : time_msec() + timeout_ms;
}

static void
jsonrpc_block(long long int deadline)
{
    if (deadline != LLONG_MAX) {
        poll_timer_wait_until(deadline);
    }
    poll_block();
}

int
jsonrpc_send_block(struct jsonrpc *rpc, struct jsonrpc_msg *msg,
                   int timeout_ms)
{
    long long int deadline = jsonrpc_deadline(timeout_ms);
    int error = jsonrpc_send(rpc, msg);
    if (error) {
        return error;
    }
    for (;;) {
        jsonrpc_run(rpc);
        if (rpc->status) {
            return rpc->status;
        } else if (!jsonrpc_get_backlog(rpc)) {
            return 0;
        } else if (time_msec() >= deadline) {
            return ETIMEDOUT;
        }
        jsonrpc_wait(rpc);
        jsonrpc_block(deadline);
    }
}

int
jsonrpc_recv_block(struct jsonrpc *rpc, struct jsonrpc_msg **msgp,
                   int timeout_ms)
{
    long long int deadline = jsonrpc_deadline(timeout_ms);
    for (;;) {
        int error = jsonrpc_recv(rpc, msgp);
        if (error != EAGAIN) {
            return error;
        } else if (time_msec() >= deadline) {
            return ETIMEDOUT;
        }
        jsonrpc_run(rpc);
        jsonrpc_wait(rpc);
        jsonrpc_recv_wait(rpc);
        jsonrpc_block(deadline);
    }
}

int
jsonrpc_transact_block(struct jsonrpc *rpc, struct jsonrpc_msg *request,
                       struct jsonrpc_msg **replyp, int timeout_ms)
{
    long long int deadline = jsonrpc_deadline(timeout_ms);
    json_t *id = json_incref(request->id);
    int error;

    *replyp = NULL;
    error = jsonrpc_send_block(rpc, request, timeout_ms);
    while (!error) {
        long long int now = time_msec();
        int left = (deadline == LLONG_MAX ? -1
                    : deadline <= now ? 0
                    : deadline - now > INT_MAX ? INT_MAX
                    : (int) (deadline - now));
        struct jsonrpc_msg *msg;

        error = jsonrpc_recv_block(rpc, &msg, left);
        if (error) {
            break;
        }
        if ((msg->type == JSONRPC_REPLY || msg->type == JSONRPC_ERROR)
            && json_equal(msg->id, id)) {
            *replyp = msg;
            break;
        } else if (msg->type == JSONRPC_REQUEST
                   && !strcmp(msg->method, "echo")) {
            error = jsonrpc_send(rpc, jsonrpc_create_reply(
                                     json_incref(msg->params), msg->id));
        }
        jsonrpc_msg_destroy(msg);
    }
    json_decref(id);
    return error;
}
