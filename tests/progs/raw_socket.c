/* raw_socket.c - whether this process may open a raw ICMP socket
 * (CAP_NET_RAW), and its effective capability set as the kernel says. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    printf("uid %d: a raw socket: %s\n", (int)getuid(), s >= 0 ? "yes" : strerror(errno));
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "CapEff:", 7) || !strncmp(line, "CapPrm:", 7))
            fputs(line, stdout);
    return 0;
}
