/* Unit tests: the OVSDB client, against a real ovsdb-server (or, for echo and
 * probes, a fake one). */
#include <config.h>
#include "test-vplug.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "ovsdb/ovsdb-client.h"
#include "poll-loop.h"
#include "stream.h"
#include "util.h"

#define TIMEOUT_MS 10000

/* UUIDs differ from run to run: the printers replace each with <N>, N
 * counting distinct UUIDs in order of appearance. */
struct uuid_map {
    struct svec uuids;
};

static bool
is_uuid_at(const char *s)
{
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    for (size_t i = 0; i < sizeof pattern - 1; i++) {
        if (pattern[i] == 'x' ? !isxdigit((unsigned char) s[i])
            : s[i] != '-') {
            return false;
        }
    }
    return true;
}

/* Returns 's' with every UUID replaced by <N> from 'map' (or by <> if 'map'
 * is NULL). */
static char *
mask_uuids(const char *s, struct uuid_map *map)
{
    struct ds out = DS_EMPTY_INITIALIZER;
    while (*s) {
        if (strlen(s) >= 36 && is_uuid_at(s)) {
            if (map) {
                char *u = xmemdup0(s, 36);
                size_t i;
                for (i = 0; i < map->uuids.n; i++) {
                    if (!strcmp(map->uuids.names[i], u)) {
                        break;
                    }
                }
                if (i == map->uuids.n) {
                    svec_add(&map->uuids, u);
                }
                free(u);
                ds_put_format(&out, "<%zu>", i);
            } else {
                ds_put_cstr(&out, "<>");
            }
            s += 36;
        } else {
            ds_put_char(&out, *s++);
        }
    }
    return ds_steal_cstr(&out);
}

static void
print_json(const json_t *json, struct uuid_map *map)
{
    char *s = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS
                         | JSON_ENCODE_ANY);
    char *m = mask_uuids(s, map);
    printf("%s\n", m);
    free(m);
    free(s);
}

static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;
    return strcmp(*a, *b);
}

/* Prints the rows of 'table' in the replica, one per line, in an order that
 * does not depend on UUIDs. */
static void
print_table(struct ovsdb_client *c, const char *table, struct uuid_map *map)
{
    const json_t *rows = ovsdb_client_get_table(c, table);
    struct svec lines = SVEC_EMPTY_INITIALIZER;
    const char *uuid;
    json_t *row;

    json_object_foreach ((json_t *) rows, uuid, row) {
        char *s = json_dumps(row, JSON_COMPACT | JSON_SORT_KEYS);
        char *line = xasprintf("%s %s", uuid, s);
        svec_add(&lines, line);
        free(line);
        free(s);
    }
    /* Sort by the text with UUIDs masked (row UUID first, so skip it). */
    char **keys = xcalloc(lines.n, sizeof *keys);
    for (size_t i = 0; i < lines.n; i++) {
        char *masked = mask_uuids(lines.names[i] + 37, NULL);
        keys[i] = xasprintf("%s\n%s", masked, lines.names[i]);
        free(masked);
    }
    qsort(keys, lines.n, sizeof *keys, compare_strings);
    printf("%s: %zu rows\n", table, lines.n);
    for (size_t i = 0; i < lines.n; i++) {
        char *m = mask_uuids(strchr(keys[i], '\n') + 1, map);
        printf("  %s\n", m);
        free(m);
        free(keys[i]);
    }
    free(keys);
    svec_destroy(&lines);
}

static json_t *
parse_json(const char *s)
{
    json_error_t error;
    json_t *json = json_loads(s, JSON_DECODE_ANY, &error);
    if (!json) {
        fprintf(stderr, "bad JSON '%s': %s\n", s, error.text);
        exit(2);
    }
    return json;
}

/* Adds the tables named by "TABLE" or "TABLE:COL,COL" in 'specs'. */
static void
add_tables(struct ovsdb_client *c, char **specs, int n)
{
    for (int i = 0; i < n; i++) {
        char *spec = xstrdup(specs[i]);
        char *colon = strchr(spec, ':');
        if (colon) {
            struct svec cols = SVEC_EMPTY_INITIALIZER;
            *colon = '\0';
            for (char *save, *tok = strtok_r(colon + 1, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                svec_add(&cols, tok);
            }
            svec_add_nocopy(&cols, NULL);
            ovsdb_client_add_table(c, spec, (const char *const *) cols.names);
            cols.n--;
            svec_destroy(&cols);
        } else {
            ovsdb_client_add_table(c, spec, NULL);
        }
        free(spec);
    }
}

static struct ovsdb_client *
connect_ready(const char *remote, const char *db, char **tables, int n)
{
    struct ovsdb_client *c = ovsdb_client_create(remote, db);
    char *error;

    add_tables(c, tables, n);
    if (ovsdb_client_wait_ready(c, time_msec() + TIMEOUT_MS, &error)) {
        printf("error: %s\n", error);
        free(error);
        ovsdb_client_destroy(c);
        return NULL;
    }
    return c;
}

/* ovsdb-transact REMOTE DB OPS...: runs each OPS (a JSON array) as one
 * transaction and prints its result or error. */
static int
test_transact(int argc, char *argv[])
{
    struct ovsdb_client *c = connect_ready(argv[1], argv[2], NULL, 0);
    struct uuid_map map = { SVEC_EMPTY_INITIALIZER };
    int status = 0;

    if (!c) {
        return 1;
    }
    for (int i = 3; i < argc; i++) {
        json_t *result;
        char *error;
        int retval = ovsdb_client_transact_block(
            c, parse_json(argv[i]), time_msec() + TIMEOUT_MS, &result,
            &error);
        if (!retval) {
            print_json(result, &map);
            json_decref(result);
        } else {
            char *masked = mask_uuids(error, &map);
            printf("%s: %s\n", retval == EAGAIN ? "try again" : "error",
                   masked);
            free(masked);
            free(error);
            status = 1;
        }
    }
    svec_destroy(&map.uuids);
    ovsdb_client_destroy(c);
    return status;
}
VPLUG_TEST("ovsdb-transact", "REMOTE DB OPS...", test_transact)

/* Waits until the replica of 'c' equals that of a fresh client monitoring
 * the same 'tables' of 'db', which proves that the updates were applied
 * right.  Returns true if they agree within the timeout. */
static bool
replica_matches_fresh(struct ovsdb_client *c, const char *db, char **tables,
                      int n)
{
    struct ovsdb_client *fresh = connect_ready(ovsdb_client_get_remote(c),
                                               db, tables, n);
    long long int deadline = time_msec() + TIMEOUT_MS;
    bool match = false;

    CHECK(fresh);
    while (!match) {
        match = true;
        for (int i = 0; i < n; i++) {
            char *table = xstrdup(tables[i]);
            char *colon = strchr(table, ':');
            if (colon) {
                *colon = '\0';
            }
            if (!json_equal(ovsdb_client_get_table(c, table),
                            ovsdb_client_get_table(fresh, table))) {
                match = false;
            }
            free(table);
        }
        if (!match && ovsdb_client_wait_change(c, ovsdb_client_get_seqno(c),
                                               deadline)) {
            break;
        }
    }
    if (!match) {
        struct uuid_map map = { SVEC_EMPTY_INITIALIZER };
        for (int i = 0; i < n; i++) {
            char *table = xstrdup(tables[i]);
            *strchrnul(table, ':') = '\0';
            printf("fresh ");
            print_table(fresh, table, &map);
            free(table);
        }
        svec_destroy(&map.uuids);
    }
    ovsdb_client_destroy(fresh);
    return match;
}

/* ovsdb-monitor REMOTE DB TABLE[:COL,...]... [-- OPS...]: monitors the
 * tables and prints the replica once ready; then runs each OPS, checks that
 * the replica then equals a fresh monitor's and prints it again. */
static int
test_monitor(int argc, char *argv[])
{
    int n_tables = 0;
    while (3 + n_tables < argc && strcmp(argv[3 + n_tables], "--")) {
        n_tables++;
    }
    char **tables = argv + 3;
    struct ovsdb_client *c = connect_ready(argv[1], argv[2], tables,
                                           n_tables);
    struct uuid_map map = { SVEC_EMPTY_INITIALIZER };
    int status = 0;

    if (!c) {
        return 1;
    }
    printf("state %s, %u connection(s)\n",
           ovsdb_client_state_name(ovsdb_client_get_state(c)),
           ovsdb_client_get_n_connects(c));
    for (int i = 0; i < n_tables; i++) {
        char *table = xstrdup(tables[i]);
        *strchrnul(table, ':') = '\0';
        print_table(c, table, &map);
        free(table);
    }

    for (int i = 3 + n_tables + 1; i < argc; i++) {
        json_t *result;
        char *error;
        if (ovsdb_client_transact_block(c, parse_json(argv[i]),
                                        time_msec() + TIMEOUT_MS, &result,
                                        &error)) {
            printf("error: %s\n", error);
            free(error);
            status = 1;
            continue;
        }
        json_decref(result);
        printf("after transaction %d:%s\n", i - (3 + n_tables),
               replica_matches_fresh(c, argv[2], tables, n_tables)
               ? "" : " REPLICA DIFFERS FROM A FRESH MONITOR");
        for (int j = 0; j < n_tables; j++) {
            char *table = xstrdup(tables[j]);
            *strchrnul(table, ':') = '\0';
            print_table(c, table, &map);
            free(table);
        }
    }
    svec_destroy(&map.uuids);
    ovsdb_client_destroy(c);
    return status;
}
VPLUG_TEST("ovsdb-monitor", "REMOTE DB TABLE[:COL,...]... [-- OPS...]",
           test_monitor)

/* ovsdb-check-columns REMOTE DB TABLE:COLUMN...: prints what the schema
 * check says. */
static int
test_check_columns(int argc, char *argv[])
{
    struct ovsdb_client *c = connect_ready(argv[1], argv[2], NULL, 0);
    if (!c) {
        return 1;
    }
    for (int i = 3; i < argc; i++) {
        const char *needed[] = { argv[i], NULL };
        char *error = ovsdb_client_check_columns(c, needed);
        printf("%s: %s\n", argv[i], error ? error : "ok");
        free(error);
    }
    ovsdb_client_destroy(c);
    return 0;
}
VPLUG_TEST("ovsdb-check-columns", "REMOTE DB TABLE:COLUMN...",
           test_check_columns)

/* Runs 'c' until 'cond' holds or the timeout, then returns whether it
 * holds. */
#define RUN_UNTIL(C, COND)                                              \
    ({                                                                  \
        long long int deadline_ = time_msec() + TIMEOUT_MS;             \
        while (!(COND) && time_msec() < deadline_) {                    \
            ovsdb_client_wait_change(C, ovsdb_client_get_seqno(C),      \
                                     deadline_);                        \
        }                                                               \
        (COND);                                                         \
    })

/* ovsdb-reconnect REMOTE DB TABLE KILL-CMD START-CMD: monitors TABLE, runs
 * KILL-CMD (which stops the server and may change the database), checks
 * that the client reports the loss and the failed retries, runs START-CMD,
 * and checks that the client is READY again with a rebuilt replica. */
static int
test_reconnect(int argc, char *argv[])
{
    struct ovsdb_client *c = connect_ready(argv[1], argv[2], &argv[3], 1);
    struct uuid_map map = { SVEC_EMPTY_INITIALIZER };

    if (!c) {
        return 1;
    }
    *strchrnul(argv[3], ':') = '\0';
    printf("READY, %u connection(s)\n", ovsdb_client_get_n_connects(c));
    print_table(c, argv[3], &map);

    /* A transaction that is pending when the connection drops fails. */
    fflush(stdout);
    CHECK(!system(argv[4]));
    CHECK(RUN_UNTIL(c, ovsdb_client_get_state(c) != OVSDB_CLIENT_READY));
    printf("%s: %s\n", ovsdb_client_state_name(ovsdb_client_get_state(c)),
           ovsdb_client_get_last_error(c));

    /* While the server is down, connecting fails with a sentence. */
    char *error;
    int retval = ovsdb_client_wait_ready(c, time_msec() + TIMEOUT_MS, &error);
    printf("retry: %s (%s)\n", error, ovs_strerror(retval));
    free(error);

    unsigned int seqno = ovsdb_client_get_seqno(c);
    fflush(stdout);
    CHECK(!system(argv[5]));
    while ((retval = ovsdb_client_wait_ready(c, time_msec() + TIMEOUT_MS,
                                             &error))) {
        CHECK(retval != ETIMEDOUT);
        free(error);
    }
    printf("READY again, %u connection(s), seqno %s\n",
           ovsdb_client_get_n_connects(c),
           seqno != ovsdb_client_get_seqno(c) ? "changed" : "UNCHANGED");
    print_table(c, argv[3], &map);
    svec_destroy(&map.uuids);
    ovsdb_client_destroy(c);
    return 0;
}
VPLUG_TEST("ovsdb-reconnect", "REMOTE DB TABLE KILL-CMD START-CMD",
           test_reconnect)

/* ovsdb-lost REMOTE DB KILL-CMD: sends a transaction whose "wait" op blocks
 * for a long time, kills the server meanwhile, and prints the error. */
static int
test_lost(int argc, char *argv[])
{
    struct ovsdb_client *c = connect_ready(argv[1], argv[2], NULL, 0);
    if (!c) {
        return 1;
    }
    /* Waits until Open_vSwitch has no rows, which never happens. */
    struct ovsdb_client_txn *txn = ovsdb_client_transact(c, parse_json(
        "[{\"op\":\"wait\",\"table\":\"Open_vSwitch\",\"where\":[],"
        "\"columns\":[\"_uuid\"],\"until\":\"==\",\"rows\":[],"
        "\"timeout\":60000}]"));
    ovsdb_client_run(c);
    fflush(stdout);
    CHECK(!system(argv[3]));
    CHECK(RUN_UNTIL(c, ovsdb_client_txn_status(txn) != OVSDB_TXN_INCOMPLETE));
    printf("status %d: %s\n", ovsdb_client_txn_status(txn),
           ovsdb_client_txn_error(txn));
    ovsdb_client_txn_destroy(txn);
    ovsdb_client_destroy(c);
    return 0;
}
VPLUG_TEST("ovsdb-lost", "REMOTE DB KILL-CMD", test_lost)

/* ovsdb-fake-server PTCP-PORT: a fake server for the tcp client: it answers
 * nothing, sends the client an "echo" request and checks the reply, then
 * stays silent so the client probes and disconnects.  Prints what happens
 * with times rounded to seconds. */
static int
test_fake_server(int argc, char *argv[])
{
    char *pname = xasprintf("ptcp:%s:127.0.0.1", argv[1]);
    char *remote = xasprintf("tcp:127.0.0.1:%s", argv[1]);
    struct pstream *ps;
    struct jsonrpc *server = NULL;

    CHECK(!pstream_open(pname, 0, &ps));
    printf("listening on %s\n", pstream_get_name(ps));

    struct ovsdb_client *c = ovsdb_client_create(remote, "Open_vSwitch");
    long long int start = time_msec();
    long long int deadline = start + 3 * TIMEOUT_MS;
    json_t *echo_id = NULL;
    json_t *ping = json_pack("[s]", "ping");
    bool synced = false;

    while (time_msec() < deadline) {
        ovsdb_client_run(c);
        if (ovsdb_client_get_state(c) == OVSDB_CLIENT_SYNCING) {
            synced = true;
        } else if (synced) {
            break;
        }

        if (!server) {
            struct stream *s;
            if (!pstream_accept(ps, &s)) {
                server = jsonrpc_open(s);
            }
        }
        if (server) {
            struct jsonrpc_msg *msg;
            jsonrpc_run(server);
            while (!jsonrpc_recv(server, &msg)) {
                long long int t = (time_msec() - start) / 1000;
                if (msg->type == JSONRPC_REQUEST) {
                    printf("%llds: server got request %s\n", t, msg->method);
                } else {
                    printf("%llds: server got a %s to its echo\n", t,
                           (msg->type == JSONRPC_REPLY
                            && json_equal(msg->id, echo_id)
                            && json_equal(msg->result, ping))
                           ? "matching reply" : "WRONG ANSWER");
                }
                if (msg->type == JSONRPC_REQUEST
                    && !strcmp(msg->method, "get_schema")) {
                    struct jsonrpc_msg *echo = jsonrpc_create_request(
                        "echo", json_incref(ping));
                    echo_id = json_incref(echo->id);
                    jsonrpc_send(server, echo);
                }
                jsonrpc_msg_destroy(msg);
            }
            jsonrpc_wait(server);
            jsonrpc_recv_wait(server);
        }
        ovsdb_client_wait(c);
        pstream_wait(ps);
        poll_timer_wait_until(deadline);
        poll_block();
    }
    printf("%llds: client %s: %s\n", (time_msec() - start) / 1000,
           ovsdb_client_state_name(ovsdb_client_get_state(c)),
           ovsdb_client_get_last_error(c));

    json_decref(echo_id);
    json_decref(ping);
    jsonrpc_close(server);
    ovsdb_client_destroy(c);
    pstream_close(ps);
    free(pname);
    free(remote);
    return 0;
}
VPLUG_TEST("ovsdb-fake-server", "PORT", test_fake_server)
