/* An OVSDB (RFC 7047) client on jansson, non-blocking: ovsdb_client_run()
 * and ovsdb_client_wait() drive it from a poll loop, so the CLI and the
 * daemon share it.  It connects to one remote ("unix:PATH", "tcp:IP:PORT"),
 * reconnects with backoff, answers the server's echo and probes an idle tcp
 * server, fetches the schema, keeps a replica of the monitored tables
 * (monitor_cond), and runs transactions.  This is a JSON module: jansson
 * types appear in its API for the other ovsdb/ modules only. */
#ifndef OVSDB_CLIENT_H
#define OVSDB_CLIENT_H 1

#include <jansson.h>
#include <stdbool.h>

struct ovsdb_client;
struct ovsdb_client_txn;

/* Creates a client for database 'db' (e.g. "Open_vSwitch") at 'remote'.
 * Nothing is sent until ovsdb_client_run(). */
struct ovsdb_client *ovsdb_client_create(const char *remote, const char *db);
void ovsdb_client_destroy(struct ovsdb_client *);

/* Monitors 'columns' (NULL-terminated; NULL: every column) of 'table'.  Call
 * before the first ovsdb_client_run(); the replica then holds those rows. */
void ovsdb_client_add_table(struct ovsdb_client *, const char *table,
                            const char *const *columns);

void ovsdb_client_run(struct ovsdb_client *);
void ovsdb_client_wait(struct ovsdb_client *);

enum ovsdb_client_state {
    OVSDB_CLIENT_CONNECTING,    /* Connecting (or waiting to retry). */
    OVSDB_CLIENT_SYNCING,       /* Connected; fetching schema, monitoring. */
    OVSDB_CLIENT_READY,         /* Replica complete; transactions go. */
};
enum ovsdb_client_state ovsdb_client_get_state(const struct ovsdb_client *);
const char *ovsdb_client_state_name(enum ovsdb_client_state);

/* Why the last connection attempt or connection failed, as a sentence
 * naming the remote ("cannot connect to unix:/x/db.sock: No such file or
 * directory"), or NULL. */
const char *ovsdb_client_get_last_error(const struct ovsdb_client *);
/* Changes whenever the replica or the connection state changes. */
unsigned int ovsdb_client_get_seqno(const struct ovsdb_client *);
/* Counts connections made so far (a change means a reconnect). */
unsigned int ovsdb_client_get_n_connects(const struct ovsdb_client *);
const char *ovsdb_client_get_remote(const struct ovsdb_client *);
/* Drops the connection and reconnects (after backoff). */
void ovsdb_client_force_reconnect(struct ovsdb_client *);

/* Runs a private poll loop until the client is READY or 'deadline'
 * (time_msec()).  Returns 0, or ETIMEDOUT / the connection's errno with a
 * sentence in '*errp' naming the remote and the cause. */
int ovsdb_client_wait_ready(struct ovsdb_client *, long long int deadline,
                            char **errp);
/* Runs a private poll loop until the seqno differs from 'seqno' or
 * 'deadline'.  Returns 0 or ETIMEDOUT. */
int ovsdb_client_wait_change(struct ovsdb_client *, unsigned int seqno,
                             long long int deadline);

/* Schema: true if the server's schema has 'table' with 'column'. */
bool ovsdb_client_has_column(const struct ovsdb_client *, const char *table,
                             const char *column);
/* Checks "Table:column" names in 'needed' (NULL-terminated).  Returns NULL
 * or a message naming the first missing column (caller frees). */
char *ovsdb_client_check_columns(const struct ovsdb_client *,
                                 const char *const *needed);

/* Replica: the monitored rows of 'table' as a borrowed JSON object
 * {UUID: {column: value in RFC 7047 notation}}, or NULL if not monitored.
 * Valid until the next ovsdb_client_run(). */
const json_t *ovsdb_client_get_table(const struct ovsdb_client *,
                                     const char *table);
const json_t *ovsdb_client_get_row(const struct ovsdb_client *,
                                   const char *table, const char *uuid);

enum ovsdb_txn_status {
    OVSDB_TXN_INCOMPLETE,       /* Not answered yet. */
    OVSDB_TXN_SUCCESS,          /* Committed. */
    OVSDB_TXN_TRY_AGAIN,        /* A "wait" op failed (the rows changed):
                                 * rebuild from the replica and retry. */
    OVSDB_TXN_ERROR,            /* Failed; see ovsdb_client_txn_error(). */
};

/* Sends 'ops' (a JSON array of operations; ownership is taken) as one
 * "transact" on the client's database.  Returns a handle to poll. */
struct ovsdb_client_txn *ovsdb_client_transact(struct ovsdb_client *,
                                               json_t *ops);
enum ovsdb_txn_status ovsdb_client_txn_status(
    const struct ovsdb_client_txn *);
/* The result array on success (borrowed), else NULL. */
const json_t *ovsdb_client_txn_result(const struct ovsdb_client_txn *);
/* On OVSDB_TXN_ERROR: a sentence naming the operation (its index, op and
 * table, and the row's name where the op has one) and the server's error
 * and details, a commit-time error (the extra trailing element), or the
 * lost connection. */
const char *ovsdb_client_txn_error(const struct ovsdb_client_txn *);
void ovsdb_client_txn_destroy(struct ovsdb_client_txn *);

/* Waits for 'txn' (from ovsdb_client_transact()) by running a private poll
 * loop until its answer or 'deadline', then destroys it.  Returns as
 * ovsdb_client_transact_block() does. */
int ovsdb_client_txn_block(struct ovsdb_client_txn *, long long int deadline,
                           json_t **resultp, char **errp);

/* Blocking transact: runs a private poll loop until the answer or
 * 'deadline'.  Returns 0 with the result array in '*resultp' (new
 * reference; may be NULL if not wanted), EAGAIN for OVSDB_TXN_TRY_AGAIN, or
 * another errno with a sentence in '*errp'. */
int ovsdb_client_transact_block(struct ovsdb_client *, json_t *ops,
                                long long int deadline, json_t **resultp,
                                char **errp);

#endif /* ovsdb-client.h */
