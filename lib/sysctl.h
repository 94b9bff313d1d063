/* Per-namespace sysctls under /proc/sys: the calling thread enters the
 * namespace only for the open, so the value read or written is that
 * namespace's. */
#ifndef SYSCTL_H
#define SYSCTL_H 1

/* 'path' is relative to /proc/sys with '/' separators, for example
 * "net/ipv4/conf/veth0/accept_local".  'netns_fd' -1: current namespace.
 * Return 0 or a positive errno. */
int sysctl_read(int netns_fd, const char *path, char **valuep);
int sysctl_write(int netns_fd, const char *path, const char *value);

#endif /* sysctl.h */
