/* ticker.c - a thread writes a byte to fd argv[1] every 10 ms while the main thread sleeps (stops.py). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *tick(void *arg)
{
	int fd = (int)(long)arg;
	for (;;) {
		if (write(fd, ".", 1) < 0)
			return NULL;
		usleep(10000);
	}
}

int main(int argc, char **argv)
{
	pthread_t t;
	if (argc < 2 || pthread_create(&t, NULL, tick, (void *)(long)atoi(argv[1])))
		return 2;
	sleep(30);
	return 0;
}
