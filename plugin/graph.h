/* A picture of a lab: a topology written as a Graphviz DOT graph, with the
 * live state of an applied topology (the backend each switch really uses,
 * links that are down or missing, OVS ports without an OpenFlow port) and
 * the results of "verify" drawn on it.  An OVN lab's chassis are clusters
 * of the namespaces on them and its logical routers nodes of their own.
 * The live state and the probe results come in the JSON that "vplug show"
 * and "vplug verify" print with --format=json, the documented contract of
 * those commands. */
#ifndef GRAPH_H
#define GRAPH_H 1

#include "util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"

struct engine_opts;
struct topology;

/* Appends to 'out' the DOT graph of 'topo' (as written in its file, or as
 * applied).  'show_json', if nonnull, is the output of "vplug show NAME
 * --format=json" for it; 'verify_json', if nonnull, the output of "vplug
 * verify NAME --format=json".  Returns NULL, or a message if either of
 * them cannot be read (then 'out' is unchanged). */
char *graph_to_dot(const struct topology *topo, const char *show_json,
                   const char *verify_json, struct ds *out)
    OVS_WARN_UNUSED_RESULT;

/* Output formats of graph_run(). */
enum graph_format {
    GRAPH_DOT,                  /* DOT text. */
    GRAPH_SVG,                  /* DOT piped through Graphviz's "dot -Tsvg". */
};

/* "vplug graph": writes the picture of 'topo' (parsed from a file, or NULL)
 * or of applied topology 'name' to standard output.  An applied topology is
 * drawn with its live state and, if 'verify', with the results of probing
 * it.  Returns 0, or a positive errno and a sentence in '*errp' (ENOENT:
 * 'name' is neither applied nor given as a file). */
int graph_run(const struct topology *topo, const char *name,
              enum graph_format, bool verify, const struct engine_opts *,
              char **errp);

#endif /* graph.h */
