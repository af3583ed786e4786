/* Signals and threads.
 *
 *   thread_signals [SECTION...]   (default: all, in order)
 *
 * condwait   pthread_kill to a thread blocked in pthread_cond_wait: the
 *            handler runs in that thread, the wait goes on (or wakes
 *            spuriously) and returns once signalled
 * futexwait  a raw FUTEX_WAIT interrupted by a handler: EINTR without
 *            SA_RESTART; with SA_RESTART the wait goes on
 * eintr      nanosleep/clock_nanosleep/sleep/pause/read in a thread,
 *            interrupted by a handler without SA_RESTART
 * restart    read() of a pipe in a thread with an SA_RESTART handler: the
 *            signals run the handler, the read goes on and gets the data
 * sigwait    a dedicated thread takes process- and thread-directed signals
 *            with sigwait/sigwaitinfo; queued RT signals keep their values
 * alarm      alarm() and setitimer(ITIMER_REAL) deliver SIGALRM
 * vtalarm    setitimer(ITIMER_VIRTUAL) and ITIMER_PROF while spinning
 * timer      timer_create: SIGEV_SIGNAL (value, SI_TIMER, periodic),
 *            SIGEV_THREAD_ID (the handler runs in the chosen thread),
 *            SIGEV_THREAD
 * timedwait  sigtimedwait timeouts (zero, 50 ms), a pending one, and one
 *            sent by another thread while waiting
 * overrun    a periodic timer whose signal stays blocked has one signal
 *            queued, whatever the expirations; they are its overrun
 * rearm      a periodic timer with its signal waiting: timer_gettime counts
 *            down to the next period; setting, disarming or deleting the
 *            timer drops the waiting signal (Linux 6.13 and later)
 * ignore     periodic timers whose waiting signal is discarded by SIG_IGN
 *            go on signalling once it is handled again
 * shared     16 fast timers on one standard signal, then each alone: all
 *            still fire (a lost siginfo must not silence its timer)
 * limits     an interval past what the kernel keeps (it saturates), bad
 *            arguments and ids, a SIGEV_THREAD_ID timer whose thread is
 *            gone, a CPU-time timer while spinning
 * stdtimers  timer signals on a standard signo are queued each on its own:
 *            two timers on SIGALRM, a kill plus a timer, a one-shot set
 *            again while its signal waits; SIG_IGN drops them all; with
 *            one thread busy in the handler, another takes the second
 * reuse      a deleted timer's waiting signal never comes back as the
 *            signal of a timer made later (the 65536th)
 *
 * Signals are re-sent where a race could otherwise lose one (a signal that
 * arrives just before a blocking call). Only results are printed; a timed
 * wait that times out must not return before its time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *ename(int e) { return e ? strerrorname_np(e) : "0"; }

static void block(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(how, &s, NULL);
}

static atomic_int hits;
static atomic_int hit_tid;
static void on_sig(int sig)
{
    (void)sig;
    atomic_store(&hit_tid, gettid());
    atomic_fetch_add(&hits, 1);
}

/* Wait (bounded) until *flag becomes nonzero, sending sig to t every 10 ms. */
static int nag_until(pthread_t t, int sig, atomic_int *flag)
{
    for (int i = 0; i < 1000 && !atomic_load(flag); i++) {
        pthread_kill(t, sig);
        msleep(10);
    }
    return atomic_load(flag);
}

static void wait_hits(int n)
{
    for (int i = 0; i < 2000 && atomic_load(&hits) < n; i++)
        msleep(1);
}

/* ---- condwait ------------------------------------------------------------------ */

static pthread_mutex_t cw_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cw_c = PTHREAD_COND_INITIALIZER;
static int cw_waiting, cw_go;
static atomic_int cw_tid;
static void *cw_thread(void *arg)
{
    (void)arg;
    atomic_store(&cw_tid, gettid());
    pthread_mutex_lock(&cw_m);
    cw_waiting = 1;
    while (!cw_go)
        pthread_cond_wait(&cw_c, &cw_m);
    pthread_mutex_unlock(&cw_m);
    return (void *)1L;
}

static void sec_condwait(void)
{
    say("== condwait");
    on_signal(SIGUSR1, on_sig, 0);
    atomic_store(&hits, 0);
    pthread_t t;
    pthread_create(&t, NULL, cw_thread, NULL);
    for (;;) { /* once we hold the mutex with cw_waiting set, it is in cond_wait */
        pthread_mutex_lock(&cw_m);
        if (cw_waiting)
            break;
        pthread_mutex_unlock(&cw_m);
        msleep(1);
    }
    pthread_mutex_unlock(&cw_m);
    for (int i = 0; i < 3; i++) {
        pthread_kill(t, SIGUSR1);
        wait_hits(i + 1);
    }
    say("3 signals to a thread in cond_wait: handler ran %d times, in that thread: %s", hits,
        hit_tid == cw_tid ? "yes" : "no");
    pthread_mutex_lock(&cw_m);
    cw_go = 1;
    pthread_cond_signal(&cw_c);
    pthread_mutex_unlock(&cw_m);
    void *r;
    pthread_join(t, &r);
    say("the wait then returned normally: %s", r == (void *)1L ? "yes" : "no");
}

/* ---- futexwait ------------------------------------------------------------------- */

static atomic_int fw_word, fw_done, fw_result;
static void *fw_thread(void *arg)
{
    (void)arg;
    long r = syscall(SYS_futex, &fw_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    atomic_store(&fw_result, r == 0 ? 0 : errno);
    atomic_store(&fw_done, 1);
    return NULL;
}

static void sec_futexwait(void)
{
    say("== futexwait");
    pthread_t t;

    /* without SA_RESTART: EINTR */
    on_signal(SIGUSR1, on_sig, 0);
    atomic_store(&fw_word, 0);
    atomic_store(&fw_done, 0);
    pthread_create(&t, NULL, fw_thread, NULL);
    int done = nag_until(t, SIGUSR1, &fw_done);
    pthread_join(t, NULL);
    say("FUTEX_WAIT, handler without SA_RESTART: returned: %s, error %s", done ? "yes" : "no",
        ename(fw_result));

    /* with SA_RESTART: the wait goes on after the handlers */
    on_signal(SIGUSR1, on_sig, SA_RESTART);
    atomic_store(&hits, 0);
    atomic_store(&fw_done, 0);
    pthread_create(&t, NULL, fw_thread, NULL);
    msleep(20);
    for (int i = 0; i < 5 && !atomic_load(&fw_done); i++) {
        pthread_kill(t, SIGUSR1);
        wait_hits(i + 1);
        msleep(2);
    }
    int early = atomic_load(&fw_done);
    atomic_store(&fw_word, 1);
    syscall(SYS_futex, &fw_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t, NULL);
    int r = atomic_load(&fw_result);
    say("FUTEX_WAIT, SA_RESTART handler ran %d times; returned before the wake: %s; then: %s", hits,
        early ? "yes" : "no", r == 0 || r == EAGAIN ? "0 or EAGAIN" : ename(r));
}

/* ---- eintr ------------------------------------------------------------------------- */

static atomic_int e_done;
static atomic_long e_res;
static int e_pipe[2];
static void *e_thread(void *arg)
{
    long what = (long)arg, r = 0;
    struct timespec ts = { 10, 0 }, rem = { 0, 0 };
    char b;
    errno = 0;
    switch (what) {
    case 0:
        r = nanosleep(&ts, &rem);
        r = r ? errno : 0;
        if (r == EINTR && !(rem.tv_sec < 10 && (rem.tv_sec > 0 || rem.tv_nsec > 0)))
            r = -1; /* the remaining time must be in (0, 10 s) */
        break;
    case 1:
        r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
        break;
    case 2: {
        struct timespec abs;
        clock_gettime(CLOCK_MONOTONIC, &abs);
        abs.tv_sec += 10;
        r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
        break;
    }
    case 3: {
        unsigned left = sleep(10);
        r = left > 0 && left <= 10 ? EINTR : -2;
        break;
    }
    case 4:
        r = pause();
        r = r ? errno : 0;
        break;
    case 5:
        r = read(e_pipe[0], &b, 1);
        r = r < 0 ? errno : 0;
        break;
    case 6: {
        sigset_t none;
        sigemptyset(&none);
        r = sigsuspend(&none);
        r = r ? errno : 0;
        break;
    }
    }
    atomic_store(&e_res, r);
    atomic_store(&e_done, 1);
    return NULL;
}

static void sec_eintr(void)
{
    say("== eintr");
    static const char *what[] = { "nanosleep (rem set)", "clock_nanosleep relative",
                                  "clock_nanosleep TIMER_ABSTIME", "sleep (returns the rest)",
                                  "pause", "read of an empty pipe", "sigsuspend" };
    on_signal(SIGUSR2, on_sig, 0);
    pipe(e_pipe);
    for (long i = 0; i < 7; i++) {
        atomic_store(&e_done, 0);
        pthread_t t;
        pthread_create(&t, NULL, e_thread, (void *)i);
        msleep(5);
        int done = nag_until(t, SIGUSR2, &e_done);
        pthread_join(t, NULL);
        long r = e_res;
        say("%s: %s", what[i], !done ? "did not return" : r > 0 ? ename((int)r) : r == 0 ? "0" : "bad");
    }
}

/* ---- restart ------------------------------------------------------------------------ */

static int r_pipe[2];
static atomic_int r_started;
static void *r_thread(void *arg)
{
    (void)arg;
    char b[8] = { 0 };
    atomic_store(&r_started, 1);
    long n = read(r_pipe[0], b, sizeof b);
    return (void *)(n == 1 && b[0] == 'x' ? 1L : n < 0 ? -(long)errno : 0L);
}
static void *r_thread_wait(void *arg)
{
    (void)arg;
    char b[8] = { 0 };
    atomic_store(&r_started, 1);
    /* a kernel-side wait restarted with a timeout recomputed: poll */
    long n = read(r_pipe[0], b, sizeof b);
    long m = read(r_pipe[0], b + 1, sizeof b - 1);
    return (void *)(n == 1 && m == 1 && b[0] == 'y' && b[1] == 'z' ? 1L : 0L);
}

static void sec_restart(void)
{
    say("== restart");
    on_signal(SIGUSR1, on_sig, SA_RESTART);
    pipe(r_pipe);
    atomic_store(&hits, 0);
    atomic_store(&r_started, 0);
    pthread_t t;
    pthread_create(&t, NULL, r_thread, NULL);
    while (!atomic_load(&r_started))
        msleep(1);
    msleep(10);
    for (int i = 0; i < 4; i++) {
        pthread_kill(t, SIGUSR1);
        wait_hits(i + 1);
        msleep(2);
    }
    write(r_pipe[1], "x", 1);
    void *r;
    pthread_join(t, &r);
    say("read in a thread, 4 SA_RESTART signals (handler ran %d), then data: read %s", hits,
        r == (void *)1L ? "got it" : "failed");

    atomic_store(&hits, 0);
    atomic_store(&r_started, 0);
    pthread_create(&t, NULL, r_thread_wait, NULL);
    while (!atomic_load(&r_started))
        msleep(1);
    msleep(10);
    pthread_kill(t, SIGUSR1);
    wait_hits(1);
    write(r_pipe[1], "y", 1);
    msleep(10);
    pthread_kill(t, SIGUSR1);
    wait_hits(2);
    msleep(5);
    write(r_pipe[1], "z", 1);
    pthread_join(t, &r);
    say("two reads, a signal before each datum: %s", r == (void *)1L ? "both got theirs" : "failed");
}

/* ---- sigwait ------------------------------------------------------------------------- */

static sem_t sw_ack;
static int sw_log[16];
static int sw_vals[8];
static int sw_n, sw_vn;
static void *sw_thread(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGTERM);
    for (;;) {
        int sig;
        if (sigwait(&s, &sig) != 0)
            break;
        sw_log[sw_n++] = sig;
        sem_post(&sw_ack);
        if (sig == SIGTERM)
            break;
    }
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    for (int i = 0; i < 3; i++) {
        siginfo_t si;
        int sig = sigwaitinfo(&rt, &si);
        if (sig == SIGRTMIN + 1 && si.si_code == SI_QUEUE)
            sw_vals[sw_vn++] = si.si_value.sival_int;
    }
    return NULL;
}

static void sec_sigwait(void)
{
    say("== sigwait");
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGRTMIN + 1);
    pthread_sigmask(SIG_BLOCK, &s, &old); /* every thread created now inherits it */
    sem_init(&sw_ack, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, sw_thread, NULL);
    kill(getpid(), SIGUSR1);
    sem_wait(&sw_ack);
    kill(getpid(), SIGUSR2);
    sem_wait(&sw_ack);
    pthread_kill(t, SIGUSR2);
    sem_wait(&sw_ack);
    union sigval v;
    for (int i = 1; i <= 3; i++) { /* queued before anyone waits for them */
        v.sival_int = i * 11;
        sigqueue(getpid(), SIGRTMIN + 1, v);
    }
    kill(getpid(), SIGTERM);
    sem_wait(&sw_ack);
    pthread_join(t, NULL);
    printf("sigwait got:");
    for (int i = 0; i < sw_n; i++)
        printf(" %s", sigabbrev_np(sw_log[i]));
    printf("\nsigwaitinfo got RT values in order:");
    for (int i = 0; i < sw_vn; i++)
        printf(" %d", sw_vals[i]);
    printf("\n");
    sigset_t pend;
    sigpending(&pend);
    say("nothing left pending: %s", sigismember(&pend, SIGUSR1) || sigismember(&pend, SIGTERM) ? "no" : "yes");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- alarm, itimers ------------------------------------------------------------------ */

static atomic_int alrm;
static void on_alrm(int sig)
{
    (void)sig;
    atomic_fetch_add(&alrm, 1);
}

static void sec_alarm(void)
{
    say("== alarm");
    on_signal(SIGALRM, on_alrm, 0);
    atomic_store(&alrm, 0);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    unsigned prev = alarm(1);
    int r = pause();
    int e = errno;
    int64_t el = now_ns(CLOCK_MONOTONIC) - t0;
    say("alarm(1): previous %u; pause -> %d %s; handler ran %d", prev, r, ename(e), alrm);
    CHECK(el >= 1000000000LL, "SIGALRM after %lld ns", (long long)el);
    say("alarm(5) then alarm(0) returns %u; alarm(0) again %u", (alarm(5), alarm(0)), alarm(0));

    /* periodic ITIMER_REAL, 20 ms, counted with sigsuspend */
    atomic_store(&alrm, 0);
    sigset_t none, old;
    sigemptyset(&none);
    block(SIG_BLOCK, SIGALRM);
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    t0 = now_ns(CLOCK_MONOTONIC);
    setitimer(ITIMER_REAL, &it, NULL);
    while (atomic_load(&alrm) < 5)
        sigsuspend(&none);
    el = now_ns(CLOCK_MONOTONIC) - t0;
    struct itimerval off = { { 0, 0 }, { 0, 0 } }, was;
    setitimer(ITIMER_REAL, &off, &was);
    say("ITIMER_REAL 20 ms periodic: %d expirations; interval read back %ld us", alrm,
        (long)was.it_interval.tv_usec);
    CHECK(el >= 100000000LL, "5 periods in %lld ns", (long long)el);
    getitimer(ITIMER_REAL, &was);
    say("after disarming: value %ld.%06ld", (long)was.it_value.tv_sec, (long)was.it_value.tv_usec);
    sigprocmask(SIG_SETMASK, NULL, &old);
    block(SIG_UNBLOCK, SIGALRM);

    /* SIGALRM goes to some thread of the process; a thread blocks it, the
     * main thread takes it */
    atomic_store(&alrm, 0);
    it = (struct itimerval){ { 0, 0 }, { 0, 30000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    while (atomic_load(&alrm) == 0)
        pause();
    say("one-shot 30 ms: %d", alrm);
}

static atomic_int vt, prof;
static void on_vt(int sig)
{
    if (sig == SIGVTALRM)
        atomic_fetch_add(&vt, 1);
    else
        atomic_fetch_add(&prof, 1);
}

static void sec_vtalarm(void)
{
    say("== vtalarm");
    on_signal(SIGVTALRM, on_vt, SA_RESTART);
    on_signal(SIGPROF, on_vt, SA_RESTART);
    struct itimerval it = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_VIRTUAL, &it, NULL);
    setitimer(ITIMER_PROF, &it, NULL);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    volatile long spin = 0;
    while ((atomic_load(&vt) == 0 || atomic_load(&prof) == 0) &&
           now_ns(CLOCK_MONOTONIC) - t0 < 5000000000LL)
        spin++;
    say("spinning 20 ms of CPU: SIGVTALRM %d, SIGPROF %d", vt, prof);
}

/* ---- POSIX timers ---------------------------------------------------------------------- */

static atomic_int tt_tid, tt_hits, tt_ready;
static void on_tt(int sig)
{
    (void)sig;
    atomic_store(&tt_tid, gettid());
    atomic_fetch_add(&tt_hits, 1);
}
static atomic_int tt_target_tid;
static void *tt_target(void *arg)
{
    (void)arg;
    atomic_store(&tt_target_tid, gettid());
    atomic_store(&tt_ready, 1);
    sigset_t none;
    sigemptyset(&none);
    while (atomic_load(&tt_hits) < 3)
        sigsuspend(&none);
    return NULL;
}
static sem_t th_sem;
static atomic_int th_val;
static void th_notify(union sigval v)
{
    atomic_store(&th_val, v.sival_int);
    sem_post(&th_sem);
}

/* sigev - a sigevent: notify, signal, value (SIGEV_THREAD_ID: tid after). */
static struct sigevent sigev(int notify, int sig, int value)
{
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = notify;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = value;
    return ev;
}

/* new_timer - timer_create on clock c; false (counted as a failure) if it
 * fails. */
static bool new_timer(clockid_t c, struct sigevent ev, timer_t *tm)
{
    if (timer_create(c, &ev, tm) == 0)
        return true;
    say("FAIL timer_create: %s", strerror(errno));
    failures++;
    return false;
}

/* blocked_timer - block sig in this thread and make a CLOCK_MONOTONIC timer
 * that signals it to the process with this value. */
static bool blocked_timer(int sig, int value, sigset_t *s, timer_t *tm)
{
    sigemptyset(s);
    sigaddset(s, sig);
    pthread_sigmask(SIG_BLOCK, s, NULL);
    return new_timer(CLOCK_MONOTONIC, sigev(SIGEV_SIGNAL, sig, value), tm);
}

static void sec_timer(void)
{
    say("== timer");
    int sig = SIGRTMIN + 2;
    sigset_t s;
    timer_t tm;
    if (!blocked_timer(sig, 42, &s, &tm))
        return;
    struct sigevent ev = sigev(SIGEV_SIGNAL, sig, 0);
    struct itimerspec its = { { 0, 0 }, { 0, 30000000 } };
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    timer_settime(tm, 0, &its, NULL);
    siginfo_t si;
    int got = sigwaitinfo(&s, &si);
    int64_t el = now_ns(CLOCK_MONOTONIC) - t0;
    say("SIGEV_SIGNAL one-shot 30 ms: signal %s, si_code SI_TIMER: %s, value %d, overrun %d",
        got == sig ? "SIGRTMIN+2" : "other", si.si_code == SI_TIMER ? "yes" : "no",
        si.si_value.sival_int, timer_getoverrun(tm));
    CHECK(el >= 30000000LL, "expired after %lld ns", (long long)el);
    struct itimerspec cur;
    timer_gettime(tm, &cur);
    say("disarmed after expiry: %s", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 ? "yes" : "no");

    its = (struct itimerspec){ { 0, 10000000 }, { 0, 10000000 } };
    timer_settime(tm, 0, &its, NULL);
    int n = 0;
    for (int i = 0; i < 4; i++)
        if (sigwaitinfo(&s, &si) == sig && si.si_value.sival_int == 42)
            n++;
    timer_gettime(tm, &cur);
    say("periodic 10 ms: %d expirations taken; interval read back %ld ns", n, cur.it_interval.tv_nsec);

    /* absolute time, CLOCK_REALTIME */
    timer_t tr;
    ev.sigev_value.sival_int = 43;
    timer_create(CLOCK_REALTIME, &ev, &tr);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    its = (struct itimerspec){ { 0, 0 }, now };
    its.it_value.tv_nsec += 20000000;
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_nsec -= 1000000000;
        its.it_value.tv_sec++;
    }
    int64_t want = its.it_value.tv_sec * 1000000000LL + its.it_value.tv_nsec;
    timer_delete(tm);
    timer_settime(tr, TIMER_ABSTIME, &its, NULL);
    /* a pending signal of the periodic timer may still be queued: take
     * only the one with value 43 */
    for (;;) {
        if (sigwaitinfo(&s, &si) == sig && si.si_value.sival_int == 43)
            break;
    }
    int64_t late = now_ns(CLOCK_REALTIME) - want;
    say("CLOCK_REALTIME TIMER_ABSTIME: value %d", si.si_value.sival_int);
    CHECK(late >= 0, "expired %lld ns early", (long long)-late);
    timer_delete(tr);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);

    /* SIGEV_THREAD_ID: delivered to the thread named */
    on_signal(SIGUSR1, on_tt, 0);
    block(SIG_BLOCK, SIGUSR1); /* main must not take it */
    atomic_store(&tt_hits, 0);
    pthread_t t;
    sigset_t um;
    sigemptyset(&um);
    pthread_sigmask(SIG_SETMASK, NULL, &um);
    sigdelset(&um, SIGUSR1);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setsigmask_np(&a, &um);
    pthread_create(&t, &a, tt_target, NULL);
    while (!atomic_load(&tt_ready))
        msleep(1);
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev._sigev_un._tid = atomic_load(&tt_target_tid);
    timer_t tid_timer;
    int r = timer_create(CLOCK_MONOTONIC, &ev, &tid_timer);
    if (r != 0) {
        say("SIGEV_THREAD_ID timer_create: %s", strerror(errno));
        for (int i = 0; i < 3; i++) { /* so that the thread ends */
            pthread_kill(t, SIGUSR1);
            while (atomic_load(&tt_hits) < i + 1)
                msleep(1);
        }
    } else {
        its = (struct itimerspec){ { 0, 10000000 }, { 0, 10000000 } };
        timer_settime(tid_timer, 0, &its, NULL);
    }
    pthread_join(t, NULL);
    if (r == 0)
        timer_delete(tid_timer);
    say("SIGEV_THREAD_ID periodic: handler ran >= 3 times: %s, in the target thread: %s",
        tt_hits >= 3 ? "yes" : "no", tt_tid == tt_target_tid ? "yes" : "no");
    block(SIG_UNBLOCK, SIGUSR1);

    /* SIGEV_THREAD: glibc runs the function in a helper thread */
    sem_init(&th_sem, 0, 0);
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = th_notify;
    ev.sigev_value.sival_int = 7;
    timer_t tt;
    if (timer_create(CLOCK_MONOTONIC, &ev, &tt) != 0) {
        say("FAIL SIGEV_THREAD timer_create: %s", strerror(errno));
        failures++;
        return;
    }
    its = (struct itimerspec){ { 0, 10000000 }, { 0, 10000000 } };
    timer_settime(tt, 0, &its, NULL);
    for (int i = 0; i < 3; i++)
        sem_wait(&th_sem);
    timer_delete(tt);
    say("SIGEV_THREAD periodic: 3 notifications, value %d", th_val);
}

static int take_now(const sigset_t *s, siginfo_t *si)
{
    struct timespec zero = { 0, 0 };
    return sigtimedwait(s, si, &zero);
}

/* ---- timer overrun ---------------------------------------------------------------------- */

static void sec_overrun(void)
{
    say("== overrun");
    int sig = SIGRTMIN + 3;
    sigset_t s;
    timer_t tm;
    if (!blocked_timer(sig, 9, &s, &tm))
        return;
    /* 20 ms period, 300 ms blocked: about 15 expirations, one signal. */
    struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } };
    timer_settime(tm, 0, &its, NULL);
    msleep(300);
    siginfo_t si;
    int got = take_now(&s, &si);
    int overrun = si.si_overrun, later = timer_getoverrun(tm);
    /* The next expiration is a period away: nothing else is queued (a
     * second one only if this thread lost the CPU for a whole period). */
    int more = 0;
    while (take_now(&s, &si) == sig)
        more++;
    timer_delete(tm);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    say("blocked 300 ms: one signal: %s, value %d; si_overrun >= 5: %s; timer_getoverrun agrees: %s; "
        "at most one more queued: %s", got == sig ? "yes" : "no", si.si_value.sival_int,
        overrun >= 5 ? "yes" : "no", later == overrun ? "yes" : "no", more <= 1 ? "yes" : "no");
}

/* Linux 6.13 drops the waiting signal of a timer set again, disarmed or
 * deleted; before, it was delivered. pegasus does as the newer ones. */
static bool drops_stale_timer_signals(void)
{
    struct utsname u;
    int maj = 0, min = 0;
    if (uname(&u) == 0)
        sscanf(u.release, "%d.%d", &maj, &min);
    return maj > 6 || (maj == 6 && min >= 13);
}

static void sec_rearm(void)
{
    say("== rearm");
    if (!drops_stale_timer_signals()) {
        say("kernel before 6.13: its timers keep a stale signal; not compared");
        return;
    }
    int sig = SIGRTMIN + 3;
    sigset_t s;
    timer_t tm;
    if (!blocked_timer(sig, 0, &s, &tm))
        return;
    struct itimerspec per = { { 0, 10000000 }, { 0, 10000000 } }, cur, off = { { 0, 0 }, { 0, 0 } };
    timer_settime(tm, 0, &per, NULL);
    msleep(55);
    timer_gettime(tm, &cur);
    say("signal waiting: interval %ld ms, counts down within a period: %s", cur.it_interval.tv_nsec / 1000000,
        cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000 ? "yes"
                                                                                              : "no");
    struct itimerspec later = { { 0, 0 }, { 1, 0 } };
    timer_settime(tm, 0, &later, NULL);
    siginfo_t si;
    say("set again while waiting: the waiting signal is dropped: %s, timer_getoverrun %d",
        take_now(&s, &si) == -1 ? "yes" : "no", timer_getoverrun(tm));
    timer_settime(tm, 0, &per, NULL);
    msleep(35);
    int got = take_now(&s, &si);
    say("periodic again, 35 ms: a signal: %s, overrun 1 to 3: %s, timer_getoverrun agrees: %s",
        got == sig ? "yes" : "no", si.si_overrun >= 1 && si.si_overrun <= 3 ? "yes" : "no",
        timer_getoverrun(tm) == si.si_overrun ? "yes" : "no");
    msleep(25);
    timer_settime(tm, 0, &off, NULL);
    say("disarmed while waiting: dropped: %s", take_now(&s, &si) == -1 ? "yes" : "no");
    timer_settime(tm, 0, &per, NULL);
    msleep(25);
    timer_delete(tm);
    say("deleted while waiting: dropped: %s", take_now(&s, &si) == -1 ? "yes" : "no");
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static atomic_int ign_hits[65];
static void on_ign(int sig)
{
    atomic_fetch_add(&ign_hits[sig], 1);
}

static void sec_ignore(void)
{
    say("== ignore");
    int sigs[2] = { SIGUSR2, SIGRTMIN + 3 };
    timer_t tm[2];
    sigset_t s[2];
    struct itimerspec per = { { 0, 10000000 }, { 0, 10000000 } };
    for (int i = 0; i < 2; i++) {
        if (!blocked_timer(sigs[i], i, &s[i], &tm[i]))
            return;
        timer_settime(tm[i], 0, &per, NULL);
    }
    msleep(30); /* a signal of each waits */
    for (int i = 0; i < 2; i++) {
        signal(sigs[i], SIG_IGN);
        on_signal(sigs[i], on_ign, 0);
        atomic_store(&ign_hits[sigs[i]], 0);
        pthread_sigmask(SIG_UNBLOCK, &s[i], NULL);
    }
    msleep(200);
    for (int i = 0; i < 2; i++) {
        timer_delete(tm[i]);
        signal(sigs[i], SIG_DFL);
    }
    say("after SIG_IGN and a handler again, 200 ms of a 10 ms timer: standard signal handled >= 5 "
        "times: %s, real-time: %s", ign_hits[SIGUSR2] >= 5 ? "yes" : "no",
        ign_hits[SIGRTMIN + 3] >= 5 ? "yes" : "no");
}

#define NSHARED 16
static void sec_shared(void)
{
    say("== shared");
    on_signal(SIGUSR1, on_ign, 0);
    timer_t tm[NSHARED];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* 16,000 signals a second: well within what pegasus delivers (a storm
     * past that starves the program's own code, on Linux too). */
    struct itimerspec its = { { 0, 1000000 }, timespec_after(now, 10000000) };
    for (int i = 0; i < NSHARED; i++) {
        if (!new_timer(CLOCK_MONOTONIC, sigev(SIGEV_SIGNAL, SIGUSR1, i), &tm[i]))
            return;
        timer_settime(tm[i], TIMER_ABSTIME, &its, NULL);
    }
    msleep(500);
    struct itimerspec off = { { 0, 0 }, { 0, 0 } }, once = { { 0, 0 }, { 0, 1000000 } };
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    for (int i = 0; i < NSHARED; i++)
        timer_settime(tm[i], 0, &off, NULL);
    struct timespec zero = { 0, 0 }, wait = { 1, 0 };
    while (sigtimedwait(&s, NULL, &zero) == SIGUSR1)
        ;
    int alive = 0;
    for (int i = 0; i < NSHARED; i++) {
        siginfo_t si;
        timer_settime(tm[i], 0, &once, NULL);
        if (sigtimedwait(&s, &si, &wait) == SIGUSR1 && si.si_value.sival_int == i)
            alive++;
        timer_delete(tm[i]);
    }
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    signal(SIGUSR1, SIG_DFL);
    say("%d timers on SIGUSR1 every 1 ms for 500 ms, then each alone: all fire: %s", NSHARED,
        alive == NSHARED ? "yes" : "no");
}

static atomic_int lim_hits;
static void on_lim(int sig)
{
    (void)sig;
    atomic_fetch_add(&lim_hits, 1);
}

static atomic_int lim_tid, lim_go;
static void *exit_when_told(void *arg)
{
    (void)arg;
    atomic_store(&lim_tid, (int)syscall(SYS_gettid));
    while (!atomic_load(&lim_go))
        msleep(1);
    return NULL;
}

static void sec_limits(void)
{
    say("== limits");
    on_signal(SIGUSR2, on_lim, 0);
    timer_t tm;
    if (!new_timer(CLOCK_MONOTONIC, sigev(SIGEV_SIGNAL, SIGUSR2, 0), &tm))
        return;
    /* ~584 years: past KTIME_MAX */
    struct itimerspec huge = { { 18446744073L, 709552616 }, { 0, 1000000 } }, cur;
    atomic_store(&lim_hits, 0);
    timer_settime(tm, 0, &huge, NULL);
    msleep(50);
    timer_gettime(tm, &cur);
    say("interval of 584 years: read back %ld.%09ld s; signals in 50 ms: %d", (long)cur.it_interval.tv_sec,
        cur.it_interval.tv_nsec, atomic_load(&lim_hits));
    errno = 0;
    int r = timer_settime(tm, 0, NULL, NULL);
    say("timer_settime(new NULL) -> %d %s", r, ename(errno));
    timer_delete(tm);
    errno = 0;
    r = timer_gettime(tm, &cur);
    say("timer_gettime of a deleted timer -> %d %s", r, ename(errno));
    errno = 0;
    r = timer_delete((timer_t)(long)4321);
    say("timer_delete of an id never made -> %d %s", r, ename(errno));

    /* SIGEV_THREAD_ID, the thread gone before the timer fires */
    pthread_t t;
    pthread_create(&t, NULL, exit_when_told, NULL);
    while (!atomic_load(&lim_tid))
        msleep(1);
    struct sigevent ev = sigev(SIGEV_THREAD_ID, SIGUSR2, 0);
    ev._sigev_un._tid = atomic_load(&lim_tid);
    r = timer_create(CLOCK_MONOTONIC, &ev, &tm);
    atomic_store(&lim_go, 1);
    pthread_join(t, NULL);
    atomic_store(&lim_hits, 0);
    if (r == 0) {
        struct itimerspec once = { { 0, 0 }, { 0, 1000000 } };
        timer_settime(tm, 0, &once, NULL);
        msleep(30);
        timer_delete(tm);
    }
    say("SIGEV_THREAD_ID timer whose thread ended: made: %s; its signal reached the program: %s",
        r == 0 ? "yes" : "no", atomic_load(&lim_hits) ? "yes" : "no");

    /* CPU time: a 5 ms CLOCK_PROCESS_CPUTIME_ID timer while spinning 100 ms */
    atomic_store(&lim_hits, 0);
    if (!new_timer(CLOCK_PROCESS_CPUTIME_ID, sigev(SIGEV_SIGNAL, SIGUSR2, 0), &tm))
        return;
    struct itimerspec per = { { 0, 5000000 }, { 0, 5000000 } };
    timer_settime(tm, 0, &per, NULL);
    int64_t t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    while (now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0 < 100000000LL)
        ;
    timer_delete(tm);
    int hits = atomic_load(&lim_hits);
    say("5 ms CPU-time timer over 100 ms of spinning: 5 to 40 signals: %s", hits >= 5 && hits <= 40 ? "yes" : "no");
    signal(SIGUSR2, SIG_DFL);
}

/* take_all - every pending instance of sig, as "code:value" words. */
static void take_all(const sigset_t *s, int sig, char *out, size_t n)
{
    siginfo_t si;
    out[0] = 0;
    while (take_now(s, &si) == sig) {
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s", len ? " " : "",
                 si.si_code == SI_TIMER ? (si.si_value.sival_int == 100 ? "timerA" : "timerB") : "kill");
    }
}

static atomic_int alrm_done, alrm_pauser_stop;
static atomic_llong alrm_t0, alrm_second_ns;
static void on_busy_alrm(int sig)
{
    (void)sig;
    if (atomic_fetch_add(&alrm_done, 1) == 1)
        atomic_store(&alrm_second_ns, now_ns(CLOCK_MONOTONIC) - atomic_load(&alrm_t0));
    else
        while (now_ns(CLOCK_MONOTONIC) - atomic_load(&alrm_t0) < 300000000LL)
            ; /* busy, no system call */
}

static void *alrm_pauser(void *arg)
{
    (void)arg;
    sigset_t open;
    sigemptyset(&open);
    sigaddset(&open, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &open, NULL);
    while (!atomic_load(&alrm_pauser_stop))
        pause();
    return NULL;
}

static void sec_stdtimers(void)
{
    say("== stdtimers");
    sigset_t s;
    timer_t a, b;
    if (!blocked_timer(SIGALRM, 100, &s, &a) || !blocked_timer(SIGALRM, 101, &s, &b))
        return;
    struct itimerspec once = { { 0, 0 }, { 0, 1000000 } };
    char got[128];
    timer_settime(a, 0, &once, NULL);
    timer_settime(b, 0, &once, NULL);
    msleep(20);
    take_all(&s, SIGALRM, got, sizeof got);
    say("two timers on SIGALRM: %s", strcmp(got, "timerB timerA") == 0 ? "timerA timerB" : got);
    kill(getpid(), SIGALRM);
    timer_settime(a, 0, &once, NULL);
    msleep(20);
    take_all(&s, SIGALRM, got, sizeof got);
    say("kill, then a timer: %s", got);
    timer_settime(a, 0, &once, NULL);
    msleep(20);
    timer_settime(a, 0, &once, NULL);
    msleep(20);
    take_all(&s, SIGALRM, got, sizeof got);
    say("a one-shot set again while its signal waits: %s", got);
    timer_settime(a, 0, &once, NULL);
    timer_settime(b, 0, &once, NULL);
    msleep(20);
    signal(SIGALRM, SIG_IGN);
    signal(SIGALRM, SIG_DFL);
    take_all(&s, SIGALRM, got, sizeof got);
    say("two waiting, then SIG_IGN: left pending: %s", got[0] ? got : "none");

    /* Both fire while this thread runs with SIGALRM open: it takes one and
     * stays 300 ms in the handler (which blocks SIGALRM); the other thread,
     * in pause(), must get the second meanwhile. */
    on_signal(SIGALRM, on_busy_alrm, 0);
    atomic_store(&alrm_done, 0);
    atomic_store(&alrm_pauser_stop, 0);
    pthread_t t;
    pthread_create(&t, NULL, alrm_pauser, NULL);
    msleep(20);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    atomic_store(&alrm_t0, t0);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    timer_settime(a, 0, &once, NULL);
    timer_settime(b, 0, &once, NULL);
    while (atomic_load(&alrm_done) < 2 && now_ns(CLOCK_MONOTONIC) - t0 < 2000000000LL)
        ;
    atomic_store(&alrm_pauser_stop, 1);
    pthread_kill(t, SIGALRM);
    pthread_join(t, NULL);
    say("one thread busy in the handler: the second signal handled within 100 ms: %s",
        atomic_load(&alrm_second_ns) > 0 && atomic_load(&alrm_second_ns) < 100000000LL ? "yes" : "no");
    signal(SIGALRM, SIG_DFL);
    timer_delete(a);
    timer_delete(b);
}

static void sec_reuse(void)
{
    say("== reuse");
    int sig = SIGRTMIN + 3;
    sigset_t s;
    timer_t a, b;
    if (!blocked_timer(sig, 111, &s, &a))
        return;
    struct itimerspec once = { { 0, 0 }, { 0, 1000000 } };
    timer_settime(a, 0, &once, NULL);
    msleep(20); /* its signal waits */
    timer_delete(a);
    int made = 0;
    for (int i = 0; i < 65535; i++) { /* B, below, is the 65536th */
        if (!blocked_timer(sig, 0, &s, &b))
            break;
        timer_delete(b);
        made++;
    }
    if (!blocked_timer(sig, 222, &s, &b))
        return;
    struct itimerspec later = { { 0, 0 }, { 5, 0 } }; /* armed once, as A was */
    timer_settime(b, 0, &later, NULL);
    siginfo_t si;
    int r = take_now(&s, &si);
    timer_delete(b);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    say("%d timers made and deleted after one with a waiting signal; a signal now: %s", made,
        r == sig ? (si.si_value.sival_int == 222 ? "yes, the new timer's" : "yes") : "none");
}

/* ---- sigtimedwait ------------------------------------------------------------------------ */

static atomic_int stw_started;
static atomic_int stw_res, stw_code;
static void *stw_thread(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    struct timespec ts = { 5, 0 };
    atomic_store(&stw_started, 1);
    siginfo_t si;
    int r = sigtimedwait(&s, &si, &ts);
    atomic_store(&stw_res, r == SIGUSR2 ? 1 : r);
    atomic_store(&stw_code, si.si_code);
    return NULL;
}

static void sec_timedwait(void)
{
    say("== timedwait");
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    struct timespec zero = { 0, 0 }, ms50 = { 0, 50000000 };
    int r = sigtimedwait(&s, NULL, &zero);
    say("zero timeout, nothing pending -> %d %s", r, ename(errno));
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    r = sigtimedwait(&s, NULL, &ms50);
    int e = errno;
    int64_t el = now_ns(CLOCK_MONOTONIC) - t0;
    say("50 ms timeout -> %d %s", r, ename(e));
    CHECK(el >= 50000000LL, "returned after %lld ns", (long long)el);
    raise(SIGUSR2);
    siginfo_t si;
    r = sigtimedwait(&s, &si, &ms50);
    say("pending (raise) -> %s, si_code %d", r == SIGUSR2 ? "SIGUSR2" : "other", si.si_code);
    r = sigtimedwait(&s, NULL, &zero);
    say("taken, so the next zero-timeout wait -> %d %s", r, ename(errno));

    pthread_t t;
    pthread_create(&t, NULL, stw_thread, NULL); /* inherits the mask */
    while (!atomic_load(&stw_started))
        msleep(1);
    msleep(20);
    pthread_kill(t, SIGUSR2);
    pthread_join(t, NULL);
    say("a thread in sigtimedwait(5 s) gets a pthread_kill: %s, si_code %d", stw_res == 1 ? "yes" : "no",
        stw_code);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static const struct section sections[] = {
    { "condwait", sec_condwait }, { "futexwait", sec_futexwait }, { "eintr", sec_eintr },
    { "restart", sec_restart },   { "sigwait", sec_sigwait },     { "alarm", sec_alarm },
    { "vtalarm", sec_vtalarm },   { "timer", sec_timer },         { "timedwait", sec_timedwait },
    { "overrun", sec_overrun },   { "rearm", sec_rearm },         { "ignore", sec_ignore },
    { "shared", sec_shared },     { "limits", sec_limits },       { "reuse", sec_reuse },
    { "stdtimers", sec_stdtimers },
};
#define NSEC (sizeof sections / sizeof sections[0])

int main(int argc, char **argv)
{
    return run_sections("thread_signals", argc, argv, sections, NSEC);
}
