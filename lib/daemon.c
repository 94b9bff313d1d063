/* Becoming a daemon the way the Open vSwitch daemons do. */
#include <config.h>
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "poll-loop.h"
#include "util.h"
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(daemon);

/* The same values as in the programs' option enums. */
enum { DAEMON_OPTION_ENUMS };

static char *pidfile;           /* Absolute name, or NULL. */
static bool detach;
static bool chdir_ = true;
static bool log_file_wanted;
static char *log_file;          /* NULL: the default. */

static int ready_fd = -1;       /* Write end of the pipe to the parent. */

/* Files to remove at exit.  Read by the signal handler, so only appended
 * to while the handlers are unaware of new slots. */
#define MAX_UNLINK_FILES 16
static char *unlink_files[MAX_UNLINK_FILES];

static volatile sig_atomic_t exit_signal; /* Signal received, or 0. */
static int signal_fds[2] = { -1, -1 };    /* Self-pipe. */

const char *
daemon_rundir(void)
{
    const char *dir = getenv("OVS_RUNDIR");
    return dir && dir[0] ? dir : "/var/run/openvswitch";
}

const char *
daemon_logdir(void)
{
    const char *dir = getenv("OVS_LOGDIR");
    return dir && dir[0] ? dir : "/var/log/openvswitch";
}

/* Returns 'name' made absolute relative to 'dir' (caller frees). */
static char *
abs_file_name(const char *dir, const char *name)
{
    return name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", dir, name);
}

void
daemon_set_pidfile(const char *name)
{
    free(pidfile);
    pidfile = (name
               ? abs_file_name(daemon_rundir(), name)
               : xasprintf("%s/%s.pid", daemon_rundir(),
                           get_program_name()));
}

void
daemon_set_detach(bool detach_)
{
    detach = detach_;
}

void
daemon_set_no_chdir(bool no_chdir)
{
    chdir_ = !no_chdir;
}

void
daemon_set_log_file(const char *name)
{
    free(log_file);
    log_file = (name
                ? abs_file_name(daemon_logdir(), name)
                : xasprintf("%s/%s.log", daemon_logdir(),
                            get_program_name()));
    log_file_wanted = true;
}

const char *
daemon_get_pidfile(void)
{
    return pidfile;
}

bool
daemon_handle_option(int option, const char *arg)
{
    switch (option) {
    case OPT_PIDFILE:
        daemon_set_pidfile(arg);
        return true;
    case OPT_DETACH:
        daemon_set_detach(true);
        return true;
    case OPT_NO_CHDIR:
        daemon_set_no_chdir(true);
        return true;
    case OPT_LOG_FILE:
        daemon_set_log_file(arg);
        return true;
    default:
        return false;
    }
}

void
daemon_usage(void)
{
    printf("\nDaemon options:\n"
           "  --detach                run in background as daemon\n"
           "  --no-chdir              do not chdir to '/'\n"
           "  --pidfile[=FILE]        create pidfile (default: %s/%s.pid)\n"
           "  --log-file[=FILE]       log to FILE (default: %s/%s.log)\n",
           daemon_rundir(), get_program_name(),
           daemon_logdir(), get_program_name());
}

int
daemon_read_pidfile(const char *path, pid_t *pidp)
{
    *pidp = 0;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }

    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int error = n < 0 ? errno : 0;
    if (!error) {
        buf[n] = '\0';
        long long int pid;
        char *nl = strchr(buf, '\n');
        if (nl) {
            *nl = '\0';
        }
        if (!str_to_llong(buf, 10, &pid) || pid <= 0) {
            error = EPROTO;
        } else {
            /* The pid is only to be believed if that process holds the
             * lock; a lock held by a process that wrote another pid also
             * means the file is not to be trusted. */
            struct flock lck = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
            if (fcntl(fd, F_GETLK, &lck) < 0) {
                error = errno;
            } else if (lck.l_type == F_UNLCK) {
                error = ESRCH;
            } else if (lck.l_pid != pid) {
                error = EPROTO;
            } else {
                *pidp = pid;
            }
        }
    }
    close(fd);
    return error;
}

static void
unlink_registered_files(void)
{
    for (size_t i = 0; i < MAX_UNLINK_FILES; i++) {
        if (unlink_files[i]) {
            unlink(unlink_files[i]);
        }
    }
}

void
daemon_unlink_at_exit(const char *path)
{
    for (size_t i = 0; i < MAX_UNLINK_FILES; i++) {
        if (!unlink_files[i]) {
            unlink_files[i] = xstrdup(path);
            return;
        }
    }
    VLOG_WARN("too many files to remove at exit; %s will stay", path);
}

void
daemon_cancel_unlink_at_exit(const char *path)
{
    for (size_t i = 0; i < MAX_UNLINK_FILES; i++) {
        if (unlink_files[i] && !strcmp(unlink_files[i], path)) {
            char *name = unlink_files[i];
            unlink_files[i] = NULL;
            free(name);
        }
    }
}

static void
atexit_handler(void)
{
    unlink_registered_files();
    for (size_t i = 0; i < MAX_UNLINK_FILES; i++) {
        free(unlink_files[i]);
        unlink_files[i] = NULL;
    }
    free(pidfile);
    pidfile = NULL;
    free(log_file);
    log_file = NULL;
}

static void
signal_handler(int sig)
{
    if (exit_signal) {
        /* Second signal: the main loop is stuck; leave now, still tidy. */
        unlink_registered_files();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    exit_signal = sig;
    int save_errno = errno;
    if (signal_fds[1] >= 0) {
        ssize_t n OVS_UNUSED = write(signal_fds[1], "", 1);
    }
    errno = save_errno;
}

static void
install_signal_handlers(void)
{
    static const int signals[] = { SIGTERM, SIGINT, SIGHUP };

    if (signal_fds[0] >= 0) {
        return;
    }
    if (pipe2(signal_fds, O_NONBLOCK | O_CLOEXEC)) {
        ovs_fatal_status(1, "cannot create a pipe: %s",
                         ovs_strerror(errno));
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
        sigaction(signals[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
}

bool
daemon_should_exit(void)
{
    return exit_signal != 0;
}

void
daemon_wait(void)
{
    if (exit_signal) {
        poll_immediate_wake();
    } else if (signal_fds[0] >= 0) {
        poll_fd_wait(signal_fds[0], POLLIN);
    }
}

/* Creates and write-locks the pidfile, or exits saying who holds it. */
static void
make_pidfile(void)
{
    char *dir = xstrdup(pidfile);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        int error = mkdir_p(dir, 0755);
        if (error) {
            ovs_fatal_status(1, "cannot create directory %s for the "
                             "pidfile: %s", dir, ovs_strerror(error));
        }
    }
    free(dir);

    for (int attempt = 0; ; attempt++) {
        int fd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            ovs_fatal_status(1, "cannot create pidfile %s: %s", pidfile,
                             ovs_strerror(errno));
        }

        struct flock lck = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        if (fcntl(fd, F_SETLK, &lck) < 0) {
            int error = errno;
            pid_t pid;
            close(fd);
            if ((error == EAGAIN || error == EACCES)
                && !daemon_read_pidfile(pidfile, &pid)) {
                ovs_fatal_status(1, "pidfile %s is locked by pid %ld: "
                                 "%s is already running", pidfile,
                                 (long int) pid, get_program_name());
            }
            ovs_fatal_status(1, "cannot lock pidfile %s: %s", pidfile,
                             error == EAGAIN || error == EACCES
                             ? "another process holds it"
                             : ovs_strerror(error));
        }

        /* A process that exits unlinks its pidfile while holding the lock:
         * if we locked a file that was just unlinked, start again. */
        struct stat fd_st, path_st;
        if (fstat(fd, &fd_st) || stat(pidfile, &path_st)
            || fd_st.st_ino != path_st.st_ino
            || fd_st.st_dev != path_st.st_dev) {
            close(fd);
            if (attempt < 10) {
                continue;
            }
            ovs_fatal_status(1, "pidfile %s keeps changing", pidfile);
        }

        char buf[32];
        int len = snprintf(buf, sizeof buf, "%ld\n", (long int) getpid());
        if (ftruncate(fd, 0) || write(fd, buf, len) != len) {
            ovs_fatal_status(1, "cannot write pidfile %s: %s", pidfile,
                             ovs_strerror(errno));
        }
        /* The descriptor stays open, so the lock lasts as long as the
         * process. */
        daemon_unlink_at_exit(pidfile);
        return;
    }
}

/* In the parent of a detaching daemon: waits for the child to say it is
 * ready, then exits. */
static void NO_RETURN
wait_for_child(pid_t child, int fd)
{
    char c;
    ssize_t n;

    do {
        n = read(fd, &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) {
        _exit(0);
    }

    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    if (WIFEXITED(status)) {
        fprintf(stderr, "%s: the daemon exited with status %d before it "
                "was ready\n", get_program_name(), WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        fprintf(stderr, "%s: the daemon was killed by signal %d (%s) "
                "before it was ready\n", get_program_name(),
                WTERMSIG(status), strsignal(WTERMSIG(status)));
    }
    _exit(1);
}

void
daemonize_start(void)
{
    if (log_file_wanted) {
        int error = vlog_set_log_file(log_file);
        if (error) {
            ovs_fatal_status(1, "cannot open log file %s: %s", log_file,
                             ovs_strerror(error));
        }
    }

    /* Say so at once, not after the fork, in the common case. */
    pid_t other;
    if (pidfile && !daemon_read_pidfile(pidfile, &other)) {
        ovs_fatal_status(1, "pidfile %s is locked by pid %ld: %s is already "
                         "running", pidfile, (long int) other,
                         get_program_name());
    }

    if (detach) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC)) {
            ovs_fatal_status(1, "cannot create a pipe: %s",
                             ovs_strerror(errno));
        }
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            ovs_fatal_status(1, "cannot fork: %s", ovs_strerror(errno));
        } else if (pid > 0) {
            close(fds[1]);
            wait_for_child(pid, fds[0]);
        }
        close(fds[0]);
        ready_fd = fds[1];
        setsid();
    }

    atexit(atexit_handler);
    install_signal_handlers();
    if (pidfile) {
        make_pidfile();
    }
}

void
daemonize_complete(void)
{
    if (ready_fd >= 0) {
        ssize_t n OVS_UNUSED = write(ready_fd, "", 1);
        close(ready_fd);
        ready_fd = -1;

        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            if (null > STDERR_FILENO) {
                close(null);
            }
        }
        if (chdir_ && chdir("/")) {
            VLOG_WARN("cannot change directory to /: %s",
                      ovs_strerror(errno));
        }
    }
}
