/*
 * isolate.c — crash isolation for plugin kernels: the body runs in a
 * forked child that shares one anonymous page (plus the result) with the
 * parent.  The child's plugin steps publish their step index there
 * (ob_plugin_step_slot), and a SIGSEGV/SIGBUS handler on an alternate
 * stack decodes a fault inside a guarded buffer into array and index
 * before the default action ends the child.  The parent reads what the
 * child left and reports "SIGSEGV at step 5"; nothing the child does can
 * take the parent down.
 */
#include "harness/plugin/ob_plugin.h"
#include "harness/plugin/plugin_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

typedef struct channel {
    volatile uint64_t step;
    volatile int done;       /* the body returned */
    volatile int rc;         /* its return value */
    volatile int have_fault; /* fault[] holds a decoded address */
    char fault[256];
    char err[512];
    /* the result follows, 64-byte aligned */
} channel;

#define RESULT_OFFSET ((sizeof(channel) + 63) / 64 * 64)

static channel *child_chan; /* in the child only */

/* Whether the faulting access was a write: the x86 page-fault error code
 * (bit 1) that Linux passes in the signal context.  Elsewhere unknown. */
static const char *fault_kind(void *uctx)
{
#if defined(__x86_64__) && defined(REG_ERR)
    const ucontext_t *uc = uctx;
    return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? "out-of-bounds write" : "out-of-bounds read";
#else
    (void)uctx;
    return "out-of-bounds access";
#endif
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
    const uintptr_t a = (uintptr_t)si->si_addr;
    const ob_plugin_region *r = ob_plugin_cur_regions;
    for (size_t i = 0; child_chan && r && i < ob_plugin_cur_nregions; i++) {
        if (r[i].hi == 0 || a < r[i].lo || a >= r[i].hi) continue;
        ob_plugin_format_oob(child_chan->fault, sizeof child_chan->fault, fault_kind(uctx), r[i].name,
                             (long long)(a - r[i].data), r[i].n);
        child_chan->have_fault = 1;
        break;
    }
    /* SA_RESETHAND restored the default action: a real fault re-executes
     * the access and ends the child with sig; a sent signal is re-raised. */
    if (si->si_code <= 0) raise(sig);
}

static void child_setup(channel *ch, unsigned timeout_s)
{
    child_chan = ch;
    ob_plugin_step_slot = &ch->step;
    /* A stack overflow in the kernel must still reach the handler. */
    static char altstack[1 << 16];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    /* The rest at their defaults, whatever the caller installed (a test
     * runner's handlers, optbench's SIGINT handling): they end the child. */
    const int dfl[] = {SIGILL, SIGFPE, SIGABRT, SIGALRM, SIGTRAP, SIGSYS};
    sigset_t unblock;
    sigemptyset(&unblock);
    for (size_t i = 0; i < sizeof dfl / sizeof dfl[0]; i++) {
        signal(dfl[i], SIG_DFL);
        sigaddset(&unblock, dfl[i]);
    }
    sigaddset(&unblock, SIGSEGV);
    sigaddset(&unblock, SIGBUS);
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);
    if (timeout_s) alarm(timeout_s);
}

static void signal_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev) snprintf(buf, len, "SIG%s", abbrev);
    else snprintf(buf, len, "signal %d", sig);
}

static void report(const channel *ch, int status, unsigned timeout_s, ob_plugin_outcome *out)
{
    out->step = ch->step;
    char when[64];
    if (ch->step) snprintf(when, sizeof when, "at step %llu", (unsigned long long)ch->step);
    else snprintf(when, sizeof when, "before the first step");
    if (WIFSIGNALED(status)) {
        char name[32];
        out->verdict = OB_PLUGIN_CRASHED;
        out->signal = WTERMSIG(status);
        signal_name(out->signal, name, sizeof name);
        if (out->signal == SIGALRM && timeout_s)
            snprintf(out->message, sizeof out->message, "timed out after %u s (%s) %s", timeout_s, name,
                     when);
        else
            snprintf(out->message, sizeof out->message, "%s %s%s%s", name, when, ch->have_fault ? ": " : "",
                     ch->have_fault ? ch->fault : "");
    } else if (!ch->done) {
        out->verdict = OB_PLUGIN_CRASHED;
        snprintf(out->message, sizeof out->message, "exited with status %d %s", WEXITSTATUS(status), when);
    } else if (ch->rc != 0) {
        out->verdict = OB_PLUGIN_FAILED;
        snprintf(out->message, sizeof out->message, "%s", ch->err[0] ? ch->err : "failed");
    } else {
        out->verdict = OB_PLUGIN_RAN_OK;
    }
}

int ob_plugin_isolate(ob_plugin_body_fn body, void *arg, void *result, size_t result_len, unsigned timeout_s,
                      ob_plugin_outcome *out)
{
    memset(out, 0, sizeof *out);
    const size_t len = RESULT_OFFSET + result_len;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        out->verdict = OB_PLUGIN_NO_CHILD;
        snprintf(out->message, sizeof out->message, "cannot map the shared page: %s", strerror(errno));
        return out->verdict;
    }
    channel *ch = m;
    unsigned char *res = (unsigned char *)m + RESULT_OFFSET;
    /* What stdio holds now would otherwise be written twice. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        out->verdict = OB_PLUGIN_NO_CHILD;
        snprintf(out->message, sizeof out->message, "fork failed: %s", strerror(errno));
        munmap(m, len);
        return out->verdict;
    }
    if (pid == 0) {
        child_setup(ch, timeout_s);
        int rc = body(arg, result_len ? res : NULL, result_len, ch->err, sizeof ch->err);
        ch->rc = rc;
        ch->done = 1;
        fflush(NULL);
        _exit(rc ? 1 : 0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    report(ch, status, timeout_s, out);
    if (ch->done && result_len && result) memcpy(result, res, result_len);
    munmap(m, len);
    return out->verdict;
}
