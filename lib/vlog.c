/* Logging by module and level. */
#include <config.h>
#include "vlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static struct vlog_module *modules;
static pthread_mutex_t vlog_mutex = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static char *log_file_name;

static const char *const level_names[] = {
    [VLL_OFF] = "off", [VLL_EMER] = "emer", [VLL_ERR] = "err",
    [VLL_WARN] = "warn", [VLL_INFO] = "info", [VLL_DBG] = "dbg",
};

void
vlog_register(struct vlog_module *module)
{
    struct vlog_module **p;

    /* Keep the list sorted by name for vlog/list. */
    for (p = &modules; *p && strcmp((*p)->name, module->name) < 0;
         p = &(*p)->next) {
        continue;
    }
    module->next = *p;
    *p = module;
}

bool
vlog_is_enabled(const struct vlog_module *module, enum vlog_level level)
{
    return level <= module->console_level
           || (log_file && level <= module->file_level);
}

static void
vlog_valist(const struct vlog_module *module, enum vlog_level level,
            const char *format, va_list args)
{
    if (!vlog_is_enabled(module, level)) {
        return;
    }

    char *msg = xvasprintf(format, args);
    pthread_mutex_lock(&vlog_mutex);
    if (level <= module->console_level) {
        fprintf(stderr, "%s|%s|%s\n", module->name, level_names[level], msg);
    }
    if (log_file && level <= module->file_level) {
        struct timespec ts;
        struct tm tm;
        char stamp[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(log_file, "%s.%03ldZ|%s|%s|%s\n", stamp,
                ts.tv_nsec / 1000000, module->name, level_names[level], msg);
        fflush(log_file);
    }
    pthread_mutex_unlock(&vlog_mutex);
    free(msg);
}

void
vlog(const struct vlog_module *module, enum vlog_level level,
     const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vlog_valist(module, level, format, args);
    va_end(args);
}

void
vlog_rl(const struct vlog_module *module, enum vlog_level level,
        struct vlog_rate_limit *rl, const char *format, ...)
{
    if (!vlog_is_enabled(module, level)) {
        return;
    }

    long long int now = time_msec();
    if (!rl->last_fill) {
        rl->last_fill = now;
    }
    if (now - rl->last_fill >= rl->per_sec * 1000LL) {
        rl->tokens = rl->burst;
        rl->last_fill = now;
        if (rl->dropped) {
            vlog(module, level, "Dropped %u log messages in last %u seconds "
                 "due to excessive rate", rl->dropped, rl->per_sec);
            rl->dropped = 0;
        }
    }
    if (!rl->tokens) {
        rl->dropped++;
        return;
    }
    rl->tokens--;

    va_list args;
    va_start(args, format);
    vlog_valist(module, level, format, args);
    va_end(args);
}

static int
level_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
        if (!strcasecmp(name, level_names[i])) {
            return i;
        }
    }
    if (!strcasecmp(name, "debug")) {
        return VLL_DBG;
    }
    if (!strcasecmp(name, "error")) {
        return VLL_ERR;
    }
    if (!strcasecmp(name, "warning")) {
        return VLL_WARN;
    }
    return -1;
}

static struct vlog_module *
module_from_name(const char *name)
{
    for (struct vlog_module *m = modules; m; m = m->next) {
        if (!strcasecmp(m->name, name)) {
            return m;
        }
    }
    return NULL;
}

/* Applies one "word[:word[:word]]" setting. */
static char *
vlog_set_one(char *setting)
{
    struct vlog_module *module = NULL;     /* NULL means every module. */
    int dest = -1;                          /* -1 any, 0 console, 1 file. */
    int level = VLL_DBG;
    char *save = NULL;

    for (char *word = strtok_r(setting, ":", &save); word;
         word = strtok_r(NULL, ":", &save)) {
        int l;
        if (!strcasecmp(word, "ANY")) {
            continue;
        } else if (!strcasecmp(word, "console")) {
            dest = 0;
        } else if (!strcasecmp(word, "file")) {
            dest = 1;
        } else if (!strcasecmp(word, "syslog")) {
            /* Accepted for compatibility with OVS; vplug has no syslog. */
            return NULL;
        } else if ((l = level_from_name(word)) >= 0) {
            level = l;
        } else if ((module = module_from_name(word)) == NULL) {
            return xasprintf("unknown module, destination or level \"%s\"",
                             word);
        }
    }

    for (struct vlog_module *m = modules; m; m = m->next) {
        if (module && m != module) {
            continue;
        }
        if (dest != 1) {
            m->console_level = level;
        }
        if (dest != 0) {
            m->file_level = level;
        }
    }
    return NULL;
}

char *
vlog_set_levels_from_string(const char *s)
{
    char *copy = xstrdup(s);
    char *save = NULL;
    char *error = NULL;

    for (char *word = strtok_r(copy, " \t", &save); word && !error;
         word = strtok_r(NULL, " \t", &save)) {
        pthread_mutex_lock(&vlog_mutex);
        error = vlog_set_one(word);
        pthread_mutex_unlock(&vlog_mutex);
    }
    free(copy);
    return error;
}

char *
vlog_get_levels(void)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "                 console    syslog    file\n");
    ds_put_format(&s, "                 -------    ------    ------\n");
    for (struct vlog_module *m = modules; m; m = m->next) {
        ds_put_format(&s, "%-16s  %4s       %4s       %4s\n", m->name,
                      level_names[m->console_level], level_names[VLL_OFF],
                      level_names[m->file_level]);
    }
    return ds_steal_cstr(&s);
}

int
vlog_set_log_file(const char *path)
{
    char *name = xstrdup(path ? path : "/var/log/openvswitch/vplugd.log");
    FILE *f = fopen(name, "a");
    if (!f) {
        int error = errno;
        free(name);
        return error;
    }
    pthread_mutex_lock(&vlog_mutex);
    if (log_file) {
        fclose(log_file);
    }
    log_file = f;
    free(log_file_name);
    log_file_name = name;
    pthread_mutex_unlock(&vlog_mutex);
    return 0;
}

void
vlog_set_verbosity(enum vlog_level level)
{
    for (struct vlog_module *m = modules; m; m = m->next) {
        if (m->console_level < level) {
            m->console_level = level;
        }
    }
}
