/* Fuzzes the reader of the state files in STATE_DIR (what "destroy",
 * "show" and vplugd's restart trust): the input is written as the state of
 * topology "fuzz" and loaded.  It loads into a valid topology or fails
 * with a message, never anything else. */
#include <config.h>
#include "fuzz.h"

#include <errno.h>
#include <unistd.h>

#include "engine.h"
#include "topology.h"

static char *state_dir;
static char *state_file;

int LLVMFuzzerInitialize(int *argc, char ***argv);

static void
remove_state_dir(void)
{
    unlink(state_file);
    rmdir(state_dir);
}

/* Makes the state directory, in memory where there is /dev/shm: the file is
 * written once per input. */
int
LLVMFuzzerInitialize(int *argc OVS_UNUSED, char ***argv OVS_UNUSED)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) {
        tmp = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
    }
    char *template = xasprintf("%s/vplug-fuzz-state.XXXXXX", tmp);
    state_dir = mkdtemp(template);
    if (!state_dir) {
        perror("mkdtemp");
        exit(1);
    }
    state_file = xasprintf("%s/fuzz.json", state_dir);
    atexit(remove_state_dir);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(state_file, "w");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
        perror(state_file);
        exit(1);
    }

    struct engine_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.state_dir = state_dir;

    struct topology *topo;
    char *error = NULL;
    int retval = engine_load("fuzz", &opts, &topo, &error);
    if (retval) {
        FUZZ_ASSERT(!topo, "a topology besides error %d", retval);
        FUZZ_ASSERT(error && *error, "error %d without a message", retval);
    } else {
        FUZZ_ASSERT(topo, "no topology and no error");
        char *invalid = topology_validate(topo);
        FUZZ_ASSERT(!invalid, "loaded an invalid topology: %s", invalid);
    }
    free(error);
    topology_destroy(topo);
    return 0;
}
