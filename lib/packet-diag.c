/* AF_PACKET sockets through NETLINK_SOCK_DIAG: one dump request asking for
 * PACKET_SHOW_INFO, whose PACKET_DIAG_INFO attribute carries the bound
 * device and the socket's flags. */
#include <config.h>
#include "packet-diag.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "vplug-util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"
#include "timeval.h"

/* Bound on the wait for each part of the kernel's answer. */
#define PACKET_DIAG_TIMEOUT_MS 2000

int
packet_diag_count(int ifindex, int *n_socketsp, int *n_vnet_hdrp)
{
    struct {
        struct nlmsghdr nlh;
        struct packet_diag_req req;
    } request;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    /* A dump's messages come in parts of up to 32 kB; aligned for the
     * headers it holds. */
    enum { BUF_SIZE = 32768 };
    uint64_t *buf = xmalloc(BUF_SIZE);
    int error = 0;

    *n_socketsp = *n_vnet_hdrp = 0;
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        error = errno;
        free(buf);
        return error;
    }

    memset(&request, 0, sizeof request);
    request.nlh.nlmsg_len = sizeof request;
    request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.nlh.nlmsg_seq = 1;
    request.req.sdiag_family = AF_PACKET;
    request.req.pdiag_show = PACKET_SHOW_INFO;
    if (sendto(fd, &request, sizeof request, 0, (struct sockaddr *) &kernel,
               sizeof kernel) < 0) {
        error = errno;
        goto out;
    }

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        int retval = poll(&pfd, 1, PACKET_DIAG_TIMEOUT_MS);
        if (retval < 0 && errno == EINTR) {
            continue;
        } else if (retval <= 0) {
            error = retval < 0 ? errno : ETIMEDOUT;
            goto out;
        }
        ssize_t n = recv(fd, buf, BUF_SIZE, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            error = errno;
            goto out;
        }

        size_t len = n;
        for (struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
             NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
            if (nlh->nlmsg_type == NLMSG_DONE) {
                goto out;
            } else if (nlh->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(nlh);
                error = (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error
                         ? -e->error : EPROTO);
                goto out;
            } else if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY
                       || nlh->nlmsg_len < NLMSG_LENGTH(
                              sizeof(struct packet_diag_msg))) {
                continue;
            }

            /* The attributes follow the message, each 4-byte aligned. */
            const char *attrs = ((const char *) NLMSG_DATA(nlh)
                                 + NLMSG_ALIGN(sizeof(struct packet_diag_msg)));
            size_t left = (nlh->nlmsg_len
                           - NLMSG_LENGTH(NLMSG_ALIGN(
                                              sizeof(struct packet_diag_msg))));
            while (left >= sizeof(struct nlattr)) {
                const struct nlattr *nla = (const struct nlattr *) attrs;
                if (nla->nla_len < sizeof *nla || nla->nla_len > left) {
                    break;
                }
                if (nla->nla_type == PACKET_DIAG_INFO
                    && nla->nla_len >= (NLA_HDRLEN
                                        + sizeof(struct packet_diag_info))) {
                    struct packet_diag_info info;
                    memcpy(&info, attrs + NLA_HDRLEN, sizeof info);
                    if (info.pdi_index == ifindex) {
                        ++*n_socketsp;
                        if (info.pdi_flags & PDI_VNETHDR) {
                            ++*n_vnet_hdrp;
                        }
                    }
                }
                size_t step = NLA_ALIGN(nla->nla_len);
                if (step >= left) {
                    break;
                }
                attrs += step;
                left -= step;
            }
        }
    }

out:
    free(buf);
    close(fd);
    return error;
}
