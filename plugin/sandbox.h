/* The private Open vSwitch that "--sandbox[=DIR]" and "vplug sandbox
 * start|stop|status" manage: an ovsdb-server and an ovs-vswitchd
 * (userspace datapath, --disable-system) whose every file lives in DIR
 * (conf.db, db.sock, pidfiles, control sockets, logs).  This is the only
 * place vplug starts programs.
 *
 * Errors: 0 or a positive errno, and on failure a malloc'd sentence in
 * '*errp' naming the daemon and the cause, with the tail of its log. */
#ifndef SANDBOX_H
#define SANDBOX_H 1

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* The sandbox directory when none is given. */
#define SANDBOX_DEFAULT_DIR "/run/vplug/sandbox"

/* Starts the sandbox in 'dir' (NULL: the default): creates DIR and
 * DIR/conf.db with an Open_vSwitch row if absent, then starts whichever of
 * ovsdb-server and ovs-vswitchd is not running, and returns once both run
 * and DIR/db.sock accepts connections.  Idempotent: a running sandbox is
 * left alone (0). */
int sandbox_start(const char *dir, char **errp);

/* Stops both daemons of the sandbox in 'dir' (NULL: the default) by the
 * pids in their pidfiles (SIGTERM, then SIGKILL after 3 seconds) and
 * removes their pidfiles and sockets; the database and logs stay, so a
 * later start brings back the same switches.  Stopping a stopped sandbox
 * succeeds. */
int sandbox_stop(const char *dir, char **errp);

/* Describes the sandbox in 'dir' (NULL: the default) into 'out': each
 * daemon running or not with its pid, and the database remote.  Returns 0
 * if both daemons run, ESRCH otherwise. */
int sandbox_status(const char *dir, struct ds *out);

/* Returns "unix:DIR/db.sock" (caller frees). */
char *sandbox_db_remote(const char *dir);

#endif /* sandbox.h */
