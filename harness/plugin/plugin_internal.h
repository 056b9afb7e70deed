/*
 * plugin_internal.h — what the guarded steps (case.c) and the crash
 * isolation (isolate.c) share inside harness/plugin/: the step a child is
 * in and the guarded regions, so that the child's fault handler can name
 * the step and decode a fault address into array and index.
 */
#ifndef OB_PLUGIN_INTERNAL_H
#define OB_PLUGIN_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* One guarded array: the whole mapping [lo, hi) (guard pages included) and
 * where the data starts. */
typedef struct ob_plugin_region {
    const char *name; /* "p", "g", or the optimizer's state name */
    uintptr_t lo, hi;
    uintptr_t data;
    size_t n;
} ob_plugin_region;

/* Where the step in progress is published: a private variable, or in an
 * isolated child the page it shares with its parent.  The guarded regions
 * are published the same way for the child's fault handler (plain stores
 * before the kernel call; the handler runs on the same thread). */
extern volatile uint64_t *volatile ob_plugin_step_slot;
extern const ob_plugin_region *volatile ob_plugin_cur_regions;
extern volatile size_t ob_plugin_cur_nregions;

/* "out-of-bounds write at p[n+3] (n = 17)" for byte offset off from the
 * data (negative: before it), or "... at g[-1] ...".  Async-signal-safe
 * (no stdio): the fault handler uses it too. */
void ob_plugin_format_oob(char *buf, size_t len, const char *what, const char *name, long long off, size_t n);

#endif
