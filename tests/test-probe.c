/* Unit tests: sysctl, ethtool and the ICMP prober, driven from probe.at
 * inside the test's private namespaces. */
#include <config.h>
#include "test-vplug.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ethtool.h"
#include "netns.h"
#include "probe.h"
#include "sysctl.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Opens namespace 'name' ("-": the current one, giving -1) or exits. */
static int
open_netns_arg(const char *name)
{
    int fd;

    if (!strcmp(name, "-")) {
        return -1;
    }
    int error = netns_open(name, &fd);
    if (error) {
        fprintf(stderr, "cannot open namespace '%s': %s\n",
                name, ovs_strerror(error));
        exit(1);
    }
    return fd;
}

static void
close_netns_arg(int fd)
{
    if (fd >= 0) {
        close(fd);
    }
}

static int
test_sysctl_read(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: sysctl-read NS PATH\n");
        return 2;
    }
    int fd = open_netns_arg(argv[1]);
    char *value;
    int error = sysctl_read(fd, argv[2], &value);
    close_netns_arg(fd);
    if (error) {
        fprintf(stderr, "cannot read sysctl '%s': %s\n",
                argv[2], ovs_strerror(error));
        return 1;
    }
    printf("%s\n", value);
    free(value);
    return 0;
}
VPLUG_TEST("sysctl-read", "NS PATH", test_sysctl_read)

static int
test_sysctl_write(int argc, char *argv[])
{
    if (argc != 4) {
        fprintf(stderr, "usage: sysctl-write NS PATH VALUE\n");
        return 2;
    }
    int fd = open_netns_arg(argv[1]);
    int error = sysctl_write(fd, argv[2], argv[3]);
    close_netns_arg(fd);
    if (error) {
        fprintf(stderr, "cannot write sysctl '%s': %s\n",
                argv[2], ovs_strerror(error));
        return 1;
    }
    return 0;
}
VPLUG_TEST("sysctl-write", "NS PATH VALUE", test_sysctl_write)

/* Opens /proc/sys/PATH while in NS, goes back, then shows that the open
 * file still reads NS's value and not the current namespace's: the reason
 * sysctl.c may do its I/O after leaving the namespace. */
static int
test_sysctl_open_stays(int argc, char *argv[])
{
    if (argc != 3) {
        fprintf(stderr, "usage: sysctl-open-stays NS PATH\n");
        return 2;
    }
    int ns_fd = open_netns_arg(argv[1]);
    int saved_fd;
    CHECK(!netns_enter(ns_fd, &saved_fd));
    char *file = xasprintf("/proc/sys/%s", argv[2]);
    FILE *stream = fopen(file, "r");
    CHECK(stream != NULL);
    netns_restore(saved_fd);

    char *here;
    CHECK(!sysctl_read(-1, argv[2], &here));
    char line[256] = "";
    CHECK(fgets(line, sizeof line, stream) != NULL);
    line[strcspn(line, "\n")] = '\0';
    printf("opened in %s: %s\ncurrent: %s\n", argv[1], line, here);

    fclose(stream);
    free(file);
    free(here);
    close_netns_arg(ns_fd);
    return 0;
}
VPLUG_TEST("sysctl-open-stays", "NS PATH", test_sysctl_open_stays)

static int
test_txcsum(int argc, char *argv[])
{
    if (argc != 4 || (strcmp(argv[3], "on") && strcmp(argv[3], "off")
                      && strcmp(argv[3], "show"))) {
        fprintf(stderr, "usage: txcsum NS IF on|off|show\n");
        return 2;
    }
    int fd = open_netns_arg(argv[1]);
    int error;
    if (!strcmp(argv[3], "show")) {
        bool on;
        error = ethtool_get_tx_csum(fd, argv[2], &on);
        if (!error) {
            printf("%s: tx-checksumming %s\n", argv[2], on ? "on" : "off");
        }
    } else {
        error = ethtool_set_tx_csum(fd, argv[2], !strcmp(argv[3], "on"));
    }
    close_netns_arg(fd);
    if (error) {
        fprintf(stderr, "cannot %s tx checksum offload of '%s': %s\n",
                !strcmp(argv[3], "show") ? "read" : "set", argv[2],
                ovs_strerror(error));
        return 1;
    }
    return 0;
}
VPLUG_TEST("txcsum", "NS IF on|off|show", test_txcsum)

static const char *
dash_is_null(const char *s)
{
    return strcmp(s, "-") ? s : NULL;
}

/* Prints one line per target on stdout ("ok", "timed out" or the error)
 * and the round trips on stderr.  Exits 0 if every target answered. */
static int
test_probe(int argc, char *argv[])
{
    int count = 5;
    int timeout_ms = 2000;
    int i = 1;

    for (; i < argc && str_startswith(argv[i], "--"); i++) {
        if (str_startswith(argv[i], "--count=")) {
            CHECK(str_to_int(argv[i] + 8, 10, &count));
        } else if (str_startswith(argv[i], "--timeout=")) {
            CHECK(str_to_int(argv[i] + 10, 10, &timeout_ms));
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc || (argc - i) % 4) {
        fprintf(stderr, "usage: probe [--count=N] [--timeout=MS] "
                "NS IF SRC DST [NS IF SRC DST...]\n");
        return 2;
    }

    size_t n = (argc - i) / 4;
    struct probe_target *targets = xcalloc(n, sizeof *targets);
    struct probe_result *results = xcalloc(n, sizeof *results);
    for (size_t j = 0; j < n; j++, i += 4) {
        targets[j].netns_fd = open_netns_arg(argv[i]);
        targets[j].ifname = dash_is_null(argv[i + 1]);
        targets[j].src = dash_is_null(argv[i + 2]);
        targets[j].dst = argv[i + 3];
    }

    int status = 0;
    int error = probe_run(targets, n, count, timeout_ms, results);
    if (error) {
        fprintf(stderr, "cannot probe: %s\n", ovs_strerror(error));
        status = 1;
    }
    for (size_t j = 0; !error && j < n; j++) {
        const struct probe_target *t = &targets[j];
        const struct probe_result *r = &results[j];

        printf("%s -> %s: %s\n", t->src ? t->src : "-", t->dst,
               !r->error ? "ok"
               : r->error == ETIMEDOUT ? "timed out"
               : ovs_strerror(r->error));
        if (!r->error) {
            fprintf(stderr, "%s -> %s: rtt %.3f ms, sent %d, received %d\n",
                    t->src ? t->src : "-", t->dst, r->rtt_ms, r->sent,
                    r->received);
        } else {
            status = 1;
        }
    }

    for (size_t j = 0; j < n; j++) {
        close_netns_arg(targets[j].netns_fd);
    }
    free(targets);
    free(results);
    return status;
}
VPLUG_TEST("probe", "[--count=N] [--timeout=MS] NS IF SRC DST...",
           test_probe)
