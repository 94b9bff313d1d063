/* The control socket a daemon serves so that the real "ovs-appctl -t NAME
 * COMMAND ARGS..." drives it: JSON-RPC requests {"id", "method", "params"
 * (strings)} on a unix socket, one at a time per connection, answered with a
 * text result or a text error.  Commands register once per process with a
 * callback; a callback may reply at once or keep the connection and reply
 * later from the main loop (a deferred reply).  jansson stays inside
 * unixctl.c. */
#ifndef UNIXCTL_H
#define UNIXCTL_H 1

#include <stdbool.h>

struct unixctl_server;
struct unixctl_conn;

/* Called for a registered command with 'argc' words: argv[0] is the
 * command's name, argv[1..argc-1] its arguments (already checked against
 * the registered bounds).  The callback must eventually call
 * unixctl_command_reply() or unixctl_command_reply_error() on 'conn', now
 * or later.  'argv' is valid only during the call. */
typedef void unixctl_cb_func(struct unixctl_conn *conn, int argc,
                             const char *argv[], void *aux);

/* Registers command 'name' taking between 'min_args' and 'max_args'
 * arguments ('max_args' may be INT_MAX), shown by "list-commands" with
 * 'usage' (may be "").  Registering a name twice replaces the first. */
void unixctl_command_register(const char *name, const char *usage,
                              int min_args, int max_args,
                              unixctl_cb_func *cb, void *aux);

/* Replies to the request on 'conn' with success and text 'body' (NULL or
 * "": empty), or with an error 'body'.  A newline is appended to a body
 * that lacks one, as ovs-appctl prints bodies verbatim.  After this call
 * 'conn' belongs to the server again: the caller must forget it. */
void unixctl_command_reply(struct unixctl_conn *, const char *body);
void unixctl_command_reply_error(struct unixctl_conn *, const char *body);

/* Listens on 'path': NULL means RUNDIR/PROGRAM.PID.ctl; a path without '/'
 * is relative to RUNDIR ($OVS_RUNDIR, else /var/run/openvswitch); "none"
 * means no server at all (0 and NULL in '*serverp').  The socket file is
 * made 0700 and its directory created 0755 if missing.  Returns 0 or a
 * positive errno, with a message on the log. */
int unixctl_server_create(const char *path, struct unixctl_server **serverp);
/* Accepts, reads and answers; call from the main loop. */
void unixctl_server_run(struct unixctl_server *);
void unixctl_server_wait(struct unixctl_server *);
/* Closes every connection (callbacks must have dropped deferred 'conn's)
 * and removes the socket file.  NULL does nothing. */
void unixctl_server_destroy(struct unixctl_server *);
/* The socket file's absolute path. */
const char *unixctl_server_get_path(const struct unixctl_server *);
/* Number of open connections (for tests and status). */
unsigned int unixctl_server_get_n_conns(const struct unixctl_server *);

/* Most connections served at once; more are accepted and closed. */
#define UNIXCTL_MAX_CONNS 100
/* Largest request accepted, in bytes; a larger one closes the
 * connection. */
#define UNIXCTL_MAX_REQUEST_SIZE (1024 * 1024)
/* A connection with no request in progress is closed after this long
 * without a request, so idle clients cannot hold every slot. */
#define UNIXCTL_IDLE_TIMEOUT_MS 30000

#endif /* unixctl.h */
