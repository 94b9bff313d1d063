/* Ethernet device features through SIOCETHTOOL.  The ioctl acts on the
 * namespace of the socket it is issued on, so the socket is made inside the
 * link's namespace and the thread leaves it at once. */
#include <config.h>
#include "ethtool.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Issues ethtool command 'ecmd' (an ETHTOOL_G* or ETHTOOL_S* value taking a
 * struct ethtool_value) on 'ifname' in the namespace open on 'netns_fd' (-1:
 * the current one).  '*datap' is sent and receives the reply. */
static int
ethtool_value_ioctl(int netns_fd, const char *ifname, uint32_t ecmd,
                    uint32_t *datap)
{
    struct ethtool_value ev = { .cmd = ecmd, .data = *datap };
    struct ifreq ifr;
    int saved_fd = -1;
    int error;

    if (strlen(ifname) >= sizeof ifr.ifr_name) {
        return ENAMETOOLONG;
    }
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, ifname);
    ifr.ifr_data = (void *) &ev;

    if (netns_fd >= 0) {
        error = netns_enter(netns_fd, &saved_fd);
        if (error) {
            return error;
        }
    }
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    error = sock < 0 ? errno : 0;
    if (saved_fd >= 0) {
        netns_restore(saved_fd);
    }
    if (error) {
        return error;
    }

    error = ioctl(sock, SIOCETHTOOL, &ifr) ? errno : 0;
    close(sock);
    if (!error) {
        *datap = ev.data;
    }
    return error;
}

int
ethtool_set_tx_csum(int netns_fd, const char *ifname, bool on)
{
    /* The kernel drops TSO (tx-tcp-segmentation, tx-tcp6-segmentation and
     * the other offloads that need checksumming) by itself when TX
     * checksumming goes off, and brings them back when it comes on again:
     * the features end up exactly as after "ethtool -K IF tx off" (the
     * test "ethtool: TX checksum offload off and on" compares them).  On
     * kernel 6.18, tx-tcp-accecn-segmentation stays on either way, so
     * ethtool 6.1's summary line still says "tcp-segmentation-offload:
     * on". */
    uint32_t data = on;
    return ethtool_value_ioctl(netns_fd, ifname, ETHTOOL_STXCSUM, &data);
}

int
ethtool_get_tx_csum(int netns_fd, const char *ifname, bool *onp)
{
    uint32_t data = 0;
    int error = ethtool_value_ioctl(netns_fd, ifname, ETHTOOL_GTXCSUM, &data);
    *onp = !error && data;
    return error;
}
