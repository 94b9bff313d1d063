/* The picture of a lab as Graphviz DOT text; see graph-private.h. */
#include <config.h>
#include "graph-private.h"

#include <string.h>

#include "openvswitch/dynamic-string.h"

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

/* Writes ", NAME=VALUE", quoting 'value' if it has more than letters
 * (style="rounded,dashed"). */
static void
put_attr(struct ds *out, const char *name, const char *value)
{
    ds_put_format(out, ", %s=", name);
    if (value[strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789")]) {
        put_quoted(out, value);
    } else {
        ds_put_cstr(out, value);
    }
}

/* Writes ", NAME=VALUE" with 'value' quoted, if 'value' is nonnull. */
static void
put_quoted_attr(struct ds *out, const char *name, const char *value)
{
    if (value) {
        ds_put_format(out, ", %s=", name);
        put_quoted(out, value);
    }
}

static const char *
shape_name(enum graph_shape shape)
{
    switch (shape) {
    case GRAPH_BOX:
        return "box";
    case GRAPH_BOX3D:
        return "box3d";
    case GRAPH_DOUBLEOCTAGON:
        return "doubleoctagon";
    case GRAPH_PLAINTEXT:
    default:
        return "plaintext";
    }
}

/* Writes the style, colour and tooltip of 'n' that it has. */
static void
put_node_looks(struct ds *out, const struct graph_node *n)
{
    if (n->style) {
        put_attr(out, "style", n->style);
    }
    if (n->color) {
        put_attr(out, "color", n->color);
    }
    put_quoted_attr(out, "tooltip", n->tooltip);
}

/* Writes node 'n', indented by 'indent'.  A namespace has its style before
 * its label, the other nodes after it: the order the DOT has always had,
 * which scripts and tests may read. */
static void
put_node(struct ds *out, const struct graph_node *n, const char *indent)
{
    ds_put_cstr(out, indent);
    put_quoted(out, n->id);
    ds_put_format(out, " [shape=%s", shape_name(n->shape));
    if (n->kind == GRAPH_NS) {
        put_node_looks(out, n);
    }
    put_quoted_attr(out, "label", n->label);
    if (n->kind != GRAPH_NS) {
        put_node_looks(out, n);
    }
    ds_put_cstr(out, "];\n");
}

static void
put_edge(struct ds *out, const struct graph_edge *e)
{
    struct ds attrs = DS_EMPTY_INITIALIZER;

    put_quoted_attr(&attrs, "taillabel", e->taillabel);
    put_quoted_attr(&attrs, "headlabel", e->headlabel);
    if (e->color) {
        put_attr(&attrs, "color", e->color);
        if (e->alarm) {
            put_attr(&attrs, "fontcolor", e->color);
        }
    }
    if (e->style) {
        put_attr(&attrs, "style", e->style);
    }
    if (e->alarm) {
        ds_put_cstr(&attrs, ", penwidth=2");
    }
    put_quoted_attr(&attrs, "label", e->label);
    put_quoted_attr(&attrs, "tooltip", e->tooltip);

    ds_put_cstr(out, "  ");
    put_quoted(out, e->from);
    ds_put_cstr(out, " -- ");
    put_quoted(out, e->to);
    if (attrs.length) {
        /* Every attribute is written ", NAME=VALUE"; the list drops the
         * first comma and space. */
        ds_put_format(out, " [%s]", ds_cstr(&attrs) + 2);
    }
    ds_put_cstr(out, ";\n");
    ds_destroy(&attrs);
}

void
graph_write_dot(const struct graph *g, struct ds *out)
{
    ds_put_cstr(out, "graph ");
    put_quoted(out, g->name);
    ds_put_cstr(out, " {\n");
    ds_put_cstr(out, "  graph [rankdir=LR, ranksep=2, nodesep=0.6, "
                "labelloc=t, fontname=\"sans-serif\", label=");
    put_quoted(out, g->title);
    ds_put_cstr(out, "];\n"
                "  node [fontname=\"sans-serif\", fontsize=11];\n"
                "  edge [fontname=\"sans-serif\", fontsize=9, "
                "labelfontsize=9, labeldistance=2.5];\n");

    for (size_t c = 0; c < g->n_clusters; c++) {
        ds_put_cstr(out, "  subgraph ");
        put_quoted(out, g->clusters[c].id);
        ds_put_cstr(out, " {\n    graph [label=");
        put_quoted(out, g->clusters[c].label);
        ds_put_cstr(out, ", style=\"rounded,dashed\", color=gray40];\n");
        for (size_t i = 0; i < g->n_nodes; i++) {
            if (g->nodes[i].cluster == c) {
                put_node(out, &g->nodes[i], "    ");
            }
        }
        ds_put_cstr(out, "  }\n");
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].cluster == GRAPH_NO_CLUSTER) {
            put_node(out, &g->nodes[i], "  ");
        }
    }

    /* The probes are no part of the layout: Graphviz places the nodes by
     * the links alone. */
    for (size_t i = 0; i < g->n_edges; i++) {
        if (!g->edges[i].probe) {
            put_edge(out, &g->edges[i]);
        }
    }
    if (g->probed) {
        ds_put_cstr(out, "  edge [constraint=false, fontsize=9];\n");
        for (size_t i = 0; i < g->n_edges; i++) {
            if (g->edges[i].probe) {
                put_edge(out, &g->edges[i]);
            }
        }
    }
    ds_put_cstr(out, "}\n");
}
