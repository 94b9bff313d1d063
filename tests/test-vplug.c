/* Entry point of the unit-test binary. */
#include <config.h>
#include "test-vplug.h"

#include <string.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

static struct vplug_test *tests;

void
vplug_test_register(struct vplug_test *test)
{
    test->next = tests;
    tests = test;
}

int
main(int argc, char *argv[])
{
    ovs_set_program_name(argv[0], PACKAGE_VERSION);
    vplug_vlog_init_command();
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        printf("usage: %s COMMAND [ARG...]\ncommands:\n", argv[0]);
        for (struct vplug_test *t = tests; t; t = t->next) {
            printf("  %s %s\n", t->name, t->usage);
        }
        return argc < 2 ? 2 : 0;
    }
    for (struct vplug_test *t = tests; t; t = t->next) {
        if (!strcmp(t->name, argv[1])) {
            return t->func(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "%s: unknown test command '%s'\n", argv[0], argv[1]);
    return 2;
}
