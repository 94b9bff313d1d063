/* JSON-RPC 1.0 as OVSDB (RFC 7047) and ovs-appctl speak it: JSON values
 * back to back on a stream, no other framing.  A 'struct jsonrpc' owns a
 * stream, splits its bytes into complete values (however they arrive:
 * split anywhere, several per read), closes on malformed or oversized input
 * with an error saying which, and queues outgoing messages.  This is a JSON
 * module: jansson types appear in its API, for other JSON modules only. */
#ifndef JSONRPC_H
#define JSONRPC_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct stream;

enum jsonrpc_msg_type {
    JSONRPC_REQUEST,            /* method, params, id. */
    JSONRPC_NOTIFY,             /* method, params, id null. */
    JSONRPC_REPLY,              /* result, id (error null or absent). */
    JSONRPC_ERROR,              /* error non-null, id. */
};

struct jsonrpc_msg {
    enum jsonrpc_msg_type type;
    char *method;               /* Request and notify. */
    json_t *params;             /* Request and notify: an array. */
    json_t *result;             /* Reply. */
    json_t *error;              /* Error. */
    json_t *id;                 /* Request, reply, error. */
};

/* Constructors take ownership of the json_t arguments ('params', 'result',
 * 'error') and copy 'id'. */
struct jsonrpc_msg *jsonrpc_create_request(const char *method,
                                           json_t *params);
struct jsonrpc_msg *jsonrpc_create_notify(const char *method, json_t *params);
struct jsonrpc_msg *jsonrpc_create_reply(json_t *result, const json_t *id);
struct jsonrpc_msg *jsonrpc_create_error(json_t *error, const json_t *id);
void jsonrpc_msg_destroy(struct jsonrpc_msg *);

/* Parses 'json' (borrowed) into a message.  Returns NULL or an error message
 * (caller frees) saying what is wrong: unknown member, wrong type, ... */
char *jsonrpc_msg_from_json(const json_t *json, struct jsonrpc_msg **)
    __attribute__((__warn_unused_result__));
/* Returns a new reference to the JSON form of 'msg'.  Only the members
 * valid for its type are emitted (ovsdb-server drops clients that send any
 * other). */
json_t *jsonrpc_msg_to_json(const struct jsonrpc_msg *msg);

struct jsonrpc;

/* Takes ownership of connected (or connecting) 'stream'. */
struct jsonrpc *jsonrpc_open(struct stream *);
void jsonrpc_close(struct jsonrpc *);
/* Largest message accepted, in bytes (default 64 MiB). */
void jsonrpc_set_max_size(struct jsonrpc *, size_t);

/* Sends what is queued.  Call from the main loop. */
void jsonrpc_run(struct jsonrpc *);
void jsonrpc_wait(struct jsonrpc *);
/* Returns 0 while the connection is healthy, EOF (-1) after a clean close by
 * the peer, or a positive errno (EPROTO for malformed input: see
 * jsonrpc_get_error()). */
int jsonrpc_get_status(const struct jsonrpc *);
/* Why the connection failed, as a sentence, or NULL. */
const char *jsonrpc_get_error(const struct jsonrpc *);
/* Bytes queued but not yet sent. */
size_t jsonrpc_get_backlog(const struct jsonrpc *);
const char *jsonrpc_get_name(const struct jsonrpc *);

/* Queues 'msg' (takes ownership).  Returns 0 or the connection's error. */
int jsonrpc_send(struct jsonrpc *, struct jsonrpc_msg *msg);
/* Returns 0 with the next complete message in '*msgp', EAGAIN if none has
 * arrived yet, or the connection's error. */
int jsonrpc_recv(struct jsonrpc *, struct jsonrpc_msg **msgp);
void jsonrpc_recv_wait(struct jsonrpc *);

/* Blocking helpers for simple clients (tests, the CLI's one-shot calls):
 * they run a private poll loop until done or 'timeout_ms' passes
 * (ETIMEDOUT). */
int jsonrpc_send_block(struct jsonrpc *, struct jsonrpc_msg *, int timeout_ms);
int jsonrpc_recv_block(struct jsonrpc *, struct jsonrpc_msg **,
                       int timeout_ms);
/* Sends 'request' and waits for the reply with the same id, answering
 * "echo" requests meanwhile. */
int jsonrpc_transact_block(struct jsonrpc *, struct jsonrpc_msg *request,
                           struct jsonrpc_msg **replyp, int timeout_ms);

#endif /* jsonrpc.h */
