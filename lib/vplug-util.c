/* vplug's additions to Open vSwitch's util (see vplug-util.h). */
#include <config.h>
#include "vplug-util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "openvswitch/dynamic-string.h"
#include "ovs-thread.h"
#include "svec.h"
#include "openvswitch/vlog.h"

void
ovs_fatal_status(int status, const char *format, ...)
{
    va_list args;
    fprintf(stderr, "%s: ", get_program_name());
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    putc('\n', stderr);
    exit(status);
}

void
vplug_vlog_init_command(void)
{
    static const char *const quiet[] = {
        "reconnect", "stream", "stream_fd", "stream_unix", "stream_tcp",
        "stream_ssl", "socket_util", "jsonrpc", "ovsdb_idl", "ovsdb_cs",
        "daemon_unix", "timeval",
    };

    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    for (size_t i = 0; i < ARRAY_SIZE(quiet); i++) {
        struct vlog_module *module = vlog_module_from_name(quiet[i]);
        if (module) {
            vlog_set_levels(module, VLF_CONSOLE, VLL_OFF);
        }
    }
}

bool
str_startswith(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

bool
svec_has(const struct svec *svec, const char *name)
{
    for (size_t i = 0; i < svec->n; i++) {
        if (!strcmp(svec->names[i], name)) {
            return true;
        }
    }
    return false;
}

int
write_file_atomic(const char *path, const char *data, size_t size)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long) getpid());
    int error = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = errno;
        goto out;
    }
    const char *p = data;
    size_t left = size;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            error = errno;
            break;
        }
        p += n;
        left -= n;
    }
    if (!error && fsync(fd) < 0) {
        error = errno;
    }
    if (close(fd) < 0 && !error) {
        error = errno;
    }
    if (!error && rename(tmp, path) < 0) {
        error = errno;
    }
    if (error) {
        unlink(tmp);
    }
out:
    free(tmp);
    return error;
}

int
read_fd(int fd, struct ds *ds)
{
    for (;;) {
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        } else if (!n) {
            return 0;
        }
        ds_put_buffer(ds, buf, n);
    }
}

int
read_file(const char *path, char **datap, size_t *sizep)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    *datap = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    int error = read_fd(fd, &ds);
    close(fd);
    if (error) {
        ds_destroy(&ds);
        return error;
    }
    if (sizep) {
        *sizep = ds.length;
    }
    *datap = ds_steal_cstr(&ds);
    return 0;
}

int
mkdir_p(const char *path, unsigned int mode)
{
    char *copy = xstrdup(path);
    int error = 0;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(copy, mode) < 0 && errno != EEXIST) {
                error = errno;
                break;
            }
            *p = c;
            if (!c) {
                break;
            }
        }
    }
    free(copy);
    return error;
}

void
vplug_cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int error = pthread_condattr_init(&attr);

    if (!error) {
        error = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    }
    if (error) {
        ovs_abort(error, "cannot set up a condition variable");
    }
    xpthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

void
vplug_cond_wait_until(pthread_cond_t *cond, struct ovs_mutex *mutex,
                      long long int deadline)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    if (deadline == LLONG_MAX) {
        ovs_mutex_cond_wait(cond, mutex);
        return;
    }

    long long int ms = MAX(deadline, 0);
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = ms % 1000 * 1000 * 1000 };
    int error = pthread_cond_timedwait(cond, &mutex->lock, &ts);
    if (error && error != ETIMEDOUT) {
        ovs_abort(error, "pthread_cond_timedwait failed");
    }
}
