/* Ethernet device features through the SIOCETHTOOL ioctl, on a socket made
 * inside the link's namespace. */
#ifndef ETHTOOL_H
#define ETHTOOL_H 1

#include <stdbool.h>

/* Turns TX checksum offload of 'ifname' in 'netns_fd' (-1: current) on or
 * off, as "ethtool -K IFNAME tx on|off" does (off also drops TSO, which
 * depends on it).  Returns 0 or a positive errno. */
int ethtool_set_tx_csum(int netns_fd, const char *ifname, bool on);
/* Reads it into '*onp'.  Returns 0 or errno. */
int ethtool_get_tx_csum(int netns_fd, const char *ifname, bool *onp);

#endif /* ethtool.h */
