/* Per-namespace sysctls: the thread enters the namespace only to open the
 * file under /proc/sys.  An open /proc/sys/net file keeps referring to the
 * namespace it was opened in (the test "sysctl: open file stays in its
 * namespace" checks it), so the read or write happens after the restore. */
#include <config.h>
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Returns true if 'path' is a relative path under /proc/sys that cannot
 * climb out of it. */
static bool
sysctl_path_is_valid(const char *path)
{
    if (!path[0] || path[0] == '/') {
        return false;
    }
    for (const char *p = path; *p; ) {
        size_t len = strcspn(p, "/");
        if (!len || (len == 2 && !strncmp(p, "..", 2))
            || (len == 1 && p[0] == '.')) {
            return false;
        }
        p += len;
        if (*p == '/') {
            p++;
            if (!*p) {
                return false;
            }
        }
    }
    return true;
}

/* Opens /proc/sys/'path' with 'flags' in the namespace open on 'netns_fd'
 * (-1: the current one) and stores the descriptor in '*fdp'. */
static int
sysctl_open(int netns_fd, const char *path, int flags, int *fdp)
{
    int saved_fd = -1;
    int error;

    *fdp = -1;
    if (!sysctl_path_is_valid(path)) {
        return EINVAL;
    }
    if (netns_fd >= 0) {
        error = netns_enter(netns_fd, &saved_fd);
        if (error) {
            return error;
        }
    }

    char *file = xasprintf("/proc/sys/%s", path);
    *fdp = open(file, flags | O_CLOEXEC);
    error = *fdp < 0 ? errno : 0;
    free(file);

    if (saved_fd >= 0) {
        netns_restore(saved_fd);
    }
    return error;
}

int
sysctl_read(int netns_fd, const char *path, char **valuep)
{
    struct ds value = DS_EMPTY_INITIALIZER;
    int fd;

    *valuep = NULL;
    int error = sysctl_open(netns_fd, path, O_RDONLY, &fd);
    if (error) {
        return error;
    }
    error = read_fd(fd, &value);
    close(fd);

    if (error) {
        ds_destroy(&value);
        return error;
    }
    while (value.length && value.string[value.length - 1] == '\n') {
        value.string[--value.length] = '\0';
    }
    *valuep = ds_steal_cstr(&value);
    return 0;
}

int
sysctl_write(int netns_fd, const char *path, const char *value)
{
    int fd;

    int error = sysctl_open(netns_fd, path, O_WRONLY, &fd);
    if (error) {
        return error;
    }

    /* A sysctl takes its value in one write(). */
    size_t size = strlen(value);
    ssize_t n;
    do {
        n = write(fd, value, size);
    } while (n < 0 && errno == EINTR);
    error = n < 0 ? errno : (size_t) n != size ? EIO : 0;

    if (close(fd) && !error) {
        error = errno;
    }
    return error;
}
