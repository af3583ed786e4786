/* thread_names.c - a thread's name: PR_GET_NAME before any rename, writes to comm, a new thread's inherited name. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_barrier_t started, renamed;

/* show - the calling thread's name by prctl, then /proc/thread-self/comm. */
static void show(const char *tag)
{
	char name[17] = { 0 }, comm[64] = { 0 };
	prctl(PR_GET_NAME, name);
	int fd = open("/proc/thread-self/comm", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
	if (fd >= 0)
		close(fd);
	printf("%s: prctl [%s] comm [%.*s] (%zd bytes)\n", tag, name, n > 0 ? (int)n : 0, comm, n);
}

static long write_to(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	long r = write(fd, s, strlen(s));
	long e = r < 0 ? -errno : r;
	close(fd);
	return e;
}

static void *worker(void *arg)
{
	(void)arg;
	show("worker at start (its creator's name)");
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&renamed);
	show("worker renamed by main");
	return NULL;
}

int main(void)
{
	show("main at start");
	printf("write self/comm \"hello\\n\": %ld\n", write_to("/proc/self/comm", "hello\n"));
	show("main");
	printf("write a long name: %ld\n", write_to("/proc/self/comm", "a-very-long-name-indeed"));
	show("main");
	int fd = open("/proc/thread-self/comm", O_WRONLY);
	struct iovec iov[2] = { { "first", 5 }, { "second", 6 } };
	printf("writev two buffers: %zd\n", writev(fd, iov, 2));
	close(fd);
	show("main");
	prctl(PR_SET_NAME, "main-named");
	pthread_barrier_init(&started, NULL, 2);
	pthread_barrier_init(&renamed, NULL, 2);
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_barrier_wait(&started);
	printf("pthread_setname_np: %d\n", pthread_setname_np(t, "worker1"));
	char got[32] = { 0 };
	printf("pthread_getname_np: %d [%s]\n", pthread_getname_np(t, got, sizeof(got)), got);
	pthread_barrier_wait(&renamed);
	pthread_join(t, NULL);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", getppid());
	printf("write the parent's comm: %ld\n", write_to(path, "x"));
	show("main at end");
	return 0;
}
