/* A fork while two threads stream records through a pipe or a UNIX stream
 * socketpair: no record may be lost or reordered.
 *
 *   fork_stream pipe|socket [ROUNDS]
 *
 * Each round a writer thread sends 20,000 numbered 16-byte records, a
 * reader thread checks them in order, and the main thread forks once in
 * the middle (the child exits at once). Under pegasus the fork moves the
 * in-memory pipe or socket into the kernel: bytes a writer put into the
 * ring while it was being drained were lost (the reader then saw a gap).
 * Prints "ok" and exits 0, or says where the stream broke and exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RECORDS 20000

static int fds[2];
static atomic_int started;

static void *writer(void *arg)
{
    (void)arg;
    atomic_store(&started, 1);
    for (unsigned i = 0; i < RECORDS; i++) {
        unsigned rec[4] = { i, i, i, i };
        if (write(fds[1], rec, sizeof rec) != sizeof rec) {
            perror("write");
            exit(3);
        }
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    unsigned rec[4], want = 0;
    size_t have = 0;
    while (want < RECORDS) {
        struct pollfd p = { fds[0], POLLIN, 0 };
        if (poll(&p, 1, 5000) == 0) {
            printf("stuck at record %u of %d\n", want, RECORDS);
            exit(1);
        }
        ssize_t n = read(fds[0], (char *)rec + have, sizeof rec - have);
        if (n < 0 && errno == EAGAIN)
            continue;
        if (n <= 0) {
            perror("read");
            exit(2);
        }
        have += (size_t)n;
        if (have == sizeof rec) {
            if (rec[0] != want || rec[3] != want) {
                printf("record %u came where %u was due\n", rec[0], want);
                exit(1);
            }
            want++;
            have = 0;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "pipe") && strcmp(argv[1], "socket"))) {
        fprintf(stderr, "usage: fork_stream pipe|socket [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 20;
    for (int it = 0; it < rounds; it++) {
        int r = strcmp(argv[1], "pipe") ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds) : pipe(fds);
        if (r) {
            perror(argv[1]);
            return 2;
        }
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        pthread_t w, rd;
        atomic_store(&started, 0);
        pthread_create(&rd, NULL, reader, NULL);
        pthread_create(&w, NULL, writer, NULL);
        while (!atomic_load(&started))
            ;
        /* A different point of the stream each round. */
        for (volatile int s = 0; s < (it * 997) % 20000; s++)
            ;
        pid_t c = fork();
        if (c == 0)
            _exit(0);
        waitpid(c, NULL, 0);
        pthread_join(w, NULL);
        pthread_join(rd, NULL);
        close(fds[0]);
        close(fds[1]);
    }
    printf("ok\n");
    return 0;
}
