/* bench.c - the measurement loop and command line of bench.h. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double time_box = 0.3;
static int repeats = 7;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One measurement: ns per iteration over ~time_box seconds. */
static double measure(const struct bench_case *c)
{
	uint64_t n = 1, t0, dt;
	for (;;) {   /* calibrate: a batch of >= 1 ms keeps timer cost negligible */
		t0 = now_ns();
		c->run(n);
		dt = now_ns() - t0;
		if (dt >= 1000000 || n >= (1ull << 40))
			break;
		n *= dt < 100000 ? 8 : 2;
	}
	uint64_t budget = (uint64_t)(time_box * 1e9), iters = 0, total = 0;
	while (total < budget) {
		t0 = now_ns();
		c->run(n);
		total += now_ns() - t0;
		iters += n;
	}
	return (double)total / iters;
}

static void run_case(const struct bench_case *c)
{
	const char *why = c->unavailable ? c->unavailable() : NULL;
	if (why) {
		printf("# %s: skipped: %s\n", c->name, why);
		fflush(stdout);
		return;
	}
	double *v = calloc(repeats, sizeof(*v));
	if (!v)
		exit(2);
	if (c->init)
		c->init();
	c->run(1000); /* warm caches, the trap path, lazy binding */
	for (int i = 0; i < repeats; i++)
		v[i] = measure(c) / (c->ops_per_iter > 0 ? c->ops_per_iter : 1);
	if (c->fini)
		c->fini();
	qsort(v, repeats, sizeof(*v), cmp_double);
	printf("# %s: min %.1f max %.1f of %d x %.2fs\n", c->name, v[0], v[repeats - 1], repeats,
	       time_box);
	printf("%s %.1f\n", c->name, v[repeats / 2]);
	fflush(stdout);
	free(v);
}

static void usage(const char *prog, FILE *f)
{
	fprintf(f, "usage: %s [-l] [-t SECONDS] [-r N] [CASE...]\n"
		   "  -l          list the cases\n"
		   "  -t SECONDS  time box of one measurement (default 0.3)\n"
		   "  -r N        measurements per case, median printed (default 7)\n"
		   "Prints \"<case> <ns per op>\" lines.\n", prog);
}

int bench_main(int argc, char **argv, const struct bench_case *cases, int ncases)
{
	int c;
	while ((c = getopt(argc, argv, "lt:r:h")) != -1) {
		switch (c) {
		case 'l':
			for (int i = 0; i < ncases; i++)
				printf("%s\t%s\n", cases[i].name, cases[i].what);
			return 0;
		case 't':
			time_box = atof(optarg);
			if (!(time_box > 0)) {
				usage(argv[0], stderr);
				return 2;
			}
			break;
		case 'r':
			repeats = atoi(optarg);
			if (repeats < 1) {
				usage(argv[0], stderr);
				return 2;
			}
			break;
		case 'h':
			usage(argv[0], stdout);
			return 0;
		default:
			usage(argv[0], stderr);
			return 2;
		}
	}
	int rc = 0;
	if (optind == argc) {
		for (int i = 0; i < ncases; i++)
			run_case(&cases[i]);
		return 0;
	}
	for (int a = optind; a < argc; a++) {
		int i;
		for (i = 0; i < ncases && strcmp(cases[i].name, argv[a]); i++)
			;
		if (i == ncases) {
			fprintf(stderr, "%s: no case '%s' (-l lists them)\n", argv[0], argv[a]);
			rc = 2;
			continue;
		}
		run_case(&cases[i]);
	}
	return rc;
}
