/* stackmap.h - the runtime's own stacks: anonymous memory with a guard page below, one mapping each where the kernel can. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/*
 * stack_guard_cheap - whether this kernel installs a guard page without
 * splitting the mapping (MADV_GUARD_INSTALL, Linux 6.13). Then a stack
 * and its guard are one mapping, and stacks mapped side by side merge into
 * one: a host fork copies, and its child's exit tears down, one mapping
 * where there were two a stack. Probed once.
 */
bool stack_guard_cheap(void);

/* stack_guard - make the page at lo a guard: it faults on any access. */
void stack_guard(void *lo);

/* stack_map - size bytes of stack above a guard page: its lowest byte, or
 * NULL (errno set). */
void *stack_map(size_t size);
