/* xstack_lib: a library linked with -z execstack (GCC nested functions),
 * which tests/progs/dlopen_xstack loads into a program whose stack is not
 * executable: glibc then makes every stack executable. */
static int apply(int (*f)(int), int x) { return f(x); }

int libfn(int k)
{
    int add(int x) { return x * k; }
    return apply(add, 7);
}
