/* What the kernel says about the AF_PACKET sockets of the current network
 * namespace (sock_diag, as "ss -0" shows them): which are bound to a device
 * and with what flags.  This is how vplug learns what a userspace switch
 * really runs with: ovs-vswitchd sets PACKET_VNET_HDR on a port's socket
 * exactly when it runs with userspace TSO. */
#ifndef PACKET_DIAG_H
#define PACKET_DIAG_H 1

#include <stdbool.h>

/* Looks at the packet sockets bound to the device with index 'ifindex' in
 * the current network namespace: stores into '*n_socketsp' how many there
 * are and into '*n_vnet_hdrp' how many of them carry a virtio-net header
 * (PACKET_VNET_HDR: the owner hands the kernel and takes from it packets
 * with offloads still to do).  Returns 0 or a positive errno. */
int packet_diag_count(int ifindex, int *n_socketsp, int *n_vnet_hdrp);

#endif /* packet-diag.h */
