/* relib.c - a shared library whose one function makes a raw getppid syscall
 * (the `mov $nr,%eax; syscall` shape pegasus rewrites); used by reload.c. */
long relib_getppid(void)
{
    long r;
    __asm__ volatile("mov $110, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    return r;
}
