/* test_fdtable.c - unit tests of fs/fdtable: the three entry states, lowest free numbers, object lifetime. */
#include <errno.h>
#include <fcntl.h>

#include "fs/fdtable.h"
#include "fs/vfile.h"
#include "unit.h"

static int released;
static void count_release(struct vfile *f)
{
	released++;
}

static const struct vfile_ops test_ops = { .name = "[test]", .release = count_release };

static struct vfile obj;

static struct fdtable *setup(void)
{
	released = 0;
	vfile_init(&obj, &test_ops, O_RDWR);
	return fdt_new(64);
}

UNIT_TEST(lowest_free_number)
{
	struct fdtable *t = setup();
	CHECK_EQ(fdt_install(t, 100, 0), 0);
	CHECK_EQ(fdt_install(t, 101, 0), 1);
	CHECK_EQ(fdt_install(t, 102, 5), 5);
	CHECK_EQ(fdt_install(t, 103, 0), 2);
	CHECK_EQ(fdt_remove(t, 1), 101);
	CHECK_EQ(fdt_install(t, 104, 0), 1);
	CHECK_EQ(fdt_max(t), 5);
	CHECK_EQ(fdt_host(t, 5), 102);
	CHECK_EQ(fdt_remove(t, 3), -EBADF);
}

UNIT_TEST(limit_gives_emfile)
{
	struct fdtable *t = fdt_new(2);
	CHECK_EQ(fdt_install(t, 100, 0), 0);
	CHECK_EQ(fdt_install(t, 101, 0), 1);
	CHECK_EQ(fdt_install(t, 102, 0), -EMFILE);
	CHECK_EQ(fdt_install_at(t, 2, 102, NULL, 0), -EBADF);
}

UNIT_TEST(object_alone_is_in_use)
{
	struct fdtable *t = setup();
	CHECK_EQ(fdt_install_obj(t, -1, &obj, 0, FD_CLOEXEC), 0);
	CHECK_EQ(fdt_host(t, 0), -EBADF);
	CHECK(fdt_has_obj(t, 0));
	CHECK_EQ(fdt_max(t), 0);
	CHECK_EQ(fdt_install(t, 100, 0), 1); /* 0 is taken though it has no host fd */
	CHECK_EQ(fdt_get_fdflags(t, 0), FD_CLOEXEC);
	CHECK_EQ(fdt_set_fdflags(t, 0, 0), 0);
	CHECK_EQ(fdt_get_fdflags(t, 0), 0);
	CHECK_EQ(fdt_get_fdflags(t, 1), -EBADF); /* a host fd's flag is the kernel's */
	struct vfile *f = fdt_obj(t, 0);
	CHECK(f == &obj);
	CHECK_EQ(obj.refs, 2);
	vfile_put(f);
	CHECK_EQ(fdt_remove(t, 0), FDT_NOHOST);
	CHECK_EQ(released, 1);
	CHECK_EQ(fdt_remove(t, 0), -EBADF);
	CHECK(!fdt_has_obj(t, 0));
}

UNIT_TEST(shared_object_released_at_last_close)
{
	struct fdtable *t = setup();
	CHECK_EQ(fdt_install_obj(t, -1, &obj, 0, 0), 0);
	CHECK_EQ(fdt_install_obj(t, -1, vfile_get(&obj), 0, 0), 1); /* a dup */
	CHECK_EQ(fdt_remove(t, 0), FDT_NOHOST);
	CHECK_EQ(released, 0);
	CHECK_EQ(fdt_remove(t, 1), FDT_NOHOST);
	CHECK_EQ(released, 1);
}

UNIT_TEST(host_and_object)
{
	struct fdtable *t = setup();
	CHECK_EQ(fdt_install_obj(t, 100, &obj, 0, 0), 0);
	CHECK_EQ(fdt_host(t, 0), 100);
	CHECK(fdt_has_obj(t, 0));
	CHECK_EQ(fdt_remove(t, 0), 100); /* the host fd is the caller's to close */
	CHECK_EQ(released, 1);
}

UNIT_TEST(install_at_replaces)
{
	struct fdtable *t = setup();
	CHECK_EQ(fdt_install_obj(t, -1, &obj, 3, 0), 3);
	CHECK_EQ(fdt_install_at(t, 3, 100, NULL, 0), FDT_NOHOST);
	CHECK_EQ(released, 1);
	CHECK(!fdt_has_obj(t, 3));
	CHECK_EQ(fdt_install_at(t, 3, 101, NULL, 0), 100);
	CHECK_EQ(fdt_install_at(t, 7, 102, NULL, 0), FDT_NOHOST);
	CHECK_EQ(fdt_max(t), 7);
}

UNIT_TEST(nonblock_cache_follows_generation)
{
	struct fdtable *t = setup();
	CHECK_EQ(fdt_install(t, 100, 0), 0);
	CHECK_EQ(fdt_nonblock(t, 0), -1);
	fdt_note_nonblock(t, 0, 100, fdt_flags_gen, true, false);
	CHECK_EQ(fdt_nonblock(t, 0), 1);
	CHECK(fdent_o_nonblock(fdt_ent(t, 0)));
	fdt_flags_changed();
	CHECK_EQ(fdt_nonblock(t, 0), -1);
	CHECK(!fdent_o_nonblock(fdt_ent(t, 0)));
	/* A regular file that never waits: non-blocking for the calls, not
	 * for what asks whether O_NONBLOCK itself is set (sendfile's mid
	 * path); O_NONBLOCK given too is O_NONBLOCK. */
	fdt_note_nonblock(t, 0, 100, fdt_flags_gen, false, true);
	CHECK_EQ(fdt_nonblock(t, 0), 1);
	CHECK(!fdent_o_nonblock(fdt_ent(t, 0)));
	fdt_note_nonblock(t, 0, 100, fdt_flags_gen, true, true);
	CHECK(fdent_o_nonblock(fdt_ent(t, 0)));
	fdt_note_nonblock(t, 0, 100, fdt_flags_gen, false, false);
	CHECK_EQ(fdt_nonblock(t, 0), 0);
	/* A note for another host fd than the entry's is not taken. */
	fdt_note_nonblock(t, 0, 101, fdt_flags_gen, true, false);
	CHECK_EQ(fdt_nonblock(t, 0), 0);
	/* An object alone keeps FD_CLOEXEC there: never a current flag. */
	CHECK_EQ(fdt_install_obj(t, -1, &obj, 0, FD_CLOEXEC), 1);
	CHECK_EQ(fdt_nonblock(t, 1), -1);
}
