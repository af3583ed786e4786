/* waitport.c - wait until TCP ports accept connections, then exec a program.
 *
 *   waitport [-t SECONDS] [HOST:]PORT[,[HOST:]PORT...] PROGRAM [ARGS...]
 *
 * Tries connect() to each port (HOST defaults to 127.0.0.1) every 20 ms
 * until all of them accept, for at most SECONDS (default 10), then
 * execvp()s PROGRAM in place. A client fused with its server by
 * `pegasus run -- SERVER ::: waitport PORT CLIENT...` starts at the same
 * moment as the server; this makes it wait for the listener without a
 * shell, whose own work would count in the figures. Exit status:
 * 3 if a port never answered (one line on stderr), 127 if PROGRAM could
 * not be executed, otherwise PROGRAM's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: waitport [-t SECONDS] [HOST:]PORT[,[HOST:]PORT...] PROGRAM [ARGS...]\n");
	return 2;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One connect() to ADDR ("host:port" or "port"); 0 when it was accepted. */
static int try_connect(const char *addr)
{
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(addr, ':');
	const char *port = addr;
	if (colon) {
		size_t n = (size_t)(colon - addr);
		if (n == 0 || n >= sizeof(host))
			return -1;
		memcpy(host, addr, n);
		host[n] = 0;
		port = colon + 1;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	double limit = 10;
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "-t")) {
		limit = atof(argv[i + 1]);
		i += 2;
	}
	if (argc - i < 2)
		return usage();
	char *ports = argv[i++];
	double end = now() + limit;
	char *save = NULL;
	for (char *p = strtok_r(ports, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		while (try_connect(p) != 0) {
			if (now() > end) {
				fprintf(stderr, "waitport: %s: nothing accepted connections within %.0f s (%s)\n",
					p, limit, strerror(errno));
				return 3;
			}
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "waitport: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
