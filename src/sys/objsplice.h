/* objsplice.h - sendfile and splice with a user-space object at one end. */
#pragma once

struct uthread;
struct sysent;

/* sendfile (into an object) or splice (either end an object): the bytes
 * go through a runtime buffer, one read and one write per chunk. */
long objsplice(struct uthread *ut, long nr, const struct sysent *e, const long a[6]);
