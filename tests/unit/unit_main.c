/* unit_main.c - the unit test runner: lists, runs and reports cases. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define MAX_CASES 128

static struct {
	const char *name;
	unit_fn fn;
} cases[MAX_CASES];
static int ncases;
static jmp_buf failed;

void unit_register(const char *name, unit_fn fn)
{
	if (ncases == MAX_CASES) {
		fprintf(stderr, "unit: more than %d cases\n", MAX_CASES);
		exit(2);
	}
	cases[ncases].name = name;
	cases[ncases].fn = fn;
	ncases++;
}

void unit_fail(const char *file, int line, const char *what, long long a, long long b)
{
	printf("FAIL: %s:%d: %s", file, line, what);
	if (a != b)
		printf(" (%lld != %lld)", a, b);
	printf("\n");
	longjmp(failed, 1);
}

static int run(int i)
{
	if (setjmp(failed)) {
		printf("FAIL %s\n", cases[i].name);
		return 1;
	}
	cases[i].fn();
	printf("ok %s\n", cases[i].name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "-l")) {
		for (int i = 0; i < ncases; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	int bad = 0;
	for (int i = 0; i < ncases; i++) {
		bool wanted = argc == 1;
		for (int a = 1; a < argc && !wanted; a++)
			wanted = !strcmp(argv[a], cases[i].name);
		if (wanted)
			bad |= run(i);
	}
	for (int a = 1; a < argc; a++) {
		int found = 0;
		for (int i = 0; i < ncases; i++)
			found |= !strcmp(argv[a], cases[i].name);
		if (!found) {
			printf("FAIL %s: no such case\n", argv[a]);
			bad = 1;
		}
	}
	return bad;
}
