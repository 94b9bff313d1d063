/* Small utilities shared by every vplug module: allocation that aborts on
 * exhaustion, dynamic strings, string vectors, monotonic time and error
 * text.  Nothing here has policy. */
#ifndef UTIL_H
#define UTIL_H 1

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(ARRAY) (sizeof (ARRAY) / sizeof (ARRAY)[0])
#define MIN(A, B) ((A) < (B) ? (A) : (B))
#define MAX(A, B) ((A) > (B) ? (A) : (B))

#define PRINTF_FORMAT(FMT, ARG1) __attribute__((__format__(printf, FMT, ARG1)))
#define WARN_UNUSED_RESULT __attribute__((__warn_unused_result__))
#define NO_RETURN __attribute__((__noreturn__))
#define OVS_UNUSED __attribute__((__unused__))

void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t size);
void *x2nrealloc(void *p, size_t *n, size_t elem_size);
char *xstrdup(const char *s);
char *nullable_xstrdup(const char *s);
char *xmemdup0(const char *p, size_t size);
char *xasprintf(const char *format, ...) PRINTF_FORMAT(1, 2);
char *xvasprintf(const char *format, va_list args) PRINTF_FORMAT(1, 0);

/* Prints "PROGRAM: message" to stderr and exits with 'status'. */
void ovs_fatal_status(int status, const char *format, ...)
    PRINTF_FORMAT(2, 3) NO_RETURN;
void set_program_name(const char *argv0);
const char *get_program_name(void);

/* Returns a static description of positive errno 'error' (thread-safe:
 * strerror_r into a thread-local buffer). */
const char *ovs_strerror(int error);

/* Monotonic milliseconds and wall-clock milliseconds. */
long long int time_msec(void);
long long int time_wall_msec(void);
/* Monotonic microseconds. */
long long int time_usec(void);

bool str_to_int(const char *s, int base, int *value);
bool str_to_llong(const char *s, int base, long long int *value);
bool str_startswith(const char *s, const char *prefix);

/* A growable string, always null-terminated once anything was put in it. */
struct ds {
    char *string;               /* Null-terminated, or NULL if empty. */
    size_t length;              /* Bytes used, excluding the null. */
    size_t allocated;           /* Bytes allocated, excluding the null. */
};
#define DS_EMPTY_INITIALIZER { NULL, 0, 0 }
void ds_init(struct ds *);
void ds_clear(struct ds *);
void ds_destroy(struct ds *);
void ds_put_char(struct ds *, char);
void ds_put_cstr(struct ds *, const char *);
void ds_put_buffer(struct ds *, const char *, size_t);
void ds_put_format(struct ds *, const char *, ...) PRINTF_FORMAT(2, 3);
void ds_put_format_valist(struct ds *, const char *, va_list)
    PRINTF_FORMAT(2, 0);
const char *ds_cstr(struct ds *);      /* Never NULL. */
char *ds_steal_cstr(struct ds *);      /* Caller frees; 'ds' is emptied. */
void ds_chomp(struct ds *, int c);

/* A vector of malloc'd strings. */
struct svec {
    char **names;
    size_t n;
    size_t allocated;
};
#define SVEC_EMPTY_INITIALIZER { NULL, 0, 0 }
void svec_init(struct svec *);
void svec_destroy(struct svec *);
void svec_clear(struct svec *);
void svec_add(struct svec *, const char *);
void svec_add_nocopy(struct svec *, char *);
bool svec_contains(const struct svec *, const char *);
void svec_sort(struct svec *);

/* Writes 'size' bytes of 'data' to 'path' atomically (temporary file in the
 * same directory, fsync, rename).  Returns 0 or a positive errno. */
int write_file_atomic(const char *path, const char *data, size_t size);
/* Appends everything readable from 'fd' until end of file to 'ds'.
 * Returns 0 or a positive errno. */
int read_fd(int fd, struct ds *ds);
/* Reads all of 'path' into a new null-terminated buffer in '*datap'.
 * Returns 0 or a positive errno ('*datap' then NULL). */
int read_file(const char *path, char **datap, size_t *sizep);
/* Creates 'path' and missing parents with 'mode'.  Returns 0 or errno. */
int mkdir_p(const char *path, unsigned int mode);

#endif /* util.h */
