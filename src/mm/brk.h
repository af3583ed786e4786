/* brk.h - the program break, emulated per program in a reserved range. */
#pragma once
#include <stdint.h>

struct vproc;

/* Reserve the break area right after the image ending at `end`. */
int brk_init(struct vproc *p, uint64_t end);
/* brk(2): the new break, or the unchanged one if the request fails. */
long brk_set(struct vproc *p, uint64_t addr);
