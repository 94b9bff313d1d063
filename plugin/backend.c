/* The registry of switch backends. */
#include <config.h>
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

static const struct vplug_backend_class *const backends[] = {
    &vplug_ovs_backend,
    &vplug_bridge_backend,
    &vplug_direct_backend,
    &vplug_ovn_backend,
};

const struct vplug_backend_class *
vplug_backend_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
        if (!strcmp(backends[i]->name, name)) {
            return backends[i];
        }
    }
    return NULL;
}

void
vplug_switch_info_uninit(struct vplug_switch_info *info)
{
    for (size_t j = 0; j < info->n_ports; j++) {
        free(info->ports[j].ifname);
        free(info->ports[j].owner);
    }
    free(info->ports);
    free(info->name);
    free(info->variant);
    free(info->owner);
}

void
vplug_switch_info_free_array(struct vplug_switch_info *infos, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vplug_switch_info_uninit(&infos[i]);
    }
    free(infos);
}
