/* Checks of user-given OVSDB remotes, with OVS's own parsers. */
#include <config.h>
#include "ovsdb/remote.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "jsonrpc.h"
#include "ovsdb-session.h"
#include "socket-util.h"
#include "stream.h"
#include "svec.h"
#include "util.h"
#include "uuid.h"
#include "vplug-util.h"
#include "openvswitch/vlog.h"

/* Returns true if 'host' consists only of digits and dots, so that it can
 * only be meant as an IPv4 address, not as a host name. */
static bool
looks_numeric(const char *host)
{
    return host[strspn(host, "0123456789.")] == '\0';
}

/* Returns true if 'host' is a syntactically valid DNS name, which OVS
 * resolves when it connects. */
static bool
is_host_name(const char *host)
{
    size_t len = strlen(host);
    return len && len < 254
           && host[strspn(host, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")] == '\0'
           && host[0] != '-' && host[0] != '.';
}

/* Checks "HOST[:PORT]" of a tcp: or ssl: remote 'name'. */
static char *
check_inet(const char *name, const char *target)
{
    char *copy = xstrdup(target);
    char *host, *port;
    char *error = NULL;

    inet_parse_host_port_tokens(copy, &host, &port);
    int port_no;
    if (!host || !*host) {
        error = xasprintf("remote '%s' names no host", name);
    } else if (port && (!str_to_int(port, 10, &port_no)
                        || port_no < 1 || port_no > 65535)) {
        error = xasprintf("remote '%s' has port '%s', which is not a number "
                          "from 1 to 65535", name, port);
    } else {
        struct sockaddr_storage ss;
        /* OVS logs what it refuses; the caller reports it instead. */
        struct vlog_module *m = vlog_module_from_name("socket_util");
        enum vlog_level level = m ? vlog_get_level(m, VLF_CONSOLE) : VLL_OFF;
        if (m) {
            vlog_set_levels(m, VLF_CONSOLE, VLL_OFF);
        }
        bool ok = inet_parse_active(target, OVSDB_PORT, &ss, false, NULL);
        if (m) {
            vlog_set_levels(m, VLF_CONSOLE, level);
        }
        if (!ok && (strchr(host, ':') || looks_numeric(host))) {
            error = xasprintf("remote '%s' has host '%s', which is not a "
                              "valid IP address", name, host);
        } else if (!ok && !is_host_name(host)) {
            error = xasprintf("remote '%s' has host '%s', which is neither "
                              "an IP address nor a host name", name, host);
        }
    }
    free(copy);
    return error;
}

/* Checks one remote 'name'. */
static char *
check_one(const char *name)
{
    if (stream_verify_name(name)) {
        return xasprintf("remote '%s' is not an OVSDB connection: it must "
                         "be unix:PATH, tcp:HOST[:PORT] or ssl:HOST[:PORT]",
                         name);
    }
    if (str_startswith(name, "unix:")) {
        return (name[5]
                ? NULL
                : xasprintf("remote '%s' names no socket file", name));
    } else if (str_startswith(name, "tcp:") || str_startswith(name, "ssl:")) {
        return check_inet(name, name + 4);
    }
    return NULL;
}

char *
remote_check(const char *remotes)
{
    struct svec list = SVEC_EMPTY_INITIALIZER;
    struct uuid cid;
    char *error = NULL;

    ovsdb_session_parse_remote(remotes, &list, &cid);
    if (!list.n) {
        error = xasprintf("remote '%s' names no connection", remotes);
    }
    for (size_t i = 0; i < list.n && !error; i++) {
        error = check_one(list.names[i]);
    }
    svec_destroy(&list);
    return error;
}
