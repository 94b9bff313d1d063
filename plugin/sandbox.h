/* Placeholder until the sandbox lands. */
#ifndef SANDBOX_H
#define SANDBOX_H 1
struct ds;
#define SANDBOX_DEFAULT_DIR "/run/vplug/sandbox"
int sandbox_start(const char *dir, char **errp);
int sandbox_stop(const char *dir, char **errp);
int sandbox_status(const char *dir, struct ds *out);
#endif
