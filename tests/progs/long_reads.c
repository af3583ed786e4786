/* long_reads.c - 1 MiB reads of /dev/zero, /dev/urandom and getrandom, and reads of a file partly cached, come back whole, as natively. */
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
/*
 * A regular file whose first page is cached and the rest not, read in
 * 128 KiB pieces after an F_SETFL (which makes pegasus forget what it
 * knew of every fd: pure-ftpd does one on its data socket before each
 * download). Linux's read returns the whole piece; a read tried with
 * RWF_NOWAIT stops where the cache does (pure-ftpd then sent whole
 * buffers: corrupt downloads).
 */
static int partly_cached_reads(void)
{
	size_t len = 4 << 20, piece = 128 << 10;
	char *b = malloc(piece);
	int fd = open("long_reads.data", O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (size_t off = 0; off < len; off += piece) {
		for (size_t i = 0; i < piece; i++)
			b[i] = (char)((off + i) * 7 + (off + i) / 4093);
		if (write(fd, b, piece) != (ssize_t)piece)
			return -1;
	}
	fsync(fd);
	close(fd);
	int shorts = 0, wrong = 0;
	for (int round = 0; round < 8; round++) {
		fd = open("long_reads.data", O_RDONLY);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		char c;
		for (size_t off = 0; off < len; off += 64 << 10) /* every other 64 KiB cached */
			if (((off >> 16) & 1) == 0 && pread(fd, &c, 1, (off_t)off) != 1)
				return -1;
		int fl = fcntl(0, F_GETFL);
		fcntl(0, F_SETFL, fl); /* any F_SETFL */
		size_t got = 0;
		ssize_t r;
		while ((r = read(fd, b, piece)) > 0) {
			shorts += (size_t)r != piece && got + (size_t)r != len;
			for (ssize_t i = 0; i < r; i++)
				wrong += b[i] != (char)((got + i) * 7 + (got + i) / 4093);
			got += (size_t)r;
		}
		close(fd);
	}
	unlink("long_reads.data");
	free(b);
	printf("partly cached file, 8 x 4 MiB in 128 KiB reads: %d short, %d bytes wrong\n", shorts, wrong);
	return shorts || wrong;
}

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
	return partly_cached_reads() ? 1 : 0;
}
