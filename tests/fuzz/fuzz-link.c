/* Fuzzes the "vplug link" endpoint parser: the input's first two lines are
 * endpoints NS[/IFNAME][=ADDR/PLEN].  Each parses or is refused with a
 * message naming it; two that parse make a direct link that is either
 * valid, and then reads back from its own text, or refused as a whole. */
#include <config.h>
#include "fuzz.h"

#include "topology.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *lines[2];
    int n = fuzz_split_lines(data, size, lines, 2);
    struct topology *topo = xzalloc(sizeof *topo);
    bool ok = true;

    topo->name = xstrdup("fuzz-link");
    topo->links = xcalloc(1, sizeof *topo->links);
    topo->n_links = 1;
    for (int i = 0; i < 2; i++) {
        struct topo_end *end = &topo->links[0].ends[i];
        topo_end_init(end);
        if (i >= n) {
            continue;
        }
        char *error = topology_parse_endpoint(lines[i], end);
        if (error) {
            FUZZ_ASSERT(str_startswith(error, "endpoint '"),
                        "message does not name the endpoint: %s", error);
            free(error);
            ok = false;
        }
    }
    for (int i = 0; ok && i < 2; i++) {
        struct topo_end *end = &topo->links[0].ends[i];
        if (!end->ifname) {
            end->ifname = topology_generate_ifname(topo->name, 0, i);
        }
    }
    if (ok && n == 2) {
        char *error = topology_validate(topo);
        if (!error) {
            char *text = topology_to_string(topo);
            struct topology *again;
            char *error2 = topology_parse_string(text, "link.json", &again);
            FUZZ_ASSERT(!error2, "a valid link does not read back: %s\n%s",
                        error2, text);
            topology_destroy(again);
            free(text);
        }
        free(error);
    }
    topology_destroy(topo);
    fuzz_free_lines(lines, n);
    return 0;
}
