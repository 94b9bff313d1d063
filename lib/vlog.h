/* Logging by module and level, in the manner of Open vSwitch's vlog: each
 * source file names its module with VLOG_DEFINE_THIS_MODULE, levels are set
 * per module ("vlog/set ovsdb:dbg"), and messages driven by the network or
 * the kernel go through a rate limit.  Destinations: stderr ("console") and
 * an optional log file. */
#ifndef VLOG_H
#define VLOG_H 1

#include <stdbool.h>
#include "util.h"

enum vlog_level {
    VLL_OFF,
    VLL_EMER,
    VLL_ERR,
    VLL_WARN,
    VLL_INFO,
    VLL_DBG,
};

struct vlog_module {
    const char *name;
    enum vlog_level console_level;  /* Threshold for stderr. */
    enum vlog_level file_level;     /* Threshold for the log file. */
    struct vlog_module *next;
};

/* At most 'burst' messages, then one per 'per_sec' seconds. */
struct vlog_rate_limit {
    unsigned int burst;
    unsigned int per_sec;
    unsigned int tokens;
    long long int last_fill;
    unsigned int dropped;
};
#define VLOG_RATE_LIMIT_INIT(BURST, PER_SEC) { BURST, PER_SEC, BURST, 0, 0 }

#define VLOG_DEFINE_THIS_MODULE(NAME)                                   \
    static struct vlog_module this_module = {                           \
        #NAME, VLL_WARN, VLL_INFO, NULL };                              \
    static void init_this_module_##NAME(void)                           \
        __attribute__((constructor));                                   \
    static void init_this_module_##NAME(void)                           \
    {                                                                   \
        vlog_register(&this_module);                                    \
    }

void vlog_register(struct vlog_module *);
bool vlog_is_enabled(const struct vlog_module *, enum vlog_level);
void vlog(const struct vlog_module *, enum vlog_level, const char *format,
          ...) PRINTF_FORMAT(3, 4);
void vlog_rl(const struct vlog_module *, enum vlog_level,
             struct vlog_rate_limit *, const char *format, ...)
    PRINTF_FORMAT(4, 5);

/* Parses "[MODULE|ANY][:console|file|ANY][:LEVEL]" settings separated by
 * spaces, as "ovs-appctl vlog/set" does.  Returns NULL or an error message
 * the caller frees. */
char *vlog_set_levels_from_string(const char *) WARN_UNUSED_RESULT;
/* Returns the table printed by vlog/list; the caller frees it. */
char *vlog_get_levels(void);
/* Opens 'path' (NULL: the default log file) for appending.  Returns 0 or a
 * positive errno. */
int vlog_set_log_file(const char *path);
/* Raises the console level of every module to at least 'level'. */
void vlog_set_verbosity(enum vlog_level);

#define VLOG_ERR(...) vlog(&this_module, VLL_ERR, __VA_ARGS__)
#define VLOG_WARN(...) vlog(&this_module, VLL_WARN, __VA_ARGS__)
#define VLOG_INFO(...) vlog(&this_module, VLL_INFO, __VA_ARGS__)
#define VLOG_DBG(...) vlog(&this_module, VLL_DBG, __VA_ARGS__)
#define VLOG_ERR_RL(RL, ...) vlog_rl(&this_module, VLL_ERR, RL, __VA_ARGS__)
#define VLOG_WARN_RL(RL, ...) vlog_rl(&this_module, VLL_WARN, RL, __VA_ARGS__)
#define VLOG_INFO_RL(RL, ...) vlog_rl(&this_module, VLL_INFO, RL, __VA_ARGS__)
#define VLOG_DBG_RL(RL, ...) vlog_rl(&this_module, VLL_DBG, RL, __VA_ARGS__)
#define VLOG_IS_DBG_ENABLED() vlog_is_enabled(&this_module, VLL_DBG)

#endif /* vlog.h */
