/* An OVSDB (RFC 7047) client: connection state machine, replica and
 * transactions. */
#include <config.h>
#include "ovsdb-client.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "poll-loop.h"
#include "stream.h"
#include "util.h"
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(ovsdb_client);

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 8000
#define PROBE_INTERVAL_MS 5000

/* Where a connected client is in its synchronization. */
enum sync_phase {
    SYNC_SCHEMA,                /* Waiting for the get_schema reply. */
    SYNC_MONITOR_COND,          /* Waiting for the monitor_cond reply. */
    SYNC_MONITOR,               /* Waiting for the plain monitor reply. */
    SYNC_DONE,                  /* Replica complete. */
};

struct ovsdb_client_txn {
    struct ovsdb_client *client; /* NULL once answered or orphaned. */
    struct ovsdb_client_txn *prev, *next; /* In client's 'txns'. */
    json_t *ops;                /* The operations, for error sentences. */
    json_t *id;                 /* Request id once sent, else NULL. */
    enum ovsdb_txn_status status;
    json_t *result;             /* On success. */
    char *error;                /* On TRY_AGAIN or ERROR. */
};

struct ovsdb_client {
    char *remote;
    char *db;
    json_t *tables;             /* {TABLE: [COLUMN...] or null (all)}. */

    enum ovsdb_client_state state;
    struct stream *stream;      /* Connecting, before 'rpc' exists. */
    struct jsonrpc *rpc;        /* Connected. */
    bool is_tcp;
    enum sync_phase phase;
    json_t *request_id;         /* The sync request awaiting a reply. */

    json_t *schema;             /* The server's schema of 'db', or NULL. */
    json_t *replica;            /* {TABLE: {UUID: {COLUMN: VALUE}}}. */

    char *last_error;
    int last_errno;
    unsigned int n_failures;    /* Failed attempts and lost connections. */
    unsigned int seqno;
    unsigned int n_connects;

    long long int backoff;      /* Next wait before reconnecting, in ms. */
    long long int next_attempt; /* When to connect next (time_msec()). */
    long long int last_activity; /* Last message received. */
    long long int probe_sent;   /* When the echo probe left, or 0. */

    struct ovsdb_client_txn txns; /* Pending transactions (list head). */
};

static void ovsdb_client_fail(struct ovsdb_client *, int error,
                              const char *format, ...) PRINTF_FORMAT(3, 4);
static void ovsdb_client_txn_finish(struct ovsdb_client_txn *,
                                    enum ovsdb_txn_status, json_t *result,
                                    char *error);

struct ovsdb_client *
ovsdb_client_create(const char *remote, const char *db)
{
    struct ovsdb_client *c = xzalloc(sizeof *c);
    c->remote = xstrdup(remote);
    c->db = xstrdup(db);
    c->tables = json_object();
    c->replica = json_object();
    c->state = OVSDB_CLIENT_CONNECTING;
    c->backoff = BACKOFF_MIN_MS;
    c->next_attempt = LLONG_MIN;
    c->txns.prev = c->txns.next = &c->txns;
    return c;
}

static void
ovsdb_client_disconnect(struct ovsdb_client *c)
{
    stream_close(c->stream);
    c->stream = NULL;
    jsonrpc_close(c->rpc);
    c->rpc = NULL;
    json_decref(c->request_id);
    c->request_id = NULL;
    c->probe_sent = 0;
}

void
ovsdb_client_destroy(struct ovsdb_client *c)
{
    if (!c) {
        return;
    }
    while (c->txns.next != &c->txns) {
        ovsdb_client_txn_finish(c->txns.next, OVSDB_TXN_ERROR, NULL,
                                xasprintf("client of %s destroyed before the "
                                          "transaction completed",
                                          c->remote));
    }
    ovsdb_client_disconnect(c);
    json_decref(c->tables);
    json_decref(c->schema);
    json_decref(c->replica);
    free(c->last_error);
    free(c->remote);
    free(c->db);
    free(c);
}

void
ovsdb_client_add_table(struct ovsdb_client *c, const char *table,
                       const char *const *columns)
{
    json_t *cols = json_null();
    if (columns) {
        cols = json_array();
        for (size_t i = 0; columns[i]; i++) {
            json_array_append_new(cols, json_string(columns[i]));
        }
    }
    json_object_set_new(c->tables, table, cols);
    if (!json_object_get(c->replica, table)) {
        json_object_set_new(c->replica, table, json_object());
    }
    if (c->state != OVSDB_CLIENT_CONNECTING) {
        /* Monitoring is set up per connection: start over. */
        ovsdb_client_force_reconnect(c);
    }
}

static void
ovsdb_client_set_state(struct ovsdb_client *c, enum ovsdb_client_state state)
{
    if (c->state != state) {
        VLOG_DBG("%s: %s -> %s", c->remote, ovsdb_client_state_name(c->state),
                 ovsdb_client_state_name(state));
        c->state = state;
        c->seqno++;
    }
}

/* Drops the connection (or the attempt) because of 'error' (a positive errno
 * or EOF), explained by the sentence from 'format', fails the transactions
 * in flight and schedules a reconnect after the backoff. */
static void
ovsdb_client_fail(struct ovsdb_client *c, int error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    free(c->last_error);
    c->last_error = xvasprintf(format, args);
    va_end(args);
    c->last_errno = error == EOF ? ECONNRESET : error;
    c->n_failures++;
    VLOG_DBG("%s", c->last_error);

    bool was_connected = c->rpc != NULL;
    ovsdb_client_disconnect(c);
    if (was_connected) {
        struct ovsdb_client_txn *txn, *next;
        for (txn = c->txns.next; txn != &c->txns; txn = next) {
            next = txn->next;
            if (txn->id) {
                ovsdb_client_txn_finish(
                    txn, OVSDB_TXN_ERROR, NULL,
                    xasprintf("connection to %s lost", c->remote));
            }
        }
    }

    ovsdb_client_set_state(c, OVSDB_CLIENT_CONNECTING);
    c->next_attempt = time_msec() + c->backoff;
    c->backoff = MIN(c->backoff * 2, BACKOFF_MAX_MS);
    c->seqno++;
}

void
ovsdb_client_force_reconnect(struct ovsdb_client *c)
{
    if (c->rpc || c->stream) {
        ovsdb_client_fail(c, ECONNRESET, "connection to %s dropped on request",
                          c->remote);
    }
}

/* Sends a request for the current sync phase, remembering its id. */
static void
ovsdb_client_send_sync(struct ovsdb_client *c, struct jsonrpc_msg *request)
{
    json_decref(c->request_id);
    c->request_id = json_incref(request->id);
    jsonrpc_send(c->rpc, request);
}

/* Returns the columns of 'table' in the schema, or NULL. */
static const json_t *
schema_columns(const json_t *schema, const char *table)
{
    const json_t *ts = json_object_get(json_object_get(schema, "tables"),
                                       table);
    return json_object_get(ts, "columns");
}

/* Sends "monitor_cond" (or plain "monitor" if 'cond' is false) for the
 * added tables. */
static void
ovsdb_client_send_monitor(struct ovsdb_client *c, bool cond)
{
    json_t *requests = json_object();
    const char *table;
    json_t *cols;

    json_object_foreach (c->tables, table, cols) {
        json_t *req = json_object();
        if (json_is_array(cols)) {
            json_object_set(req, "columns", cols);
        }
        json_object_set_new(requests, table,
                            cond ? json_pack("[o]", req) : req);
    }
    json_t *params = json_pack("[s, s, o]", c->db, c->db, requests);
    c->phase = cond ? SYNC_MONITOR_COND : SYNC_MONITOR;
    ovsdb_client_send_sync(c, jsonrpc_create_request(
                               cond ? "monitor_cond" : "monitor", params));
}

/* Formats the JSON-RPC 'error' (a string or an {"error", "details"}
 * object) as "ERROR: DETAILS". */
static char *
format_rpc_error(const json_t *error)
{
    if (json_is_string(error)) {
        return xstrdup(json_string_value(error));
    }
    const char *e = json_string_value(json_object_get(error, "error"));
    const char *d = json_string_value(json_object_get(error, "details"));
    if (!e) {
        char *s = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
        char *msg = xstrdup(s ? s : "unknown error");
        free(s);
        return msg;
    }
    return d ? xasprintf("%s: %s", e, d) : xstrdup(e);
}

/* Values. */

/* Parses a column type (RFC 7047 <type>) into its key type, whether it has a
 * value (a map), and min. */
static void
parse_type(const json_t *type, const char **key, bool *is_map, int *min)
{
    *key = NULL;
    *is_map = false;
    *min = 1;
    if (json_is_string(type)) {
        *key = json_string_value(type);
        return;
    }
    const json_t *k = json_object_get(type, "key");
    *key = json_is_string(k) ? json_string_value(k)
        : json_string_value(json_object_get(k, "type"));
    *is_map = json_object_get(type, "value") != NULL;
    const json_t *m = json_object_get(type, "min");
    if (json_is_integer(m)) {
        *min = json_integer_value(m);
    }
}

/* Returns the default value of a column of 'type', as the server sends it. */
static json_t *
default_value(const json_t *type)
{
    const char *key;
    bool is_map;
    int min;

    parse_type(type, &key, &is_map, &min);
    if (is_map) {
        return json_pack("[s, []]", "map");
    } else if (min == 0) {
        return json_pack("[s, []]", "set");
    } else if (!key) {
        return json_null();
    } else if (!strcmp(key, "integer")) {
        return json_integer(0);
    } else if (!strcmp(key, "real")) {
        return json_real(0.0);
    } else if (!strcmp(key, "boolean")) {
        return json_false();
    } else if (!strcmp(key, "uuid")) {
        return json_pack("[s, s]", "uuid",
                         "00000000-0000-0000-0000-000000000000");
    }
    return json_string("");
}

/* True if 'type' is a set type that can hold more than one atom: its
 * update2 diffs are symmetric differences.  ovsdb-server sends a column of
 * at most one atom (an optional value) whole, as the new value.  Maps are
 * handled apart. */
static bool
type_is_set(const json_t *type)
{
    if (json_is_string(type)) {
        return false;
    }
    const json_t *max = json_object_get(type, "max");
    return max && (!json_is_integer(max) || json_integer_value(max) != 1);
}

/* Orders atoms as ovsdb-server sends them: numbers by value, strings and
 * uuids by bytes. */
static int
atom_compare(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        if (json_is_integer(a) && json_is_integer(b)) {
            json_int_t i = json_integer_value(a), j = json_integer_value(b);
            return i < j ? -1 : i > j;
        }
        return x < y ? -1 : x > y;
    } else if (json_is_boolean(a) && json_is_boolean(b)) {
        return json_is_true(a) - json_is_true(b);
    } else if (json_is_string(a) && json_is_string(b)) {
        return strcmp(json_string_value(a), json_string_value(b));
    } else if (json_is_array(a) && json_is_array(b)) {
        const char *x = json_string_value(json_array_get(a, 1));
        const char *y = json_string_value(json_array_get(b, 1));
        return strcmp(x ? x : "", y ? y : "");
    }
    return json_typeof(a) - json_typeof(b);
}

static int
atom_qsort_compare(const void *a_, const void *b_)
{
    const json_t *const *a = a_;
    const json_t *const *b = b_;
    return atom_compare(*a, *b);
}

static int
pair_qsort_compare(const void *a_, const void *b_)
{
    const json_t *const *a = a_;
    const json_t *const *b = b_;
    return atom_compare(json_array_get(*a, 0), json_array_get(*b, 0));
}

/* Returns a new array of the elements of set 'value' (a bare atom or
 * ["set", [...]]). */
static json_t *
set_elements(const json_t *value)
{
    if (json_is_array(value) && json_array_size(value) == 2
        && json_is_string(json_array_get(value, 0))
        && !strcmp(json_string_value(json_array_get(value, 0)), "set")) {
        return json_deep_copy(json_array_get(value, 1));
    }
    return json_pack("[O]", value);
}

/* Returns a new array of the [key, value] pairs of map 'value'. */
static json_t *
map_pairs(const json_t *value)
{
    const json_t *pairs = json_array_get(value, 1);
    return json_is_array(pairs) ? json_deep_copy(pairs) : json_array();
}

/* Sorts 'array' (stolen) with 'cmp' and returns it as a set or map value in
 * the server's notation: a one-element set is the bare atom. */
static json_t *
make_collection(json_t *array, bool is_map)
{
    size_t n = json_array_size(array);
    json_t **items = xcalloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i] = json_incref(json_array_get(array, i));
    }
    qsort(items, n, sizeof *items,
          is_map ? pair_qsort_compare : atom_qsort_compare);
    json_array_clear(array);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(array, items[i]);
    }
    free(items);

    if (!is_map && n == 1) {
        json_t *atom = json_incref(json_array_get(array, 0));
        json_decref(array);
        return atom;
    }
    return json_pack("[s, o]", is_map ? "map" : "set", array);
}

/* Applies an update2 "modify" diff to one column: for sets of more than one
 * atom the symmetric difference; for maps, a pair equal to the old one deletes it, a different
 * value replaces it, a new key adds it; scalars are replaced.  Returns the
 * new value. */
static json_t *
apply_diff(const json_t *type, const json_t *old, const json_t *diff)
{
    bool is_map = json_is_object(type) && json_object_get(type, "value");

    if (is_map) {
        json_t *pairs = old ? map_pairs(old) : json_array();
        json_t *dpairs = map_pairs(diff);
        size_t i;
        json_t *dp;
        json_array_foreach (dpairs, i, dp) {
            const json_t *key = json_array_get(dp, 0);
            size_t j;
            json_t *p;
            bool found = false;
            json_array_foreach (pairs, j, p) {
                if (json_equal(json_array_get(p, 0), key)) {
                    if (json_equal(p, dp)) {
                        json_array_remove(pairs, j);
                    } else {
                        json_array_set(pairs, j, dp);
                    }
                    found = true;
                    break;
                }
            }
            if (!found) {
                json_array_append(pairs, dp);
            }
        }
        json_decref(dpairs);
        return make_collection(pairs, true);
    } else if (type_is_set(type)) {
        json_t *elems = old ? set_elements(old) : json_array();
        json_t *delems = set_elements(diff);
        size_t i;
        json_t *d;
        json_array_foreach (delems, i, d) {
            size_t j;
            json_t *e;
            bool found = false;
            json_array_foreach (elems, j, e) {
                if (json_equal(e, d)) {
                    json_array_remove(elems, j);
                    found = true;
                    break;
                }
            }
            if (!found) {
                json_array_append(elems, d);
            }
        }
        json_decref(delems);
        return make_collection(elems, false);
    }
    return json_deep_copy(diff);
}

/* Returns a new row from 'new' (a <row> from the server) with the columns it
 * omits (update2 leaves out default values) filled in with their defaults,
 * for the monitored columns of 'table'. */
static json_t *
complete_row(const struct ovsdb_client *c, const char *table,
             const json_t *new)
{
    json_t *row = json_is_object(new) ? json_deep_copy(new) : json_object();
    const json_t *columns = schema_columns(c->schema, table);
    const json_t *monitored = json_object_get(c->tables, table);
    const char *name;
    json_t *column;

    json_object_foreach ((json_t *) columns, name, column) {
        if (json_is_array(monitored)) {
            size_t i;
            json_t *m;
            bool wanted = false;
            json_array_foreach (monitored, i, m) {
                if (!strcmp(json_string_value(m), name)) {
                    wanted = true;
                    break;
                }
            }
            if (!wanted) {
                continue;
            }
        }
        if (!json_object_get(row, name)) {
            json_object_set_new(row, name,
                                default_value(json_object_get(column,
                                                              "type")));
        }
    }
    return row;
}

/* Applies 'updates' ("update" notation when '!update2', else "update2") to
 * 'replica'. */
static void
apply_updates(struct ovsdb_client *c, json_t *replica, const json_t *updates,
              bool update2)
{
    const char *table;
    json_t *rows;

    json_object_foreach ((json_t *) updates, table, rows) {
        json_t *trows = json_object_get(replica, table);
        if (!trows || !json_is_object(rows)) {
            continue;
        }
        const json_t *columns = schema_columns(c->schema, table);
        const char *uuid;
        json_t *update;
        json_object_foreach (rows, uuid, update) {
            const json_t *v;
            if (!update2) {
                v = json_object_get(update, "new");
                if (v) {
                    json_object_set_new(trows, uuid,
                                        complete_row(c, table, v));
                } else {
                    json_object_del(trows, uuid);
                }
            } else if ((v = json_object_get(update, "initial"))
                       || (v = json_object_get(update, "insert"))) {
                json_object_set_new(trows, uuid, complete_row(c, table, v));
            } else if (json_object_get(update, "delete")) {
                json_object_del(trows, uuid);
            } else if ((v = json_object_get(update, "modify"))) {
                json_t *old = json_object_get(trows, uuid);
                json_t *row = complete_row(c, table, old);
                const char *name;
                json_t *diff;
                json_object_foreach ((json_t *) v, name, diff) {
                    const json_t *type = json_object_get(
                        json_object_get(columns, name), "type");
                    json_object_set_new(row, name,
                                        apply_diff(type,
                                                   json_object_get(row, name),
                                                   diff));
                }
                json_object_set_new(trows, uuid, row);
            }
        }
    }
}

/* Replaces the replica with the monitor reply's initial contents. */
static void
ovsdb_client_load_initial(struct ovsdb_client *c, const json_t *result,
                          bool update2)
{
    json_t *replica = json_object();
    const char *table;
    json_t *cols;

    json_object_foreach (c->tables, table, cols) {
        json_object_set_new(replica, table, json_object());
    }
    apply_updates(c, replica, result, update2);
    json_decref(c->replica);
    c->replica = replica;
    c->seqno++;
}

/* Transactions. */

/* Sentence for the failure of operation 'i' of 'txn': its index, op, table,
 * the row's name, and the server's error and details. */
static char *
format_op_error(const struct ovsdb_client *c, const json_t *ops, size_t i,
                const json_t *error)
{
    const json_t *op = json_array_get(ops, i);
    const char *opname = json_string_value(json_object_get(op, "op"));
    const char *table = json_string_value(json_object_get(op, "table"));
    const json_t *name = json_object_get(json_object_get(op, "row"),
                                         "name");
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "%s: operation %zu (%s", c->remote, i,
                  opname ? opname : "?");
    if (table) {
        ds_put_format(&s, " %s", table);
    }
    if (json_is_string(name)) {
        ds_put_format(&s, " \"%s\"", json_string_value(name));
    }
    ds_put_cstr(&s, ") failed: ");
    char *text = format_rpc_error(error);
    ds_put_cstr(&s, text);
    free(text);
    return ds_steal_cstr(&s);
}

static void
ovsdb_client_txn_finish(struct ovsdb_client_txn *txn,
                        enum ovsdb_txn_status status, json_t *result,
                        char *error)
{
    if (txn->client) {
        txn->prev->next = txn->next;
        txn->next->prev = txn->prev;
        txn->prev = txn->next = NULL;
        txn->client = NULL;
    }
    txn->status = status;
    txn->result = result;
    txn->error = error;
}

static void
ovsdb_client_txn_reply(struct ovsdb_client *c, struct ovsdb_client_txn *txn,
                       const struct jsonrpc_msg *reply)
{
    if (reply->type == JSONRPC_ERROR) {
        char *text = format_rpc_error(reply->error);
        ovsdb_client_txn_finish(txn, OVSDB_TXN_ERROR, NULL,
                                xasprintf("%s: transaction rejected: %s",
                                          c->remote, text));
        free(text);
        return;
    }

    const json_t *result = reply->result;
    if (!json_is_array(result)) {
        ovsdb_client_txn_finish(txn, OVSDB_TXN_ERROR, NULL,
                                xasprintf("%s: transaction reply is not an "
                                          "array", c->remote));
        return;
    }

    size_t n_ops = json_array_size(txn->ops);
    for (size_t i = 0; i < n_ops && i < json_array_size(result); i++) {
        const json_t *r = json_array_get(result, i);
        const json_t *error = json_object_get(r, "error");
        const char *opname = json_string_value(
            json_object_get(json_array_get(txn->ops, i), "op"));
        if (error && json_is_string(error)
            && !strcmp(json_string_value(error), "timed out")
            && opname && !strcmp(opname, "wait")) {
            ovsdb_client_txn_finish(txn, OVSDB_TXN_TRY_AGAIN, NULL,
                                    format_op_error(c, txn->ops, i, r));
            return;
        }
    }
    for (size_t i = 0; i < n_ops && i < json_array_size(result); i++) {
        const json_t *r = json_array_get(result, i);
        if (json_object_get(r, "error")) {
            ovsdb_client_txn_finish(txn, OVSDB_TXN_ERROR, NULL,
                                    format_op_error(c, txn->ops, i, r));
            return;
        }
    }
    if (json_array_size(result) > n_ops) {
        const json_t *r = json_array_get(result, n_ops);
        char *text = format_rpc_error(r);
        ovsdb_client_txn_finish(txn, OVSDB_TXN_ERROR, NULL,
                                xasprintf("%s: transaction commit failed: %s",
                                          c->remote, text));
        free(text);
        return;
    }
    ovsdb_client_txn_finish(txn, OVSDB_TXN_SUCCESS, json_deep_copy(result),
                            NULL);
}

static void
ovsdb_client_send_txn(struct ovsdb_client *c, struct ovsdb_client_txn *txn)
{
    json_t *params = json_array();
    json_array_append_new(params, json_string(c->db));
    json_array_extend(params, txn->ops);
    struct jsonrpc_msg *request = jsonrpc_create_request("transact", params);
    txn->id = json_incref(request->id);
    jsonrpc_send(c->rpc, request);
}

/* The state machine. */

static void
ovsdb_client_handle_sync_reply(struct ovsdb_client *c,
                               const struct jsonrpc_msg *msg)
{
    if (c->phase == SYNC_SCHEMA) {
        if (msg->type == JSONRPC_ERROR) {
            char *text = format_rpc_error(msg->error);
            ovsdb_client_fail(c, ENOENT, "%s: cannot get the schema of "
                              "database %s: %s", c->remote, c->db, text);
            free(text);
            return;
        }
        json_decref(c->schema);
        c->schema = json_incref(msg->result);

        const char *table;
        json_t *cols;
        json_object_foreach (c->tables, table, cols) {
            if (!json_object_get(json_object_get(c->schema, "tables"),
                                 table)) {
                ovsdb_client_fail(c, ENOENT, "%s: database %s has no table "
                                  "%s", c->remote, c->db, table);
                return;
            }
        }
        ovsdb_client_send_monitor(c, true);
    } else if (c->phase == SYNC_MONITOR_COND || c->phase == SYNC_MONITOR) {
        bool cond = c->phase == SYNC_MONITOR_COND;
        if (msg->type == JSONRPC_ERROR) {
            if (cond) {
                VLOG_DBG("%s: monitor_cond rejected, using monitor",
                         c->remote);
                ovsdb_client_send_monitor(c, false);
                return;
            }
            char *text = format_rpc_error(msg->error);
            ovsdb_client_fail(c, EPROTO, "%s: cannot monitor database %s: "
                              "%s", c->remote, c->db, text);
            free(text);
            return;
        }
        ovsdb_client_load_initial(c, msg->result, cond);
        json_decref(c->request_id);
        c->request_id = NULL;
        c->phase = SYNC_DONE;
        c->backoff = BACKOFF_MIN_MS;
        ovsdb_client_set_state(c, OVSDB_CLIENT_READY);

        struct ovsdb_client_txn *txn;
        for (txn = c->txns.next; txn != &c->txns; txn = txn->next) {
            if (!txn->id) {
                ovsdb_client_send_txn(c, txn);
            }
        }
    }
}

static void
ovsdb_client_handle_msg(struct ovsdb_client *c, const struct jsonrpc_msg *msg)
{
    if (msg->type == JSONRPC_REQUEST) {
        if (!strcmp(msg->method, "echo")) {
            jsonrpc_send(c->rpc, jsonrpc_create_reply(
                             json_deep_copy(msg->params), msg->id));
        } else {
            jsonrpc_send(c->rpc, jsonrpc_create_error(
                             json_string("unknown method"), msg->id));
        }
    } else if (msg->type == JSONRPC_NOTIFY) {
        bool update2 = !strcmp(msg->method, "update2");
        if ((update2 || !strcmp(msg->method, "update"))
            && c->phase == SYNC_DONE) {
            apply_updates(c, c->replica, json_array_get(msg->params, 1),
                          update2);
            c->seqno++;
        } else if (!strcmp(msg->method, "monitor_canceled")) {
            ovsdb_client_fail(c, ECONNRESET, "%s: the server canceled the "
                              "monitor of database %s", c->remote, c->db);
        }
    } else if (c->request_id && json_equal(msg->id, c->request_id)) {
        ovsdb_client_handle_sync_reply(c, msg);
    } else {
        struct ovsdb_client_txn *txn;
        for (txn = c->txns.next; txn != &c->txns; txn = txn->next) {
            if (txn->id && json_equal(txn->id, msg->id)) {
                ovsdb_client_txn_reply(c, txn, msg);
                c->seqno++;
                break;
            }
        }
    }
}

static void
ovsdb_client_connected(struct ovsdb_client *c)
{
    c->rpc = jsonrpc_open(c->stream);
    c->stream = NULL;
    c->n_connects++;
    c->last_activity = time_msec();
    c->probe_sent = 0;
    ovsdb_client_set_state(c, OVSDB_CLIENT_SYNCING);
    c->phase = SYNC_SCHEMA;
    ovsdb_client_send_sync(c, jsonrpc_create_request(
                               "get_schema", json_pack("[s]", c->db)));
}

void
ovsdb_client_run(struct ovsdb_client *c)
{
    long long int now = time_msec();

    if (!c->rpc && !c->stream && now >= c->next_attempt) {
        char *error = stream_verify_name(c->remote);
        if (error) {
            ovsdb_client_fail(c, EINVAL, "%s", error);
            free(error);
            return;
        }
        int retval = stream_open(c->remote, &c->stream);
        if (retval) {
            ovsdb_client_fail(c, retval, "cannot connect to %s: %s",
                              c->remote, ovs_strerror(retval));
            return;
        }
        c->is_tcp = stream_is_tcp(c->stream);
    }

    if (c->stream) {
        int retval = stream_connect(c->stream);
        if (retval == EAGAIN) {
            return;
        } else if (retval) {
            ovsdb_client_fail(c, retval, "cannot connect to %s: %s",
                              c->remote, ovs_strerror(retval));
            return;
        }
        ovsdb_client_connected(c);
    }

    if (!c->rpc) {
        return;
    }
    jsonrpc_run(c->rpc);
    for (int i = 0; c->rpc && i < 50; i++) {
        struct jsonrpc_msg *msg;
        int retval = jsonrpc_recv(c->rpc, &msg);
        if (retval == EAGAIN) {
            break;
        } else if (retval) {
            const char *why = jsonrpc_get_error(c->rpc);
            ovsdb_client_fail(c, retval, "%s",
                              why ? why : ovs_strerror(retval));
            return;
        }
        c->last_activity = time_msec();
        c->probe_sent = 0;
        ovsdb_client_handle_msg(c, msg);
        jsonrpc_msg_destroy(msg);
    }
    if (!c->rpc) {
        return;
    }
    if (jsonrpc_get_status(c->rpc)) {
        const char *why = jsonrpc_get_error(c->rpc);
        ovsdb_client_fail(c, jsonrpc_get_status(c->rpc), "%s",
                          why ? why : "connection failed");
        return;
    }

    /* Probe an idle tcp server; drop it if it stays silent. */
    if (c->is_tcp) {
        now = time_msec();
        if (c->probe_sent && now >= c->probe_sent + PROBE_INTERVAL_MS) {
            ovsdb_client_fail(c, ETIMEDOUT, "%s: no response to inactivity "
                              "probe after %d seconds, disconnecting",
                              c->remote, PROBE_INTERVAL_MS / 1000);
        } else if (!c->probe_sent
                   && now >= c->last_activity + PROBE_INTERVAL_MS) {
            jsonrpc_send(c->rpc, jsonrpc_create_request("echo",
                                                        json_array()));
            c->probe_sent = now;
        }
    }
}

void
ovsdb_client_wait(struct ovsdb_client *c)
{
    if (c->stream) {
        stream_connect_wait(c->stream);
    } else if (c->rpc) {
        jsonrpc_wait(c->rpc);
        jsonrpc_recv_wait(c->rpc);
        if (c->is_tcp) {
            poll_timer_wait_until(c->probe_sent
                                  ? c->probe_sent + PROBE_INTERVAL_MS
                                  : c->last_activity + PROBE_INTERVAL_MS);
        }
    } else {
        poll_timer_wait_until(c->next_attempt);
    }
}

enum ovsdb_client_state
ovsdb_client_get_state(const struct ovsdb_client *c)
{
    return c->state;
}

const char *
ovsdb_client_state_name(enum ovsdb_client_state state)
{
    switch (state) {
    case OVSDB_CLIENT_CONNECTING:
        return "CONNECTING";
    case OVSDB_CLIENT_SYNCING:
        return "SYNCING";
    case OVSDB_CLIENT_READY:
        return "READY";
    }
    return "UNKNOWN";
}

const char *
ovsdb_client_get_last_error(const struct ovsdb_client *c)
{
    return c->last_error;
}

unsigned int
ovsdb_client_get_seqno(const struct ovsdb_client *c)
{
    return c->seqno;
}

unsigned int
ovsdb_client_get_n_connects(const struct ovsdb_client *c)
{
    return c->n_connects;
}

const char *
ovsdb_client_get_remote(const struct ovsdb_client *c)
{
    return c->remote;
}

/* Runs one pass of the private poll loop, waking by 'deadline'. */
static void
ovsdb_client_block(struct ovsdb_client *c, long long int deadline)
{
    ovsdb_client_wait(c);
    if (deadline != LLONG_MAX) {
        poll_timer_wait_until(deadline);
    }
    poll_block();
}

int
ovsdb_client_wait_ready(struct ovsdb_client *c, long long int deadline,
                        char **errp)
{
    unsigned int n_failures = c->n_failures;

    *errp = NULL;
    for (;;) {
        ovsdb_client_run(c);
        if (c->state == OVSDB_CLIENT_READY) {
            return 0;
        } else if (c->n_failures != n_failures) {
            *errp = xstrdup(c->last_error);
            return c->last_errno;
        } else if (time_msec() >= deadline) {
            *errp = xasprintf("timed out waiting for database %s at %s "
                              "(state %s)", c->db, c->remote,
                              ovsdb_client_state_name(c->state));
            return ETIMEDOUT;
        }
        ovsdb_client_block(c, deadline);
    }
}

int
ovsdb_client_wait_change(struct ovsdb_client *c, unsigned int seqno,
                         long long int deadline)
{
    for (;;) {
        ovsdb_client_run(c);
        if (c->seqno != seqno) {
            return 0;
        } else if (time_msec() >= deadline) {
            return ETIMEDOUT;
        }
        ovsdb_client_block(c, deadline);
    }
}

bool
ovsdb_client_has_column(const struct ovsdb_client *c, const char *table,
                        const char *column)
{
    const json_t *ts = json_object_get(json_object_get(c->schema, "tables"),
                                       table);
    if (!ts) {
        return false;
    }
    return (!strcmp(column, "_uuid") || !strcmp(column, "_version")
            || json_object_get(json_object_get(ts, "columns"), column));
}

char *
ovsdb_client_check_columns(const struct ovsdb_client *c,
                           const char *const *needed)
{
    if (!c->schema) {
        return xasprintf("the schema of database %s at %s is not known yet",
                         c->db, c->remote);
    }
    for (size_t i = 0; needed[i]; i++) {
        const char *colon = strchr(needed[i], ':');
        if (!colon) {
            return xasprintf("'%s' is not a TABLE:COLUMN name", needed[i]);
        }
        char *table = xmemdup0(needed[i], colon - needed[i]);
        bool has_table = json_object_get(json_object_get(c->schema, "tables"),
                                         table) != NULL;
        bool ok = ovsdb_client_has_column(c, table, colon + 1);
        char *msg = NULL;
        if (!has_table) {
            msg = xasprintf("database %s at %s has no table %s (needed for "
                            "%s)", c->db, c->remote, table, needed[i]);
        } else if (!ok) {
            msg = xasprintf("database %s at %s has no column %s in table %s",
                            c->db, c->remote, colon + 1, table);
        }
        free(table);
        if (msg) {
            return msg;
        }
    }
    return NULL;
}

const json_t *
ovsdb_client_get_table(const struct ovsdb_client *c, const char *table)
{
    return json_object_get(c->replica, table);
}

const json_t *
ovsdb_client_get_row(const struct ovsdb_client *c, const char *table,
                     const char *uuid)
{
    return json_object_get(ovsdb_client_get_table(c, table), uuid);
}

struct ovsdb_client_txn *
ovsdb_client_transact(struct ovsdb_client *c, json_t *ops)
{
    struct ovsdb_client_txn *txn = xzalloc(sizeof *txn);
    txn->client = c;
    txn->ops = json_is_array(ops) ? ops : json_array();
    if (txn->ops != ops) {
        json_decref(ops);
    }
    txn->status = OVSDB_TXN_INCOMPLETE;
    txn->prev = c->txns.prev;
    txn->next = &c->txns;
    c->txns.prev->next = txn;
    c->txns.prev = txn;
    if (c->state == OVSDB_CLIENT_READY) {
        ovsdb_client_send_txn(c, txn);
    }
    return txn;
}

enum ovsdb_txn_status
ovsdb_client_txn_status(const struct ovsdb_client_txn *txn)
{
    return txn->status;
}

const json_t *
ovsdb_client_txn_result(const struct ovsdb_client_txn *txn)
{
    return txn->status == OVSDB_TXN_SUCCESS ? txn->result : NULL;
}

const char *
ovsdb_client_txn_error(const struct ovsdb_client_txn *txn)
{
    return txn->error;
}

void
ovsdb_client_txn_destroy(struct ovsdb_client_txn *txn)
{
    if (txn) {
        if (txn->client) {
            txn->prev->next = txn->next;
            txn->next->prev = txn->prev;
        }
        json_decref(txn->ops);
        json_decref(txn->id);
        json_decref(txn->result);
        free(txn->error);
        free(txn);
    }
}

int
ovsdb_client_transact_block(struct ovsdb_client *c, json_t *ops,
                            long long int deadline, json_t **resultp,
                            char **errp)
{
    return ovsdb_client_txn_block(ovsdb_client_transact(c, ops), deadline,
                                  resultp, errp);
}

int
ovsdb_client_txn_block(struct ovsdb_client_txn *txn, long long int deadline,
                       json_t **resultp, char **errp)
{
    struct ovsdb_client *c = txn->client;
    int error;

    if (resultp) {
        *resultp = NULL;
    }
    *errp = NULL;
    /* 'c' is NULL if the answer came already. */
    while (txn->status == OVSDB_TXN_INCOMPLETE) {
        ovsdb_client_run(c);
        if (txn->status != OVSDB_TXN_INCOMPLETE) {
            break;
        } else if (time_msec() >= deadline) {
            *errp = (c->state == OVSDB_CLIENT_READY
                     ? xasprintf("%s: transaction timed out", c->remote)
                     : c->last_error
                     ? xasprintf("%s: transaction timed out (%s)", c->remote,
                                 c->last_error)
                     : xasprintf("%s: transaction timed out waiting for "
                                 "the connection", c->remote));
            ovsdb_client_txn_destroy(txn);
            return ETIMEDOUT;
        }
        ovsdb_client_block(c, deadline);
    }

    switch (txn->status) {
    case OVSDB_TXN_SUCCESS:
        error = 0;
        if (resultp) {
            *resultp = json_incref(txn->result);
        }
        break;
    case OVSDB_TXN_TRY_AGAIN:
        error = EAGAIN;
        *errp = xstrdup(txn->error);
        break;
    case OVSDB_TXN_INCOMPLETE:
    case OVSDB_TXN_ERROR:
    default:
        error = EPROTO;
        *errp = xstrdup(txn->error);
        break;
    }
    ovsdb_client_txn_destroy(txn);
    return error;
}
