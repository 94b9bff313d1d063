/* TEMPORARY STAND-INS on the "daemon" branch so that vplugd links while the
 * engine and the topology parser are written elsewhere: every function
 * fails with EOPNOTSUPP and "not implemented yet".  The real engine.c on
 * main replaces this whole file at merge; the topology stand-ins below go
 * with it (lib/topology.c on main defines the real ones). */
#include <config.h>
#include "engine.h"

#include <errno.h>
#include <stdlib.h>

#include "topology.h"
#include "util.h"

static int
not_implemented(const char *what, char **errp)
{
    if (errp) {
        *errp = xasprintf("%s: not implemented yet", what);
    }
    return EOPNOTSUPP;
}

int
engine_apply(const struct topology *topo OVS_UNUSED,
             const struct engine_opts *opts OVS_UNUSED, char **errp)
{
    return not_implemented("apply", errp);
}

int
engine_destroy(const char *name OVS_UNUSED,
               const struct topology *topo OVS_UNUSED,
               const struct engine_opts *opts OVS_UNUSED, char **errp)
{
    return not_implemented("destroy", errp);
}

int
engine_show(const char *name OVS_UNUSED, bool json OVS_UNUSED,
            const struct engine_opts *opts OVS_UNUSED,
            struct ds *out OVS_UNUSED, char **errp)
{
    return not_implemented("show", errp);
}

int
engine_verify(const char *name OVS_UNUSED, bool all OVS_UNUSED,
              bool json OVS_UNUSED,
              const struct engine_opts *opts OVS_UNUSED,
              struct ds *out OVS_UNUSED, int *n_failedp, char **errp)
{
    *n_failedp = 0;
    return not_implemented("verify", errp);
}

int
engine_load(const char *name OVS_UNUSED,
            const struct engine_opts *opts OVS_UNUSED,
            struct topology **topop, char **errp)
{
    *topop = NULL;
    return not_implemented("load", errp);
}

int
engine_list(const struct engine_opts *opts OVS_UNUSED,
            struct svec *names OVS_UNUSED)
{
    return EOPNOTSUPP;
}

/* Stand-ins for lib/topology.c (see above). */
char *
topology_parse_file(const char *file_name, struct topology **topop)
{
    *topop = NULL;
    return xasprintf("%s: topology parser not implemented yet", file_name);
}

void
topology_destroy(struct topology *topo)
{
    free(topo);
}
