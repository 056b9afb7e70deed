/*
 * ob_interrupt.h — stopping a long command cleanly on SIGINT or SIGTERM.
 *
 * A command that writes results (`run`; `bench`, `sweep` and `ci` can do
 * the same) installs the handlers for its duration.  The handler only
 * records the signal: the command checks ob_interrupted() between steps
 * and between cases, saves what has finished (marked as interrupted),
 * says what it saved and exits with 128 + the signal number (130 for
 * SIGINT, 143 for SIGTERM).  The handler is one-shot: a second Ctrl-C
 * kills at once, which is safe because every file is written atomically.
 */
#ifndef OB_INTERRUPT_H
#define OB_INTERRUPT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Installs the SIGINT and SIGTERM handlers and clears the flag; the
 * previous dispositions are kept for ob_interrupt_restore.  Not nested. */
void ob_interrupt_install(void);
/* Puts the previous dispositions back and clears the flag. */
void ob_interrupt_restore(void);
/* The signal caught since ob_interrupt_install (SIGINT or SIGTERM), or 0.
 * Async-signal-safe to read; always 0 when no handler is installed. */
int ob_interrupted(void);
/* "SIGINT", "SIGTERM" (or "a signal"). */
const char *ob_interrupt_name(int sig);
/* The exit code for a command stopped by sig: 128 + sig (the shell's). */
int ob_interrupt_exit_code(int sig);

#ifdef __cplusplus
}
#endif
#endif
