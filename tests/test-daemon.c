/* Unit tests of the daemon side: raw control-socket clients that send what
 * ovs-appctl never would (garbage, huge requests, many at once), the
 * pidfile as ovs-appctl reads it, and the sandbox. */
#include <config.h>
#include "test-vplug.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "plugin/sandbox.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "timeval.h"
#include "vjson.h"

/* Raw clients. */

static int
connect_unix(const char *path)
{
    struct sockaddr_un sun;

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof sun.sun_path);
    strcpy(sun.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    if (connect(fd, (struct sockaddr *) &sun, sizeof sun)) {
        fprintf(stderr, "cannot connect to %s: %s\n", path,
                ovs_strerror(errno));
        exit(1);
    }
    return fd;
}

/* Sends all of 'data'.  Returns false if the server closed the connection
 * meanwhile. */
static bool
send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        data += n;
        size -= n;
    }
    return true;
}

/* Reads one reply from 'fd' within 'timeout_ms' into 'out' as "result:
 * TEXT", "error: TEXT", "closed" or "timeout".  Returns true if a reply
 * arrived. */
static bool
read_reply(int fd, int timeout_ms, struct ds *out)
{
    struct ds buf = DS_EMPTY_INITIALIZER;
    long long int deadline = time_msec() + timeout_ms;
    bool ok = false;

    for (;;) {
        long long int left = deadline - time_msec();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&pfd, 1, left) == 0) {
            ds_put_cstr(out, "timeout");
            break;
        }

        char chunk[4096];
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            ds_put_cstr(out, "closed");
            break;
        }
        ds_put_buffer(&buf, chunk, n);

        json_error_t jerror;
        json_t *json = json_loadb(buf.string, buf.length, 0, &jerror);
        if (json) {
            json_t *result = json_object_get(json, "result");
            json_t *error = json_object_get(json, "error");
            if (json_is_string(result) && json_is_null(error)) {
                ds_put_format(out, "result: %s", json_string_value(result));
            } else if (json_is_string(error) && !result) {
                ds_put_format(out, "error: %s", json_string_value(error));
            } else {
                char *s = json_dumps(json, JSON_SORT_KEYS | JSON_COMPACT);
                ds_put_format(out, "unexpected reply: %s\n", s);
                free(s);
            }
            json_decref(json);
            ok = true;
            break;
        }
    }
    ds_destroy(&buf);
    return ok;
}

/* "unixctl-send PATH TEXT...": sends each TEXT in turn on one connection,
 * printing each reply (or how the connection ended). */
static int
test_unixctl_send(int argc, char *argv[])
{
    if (argc < 3) {
        fprintf(stderr, "usage: unixctl-send PATH TEXT...\n");
        return 2;
    }
    int fd = connect_unix(argv[1]);
    for (int i = 2; i < argc; i++) {
        struct ds out = DS_EMPTY_INITIALIZER;
        if (!send_all(fd, argv[i], strlen(argv[i]))) {
            ds_put_cstr(&out, "closed");
        } else {
            read_reply(fd, 2000, &out);
        }
        ds_chomp(&out, '\n');
        printf("%s\n", ds_cstr(&out));
        ds_destroy(&out);
    }
    close(fd);
    return 0;
}
VPLUG_TEST("unixctl-send", "PATH TEXT...", test_unixctl_send)

/* "unixctl-huge PATH SIZE": sends a request of SIZE bytes (one long
 * string parameter) and prints how the server answered. */
static int
test_unixctl_huge(int argc, char *argv[])
{
    int size;
    if (argc != 3 || !str_to_int(argv[2], 10, &size) || size < 64) {
        fprintf(stderr, "usage: unixctl-huge PATH SIZE\n");
        return 2;
    }

    static const char head[] = "{\"id\":0,\"method\":\"echo\",\"params\":[\"";
    static const char tail[] = "\"]}";
    char *req = xmalloc(size);
    size_t n_x = size - strlen(head) - strlen(tail);
    memcpy(req, head, strlen(head));
    memset(req + strlen(head), 'x', n_x);
    memcpy(req + strlen(head) + n_x, tail, strlen(tail));

    int fd = connect_unix(argv[1]);
    struct ds out = DS_EMPTY_INITIALIZER;
    if (!send_all(fd, req, size)) {
        ds_put_cstr(&out, "closed");
    } else if (read_reply(fd, 5000, &out)) {
        /* Do not print a megabyte of x. */
        ds_clear(&out);
        ds_put_cstr(&out, "replied");
    }
    printf("%s\n", ds_cstr(&out));
    ds_destroy(&out);
    free(req);
    close(fd);
    return 0;
}
VPLUG_TEST("unixctl-huge", "PATH SIZE", test_unixctl_huge)

/* Prints the distinct replies in 'replies' (sorted on the way) with their
 * counts, as "N x REPLY". */
static void
print_reply_counts(struct svec *replies)
{
    svec_sort(replies);
    for (size_t i = 0; i < replies->n; ) {
        size_t j = i;
        while (j < replies->n
               && !strcmp(replies->names[i], replies->names[j])) {
            j++;
        }
        printf("%zu x %s\n", j - i, replies->names[i]);
        i = j;
    }
}

/* "unixctl-many PATH N COMMAND": N clients connect at once, each sends
 * COMMAND (no arguments) and reads its reply; prints the distinct
 * replies with their counts. */
static int
test_unixctl_many(int argc, char *argv[])
{
    int n;
    if (argc != 4 || !str_to_int(argv[2], 10, &n) || n < 1) {
        fprintf(stderr, "usage: unixctl-many PATH N COMMAND\n");
        return 2;
    }

    int *fds = xcalloc(n, sizeof *fds);
    for (int i = 0; i < n; i++) {
        fds[i] = connect_unix(argv[1]);
    }
    for (int i = 0; i < n; i++) {
        char *req = xasprintf("{\"id\":%d,\"method\":\"%s\",\"params\":[]}",
                              i, argv[3]);
        CHECK(send_all(fds[i], req, strlen(req)));
        free(req);
    }

    struct svec replies = SVEC_EMPTY_INITIALIZER;
    for (int i = 0; i < n; i++) {
        struct ds out = DS_EMPTY_INITIALIZER;
        read_reply(fds[i], 5000, &out);
        ds_chomp(&out, '\n');
        svec_add(&replies, ds_cstr(&out));
        ds_destroy(&out);
        close(fds[i]);
    }
    print_reply_counts(&replies);
    svec_destroy(&replies);
    free(fds);
    return 0;
}
VPLUG_TEST("unixctl-many", "PATH N COMMAND", test_unixctl_many)

/* Substitutes 'i' for each "%d" in 'arg' and returns it as a JSON string
 * (a new one). */
static char *
burst_param(const char *arg, int i)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    for (const char *p = arg; *p; p++) {
        if (p[0] == '%' && p[1] == 'd') {
            ds_put_format(&s, "%d", i);
            p++;
        } else {
            ds_put_char(&s, *p);
        }
    }
    json_t *j = vjson_string(ds_cstr(&s));
    char *dump = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    ds_destroy(&s);
    return dump;
}

/* "unixctl-burst [--first=K] PATH N together|one-by-one METHOD ARG...": N
 * requests METHOD ARG... (each "%d" in an ARG becomes the request's number,
 * K to K + N - 1, K 1 unless given), as an agent holding its sockets sends
 * them: either all at once on N connections made beforehand, then every
 * reply read; or each on its own connection once the previous one was
 * answered.  Prints the distinct replies with their counts, and on stderr
 * how long it took from the first send to the last reply. */
static int
test_unixctl_burst(int argc, char *argv[])
{
    int n, first = 1;
    if (argc > 1 && str_startswith(argv[1], "--first=")) {
        if (!str_to_int(argv[1] + strlen("--first="), 10, &first)) {
            fprintf(stderr, "unixctl-burst: %s is not a number\n", argv[1]);
            return 2;
        }
        argc--;
        argv++;
    }
    if (argc < 5 || !str_to_int(argv[2], 10, &n) || n < 1
        || (strcmp(argv[3], "together") && strcmp(argv[3], "one-by-one"))) {
        fprintf(stderr, "usage: unixctl-burst [--first=K] PATH N "
                "together|one-by-one METHOD ARG...\n");
        return 2;
    }
    bool together = !strcmp(argv[3], "together");

    char **reqs = xcalloc(n, sizeof *reqs);
    for (int i = 0; i < n; i++) {
        struct ds req = DS_EMPTY_INITIALIZER;
        ds_put_format(&req, "{\"id\":%d,\"method\":\"%s\",\"params\":[",
                      first + i, argv[4]);
        for (int a = 5; a < argc; a++) {
            char *param = burst_param(argv[a], first + i);
            ds_put_format(&req, "%s%s", a > 5 ? "," : "", param);
            free(param);
        }
        ds_put_cstr(&req, "]}");
        reqs[i] = ds_steal_cstr(&req);
    }

    int *fds = xcalloc(n, sizeof *fds);
    if (together) {
        for (int i = 0; i < n; i++) {
            fds[i] = connect_unix(argv[1]);
        }
    }
    struct svec replies = SVEC_EMPTY_INITIALIZER;
    long long int start = time_msec();
    for (int i = 0; together && i < n; i++) {
        CHECK(send_all(fds[i], reqs[i], strlen(reqs[i])));
    }
    for (int i = 0; i < n; i++) {
        if (!together) {
            fds[i] = connect_unix(argv[1]);
            CHECK(send_all(fds[i], reqs[i], strlen(reqs[i])));
        }
        struct ds out = DS_EMPTY_INITIALIZER;
        read_reply(fds[i], 60000, &out);
        ds_chomp(&out, '\n');
        svec_add(&replies, ds_cstr(&out));
        ds_destroy(&out);
        close(fds[i]);
    }
    long long int elapsed = time_msec() - start;

    print_reply_counts(&replies);
    fprintf(stderr, "%d requests %s: %lld ms\n", n, argv[3], elapsed);
    svec_destroy(&replies);
    for (int i = 0; i < n; i++) {
        free(reqs[i]);
    }
    free(reqs);
    free(fds);
    return 0;
}
VPLUG_TEST("unixctl-burst",
           "[--first=K] PATH N together|one-by-one METHOD ARG...",
           test_unixctl_burst)

static const char HALF_REQUEST[] = "{\"id\":1,\"method\":\"version\",\"par";

/* Opens up to 'n' nonblocking connections to the unix socket 'path', into
 * 'fds', and sends 'text' on each.  Returns how many it opened: it stops at
 * the first that fails, or after 3 s in which a full listen backlog let no
 * connect() through. */
static int
open_held(const char *path, int n, const char *text, int *fds)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    CHECK(strlen(path) < sizeof sun.sun_path);
    strcpy(sun.sun_path, path);

    int n_open = 0;
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        0);
        if (fd < 0) {
            fprintf(stderr, "socket: %s\n", ovs_strerror(errno));
            break;
        }
        long long int deadline = time_msec() + 3000;
        int error;
        while ((error = connect(fd, (struct sockaddr *) &sun, sizeof sun)
                ? errno : 0) == EAGAIN && time_msec() < deadline) {
            struct timespec ts = { 0, 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        if (error || !send_all(fd, text, strlen(text))) {
            close(fd);
            break;
        }
        fds[n_open++] = fd;
    }
    return n_open;
}

/* "unixctl-hold PATH N partial|silent SECONDS": opens N connections that
 * each send half a request (partial) or nothing (silent), then waits up to
 * SECONDS for the server to close every one of them.  Prints how many it
 * closed, and exits with status 1 unless it closed all. */
static int
test_unixctl_hold(int argc, char *argv[])
{
    int n, seconds;
    if (argc != 5 || !str_to_int(argv[2], 10, &n) || n < 1
        || (strcmp(argv[3], "partial") && strcmp(argv[3], "silent"))
        || !str_to_int(argv[4], 10, &seconds) || seconds < 1) {
        fprintf(stderr, "usage: unixctl-hold PATH N partial|silent "
                "SECONDS\n");
        return 2;
    }

    int *fds = xcalloc(n, sizeof *fds);
    const char *text = !strcmp(argv[3], "partial") ? HALF_REQUEST : "";
    int n_open = open_held(argv[1], n, text, fds);
    int n_closed = 0;
    long long int deadline = time_msec() + seconds * 1000LL;
    while (n_closed < n_open && time_msec() < deadline) {
        struct pollfd *pfds = xcalloc(n_open, sizeof *pfds);
        for (int i = 0; i < n_open; i++) {
            pfds[i].fd = fds[i];
            pfds[i].events = POLLIN;
        }
        int retval = poll(pfds, n_open, MAX(0, deadline - time_msec()));
        for (int i = 0; retval > 0 && i < n_open; i++) {
            char c;
            ssize_t got;
            if (fds[i] >= 0 && pfds[i].revents
                && ((got = recv(fds[i], &c, 1, 0)) == 0
                    || (got < 0 && errno != EAGAIN && errno != EINTR))) {
                close(fds[i]);
                fds[i] = -1;
                n_closed++;
            }
        }
        free(pfds);
    }
    printf("%d of %d connections closed by the server\n", n_closed, n);
    for (int i = 0; i < n_open; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    free(fds);
    return n_closed == n ? 0 : 1;
}
VPLUG_TEST("unixctl-hold", "PATH N partial|silent SECONDS",
           test_unixctl_hold)

/* "unixctl-watch PATH PID MARKER METHOD [ARG...]": on one connection,
 * sends METHOD with ARGs again and again, each once the last is answered,
 * for as long as process PID lives, and prints the latency in
 * microseconds of each answer whose text contains MARKER.  A client of
 * its own socket: no process start in the figures. */
static int
test_unixctl_watch(int argc, char *argv[])
{
    int pid;
    if (argc < 5 || !str_to_int(argv[2], 10, &pid) || pid < 1) {
        fprintf(stderr, "usage: unixctl-watch PATH PID MARKER METHOD "
                "[ARG...]\n");
        return 2;
    }
    struct ds params = DS_EMPTY_INITIALIZER;
    for (int i = 5; i < argc; i++) {
        char *param = burst_param(argv[i], 0);
        ds_put_format(&params, "%s%s", i > 5 ? "," : "", param);
        free(param);
    }

    int fd = connect_unix(argv[1]);
    for (int id = 0; !kill(pid, 0); id++) {
        char *req = xasprintf("{\"id\":%d,\"method\":\"%s\","
                              "\"params\":[%s]}", id, argv[4],
                              ds_cstr(&params));
        long long int t0 = time_usec();
        CHECK(send_all(fd, req, strlen(req)));
        free(req);
        struct ds out = DS_EMPTY_INITIALIZER;
        bool replied = read_reply(fd, 30000, &out);
        long long int t1 = time_usec();
        if (!replied) {
            fprintf(stderr, "no reply: %s\n", ds_cstr(&out));
            ds_destroy(&out);
            return 1;
        }
        if (strstr(ds_cstr(&out), argv[3])) {
            printf("%lld\n", t1 - t0);
        }
        ds_destroy(&out);
    }
    close(fd);
    ds_destroy(&params);
    return 0;
}
VPLUG_TEST("unixctl-watch", "PATH PID MARKER METHOD [ARG...]",
           test_unixctl_watch)

/* "unixctl-halfopen PATH N COMMAND...": opens N connections that each send
 * half a request and then stay silent, runs COMMAND while they are held,
 * and exits with COMMAND's status.  Prints how many of the N the server let
 * connect (a server that stops accepting fills its listen backlog, and a
 * further connect() fails with EAGAIN for good). */
static int
test_unixctl_halfopen(int argc, char *argv[])
{
    int n;
    if (argc < 4 || !str_to_int(argv[2], 10, &n) || n < 1) {
        fprintf(stderr, "usage: unixctl-halfopen PATH N COMMAND...\n");
        return 2;
    }

    int *fds = xcalloc(n, sizeof *fds);
    int n_open = open_held(argv[1], n, HALF_REQUEST, fds);
    printf("%d of %d half-open connections held\n", n_open, n);
    fflush(stdout);

    int status = 1;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (!pid) {
        execvp(argv[3], &argv[3]);
        fprintf(stderr, "cannot run %s: %s\n", argv[3], ovs_strerror(errno));
        _exit(127);
    }
    int wstatus;
    if (waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus)) {
        status = WEXITSTATUS(wstatus);
    }
    for (int i = 0; i < n_open; i++) {
        close(fds[i]);
    }
    free(fds);
    return status;
}
VPLUG_TEST("unixctl-halfopen", "PATH N COMMAND...", test_unixctl_halfopen)

/* "read-pidfile FILE": prints the pid holding FILE, or why none does. */
static int
test_read_pidfile(int argc, char *argv[])
{
    if (argc != 2) {
        fprintf(stderr, "usage: read-pidfile FILE\n");
        return 2;
    }
    pid_t pid = read_pidfile(argv[1]);
    if (pid <= 0) {
        printf("%s\n", ovs_strerror(pid ? -pid : ESRCH));
        return 1;
    }
    printf("%ld\n", (long int) pid);
    return 0;
}
VPLUG_TEST("read-pidfile", "FILE", test_read_pidfile)

/* "sandbox start|stop|status [DIR]". */
static int
test_sandbox(int argc, char *argv[])
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: sandbox start|stop|status [DIR]\n");
        return 2;
    }
    const char *dir = argc > 2 ? argv[2] : NULL;
    char *why = NULL;
    int error;

    if (!strcmp(argv[1], "start")) {
        long long int start = time_msec();
        error = sandbox_start(dir, &why);
        if (getenv("SANDBOX_TIME")) {
            fprintf(stderr, "sandbox start took %lld ms\n",
                    time_msec() - start);
        }
    } else if (!strcmp(argv[1], "stop")) {
        error = sandbox_stop(dir, &why);
    } else if (!strcmp(argv[1], "status")) {
        struct ds out = DS_EMPTY_INITIALIZER;
        error = sandbox_status(dir, &out);
        fputs(ds_cstr(&out), stdout);
        ds_destroy(&out);
        return error ? 1 : 0;
    } else if (!strcmp(argv[1], "remote")) {
        char *remote = sandbox_db_remote(dir);
        printf("%s\n", remote);
        free(remote);
        return 0;
    } else {
        fprintf(stderr, "unknown sandbox command \"%s\"\n", argv[1]);
        return 2;
    }
    if (error) {
        fprintf(stderr, "%s\n", why);
        free(why);
        return 1;
    }
    return 0;
}
VPLUG_TEST("sandbox", "start|stop|status|remote [DIR]", test_sandbox)
