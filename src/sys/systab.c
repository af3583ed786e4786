/* systab.c - the syscall table, built from systab_list.h at compile time. */
#include "sys/systab.h"

#include <asm/unistd_64.h>

#include "core/log.h"

#define HANDLER_EMU(name) sys_##name
#define HANDLER_PASS(name) sys_##name
#define HANDLER_OFFL(name) sys_##name
#define HANDLER_NOSYS(name) 0
#define HANDLER_DENY(name) 0

const struct sysent systab[SYS_MAX] = {
#define X(name, cls, fl, ...) \
	[__NR_##name] = { #name, CLS_##cls, fl, { __VA_ARGS__ }, HANDLER_##cls(name) },
#include "sys/systab_list.h"
#undef X
};

void systab_check(void)
{
	for (int nr = 0; nr < SYS_MAX; nr++)
		if (systab[nr].name && systab[nr].cls == CLS_EMU && !systab[nr].handler)
			pg_die("internal error: emulated syscall %s has no handler", systab[nr].name);
}

const char *sys_class_name(int cls)
{
	static const char *const names[] = {
		[CLS_NONE] = "refused", [CLS_EMU] = "emulated", [CLS_PASS] = "translated",
		[CLS_OFFL] = "offloaded", [CLS_NOSYS] = "refused", [CLS_DENY] = "refused",
	};
	return names[cls];
}
