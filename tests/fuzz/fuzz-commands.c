/* Fuzzes the checks of the names that the CLI's and vplugd's commands
 * take (commands_check_args()): the input's first line is the command,
 * each further line one argument.  A name accepted for a topology or a
 * namespace can never leave its directory as a path. */
#include <config.h>
#include "fuzz.h"

#include "commands.h"

#define MAX_ARGS 16

static void
check_path_safe(const char *command, const char *name)
{
    FUZZ_ASSERT(*name && !strchr(name, '/') && strcmp(name, ".")
                && strcmp(name, ".."), "%s took name '%s'", command, name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *lines[MAX_ARGS + 1];
    int n = fuzz_split_lines(data, size, lines, MAX_ARGS + 1);
    if (!n) {
        return 0;
    }

    const char *command = lines[0];
    const char *const *argv = (const char *const *) lines + 1;
    char *error = commands_check_args(command, n - 1, argv);
    if (error) {
        FUZZ_ASSERT(*error, "empty message");
        free(error);
    } else {
        const char *c = (str_startswith(command, "vplug/")
                         ? command + strlen("vplug/") : command);
        int n_names = (!strcmp(c, "destroy") || !strcmp(c, "show")
                       || !strcmp(c, "verify") ? 1
                       : !strcmp(c, "unplug") ? 2
                       : !strcmp(c, "plug") ? 3
                       : 0);
        for (int i = 0; i < n_names && i < n - 1; i++) {
            check_path_safe(command, argv[i]);
        }
    }
    fuzz_free_lines(lines, n);
    return 0;
}
