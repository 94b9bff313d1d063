/* Helpers shared by the libFuzzer targets in tests/fuzz: each target is
 * one fuzz-NAME.c with LLVMFuzzerTestOneInput(), built by "make fuzz".  A
 * target aborts when an invariant of the code under test breaks, so that
 * libFuzzer records the input. */
#ifndef FUZZ_H
#define FUZZ_H 1

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vplug-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports 'what' and aborts: libFuzzer keeps the input as a crash. */
#define FUZZ_ASSERT(COND, ...)                                  \
    do {                                                        \
        if (!(COND)) {                                          \
            fprintf(stderr, "fuzz: %s: ", #COND);               \
            fprintf(stderr, __VA_ARGS__);                       \
            fputc('\n', stderr);                                \
            abort();                                            \
        }                                                       \
    } while (0)

/* Splits 'data' at newlines into at most 'max' null-terminated strings in
 * 'argv'.  Returns their number; free them with fuzz_free_lines(). */
static inline int
fuzz_split_lines(const uint8_t *data, size_t size, char *argv[], int max)
{
    int argc = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && argc < max; i++) {
        if (i == size || data[i] == '\n') {
            if (i == size && i == start && argc) {
                break;          /* A final newline ends the last line. */
            }
            argv[argc++] = xmemdup0((const char *) data + start, i - start);
            start = i + 1;
        }
    }
    return argc;
}

static inline void
fuzz_free_lines(char *argv[], int argc)
{
    for (int i = 0; i < argc; i++) {
        free(argv[i]);
    }
}

#endif /* fuzz.h */
