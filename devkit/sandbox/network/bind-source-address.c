/*
 * LD_PRELOAD shim for a server outside the sandbox cloud (the on-premise replica): its outgoing
 * TCP connections to loopback leave from OPSDECK_SOURCE_ADDRESS instead of 127.0.0.1, so that a
 * security group of the sandbox sees the address the replica stands at. MariaDB has no
 * MASTER_BIND (MySQL's CHANGE MASTER option for this), and a replica's connection otherwise leaves
 * from 127.0.0.1 whatever its --bind-address. Sockets already bound, non-IPv4 and non-loopback
 * destinations are left alone. Built by source-address-shim.ts with the machine's C compiler.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  static int (*real_connect)(int, const struct sockaddr *, socklen_t);
  if (!real_connect) real_connect = dlsym(RTLD_NEXT, "connect");
  const char *source = getenv("OPSDECK_SOURCE_ADDRESS");
  if (source && addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *to = (const struct sockaddr_in *)addr;
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof bound;
    int loopback = (ntohl(to->sin_addr.s_addr) >> 24) == 127;
    if (loopback && getsockname(fd, (struct sockaddr *)&bound, &bound_len) == 0 &&
        bound.sin_family == AF_INET && bound.sin_port == 0 &&
        bound.sin_addr.s_addr == htonl(INADDR_ANY)) {
      struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = 0};
      if (inet_pton(AF_INET, source, &from.sin_addr) == 1)
        bind(fd, (const struct sockaddr *)&from, sizeof from);
    }
  }
  return real_connect(fd, addr, len);
}
