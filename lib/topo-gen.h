/* Lab topologies generated from a shape, for benchmarks and quick labs
 * ("vplug gen star 1000 ovs").  The result is an ordinary topology that
 * passes topology_validate().
 *
 * Hosts are namespaces "NAME-h1" .. "NAME-hN".  Names of interfaces in the
 * current namespace (switches and their ports) start with a tag: NAME
 * itself when the longest such name fits in 15 bytes, otherwise "t" and
 * hex digits of a hash of NAME, so that two labs never share a name.
 *
 * Shapes:
 *   star  N hosts around one hub.  via=ovs|bridge: switch "TAG-sw", port
 *         "TAG-K" for host K, whose "eth0" gets address K of 'subnet' (the
 *         whole subnet is one segment; 10.0.0.0/16 holds 65534 hosts).
 *         via=direct: a hub namespace "NAME-hub" with interface "to-hK"
 *         for host K; each link is its own /30 carved from 'subnet'
 *         (hub .1, host .2).
 *   line  hosts 1-2-...-N (N >= 2).
 *   ring  the line plus N-1 (N >= 3; with N = 2 it is the line).
 *   tree  a binary tree: host K's parent is host K/2.
 *   mesh  every pair of hosts (N <= 100).
 *   For line, ring, tree and mesh every edge A-B is a point-to-point
 *   segment with its own /30 (/126 for IPv6) from 'subnet', A getting the
 *   first address and B the second, on interfaces "to-hB" in A and "to-hA"
 *   in B.  via=direct: the edge is one veth pair.  via=ovs|bridge: the
 *   edge passes through its own two-port switch "TAG-sE" (E counts edges
 *   from 1), with ports "TAG-sEa" and "TAG-sEb".  A switch per edge keeps
 *   the addressing and the reachability the same whatever 'via' is, and
 *   never makes a layer-2 loop (a ring of switches would flood forever
 *   without STP).
 *
 * OVS switches get datapath "auto" and port_type "system". */
#ifndef TOPO_GEN_H
#define TOPO_GEN_H 1

#include "topology.h"

/* The largest N for any shape, and for a mesh. */
#define TOPO_GEN_MAX_HOSTS 65534
#define TOPO_GEN_MAX_MESH 100

/* Generates topology 'name' (NULL: the shape's name) of 'shape' ("star",
 * "line", "ring", "tree", "mesh") with 'n' hosts, joined 'via' a kind of
 * switch or directly, with addresses from 'subnet' ("ADDR/PLEN", IPv4 or
 * IPv6; NULL: "10.0.0.0/16").  Returns NULL and the topology in '*topop',
 * or an error message and NULL. */
char *topo_gen(const char *shape, int n, enum topo_switch_kind via,
               const char *subnet, const char *name,
               struct topology **topop) OVS_WARN_UNUSED_RESULT;

#endif /* topo-gen.h */
