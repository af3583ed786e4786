/* test_main.c - runs every net/local unit test: PASS/FAIL lines and a total.
 *   net_channel [substring]   run only the tests whose name contains it */
#include <string.h>
#include "test.h"

int test_failed;

int main(int argc, char **argv)
{
	const struct test_case *tables[] = { ring_tests, channel_tests, model_tests };
	int passed = 0, failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (const struct test_case *c = tables[t]; c->name; c++) {
			if (argc > 1 && !strstr(c->name, argv[1]))
				continue;
			test_failed = 0;
			c->fn();
			printf("%s %s\n", test_failed ? "FAIL" : "PASS", c->name);
			if (test_failed)
				failed++;
			else
				passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
