/* test_main.c - the net/local unit tests, with the protocol of tests/unit/unit.h:
 *   test_net_channel -l        list the cases
 *   test_net_channel [NAME...] run these cases (all by default)
 * Each prints "ok NAME" or "FAIL NAME"; exit status 1 if any failed. */
#include <stdbool.h>
#include <string.h>
#include "test.h"

int test_failed;

int main(int argc, char **argv)
{
	const struct test_case *tables[] = { ring_tests, channel_tests, model_tests };
	bool list = argc == 2 && !strcmp(argv[1], "-l");
	int failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (const struct test_case *c = tables[t]; c->name; c++) {
			bool wanted = argc == 1;
			for (int a = 1; a < argc && !wanted; a++)
				wanted = !strcmp(argv[a], c->name);
			if (list)
				printf("%s\n", c->name);
			if (list || !wanted)
				continue;
			test_failed = 0;
			c->fn();
			printf("%s %s\n", test_failed ? "FAIL" : "ok", c->name);
			failed += test_failed != 0;
		}
	}
	return failed ? 1 : 0;
}
