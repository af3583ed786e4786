/* fused.c - one small job per argv[1], for checking programs fused into one
 * pegasus instance (`pegasus run -- A ::: B ::: C`). Programs that must meet
 * exchange pids and addresses through files in the current directory,
 * written whole (tmp file + rename) and waited for with bounded polling.
 *
 *   say NAME N             print "NAME i" for i = 1..N, yielding between lines
 *   fd NAME OTHER          open NAME (new), write NAME into it, wait for
 *                          OTHER.written, read the fd back; prints fd and text
 *   chdir DIR FLAG         chdir DIR, create FLAG in the old cwd, print cwd
 *   stay FLAG              wait for FLAG, print whether the cwd is unchanged
 *   pid FILE               write getpid() to FILE, print whether it is > 1 and getppid()'s differs
 *   wait-usr1 PIDFILE      block SIGUSR1, write pid to PIDFILE, sigwait (10 s)
 *   kill PIDFILE           wait for PIDFILE, kill(pid, SIGUSR1)
 *   maps OTHER FLAG        /proc/self/maps has our exe and not OTHER; then FLAG
 *   wait-file FLAG         wait for FLAG (at most 10 s)
 *   mmap-probe ADDR DONE   map a page, write its address to ADDR, wait for
 *                          DONE, check the page is still there and intact
 *   munmap-other ADDR DONE read ADDR, munmap it (0), mprotect it (ENOMEM),
 *                          check our maps lack it, create DONE
 *   show VAR               print $VAR and the basename of the cwd
 *   segv [PIDFILE]         crash (having written getpid() to PIDFILE)
 *   outlive PIDFILE NAME N wait until the program in PIDFILE is gone, then
 *                          say NAME N: alive when it ends, however slow
 *                          its start (a sanitizer build's)
 *   loop                   sleep forever
 *   exit N                 exit N
 *
 * Natively each job also runs on its own (with the partner in another
 * process), so the program is an ordinary Linux program.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Wait for PATH to exist, at most 10 s. */
static int wait_for(const char *path)
{
	for (int i = 0; i < 2000; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		msleep(5);
	}
	fprintf(stderr, "fused: timed out waiting for %s\n", path);
	return -1;
}

static void put_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		perror(path);
		exit(3);
	}
}

static int get_file(const char *path, char *buf, size_t n)
{
	if (wait_for(path) != 0)
		return -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t r = fread(buf, 1, n - 1, f);
	buf[r] = 0;
	fclose(f);
	return 0;
}

static void touch(const char *path) { put_file(path, "1\n"); }

static int maps_has(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strstr(line, needle))
			found = 1;
	fclose(f);
	return found;
}

static int maps_has_addr(uintptr_t a)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi)
			found = 1;
	}
	fclose(f);
	return found;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

#define NEED(n)                                                          \
	do {                                                             \
		if (argc < (n) + 2) {                                    \
			fprintf(stderr, "fused %s: missing arguments\n", \
				argv[1]);                                \
			return 2;                                        \
		}                                                        \
	} while (0)

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: fused JOB ARGS\n");
		return 2;
	}
	const char *job = argv[1];

	if (!strcmp(job, "outlive")) {
		NEED(3);
		char buf[32];
		if (get_file(argv[2], buf, sizeof buf) != 0)
			return 1;
		for (int i = 0; i < 2000 && kill(atoi(buf), 0) == 0; i++)
			msleep(5);
		/* Its end may be reported a moment after kill stops finding it. */
		msleep(100);
		argv += 1; /* outlive PIDFILE NAME N -> say NAME N */
		argc -= 1;
		job = "say";
	}
	if (!strcmp(job, "say")) {
		NEED(2);
		int n = atoi(argv[3]);
		for (int i = 1; i <= n; i++) {
			printf("%s %d\n", argv[2], i);
			if (i % 3 == 0)
				msleep(1);
			else
				sched_yield();
		}
		return 0;
	}
	if (!strcmp(job, "fd")) {
		NEED(2);
		char other[PATH_MAX], buf[256];
		int fd = open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		if (write(fd, argv[2], strlen(argv[2])) != (ssize_t)strlen(argv[2]))
			return 1;
		snprintf(buf, sizeof buf, "%s.written", argv[2]);
		touch(buf);
		snprintf(other, sizeof other, "%s.written", argv[3]);
		if (wait_for(other) != 0)
			return 1;
		ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
		buf[r > 0 ? r : 0] = 0;
		printf("%s: fd %d reads \"%s\"\n", argv[2], fd, buf);
		snprintf(buf, sizeof buf, "%s.done", argv[2]);
		touch(buf);
		snprintf(other, sizeof other, "%s.done", argv[3]);
		return wait_for(other) != 0 || close(fd) != 0;
	}
	if (!strcmp(job, "chdir")) {
		NEED(2);
		char old[PATH_MAX], cwd[PATH_MAX], flag[PATH_MAX + 64];
		if (!getcwd(old, sizeof old) || chdir(argv[2]) != 0)
			return 1;
		snprintf(flag, sizeof flag, "%s/%s", old, argv[3]);
		touch(flag);
		msleep(20);
		if (!getcwd(cwd, sizeof cwd))
			return 1;
		printf("chdir: now in %s (from the start dir: %s)\n", base(cwd),
		       strncmp(cwd, old, strlen(old)) == 0 ? cwd + strlen(old) : cwd);
		return 0;
	}
	if (!strcmp(job, "stay")) {
		NEED(1);
		char start[PATH_MAX], cwd[PATH_MAX], flag[PATH_MAX + 64];
		if (!getcwd(start, sizeof start))
			return 1;
		snprintf(flag, sizeof flag, "%s/%s", start, argv[2]);
		if (wait_for(flag) != 0)
			return 1;
		if (!getcwd(cwd, sizeof cwd))
			return 1;
		printf("stay: cwd %s, relative %s %s\n",
		       strcmp(cwd, start) ? "moved" : "unchanged", argv[2],
		       access(argv[2], F_OK) == 0 ? "found" : "missing");
		return 0;
	}
	if (!strcmp(job, "pid")) {
		NEED(1);
		char buf[32];
		snprintf(buf, sizeof buf, "%d\n", (int)getpid());
		put_file(argv[2], buf);
		/* The first program's pid is the host pid of pegasus (any
		 * number, small after a wrap-around), the others' virtual. */
		printf("pid %s 1, not the parent's: %s\n", getpid() > 1 ? ">" : "<=",
		       getpid() != getppid() ? "yes" : "no");
		return 0;
	}
	if (!strcmp(job, "wait-usr1")) {
		NEED(1);
		sigset_t set;
		siginfo_t si;
		char buf[32];
		struct timespec ts = {10, 0};
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		snprintf(buf, sizeof buf, "%d\n", (int)getpid());
		put_file(argv[2], buf);
		int s = sigtimedwait(&set, &si, &ts);
		if (s < 0) {
			printf("wait-usr1: no signal (%s)\n", strerror(errno));
			return 1;
		}
		printf("wait-usr1: got %s, code %s\n", s == SIGUSR1 ? "SIGUSR1" : "other",
		       si.si_code == SI_USER ? "SI_USER" : "other");
		fprintf(stderr, "wait-usr1: si_pid %d\n", (int)si.si_pid);
		return 0;
	}
	if (!strcmp(job, "kill")) {
		NEED(1);
		char buf[32];
		if (get_file(argv[2], buf, sizeof buf) != 0)
			return 1;
		int r = kill(atoi(buf), SIGUSR1);
		printf("kill: %d%s%s\n", r, r ? " " : "", r ? strerror(errno) : "");
		return r != 0;
	}
	if (!strcmp(job, "maps")) {
		NEED(2);
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n < 0)
			return 1;
		exe[n] = 0;
		printf("maps: own exe %s, %s %s\n", maps_has(exe) == 1 ? "present" : "absent",
		       base(argv[2]), maps_has(argv[2]) == 0 ? "absent" : "present");
		touch(argv[3]);
		return 0;
	}
	if (!strcmp(job, "wait-file")) {
		NEED(1);
		return wait_for(argv[2]) != 0;
	}
	if (!strcmp(job, "mmap-probe")) {
		NEED(2);
		char buf[64];
		volatile unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		for (int i = 0; i < 4096; i++)
			p[i] = (unsigned char)(i * 7);
		snprintf(buf, sizeof buf, "%lx\n", (unsigned long)(uintptr_t)p);
		put_file(argv[2], buf);
		if (wait_for(argv[3]) != 0)
			return 1;
		int ok = 1;
		for (int i = 0; i < 4096; i++)
			if (p[i] != (unsigned char)(i * 7))
				ok = 0;
		p[100] = 1; /* still writable */
		printf("mmap-probe: page %s, %s, in own maps: %s\n", ok ? "intact" : "changed",
		       p[100] == 1 ? "writable" : "not writable",
		       maps_has_addr((uintptr_t)p) == 1 ? "yes" : "no");
		return !ok;
	}
	if (!strcmp(job, "munmap-other")) {
		NEED(2);
		char buf[64];
		if (get_file(argv[2], buf, sizeof buf) != 0)
			return 1;
		void *a = (void *)(uintptr_t)strtoul(buf, NULL, 16);
		int r = munmap(a, 4096);
		printf("munmap-other: munmap %d\n", r);
		errno = 0;
		r = mprotect(a, 4096, PROT_NONE);
		printf("munmap-other: mprotect %d %s\n", r, r ? strerrorname_np(errno) : "");
		printf("munmap-other: in own maps: %s\n", maps_has_addr((uintptr_t)a) == 1 ? "yes" : "no");
		touch(argv[3]);
		return 0;
	}
	if (!strcmp(job, "show")) {
		NEED(1);
		char cwd[PATH_MAX];
		const char *v = getenv(argv[2]);
		if (!getcwd(cwd, sizeof cwd))
			return 1;
		printf("show: %s=%s cwd=%s\n", argv[2], v ? v : "(unset)", base(cwd));
		return 0;
	}
	if (!strcmp(job, "segv")) {
		if (argc > 2) {
			char pid[32];
			snprintf(pid, sizeof pid, "%d\n", (int)getpid());
			put_file(argv[2], pid);
		}
		*(volatile int *)(uintptr_t)8 = 1;
		return 99;
	}
	if (!strcmp(job, "loop")) {
		for (;;)
			msleep(100);
	}
	if (!strcmp(job, "exit")) {
		NEED(1);
		return atoi(argv[2]);
	}
	fprintf(stderr, "fused: unknown job %s\n", job);
	return 2;
}
