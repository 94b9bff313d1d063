/* The model of a lab's picture and "vplug graph"; see graph.h and
 * graph-private.h. */
#include <config.h>
#include "graph.h"
#include "graph-private.h"

#include <errno.h>
#include "vjson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"

/* Live state of one switch, from "show". */
struct graph_switch {
    const char *name;
    const char *backend;        /* "ovs", "bridge", "direct". */
    const char *variant;        /* "ovs/netdev", "bridge", ... */
    const char *reason;         /* Why a fallback was used, or NULL. */
    bool created;
};

/* What "show" and "verify" said, borrowed from their parsed JSON. */
struct graph_live {
    json_t *show;               /* The applied topology's object, or NULL. */
    json_t *show_root;
    json_t *verify;             /* Root of the verify output, or NULL. */
};

static bool
nullable_equal(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* The live object "show" gave for 'end', or NULL. */
static const json_t *
live_end(const struct graph_live *live, const struct topo_end *end)
{
    if (!live->show) {
        return NULL;
    }
    size_t i;
    json_t *link;
    json_array_foreach (json_object_get(live->show, "links"), i, link) {
        size_t k;
        json_t *e;
        json_array_foreach (json_object_get(link, "ends"), k, e) {
            const char *ifname = json_string_value(json_object_get(e,
                                                                   "ifname"));
            const char *sw = json_string_value(json_object_get(e, "switch"));
            const char *ns = json_string_value(json_object_get(e, "ns"));
            if (ifname && !strcmp(ifname, end->ifname)
                && nullable_equal(sw, end->sw)
                && (end->sw || nullable_equal(ns, end->ns))) {
                return e;
            }
        }
    }
    return NULL;
}

static bool
live_switch(const struct graph_live *live, const char *name,
            struct graph_switch *gs)
{
    memset(gs, 0, sizeof *gs);
    if (!live->show) {
        return false;
    }
    size_t i;
    json_t *sw;
    json_array_foreach (json_object_get(live->show, "switches"), i, sw) {
        const char *n = json_string_value(json_object_get(sw, "name"));
        if (n && !strcmp(n, name)) {
            gs->name = n;
            gs->backend = json_string_value(json_object_get(sw, "backend"));
            gs->variant = json_string_value(json_object_get(sw, "variant"));
            gs->reason = json_string_value(json_object_get(sw,
                                                           "fallback_reason"));
            gs->created = json_is_true(json_object_get(sw, "created"));
            return true;
        }
    }
    return false;
}

/* Whether namespace 'ns' exists, as "show" says (true when unknown). */
static bool
live_ns_exists(const struct graph_live *live, const char *ns)
{
    if (!live->show || !ns) {
        return true;
    }
    size_t i;
    json_t *j;
    json_array_foreach (json_object_get(live->show, "namespaces"), i, j) {
        const char *n = json_string_value(json_object_get(j, "name"));
        if (n && !strcmp(n, ns)) {
            return !json_is_false(json_object_get(j, "exists"));
        }
    }
    return true;
}

/* Problems of one end in the live state, as a short phrase, or NULL. */
static const char *
end_problem(const struct graph_live *live, const struct topo_end *end)
{
    const json_t *e = live_end(live, end);
    if (!e) {
        return NULL;
    }
    if (json_is_false(json_object_get(e, "exists"))) {
        return "missing";
    }
    if (json_is_false(json_object_get(e, "up"))) {
        return "down";
    }
    const json_t *ofport = json_object_get(e, "ofport");
    if (ofport && (!json_is_integer(ofport)
                   || json_integer_value(ofport) <= 0)) {
        return "no ofport";
    }
    return NULL;
}

/* The label of one end of a link: its interface name, then addresses,
 * VLAN, MTU, and what is wrong with it. */
static char *
end_label(const struct graph_live *live, const struct topo_end *end)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    ds_put_cstr(&s, end->ifname);
    for (size_t i = 0; i < end->addrs.n; i++) {
        ds_put_format(&s, "\n%s", end->addrs.names[i]);
    }
    if (end->vlan >= 0) {
        ds_put_format(&s, "\nvlan %d", end->vlan);
    }
    const json_t *e = live_end(live, end);
    const json_t *mtu = e ? json_object_get(e, "mtu") : NULL;
    if (mtu && json_is_integer(mtu)) {
        ds_put_format(&s, "\nmtu %d", (int) json_integer_value(mtu));
    } else if (end->mtu) {
        ds_put_format(&s, "\nmtu %d", end->mtu);
    }
    const char *problem = end_problem(live, end);
    if (problem) {
        ds_put_format(&s, "\n%s", problem);
    }
    return ds_steal_cstr(&s);
}

/* Adds to 'g' a node 'id' (taken) of 'kind', 'shape' and 'label' (taken),
 * in no cluster and drawn solid black; returns it for the caller to set
 * the rest. */
static struct graph_node *
add_node(struct graph *g, char *id, enum graph_kind kind,
         enum graph_shape shape, char *label)
{
    if (g->n_nodes >= g->allocated_nodes) {
        g->nodes = x2nrealloc(g->nodes, &g->allocated_nodes, sizeof *g->nodes);
    }
    struct graph_node *n = &g->nodes[g->n_nodes++];
    *n = (struct graph_node) {
        .id = id, .kind = kind, .shape = shape, .label = label,
        .cluster = GRAPH_NO_CLUSTER,
    };
    return n;
}

/* Adds to 'g' an edge from node 'from' to node 'to' (both taken), drawn
 * solid black with no label; returns it for the caller to set the rest. */
static struct graph_edge *
add_edge(struct graph *g, char *from, char *to)
{
    if (g->n_edges >= g->allocated_edges) {
        g->edges = x2nrealloc(g->edges, &g->allocated_edges, sizeof *g->edges);
    }
    struct graph_edge *e = &g->edges[g->n_edges++];
    *e = (struct graph_edge) { .from = from, .to = to };
    return e;
}

/* The node id "KIND/NAME" of a namespace ('ns' NULL: the current one), a
 * switch, or the end of a link.  Returns a new string. */
static char *
ns_id(const char *ns)
{
    return xasprintf("ns/%s", ns ? ns : "-");
}

static char *
sw_id(const char *sw)
{
    return xasprintf("sw/%s", sw);
}

static char *
end_id(const struct topo_end *end)
{
    return end->sw ? sw_id(end->sw) : ns_id(end->ns);
}

static void
build_switch(struct graph *g, const struct graph_live *live,
             const struct topo_switch *sw)
{
    const char *kind = topo_switch_kind_name(sw->kind);
    struct graph_switch gs;
    bool fallback = false;
    struct ds label = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&label, sw->name);
    if (live_switch(live, sw->name, &gs) && gs.backend) {
        const char *what = (gs.variant && *gs.variant ? gs.variant
                            : gs.backend);
        fallback = strcmp(gs.backend, kind) != 0;
        if (fallback) {
            ds_put_format(&label, "\n%s (fallback from %s)", what, kind);
        } else {
            ds_put_format(&label, "\n%s", what);
        }
        if (!gs.created && strcmp(gs.backend, "direct")) {
            ds_put_cstr(&label, "\nexisting");
        }
    } else {
        ds_put_format(&label, "\n%s", kind);
        if (sw->kind == TOPO_SW_OVS && sw->datapath
            && strcmp(sw->datapath, "auto")) {
            ds_put_format(&label, "/%s", sw->datapath);
        }
        for (size_t i = 0; i < sw->n_fallback; i++) {
            ds_put_format(&label, "%s%s", i ? ", " : "\nfallback: ",
                          topo_switch_kind_name(sw->fallback[i]));
        }
    }

    struct graph_node *n = add_node(g, sw_id(sw->name), GRAPH_SWITCH,
                                    (sw->kind == TOPO_SW_OVS ? GRAPH_BOX3D
                                     : GRAPH_BOX),
                                    ds_steal_cstr(&label));
    if (fallback) {
        n->style = "dashed";
        n->color = "darkorange";
        n->tooltip = xstrdup(gs.reason ? gs.reason : "fallback");
    }
}

/* Adds 'ns' to 'seen' unless it is there ("-" stands for the current
 * namespace). */
static bool
add_ns(struct svec *seen, const char *ns)
{
    const char *name = ns ? ns : "-";
    for (size_t i = 0; i < seen->n; i++) {
        if (!strcmp(seen->names[i], name)) {
            return false;
        }
    }
    svec_add(seen, name);
    return true;
}

/* Adds the node of namespace 'ns' to cluster 'cluster'. */
static void
build_namespace(struct graph *g, const struct graph_live *live,
                const char *ns, size_t cluster)
{
    bool exists = live_ns_exists(live, ns);
    char *label = (!ns ? xstrdup("current namespace")
                   : exists ? xstrdup(ns) : xasprintf("%s\nmissing", ns));
    struct graph_node *n = add_node(g, ns_id(ns), GRAPH_NS, GRAPH_BOX,
                                    label);
    n->style = exists ? "rounded" : "rounded,dashed";
    n->color = exists ? NULL : "red";
    n->cluster = cluster;
}

/* The chassis that the namespace end of 'l' lives on, if 'l' joins a
 * namespace to an ovn switch: the one its switch end names, otherwise the
 * default one, as the OVN backend places it.  NULL for other links. */
static const char *
link_chassis(const struct topology *topo, const struct topo_link *l)
{
    for (int j = 0; j < 2; j++) {
        const struct topo_end *se = &l->ends[j];
        const struct topo_switch *sw = topology_find_switch(topo, se->sw);
        if (sw && sw->kind == TOPO_SW_OVN && !l->ends[!j].sw) {
            return se->chassis ? se->chassis : topology_default_chassis(topo);
        }
    }
    return NULL;
}

/* The chassis namespace 'ns' (NULL: the current one) is drawn on: that of
 * the first link joining it to an ovn switch, or NULL if none does. */
static const char *
ns_chassis(const struct topology *topo, const char *ns)
{
    for (size_t i = 0; i < topo->n_links; i++) {
        const struct topo_link *l = &topo->links[i];
        const char *chassis = link_chassis(topo, l);
        for (int j = 0; chassis && j < 2; j++) {
            if (!l->ends[j].sw && nullable_equal(l->ends[j].ns, ns)) {
                return chassis;
            }
        }
    }
    return NULL;
}

/* Adds, in the order the links name them, the nodes of the namespaces
 * drawn on 'chassis' (NULL: on none) to cluster 'cluster'.  Returns how
 * many. */
static size_t
build_namespaces(struct graph *g, const struct graph_live *live,
                 const struct topology *topo, const char *chassis,
                 size_t cluster)
{
    struct svec seen = SVEC_EMPTY_INITIALIZER;
    size_t n = 0;
    for (size_t i = 0; i < topo->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &topo->links[i].ends[j];
            if (!end->sw && add_ns(&seen, end->ns)
                && nullable_equal(ns_chassis(topo, end->ns), chassis)) {
                build_namespace(g, live, end->ns, cluster);
                n++;
            }
        }
    }
    svec_destroy(&seen);
    return n;
}

/* Adds chassis 'c' as a cluster holding the namespaces on it, or a
 * placeholder if none is. */
static void
build_chassis(struct graph *g, const struct graph_live *live,
              const struct topology *topo, const struct topo_chassis *c)
{
    if (g->n_clusters >= g->allocated_clusters) {
        g->clusters = x2nrealloc(g->clusters, &g->allocated_clusters,
                                 sizeof *g->clusters);
    }
    size_t cluster = g->n_clusters++;
    g->clusters[cluster] = (struct graph_cluster) {
        .id = xasprintf("cluster_%s", c->name),
        .label = xstrdup(c->name),
    };
    if (!build_namespaces(g, live, topo, c->name, cluster)) {
        struct graph_node *n = add_node(g, xasprintf("chassis/%s", c->name),
                                        GRAPH_CHASSIS, GRAPH_PLAINTEXT,
                                        xstrdup("no ports"));
        n->cluster = cluster;
    }
}

static void
build_router(struct graph *g, const struct topo_router *r)
{
    add_node(g, xasprintf("lr/%s", r->name), GRAPH_ROUTER,
             GRAPH_DOUBLEOCTAGON, xasprintf("%s\novn router", r->name));
}

/* Adds an edge between router 'r' and each switch it joins, labelled at the
 * router's end with the address of its port there.  The switch comes first
 * so that Graphviz draws the router beyond the switches, not among the
 * namespaces. */
static void
build_router_ports(struct graph *g, const struct topo_router *r)
{
    for (size_t i = 0; i < r->n_ports; i++) {
        struct graph_edge *e = add_edge(g, sw_id(r->ports[i].sw),
                                        xasprintf("lr/%s", r->name));
        e->headlabel = xstrdup(r->ports[i].cidr);
    }
}

static void
build_link(struct graph *g, const struct graph_live *live,
           const struct topo_link *l)
{
    struct graph_edge *e = add_edge(g, end_id(&l->ends[0]),
                                    end_id(&l->ends[1]));
    e->taillabel = end_label(live, &l->ends[0]);
    e->headlabel = end_label(live, &l->ends[1]);
    if (end_problem(live, &l->ends[0]) || end_problem(live, &l->ends[1])) {
        e->color = "red";
        e->style = "dotted";
        e->alarm = true;
    }
}

/* The end of 'topo' that "verify" labels 'label' ("ns1/veth0", "-/va"). */
static const struct topo_end *
find_labelled_end(const struct topology *topo, const char *label)
{
    for (size_t i = 0; i < topo->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &topo->links[i].ends[j];
            if (end->sw) {
                continue;
            }
            char *s = xasprintf("%s/%s", end->ns ? end->ns : "-",
                                end->ifname);
            bool match = !strcmp(s, label);
            free(s);
            if (match) {
                return end;
            }
        }
    }
    return NULL;
}

/* One edge per probed pair of ends, both directions together: green when
 * every probe passed, red and thick naming what failed otherwise. */
static void
build_verify(struct graph *g, const struct topology *topo,
             const json_t *verify)
{
    const json_t *pairs = json_object_get(verify, "pairs");
    size_t n = json_array_size(pairs);
    bool *done = xcalloc(n ? n : 1, sizeof *done);

    g->probed = true;
    for (size_t i = 0; i < n; i++) {
        if (done[i]) {
            continue;
        }
        const json_t *p = json_array_get(pairs, i);
        const char *from = json_string_value(json_object_get(p, "from"));
        const char *to = json_string_value(json_object_get(p, "to"));
        if (!from || !to) {
            continue;
        }
        struct ds failures = DS_EMPTY_INITIALIZER;
        for (size_t k = i; k < n; k++) {
            const json_t *q = json_array_get(pairs, k);
            const char *qf = json_string_value(json_object_get(q, "from"));
            const char *qt = json_string_value(json_object_get(q, "to"));
            if (!qf || !qt
                || !((!strcmp(qf, from) && !strcmp(qt, to))
                     || (!strcmp(qf, to) && !strcmp(qt, from)))) {
                continue;
            }
            done[k] = true;
            if (!json_is_true(json_object_get(q, "ok"))) {
                const char *err = json_string_value(json_object_get(q,
                                                                    "error"));
                ds_put_format(&failures, "%s%s -> %s: %s",
                              failures.length ? "\n" : "", qf, qt,
                              err ? err : "failed");
            }
        }

        const struct topo_end *a = find_labelled_end(topo, from);
        const struct topo_end *b = find_labelled_end(topo, to);
        if (a && b) {
            struct graph_edge *e = add_edge(g, ns_id(a->ns), ns_id(b->ns));
            e->style = "dashed";
            e->probe = true;
            if (failures.length) {
                e->color = "red";
                e->alarm = true;
                e->label = ds_steal_cstr(&failures);
            } else {
                e->color = "darkgreen";
                e->tooltip = xasprintf("%s <-> %s: ok", from, to);
            }
        }
        ds_destroy(&failures);
    }
    free(done);
}

/* Parses 'text' (the output of 'what') into '*jp'. */
static char *
parse_json(const char *what, const char *text, json_t **jp)
{
    json_error_t jerr;
    *jp = json_loads(text, 0, &jerr);
    if (!*jp) {
        return xasprintf("cannot read the output of %s: %s (line %d)", what,
                         jerr.text, jerr.line);
    }
    return NULL;
}

char *
graph_build(const struct topology *topo, const char *show_json,
            const char *verify_json, struct graph **graphp)
{
    struct graph_live live = { NULL, NULL, NULL };
    char *err = NULL;

    *graphp = NULL;
    if (show_json) {
        err = parse_json("show", show_json, &live.show_root);
        if (err) {
            goto out;
        }
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(live.show_root, "topologies"),
                            i, t) {
            const char *n = json_string_value(json_object_get(t, "name"));
            if (n && !strcmp(n, topo->name)) {
                live.show = t;
            }
        }
    }
    if (verify_json) {
        err = parse_json("verify", verify_json, &live.verify);
        if (err) {
            goto out;
        }
    }

    struct graph *g = xzalloc(sizeof *g);
    g->name = xstrdup(topo->name);
    g->title = xasprintf("topology %s%s", topo->name,
                         live.show ? " (applied)" : "");

    /* An OVN lab's chassis are clusters holding the namespaces on them;
     * the other namespaces follow, in the order the links name them.  The
     * logical switches and routers span the chassis, so they are in no
     * cluster. */
    for (size_t i = 0; i < topo->n_chassis; i++) {
        build_chassis(g, &live, topo, &topo->chassis[i]);
    }
    build_namespaces(g, &live, topo, NULL, GRAPH_NO_CLUSTER);
    for (size_t i = 0; i < topo->n_switches; i++) {
        build_switch(g, &live, &topo->switches[i]);
    }
    for (size_t i = 0; i < topo->n_routers; i++) {
        build_router(g, &topo->routers[i]);
    }
    for (size_t i = 0; i < topo->n_links; i++) {
        build_link(g, &live, &topo->links[i]);
    }
    for (size_t i = 0; i < topo->n_routers; i++) {
        build_router_ports(g, &topo->routers[i]);
    }
    if (live.verify) {
        build_verify(g, topo, live.verify);
    }
    *graphp = g;

out:
    json_decref(live.show_root);
    json_decref(live.verify);
    return err;
}

void
graph_destroy(struct graph *g)
{
    if (!g) {
        return;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct graph_node *n = &g->nodes[i];
        free(n->id);
        free(n->label);
        free(n->tooltip);
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        struct graph_edge *e = &g->edges[i];
        free(e->from);
        free(e->to);
        free(e->taillabel);
        free(e->headlabel);
        free(e->label);
        free(e->tooltip);
    }
    for (size_t i = 0; i < g->n_clusters; i++) {
        free(g->clusters[i].id);
        free(g->clusters[i].label);
    }
    free(g->nodes);
    free(g->edges);
    free(g->clusters);
    free(g->name);
    free(g->title);
    free(g);
}

/* True if topology 'name' is applied. */
static bool
is_applied(const char *name, const struct engine_opts *opts)
{
    struct svec names = SVEC_EMPTY_INITIALIZER;
    bool applied = false;
    if (!engine_list(opts, &names)) {
        for (size_t i = 0; i < names.n && !applied; i++) {
            applied = !strcmp(names.names[i], name);
        }
    }
    svec_destroy(&names);
    return applied;
}

/* Writes 'text' to standard output.  Returns 0, or a positive errno and a
 * sentence in '*errp'. */
static int
write_picture(const char *name, const struct ds *text, char **errp)
{
    errno = 0;
    if (fwrite(text->string, 1, text->length, stdout) != text->length
        || fflush(stdout)) {
        int error = errno ? errno : EIO;
        *errp = xasprintf("cannot write the picture of topology '%s' to "
                          "standard output: %s", name, ovs_strerror(error));
        return error;
    }
    return 0;
}

int
graph_run(const struct topology *topo, const char *name,
          enum graph_format format, bool verify,
          const struct engine_opts *opts, char **errp)
{
    struct topology *loaded = NULL;
    struct ds show = DS_EMPTY_INITIALIZER;
    struct ds probes = DS_EMPTY_INITIALIZER;
    struct ds text = DS_EMPTY_INITIALIZER;
    struct graph *g = NULL;
    int error = 0;

    *errp = NULL;
    if (topo) {
        name = topo->name;
    }
    bool applied = is_applied(name, opts);
    if (!topo) {
        if (!applied) {
            *errp = xasprintf("topology '%s' is not applied (and no file "
                              "has that name)", name);
            return ENOENT;
        }
        error = engine_load(name, opts, &loaded, errp);
        if (error) {
            goto out;
        }
        topo = loaded;
    }
    if (verify && !applied) {
        *errp = xasprintf("topology '%s' is not applied, so --verify has "
                          "nothing to probe", name);
        error = ENOENT;
        goto out;
    }
    if (applied) {
        error = engine_show(name, true, opts, &show, errp);
        if (error) {
            goto out;
        }
        if (verify) {
            int n_failed;
            error = engine_verify(name, false, true, opts, &probes,
                                  &n_failed, errp);
            if (error) {
                goto out;
            }
        }
    }
    *errp = graph_build(topo, applied ? ds_cstr(&show) : NULL,
                        verify ? ds_cstr(&probes) : NULL, &g);
    if (*errp) {
        error = EPROTO;
        goto out;
    }
    if (format == GRAPH_SVG) {
        graph_write_svg(g, &text);
    } else {
        graph_write_dot(g, &text);
    }
    error = write_picture(name, &text, errp);

out:
    graph_destroy(g);
    topology_destroy(loaded);
    ds_destroy(&show);
    ds_destroy(&probes);
    ds_destroy(&text);
    return error;
}
