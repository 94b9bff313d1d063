/* Placeholder: being written. */
#include <config.h>
#include "backend.h"

const struct vplug_backend_class vplug_ovs_backend = { .name = "ovs" };
