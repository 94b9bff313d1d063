/* Named network namespaces, made the way iproute2's "ip netns add" makes
 * them, so that "ip netns list/exec/del" and vplug see the same objects.
 *
 * Creating one: the calling thread unshares its network namespace, the new
 * namespace is bind-mounted from /proc/thread-self/ns/net onto an empty file
 * under /run/netns, and the thread goes back to the namespace it came from.
 * Only the calling thread moves (unshare and setns act per thread for
 * CLONE_NEWNET), so several threads may create namespaces at once.  The one
 * process-wide step, making /run/netns a shared mount point so that the
 * mounts propagate to every mount namespace, is done once under a mutex. */
#include <config.h>
#include "netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(netns);

#define NETNS_RUN_DIR "/run/netns"
#define THREAD_NETNS "/proc/thread-self/ns/net"

const char *
netns_dir(void)
{
    return NETNS_RUN_DIR;
}

bool
netns_name_is_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    return (len > 0 && len <= 255
            && !strchr(name, '/')
            && strcmp(name, ".") && strcmp(name, ".."));
}

/* Returns "/run/netns/NAME"; the caller frees it. */
static char *
netns_path(const char *name)
{
    return xasprintf("%s/%s", NETNS_RUN_DIR, name);
}

/* Makes sure NETNS_RUN_DIR exists and is a shared mount point, as iproute2
 * does: if making it shared fails with EINVAL it is not a mount point yet, so
 * it is bind-mounted onto itself first.  Done once per process. */
static int
netns_prepare_dir(void)
{
    static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    static bool done;
    int error = 0;

    pthread_mutex_lock(&mutex);
    if (done) {
        goto out;
    }

    if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST) {
        error = errno;
        VLOG_DBG("cannot create %s: %s", NETNS_RUN_DIR, ovs_strerror(error));
        goto out;
    }

    bool bound = false;
    while (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL)) {
        if (errno != EINVAL || bound) {
            error = errno;
            VLOG_DBG("cannot make %s a shared mount point: %s",
                     NETNS_RUN_DIR, ovs_strerror(error));
            goto out;
        }
        if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC,
                  NULL)) {
            error = errno;
            VLOG_DBG("cannot bind-mount %s on itself: %s",
                     NETNS_RUN_DIR, ovs_strerror(error));
            goto out;
        }
        bound = true;
    }
    done = true;

out:
    pthread_mutex_unlock(&mutex);
    return error;
}

/* Bind-mounts namespace file 'source' onto 'path', the file of namespace
 * 'name'.  Returns 0 or errno. */
static int
netns_bind(const char *name, const char *source, const char *path)
{
    if (mount(source, path, "none", MS_BIND, NULL)) {
        int error = errno;
        VLOG_DBG("%s: cannot bind-mount the namespace: %s",
                 name, ovs_strerror(error));
        return error;
    }
    return 0;
}

/* Names namespace 'fd', or a new one if 'fd' is negative, 'name'. */
static int
netns_add__(const char *name, int ns_fd)
{
    if (!netns_name_is_valid(name)) {
        return EINVAL;
    }

    int error = netns_prepare_dir();
    if (error) {
        return error;
    }

    char *path = netns_path(name);
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        free(path);
        return error;
    }
    close(fd);

    if (ns_fd >= 0) {
        /* The descriptor's magic link resolves to the namespace itself. */
        char *source = xasprintf("/proc/self/fd/%d", ns_fd);
        error = netns_bind(name, source, path);
        free(source);
    } else {
        int saved_fd = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
        if (saved_fd < 0) {
            error = errno;
            goto error;
        }
        if (unshare(CLONE_NEWNET)) {
            error = errno;
            close(saved_fd);
            VLOG_DBG("%s: cannot create network namespace: %s",
                     name, ovs_strerror(error));
            goto error;
        }

        /* The thread is in the new namespace now: pin it by the bind
         * mount, then go back whatever happened (netns_restore() aborts if
         * it cannot). */
        error = netns_bind(name, THREAD_NETNS, path);
        netns_restore(saved_fd);
    }
    if (error) {
        goto error;
    }
    free(path);
    return 0;

error:
    unlink(path);
    free(path);
    return error;
}

int
netns_add(const char *name)
{
    return netns_add__(name, -1);
}

int
netns_add_fd(const char *name, int fd)
{
    return fd < 0 ? EBADF : netns_add__(name, fd);
}

int
netns_create_unnamed(int *fdp)
{
    *fdp = -1;
    int saved_fd = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
    if (saved_fd < 0) {
        return errno;
    }
    if (unshare(CLONE_NEWNET)) {
        int error = errno;
        close(saved_fd);
        VLOG_DBG("cannot create a network namespace: %s",
                 ovs_strerror(error));
        return error;
    }

    /* Hold the new namespace, then go back whatever happened. */
    int fd = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
    int error = fd < 0 ? errno : 0;
    netns_restore(saved_fd);
    *fdp = fd;
    return error;
}

int
netns_delete(const char *name)
{
    if (!netns_name_is_valid(name)) {
        return EINVAL;
    }

    char *path = netns_path(name);
    int error = 0;

    /* A file that is not (or no longer) a mount point is still removed, as
     * "ip netns del" does. */
    umount2(path, MNT_DETACH);
    if (unlink(path)) {
        error = errno;
        VLOG_DBG("%s: cannot remove %s: %s", name, path, ovs_strerror(error));
    }
    free(path);
    return error;
}

bool
netns_name_taken(const char *name)
{
    if (!netns_name_is_valid(name)) {
        return false;
    }

    char *path = netns_path(name);
    struct stat st;
    bool taken = !lstat(path, &st);
    free(path);
    return taken;
}

bool
netns_exists(const char *name)
{
    if (!netns_name_is_valid(name)) {
        return false;
    }

    /* Only a namespace counts: a bare file (left by a creation that was
     * killed halfway) is not one. */
    char *path = netns_path(name);
    struct statfs sfs;
    bool exists = !statfs(path, &sfs) && sfs.f_type == NSFS_MAGIC;
    free(path);
    return exists;
}

int
netns_open(const char *name, int *fdp)
{
    char *path;

    if (!name) {
        path = xstrdup(THREAD_NETNS);
    } else if (netns_name_is_valid(name)) {
        path = netns_path(name);
    } else {
        *fdp = -1;
        return EINVAL;
    }

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int error = fd < 0 ? errno : 0;
    free(path);
    *fdp = fd;
    return error;
}

int
netns_enter(int fd, int *saved_fdp)
{
    int saved_fd = open(THREAD_NETNS, O_RDONLY | O_CLOEXEC);
    if (saved_fd < 0) {
        *saved_fdp = -1;
        return errno;
    }
    if (setns(fd, CLONE_NEWNET)) {
        int error = errno;
        close(saved_fd);
        *saved_fdp = -1;
        return error;
    }
    *saved_fdp = saved_fd;
    return 0;
}

void
netns_restore(int saved_fd)
{
    if (setns(saved_fd, CLONE_NEWNET)) {
        VLOG_ERR("cannot return to the original network namespace: %s",
                 ovs_strerror(errno));
        abort();
    }
    close(saved_fd);
}

static int
compare_names(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;

    return strcmp(*a, *b);
}

int
netns_list(struct svec *names)
{
    DIR *dir = opendir(NETNS_RUN_DIR);
    if (!dir) {
        /* No directory: no named namespaces yet. */
        return errno == ENOENT ? 0 : errno;
    }

    size_t first = names->n;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (netns_name_is_valid(de->d_name)) {
            svec_add(names, de->d_name);
        }
    }
    closedir(dir);

    /* Sort only what this call added: 'names' may hold other entries. */
    if (names->n > first) {
        qsort(names->names + first, names->n - first, sizeof *names->names,
              compare_names);
    }
    return 0;
}
