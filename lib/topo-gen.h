/* Placeholder until the generators land. */
#ifndef TOPO_GEN_H
#define TOPO_GEN_H 1
#include "topology.h"
char *topo_gen(const char *shape, int n, enum topo_switch_kind via,
               const char *subnet, const char *name, struct topology **);
#endif
