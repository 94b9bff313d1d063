/* Progress of long runs on a terminal: the phase and its count, redrawn in
 * place on standard error with \r.  Nothing is drawn when standard error is
 * not a terminal, for runs that are over before they are worth showing, or
 * for runs of a few items. */
#ifndef VPLUG_PROGRESS_H
#define VPLUG_PROGRESS_H 1

#include <stddef.h>

/* The engine_opts 'progress' callback for this process: NULL when standard
 * error is not a terminal. */
void (*vplug_progress_callback(void))(void *aux, const char *phase,
                                      size_t done, size_t total);

/* Erases the progress line, if one was drawn, so that what the command
 * prints next starts on a clean line. */
void vplug_progress_end(void);

#endif /* vplug-progress.h */
