/* The names that vplug's commands take from a user. */
#include <config.h>
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "topology.h"
#include "util.h"
#include "vif.h"
#include "vplug-util.h"

/* The arguments of the commands that take names, by position. */
struct command_args {
    const char *name;
    enum topo_name_kind kinds[2];
    int n_kinds;
};

static const struct command_args command_args[] = {
    { "destroy", { TOPO_NAME_TOPOLOGY }, 1 },
    { "show", { TOPO_NAME_TOPOLOGY }, 1 },
    { "verify", { TOPO_NAME_TOPOLOGY }, 1 },
    { "unplug", { TOPO_NAME_NS, TOPO_NAME_IFNAME }, 2 },
};

char *
commands_check_args(const char *command, int argc, const char *const argv[])
{
    const char *full_name = command;
    if (str_startswith(command, "vplug/")) {
        command += strlen("vplug/");
    }
    if (!strcmp(command, "status")) {
        /* Its one option is the output format. */
        for (int i = 0; i < argc; i++) {
            if (strcmp(argv[i], "--format=text")
                && strcmp(argv[i], "--format=json")) {
                return xasprintf("%s: unknown option '%s' (%s takes "
                                 "--format=text or --format=json)",
                                 full_name, argv[i], full_name);
            }
        }
        return NULL;
    }
    if (!strcmp(command, "plug")) {
        /* Its parser checks the names and the keys. */
        struct vif_request req;
        char *error = vif_request_parse(argc, argv, &req);
        vif_request_uninit(&req);
        return error;
    }
    for (size_t i = 0; i < ARRAY_SIZE(command_args); i++) {
        const struct command_args *c = &command_args[i];
        if (!strcmp(command, c->name)) {
            for (int j = 0; j < argc && j < c->n_kinds; j++) {
                char *error = topology_check_name(c->kinds[j], argv[j]);
                if (error) {
                    return error;
                }
            }
            return NULL;
        }
    }
    return NULL;
}
