/* Unit tests: topology model, parser and generators. */
#include <config.h>
#include "test-vplug.h"

#include <string.h>
#include <sys/socket.h>

#include "topo-gen.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Prints 'error' to stderr, frees it and returns 2, the CLI's status for
 * bad input. */
static int
report(char *error)
{
    fprintf(stderr, "%s\n", error);
    free(error);
    return 2;
}

/* Checks that 't' survives writing, parsing, cloning and validating
 * unchanged, and returns its text (caller frees). */
static char *
check_stable(const struct topology *t)
{
    char *text = topology_to_string(t);
    struct topology *again;
    char *error = topology_parse_string(text, "(written)", &again);
    if (error) {
        fprintf(stderr, "written text does not parse back: %s\n%s",
                error, text);
        exit(1);
    }
    char *text2 = topology_to_string(again);
    CHECK(!strcmp(text, text2));

    struct topology *copy = topology_clone(again);
    char *text3 = topology_to_string(copy);
    CHECK(!strcmp(text, text3));

    error = topology_validate(copy);
    if (error) {
        fprintf(stderr, "parsed topology does not validate: %s\n", error);
        exit(1);
    }

    free(text2);
    free(text3);
    topology_destroy(copy);
    topology_destroy(again);
    return text;
}

static int
test_parse(int argc, char *argv[])
{
    struct topology *t;
    char *error = topology_parse_file(argv[1], &t);
    if (error) {
        CHECK(!t);
        return report(error);
    }
    char *text = topology_to_string(t);
    fputs(text, stdout);
    free(text);
    topology_destroy(t);
    return 0;
}
VPLUG_TEST("parse", "FILE", test_parse)

static int
test_roundtrip(int argc, char *argv[])
{
    struct topology *t;
    char *error = topology_parse_file(argv[1], &t);
    if (error) {
        return report(error);
    }
    char *text = check_stable(t);
    printf("%zu switches, %zu links: stable\n", t->n_switches, t->n_links);
    free(text);
    topology_destroy(t);
    return 0;
}
VPLUG_TEST("roundtrip", "FILE", test_roundtrip)

/* The parser's interface name rules, through a one-link topology. */
static int
test_validate_ifname(int argc, char *argv[])
{
    struct topology t = { .name = "t" };
    struct topo_link link;

    topo_end_init(&link.ends[0]);
    topo_end_init(&link.ends[1]);
    link.ends[0].ns = xstrdup("ns1");
    link.ends[0].ifname = xstrdup(argv[1]);
    link.ends[1].ns = xstrdup("ns2");
    link.ends[1].ifname = xstrdup("peer");
    t.links = &link;
    t.n_links = 1;

    char *error = topology_validate(&t);
    topo_end_uninit(&link.ends[0]);
    topo_end_uninit(&link.ends[1]);
    if (error) {
        return report(error);
    }
    printf("valid\n");
    return 0;
}
VPLUG_TEST("validate-ifname", "NAME", test_validate_ifname)

static int
test_cidr(int argc, char *argv[])
{
    int family, plen;
    char *addr;
    char *error = topology_parse_cidr(argv[1], &family, &addr, &plen);
    if (error) {
        CHECK(!addr);
        return report(error);
    }
    printf("%s %s %d\n", family == AF_INET ? "ipv4" : "ipv6", addr, plen);
    free(addr);
    return 0;
}
VPLUG_TEST("cidr", "CIDR", test_cidr)

static int
test_gen(int argc, char *argv[])
{
    enum topo_switch_kind via;
    if (argc < 4 || !topo_switch_kind_from_name(argv[3], &via)) {
        fprintf(stderr, "usage: gen SHAPE N VIA [SUBNET [NAME]]\n");
        return 2;
    }

    struct topology *t;
    char *error = topo_gen(argv[1], atoi(argv[2]), via,
                           argc > 4 ? argv[4] : NULL,
                           argc > 5 ? argv[5] : NULL, &t);
    if (error) {
        CHECK(!t);
        return report(error);
    }
    char *text = check_stable(t);
    fputs(text, stdout);
    free(text);
    topology_destroy(t);
    return 0;
}
VPLUG_TEST("gen", "SHAPE N VIA [SUBNET [NAME]]", test_gen)

/* Prints the generated names of both ends of links 0..N-1 of NAME. */
static int
test_gen_ifname(int argc, char *argv[])
{
    int n = atoi(argv[2]);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 2; j++) {
            char *name = topology_generate_ifname(argv[1], i, j);
            CHECK(strlen(name) <= 15);
            printf("%s%c", name, j ? '\n' : ' ');
            free(name);
        }
    }
    return 0;
}
VPLUG_TEST("gen-ifname", "NAME N", test_gen_ifname)

/* Builds a topology in memory with one defect named by argv[1] and prints
 * what topology_validate() says about it. */
static int
test_validate_defect(int argc, char *argv[])
{
    struct topology *t;
    char *error = topo_gen("star", 2, TOPO_SW_OVS, NULL, "mem", &t);
    CHECK(!error);

    const char *defect = argv[1];
    struct topo_end *host = &t->links[1].ends[0];
    struct topo_end *port = &t->links[1].ends[1];
    if (!strcmp(defect, "none")) {
    } else if (!strcmp(defect, "long-ifname")) {
        free(port->ifname);
        port->ifname = xstrdup("mem-port-0123456");
    } else if (!strcmp(defect, "dup-ifname")) {
        free(port->ifname);
        port->ifname = xstrdup("mem-1");
    } else if (!strcmp(defect, "switch-name")) {
        free(port->ifname);
        port->ifname = xstrdup("mem-sw");
    } else if (!strcmp(defect, "addr-on-port")) {
        svec_add(&port->addrs, "10.0.0.9/16");
    } else if (!strcmp(defect, "upper-mac")) {
        host->mac = xstrdup("02:AA:00:00:00:01");
    } else if (!strcmp(defect, "no-links")) {
        for (size_t i = 0; i < t->n_links; i++) {
            topo_end_uninit(&t->links[i].ends[0]);
            topo_end_uninit(&t->links[i].ends[1]);
        }
        t->n_links = 0;
    } else if (!strcmp(defect, "fallback-self")) {
        t->switches[0].fallback = xmalloc(sizeof *t->switches[0].fallback);
        t->switches[0].fallback[0] = TOPO_SW_OVS;
        t->switches[0].n_fallback = 1;
    } else if (!strcmp(defect, "bridge-datapath")) {
        t->switches[0].kind = TOPO_SW_BRIDGE;
    } else {
        fprintf(stderr, "unknown defect '%s'\n", defect);
        topology_destroy(t);
        return 2;
    }
    error = topology_validate(t);
    topology_destroy(t);
    if (error) {
        return report(error);
    }
    printf("valid\n");
    return 0;
}
VPLUG_TEST("validate-defect", "DEFECT", test_validate_defect)
