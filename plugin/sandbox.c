/* The private Open vSwitch sandbox. */
#include <config.h>
#include "sandbox.h"
#include "sandbox-private.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(sandbox);

extern char **environ;

/* How long a daemon has to exit after SIGTERM before SIGKILL. */
#define SANDBOX_TERM_TIMEOUT_MS 3000

/* The transaction that gives a new database its Open_vSwitch row, as
 * "ovs-vsctl init" would, with userspace TSO on: ovs-vswitchd reads it only
 * when it starts, and with it TCP through the userspace datapath runs an
 * order of magnitude faster (DESIGN.md, "Facts learned"). */
#define SANDBOX_INIT_TXN \
    "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Open_vSwitch\"," \
    "\"row\":{\"other_config\":[\"map\"," \
    "[[\"userspace-tso-enable\",\"true\"]]]}}]"

/* The row alone, as "ovs-vsctl init" makes it. */
#define SANDBOX_PLAIN_INIT_TXN \
    "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Open_vSwitch\"," \
    "\"row\":{}}]"

/* The same setting for a database made by an earlier version: "insert"
 * leaves a value someone set alone. */
#define SANDBOX_TSO_TXN \
    "[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Open_vSwitch\"," \
    "\"where\":[],\"mutations\":[[\"other_config\",\"insert\"," \
    "[\"map\",[[\"userspace-tso-enable\",\"true\"]]]]]}]"

char *
sandbox_dir(const char *dir)
{
    if (!dir) {
        return xstrdup(SANDBOX_DEFAULT_DIR);
    } else if (dir[0] == '/') {
        char *s = xstrdup(dir);
        size_t len = strlen(s);
        while (len > 1 && s[len - 1] == '/') {
            s[--len] = '\0';
        }
        return s;
    } else {
        char *cwd = getcwd(NULL, 0);
        char *s = xasprintf("%s/%s", cwd ? cwd : ".", dir);
        free(cwd);
        return s;
    }
}

char *
sandbox_db_remote(const char *dir_)
{
    char *dir = sandbox_dir(dir_);
    char *remote = xasprintf("unix:%s/db.sock", dir);
    free(dir);
    return remote;
}

void
sleep_msec(int msec)
{
    struct timespec ts = { msec / 1000, (msec % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

char *
log_tail(const char *path, int n)
{
    char *data = NULL;
    size_t size = 0;

    if (read_file(path, &data, &size) || !size) {
        free(data);
        return xstrdup("");
    }
    size_t end = size;
    while (end > 0 && data[end - 1] == '\n') {
        end--;
    }
    size_t start = end;
    for (int lines = 0; start > 0; start--) {
        if (data[start - 1] == '\n' && ++lines >= n) {
            break;
        }
    }
    char *tail = xasprintf("\n(last lines of %s:)\n%.*s\n", path,
                           (int) (end - start), data + start);
    free(data);
    return tail;
}

char **
make_env(const char *dir)
{
    static const char *const vars[] = { "OVS_RUNDIR", "OVS_LOGDIR",
                                        "OVS_DBDIR", "OVN_RUNDIR",
                                        "OVN_LOGDIR", "OVN_DBDIR" };
    size_t n = 0;
    for (char **e = environ; *e; e++) {
        n++;
    }

    char **env = xcalloc(n + ARRAY_SIZE(vars) + 1, sizeof *env);
    size_t k = 0;
    for (char **e = environ; *e; e++) {
        bool ours = false;
        for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
            size_t len = strlen(vars[i]);
            if (!strncmp(*e, vars[i], len) && (*e)[len] == '=') {
                ours = true;
            }
        }
        if (!ours) {
            env[k++] = xstrdup(*e);
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
        env[k++] = xasprintf("%s=%s", vars[i], dir);
    }
    return env;
}

void
free_env(char **env)
{
    for (char **e = env; *e; e++) {
        free(*e);
    }
    free(env);
}

int
run_program(char *const argv[], char *const env[], const char *log,
            char **errp)
{
    return run_program_in(argv, env, log, -1, errp);
}

int
run_program_in(char *const argv[], char *const env[], const char *log,
               int netns_fd, char **errp)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
                                             : argv[0];

    if (access(argv[0], X_OK)) {
        int error = errno;
        *errp = xasprintf("cannot run %s: %s", argv[0], ovs_strerror(error));
        return error;
    }

    int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        int error = errno;
        *errp = xasprintf("cannot open %s: %s", log, ovs_strerror(error));
        return error;
    }

    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(log_fd);
        *errp = xasprintf("cannot start %s: fork failed: %s", name,
                          ovs_strerror(error));
        return error;
    } else if (!pid) {
        /* Child: only async-signal-safe calls from here on. */
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
        }
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET)) {
            _exit(126);
        }
        execve(argv[0], argv, env);
        _exit(127);
    }
    close(log_fd);

    long long int deadline = time_msec() + SANDBOX_STEP_TIMEOUT_MS;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            break;
        } else if (r < 0 && errno != EINTR) {
            int error = errno;
            *errp = xasprintf("cannot wait for %s: %s", name,
                              ovs_strerror(error));
            return error;
        } else if (time_msec() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            char *tail = log_tail(log, 5);
            *errp = xasprintf("%s did not become ready within %d seconds%s",
                              name, SANDBOX_STEP_TIMEOUT_MS / 1000, tail);
            free(tail);
            return ETIMEDOUT;
        }
        sleep_msec(2);
    }

    if (WIFEXITED(status) && !WEXITSTATUS(status)) {
        return 0;
    }
    char *tail = log_tail(log, 5);
    if (WIFEXITED(status)) {
        *errp = xasprintf("%s failed (exit status %d)%s", name,
                          WEXITSTATUS(status), tail);
    } else {
        *errp = xasprintf("%s was killed by signal %d (%s)%s", name,
                          WTERMSIG(status), strsignal(WTERMSIG(status)),
                          tail);
    }
    free(tail);
    return ECHILD;
}

bool
socket_answers(const char *path)
{
    struct sockaddr_un sun;
    if (strlen(path) >= sizeof sun.sun_path) {
        return false;
    }
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    bool ok = !connect(fd, (struct sockaddr *) &sun, sizeof sun);
    close(fd);
    return ok;
}

void
daemon_files_init(struct sandbox_daemon *d, const char *dir,
                  const char *name)
{
    d->name = name;
    d->pidfile = xasprintf("%s/%s.pid", dir, name);
    d->ctl = xasprintf("%s/%s.ctl", dir, name);
    d->log = xasprintf("%s/%s.log", dir, name);
}

void
daemon_files_destroy(struct sandbox_daemon *d)
{
    free(d->pidfile);
    free(d->ctl);
    free(d->log);
}

pid_t
daemon_pid(const struct sandbox_daemon *d)
{
    /* OVS's read_pidfile() believes a pid only while that process holds the
     * file's lock, as ovs-appctl does.  No file is an answer, not a
     * warning. */
    if (access(d->pidfile, F_OK)) {
        return 0;
    }
    pid_t pid = read_pidfile(d->pidfile);
    return pid > 0 ? pid : 0;
}

/* Creates 'dir'/conf.db with an Open_vSwitch row, atomically: the file
 * appears only once it is complete, so its presence means it is ready.
 * With 'tso', the row turns userspace TSO on, and in a database that exists
 * and that no ovsdb-server ('server_running') holds, so does a mutation
 * unless it is set.  (A rehearsed OVN chassis goes without: OVS 3.1's
 * userspace tunnels do not carry TSO packets.) */
int
create_db(const char *dir, bool tso, bool server_running, char **env,
          char **errp)
{
    char *db = xasprintf("%s/conf.db", dir);
    char *tmp = xasprintf("%s/conf.db.tmp", dir);
    char *tmp_lock = xasprintf("%s/.conf.db.tmp.~lock~", dir);
    char *log = xasprintf("%s/ovsdb-tool.log", dir);
    int error = 0;

    if (!access(db, F_OK)) {
        /* ovsdb-server holds the file's lock while it runs. */
        if (tso && !server_running) {
            char *mutate[] = { (char *) OVSDB_TOOL_PATH, (char *) "transact",
                               db, (char *) SANDBOX_TSO_TXN, NULL };
            /* Not fatal: a database ovsdb-server cannot read either is
             * reported when it starts, and without TSO the switch still
             * works (apply then says what limits TCP). */
            char *why = NULL;
            if (run_program(mutate, env, log, &why)) {
                VLOG_INFO("cannot turn on userspace TSO in the sandbox "
                          "database %s: %s", db, why);
                free(why);
            }
        }
        goto out;
    }

    unlink(tmp);
    char *create[] = { (char *) OVSDB_TOOL_PATH, (char *) "create", tmp,
                       (char *) VSWITCH_SCHEMA_PATH, NULL };
    char *transact[] = { (char *) OVSDB_TOOL_PATH, (char *) "transact", tmp,
                         (char *) (tso ? SANDBOX_INIT_TXN
                                   : SANDBOX_PLAIN_INIT_TXN), NULL };
    char *why = NULL;
    error = run_program(create, env, log, &why);
    if (!error) {
        error = run_program(transact, env, log, &why);
    }
    if (error) {
        *errp = xasprintf("cannot create the sandbox database %s: %s", db,
                          why);
        free(why);
        unlink(tmp);
    } else if (rename(tmp, db)) {
        error = errno;
        *errp = xasprintf("cannot create the sandbox database %s: %s", db,
                          ovs_strerror(error));
    }
    unlink(tmp_lock);

out:
    free(db);
    free(tmp);
    free(tmp_lock);
    free(log);
    return error;
}

int
wait_ready(const struct sandbox_daemon *d, const char *sock, char **errp)
{
    long long int deadline = time_msec() + SANDBOX_STEP_TIMEOUT_MS;
    for (;;) {
        if (daemon_pid(d) && (!sock || socket_answers(sock))) {
            return 0;
        }
        if (time_msec() >= deadline) {
            char *tail = log_tail(d->log, 5);
            *errp = xasprintf("%s started but %s within %d seconds%s",
                              d->name,
                              !daemon_pid(d) ? "its pidfile is not locked"
                              : "its database socket does not answer",
                              SANDBOX_STEP_TIMEOUT_MS / 1000, tail);
            free(tail);
            return ETIMEDOUT;
        }
        sleep_msec(2);
    }
}

int
sandbox_start(const char *dir_, char **errp)
{
    char *dir = sandbox_dir(dir_);
    char *sock = xasprintf("%s/db.sock", dir);
    char *db = xasprintf("%s/conf.db", dir);
    char **env = make_env(dir);
    struct sandbox_daemon server, vswitchd;
    long long int start = time_msec();
    char *why = NULL;
    int error;

    *errp = NULL;
    daemon_files_init(&server, dir, "ovsdb-server");
    daemon_files_init(&vswitchd, dir, "ovs-vswitchd");

    if (daemon_pid(&server) && daemon_pid(&vswitchd)
        && socket_answers(sock)) {
        error = 0;
        goto out;
    }

    error = mkdir_p(dir, 0755);
    if (error) {
        *errp = xasprintf("cannot create sandbox directory %s: %s", dir,
                          ovs_strerror(error));
        goto out;
    }
    error = create_db(dir, true, daemon_pid(&server) != 0, env, errp);
    if (error) {
        goto out;
    }

    if (!daemon_pid(&server)) {
        char *pidfile = xasprintf("--pidfile=%s", server.pidfile);
        char *log = xasprintf("--log-file=%s", server.log);
        char *ctl = xasprintf("--unixctl=%s", server.ctl);
        char *remote = xasprintf("--remote=punix:%s", sock);
        char *argv[] = { (char *) OVSDB_SERVER_PATH, (char *) "--detach",
                         (char *) "--no-chdir", pidfile, log, ctl, remote,
                         db, NULL };

        unlink(sock);
        unlink(server.ctl);
        error = run_program(argv, env, server.log, &why);
        free(pidfile);
        free(log);
        free(ctl);
        free(remote);
        if (!error) {
            error = wait_ready(&server, sock, &why);
        }
        if (error) {
            *errp = xasprintf("cannot start the sandbox's ovsdb-server in "
                              "%s: %s", dir, why);
            goto out;
        }
    } else if (!socket_answers(sock)) {
        error = wait_ready(&server, sock, &why);
        if (error) {
            *errp = xasprintf("the sandbox's ovsdb-server in %s (pid %ld) "
                              "does not answer: %s", dir,
                              (long int) daemon_pid(&server), why);
            goto out;
        }
    }

    if (!daemon_pid(&vswitchd)) {
        char *pidfile = xasprintf("--pidfile=%s", vswitchd.pidfile);
        char *log = xasprintf("--log-file=%s", vswitchd.log);
        char *ctl = xasprintf("--unixctl=%s", vswitchd.ctl);
        char *remote = xasprintf("unix:%s", sock);
        char *argv[] = { (char *) OVS_VSWITCHD_PATH, (char *) "--detach",
                         (char *) "--no-chdir", (char *) "--disable-system",
                         pidfile, log, ctl, remote, NULL };

        unlink(vswitchd.ctl);
        error = run_program(argv, env, vswitchd.log, &why);
        free(pidfile);
        free(log);
        free(ctl);
        free(remote);
        if (!error) {
            error = wait_ready(&vswitchd, NULL, &why);
        }
        if (error) {
            *errp = xasprintf("cannot start the sandbox's ovs-vswitchd in "
                              "%s: %s", dir, why);
            goto out;
        }
    }
    VLOG_INFO("sandbox in %s started in %lld ms", dir, time_msec() - start);

out:
    free(why);
    daemon_files_destroy(&server);
    daemon_files_destroy(&vswitchd);
    free_env(env);
    free(db);
    free(sock);
    free(dir);
    return error;
}

int
stop_daemon(const struct sandbox_daemon *d, char **errp)
{
    pid_t pid = daemon_pid(d);

    if (pid) {
        if (kill(pid, SIGTERM) && errno != ESRCH) {
            int error = errno;
            *errp = xasprintf("cannot stop %s (pid %ld): %s", d->name,
                              (long int) pid, ovs_strerror(error));
            return error;
        }

        /* The lock goes when the process does, even before it is
         * reaped. */
        long long int kill_at = time_msec() + SANDBOX_TERM_TIMEOUT_MS;
        long long int give_up = kill_at + 2000;
        bool killed = false;
        while (daemon_pid(d) == pid) {
            long long int now = time_msec();
            if (!killed && now >= kill_at) {
                VLOG_WARN("%s (pid %ld) did not exit on SIGTERM, killing it",
                          d->name, (long int) pid);
                kill(pid, SIGKILL);
                killed = true;
            } else if (now >= give_up) {
                *errp = xasprintf("%s (pid %ld) did not exit even on SIGKILL",
                                  d->name, (long int) pid);
                return ETIMEDOUT;
            }
            sleep_msec(2);
        }
    }
    unlink(d->pidfile);
    unlink(d->ctl);
    return 0;
}

int
sandbox_stop(const char *dir_, char **errp)
{
    char *dir = sandbox_dir(dir_);
    struct sandbox_daemon server, vswitchd;
    int error;

    *errp = NULL;
    daemon_files_init(&server, dir, "ovsdb-server");
    daemon_files_init(&vswitchd, dir, "ovs-vswitchd");

    /* The switch first, so it does not log a lost database. */
    error = stop_daemon(&vswitchd, errp);
    if (!error) {
        error = stop_daemon(&server, errp);
    }
    if (!error) {
        char *sock = xasprintf("%s/db.sock", dir);
        unlink(sock);
        free(sock);
    }

    daemon_files_destroy(&server);
    daemon_files_destroy(&vswitchd);
    free(dir);
    return error;
}

int
sandbox_status(const char *dir_, struct ds *out)
{
    char *dir = sandbox_dir(dir_);
    struct sandbox_daemon daemons[2];
    int n_running = 0;

    daemon_files_init(&daemons[0], dir, "ovsdb-server");
    daemon_files_init(&daemons[1], dir, "ovs-vswitchd");

    ds_put_format(out, "sandbox: %s\n", dir);
    for (size_t i = 0; i < ARRAY_SIZE(daemons); i++) {
        pid_t pid = daemon_pid(&daemons[i]);
        if (pid) {
            ds_put_format(out, "%s: running, pid %ld\n", daemons[i].name,
                          (long int) pid);
            n_running++;
        } else {
            ds_put_format(out, "%s: not running\n", daemons[i].name);
        }
        daemon_files_destroy(&daemons[i]);
    }
    ds_put_format(out, "database: unix:%s/db.sock\n", dir);
    free(dir);
    return n_running == 2 ? 0 : ESRCH;
}
