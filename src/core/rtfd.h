/* rtfd.h - host fds the runtime keeps for itself (trace file...), out of programs' reach. */
#pragma once
#include <stdbool.h>

void rtfd_register(int fd);
bool rtfd_is(int fd);
