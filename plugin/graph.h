/* A picture of a lab: a topology drawn as a Graphviz DOT graph or as SVG
 * that vplug lays out itself (it runs no other program), with the live
 * state of an applied topology (the backend each switch really uses,
 * links that are down or missing, OVS ports without an OpenFlow port) and
 * the results of "verify" drawn on it.  An OVN lab's chassis are clusters
 * of the namespaces on them and its logical routers nodes of their own.
 * The live state and the probe results come in the JSON that "vplug show"
 * and "vplug verify" print with --format=json, the documented contract of
 * those commands. */
#ifndef GRAPH_H
#define GRAPH_H 1

#include <stdbool.h>

struct engine_opts;
struct topology;

/* Output formats of graph_run(). */
enum graph_format {
    GRAPH_DOT,                  /* DOT text. */
    GRAPH_SVG,                  /* SVG, laid out by vplug in rows. */
};

/* "vplug graph": writes the picture of 'topo' (parsed from a file, or NULL)
 * or of applied topology 'name' to standard output.  An applied topology is
 * drawn with its live state and, if 'verify', with the results of probing
 * it.  Returns 0, or a positive errno and a sentence in '*errp' (ENOENT:
 * 'name' is neither applied nor given as a file; EPIPE, ENOSPC, ...:
 * standard output cannot be written). */
int graph_run(const struct topology *topo, const char *name,
              enum graph_format, bool verify, const struct engine_opts *,
              char **errp);

#endif /* graph.h */
