/* The DOT picture of a topology; see graph.h. */
#include <config.h>
#include "graph.h"

#include <errno.h>
#include "vjson.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

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

/* Writes 's' as a DOT quoted string. */
static void
put_quoted(struct ds *out, const char *s)
{
    ds_put_char(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            ds_put_char(out, '\\');
            ds_put_char(out, *s);
        } else if (*s == '\n') {
            ds_put_cstr(out, "\\n");
        } else {
            ds_put_char(out, *s);
        }
    }
    ds_put_char(out, '"');
}

/* The node "KIND/NAME": kind "ns" for a namespace, "sw" a switch, "lr" a
 * logical router, "chassis" the placeholder of an empty chassis. */
static void
put_node_id(struct ds *out, const char *kind, const char *name)
{
    char *id = xasprintf("%s/%s", kind, name);
    put_quoted(out, id);
    free(id);
}

/* The node of a namespace ('ns' NULL: the current one) or a switch. */
static void
put_ns_id(struct ds *out, const char *ns)
{
    put_node_id(out, "ns", ns ? ns : "-");
}

static void
put_sw_id(struct ds *out, const char *sw)
{
    put_node_id(out, "sw", sw);
}

static void
put_end_id(struct ds *out, const struct topo_end *end)
{
    if (end->sw) {
        put_sw_id(out, end->sw);
    } else {
        put_ns_id(out, end->ns);
    }
}

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

static void
put_switch(struct ds *out, const struct graph_live *live,
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

    ds_put_cstr(out, "  ");
    put_sw_id(out, sw->name);
    ds_put_format(out, " [shape=%s, label=",
                  sw->kind == TOPO_SW_OVS ? "box3d" : "box");
    put_quoted(out, ds_cstr(&label));
    if (fallback) {
        ds_put_cstr(out, ", style=dashed, color=darkorange, tooltip=");
        put_quoted(out, gs.reason ? gs.reason : "fallback");
    }
    ds_put_cstr(out, "];\n");
    ds_destroy(&label);
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

/* Writes the node of namespace 'ns', indented by 'indent'. */
static void
put_namespace(struct ds *out, const struct graph_live *live, const char *ns,
              const char *indent)
{
    bool exists = live_ns_exists(live, ns);
    ds_put_cstr(out, indent);
    put_ns_id(out, ns);
    ds_put_cstr(out, " [shape=box, style=");
    ds_put_cstr(out, exists ? "rounded" : "\"rounded,dashed\", color=red");
    ds_put_cstr(out, ", label=");
    char *label = (!ns ? xstrdup("current namespace")
                   : exists ? xstrdup(ns) : xasprintf("%s\nmissing", ns));
    put_quoted(out, label);
    free(label);
    ds_put_cstr(out, "];\n");
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

/* Writes, indented by 'indent' and in the order the links name them, the
 * nodes of the namespaces drawn on 'chassis' (NULL: on none).  Returns how
 * many. */
static size_t
put_namespaces(struct ds *out, const struct graph_live *live,
               const struct topology *topo, const char *chassis,
               const char *indent)
{
    struct svec seen = SVEC_EMPTY_INITIALIZER;
    size_t n = 0;
    for (size_t i = 0; i < topo->n_links; i++) {
        for (int j = 0; j < 2; j++) {
            const struct topo_end *end = &topo->links[i].ends[j];
            if (!end->sw && add_ns(&seen, end->ns)
                && nullable_equal(ns_chassis(topo, end->ns), chassis)) {
                put_namespace(out, live, end->ns, indent);
                n++;
            }
        }
    }
    svec_destroy(&seen);
    return n;
}

/* Writes chassis 'c' as a cluster holding the namespaces on it.  A chassis
 * with none gets a placeholder node, since Graphviz draws no empty
 * cluster. */
static void
put_chassis(struct ds *out, const struct graph_live *live,
            const struct topology *topo, const struct topo_chassis *c)
{
    char *id = xasprintf("cluster_%s", c->name);
    ds_put_cstr(out, "  subgraph ");
    put_quoted(out, id);
    ds_put_cstr(out, " {\n    graph [label=");
    put_quoted(out, c->name);
    ds_put_cstr(out, ", style=\"rounded,dashed\", color=gray40];\n");
    if (!put_namespaces(out, live, topo, c->name, "    ")) {
        ds_put_cstr(out, "    ");
        put_node_id(out, "chassis", c->name);
        ds_put_cstr(out, " [shape=plaintext, label=\"no ports\"];\n");
    }
    ds_put_cstr(out, "  }\n");
    free(id);
}

/* Writes the node of OVN logical router 'r'. */
static void
put_router(struct ds *out, const struct topo_router *r)
{
    char *label = xasprintf("%s\novn router", r->name);
    ds_put_cstr(out, "  ");
    put_node_id(out, "lr", r->name);
    ds_put_cstr(out, " [shape=doubleoctagon, label=");
    put_quoted(out, label);
    ds_put_cstr(out, "];\n");
    free(label);
}

/* Writes an edge between router 'r' and each switch it joins, labelled at
 * the router's end with the address of its port there.  The switch comes
 * first so that the router is drawn beyond the switches, not among the
 * namespaces. */
static void
put_router_ports(struct ds *out, const struct topo_router *r)
{
    for (size_t i = 0; i < r->n_ports; i++) {
        ds_put_cstr(out, "  ");
        put_sw_id(out, r->ports[i].sw);
        ds_put_cstr(out, " -- ");
        put_node_id(out, "lr", r->name);
        ds_put_cstr(out, " [headlabel=");
        put_quoted(out, r->ports[i].cidr);
        ds_put_cstr(out, "];\n");
    }
}

static void
put_link(struct ds *out, const struct graph_live *live,
         const struct topo_link *l)
{
    char *tail = end_label(live, &l->ends[0]);
    char *head = end_label(live, &l->ends[1]);
    bool bad = end_problem(live, &l->ends[0]) || end_problem(live,
                                                             &l->ends[1]);

    ds_put_cstr(out, "  ");
    put_end_id(out, &l->ends[0]);
    ds_put_cstr(out, " -- ");
    put_end_id(out, &l->ends[1]);
    ds_put_cstr(out, " [taillabel=");
    put_quoted(out, tail);
    ds_put_cstr(out, ", headlabel=");
    put_quoted(out, head);
    if (bad) {
        ds_put_cstr(out, ", color=red, fontcolor=red, style=dotted, "
                    "penwidth=2");
    }
    ds_put_cstr(out, "];\n");
    free(tail);
    free(head);
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

/* One edge per probed pair of ends, both directions together: green and
 * thin when every probe passed, red and dashed naming what failed
 * otherwise. */
static void
put_verify(struct ds *out, const struct topology *topo,
           const json_t *verify)
{
    const json_t *pairs = json_object_get(verify, "pairs");
    size_t n = json_array_size(pairs);
    bool *done = xcalloc(n ? n : 1, sizeof *done);

    ds_put_cstr(out, "  edge [constraint=false, fontsize=9];\n");
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
        size_t n_ok = 0;
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
            if (json_is_true(json_object_get(q, "ok"))) {
                n_ok++;
            } else {
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
            ds_put_cstr(out, "  ");
            put_ns_id(out, a->ns);
            ds_put_cstr(out, " -- ");
            put_ns_id(out, b->ns);
            if (failures.length) {
                ds_put_cstr(out, " [color=red, fontcolor=red, style=dashed, "
                            "penwidth=2, label=");
                put_quoted(out, ds_cstr(&failures));
            } else {
                ds_put_cstr(out, " [color=darkgreen, style=dashed, "
                            "tooltip=");
                char *tip = xasprintf("%s <-> %s: ok", from, to);
                put_quoted(out, tip);
                free(tip);
            }
            ds_put_cstr(out, "];\n");
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
graph_to_dot(const struct topology *topo, const char *show_json,
             const char *verify_json, struct ds *out)
{
    struct graph_live live = { NULL, NULL, NULL };
    char *err = NULL;

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

    ds_put_cstr(out, "graph ");
    put_quoted(out, topo->name);
    ds_put_cstr(out, " {\n");
    ds_put_cstr(out, "  graph [rankdir=LR, ranksep=2, nodesep=0.6, "
                "labelloc=t, fontname=\"sans-serif\", label=");
    char *title = xasprintf("topology %s%s", topo->name,
                            live.show ? " (applied)" : "");
    put_quoted(out, title);
    free(title);
    ds_put_cstr(out, "];\n"
                "  node [fontname=\"sans-serif\", fontsize=11];\n"
                "  edge [fontname=\"sans-serif\", fontsize=9, "
                "labelfontsize=9, labeldistance=2.5];\n");

    /* An OVN lab's chassis are clusters holding the namespaces on them;
     * the other namespaces follow, in the order the links name them.  The
     * logical switches and routers span the chassis, so they are drawn
     * outside every cluster. */
    for (size_t i = 0; i < topo->n_chassis; i++) {
        put_chassis(out, &live, topo, &topo->chassis[i]);
    }
    put_namespaces(out, &live, topo, NULL, "  ");
    for (size_t i = 0; i < topo->n_switches; i++) {
        put_switch(out, &live, &topo->switches[i]);
    }
    for (size_t i = 0; i < topo->n_routers; i++) {
        put_router(out, &topo->routers[i]);
    }
    for (size_t i = 0; i < topo->n_links; i++) {
        put_link(out, &live, &topo->links[i]);
    }
    for (size_t i = 0; i < topo->n_routers; i++) {
        put_router_ports(out, &topo->routers[i]);
    }
    if (live.verify) {
        put_verify(out, topo, live.verify);
    }
    ds_put_cstr(out, "}\n");

out:
    json_decref(live.show_root);
    json_decref(live.verify);
    return err;
}

/* True if 'program' is an executable file in a directory of $PATH. */
static bool
program_in_path(const char *program)
{
    const char *path = getenv("PATH");
    if (!path || !*path) {
        return false;
    }
    char *copy = xstrdup(path);
    bool found = false;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found;
         dir = strtok_r(NULL, ":", &save)) {
        char *file = xasprintf("%s/%s", *dir ? dir : ".", program);
        found = access(file, X_OK) == 0;
        free(file);
    }
    free(copy);
    return found;
}

/* Writes 'dot' to standard output as SVG through Graphviz's dot. */
static int
write_svg(const char *name, const char *dot, char **errp)
{
    if (!program_in_path("dot")) {
        *errp = xstrdup("--format=svg needs the dot program of Graphviz, "
                        "which is not installed: install the Debian package "
                        "graphviz (apt-get install graphviz), or use "
                        "--format=dot");
        return ENOENT;
    }
    fflush(stdout);
    FILE *pipe = popen("dot -Tsvg", "w");
    if (!pipe) {
        *errp = xasprintf("cannot run dot: %s", ovs_strerror(errno));
        return errno;
    }
    fputs(dot, pipe);
    int status = pclose(pipe);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        *errp = xasprintf("dot could not draw topology '%s' (exit status "
                          "%d)", name,
                          status != -1 && WIFEXITED(status)
                          ? WEXITSTATUS(status) : -1);
        return EPROTO;
    }
    return 0;
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

int
graph_run(const struct topology *topo, const char *name,
          enum graph_format format, bool verify,
          const struct engine_opts *opts, char **errp)
{
    struct topology *loaded = NULL;
    struct ds show = DS_EMPTY_INITIALIZER;
    struct ds probes = DS_EMPTY_INITIALIZER;
    struct ds dot = DS_EMPTY_INITIALIZER;
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
    *errp = graph_to_dot(topo, applied ? ds_cstr(&show) : NULL,
                         verify ? ds_cstr(&probes) : NULL, &dot);
    if (*errp) {
        error = EPROTO;
        goto out;
    }
    if (format == GRAPH_SVG) {
        error = write_svg(name, ds_cstr(&dot), errp);
    } else {
        fputs(ds_cstr(&dot), stdout);
    }

out:
    topology_destroy(loaded);
    ds_destroy(&show);
    ds_destroy(&probes);
    ds_destroy(&dot);
    return error;
}
