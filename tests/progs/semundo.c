/* semundo.c - SEM_UNDO: undone when the program that asked ends (spawned, vforked, forked, after an exec), dropped by SETVAL, clamped at 0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/*
 *   semundo                      the cases, on a private set of 2
 *   semundo take ID [exec|wait]  (a child) sem 0 -1 and sem 1 +3 with
 *                                SEM_UNDO; then exec "semundo idle", or
 *                                wait for a byte on fd 0 first
 *   semundo add2 ID              (a child) sem 0 +2 with SEM_UNDO, then
 *                                waits for a byte on fd 0
 *   semundo lockunlock ID        (a child) sem 0 -1, then +1, with SEM_UNDO
 *   semundo idle                 (a child) nothing
 */
extern char **environ;
static const char *self;
static int id;

static void vals(const char *when)
{
    say("%s: %d %d", when, semctl(id, 0, GETVAL), semctl(id, 1, GETVAL));
}

static void reset(void)
{
    semctl(id, 0, SETVAL, 1);
    semctl(id, 1, SETVAL, 0);
}

static void run(char *const argv[], int how)
{
    pid_t pid;
    int st;
    if (how == 0) {
        if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ))
            return;
    } else if (how == 1) {
        pid = vfork();
        if (pid == 0) {
            execv("/proc/self/exe", argv);
            _exit(127);
        }
    } else {
        pid = fork();
        if (pid == 0) {
            execv("/proc/self/exe", argv);
            _exit(127);
        }
    }
    waitpid(pid, &st, 0);
}

static int child(int argc, char **argv)
{
    if (!strcmp(argv[1], "idle"))
        return 0;
    id = atoi(argv[2]);
    if (!strcmp(argv[1], "lockunlock")) {
        /* A lock taken and given back, both with SEM_UNDO: nothing to undo. */
        struct sembuf take = { 0, -1, SEM_UNDO }, give = { 0, 1, SEM_UNDO };
        return semop(id, &take, 1) || semop(id, &give, 1) ? 1 : 0;
    }
    if (!strcmp(argv[1], "add2")) {
        struct sembuf op = { 0, 2, SEM_UNDO };
        char c;
        return semop(id, &op, 1) || read(0, &c, 1) != 1 ? 1 : 0;
    }
    struct sembuf ops[2] = { { 0, -1, SEM_UNDO }, { 1, 3, SEM_UNDO } };
    if (semop(id, ops, 2))
        return 1;
    vals("child took");
    if (argc > 3 && !strcmp(argv[3], "exec")) {
        execl("/proc/self/exe", self, "idle", (char *)NULL);
        return 127;
    }
    if (argc > 3 && !strcmp(argv[3], "wait")) {
        /* Said: the parent may change them now (it waits for the file,
         * or its SETVAL came before the line above now and then). */
        close(open("took.said", O_CREAT | O_WRONLY, 0644));
        char c;
        if (read(0, &c, 1) != 1)
            return 1;
    }
    return 0;
}

/* held - spawn argv with a pipe as its fd 0; once semaphore num reads
 * want, take `take` from sem 0 (no SEM_UNDO), or SETVAL 5 (take < 0),
 * then let the child go on and end. */
static void held(char *argv[], int num, int want, int take)
{
    int in[2];
    if (pipe(in))
        return;
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    for (int i = 0; i < 300 && semctl(id, num, GETVAL) != want; i++)
        usleep(10000);
    if (take < 0) {
        for (int i = 0; i < 300 && access("took.said", F_OK); i++)
            usleep(10000);
        semctl(id, 0, SETVAL, 5);
    } else {
        struct sembuf op = { 0, (short)-take, 0 };
        semop(id, &op, 1);
    }
    if (write(in[1], "g", 1) != 1)
        say("write failed");
    int st;
    waitpid(pid, &st, 0);
    close(in[1]);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1)
        return child(argc, argv);
    id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (id < 0) {
        say("semget: %s", strerror(errno));
        return 1;
    }
    char ids[16];
    snprintf(ids, sizeof ids, "%d", id);
    static const char *how[] = { "posix_spawn", "vfork", "fork" };
    for (int h = 0; h < 3; h++) {
        reset();
        char *take[] = { (char *)self, "take", ids, NULL };
        run(take, h);
        say("%s child ended", how[h]);
        vals("  after");
    }
    /* Kept across an execve: undone when the exec'd program ends. */
    reset();
    char *exec[] = { (char *)self, "take", ids, "exec", NULL };
    run(exec, 0);
    vals("after a child that took and exec'd ended");

    /* Taken and given back: its end changes nothing. */
    reset();
    char *lu[] = { (char *)self, "lockunlock", ids, NULL };
    run(lu, 0);
    vals("after a child that locked and unlocked ended");

    /* SETVAL drops the semaphore's adjustments: the child's end leaves 5. */
    reset();
    char *wait_[] = { (char *)self, "take", ids, "wait", NULL };
    held(wait_, 1, 3, -1);
    vals("after SETVAL 5 and the child's end");
    /* Clamped at 0: a child's +2 undone after this program took all 3. */
    reset();
    char *add2[] = { (char *)self, "add2", ids, NULL };
    held(add2, 0, 3, 3);
    vals("after a child's +2 was undone on 0");
    semctl(id, 0, IPC_RMID);
    return 0;
}
