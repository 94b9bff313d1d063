/* Byte streams over unix and tcp sockets.  Every socket is non-blocking and
 * close-on-exec; connects never block (a tcp connect completes in
 * stream_connect()). */
#include <config.h>
#include "stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "poll-loop.h"
#include "util.h"
#include "vlog.h"

VLOG_DEFINE_THIS_MODULE(stream);

struct stream {
    int fd;
    char *name;                 /* "unix:PATH", "tcp:IP:PORT". */
    bool is_tcp;
    int connect_status;         /* EAGAIN while connecting, then 0/errno. */
};

struct pstream {
    int fd;
    char *name;                 /* As opened; ptcp gets its bound port. */
    char *unlink_path;          /* punix: socket file to remove on close. */
    bool is_tcp;
    unsigned int n_accepted;    /* Names accepted unix streams. */
};

/* A parsed address. */
struct stream_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    int dirfd;                  /* unix paths too long for sun_path, or -1. */
};

static void
stream_addr_close(struct stream_addr *addr)
{
    if (addr->dirfd >= 0) {
        close(addr->dirfd);
        addr->dirfd = -1;
    }
}

/* Fills 'addr' with the unix socket address of 'path'.  Paths longer than
 * sun_path are reached through /proc/self/fd/N/BASENAME of an O_PATH
 * descriptor of their directory, as OVS does.  Returns 0 or errno. */
static int
unix_addr_init(const char *path, struct stream_addr *addr)
{
    struct sockaddr_un *sun = (struct sockaddr_un *) &addr->ss;
    char *long_name = NULL;

    memset(addr, 0, sizeof *addr);
    addr->dirfd = -1;
    if (!path[0]) {
        return EINVAL;
    }
    if (strlen(path) >= sizeof sun->sun_path) {
        const char *slash = strrchr(path, '/');
        if (!slash) {
            return ENAMETOOLONG;
        }
        char *dir = slash == path ? xstrdup("/") : xmemdup0(path,
                                                            slash - path);
        addr->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int error = errno;
        free(dir);
        if (addr->dirfd < 0) {
            return error;
        }
        long_name = xasprintf("/proc/self/fd/%d/%s", addr->dirfd, slash + 1);
        path = long_name;
        if (strlen(path) >= sizeof sun->sun_path) {
            free(long_name);
            stream_addr_close(addr);
            return ENAMETOOLONG;
        }
    }
    sun->sun_family = AF_UNIX;
    strcpy(sun->sun_path, path);
    addr->len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
    free(long_name);
    return 0;
}

/* Parses "IP:PORT" (IPv6 as "[IP]:PORT") into 'addr'.  If 'port_first',
 * parses "PORT[:IP]" instead (ptcp), IP defaulting to 0.0.0.0.  Returns NULL
 * or an error message. */
static char *
inet_addr_parse(const char *s, bool port_first, struct stream_addr *addr)
{
    char *copy = xstrdup(s);
    char *host, *port;
    char *error = NULL;

    memset(addr, 0, sizeof *addr);
    addr->dirfd = -1;
    if (port_first) {
        port = copy;
        host = strchr(copy, ':');
        if (host) {
            *host++ = '\0';
        }
    } else {
        char *colon = strrchr(copy, ':');
        if (!colon) {
            error = xstrdup("expected IP:PORT");
            goto out;
        }
        *colon = '\0';
        host = copy;
        port = colon + 1;
    }

    int port_no;
    if (!str_to_int(port, 10, &port_no) || port_no < 0 || port_no > 65535
        || (!port_first && port_no == 0) || !port[0]) {
        error = xasprintf("'%s' is not a valid port number", port);
        goto out;
    }

    if (host && host[0] == '[') {
        size_t len = strlen(host);
        if (len < 2 || host[len - 1] != ']') {
            error = xasprintf("'%s' lacks its closing ']'", host);
            goto out;
        }
        host[len - 1] = '\0';
        host++;
    }

    struct sockaddr_in *sin = (struct sockaddr_in *) &addr->ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &addr->ss;
    if (!host || !host[0]) {
        if (!port_first) {
            error = xstrdup("missing IP address");
            goto out;
        }
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        sin->sin_port = htons(port_no);
        addr->len = sizeof *sin;
    } else if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port_no);
        addr->len = sizeof *sin;
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port_no);
        addr->len = sizeof *sin6;
    } else {
        error = xasprintf("'%s' is not an IPv4 or IPv6 address", host);
    }

out:
    free(copy);
    return error;
}

/* Formats 'ss' as "IP:PORT" or "[IP6]:PORT". */
static char *
inet_addr_format(const struct sockaddr_storage *ss)
{
    char buf[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
        return xasprintf("[%s]:%u", buf, ntohs(sin6->sin6_port));
    } else {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
        inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
        return xasprintf("%s:%u", buf, ntohs(sin->sin_port));
    }
}

char *
stream_verify_name(const char *name)
{
    if (str_startswith(name, "unix:")) {
        if (!name[5]) {
            return xasprintf("'%s' is not a valid stream name: "
                             "the socket path is empty", name);
        }
        return NULL;
    } else if (str_startswith(name, "tcp:")) {
        struct stream_addr addr;
        char *error = inet_addr_parse(name + 4, false, &addr);
        if (error) {
            char *msg = xasprintf("'%s' is not a valid stream name: %s",
                                  name, error);
            free(error);
            return msg;
        }
        return NULL;
    }
    return xasprintf("'%s' is not a valid stream name "
                     "(expected unix:PATH or tcp:IP:PORT)", name);
}

static struct stream *
stream_create(int fd, const char *name, bool is_tcp, int connect_status)
{
    struct stream *s = xzalloc(sizeof *s);
    s->fd = fd;
    s->name = xstrdup(name);
    s->is_tcp = is_tcp;
    s->connect_status = connect_status;
    return s;
}

/* Parses active ("unix:", "tcp:") or, if 'passive', passive ("punix:",
 * "ptcp:") stream 'name' into 'addr'.  Returns 0, EAFNOSUPPORT for another
 * kind, or another errno. */
static int
stream_addr_from_name(const char *name, bool passive,
                      struct stream_addr *addr, bool *is_tcpp)
{
    const char *unix_prefix = passive ? "punix:" : "unix:";
    const char *tcp_prefix = passive ? "ptcp:" : "tcp:";

    if (str_startswith(name, unix_prefix)) {
        *is_tcpp = false;
        return unix_addr_init(name + strlen(unix_prefix), addr);
    } else if (str_startswith(name, tcp_prefix)) {
        char *msg = inet_addr_parse(name + strlen(tcp_prefix), passive,
                                    addr);
        if (msg) {
            VLOG_DBG("%s: %s", name, msg);
            free(msg);
            return EINVAL;
        }
        *is_tcpp = true;
        return 0;
    }
    return EAFNOSUPPORT;
}

int
stream_open(const char *name, struct stream **streamp)
{
    struct stream_addr addr;
    bool is_tcp;
    int error;

    *streamp = NULL;
    error = stream_addr_from_name(name, false, &addr, &is_tcp);
    if (error) {
        return error;
    }

    int fd = socket(addr.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK
                    | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        stream_addr_close(&addr);
        return error;
    }
    if (is_tcp) {
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }

    int status = 0;
    if (connect(fd, (struct sockaddr *) &addr.ss, addr.len) < 0) {
        status = errno;
    }
    stream_addr_close(&addr);
    if (status == EINPROGRESS) {
        status = EAGAIN;
    } else if (status) {
        /* A unix connect to a full backlog fails at once with EAGAIN: that
         * is a failure here, not progress. */
        close(fd);
        return status;
    }
    *streamp = stream_create(fd, name, is_tcp, status);
    return 0;
}

int
stream_connect(struct stream *s)
{
    if (s->connect_status == EAGAIN) {
        struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
        if (poll(&pfd, 1, 0) > 0) {
            int error = 0;
            socklen_t len = sizeof error;
            if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0) {
                error = errno;
            }
            s->connect_status = error;
        }
    }
    return s->connect_status;
}

ssize_t
stream_recv(struct stream *s, void *buffer, size_t size)
{
    int error = stream_connect(s);
    if (error) {
        return -error;
    }
    for (;;) {
        ssize_t n = recv(s->fd, buffer, size, 0);
        if (n >= 0) {
            return n;
        } else if (errno != EINTR) {
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        }
    }
}

ssize_t
stream_send(struct stream *s, const void *buffer, size_t size)
{
    int error = stream_connect(s);
    if (error) {
        return -error;
    }
    for (;;) {
        ssize_t n = send(s->fd, buffer, size, MSG_NOSIGNAL);
        if (n >= 0) {
            return n;
        } else if (errno != EINTR) {
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        }
    }
}

void
stream_connect_wait(struct stream *s)
{
    if (s->connect_status == EAGAIN) {
        poll_fd_wait(s->fd, POLLOUT);
    } else {
        poll_immediate_wake();
    }
}

void
stream_recv_wait(struct stream *s)
{
    if (s->connect_status == EAGAIN) {
        poll_fd_wait(s->fd, POLLOUT);
    } else if (s->connect_status) {
        poll_immediate_wake();
    } else {
        poll_fd_wait(s->fd, POLLIN);
    }
}

void
stream_send_wait(struct stream *s)
{
    if (s->connect_status && s->connect_status != EAGAIN) {
        poll_immediate_wake();
    } else {
        poll_fd_wait(s->fd, POLLOUT);
    }
}

const char *
stream_get_name(const struct stream *s)
{
    return s->name;
}

bool
stream_is_tcp(const struct stream *s)
{
    return s->is_tcp;
}

void
stream_close(struct stream *s)
{
    if (s) {
        close(s->fd);
        free(s->name);
        free(s);
    }
}

/* Removes 'path' if it is a socket that nobody listens on any more (left by
 * a process that died).  Returns 0, or EADDRINUSE if a server answers. */
static int
unlink_stale_socket(const char *path)
{
    struct stat st;
    if (lstat(path, &st) || !S_ISSOCK(st.st_mode)) {
        return 0;
    }

    char *name = xasprintf("unix:%s", path);
    struct stream *s;
    int error = stream_open(name, &s);
    free(name);
    if (!error) {
        stream_close(s);
        return EADDRINUSE;
    } else if (error == ECONNREFUSED) {
        VLOG_DBG("removing stale socket %s", path);
        unlink(path);
    }
    return 0;
}

int
pstream_open(const char *name, unsigned int mode, struct pstream **pstreamp)
{
    struct stream_addr addr;
    bool is_tcp;
    int fd = -1;
    int error;

    *pstreamp = NULL;
    error = stream_addr_from_name(name, true, &addr, &is_tcp);
    if (error) {
        return error;
    }

    fd = socket(addr.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK
                | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        goto error;
    }
    if (is_tcp) {
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    } else {
        error = unlink_stale_socket(name + 6);
        if (error) {
            goto error;
        }
        /* The socket inode takes its mode from the socket at bind time (less
         * the umask); chmod afterward covers the umask. */
        fchmod(fd, mode);
    }
    if (bind(fd, (struct sockaddr *) &addr.ss, addr.len) < 0) {
        error = errno;
        goto error;
    }
    if (!is_tcp && chmod(name + 6, mode) < 0) {
        error = errno;
        unlink(name + 6);
        goto error;
    }
    if (listen(fd, 64) < 0) {
        error = errno;
        if (!is_tcp) {
            unlink(name + 6);
        }
        goto error;
    }
    stream_addr_close(&addr);

    struct pstream *ps = xzalloc(sizeof *ps);
    ps->fd = fd;
    ps->is_tcp = is_tcp;
    if (is_tcp) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (!getsockname(fd, (struct sockaddr *) &ss, &len)) {
            char *a = inet_addr_format(&ss);
            /* "ptcp:PORT:IP", so a listener on port 0 names its port. */
            char *colon = strrchr(a, ':');
            *colon = '\0';
            ps->name = xasprintf("ptcp:%s:%s", colon + 1, a);
            free(a);
        } else {
            ps->name = xstrdup(name);
        }
    } else {
        ps->name = xstrdup(name);
        ps->unlink_path = xstrdup(name + 6);
    }
    *pstreamp = ps;
    return 0;

error:
    if (fd >= 0) {
        close(fd);
    }
    stream_addr_close(&addr);
    return error;
}

int
pstream_accept(struct pstream *ps, struct stream **streamp)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd;

    *streamp = NULL;
    do {
        fd = accept4(ps->fd, (struct sockaddr *) &ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return errno == EWOULDBLOCK ? EAGAIN : errno;
    }

    char *name;
    if (ps->is_tcp) {
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        char *a = inet_addr_format(&ss);
        name = xasprintf("tcp:%s", a);
        free(a);
    } else {
        name = xasprintf("unix#%u", ++ps->n_accepted);
    }
    *streamp = stream_create(fd, name, ps->is_tcp, 0);
    free(name);
    return 0;
}

void
pstream_wait(struct pstream *ps)
{
    poll_fd_wait(ps->fd, POLLIN);
}

const char *
pstream_get_name(const struct pstream *ps)
{
    return ps->name;
}

void
pstream_close(struct pstream *ps)
{
    if (ps) {
        close(ps->fd);
        if (ps->unlink_path) {
            unlink(ps->unlink_path);
            free(ps->unlink_path);
        }
        free(ps->name);
        free(ps);
    }
}
