/* The rehearsal of an OVN lab on one machine ("--sandbox[=DIR]" with a
 * topology that has chassis): a private OVN central in DIR (the NB and SB
 * ovsdb-servers on OVN's own socket names DIR/ovnnb_db.sock and
 * DIR/ovnsb_db.sock, and ovn-northd), and each chassis of the topology as a
 * network namespace of its name that runs its own ovsdb-server,
 * ovs-vswitchd (userspace datapath) and ovn-controller, the chassis joined
 * by an underlay.
 *
 * Layout of DIR: ovnnb_db.{db,sock,pid,ctl,log}, ovnsb_db.*, ovn-northd.*,
 * and chassis/NAME/ per chassis: conf.db, db.sock, the three daemons'
 * pidfiles, control sockets and logs, "encap-ip" (its underlay address)
 * and "netns" (present if the rehearsal created the namespace).
 *
 * The underlay: a Linux bridge "vplug-ul" in the namespace vplug runs in,
 * and per chassis a veth from that bridge to "ul0" in the chassis's
 * namespace.  "ul0" is a port of the chassis's OVS bridge br-phy, whose
 * internal interface (created by that chassis's ovs-vswitchd, inside the
 * chassis's namespace) carries the chassis's encap IP: userspace tunnels
 * resolve their neighbours only through an OVS bridge.  Every underlay
 * interface has MTU 1600, which covers Geneve's 58 bytes over a 1500-byte
 * VM MTU.
 *
 * Errors: 0 or a positive errno, and on failure a malloc'd sentence in
 * '*errp' naming the daemon or object and the cause. */
#ifndef SANDBOX_OVN_H
#define SANDBOX_OVN_H 1

#include <stdbool.h>

struct ds;
struct topology;

/* The underlay MTU: a 1500-byte VM MTU plus Geneve's 58 bytes, rounded
 * up. */
#define SANDBOX_OVN_UNDERLAY_MTU 1600

/* Starts whatever is not running of the central in 'dir' (NULL: the
 * default sandbox directory) and of a chassis for each of 'topo''s chassis,
 * and returns once every daemon runs and every chassis's OVS carries its
 * OVN settings.  Idempotent.  A namespace named after a chassis that exists
 * and is not this rehearsal's is a conflict (EEXIST). */
int sandbox_ovn_start(const char *dir, const struct topology *topo,
                      char **errp);

/* Stops every chassis of the rehearsal in 'dir' (its daemons by pid,
 * then the namespace it created and its underlay veth), then the central,
 * and removes the underlay bridge.  Stopping a stopped rehearsal
 * succeeds. */
int sandbox_ovn_stop(const char *dir, char **errp);

/* Describes the rehearsal in 'dir' into 'out': the central's daemons and
 * each chassis's with their pids, namespaces, encap IPs and sockets.
 * Returns 0 if everything runs, ESRCH if something does not, ENOENT if
 * 'dir' holds no OVN rehearsal. */
int sandbox_ovn_status(const char *dir, struct ds *out);

/* Returns true if 'dir' holds an OVN rehearsal (running or not). */
bool sandbox_ovn_exists(const char *dir);

/* Remotes of the rehearsal in 'dir' (caller frees): "unix:DIR/ovnnb_db.sock",
 * "unix:DIR/ovnsb_db.sock", and chassis 'name''s Open_vSwitch database. */
char *sandbox_ovn_nb_remote(const char *dir);
char *sandbox_ovn_sb_remote(const char *dir);
char *sandbox_ovn_chassis_remote(const char *dir, const char *name);

/* Returns the encap IP of chassis 'name' of the rehearsal in 'dir', or
 * NULL if it has none yet (caller frees). */
char *sandbox_ovn_chassis_encap_ip(const char *dir, const char *name);

/* Returns true if chassis 'name''s ovn-controller runs. */
bool sandbox_ovn_controller_runs(const char *dir, const char *name);

#endif /* sandbox-ovn.h */
