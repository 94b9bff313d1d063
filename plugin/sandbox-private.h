/* What the OVS sandbox (sandbox.c) and the OVN rehearsal (sandbox-ovn.c)
 * share: running programs (in a namespace if asked), their environment
 * pointed at a directory, pidfiles, sockets and logs. */
#ifndef SANDBOX_PRIVATE_H
#define SANDBOX_PRIVATE_H 1

#include <stdbool.h>
#include <sys/types.h>

/* Bounds on each step of a start. */
#define SANDBOX_STEP_TIMEOUT_MS 10000

/* Returns 'dir' (NULL: the default) as an absolute name; caller frees. */
char *sandbox_dir(const char *dir);

void sleep_msec(int msec);

/* Returns the last 'n' lines of file 'path' (nonempty, ends in a newline)
 * or "" if it cannot be read; caller frees. */
char *log_tail(const char *path, int n);

/* Builds the daemons' environment: ours, with OVS_RUNDIR, OVS_LOGDIR,
 * OVS_DBDIR and their OVN_ counterparts pointing at 'dir'.  Free with
 * free_env(). */
char **make_env(const char *dir);
void free_env(char **env);

/* Runs 'argv' (argv[0] an absolute program name) with environment 'env',
 * its standard output and error appended to 'log', and waits for it to
 * exit (a --detach daemon's parent exits once the daemon is ready).
 * Returns 0 if it exited with status 0; otherwise a positive errno and a
 * sentence in '*errp'.  run_program_in() runs it inside the network
 * namespace 'netns_fd' (-1: this one). */
int run_program(char *const argv[], char *const env[], const char *log,
                char **errp);
int run_program_in(char *const argv[], char *const env[], const char *log,
                   int netns_fd, char **errp);

/* Returns true if something accepts connections on unix socket 'path'. */
bool socket_answers(const char *path);

/* The files of one daemon of a sandbox: DIR/NAME.pid, .ctl, .log. */
struct sandbox_daemon {
    const char *name;           /* "ovsdb-server", "ovn-northd"... */
    char *pidfile;
    char *ctl;
    char *log;
};
void daemon_files_init(struct sandbox_daemon *, const char *dir,
                       const char *name);
void daemon_files_destroy(struct sandbox_daemon *);

/* Returns the daemon's pid if it runs (holds its pidfile's lock), else 0. */
pid_t daemon_pid(const struct sandbox_daemon *);

/* Creates 'dir'/conf.db with an Open_vSwitch row, atomically (see
 * sandbox.c). */
int create_db(const char *dir, bool tso, bool server_running, char **env,
              char **errp);

/* Waits until 'd' holds its pidfile and, if 'sock' is nonnull, socket
 * 'sock' accepts connections. */
int wait_ready(const struct sandbox_daemon *d, const char *sock, char **errp);

/* Stops daemon 'd' if it runs (SIGTERM, then SIGKILL) and removes its
 * pidfile and control socket. */
int stop_daemon(const struct sandbox_daemon *d, char **errp);

#endif /* sandbox-private.h */
