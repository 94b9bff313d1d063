/* The picture of a lab as SVG, laid out by vplug itself; see
 * graph-private.h.
 *
 * The layout is layered, as a lab is: logical routers in the top row,
 * switches in the middle one, namespaces (framed by chassis in an OVN lab)
 * at the bottom; a row with no node takes no room.  A few barycenter sweeps
 * order each row to cut crossings (a chassis moves as one block), then each
 * node is placed over or under the nodes it joins.  Every end of an edge is
 * a port of its own on its node's side, spread along it, with the end's
 * label as a tag on the line next to the node; a node is as wide as its
 * ports need.  An edge between rows is a vertical line that bends halfway;
 * one between neighbours in a row is a horizontal line; the other edges in
 * a row, a loop and every result of "verify" arc below the row.
 *
 * Text is measured with a table of average glyph widths of a sans-serif
 * font, so a label may come out a little wider or narrower than estimated;
 * every distance is a whole pixel, so the same graph always gives the same
 * bytes. */
#include <config.h>
#include "graph-private.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "util.h"

#define MARGIN 16               /* Around the picture. */
#define TITLE_SIZE 14           /* Font size of the graph's title. */
#define TITLE_BAND 32           /* Height of the title above row 0. */
#define NODE_SIZE 11            /* Font size of node labels. */
#define NODE_LINE 14            /* Line height of node labels. */
#define NODE_PAD_X 10           /* Around a node's label. */
#define NODE_PAD_Y 7
#define NODE_MIN_W 54
#define NODE_MIN_H 30
#define NODE_GAP 24             /* Between the nodes of a row. */
#define OCTAGON_CUT 8           /* Corners of a doubleoctagon. */
#define BOX3D_DEPTH 4           /* Depth of a box3d. */
#define EDGE_SIZE 9             /* Font size of edge labels. */
#define EDGE_LINE 11            /* Line height of edge labels. */
#define TAG_PAD 3               /* Around the text of a tag. */
#define PORT_GAP 10             /* Between the ports of a side. */
#define PORT_MIN_W 6            /* A port without a label. */
#define SIDE_PORT_STEP 14       /* Between ports on a left or right side. */
#define RUN 36                  /* The bend of an edge between rows. */
#define HORIZONTAL_RUN 30       /* A horizontal edge between its tags. */
#define ARC_DEPTH 18            /* The least depth of an arc. */
#define CLUSTER_SIZE 12         /* Font size of a chassis' name. */
#define CLUSTER_PAD 10          /* Between a chassis' frame and nodes. */
#define CLUSTER_HEAD 18         /* The band of its name, over the nodes. */

/* The side of a node that a port is on. */
enum svg_side {
    SIDE_TOP,
    SIDE_BOTTOM,
    SIDE_LEFT,
    SIDE_RIGHT,
};

/* How an edge runs. */
enum svg_route {
    ROUTE_VERTICAL,             /* Between rows. */
    ROUTE_HORIZONTAL,           /* Between neighbours in a row. */
    ROUTE_ARC,                  /* Below a row, also a loop. */
};

/* A label drawn as a tag: lines of text on a white ground. */
struct svg_tag {
    const char *text;           /* Borrowed from the graph, or NULL. */
    int w, h;                   /* Size, 0 without text. */
    int x, y;                   /* Centre. */
};

/* One end of an edge on a node. */
struct svg_port {
    size_t box;                 /* Index in 'boxes'. */
    enum svg_side side;
    struct svg_tag tag;         /* The end's label. */
    int slot;                   /* Room it takes along its side. */
    int key;                    /* Order along the side, by the far end. */
    int x, y;                   /* Where the edge meets the node. */
};

/* One node as drawn. */
struct svg_box {
    const struct graph_node *node;
    size_t row, pos;            /* Its row and its index there. */
    size_t group;               /* Nodes of one group stay together: its
                                 * cluster's index, or a number of its own
                                 * beyond every cluster's. */
    int w, h;                   /* Size. */
    int x, y;                   /* Centre of the top side. */
    int slots[4];               /* Room the ports take on each side. */
    int group_bary;             /* Sort keys while ordering a row: its
                                 * group's mean position, the group's first
                                 * position, then its own mean. */
    size_t group_first;
    int bary;
};

/* One edge as drawn. */
struct svg_edge {
    const struct graph_edge *edge;
    enum svg_route route;
    size_t tail, head;          /* Indices in 'ports'. */
    struct svg_tag tag;         /* The middle label. */
    struct ds path;             /* The SVG path. */
    int bottom;                 /* Lowest point of an arc. */
};

/* One row of boxes, left to right. */
struct svg_row {
    size_t *boxes;
    size_t n;
    int top, height;            /* Of its tallest node. */
    int top_band, bottom_band;  /* Room for chassis frames. */
    int top_tags, bottom_tags;  /* Height of the tallest tag above and below
                                 * it. */
};

/* A chassis' frame. */
struct svg_frame {
    int x, y, w, h;
};

struct svg_layout {
    const struct graph *graph;
    struct svg_box *boxes;
    struct svg_port *ports;
    size_t n_ports;
    struct svg_edge *edges;
    size_t n_edges;
    struct svg_row rows[3];
    size_t n_rows;
    struct svg_frame *frames;   /* One per cluster. */
    int width, height;
};

/* Width of one character in hundredths of the font size: averages of a
 * sans-serif font's glyphs (DejaVu Sans), close enough to keep labels
 * inside their boxes. */
static int
char_width(unsigned char c)
{
    if (c >= 0x80) {
        /* A UTF-8 sequence counts once, at its lead byte. */
        return c >= 0xc0 ? 62 : 0;
    } else if (c >= '0' && c <= '9') {
        return 64;
    } else if (strchr("ijl.,:;!|'I", c)) {
        return 30;
    } else if (strchr(" /-()[]ft", c)) {
        return 38;
    } else if (strchr("mw", c)) {
        return 90;
    } else if (strchr("MW<>=", c)) {
        return 88;
    } else if (c >= 'A' && c <= 'Z') {
        return 72;
    }
    return 61;
}

/* Measures 'text' (lines separated by '\n') at font size 'size': the
 * widest line's width in '*w' and the number of lines in '*n_lines'. */
static void
measure(const char *text, int size, int *w, int *n_lines)
{
    int line = 0;
    *w = 0;
    *n_lines = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            (*n_lines)++;
            line = 0;
        } else {
            line += char_width(*p);
        }
        *w = MAX(*w, (line * size + 99) / 100);
    }
}

static void
tag_init(struct svg_tag *tag, const char *text)
{
    memset(tag, 0, sizeof *tag);
    if (text) {
        int n_lines;
        tag->text = text;
        measure(text, EDGE_SIZE, &tag->w, &n_lines);
        tag->w += 2 * TAG_PAD;
        tag->h = n_lines * EDGE_LINE + 2;
    }
}

/* Half of 'a', rounded down, also for a negative 'a'. */
static int
half(int a)
{
    return a >= 0 ? a / 2 : -((1 - a) / 2);
}

/* The integer square root of 'a' >= 0: the depth of an arc grows with its
 * span, slower and slower, so that arcs of different spans part. */
static int
isqrt(int a)
{
    int r = 0;
    while ((r + 1) * (r + 1) <= a) {
        r++;
    }
    return r;
}

static int
box_left(const struct svg_box *b)
{
    return b->x - half(b->w);
}

/* The row of a node: routers, switches, then namespaces and chassis. */
static size_t
kind_row(enum graph_kind kind)
{
    return (kind == GRAPH_ROUTER ? 0
            : kind == GRAPH_SWITCH ? 1
            : 2);
}

/* The box at the far end of 'e' from the port 'port'. */
static const struct svg_box *
far_box(const struct svg_layout *l, const struct svg_edge *e,
        size_t port)
{
    size_t other = port == e->tail ? e->head : e->tail;
    return &l->boxes[l->ports[other].box];
}

/* Sorts by the key a sweep gives, keeping groups together. */
static int
compare_bary(const struct svg_layout *l, size_t a_, size_t b_)
{
    const struct svg_box *a = &l->boxes[a_];
    const struct svg_box *b = &l->boxes[b_];
    return (a->group_bary != b->group_bary
            ? (a->group_bary < b->group_bary ? -1 : 1)
            : a->group_first != b->group_first
            ? (a->group_first < b->group_first ? -1 : 1)
            : a->bary != b->bary ? (a->bary < b->bary ? -1 : 1)
            : a->pos != b->pos ? (a->pos < b->pos ? -1 : 1)
            : 0);
}

/* Sorts 'n' box indices in 'v' by compare_bary().  An insertion sort:
 * stable, deterministic, and rows are short. */
static void
sort_boxes(struct svg_layout *l, size_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t x = v[i];
        size_t j = i;
        for (; j > 0 && compare_bary(l, v[j - 1], x) > 0; j--) {
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
}

/* The mean position, in hundredths, of the neighbours of box 'b' in row
 * 'ref' through the edges that shape the layout.  A box with none there
 * keeps its place, or moves just after the first of the boxes it joins in
 * its own row, so that a direct link joins neighbours. */
static int
neighbour_mean(const struct svg_layout *l, size_t b, size_t ref)
{
    const struct svg_box *box = &l->boxes[b];
    size_t nearest = box->pos;
    long sum = 0;
    int n = 0;
    for (size_t i = 0; i < l->n_edges; i++) {
        const struct svg_edge *e = &l->edges[i];
        size_t t = l->ports[e->tail].box, h = l->ports[e->head].box;
        if (!e->edge->probe && (t == b || h == b)) {
            const struct svg_box *o = &l->boxes[t == b ? h : t];
            if (o->row == ref) {
                sum += o->pos * 100;
                n++;
            } else if (o->row == box->row) {
                nearest = MIN(nearest, o->pos);
            }
        }
    }
    return (n ? (int) (sum / n)
            : (int) nearest * 100 + (nearest < box->pos ? 50 : 0));
}

/* Orders row 'r' by the positions of the nodes its nodes join in row
 * 'ref': each node by the mean of its neighbours', each group (a chassis)
 * as one by the mean of its nodes'. */
static void
order_row(struct svg_layout *l, size_t r, size_t ref)
{
    struct svg_row *row = &l->rows[r];
    int *means = xcalloc(row->n ? row->n : 1, sizeof *means);

    for (size_t i = 0; i < row->n; i++) {
        means[i] = neighbour_mean(l, row->boxes[i], ref);
    }
    for (size_t i = 0; i < row->n; i++) {
        struct svg_box *b = &l->boxes[row->boxes[i]];
        long sum = 0;
        int n = 0;
        size_t first = SIZE_MAX;
        for (size_t k = 0; k < row->n; k++) {
            if (l->boxes[row->boxes[k]].group == b->group) {
                sum += means[k];
                n++;
                first = MIN(first, k);
            }
        }
        b->group_bary = (int) (sum / n);
        b->group_first = first;
        b->bary = means[i];
    }
    sort_boxes(l, row->boxes, row->n);
    for (size_t i = 0; i < row->n; i++) {
        l->boxes[row->boxes[i]].pos = i;
    }
    free(means);
}

/* Builds the boxes, the rows, the ports and the edges of 'g'. */
static void
layout_init(struct svg_layout *l, const struct graph *g)
{
    struct shash ids = SHASH_INITIALIZER(&ids);
    size_t n_rows_of[3] = { 0, 0, 0 };
    size_t row_of_kind[3];

    memset(l, 0, sizeof *l);
    l->graph = g;
    l->boxes = xcalloc(g->n_nodes ? g->n_nodes : 1, sizeof *l->boxes);
    l->frames = xcalloc(g->n_clusters ? g->n_clusters : 1,
                        sizeof *l->frames);
    for (size_t i = 0; i < g->n_nodes; i++) {
        n_rows_of[kind_row(g->nodes[i].kind)]++;
    }
    for (size_t r = 0; r < 3; r++) {
        row_of_kind[r] = l->n_rows;
        if (n_rows_of[r]) {
            l->rows[l->n_rows++].boxes = xcalloc(n_rows_of[r],
                                                 sizeof (size_t));
        }
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct svg_box *b = &l->boxes[i];
        b->node = &g->nodes[i];
        b->row = row_of_kind[kind_row(b->node->kind)];
        b->group = (b->node->cluster != GRAPH_NO_CLUSTER ? b->node->cluster
                    : g->n_clusters + i);
        struct svg_row *row = &l->rows[b->row];
        b->pos = row->n;
        row->boxes[row->n++] = i;
        shash_add_once(&ids, b->node->id, b);
    }

    /* An edge whose end is no node cannot be drawn; the model makes
     * none. */
    l->edges = xcalloc(g->n_edges ? g->n_edges : 1, sizeof *l->edges);
    l->ports = xcalloc(2 * g->n_edges + 1, sizeof *l->ports);
    for (size_t i = 0; i < g->n_edges; i++) {
        const struct graph_edge *ge = &g->edges[i];
        const struct svg_box *t = shash_find_data(&ids, ge->from);
        const struct svg_box *h = shash_find_data(&ids, ge->to);
        if (!t || !h) {
            continue;
        }
        struct svg_edge *e = &l->edges[l->n_edges++];
        e->edge = ge;
        ds_init(&e->path);
        tag_init(&e->tag, ge->label);
        e->tail = l->n_ports++;
        e->head = l->n_ports++;
        l->ports[e->tail].box = t - l->boxes;
        l->ports[e->head].box = h - l->boxes;
        tag_init(&l->ports[e->tail].tag, ge->taillabel);
        tag_init(&l->ports[e->head].tag, ge->headlabel);
    }
    shash_destroy(&ids);

    /* Barycenter sweeps, down and up. */
    for (int sweep = 0; l->n_rows && sweep < 4; sweep++) {
        for (size_t r = 1; r < l->n_rows; r++) {
            order_row(l, r, r - 1);
        }
        for (size_t r = l->n_rows - 1; r-- > 0;) {
            order_row(l, r, r + 1);
        }
    }
}

/* Decides how each edge runs, now that the rows are in order, and which
 * side each of its ports is on. */
static void
route_edges(struct svg_layout *l)
{
    for (size_t i = 0; i < l->n_edges; i++) {
        struct svg_edge *e = &l->edges[i];
        struct svg_port *tp = &l->ports[e->tail], *hp = &l->ports[e->head];
        const struct svg_box *t = &l->boxes[tp->box];
        const struct svg_box *h = &l->boxes[hp->box];
        if (t->row != h->row) {
            e->route = ROUTE_VERTICAL;
            tp->side = t->row < h->row ? SIDE_BOTTOM : SIDE_TOP;
            hp->side = t->row < h->row ? SIDE_TOP : SIDE_BOTTOM;
        } else if (!e->edge->probe && (t->pos + 1 == h->pos
                                       || h->pos + 1 == t->pos)) {
            e->route = ROUTE_HORIZONTAL;
            tp->side = t->pos < h->pos ? SIDE_RIGHT : SIDE_LEFT;
            hp->side = t->pos < h->pos ? SIDE_LEFT : SIDE_RIGHT;
        } else {
            e->route = ROUTE_ARC;
            tp->side = hp->side = SIDE_BOTTOM;
        }
        for (int j = 0; j < 2; j++) {
            struct svg_port *p = j ? hp : tp;
            p->slot = (p->side == SIDE_TOP || p->side == SIDE_BOTTOM
                       ? MAX(p->tag.w, PORT_MIN_W) + PORT_GAP
                       : SIDE_PORT_STEP);
            l->boxes[p->box].slots[p->side] += p->slot;
        }
    }
}

/* Sizes each box by its label, its shape and its ports. */
static void
size_boxes(struct svg_layout *l)
{
    for (size_t i = 0; i < l->graph->n_nodes; i++) {
        struct svg_box *b = &l->boxes[i];
        int w, n_lines;
        measure(b->node->label, NODE_SIZE, &w, &n_lines);
        b->w = w + 2 * NODE_PAD_X;
        b->h = n_lines * NODE_LINE + 2 * NODE_PAD_Y;
        if (b->node->shape == GRAPH_DOUBLEOCTAGON) {
            b->w += 2 * OCTAGON_CUT;
        } else if (b->node->shape == GRAPH_BOX3D) {
            b->w += BOX3D_DEPTH;
            b->h += BOX3D_DEPTH;
        }
        if (b->node->shape != GRAPH_PLAINTEXT) {
            b->w = MAX(b->w, NODE_MIN_W);
            b->h = MAX(b->h, NODE_MIN_H);
        }
        b->w = MAX(b->w, MAX(b->slots[SIDE_TOP], b->slots[SIDE_BOTTOM]));
        b->h = MAX(b->h, MAX(b->slots[SIDE_LEFT], b->slots[SIDE_RIGHT])
                   + NODE_PAD_Y);
    }
}

/* The room between neighbours 'a' and 'b' of a row: more where a
 * horizontal edge runs between them, for its two tags. */
static int
gap_between(const struct svg_layout *l, size_t a, size_t b)
{
    int gap = NODE_GAP;
    for (size_t i = 0; i < l->n_edges; i++) {
        const struct svg_edge *e = &l->edges[i];
        size_t t = l->ports[e->tail].box, h = l->ports[e->head].box;
        if (e->route == ROUTE_HORIZONTAL
            && ((t == a && h == b) || (t == b && h == a))) {
            gap = MAX(gap, (l->ports[e->tail].tag.w
                            + l->ports[e->head].tag.w + 2 * TAG_PAD
                            + HORIZONTAL_RUN));
        }
    }
    return gap;
}

/* Places the nodes of row 'r' left to right, each as near as it can to
 * where 'want' (indexed by box, INT_MIN for anywhere) puts its centre.  A
 * group is placed as one block, its nodes packed inside; a chassis' block
 * has room for its frame.  The result is the mean of two placements that
 * keep every gap, one pushing right and one pushing left, so that a row
 * spreads around what its nodes want rather than to one side. */
static void
place_row(struct svg_layout *l, size_t r, const int *want)
{
    const struct svg_row *row = &l->rows[r];
    size_t n = row->n;
    size_t *first = xcalloc(n + 1, sizeof *first);  /* Per block. */
    int *width = xcalloc(n + 1, sizeof *width);
    int *gap = xcalloc(n + 1, sizeof *gap);         /* To its left. */
    int *d = xcalloc(n + 1, sizeof *d);
    int *left = xcalloc(n + 1, sizeof *left);
    int *right = xcalloc(n + 1, sizeof *right);
    int *offset = xcalloc(n + 1, sizeof *offset);   /* Per box in row. */
    size_t n_blocks = 0;

    for (size_t i = 0; i < n; ) {
        const struct svg_box *b0 = &l->boxes[row->boxes[i]];
        size_t c = b0->node->cluster;
        int pad = c != GRAPH_NO_CLUSTER ? CLUSTER_PAD : 0;
        int x = pad;
        long sum = 0;
        int n_want = 0;
        size_t k = i;

        first[n_blocks] = i;
        gap[n_blocks] = i ? gap_between(l, row->boxes[i - 1], row->boxes[i])
                          : 0;
        for (; k < n && l->boxes[row->boxes[k]].group == b0->group; k++) {
            const struct svg_box *b = &l->boxes[row->boxes[k]];
            if (k > i) {
                x += gap_between(l, row->boxes[k - 1], row->boxes[k]);
            }
            offset[k] = x + half(b->w);
            x += b->w;
            if (want[row->boxes[k]] != INT_MIN) {
                sum += want[row->boxes[k]] - offset[k];
                n_want++;
            }
        }
        width[n_blocks] = x + pad;
        if (c != GRAPH_NO_CLUSTER) {
            int w, n_lines;
            measure(l->graph->clusters[c].label, CLUSTER_SIZE, &w,
                    &n_lines);
            width[n_blocks] = MAX(width[n_blocks], w + 2 * CLUSTER_PAD);
        }
        d[n_blocks] = n_want ? (int) (sum / n_want) : INT_MIN;
        n_blocks++;
        i = k;
    }
    first[n_blocks] = n;

    for (size_t i = 0; i < n_blocks; i++) {
        int lo = i ? left[i - 1] + width[i - 1] + gap[i] : INT_MIN;
        left[i] = (d[i] != INT_MIN ? MAX(d[i], lo)
                   : i ? lo : 0);
        if (d[i] == INT_MIN) {
            d[i] = left[i];
        }
    }
    for (size_t i = n_blocks; i-- > 0;) {
        right[i] = (i + 1 < n_blocks
                    ? MIN(d[i], right[i + 1] - gap[i + 1] - width[i])
                    : d[i]);
    }
    for (size_t i = 0; i < n_blocks; i++) {
        int x = half(left[i] + right[i]);
        size_t c = l->boxes[row->boxes[first[i]]].node->cluster;
        if (c != GRAPH_NO_CLUSTER) {
            l->frames[c].x = x;
            l->frames[c].w = width[i];
        }
        for (size_t k = first[i]; k < first[i + 1]; k++) {
            l->boxes[row->boxes[k]].x = x + offset[k];
        }
    }

    free(first);
    free(width);
    free(gap);
    free(d);
    free(left);
    free(right);
    free(offset);
}

/* Spreads the ports on each side of each box, ordered by where their far
 * ends are, so that the edges leaving a side do not cross there. */
static void
place_ports(struct svg_layout *l)
{
    for (size_t i = 0; i < l->n_edges; i++) {
        const struct svg_edge *e = &l->edges[i];
        for (int j = 0; j < 2; j++) {
            size_t p = j ? e->head : e->tail;
            const struct svg_box *far = far_box(l, e, p);
            /* A loop's tail comes before its head. */
            l->ports[p].key = 2 * far->x + (far == &l->boxes[l->ports[p].box]
                                            ? j * 2 - 1 : 0);
        }
    }
    for (size_t b = 0; b < l->graph->n_nodes; b++) {
        const struct svg_box *box = &l->boxes[b];
        for (int side = SIDE_TOP; side <= SIDE_RIGHT; side++) {
            /* Ports of one side in order: repeatedly the least key not yet
             * placed, ties by index; a node has few ports. */
            int along = -half(box->slots[side]);
            int last_key = INT_MIN;
            size_t last = SIZE_MAX;
            for (;;) {
                size_t best = SIZE_MAX;
                for (size_t p = 0; p < l->n_ports; p++) {
                    const struct svg_port *q = &l->ports[p];
                    if (q->box != b || (int) q->side != side
                        || q->key < last_key
                        || (q->key == last_key && (last == SIZE_MAX
                                                   || p <= last))) {
                        continue;
                    }
                    if (best == SIZE_MAX || q->key < l->ports[best].key) {
                        best = p;
                    }
                }
                if (best == SIZE_MAX) {
                    break;
                }
                struct svg_port *q = &l->ports[best];
                int mid = along + half(q->slot);
                if (side == SIDE_TOP || side == SIDE_BOTTOM) {
                    q->x = box->x + mid;
                    q->y = side == SIDE_TOP ? box->y : box->y + box->h;
                } else {
                    q->x = box_left(box) + (side == SIDE_RIGHT ? box->w : 0);
                    q->y = box->y + half(box->h) + mid;
                }
                along += q->slot;
                last_key = q->key;
                last = best;
            }
        }
    }
}

/* The centres that the nodes of row 'r' want: over or under the ports of
 * the nodes they join in row 'ref' (INT_MIN where they join none). */
static void
wanted_x(const struct svg_layout *l, size_t r, size_t ref, int *want)
{
    int *n = xcalloc(l->graph->n_nodes + 1, sizeof *n);
    long *sum = xcalloc(l->graph->n_nodes + 1, sizeof *sum);
    for (size_t i = 0; i < l->n_edges; i++) {
        const struct svg_edge *e = &l->edges[i];
        for (int j = 0; j < 2; j++) {
            size_t p = j ? e->head : e->tail;
            size_t far = j ? e->tail : e->head;
            size_t b = l->ports[p].box;
            if (!e->edge->probe && l->boxes[b].row == r
                && l->boxes[l->ports[far].box].row == ref) {
                sum[b] += l->ports[far].x;
                n[b]++;
            }
        }
    }
    for (size_t b = 0; b < l->graph->n_nodes; b++) {
        want[b] = n[b] ? (int) (sum[b] / n[b]) : INT_MIN;
    }
    free(n);
    free(sum);
}

/* Sets the rows' heights and tops, the boxes' tops and the chassis'
 * frames' heights. */
static void
place_rows(struct svg_layout *l)
{
    int y = MARGIN + TITLE_BAND;
    for (size_t r = 0; r < l->n_rows; r++) {
        struct svg_row *row = &l->rows[r];
        for (size_t i = 0; i < row->n; i++) {
            const struct svg_box *b = &l->boxes[row->boxes[i]];
            row->height = MAX(row->height, b->h);
            if (b->node->cluster != GRAPH_NO_CLUSTER) {
                row->top_band = CLUSTER_HEAD + CLUSTER_PAD;
                row->bottom_band = CLUSTER_PAD;
            }
        }
    }
    for (size_t p = 0; p < l->n_ports; p++) {
        const struct svg_port *q = &l->ports[p];
        struct svg_row *row = &l->rows[l->boxes[q->box].row];
        if (q->side == SIDE_TOP) {
            row->top_tags = MAX(row->top_tags, q->tag.h);
        } else if (q->side == SIDE_BOTTOM) {
            row->bottom_tags = MAX(row->bottom_tags, q->tag.h);
        }
    }
    for (size_t r = 0; r < l->n_rows; r++) {
        struct svg_row *row = &l->rows[r];
        if (r) {
            const struct svg_row *up = &l->rows[r - 1];
            y = (up->top + up->height + up->bottom_band + 2 + up->bottom_tags
                 + RUN + row->top_tags + 2);
        }
        row->top = y + row->top_band;
        for (size_t i = 0; i < row->n; i++) {
            struct svg_box *b = &l->boxes[row->boxes[i]];
            b->y = row->top + half(row->height - b->h);
            if (b->node->cluster != GRAPH_NO_CLUSTER) {
                struct svg_frame *f = &l->frames[b->node->cluster];
                f->y = row->top - row->top_band;
                f->h = row->top_band + row->height + row->bottom_band;
            }
        }
    }
}

/* Where the tags below row 'r' end, and above it begin. */
static int
tags_below(const struct svg_row *row)
{
    return row->top + row->height + row->bottom_band + 2 + row->bottom_tags;
}

static int
tags_above(const struct svg_row *row)
{
    return row->top - row->top_band - 2 - row->top_tags;
}

/* Computes the path of each edge and where its tags go. */
static void
route_paths(struct svg_layout *l)
{
    for (size_t i = 0; i < l->n_edges; i++) {
        struct svg_edge *e = &l->edges[i];
        struct svg_port *a = &l->ports[e->tail], *b = &l->ports[e->head];
        const struct svg_row *ra = &l->rows[l->boxes[a->box].row];
        const struct svg_row *rb = &l->rows[l->boxes[b->box].row];

        ds_clear(&e->path);
        if (e->route == ROUTE_VERTICAL) {
            if (a->side == SIDE_TOP) {
                struct svg_port *s = a;
                a = b;
                b = s;
                const struct svg_row *sr = ra;
                ra = rb;
                rb = sr;
            }
            /* 'a' above, 'b' below. */
            int y1 = tags_below(ra), y2 = tags_above(rb);
            int ym = half(y1 + y2);
            ds_put_format(&e->path, "M%d,%d V%d C%d,%d %d,%d %d,%d V%d",
                          a->x, a->y, y1, a->x, ym, b->x, ym, b->x, y2, b->y);
            a->tag.x = a->x;
            a->tag.y = (ra->top + ra->height + ra->bottom_band + 2
                        + half(a->tag.h));
            b->tag.x = b->x;
            b->tag.y = (rb->top - rb->top_band - 2 - b->tag.h
                        + half(b->tag.h));
            e->tag.x = half(a->x + b->x);
            e->tag.y = ym;
            e->bottom = b->y;
        } else if (e->route == ROUTE_HORIZONTAL) {
            ds_put_format(&e->path, "M%d,%d L%d,%d", a->x, a->y, b->x, b->y);
            int dir = a->x < b->x ? 1 : -1;
            a->tag.x = a->x + dir * (TAG_PAD + half(a->tag.w));
            a->tag.y = a->y;
            b->tag.x = b->x - dir * (TAG_PAD + half(b->tag.w));
            b->tag.y = b->y;
            e->tag.x = half(a->x + b->x);
            e->tag.y = a->y;
            e->bottom = a->y;
        } else {
            int y0 = tags_below(ra);
            int depth = ARC_DEPTH + 4 * isqrt(abs(b->x - a->x));
            int c = y0 + depth * 4 / 3;
            ds_put_format(&e->path, "M%d,%d V%d C%d,%d %d,%d %d,%d V%d",
                          a->x, a->y, y0, a->x, c, b->x, c, b->x, y0, b->y);
            for (int j = 0; j < 2; j++) {
                struct svg_port *p = j ? b : a;
                p->tag.x = p->x;
                p->tag.y = (ra->top + ra->height + ra->bottom_band + 2
                            + half(p->tag.h));
            }
            e->tag.x = half(a->x + b->x);
            e->tag.y = y0 + depth;
            e->bottom = y0 + depth;
        }
    }
}

/* Widens the extent [*x0, *x1] x [..., *y1] to take in 'tag'.  (Nothing
 * is drawn above the top row's nodes.) */
static void
extend_tag(const struct svg_tag *tag, int *x0, int *x1, int *y1)
{
    if (tag->text) {
        *x0 = MIN(*x0, tag->x - half(tag->w));
        *x1 = MAX(*x1, tag->x - half(tag->w) + tag->w);
        *y1 = MAX(*y1, tag->y - half(tag->h) + tag->h);
    }
}

/* Lays out the whole picture. */
static void
layout_run(struct svg_layout *l)
{
    int *want = xcalloc(l->graph->n_nodes + 1, sizeof *want);

    route_edges(l);
    size_boxes(l);

    /* The bottom row packed, each row above over the nodes it joins
     * below, then the bottom row again under the ports it joins above. */
    if (l->n_rows) {
        size_t last = l->n_rows - 1;
        for (size_t b = 0; b < l->graph->n_nodes; b++) {
            want[b] = INT_MIN;
        }
        place_row(l, last, want);
        for (size_t r = last; r-- > 0;) {
            place_ports(l);
            wanted_x(l, r, r + 1, want);
            place_row(l, r, want);
        }
        if (last) {
            place_ports(l);
            wanted_x(l, last, last - 1, want);
            place_row(l, last, want);
        }
    }
    place_rows(l);
    place_ports(l);
    route_paths(l);

    /* The extent of everything drawn, then everything moved right so that
     * it starts at the margin and the title fits. */
    int x0 = INT_MAX, x1 = INT_MIN, y1 = MARGIN + TITLE_BAND;
    for (size_t b = 0; b < l->graph->n_nodes; b++) {
        const struct svg_box *box = &l->boxes[b];
        x0 = MIN(x0, box_left(box));
        x1 = MAX(x1, box_left(box) + box->w);
        y1 = MAX(y1, box->y + box->h);
    }
    for (size_t c = 0; c < l->graph->n_clusters; c++) {
        const struct svg_frame *f = &l->frames[c];
        if (f->w) {
            x0 = MIN(x0, f->x);
            x1 = MAX(x1, f->x + f->w);
            y1 = MAX(y1, f->y + f->h);
        }
    }
    for (size_t p = 0; p < l->n_ports; p++) {
        extend_tag(&l->ports[p].tag, &x0, &x1, &y1);
    }
    for (size_t i = 0; i < l->n_edges; i++) {
        const struct svg_edge *e = &l->edges[i];
        extend_tag(&e->tag, &x0, &x1, &y1);
        y1 = MAX(y1, e->bottom);
    }
    if (x0 > x1) {
        x0 = x1 = 0;
    }
    int title_w, n_lines;
    measure(l->graph->title, TITLE_SIZE, &title_w, &n_lines);
    int content_w = x1 - x0;
    l->width = MAX(content_w, title_w) + 2 * MARGIN;
    l->height = y1 + MARGIN;

    int dx = MARGIN - x0 + half(MAX(content_w, title_w) - content_w);
    for (size_t b = 0; b < l->graph->n_nodes; b++) {
        l->boxes[b].x += dx;
    }
    for (size_t c = 0; c < l->graph->n_clusters; c++) {
        l->frames[c].x += dx;
    }
    place_ports(l);
    route_paths(l);
    free(want);
}

static void
layout_destroy(struct svg_layout *l)
{
    for (size_t i = 0; i < l->n_edges; i++) {
        ds_destroy(&l->edges[i].path);
    }
    for (size_t r = 0; r < l->n_rows; r++) {
        free(l->rows[r].boxes);
    }
    free(l->boxes);
    free(l->ports);
    free(l->edges);
    free(l->frames);
}

/* Writes 'n' bytes of 's' as XML text: the five special characters as
 * entities, control characters (which XML 1.0 does not allow) as '?'. */
static void
put_xml_len(struct ds *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        const char *entity = (c == '&' ? "&amp;"
                              : c == '<' ? "&lt;"
                              : c == '>' ? "&gt;"
                              : c == '"' ? "&quot;"
                              : c == '\'' ? "&#39;"
                              : NULL);
        if (entity) {
            ds_put_cstr(out, entity);
        } else {
            ds_put_char(out, c < 0x20 && c != '\n' && c != '\t' ? '?' : c);
        }
    }
}

static void
put_xml(struct ds *out, const char *s)
{
    put_xml_len(out, s, strlen(s));
}

/* Writes "<title>TEXT</title>". */
static void
put_title(struct ds *out, const char *text)
{
    ds_put_cstr(out, "<title>");
    put_xml(out, text);
    ds_put_cstr(out, "</title>\n");
}

/* An SVG colour for Graphviz colour 'name' (NULL: black). */
static const char *
svg_color(const char *name)
{
    return (!name ? "black"
            : !strcmp(name, "gray40") ? "#666666"
            : name);
}

/* Writes the stroke attributes of a line drawn in 'color' and 'style'. */
static void
put_stroke(struct ds *out, const char *color, const char *style, bool thick)
{
    ds_put_format(out, " stroke=\"%s\"", svg_color(color));
    if (thick) {
        ds_put_cstr(out, " stroke-width=\"2\"");
    }
    if (style && strstr(style, "dashed")) {
        ds_put_cstr(out, " stroke-dasharray=\"5,3\"");
    } else if (style && strstr(style, "dotted")) {
        ds_put_cstr(out, " stroke-dasharray=\"1,3\"");
    }
}

/* Writes 'text', one <text> a line, the lines centred on 'x' and the
 * block on 'cy'. */
static void
put_lines(struct ds *out, const char *text, int x, int cy, int size,
          int line, const char *color)
{
    int n_lines = 1;
    for (const char *p = text; *p; p++) {
        n_lines += *p == '\n';
    }
    int y = cy - half(n_lines * line) + line - (line - size) / 2 - 2;
    for (const char *p = text; ; y += line) {
        size_t len = strcspn(p, "\n");
        ds_put_format(out, "<text text-anchor=\"middle\" x=\"%d\" y=\"%d\" "
                      "font-size=\"%d\"", x, y, size);
        if (color) {
            ds_put_format(out, " fill=\"%s\"", svg_color(color));
        }
        ds_put_char(out, '>');
        put_xml_len(out, p, len);
        ds_put_cstr(out, "</text>\n");
        if (!p[len]) {
            break;
        }
        p += len + 1;
    }
}

static void
put_tag(struct ds *out, const struct svg_tag *tag, const char *color)
{
    if (!tag->text) {
        return;
    }
    ds_put_format(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                  "fill=\"white\" stroke=\"none\"/>\n",
                  tag->x - half(tag->w), tag->y - half(tag->h), tag->w,
                  tag->h);
    put_lines(out, tag->text, tag->x, tag->y, EDGE_SIZE, EDGE_LINE, color);
}

/* Writes "<polygon points=...>" through the 'n' points 'xy'. */
static void
put_polygon(struct ds *out, const int *xy, size_t n,
            const struct graph_node *node, const char *fill)
{
    ds_put_format(out, "<polygon fill=\"%s\"", fill);
    put_stroke(out, node->color, node->style, false);
    ds_put_cstr(out, " points=\"");
    for (size_t i = 0; i < n; i++) {
        ds_put_format(out, "%s%d,%d", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
    }
    ds_put_cstr(out, "\"/>\n");
}

/* Writes the outline of 'b'. */
static void
put_shape(struct ds *out, const struct svg_box *b)
{
    const struct graph_node *n = b->node;
    int l = box_left(b), t = b->y, r = l + b->w, bot = b->y + b->h;

    switch (n->shape) {
    case GRAPH_BOX:
        ds_put_format(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                      "height=\"%d\"", l, t, b->w, b->h);
        if (n->style && strstr(n->style, "rounded")) {
            ds_put_cstr(out, " rx=\"6\" ry=\"6\"");
        }
        ds_put_cstr(out, " fill=\"white\"");
        put_stroke(out, n->color, n->style, false);
        ds_put_cstr(out, "/>\n");
        break;

    case GRAPH_BOX3D: {
        int d = BOX3D_DEPTH;
        int front[] = { l, t + d, r - d, t + d, r - d, bot, l, bot };
        int top[] = { l, t + d, l + d, t, r, t, r - d, t + d };
        int side[] = { r - d, t + d, r, t, r, bot - d, r - d, bot };
        put_polygon(out, front, 4, n, "white");
        put_polygon(out, top, 4, n, "#eeeeee");
        put_polygon(out, side, 4, n, "#dddddd");
        break;
    }

    case GRAPH_DOUBLEOCTAGON:
        for (int inset = 0; inset <= 4; inset += 4) {
            int c = OCTAGON_CUT;
            int l1 = l + inset, r1 = r - inset, t1 = t + inset;
            int b1 = bot - inset;
            int oct[] = { l1 + c, t1, r1 - c, t1, r1, t1 + c, r1, b1 - c,
                          r1 - c, b1, l1 + c, b1, l1, b1 - c, l1, t1 + c };
            put_polygon(out, oct, 8, n, inset ? "none" : "white");
        }
        break;

    case GRAPH_PLAINTEXT:
    default:
        /* Nothing to see, but the room it takes. */
        ds_put_format(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                      "height=\"%d\" fill=\"none\" stroke=\"none\"/>\n",
                      l, t, b->w, b->h);
        break;
    }
}

/* Opens a group for 'tooltip', if any: SVG shows the <title> of the
 * innermost group under the pointer. */
static void
open_tooltip(struct ds *out, const char *tooltip)
{
    if (tooltip) {
        ds_put_cstr(out, "<g>\n");
        put_title(out, tooltip);
    }
}

static void
close_tooltip(struct ds *out, const char *tooltip)
{
    if (tooltip) {
        ds_put_cstr(out, "</g>\n");
    }
}

void
graph_write_svg(const struct graph *g, struct ds *out)
{
    struct svg_layout l;

    layout_init(&l, g);
    layout_run(&l);

    ds_put_format(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
                  "standalone=\"no\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                  "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\">\n"
                  "<g id=\"graph0\" class=\"graph\">\n",
                  l.width, l.height, l.width, l.height);
    put_title(out, g->name);
    ds_put_format(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
                  "fill=\"white\" stroke=\"none\"/>\n", l.width, l.height);
    put_lines(out, g->title, half(l.width), MARGIN + half(TITLE_BAND) - 4,
              TITLE_SIZE, TITLE_SIZE + 4, NULL);

    for (size_t c = 0; c < g->n_clusters; c++) {
        const struct svg_frame *f = &l.frames[c];
        ds_put_format(out, "<g id=\"clust%"PRIuSIZE"\" class=\"cluster\">\n",
                      c + 1);
        put_title(out, g->clusters[c].id);
        ds_put_format(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
                      "height=\"%d\" rx=\"8\" ry=\"8\" fill=\"none\"",
                      f->x, f->y, f->w, f->h);
        put_stroke(out, "gray40", "dashed", false);
        ds_put_format(out, "/>\n<text x=\"%d\" y=\"%d\" font-size=\"%d\" "
                      "fill=\"%s\">", f->x + CLUSTER_PAD,
                      f->y + CLUSTER_HEAD - 3, CLUSTER_SIZE,
                      svg_color("gray40"));
        put_xml(out, g->clusters[c].label);
        ds_put_cstr(out, "</text>\n</g>\n");
    }

    /* The lines, then the tags on them and then the nodes, so that no
     * line crosses a tag or a node. */
    for (size_t i = 0; i < l.n_edges; i++) {
        const struct svg_edge *e = &l.edges[i];
        ds_put_format(out, "<g id=\"edge%"PRIuSIZE"\" class=\"edge\">\n",
                      i + 1);
        char *title = xasprintf("%s--%s", e->edge->from, e->edge->to);
        put_title(out, title);
        free(title);
        open_tooltip(out, e->edge->tooltip);
        ds_put_cstr(out, "<path fill=\"none\"");
        put_stroke(out, e->edge->color, e->edge->style, e->edge->alarm);
        ds_put_format(out, " d=\"%s\"/>\n", ds_cstr_ro(&e->path));
        close_tooltip(out, e->edge->tooltip);
        ds_put_cstr(out, "</g>\n");
    }
    ds_put_cstr(out, "<g class=\"labels\">\n");
    for (size_t i = 0; i < l.n_edges; i++) {
        const struct svg_edge *e = &l.edges[i];
        const char *color = e->edge->alarm ? e->edge->color : NULL;
        put_tag(out, &l.ports[e->tail].tag, color);
        put_tag(out, &l.ports[e->head].tag, color);
        put_tag(out, &e->tag, color);
    }
    ds_put_cstr(out, "</g>\n");

    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct svg_box *b = &l.boxes[i];
        ds_put_format(out, "<g id=\"node%"PRIuSIZE"\" class=\"node\">\n",
                      i + 1);
        put_title(out, b->node->id);
        open_tooltip(out, b->node->tooltip);
        put_shape(out, b);
        int top = b->y + (b->node->shape == GRAPH_BOX3D ? BOX3D_DEPTH : 0);
        int left = box_left(b);
        int width = b->w - (b->node->shape == GRAPH_BOX3D ? BOX3D_DEPTH : 0);
        put_lines(out, b->node->label, left + half(width),
                  half(top + b->y + b->h), NODE_SIZE, NODE_LINE, NULL);
        close_tooltip(out, b->node->tooltip);
        ds_put_cstr(out, "</g>\n");
    }
    ds_put_cstr(out, "</g>\n</svg>\n");
    layout_destroy(&l);
}
