/* rtfd.c - host fds the runtime keeps for itself (trace file...), out of programs' reach. */
#include "core/rtfd.h"

#include "core/log.h"

#define RTFD_MAX 1024

static int rtfds[RTFD_MAX];
static int nrtfds;

void rtfd_register(int fd)
{
	PG_ASSERT(nrtfds < RTFD_MAX);
	rtfds[nrtfds++] = fd;
}

bool rtfd_is(int fd)
{
	for (int i = 0; i < nrtfds; i++)
		if (rtfds[i] == fd)
			return true;
	return false;
}
