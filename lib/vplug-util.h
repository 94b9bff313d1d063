/* What vplug needs beyond Open vSwitch's util.h: whole-file reads and
 * atomic writes, "mkdir -p", a prefix test, a linear search of an unsorted
 * svec (OVS's svec_contains() requires a sorted one) and a fatal exit with
 * a chosen status (OVS's ovs_fatal() always exits 1; usage errors exit
 * 2), and timed waits on a condition variable (OVS has only untimed
 * ones). */
#ifndef VPLUG_UTIL_H
#define VPLUG_UTIL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "util.h"

struct ds;
struct ovs_mutex;
struct svec;

/* Prints "PROGRAM: message" to stderr and exits with 'status'. */
void ovs_fatal_status(int status, const char *format, ...)
    OVS_PRINTF_FORMAT(2, 3) OVS_NO_RETURN;

/* The program's name as set_program_name() recorded it. */
#define get_program_name() ovs_get_program_name()

bool str_startswith(const char *s, const char *prefix);

/* True if 'svec', sorted or not, holds 'name'. */
bool svec_has(const struct svec *, const char *name);

/* Console logging for a command (not a daemon): warnings and errors of
 * vplug's modules, as ovs-vsctl does, and nothing from OVS's client modules
 * (reconnect, streams, JSON-RPC, IDL), whose failures vplug reports itself
 * as sentences. */
void vplug_vlog_init_command(void);

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

/* Initializes 'cond' for vplug_cond_wait_until(): its timed waits run on
 * CLOCK_MONOTONIC, the clock of OVS's time_msec().  Aborts on failure, as
 * OVS's xpthread_cond_init() does. */
void vplug_cond_init_monotonic(pthread_cond_t *cond);
/* Waits on 'cond', which vplug_cond_init_monotonic() set up, with 'mutex'
 * held, until it is signalled or time_msec() reaches 'deadline' (LLONG_MAX
 * for no limit).  As any condition wait, it may also return early: the
 * caller tests its condition again. */
void vplug_cond_wait_until(pthread_cond_t *cond, struct ovs_mutex *mutex,
                           long long int deadline);

#endif /* vplug-util.h */
