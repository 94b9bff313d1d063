/* Fuzzes the topology parser and validator: any input either parses into a
 * topology that is valid in memory too and survives a round trip through
 * its text unchanged, or is refused with "FILE:LINE:COLUMN: message". */
#include <config.h>
#include "fuzz.h"

#include "topology.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmemdup0((const char *) data, size);
    struct topology *topo;
    char *error = topology_parse_string(text, "fuzz.json", &topo);

    if (error) {
        int line, column, n = 0;
        FUZZ_ASSERT(!topo, "a topology besides an error");
        FUZZ_ASSERT(sscanf(error, "fuzz.json:%d:%d: %n", &line, &column, &n)
                    == 2 && n && line >= 1 && column >= 1 && error[n],
                    "error without FILE:LINE:COLUMN: %s", error);
    } else {
        char *invalid = topology_validate(topo);
        FUZZ_ASSERT(!invalid, "parsed but invalid in memory: %s", invalid);

        char *a = topology_to_string(topo);
        struct topology *again;
        char *error2 = topology_parse_string(a, "again.json", &again);
        FUZZ_ASSERT(!error2, "its own text is refused: %s\n%s", error2, a);
        char *b = topology_to_string(again);
        FUZZ_ASSERT(!strcmp(a, b), "round trip changed it:\n%s\n%s", a, b);

        struct topology *copy = topology_clone(topo);
        char *c = topology_to_string(copy);
        FUZZ_ASSERT(!strcmp(a, c), "a clone differs:\n%s\n%s", a, c);

        free(a);
        free(b);
        free(c);
        topology_destroy(again);
        topology_destroy(copy);
    }
    free(error);
    topology_destroy(topo);
    free(text);
    return 0;
}
