/* Fuzzes the parser of "plug NS IFNAME SWITCH [KEY=VALUE...]" (the CLI's
 * and vplugd's vplug/plug): each input line is one argument.  What it
 * accepts has valid names, no reserved key, and values in range. */
#include <config.h>
#include "fuzz.h"

#include "topology.h"
#include "vif.h"

#define MAX_ARGS 16

static void
check_name(enum topo_name_kind kind, const char *name)
{
    char *error = topology_check_name(kind, name);
    FUZZ_ASSERT(!error, "plug took a bad name: %s", error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *argv[MAX_ARGS];
    int argc = fuzz_split_lines(data, size, argv, MAX_ARGS);
    struct vif_request req;
    char *error = vif_request_parse(argc, (const char *const *) argv, &req);

    if (error) {
        FUZZ_ASSERT(*error, "empty message");
        free(error);
    } else {
        FUZZ_ASSERT(argc >= 3, "took %d arguments", argc);
        check_name(TOPO_NAME_NS, req.ns);
        check_name(TOPO_NAME_IFNAME, req.ifname);
        check_name(TOPO_NAME_IFNAME, req.sw);
        FUZZ_ASSERT(!req.mtu || (req.mtu >= 68 && req.mtu <= 65535),
                    "mtu %d", req.mtu);
        FUZZ_ASSERT(req.vlan == -1 || (req.vlan >= 1 && req.vlan <= 4094),
                    "vlan %d", req.vlan);
        for (size_t i = 0; i < req.addrs.n; i++) {
            char *e = topology_parse_cidr(req.addrs.names[i], NULL, NULL,
                                          NULL);
            FUZZ_ASSERT(!e, "took address: %s", e);
        }
        for (int i = 3; i < argc; i++) {
            FUZZ_ASSERT(!topology_is_reserved_key(argv[i]),
                        "took reserved key %s", argv[i]);
        }
    }
    vif_request_uninit(&req);
    fuzz_free_lines(argv, argc);
    return 0;
}
