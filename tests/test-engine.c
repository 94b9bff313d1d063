/* Unit tests: engine. */
#include <config.h>
#include "test-vplug.h"

#include <string.h>
#include <unistd.h>

#include "dirs.h"
#include "plugin/engine.h"
#include "topology.h"
#include "util.h"

static const char *stop_phase;
static size_t stop_after;

/* Asks for a stop, as vplug's SIGTERM handler does, once 'stop_after' items
 * of 'stop_phase' are done. */
static void
stop_progress(void *aux OVS_UNUSED, const char *phase, size_t done,
              size_t total OVS_UNUSED)
{
    if (!strcmp(phase, stop_phase) && done == stop_after) {
        engine_request_stop();
    }
}

static void
print_line(void *aux OVS_UNUSED, const char *line)
{
    printf("%s\n", line);
}

/* Fills 'eo' as vplug does for the test's own OVS and state directory,
 * with 'progress'.  Returns the database remote, for the caller to free. */
static char *
init_opts(struct engine_opts *eo,
          void (*progress)(void *, const char *, size_t, size_t))
{
    char *db = xasprintf("unix:%s/db.sock", ovs_rundir());
    memset(eo, 0, sizeof *eo);
    eo->default_db_remote = db;
    eo->timeout_ms = 30000;
    eo->state_dir = getenv("VPLUG_STATE_DIR");
    eo->report = print_line;
    eo->progress = progress;
    return db;
}

/* Sets 'stop_phase' and 'stop_after' from "X PHASE K" in 'argv', or prints
 * 'usage' and returns false. */
static bool
parse_stop(int argc, char *argv[], const char *usage)
{
    int k;
    if (argc != 4 || !str_to_int(argv[3], 10, &k) || k < 0) {
        fprintf(stderr, "usage: %s\n", usage);
        return false;
    }
    stop_phase = argv[2];
    stop_after = k;
    return true;
}

/* "destroy-stop NAME PHASE K": destroys the applied topology NAME as
 * "vplug destroy NAME" does, with a stop requested once K items of PHASE
 * ("deleting links", "deleting namespaces") are done.  Prints what the
 * destroy said; exits 1 if it failed. */
static int
test_destroy_stop(int argc, char *argv[])
{
    if (!parse_stop(argc, argv, "destroy-stop NAME PHASE K")) {
        return 2;
    }

    struct engine_opts eo;
    char *db = init_opts(&eo, stop_progress);

    char *err;
    int error = engine_destroy(argv[1], NULL, &eo, &err);
    if (error) {
        printf("error: %s\n", err);
        free(err);
    }
    free(db);
    return error ? 1 : 0;
}
VPLUG_TEST("destroy-stop", "NAME PHASE K", test_destroy_stop)

/* "apply-die FILE PHASE K": applies the topology of FILE as "vplug apply
 * FILE" does, and dies without any cleanup (as under SIGKILL) once K items
 * of PHASE ("creating namespaces", "creating links") are done.  Exits 1 if
 * the apply failed before that, 137 when it died. */
static void
die_progress(void *aux OVS_UNUSED, const char *phase, size_t done,
             size_t total OVS_UNUSED)
{
    if (!strcmp(phase, stop_phase) && done == stop_after) {
        _exit(137);
    }
}

static int
test_apply_die(int argc, char *argv[])
{
    if (!parse_stop(argc, argv, "apply-die FILE PHASE K")) {
        return 2;
    }

    struct topology *topo;
    char *err = topology_parse_file(argv[1], &topo);
    if (err) {
        printf("error: %s\n", err);
        free(err);
        return 1;
    }

    struct engine_opts eo;
    char *db = init_opts(&eo, die_progress);

    int error = engine_apply(topo, &eo, &err);
    if (error) {
        printf("error: %s\n", err);
        free(err);
    }
    topology_destroy(topo);
    free(db);
    return error ? 1 : 0;
}
VPLUG_TEST("apply-die", "FILE PHASE K", test_apply_die)
