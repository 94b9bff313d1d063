/* Named network namespaces, handled exactly as iproute2's "ip netns" does:
 * a file under /run/netns (a shared mount point) bind-mounted on the
 * namespace, so "ip netns list" and "ip netns exec" see what vplug makes.
 * Entering a namespace is per thread (setns), and always paired with a
 * restore. */
#ifndef NETNS_H
#define NETNS_H 1

#include <stdbool.h>

struct svec;

/* The directory of named namespaces ("/run/netns"). */
const char *netns_dir(void);

/* Creates namespace 'name' as "ip netns add" does.  Returns 0, EEXIST if it
 * exists, or another positive errno. */
int netns_add(const char *name);

/* Names the existing namespace open on 'fd' (see netns_create_unnamed())
 * 'name', as netns_add() names a new one: the same file, the same bind
 * mount.  Returns 0, EEXIST if the name is taken, or another positive
 * errno.  'fd' stays open. */
int netns_add_fd(const char *name, int fd);

/* Creates a network namespace that has no name yet and stores a
 * close-on-exec descriptor of it in '*fdp' (it lives as long as that
 * descriptor or a name made by netns_add_fd()).  Returns 0 or errno. */
int netns_create_unnamed(int *fdp);

/* Deletes namespace 'name' as "ip netns del" does (lazy unmount, unlink).
 * Returns 0, ENOENT if it does not exist, or another positive errno. */
int netns_delete(const char *name);

/* Returns true if namespace 'name' exists: a namespace is mounted on its
 * file (a bare file, left by a creation that was killed, does not
 * count). */
bool netns_exists(const char *name);

/* Returns true if a file 'name' exists in netns_dir(), a namespace or
 * not. */
bool netns_name_taken(const char *name);

/* Returns true if 'name' is a legal namespace name (non-empty, no '/', not
 * "." or "..", at most 255 bytes). */
bool netns_name_is_valid(const char *name);

/* Opens namespace 'name' (NULL: the calling thread's current namespace) and
 * stores a close-on-exec descriptor in '*fdp'.  Returns 0 or errno. */
int netns_open(const char *name, int *fdp);

/* Moves the calling thread into the namespace open on 'fd', storing a
 * descriptor of the namespace it was in into '*saved_fdp' for
 * netns_restore().  Returns 0 or errno ('*saved_fdp' then -1). */
int netns_enter(int fd, int *saved_fdp);

/* Moves the calling thread back into 'saved_fd' and closes it.  Aborts if
 * that fails: a thread left in the wrong namespace would act on the wrong
 * objects. */
void netns_restore(int saved_fd);

/* Adds the names of existing namespaces to 'names', sorted.  Returns 0 or
 * errno. */
int netns_list(struct svec *names);

#endif /* netns.h */
