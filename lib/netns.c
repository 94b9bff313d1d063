/* STAND-IN for the probe branch only: the minimum of netns.h that the
 * sysctl, ethtool and probe modules and their tests need (opening, entering
 * and restoring namespaces).  The netns branch owns the real
 * implementation; drop this file in favour of it at merge. */
#include <config.h>
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

const char *
netns_dir(void)
{
    return "/run/netns";
}

bool
netns_name_is_valid(const char *name)
{
    return (name && name[0] && !strchr(name, '/') && strcmp(name, ".")
            && strcmp(name, "..") && strlen(name) <= 255);
}

int
netns_open(const char *name, int *fdp)
{
    char *path;

    *fdp = -1;
    if (name && !netns_name_is_valid(name)) {
        return EINVAL;
    }
    path = (name
            ? xasprintf("%s/%s", netns_dir(), name)
            : xstrdup("/proc/thread-self/ns/net"));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int error = fd < 0 ? errno : 0;
    free(path);
    *fdp = fd;
    return error;
}

int
netns_enter(int fd, int *saved_fdp)
{
    int error = netns_open(NULL, saved_fdp);
    if (error) {
        return error;
    }
    if (setns(fd, CLONE_NEWNET)) {
        error = errno;
        close(*saved_fdp);
        *saved_fdp = -1;
    }
    return error;
}

void
netns_restore(int saved_fd)
{
    if (setns(saved_fd, CLONE_NEWNET)) {
        abort();
    }
    close(saved_fd);
}
