/* threads.c - what thread synchronisation costs: ping-pong, create+join, yield.
 *
 * Run natively and under `pegasus run --` by bench/run.sh (unpinned, so that
 * natively the two threads of a ping-pong are free to sit on different
 * CPUs, and pegasus gets one vCPU per CPU). The code is the same in both
 * runs; only what a blocked thread costs differs: natively a futex wait is
 * a kernel sleep and the wakeup an IPI to the other CPU; under pegasus a
 * uthread parks on a user-space wait queue and the wakeup is a user-level
 * switch (or a hand-off to the other vCPU, which polls --poll µs before it
 * sleeps in the kernel).
 *
 *   condvar_pingpong    two threads take turns through a pthread mutex, a
 *                       turn variable and two condvars: ns per round trip
 *                       (main -> partner -> main).
 *   futex_pingpong      the same with raw futex(FUTEX_WAIT/FUTEX_WAKE,
 *                       private) on two words, no libc in between.
 *   pipe_pingpong       one byte there and back over two pipes: the
 *                       blocking read path of a file descriptor.
 *   eventfd_pingpong    the same over two eventfds (write 1, read the
 *                       8-byte count): ns per round trip.
 *   thread_create_join  pthread_create + pthread_join of a thread that
 *                       returns at once (glibc reuses the cached stack).
 *   sched_yield         sched_yield() with no other thread of the program
 *                       runnable (the call alone).
 *   sched_yield_pair    sched_yield() while a second thread spins calling
 *                       sched_yield() too: ns per call of the main thread.
 *
 * Partner threads are created in a case's init and stopped in its fini,
 * outside the timed region. The program only reports; it never judges. */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

static pthread_t partner;

static void start_partner(void *(*fn)(void *))
{
	int e = pthread_create(&partner, NULL, fn, NULL);
	if (e) {
		fprintf(stderr, "threads: pthread_create: %s\n", strerror(e));
		exit(2);
	}
}

static void join_partner(void)
{
	int e = pthread_join(partner, NULL);
	if (e) {
		fprintf(stderr, "threads: pthread_join: %s\n", strerror(e));
		exit(2);
	}
}

/* Where the two threads of a ping-pong ran: every 64th turn the partner
 * publishes its CPU (sched_getcpu(): the vDSO, or under pegasus the host
 * CPU of the vCPU running it) and the main thread compares it with its own
 * once the reply is in. fini prints the share on a '#' line: natively an
 * unpinned pair may run on one CPU (~5 us round trips) or on two (~45 us),
 * and the median then depends on which. */
static _Atomic int partner_cpu = -1;
static uint64_t turns, samples, apart;

static inline void partner_turn(uint64_t *k)
{
	if ((++*k & 63) == 0)
		atomic_store_explicit(&partner_cpu, sched_getcpu(), memory_order_relaxed);
}

static inline void main_turn(void)
{
	if ((++turns & 63) == 0) {
		int p = atomic_load_explicit(&partner_cpu, memory_order_relaxed);
		if (p >= 0) {
			samples++;
			apart += p != sched_getcpu();
		}
	}
}

static void placement_reset(void)
{
	atomic_store(&partner_cpu, -1);
	turns = samples = apart = 0;
}

static void placement_report(const char *name)
{
	if (samples)
		printf("# %s: the two threads on different CPUs in %.0f%% of %llu samples\n", name,
		       100.0 * apart / samples, (unsigned long long)samples);
}

/* ---- condvar ping-pong ------------------------------------------------ */

static pthread_mutex_t cv_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_to_partner = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_to_main = PTHREAD_COND_INITIALIZER;
static int cv_turn;   /* 0: main's turn, 1: partner's turn, 2: partner stops */

static void *cv_partner(void *arg)
{
	(void)arg;
	uint64_t k = 0;
	pthread_mutex_lock(&cv_mu);
	for (;;) {
		while (cv_turn == 0)
			pthread_cond_wait(&cv_to_partner, &cv_mu);
		if (cv_turn == 2)
			break;
		partner_turn(&k);
		cv_turn = 0;
		pthread_cond_signal(&cv_to_main);
	}
	pthread_mutex_unlock(&cv_mu);
	return NULL;
}

static void cv_init(void)
{
	cv_turn = 0;
	placement_reset();
	start_partner(cv_partner);
}

static void run_condvar_pingpong(uint64_t n)
{
	pthread_mutex_lock(&cv_mu);
	for (uint64_t i = 0; i < n; i++) {
		cv_turn = 1;
		pthread_cond_signal(&cv_to_partner);
		while (cv_turn != 0)
			pthread_cond_wait(&cv_to_main, &cv_mu);
		main_turn();
	}
	pthread_mutex_unlock(&cv_mu);
}

static void cv_fini(void)
{
	pthread_mutex_lock(&cv_mu);
	cv_turn = 2;
	pthread_cond_signal(&cv_to_partner);
	pthread_mutex_unlock(&cv_mu);
	join_partner();
	placement_report("condvar_pingpong");
}

/* ---- futex ping-pong -------------------------------------------------- */

/* Each word counts the messages sent its way; a side waits while the word
 * still holds the last value it saw, so a wakeup that comes early or twice
 * is harmless. FX_STOP in fx_ping tells the partner to return. */
static _Atomic uint32_t fx_ping, fx_pong;
static uint32_t fx_seq;
#define FX_STOP 0xffffffffu

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static void *fx_partner(void *arg)
{
	(void)arg;
	uint32_t seen = 0;   /* fx_init's value: main may have sent already */
	uint64_t k = 0;
	for (;;) {
		uint32_t v;
		while ((v = atomic_load(&fx_ping)) == seen)
			futex(&fx_ping, FUTEX_WAIT, seen);
		if (v == FX_STOP)
			return NULL;
		seen = v;
		partner_turn(&k);
		atomic_store(&fx_pong, v);
		futex(&fx_pong, FUTEX_WAKE, 1);
	}
}

static void fx_init(void)
{
	fx_seq = 0;
	atomic_store(&fx_ping, 0);
	atomic_store(&fx_pong, 0);
	placement_reset();
	start_partner(fx_partner);
}

static void run_futex_pingpong(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint32_t s = ++fx_seq;
		if (s == FX_STOP)
			s = fx_seq = 1;   /* never send the stop value (after 2^32 trips) */
		atomic_store(&fx_ping, s);
		futex(&fx_ping, FUTEX_WAKE, 1);
		uint32_t v;
		while ((v = atomic_load(&fx_pong)) != s)
			futex(&fx_pong, FUTEX_WAIT, v);
		main_turn();
	}
}

static void fx_fini(void)
{
	atomic_store(&fx_ping, FX_STOP);
	futex(&fx_ping, FUTEX_WAKE, 1);
	join_partner();
	placement_report("futex_pingpong");
}

/* ---- pipe ping-pong --------------------------------------------------- */

static int pp_to_partner[2], pp_to_main[2];

static void xwrite(int fd, char c)
{
	if (write(fd, &c, 1) != 1) {
		perror("threads: pipe write");
		exit(2);
	}
}

static char xread(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1) {
		perror("threads: pipe read");
		exit(2);
	}
	return c;
}

static void *pp_partner(void *arg)
{
	(void)arg;
	uint64_t k = 0;
	while (xread(pp_to_partner[0]) != 'q') {
		partner_turn(&k);
		xwrite(pp_to_main[1], 'p');
	}
	return NULL;
}

static void pp_init(void)
{
	if (pipe(pp_to_partner) || pipe(pp_to_main)) {
		perror("threads: pipe");
		exit(2);
	}
	placement_reset();
	start_partner(pp_partner);
}

static void run_pipe_pingpong(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		xwrite(pp_to_partner[1], 'x');
		xread(pp_to_main[0]);
		main_turn();
	}
}

static void pp_fini(void)
{
	xwrite(pp_to_partner[1], 'q');
	join_partner();
	placement_report("pipe_pingpong");
	close(pp_to_partner[0]);
	close(pp_to_partner[1]);
	close(pp_to_main[0]);
	close(pp_to_main[1]);
}

/* ---- eventfd ping-pong ------------------------------------------------ */

static int ef_to_partner, ef_to_main;

static void ewrite(int fd, uint64_t v)
{
	if (write(fd, &v, 8) != 8) {
		perror("threads: eventfd write");
		exit(2);
	}
}

static uint64_t eread(int fd)
{
	uint64_t v;
	if (read(fd, &v, 8) != 8) {
		perror("threads: eventfd read");
		exit(2);
	}
	return v;
}

static void *ef_partner(void *arg)
{
	(void)arg;
	uint64_t k = 0;
	while (eread(ef_to_partner) == 1) {
		partner_turn(&k);
		ewrite(ef_to_main, 1);
	}
	return NULL;
}

static void ef_init(void)
{
	ef_to_partner = eventfd(0, 0);
	ef_to_main = eventfd(0, 0);
	if (ef_to_partner < 0 || ef_to_main < 0) {
		perror("threads: eventfd");
		exit(2);
	}
	placement_reset();
	start_partner(ef_partner);
}

static void run_eventfd_pingpong(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		ewrite(ef_to_partner, 1);
		eread(ef_to_main);
		main_turn();
	}
}

static void ef_fini(void)
{
	ewrite(ef_to_partner, 2); /* not 1: the partner stops */
	join_partner();
	placement_report("eventfd_pingpong");
	close(ef_to_partner);
	close(ef_to_main);
}

/* ---- thread create + join --------------------------------------------- */

static void *returns_at_once(void *arg)
{
	return arg;
}

static void run_thread_create_join(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		pthread_t t;
		void *r;
		int e = pthread_create(&t, NULL, returns_at_once, NULL);
		if (e) {
			fprintf(stderr, "threads: pthread_create: %s\n", strerror(e));
			exit(2);
		}
		pthread_join(t, &r);
		bench_sink(r);
	}
}

/* ---- sched_yield ------------------------------------------------------ */

static void run_sched_yield(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		sched_yield();
}

static atomic_bool yd_stop;

static void *yd_partner(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&yd_stop, memory_order_relaxed))
		sched_yield();
	return NULL;
}

static void yd_init(void)
{
	atomic_store(&yd_stop, false);
	start_partner(yd_partner);
}

static void yd_fini(void)
{
	atomic_store(&yd_stop, true);
	join_partner();
}

static const struct bench_case cases[] = {
	{ "condvar_pingpong", "round trip between two threads via mutex + turn variable + 2 condvars",
	  run_condvar_pingpong, cv_init, cv_fini },
	{ "futex_pingpong", "round trip between two threads via raw FUTEX_WAIT/FUTEX_WAKE (private) on two words",
	  run_futex_pingpong, fx_init, fx_fini },
	{ "pipe_pingpong", "one byte there and back between two threads over two pipes",
	  run_pipe_pingpong, pp_init, pp_fini },
	{ "eventfd_pingpong", "a count there and back between two threads over two eventfds",
	  run_eventfd_pingpong, ef_init, ef_fini },
	{ "thread_create_join", "pthread_create + pthread_join of a thread that returns at once",
	  run_thread_create_join },
	{ "sched_yield", "sched_yield() with no other thread of the program runnable",
	  run_sched_yield },
	{ "sched_yield_pair", "sched_yield() while a second thread spins on sched_yield() too",
	  run_sched_yield, yd_init, yd_fini },
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
