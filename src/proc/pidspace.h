/* pidspace.h - the instance's virtual pid space, shared by its host processes. */
#pragma once
#include <stdbool.h>

/* pidspace_claim - take pid if no program or thread of the instance, in any
 * of its host processes, holds it: true if taken. */
bool pidspace_claim(int pid);
/* pidspace_alloc - the next free pid after the last one given out (wrapping
 * below PID_SPACE_MAX), taken; -EAGAIN when none is free. */
int pidspace_alloc(void);
/* pidspace_free - pid is no longer a program's or a thread's. */
void pidspace_free(int pid);
