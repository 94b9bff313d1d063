/* Small utilities shared by every vplug module. */
#include <config.h>
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *program_name = "vplug";

static void NO_RETURN
out_of_memory(void)
{
    fprintf(stderr, "%s: virtual memory exhausted\n", program_name);
    abort();
}

void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

void *
xzalloc(size_t size)
{
    return xcalloc(1, size);
}

void *
xcalloc(size_t count, size_t size)
{
    void *p = count && size ? calloc(count, size) : calloc(1, 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

/* Grows the array 'p' of '*n' elements of 'elem_size' bytes to about twice
 * its size and updates '*n'. */
void *
x2nrealloc(void *p, size_t *n, size_t elem_size)
{
    *n = *n ? *n * 2 : 4;
    return xrealloc(p, *n * elem_size);
}

char *
xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}

char *
nullable_xstrdup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

char *
xmemdup0(const char *p, size_t size)
{
    char *s = xmalloc(size + 1);
    memcpy(s, p, size);
    s[size] = '\0';
    return s;
}

char *
xvasprintf(const char *format, va_list args)
{
    va_list args2;
    va_copy(args2, args);
    int needed = vsnprintf(NULL, 0, format, args);
    char *s = xmalloc(needed + 1);
    vsnprintf(s, needed + 1, format, args2);
    va_end(args2);
    return s;
}

char *
xasprintf(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    char *s = xvasprintf(format, args);
    va_end(args);
    return s;
}

void
set_program_name(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    program_name = slash ? slash + 1 : argv0;
    if (str_startswith(program_name, "lt-")) {
        program_name += 3;
    }
}

const char *
get_program_name(void)
{
    return program_name;
}

void
ovs_fatal_status(int status, const char *format, ...)
{
    va_list args;
    fprintf(stderr, "%s: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    putc('\n', stderr);
    exit(status);
}

const char *
ovs_strerror(int error)
{
    static __thread char buf[128];
    if (!error) {
        return "Success";
    }
    /* GNU strerror_r returns a pointer that may or may not be 'buf'. */
    return strerror_r(error, buf, sizeof buf);
}

static long long int
clock_msec(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long int
time_msec(void)
{
    return clock_msec(CLOCK_MONOTONIC);
}

long long int
time_wall_msec(void)
{
    return clock_msec(CLOCK_REALTIME);
}

long long int
time_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool
str_to_llong(const char *s, int base, long long int *value)
{
    char *tail;
    errno = 0;
    long long int x = strtoll(s, &tail, base);
    if (errno || tail == s || *tail != '\0') {
        *value = 0;
        return false;
    }
    *value = x;
    return true;
}

bool
str_to_int(const char *s, int base, int *value)
{
    long long int x;
    if (!str_to_llong(s, base, &x) || x < INT_MIN || x > INT_MAX) {
        *value = 0;
        return false;
    }
    *value = x;
    return true;
}

bool
str_startswith(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

void
ds_init(struct ds *ds)
{
    ds->string = NULL;
    ds->length = 0;
    ds->allocated = 0;
}

void
ds_clear(struct ds *ds)
{
    ds->length = 0;
    if (ds->string) {
        ds->string[0] = '\0';
    }
}

void
ds_destroy(struct ds *ds)
{
    free(ds->string);
    ds_init(ds);
}

static void
ds_reserve(struct ds *ds, size_t min_length)
{
    if (min_length > ds->allocated || !ds->string) {
        ds->allocated += MAX(min_length, ds->allocated) + 16;
        ds->string = xrealloc(ds->string, ds->allocated + 1);
    }
}

void
ds_put_buffer(struct ds *ds, const char *buf, size_t n)
{
    ds_reserve(ds, ds->length + n);
    memcpy(&ds->string[ds->length], buf, n);
    ds->length += n;
    ds->string[ds->length] = '\0';
}

void
ds_put_char(struct ds *ds, char c)
{
    ds_put_buffer(ds, &c, 1);
}

void
ds_put_cstr(struct ds *ds, const char *s)
{
    ds_put_buffer(ds, s, strlen(s));
}

void
ds_put_format_valist(struct ds *ds, const char *format, va_list args)
{
    va_list args2;
    va_copy(args2, args);
    int needed = vsnprintf(NULL, 0, format, args);
    ds_reserve(ds, ds->length + needed);
    vsnprintf(&ds->string[ds->length], needed + 1, format, args2);
    ds->length += needed;
    va_end(args2);
}

void
ds_put_format(struct ds *ds, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    ds_put_format_valist(ds, format, args);
    va_end(args);
}

const char *
ds_cstr(struct ds *ds)
{
    if (!ds->string) {
        ds_reserve(ds, 0);
        ds->string[0] = '\0';
    }
    return ds->string;
}

char *
ds_steal_cstr(struct ds *ds)
{
    ds_cstr(ds);
    char *s = ds->string;
    ds_init(ds);
    return s;
}

void
ds_chomp(struct ds *ds, int c)
{
    if (ds->length && ds->string[ds->length - 1] == (char) c) {
        ds->string[--ds->length] = '\0';
    }
}

void
svec_init(struct svec *svec)
{
    svec->names = NULL;
    svec->n = 0;
    svec->allocated = 0;
}

void
svec_clear(struct svec *svec)
{
    for (size_t i = 0; i < svec->n; i++) {
        free(svec->names[i]);
    }
    svec->n = 0;
}

void
svec_destroy(struct svec *svec)
{
    svec_clear(svec);
    free(svec->names);
    svec_init(svec);
}

void
svec_add_nocopy(struct svec *svec, char *name)
{
    if (svec->n >= svec->allocated) {
        svec->names = x2nrealloc(svec->names, &svec->allocated,
                                 sizeof *svec->names);
    }
    svec->names[svec->n++] = name;
}

void
svec_add(struct svec *svec, const char *name)
{
    svec_add_nocopy(svec, xstrdup(name));
}

bool
svec_contains(const struct svec *svec, const char *name)
{
    for (size_t i = 0; i < svec->n; i++) {
        if (!strcmp(svec->names[i], name)) {
            return true;
        }
    }
    return false;
}

static int
compare_strings(const void *a_, const void *b_)
{
    char *const *a = a_;
    char *const *b = b_;
    return strcmp(*a, *b);
}

void
svec_sort(struct svec *svec)
{
    if (svec->n) {
        qsort(svec->names, svec->n, sizeof *svec->names, compare_strings);
    }
}

int
write_file_atomic(const char *path, const char *data, size_t size)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long) getpid());
    int error = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = errno;
        goto out;
    }
    const char *p = data;
    size_t left = size;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            error = errno;
            break;
        }
        p += n;
        left -= n;
    }
    if (!error && fsync(fd) < 0) {
        error = errno;
    }
    if (close(fd) < 0 && !error) {
        error = errno;
    }
    if (!error && rename(tmp, path) < 0) {
        error = errno;
    }
    if (error) {
        unlink(tmp);
    }
out:
    free(tmp);
    return error;
}

int
read_fd(int fd, struct ds *ds)
{
    for (;;) {
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        } else if (!n) {
            return 0;
        }
        ds_put_buffer(ds, buf, n);
    }
}

int
read_file(const char *path, char **datap, size_t *sizep)
{
    struct ds ds = DS_EMPTY_INITIALIZER;

    *datap = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    int error = read_fd(fd, &ds);
    close(fd);
    if (error) {
        ds_destroy(&ds);
        return error;
    }
    if (sizep) {
        *sizep = ds.length;
    }
    *datap = ds_steal_cstr(&ds);
    return 0;
}

int
mkdir_p(const char *path, unsigned int mode)
{
    char *copy = xstrdup(path);
    int error = 0;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(copy, mode) < 0 && errno != EEXIST) {
                error = errno;
                break;
            }
            *p = c;
            if (!c) {
                break;
            }
        }
    }
    free(copy);
    return error;
}
