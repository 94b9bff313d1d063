/* The direct backend: no switch at all.  A segment of two namespace ends
 * becomes one veth pair between them; the engine rewrites such links
 * before any backend is called, so every switch operation here is empty
 * and only probe() has something to say. */
#include <config.h>
#include "backend.h"

#include <errno.h>
#include <stdlib.h>

#include "topology.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

static int
direct_open(struct vplug_ctx *ctx, struct vplug_backend **backendp,
            char **errp OVS_UNUSED)
{
    struct vplug_backend *b = xzalloc(sizeof *b);
    b->class = &vplug_direct_backend;
    b->ctx = ctx;
    *backendp = b;
    return 0;
}

static void
direct_close(struct vplug_backend *backend)
{
    free(backend);
}

/* Whether a switch can become a direct veth depends only on how many ends
 * sit on it, which the engine counts before choosing this backend. */
static int
direct_probe(struct vplug_backend *backend OVS_UNUSED,
             const struct topo_switch *sw OVS_UNUSED, char **errp OVS_UNUSED)
{
    return 0;
}

static int
direct_ensure_switch(struct vplug_backend *backend OVS_UNUSED,
                     const struct topo_switch *sw OVS_UNUSED, bool *createdp,
                     char **variantp, char **errp OVS_UNUSED)
{
    *createdp = false;
    *variantp = xstrdup("direct");
    return 0;
}

static int
direct_attach(struct vplug_backend *backend OVS_UNUSED,
              const struct topo_switch *sw OVS_UNUSED,
              const struct topo_end *end OVS_UNUSED, char **errp OVS_UNUSED)
{
    return 0;
}

static int
direct_detach(struct vplug_backend *backend OVS_UNUSED,
              const char *sw_name OVS_UNUSED, const char *ifname OVS_UNUSED,
              char **errp OVS_UNUSED)
{
    return 0;
}

static int
direct_remove_switch(struct vplug_backend *backend OVS_UNUSED,
                     const char *sw_name OVS_UNUSED, char **errp OVS_UNUSED)
{
    return 0;
}

static int
direct_commit(struct vplug_backend *backend OVS_UNUSED, char **errp OVS_UNUSED)
{
    return 0;
}

static int
direct_list(struct vplug_backend *backend OVS_UNUSED,
            const char *owner OVS_UNUSED, struct vplug_switch_info **infosp,
            size_t *np, char **errp OVS_UNUSED)
{
    *infosp = NULL;
    *np = 0;
    return 0;
}

const struct vplug_backend_class vplug_direct_backend = {
    .name = "direct",
    .open = direct_open,
    .close = direct_close,
    .probe = direct_probe,
    .ensure_switch = direct_ensure_switch,
    .attach = direct_attach,
    .detach = direct_detach,
    .remove_switch = direct_remove_switch,
    .commit = direct_commit,
    .list = direct_list,
};
