/* The JSON that "vplug --format=json" prints: one object per command on
 * standard output, and on failure one object on standard error.  The
 * schema is documented in vplug(8).  Live state comes from the JSON of
 * engine_show(), so every command describes topologies the way "show"
 * does.  Each function returns a malloc'd text ending in a new line. */
#ifndef VPLUG_JSON_H
#define VPLUG_JSON_H 1

#include <stdbool.h>
#include "util.h"
#include "openvswitch/dynamic-string.h"
#include "svec.h"

/* "apply" and "link": 'existed' names the namespaces of the topology that
 * existed before the run; 'show_before' (NULL if it was not applied) and
 * 'show_after' are engine_show() JSON for it; 'messages' are the engine's
 * report lines. */
char *vplug_json_apply(const char *name, const struct svec *existed,
                       const char *show_before, const char *show_after,
                       const struct svec *messages);

/* "destroy": 'show_before' is engine_show() JSON of what was applied, or
 * NULL if nothing was. */
char *vplug_json_destroy(const char *name, const char *show_before,
                         const struct svec *messages);

/* "plug": VIF 'ifname' of 'ns' on 'sw', in topology 'name' ('show_after'
 * its engine_show() JSON); 'changed' false if it was plugged already. */
char *vplug_json_plug(const char *ns, const char *ifname, const char *sw,
                      const char *name, bool changed,
                      const char *show_after, const struct svec *messages);

/* "unplug". */
char *vplug_json_unplug(const char *ns, const char *ifname, bool was_plugged,
                        const struct svec *messages);

/* "sandbox start|stop|status": 'status_text' is what sandbox_status()
 * wrote ("sandbox: DIR", "DAEMON: running, pid N" or "DAEMON: not
 * running", "database: REMOTE", one a line). */
char *vplug_json_sandbox(const char *action, const char *status_text);

/* A failure: 'message' about 'object' (NULL: none).  A message of the form
 * "FILE:LINE:COLUMN: text" about file 'file' (nonnull) gives "file", "line"
 * and "column" members and "error" the text alone. */
char *vplug_json_error(const char *message, const char *object,
                       const char *file);

#endif /* vplug-json.h */
