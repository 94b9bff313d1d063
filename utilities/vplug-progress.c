/* Progress on a terminal; see vplug-progress.h. */
#include <config.h>
#include "vplug-progress.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Phases of fewer items are not drawn, unless they last long. */
#define PROGRESS_MIN_ITEMS 32
/* Redraw at most this often (ms), except for a phase's last item. */
#define PROGRESS_INTERVAL_MS 100
/* A run shorter than this (ms) draws nothing, whatever its size. */
#define PROGRESS_DELAY_MS 300

static long long int started;   /* time_msec() of the first call. */
static long long int last_draw; /* time_msec() of the last draw, or 0. */
static bool drawn;              /* A progress line is on the terminal. */

static void
draw(void *aux OVS_UNUSED, const char *phase, size_t done, size_t total)
{
    long long int now = time_msec();
    if (!started) {
        started = now;
    }
    if (total < PROGRESS_MIN_ITEMS && now - started < PROGRESS_DELAY_MS) {
        return;
    }
    if (done != total && now - last_draw < PROGRESS_INTERVAL_MS) {
        return;
    }
    /* "\033[K" clears what a longer previous line left. */
    fprintf(stderr, "\r%s: %zu/%zu\033[K", phase, done, total);
    fflush(stderr);
    last_draw = now;
    drawn = true;
}

void (*vplug_progress_callback(void))(void *, const char *, size_t, size_t)
{
    return isatty(STDERR_FILENO) ? draw : NULL;
}

void
vplug_progress_end(void)
{
    if (drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        drawn = false;
    }
}
