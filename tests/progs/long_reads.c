/* long_reads.c - 1 MiB reads of /dev/zero and /dev/urandom and 1 MiB getrandoms come back whole, as natively. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

/*
 * These stop between pages for any pending signal. Under pegasus a host
 * signal of the runtime's (the slice tick) may be pending on the thread
 * that makes the call; the program must not see it: with no signal of its
 * own, each call returns the whole count (dd's "partial read" otherwise).
 */
int main(void)
{
	size_t n = 1 << 20;
	char *b = malloc(n);
	int zero = open("/dev/zero", O_RDONLY), urandom = open("/dev/urandom", O_RDONLY);
	if (!b || zero < 0 || urandom < 0)
		return 1;
	int shorts[3] = { 0, 0, 0 };
	for (int i = 0; i < 300; i++) {
		shorts[0] += read(zero, b, n) != (ssize_t)n;
		if (i % 3 == 0) {
			shorts[1] += read(urandom, b, n) != (ssize_t)n;
			shorts[2] += getrandom(b, n, 0) != (ssize_t)n;
		}
	}
	printf("short reads: /dev/zero %d, /dev/urandom %d, getrandom %d\n", shorts[0], shorts[1], shorts[2]);
	return 0;
}
