/* The unit-test binary: every test-*.c registers its commands with
 * VPLUG_TEST, and the .at files run "test-vplug COMMAND ARGS...". */
#ifndef TEST_VPLUG_H
#define TEST_VPLUG_H 1

#include <stdio.h>
#include <stdlib.h>

typedef int test_func(int argc, char *argv[]);

struct vplug_test {
    const char *name;           /* Command name. */
    const char *usage;          /* Arguments, for --help. */
    test_func *func;            /* Returns the exit status. */
    struct vplug_test *next;
};

void vplug_test_register(struct vplug_test *);

#define VPLUG_TEST(NAME, USAGE, FUNC)                                   \
    static struct vplug_test test_##FUNC = { NAME, USAGE, FUNC, NULL }; \
    static void register_##FUNC(void) __attribute__((constructor));    \
    static void register_##FUNC(void) { vplug_test_register(&test_##FUNC); }

/* Aborts the test with a message naming the failed condition. */
#define CHECK(COND)                                                     \
    do {                                                                \
        if (!(COND)) {                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n",                \
                    __FILE__, __LINE__, #COND);                         \
            exit(1);                                                    \
        }                                                               \
    } while (0)

#endif /* test-vplug.h */
