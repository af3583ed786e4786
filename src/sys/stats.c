/* stats.c - per-program syscall counts (--stats): by name, class and path. */
#include "sys/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sched/poller.h"

bool stats_on;
static int requested;

void stats_request(void)
{
	__atomic_store_n(&requested, 1, __ATOMIC_RELEASE);
}

static bool print_requested(struct sched_poller *p)
{
	if (!__atomic_load_n(&requested, __ATOMIC_ACQUIRE) ||
	    !__atomic_exchange_n(&requested, 0, __ATOMIC_ACQ_REL))
		return false;
	for (int i = 0; i < vproc_count(); i++)
		if (vproc_at(i)->state != VP_DEAD)
			stats_print(vproc_at(i));
	return false;
}

static bool print_pending(struct sched_poller *p)
{
	return __atomic_load_n(&requested, __ATOMIC_ACQUIRE);
}

static struct sched_poller poller = {
	.poll = print_requested, .pending = print_pending, .tls = true, .vcpu = -1,
};

static void counters_new(struct vproc *p)
{
	if (!(p->stats = calloc(1, sizeof(*p->stats))))
		pg_die("out of memory");
}

/* A fork's child counts its own calls from 0, as its own process. */
static void counters_zero(struct vproc *p)
{
	memset(p->stats, 0, sizeof(*p->stats));
}

void (*stats_footer)(FILE *f);

void stats_init(void)
{
	sched_poller_add(&poller);
	if (stats_on) {
		vproc_hooks.created = counters_new;
		vproc_hooks.ended = stats_print;
		vproc_hooks.forked = counters_zero;
	}
}

void stats_print(struct vproc *p)
{
	/* A forked child's calls were counted in its own process, which
	 * prints them at its end. */
	if (!stats_on || !p->stats || p->host_pid)
		return;
	const struct sys_stats *s = p->stats;
	/* trapped, full (rewritten), lean (rewritten), kcall */
	unsigned long by_class[CLS_DENY + 1][4] = { { 0 } }, total[4] = { 0 };
	/* Built whole, then written where diagnostics go: a forked child's
	 * fd 2 may be /dev/null (fork.c release_host_stdio), its log is its
	 * program's stderr. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	fprintf(f, "pegasus: [%s] system calls\n", p->name);
	fprintf(f, "  %-24s %12s %12s %12s %12s %12s  %s\n", "call", "total", "trapped", "full", "lean", "kcall",
		"class");
	for (unsigned nr = 0; nr <= SYS_MAX; nr++) {
		unsigned long n[4] = { s->trapped[nr], s->fast[nr], s->lean[nr], s->kernel[nr] };
		if (!n[0] && !n[1] && !n[2])
			continue;
		const struct sysent *e = nr < SYS_MAX ? systab_get(nr) : NULL;
		int cls = e ? e->cls : CLS_NONE;
		char name[32];
		if (e)
			snprintf(name, sizeof(name), "%s", e->name);
		else
			snprintf(name, sizeof(name), "syscall_%u%s", nr, nr == SYS_MAX ? "+" : "");
		fprintf(f, "  %-24s %12lu %12lu %12lu %12lu %12lu  %s\n", name, n[0] + n[1] + n[2], n[0], n[1], n[2],
			n[3], sys_class_name(cls));
		for (int i = 0; i < 4; i++) {
			by_class[cls][i] += n[i];
			total[i] += n[i];
		}
	}
	static const int order[] = { CLS_EMU, CLS_PASS, CLS_OFFL, CLS_NOSYS };
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int c = order[i];
		unsigned long n[4];
		for (int j = 0; j < 4; j++)
			n[j] = by_class[c][j] + (c == CLS_NOSYS ? by_class[CLS_NONE][j] + by_class[CLS_DENY][j] : 0);
		if (n[0] + n[1] + n[2])
			fprintf(f, "  %-24s %12lu %12lu %12lu %12lu %12lu\n", sys_class_name(c), n[0] + n[1] + n[2], n[0],
				n[1], n[2], n[3]);
	}
	fprintf(f, "  %-24s %12lu %12lu %12lu %12lu %12lu\n", "all", total[0] + total[1] + total[2], total[0], total[1],
		total[2], total[3]);
	if (stats_footer)
		stats_footer(f);
	if (fclose(f) == 0)
		pg_log_write(text, len);
	free(text);
}
