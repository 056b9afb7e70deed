/*
 * interrupt.c — SIGINT/SIGTERM as a request to stop (see ob_core.h).
 */
#include "harness/core/ob_core.h"

#include <signal.h>
#include <string.h>

/* sig_atomic_t: the only type a handler may write portably. */
static volatile sig_atomic_t caught;
static struct sigaction old_int, old_term;
static int installed;

static void on_signal(int sig)
{
    caught = sig;
}

void ob_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESETHAND: the second signal takes the default action (exit).
     * SA_RESTART: a write or read in progress is not cut short. */
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    caught = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    installed = 1;
}

void ob_interrupt_restore(void)
{
    if (!installed) return;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    installed = 0;
    caught = 0;
}

int ob_interrupted(void)
{
    return caught;
}

const char *ob_interrupt_name(int sig)
{
    if (sig == SIGINT) return "SIGINT";
    if (sig == SIGTERM) return "SIGTERM";
    return "a signal"; /* never installed for others */
}

int ob_interrupt_exit_code(int sig)
{
    return 128 + sig;
}
