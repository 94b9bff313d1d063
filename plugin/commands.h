/* The names that vplug's commands take from a user, checked before any of
 * them becomes a path (STATE_DIR/NAME.json, /run/netns/NS): one check for
 * the CLI's arguments and for the requests on vplugd's control socket,
 * with the rules the topology file's names follow (topology_check_name()).
 */
#ifndef COMMANDS_H
#define COMMANDS_H 1

#include "util.h"

/* Checks the arguments 'argv' ('argc' of them, not counting the command
 * name) of command 'command' ("destroy", "show", "verify", "unplug",
 * "plug", with or without vplugd's "vplug/" prefix), and the options of
 * "status" (--format=text or --format=json).  Returns NULL if they are
 * valid, otherwise a message naming the bad argument and the cause (caller
 * frees).  Other commands' arguments are not names: NULL. */
char *commands_check_args(const char *command, int argc,
                          const char *const argv[]) OVS_WARN_UNUSED_RESULT;

#endif /* commands.h */
