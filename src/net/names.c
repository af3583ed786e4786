/* names.c - the instance's table of bound local sockets: where a connect or sendto finds its peer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/forkhot.h"
#include "net/sock.h"

/* A list is enough: binds are rare and lookups happen at connect, not per
 * message. The kernel socket behind each name already decided whether the
 * bind was allowed (EADDRINUSE, SO_REUSEADDR/PORT rules), so the table
 * only has to find peers. */
struct name {
	struct name *next;
	struct nsock *s;	/* no reference: unpublished before it goes */
	uint32_t keylen;
	unsigned char key[];
};

FORK_HOT static spinlock_t names_lock;
FORK_HOT static spinlock_t meet_lock;
static struct name *names;
static unsigned names_turn; /* SO_REUSEPORT: connections take turns */

long names_publish(struct nsock *s, const void *key, uint32_t keylen)
{
	struct name *n = malloc(sizeof(*n) + keylen);
	if (!n)
		return -ENOMEM;
	n->s = s;
	n->keylen = keylen;
	memcpy(n->key, key, keylen);
	spin_lock(&names_lock);
	n->next = names;
	names = n;
	s->name_key = n;
	s->published = true;
	spin_unlock(&names_lock);
	return 0;
}

void names_unpublish(struct nsock *s)
{
	spin_lock(&names_lock);
	for (struct name **p = &names; *p; p = &(*p)->next) {
		if ((*p)->s == s) {
			struct name *n = *p;
			*p = n->next;
			free(n);
			break;
		}
	}
	s->published = false;
	spin_unlock(&names_lock);
}

void names_forget_all(void)
{
	names_lock.locked = 0; /* another thread of the parent may have held it */
	meet_lock.locked = 0;
	while (names) {
		struct name *n = names;
		names = n->next;
		n->s->published = false;
		n->s->name_key = NULL;
		free(n);
	}
}

struct nsock *names_find(const void *key, uint32_t keylen,
			 bool (*match)(const void *want, const void *have, uint32_t len), bool listener)
{
	struct nsock *found[64];
	unsigned nf = 0;
	spin_lock(&names_lock);
	for (struct name *n = names; n && nf < 64; n = n->next) {
		if (n->keylen != keylen || !(match ? match(key, n->key, keylen) : !memcmp(key, n->key, keylen)))
			continue;
		if (listener != (n->s->state == NS_LISTEN))
			continue;
		found[nf++] = n->s;
	}
	struct nsock *s = nf ? found[names_turn++ % nf] : NULL;
	if (s && !nsock_tryget(s))
		s = NULL; /* its last close is running: it unpublishes next */
	spin_unlock(&names_lock);
	return s;
}

void names_meet_lock(void)
{
	spin_lock(&meet_lock);
}

void names_meet_unlock(void)
{
	spin_unlock(&meet_lock);
}
