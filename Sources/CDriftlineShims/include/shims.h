#ifndef DRIFTLINE_SHIMS_H
#define DRIFTLINE_SHIMS_H

/// Asks the CPU to start loading `address` into cache (a hint; no effect on results).
static inline void driftline_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
