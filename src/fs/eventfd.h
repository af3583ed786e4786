/* eventfd.h - eventfd(2) as a user-space file object. */
#pragma once
#include <stdint.h>

struct vfile;

/* eventfd_new - a counter starting at initval; flags: EFD_SEMAPHORE,
 * EFD_NONBLOCK (EFD_CLOEXEC is the fd's). The object, or NULL (ENOMEM). */
struct vfile *eventfd_new(uint64_t initval, int flags);
