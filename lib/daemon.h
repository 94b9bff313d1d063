/* Becoming a daemon the way the Open vSwitch daemons do, so that their
 * tools work on ours: a pidfile write-locked with fcntl for the process's
 * lifetime (ovs-appctl reads the pid and checks that this pid holds the
 * lock), --detach with the parent waiting until the child is ready,
 * --no-chdir, --log-file, and a clean exit on SIGTERM/SIGINT/SIGHUP that
 * removes the pidfile and any other file registered to go with it. */
#ifndef DAEMON_H
#define DAEMON_H 1

#include <stdbool.h>
#include <sys/types.h>

/* The run directory: $OVS_RUNDIR, else "/var/run/openvswitch". */
const char *daemon_rundir(void);
/* The log directory: $OVS_LOGDIR, else "/var/log/openvswitch". */
const char *daemon_logdir(void);

/* Long options every daemon takes.  Put DAEMON_OPTION_ENUMS in the
 * program's option enum (its values start at 'DAEMON_OPT_BASE', above any
 * character), DAEMON_LONG_OPTIONS in its struct option table, and hand
 * unknown options to daemon_handle_option(). */
#define DAEMON_OPT_BASE 1000
#define DAEMON_OPTION_ENUMS                     \
    OPT_PIDFILE = DAEMON_OPT_BASE,              \
    OPT_DETACH,                                 \
    OPT_NO_CHDIR,                               \
    OPT_LOG_FILE
#define DAEMON_LONG_OPTIONS                                     \
    {"pidfile", optional_argument, NULL, OPT_PIDFILE},          \
    {"detach", no_argument, NULL, OPT_DETACH},                  \
    {"no-chdir", no_argument, NULL, OPT_NO_CHDIR},              \
    {"log-file", optional_argument, NULL, OPT_LOG_FILE}
/* Handles one of the options above with argument 'arg' (may be NULL).
 * Returns false if 'option' is not one of them. */
bool daemon_handle_option(int option, const char *arg);
/* Prints the daemon options' help. */
void daemon_usage(void);

/* Settings the options make; programs may set them directly too.
 * 'name' NULL means the default: RUNDIR/PROGRAM.pid for the pidfile,
 * LOGDIR/PROGRAM.log for the log.  A relative name is taken relative to
 * RUNDIR (pidfile) or LOGDIR (log file). */
void daemon_set_pidfile(const char *name);
void daemon_set_detach(bool);
void daemon_set_no_chdir(bool);
void daemon_set_log_file(const char *name);
/* The pidfile's absolute name, or NULL without --pidfile. */
const char *daemon_get_pidfile(void);

/* Starts becoming a daemon: with --detach forks, and the parent waits until
 * the child calls daemonize_complete() (then exits 0) or dies (then exits
 * 1 saying how); opens the log file; creates and locks the pidfile (exits 1
 * with a message if another live process holds it); installs the
 * termination signal handlers.  Call once, before opening sockets. */
void daemonize_start(void);
/* Tells a waiting parent that the daemon is ready, then (with --detach)
 * detaches from the terminal and, without --no-chdir, changes to "/". */
void daemonize_complete(void);

/* Registers 'path' to be removed at exit, also on SIGTERM/SIGINT/SIGHUP. */
void daemon_unlink_at_exit(const char *path);
/* Forgets 'path' (the caller removed it itself). */
void daemon_cancel_unlink_at_exit(const char *path);

/* True once SIGTERM, SIGINT or SIGHUP has arrived: the main loop should
 * return, so that exit() cleans up.  A second signal exits at once (still
 * removing the registered files). */
bool daemon_should_exit(void);
/* Wakes poll_block() when such a signal arrives. */
void daemon_wait(void);

/* Reads the pid in pidfile 'path' and checks that this process holds the
 * file's write lock, as ovs-appctl does.  Returns 0 and the pid, ENOENT (no
 * file), ESRCH (no live process holds it: a stale file), EPROTO (not a pid)
 * or another errno. */
int daemon_read_pidfile(const char *path, pid_t *pidp);

#endif /* daemon.h */
