/* Verify: probes every pair of addressed ends that share a segment. */
#include <config.h>
#include "engine.h"
#include "engine-private.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include "vjson.h"
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "ethtool.h"
#include "netns-pool.h"
#include "netns.h"
#include "probe.h"
#include "rtnl.h"
#include "sysctl.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"
#include "openvswitch/vlog.h"

/* ---- Verify. ---- */

/* An addressed namespace end and the segment it sits on. */
struct vend {
    const struct topo_end *end;
    const char *ns;
    char *label;                /* "ns1/veth0". */
    char *segment;              /* Ends with equal segments share an L2
                                 * domain. */
    bool remote;                /* On another host's chassis: probed from
                                 * here, never probing. */
};

/* One probe: from end 'from' (source 'src') to 'dst' of end 'to'. */
struct vpair {
    size_t from, to;
    char *src, *dst;
};

static size_t
uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        i = parent[i] = parent[parent[i]];
    }
    return i;
}

/* Returns true if address 'addr' (no prefix) is inside 'cidr'. */
static bool
cidr_contains(const char *cidr, const char *addr)
{
    int family, plen;
    char *net;
    if (topology_parse_cidr(cidr, &family, &net, &plen)) {
        return false;
    }
    unsigned char a[16], b[16];
    bool ok = (inet_pton(family, net, a) == 1
               && inet_pton(family, addr, b) == 1);
    free(net);
    if (!ok) {
        return false;
    }
    for (int bit = 0; bit < plen; bit++) {
        int byte = bit / 8, mask = 0x80 >> (bit % 8);
        if ((a[byte] & mask) != (b[byte] & mask)) {
            return false;
        }
    }
    return true;
}

/* Adds the probes from end 'a' to end 'b': for each address of 'b', from an
 * address of 'a' in the same subnet. */
static void
add_pairs(const struct vend *ends, size_t a, size_t b, struct vpair **pairs,
          size_t *n, size_t *allocated)
{
    const struct topo_end *ea = ends[a].end, *eb = ends[b].end;
    for (size_t i = 0; i < eb->addrs.n; i++) {
        char *dst;
        if (topology_parse_cidr(eb->addrs.names[i], NULL, &dst, NULL)) {
            continue;
        }
        bool found = false;
        for (size_t k = 0; k < ea->addrs.n && !found; k++) {
            if (cidr_contains(ea->addrs.names[k], dst)) {
                char *src;
                if (!topology_parse_cidr(ea->addrs.names[k], NULL, &src,
                                         NULL)) {
                    if (*n >= *allocated) {
                        *pairs = x2nrealloc(*pairs, allocated,
                                            sizeof **pairs);
                    }
                    (*pairs)[(*n)++] = (struct vpair) { a, b, src,
                                                        xstrdup(dst) };
                    found = true;
                }
            }
        }
        /* Through a router: from the first address of the family, if
         * both ends have a way off their subnets. */
        int family;
        for (size_t k = 0; k < ea->addrs.n && !found && ea->gateway
                           && eb->gateway; k++) {
            char *src;
            if (!topology_parse_cidr(ea->addrs.names[k], &family, &src, NULL)
                && (family == AF_INET6) == (strchr(dst, ':') != NULL)
                && (family == AF_INET6) == (strchr(ea->gateway, ':')
                                            != NULL)) {
                if (*n >= *allocated) {
                    *pairs = x2nrealloc(*pairs, allocated, sizeof **pairs);
                }
                (*pairs)[(*n)++] = (struct vpair) { a, b, src, xstrdup(dst) };
                found = true;
            } else {
                free(src);
            }
        }
        free(dst);
    }
}

/* Collects the addressed namespace ends of 'eff' with their segments. */
static size_t
collect_vends(const struct topology *eff, struct vend **vendsp)
{
    size_t n_sw = eff->n_switches;
    size_t *parent = xmalloc((n_sw ? n_sw : 1) * sizeof *parent);
    for (size_t i = 0; i < n_sw; i++) {
        parent[i] = i;
    }
    /* Switches joined by a veth (hybrid links) form one segment. */
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        if (l->ends[0].sw && l->ends[1].sw) {
            size_t a = topology_find_switch(eff, l->ends[0].sw)
                       - eff->switches;
            size_t b = topology_find_switch(eff, l->ends[1].sw)
                       - eff->switches;
            parent[uf_find(parent, a)] = uf_find(parent, b);
        }
    }

    /* Switches joined by a router reach each other (routed). */
    for (size_t i = 0; i < eff->n_routers; i++) {
        const struct topo_router *r = &eff->routers[i];
        for (size_t p = 1; p < r->n_ports; p++) {
            const struct topo_switch *a = topology_find_switch(eff,
                                                               r->ports[0].sw);
            const struct topo_switch *c = topology_find_switch(eff,
                                                               r->ports[p].sw);
            if (a && c) {
                parent[uf_find(parent, a - eff->switches)]
                    = uf_find(parent, c - eff->switches);
            }
        }
    }

    /* A bridge joined to OVS through a tagged port (a hybrid plug) is in
     * that VLAN. */
    int *sw_vlan = xmalloc((n_sw ? n_sw : 1) * sizeof *sw_vlan);
    for (size_t i = 0; i < n_sw; i++) {
        sw_vlan[i] = -1;
    }
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        for (int j = 0; j < 2; j++) {
            if (l->ends[j].sw && l->ends[!j].sw && l->ends[!j].vlan >= 0) {
                sw_vlan[topology_find_switch(eff, l->ends[j].sw)
                        - eff->switches] = l->ends[!j].vlan;
            }
        }
    }

    struct vend *vends = NULL;
    size_t n = 0, allocated = 0;
    for (size_t i = 0; i < eff->n_links; i++) {
        const struct topo_link *l = &eff->links[i];
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &l->ends[j];
            const struct topo_end *other = &l->ends[!j];
            if (end->sw || !end->addrs.n) {
                continue;
            }
            char *segment;
            if (other->sw) {
                size_t s = topology_find_switch(eff, other->sw)
                           - eff->switches;
                segment = xasprintf("switch %zu vlan %d", uf_find(parent, s),
                                    other->vlan >= 0 ? other->vlan
                                    : sw_vlan[s]);
            } else {
                segment = xasprintf("link %zu", i);
            }
            if (n >= allocated) {
                vends = x2nrealloc(vends, &allocated, sizeof *vends);
            }
            vends[n++] = (struct vend) {
                .end = end,
                .ns = end->ns,
                .label = end_label(end),
                .segment = segment,
            };
        }
    }
    free(parent);
    free(sw_vlan);
    *vendsp = vends;
    return n;
}

/* Returns true if 't' has namespace end 'ns'/'ifname'. */
static bool
has_ns_end(const struct topology *t, const char *ns, const char *ifname)
{
    for (size_t i = 0; i < t->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &t->links[i].ends[j];
            if (!end->sw && ns_equal(end->ns, ns)
                && !strcmp(end->ifname, ifname)) {
                return true;
            }
        }
    }
    return false;
}

/* Collects the ends to probe: those of the effective topology 'eff' and,
 * where the lab spans hosts (an OVN lab whose other chassis are real
 * hosts), the ends that 'declared' leaves to the other hosts' chassis, as
 * destinations only. */
static size_t
collect_lab_vends(const struct topology *declared, const struct topology *eff,
                  struct vend **vendsp)
{
    bool spans_hosts = false;
    for (size_t i = 0; i < declared->n_links && !spans_hosts; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &declared->links[i].ends[j];
            if (!end->sw && !has_ns_end(eff, end->ns, end->ifname)) {
                spans_hosts = true;
            }
        }
    }
    if (!spans_hosts) {
        return collect_vends(eff, vendsp);
    }
    size_t n = collect_vends(declared, vendsp);
    for (size_t i = 0; i < n; i++) {
        struct vend *v = &(*vendsp)[i];
        v->remote = !has_ns_end(eff, v->end->ns, v->end->ifname);
    }
    return n;
}

/* Ends the line in 'out' without its trailing blanks. */
static void
ds_rtrim_line(struct ds *out)
{
    while (out->length && out->string[out->length - 1] == ' ') {
        out->string[--out->length] = '\0';
    }
    ds_put_char(out, '\n');
}

/* Returns why the pair from end 'from' fails, as a malloc'd phrase, or
 * NULL if it passes: 'ping' is its echo of the default size, 'mtu' its echo
 * of the sender's MTU with DF set, 'tcp' its TCP probe (NULL: none). */
static char *
verify_failure(const struct vend *from, const struct probe_result *ping,
               const struct probe_result *mtu,
               const struct probe_tcp_result *tcp)
{
    if (ping->error) {
        return xstrdup(ping->error == ETIMEDOUT ? "no echo reply"
                       : ovs_strerror(ping->error));
    } else if (mtu->error == ETIMEDOUT && mtu->mtu) {
        return xasprintf("reachable, but %d-byte packets (the MTU of %s) do "
                         "not pass", mtu->mtu, from->label);
    } else if (mtu->error) {
        return xasprintf("reachable, but packets of the MTU of %s cannot be "
                         "sent: %s", from->label, ovs_strerror(mtu->error));
    } else if (!tcp || !tcp->error) {
        return NULL;
    }

    switch (tcp->stage) {
    case PROBE_TCP_SETUP:
        return xasprintf("reachable, but TCP cannot be probed: %s",
                         ovs_strerror(tcp->error));
    case PROBE_TCP_CONNECT:
        return (tcp->error == ETIMEDOUT
                ? xstrdup("reachable, but TCP connections are not "
                          "established (no answer to the SYN)")
                : xasprintf("reachable, but TCP connections fail: %s",
                            ovs_strerror(tcp->error)));
    case PROBE_TCP_TRANSFER:
        return xasprintf("reachable, but a TCP stream stops after %zu "
                         "bytes: %s", tcp->received,
                         tcp->error == ETIMEDOUT ? "no progress"
                         : ovs_strerror(tcp->error));
    case PROBE_TCP_CHECK:
        return xasprintf("reachable, but TCP delivers wrong data at byte %zu",
                         tcp->received);
    case PROBE_TCP_DONE:
    default:
        return xasprintf("reachable, but TCP fails: %s",
                         ovs_strerror(tcp->error));
    }
}

int
engine_verify(const char *name, bool all, bool as_json,
              const struct engine_opts *opts, struct ds *out,
              int *n_failedp, char **errp)
{
    struct state st;
    *errp = NULL;
    *n_failedp = 0;
    int error = state_read_applied(opts, name, &st, errp);
    if (error) {
        return error;
    }

    struct engine e;
    engine_init(&e, name, opts);
    engine_use_state_remote(&e, &st);
    struct topology *eff = engine_effective_or_plain(&e, st.topo, &st);
    struct vend *vends;
    size_t n_vends = collect_lab_vends(st.topo, eff, &vends);

    /* Which pairs: all of them in small topologies or with --all; in large
     * ones, every end against the first and a fixed random sample. */
    struct vpair *pairs = NULL;
    size_t n_pairs = 0, allocated = 0;
    bool full = all || n_vends <= 32;
    for (size_t a = 0; a < n_vends; a++) {
        for (size_t b = 0; b < n_vends; b++) {
            if (a == b || vends[a].remote
                || strcmp(vends[a].segment, vends[b].segment)) {
                continue;
            }
            if (full || a == 0 || b == 0) {
                add_pairs(vends, a, b, &pairs, &n_pairs, &allocated);
            }
        }
    }
    if (!full) {
        unsigned int seed = 1;
        for (size_t k = 0; k < n_vends; k++) {
            size_t a = rand_r(&seed) % n_vends, b = rand_r(&seed) % n_vends;
            if (a != b && !vends[a].remote
                && !strcmp(vends[a].segment, vends[b].segment)) {
                add_pairs(vends, a, b, &pairs, &n_pairs, &allocated);
            }
        }
    }

    /* Per pair, one echo of the default size and one of the sender's MTU
     * with DF set: targets [0, n_pairs) and [n_pairs, 2 * n_pairs). */
    size_t n_targets = 2 * n_pairs;
    struct probe_target *targets = xcalloc(MAX(n_targets, 1),
                                           sizeof *targets);
    struct probe_result *results = xcalloc(MAX(n_targets, 1),
                                           sizeof *results);
    struct probe_tcp_target *tcp_targets = xcalloc(MAX(n_pairs, 1),
                                                   sizeof *tcp_targets);
    struct probe_tcp_result *tcp_results = xcalloc(MAX(n_pairs, 1),
                                                   sizeof *tcp_results);
    size_t *tcp_pair = xcalloc(MAX(n_pairs, 1), sizeof *tcp_pair);
    size_t n_tcp = 0;
    for (size_t i = 0; i < n_pairs && !error; i++) {
        const struct vend *from = &vends[pairs[i].from];
        struct ns_handle *h = engine_ns(&e, from->ns, &error);
        if (!h) {
            *errp = xasprintf("cannot open namespace '%s' of '%s': %s",
                              ns_label(from->ns), from->label,
                              ovs_strerror(error));
            break;
        }
        targets[i] = (struct probe_target) {
            .netns_fd = h->fd,
            .ifname = from->end->ifname,
            .src = pairs[i].src,
            .dst = pairs[i].dst,
        };
        targets[n_pairs + i] = targets[i];
        targets[n_pairs + i].full_size = true;
    }
    /* Large runs go in batches so that progress can be shown. */
    enum { BATCH = 512 };
    for (size_t done = 0; !error && done < n_targets; done += BATCH) {
        size_t n = MIN(BATCH, n_targets - done);
        error = probe_run(&targets[done], n, 3, 3000, &results[done]);
        if (error) {
            *errp = xasprintf("cannot probe topology '%s': %s", name,
                              ovs_strerror(error));
        } else {
            progress(&e, "probing pairs", done + n, n_targets);
        }
    }

    /* TCP between the pairs that answer pings. */
    for (size_t i = 0; i < n_pairs && !error && opts->verify_tcp_bytes; i++) {
        if (results[i].error || vends[pairs[i].to].remote) {
            /* A namespace on another host has no listener of ours. */
            continue;
        }
        struct ns_handle *to = engine_ns(&e, vends[pairs[i].to].ns, &error);
        if (!to) {
            *errp = xasprintf("cannot open namespace '%s' of '%s': %s",
                              ns_label(vends[pairs[i].to].ns),
                              vends[pairs[i].to].label, ovs_strerror(error));
            break;
        }
        tcp_pair[n_tcp] = i;
        tcp_targets[n_tcp++] = (struct probe_tcp_target) {
            .src_netns_fd = targets[i].netns_fd,
            .dst_netns_fd = to->fd,
            .ifname = targets[i].ifname,
            .src = pairs[i].src,
            .dst = pairs[i].dst,
            .bytes = opts->verify_tcp_bytes,
        };
    }
    if (!error && n_tcp) {
        error = probe_tcp_run(tcp_targets, n_tcp, 3000, tcp_results);
        if (error) {
            *errp = xasprintf("cannot probe TCP in topology '%s': %s", name,
                              ovs_strerror(error));
        }
    }
    /* Per pair: its TCP result, or NULL. */
    const struct probe_tcp_result **tcp_of = xcalloc(MAX(n_pairs, 1),
                                                     sizeof *tcp_of);
    for (size_t k = 0; k < n_tcp && !error; k++) {
        tcp_of[tcp_pair[k]] = &tcp_results[k];
    }

    /* Why each pair fails, or NULL. */
    char **why = xcalloc(MAX(n_pairs, 1), sizeof *why);
    int n_failed = 0;
    for (size_t i = 0; i < n_pairs && !error; i++) {
        why[i] = verify_failure(&vends[pairs[i].from], &results[i],
                                &results[n_pairs + i], tcp_of[i]);
        n_failed += why[i] != NULL;
    }

    if (!error && as_json) {
        json_t *jpairs = vjson_array();
        for (size_t i = 0; i < n_pairs; i++) {
            json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:b}",
                                  "from", vends[pairs[i].from].label,
                                  "to", vends[pairs[i].to].label,
                                  "src", pairs[i].src, "dst", pairs[i].dst,
                                  "ok", !why[i]);
            if (!results[i].error) {
                json_object_set_new(p, "rtt_ms",
                                    vjson_real(results[i].rtt_ms));
                const struct probe_result *m = &results[n_pairs + i];
                json_object_set_new(p, "mtu", json_pack(
                                        "{s:i, s:b}", "size", m->mtu,
                                        "ok", !m->error));
            }
            const struct probe_tcp_result *t = tcp_of[i];
            if (t) {
                json_t *jt = json_pack("{s:I, s:I, s:b}", "bytes",
                                       (json_int_t) opts->verify_tcp_bytes,
                                       "received", (json_int_t) t->received,
                                       "ok", !t->error);
                if (!t->error) {
                    json_object_set_new(jt, "seconds",
                                        vjson_real(t->seconds));
                    json_object_set_new(jt, "gbps", vjson_real(t->gbps));
                }
                json_object_set_new(p, "tcp", jt);
            }
            if (why[i]) {
                json_object_set_new(p, "error", vjson_string(why[i]));
            }
            json_array_append_new(jpairs, p);
        }
        json_t *root = json_pack("{s:s, s:o, s:i, s:i}", "topology", name,
                                 "pairs", jpairs,
                                 "ok", (int) n_pairs - n_failed,
                                 "failed", n_failed);
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        ds_put_format(out, "%s\n", text);
        free(text);
        json_decref(root);
    } else if (!error) {
        if (full && n_vends <= 16) {
            /* The matrix: rows send, columns answer. */
            int width = opts->verify_tcp_bytes ? 23 : 11;
            for (size_t i = 0; i < n_vends; i++) {
                width = MAX(width, (int) strlen(vends[i].label) + 2);
            }
            ds_put_format(out, "%-*s", width, "from \\ to");
            for (size_t b = 0; b < n_vends; b++) {
                ds_put_format(out, "%-*s", width, vends[b].label);
            }
            ds_rtrim_line(out);
            for (size_t a = 0; a < n_vends; a++) {
                ds_put_format(out, "%-*s", width, vends[a].label);
                for (size_t b = 0; b < n_vends; b++) {
                    char cell[64] = ".";
                    bool any = false, failed = false;
                    double worst = 0, slowest = -1;
                    for (size_t i = 0; i < n_pairs; i++) {
                        if (pairs[i].from == a && pairs[i].to == b) {
                            any = true;
                            failed |= why[i] != NULL;
                            worst = MAX(worst, results[i].rtt_ms);
                            if (tcp_of[i] && (slowest < 0
                                              || tcp_of[i]->gbps < slowest)) {
                                slowest = tcp_of[i]->gbps;
                            }
                        }
                    }
                    if (a == b) {
                        strcpy(cell, "-");
                    } else if (failed) {
                        strcpy(cell, "FAIL");
                    } else if (any && slowest >= 0) {
                        snprintf(cell, sizeof cell, "%.3f ms %.2f Gb/s",
                                 worst, slowest);
                    } else if (any) {
                        snprintf(cell, sizeof cell, "%.3f ms", worst);
                    }
                    ds_put_format(out, "%-*s", width, cell);
                }
                ds_rtrim_line(out);
            }
        }
        for (size_t i = 0; i < n_pairs; i++) {
            if (!why[i]) {
                continue;
            } else if (results[i].error) {
                ds_put_format(out, "FAIL %s (%s) -> %s (%s): %s\n",
                              vends[pairs[i].from].label, pairs[i].src,
                              vends[pairs[i].to].label, pairs[i].dst,
                              why[i]);
            } else {
                /* Reachable: the sentence names the pair first. */
                ds_put_format(out, "FAIL %s -> %s: %s (%s -> %s)\n",
                              vends[pairs[i].from].label,
                              vends[pairs[i].to].label, why[i],
                              pairs[i].src, pairs[i].dst);
            }
        }
        ds_put_format(out, "%zu pair%s probed: %zu ok, %d failed\n", n_pairs,
                      n_pairs == 1 ? "" : "s", n_pairs - n_failed, n_failed);
    }
    for (size_t i = 0; i < n_pairs; i++) {
        free(why[i]);
    }
    free(why);
    free(tcp_of);
    free(tcp_pair);
    free(tcp_targets);
    free(tcp_results);
    *n_failedp = n_failed;

    for (size_t i = 0; i < n_pairs; i++) {
        free(pairs[i].src);
        free(pairs[i].dst);
    }
    free(pairs);
    free(targets);
    free(results);
    for (size_t i = 0; i < n_vends; i++) {
        free(vends[i].label);
        free(vends[i].segment);
    }
    free(vends);
    topology_destroy(eff);
    state_uninit(&st);
    engine_uninit(&e);
    return error;
}
