/* The picture of a lab as a small model, built once from the topology, the
 * live state and the results of "verify" (graph.c), and the two writers that
 * draw it: DOT text for Graphviz (graph-dot.c) and SVG that vplug lays out
 * itself (graph-svg.c), so that neither format needs another program.  The
 * vocabulary is Graphviz's (shape, style and colour names), because the DOT
 * writes it as it is. */
#ifndef GRAPH_PRIVATE_H
#define GRAPH_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

struct ds;
struct topology;

/* What a node stands for.  Its id is "KIND/NAME" with KIND "ns", "sw", "lr"
 * or "chassis". */
enum graph_kind {
    GRAPH_NS,                   /* A namespace; "ns/-" the current one. */
    GRAPH_SWITCH,               /* A switch of any kind. */
    GRAPH_ROUTER,               /* An OVN logical router. */
    GRAPH_CHASSIS,              /* The placeholder of a chassis with no
                                 * port, since Graphviz draws no empty
                                 * cluster. */
};

/* The outline of a node, as Graphviz names it. */
enum graph_shape {
    GRAPH_BOX,
    GRAPH_BOX3D,
    GRAPH_DOUBLEOCTAGON,
    GRAPH_PLAINTEXT,            /* No outline, only the label. */
};

/* Not in any cluster. */
#define GRAPH_NO_CLUSTER SIZE_MAX

/* One node. */
struct graph_node {
    char *id;                   /* "ns/ns1", "sw/ovs-br", ... */
    enum graph_kind kind;
    enum graph_shape shape;
    char *label;                /* Lines separated by '\n'. */
    const char *style;          /* "rounded", "rounded,dashed", "dashed" or
                                 * NULL (solid). */
    const char *color;          /* Graphviz colour name, NULL for black. */
    char *tooltip;              /* Or NULL. */
    size_t cluster;             /* Index in graph's 'clusters', or
                                 * GRAPH_NO_CLUSTER. */
};

/* One edge; the graph is undirected, but an edge keeps the order of its
 * ends (a link's first end is its tail). */
struct graph_edge {
    char *from;                 /* Node id of the tail. */
    char *to;                   /* Node id of the head. */
    char *taillabel;            /* Drawn at the tail's end, or NULL. */
    char *headlabel;            /* Drawn at the head's end, or NULL. */
    char *label;                /* Drawn at the middle, or NULL. */
    char *tooltip;              /* Or NULL. */
    const char *color;          /* Graphviz colour name, NULL for black. */
    const char *style;          /* "dotted", "dashed", or NULL (solid). */
    bool alarm;                 /* Something failed: drawn thick, with its
                                 * labels in its colour. */
    bool probe;                 /* A result of "verify" rather than a link
                                 * or a router port: no part of the
                                 * layout. */
};

/* One OVN chassis, drawn as a dashed rounded frame around its nodes. */
struct graph_cluster {
    char *id;                   /* "cluster_NAME", as Graphviz wants it. */
    char *label;                /* The chassis name. */
};

/* A whole picture.  Nodes come in the order the DOT lists them: those of
 * each cluster in turn, then the rest; edges likewise, the probes last. */
struct graph {
    char *name;                 /* The topology's name. */
    char *title;                /* "topology NAME", "(applied)" if live. */
    bool probed;                /* Drawn with the results of "verify",
                                 * even if it probed no pair. */
    struct graph_node *nodes;
    size_t n_nodes, allocated_nodes;
    struct graph_edge *edges;
    size_t n_edges, allocated_edges;
    struct graph_cluster *clusters;
    size_t n_clusters, allocated_clusters;
};

/* Builds in '*graphp' the picture of 'topo' (as written in its file, or as
 * applied).  'show_json', if nonnull, is the output of "vplug show NAME
 * --format=json" for it; 'verify_json', if nonnull, the output of "vplug
 * verify NAME --format=json".  Returns NULL, or a message if either of them
 * cannot be read (then '*graphp' is NULL).  The caller frees the graph with
 * graph_destroy(). */
char *graph_build(const struct topology *topo, const char *show_json,
                  const char *verify_json, struct graph **graphp)
    OVS_WARN_UNUSED_RESULT;
void graph_destroy(struct graph *);

/* Appends 'graph' to 'out' as Graphviz DOT text. */
void graph_write_dot(const struct graph *, struct ds *out);

/* Appends 'graph' to 'out' as an SVG document, laid out in rows: routers at
 * the top, switches in the middle, namespaces at the bottom, grouped by
 * chassis. */
void graph_write_svg(const struct graph *, struct ds *out);

#endif /* graph-private.h */
