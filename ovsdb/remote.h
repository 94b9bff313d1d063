/* Checks of OVSDB remotes as the user gives them (--db, VPLUG_DB): every
 * member of a comma-separated list must be a connection OVS's streams can
 * open, so that a typo is a usage error at once and not a silent retry
 * loop or a fallback. */
#ifndef OVSDB_REMOTE_H
#define OVSDB_REMOTE_H 1

#include "openvswitch/compiler.h"

/* Returns NULL if every remote in the comma-separated list 'remotes' is
 * one OVS can connect to ("unix:PATH", "tcp:HOST[:PORT]",
 * "ssl:HOST[:PORT]"), else a malloc'd sentence that names the bad member
 * and what is wrong with it. */
char *remote_check(const char *remotes) OVS_WARN_UNUSED_RESULT;

#endif /* ovsdb/remote.h */
