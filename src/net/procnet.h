/* procnet.h - /proc/net/{tcp,tcp6,udp,udp6,unix} with the instance's local sockets in them. */
#pragma once
#include <stddef.h>

struct nsock;

/* Every socket object is listed from creation to release. */
void procnet_add(struct nsock *s);
void procnet_remove(struct nsock *s);

/* The content of /proc/net/NAME (tcp, tcp6, udp, udp6, unix), malloc'd,
 * length in *len; NULL for another name or when it cannot be made. */
char *procnet_file(const char *name, size_t *len);
