/* Spare network namespaces, made ahead of need.
 *
 * Creating a network namespace (unshare(CLONE_NEWNET)) is the slowest single
 * step of plugging a VIF into a new namespace: about half a millisecond on
 * Linux 6.x, as much as the veth itself.  A long-lived process (vplugd) makes
 * a few spare namespaces while it is idle, each with lo up and a route
 * netlink socket open inside, so that a request only has to name one
 * (netns_add_fd()).  A spare namespace has no name: nothing outside the
 * process sees it ("ip netns" does not list it), and it disappears with the
 * process, however that ends.
 *
 * Taking is thread-safe (the engine's workers take concurrently); filling is
 * meant for one thread. */
#ifndef NETNS_POOL_H
#define NETNS_POOL_H 1

#include <stdbool.h>
#include <stddef.h>

struct rtnl;

/* A spare namespace, once taken: the caller owns both. */
struct netns_spare {
    int fd;                     /* Descriptor of the namespace. */
    struct rtnl *rtnl;          /* A socket inside it. */
};

struct netns_pool *netns_pool_create(size_t capacity);
void netns_pool_destroy(struct netns_pool *);

/* Returns how many spare namespaces 'pool' holds. */
size_t netns_pool_count(struct netns_pool *);

/* Returns true if 'pool' holds fewer than its capacity. */
bool netns_pool_needs_fill(struct netns_pool *);

/* Makes one spare namespace if 'pool' has room.  Returns 0 or errno. */
int netns_pool_fill_one(struct netns_pool *);

/* Takes a spare namespace out of 'pool' into '*spare' and returns true, or
 * returns false if there is none.  'pool' may be NULL (then none). */
bool netns_pool_take(struct netns_pool *, struct netns_spare *spare);

#endif /* netns-pool.h */
