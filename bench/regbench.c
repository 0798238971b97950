/* regbench.c: REGISTER load generator for bench/run-sip (issue #4 benchmark).
 *
 * Sends REGISTERs for N distinct AORs (user<i>@<domain>) from one UDP socket on 127.0.0.1 to a
 * registrar, keeping W requests outstanding, and measures requests/s and the latency from send
 * to the matching final reply (p50/p90/p99/max). A request without a reply within 2 s counts as
 * an error (no retransmission: loopback does not lose datagrams unless a buffer overflows).
 *
 * Usage: regbench HOST PORT N W [DOMAIN] [EXPIRES]
 * Env: RATE (REGISTERs/s at most, paced; default 0 = as fast as the window allows), AORS (cycle
 * over this many distinct AORs: request i registers user<i % AORS>, a refresh; default N).
 * Prints one line: "ok=<n> err=<n> secs=<s> rps=<r> p50=<us> p90=<us> p99=<us> max=<us>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: regbench HOST PORT N W [DOMAIN] [EXPIRES]\n");
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  long n = atol(argv[3]);
  int window = atoi(argv[4]);
  const char *domain = argc > 5 ? argv[5] : "bench.local";
  int expires = argc > 6 ? atoi(argv[6]) : 3600;
  if (n <= 0 || window <= 0) return 2;
  double rate = getenv("RATE") ? atof(getenv("RATE")) : 0;
  long aors = getenv("AORS") ? atol(getenv("AORS")) : 0;
  if (aors <= 0 || aors > n) aors = n;

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0) { perror("bind"); return 1; }
  socklen_t ml = sizeof me;
  getsockname(fd, (struct sockaddr *)&me, &ml);
  int lport = ntohs(me.sin_port);
  inet_pton(AF_INET, host, &to.sin_addr);
  to.sin_port = htons((unsigned short)port);

  double *sent = calloc((size_t)n, sizeof *sent);
  double *lat = calloc((size_t)n, sizeof *lat);
  char *done = calloc((size_t)n, 1);
  long next = 0, ok = 0, err = 0, outstanding = 0, oldest = 0;
  char buf[4096];
  double t0 = now_us();
  while (ok + err < n) {
    while (outstanding < window && next < n) {
      if (rate > 0 && now_us() < t0 + next * 1e6 / rate) break; /* paced: not yet */
      long u = next % aors;
      int len = snprintf(buf, sizeof buf,
          "REGISTER sip:%s SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKrb%ld;rport\r\n"
          "Max-Forwards: 70\r\n"
          "From: <sip:user%ld@%s>;tag=rb%ld\r\n"
          "To: <sip:user%ld@%s>\r\n"
          "Call-ID: rb%ld-%d@127.0.0.1\r\n"
          "CSeq: 1 REGISTER\r\n"
          "Contact: <sip:user%ld@127.0.0.1:%d>\r\n"
          "Expires: %d\r\n"
          "User-Agent: regbench\r\n"
          "Content-Length: 0\r\n\r\n",
          domain, lport, next, u, domain, next, u, domain, next, lport, u, lport, expires);
      sent[next] = now_us();
      if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
        if (errno == EAGAIN || errno == ENOBUFS) break;
        perror("sendto");
        return 1;
      }
      next++;
      outstanding++;
    }
    struct pollfd p = {fd, POLLIN, 0};
    int wait_ms = 100;
    if (rate > 0 && next < n && outstanding < window) {
      double until = t0 + next * 1e6 / rate - now_us();
      wait_ms = until <= 0 ? 0 : (int)(until / 1000) + 1;
      if (wait_ms > 100) wait_ms = 100;
    }
    int r = poll(&p, 1, wait_ms);
    if (r > 0) {
      ssize_t got = recv(fd, buf, sizeof buf - 1, 0);
      if (got <= 0) continue;
      buf[got] = 0;
      int status = 0;
      sscanf(buf, "SIP/2.0 %d", &status);
      if (status < 200) continue;
      char *cid = strstr(buf, "\r\nCall-ID: rb");
      if (!cid) cid = strstr(buf, "\r\ni: rb");
      if (!cid) continue;
      long i = strtol(strstr(cid, "rb") + 2, NULL, 10);
      if (i < 0 || i >= n || done[i]) continue;
      done[i] = 1;
      outstanding--;
      if (status >= 200 && status < 300) lat[ok++] = now_us() - sent[i];
      else err++;
    }
    /* Requests older than 2 s are errors. */
    double t = now_us();
    while (oldest < next && (done[oldest] || t - sent[oldest] > 2e6)) {
      if (!done[oldest]) { done[oldest] = 1; outstanding--; err++; }
      oldest++;
    }
  }
  double secs = (now_us() - t0) / 1e6;
  qsort(lat, (size_t)ok, sizeof *lat, cmp_double);
#define PCT(q) (ok ? lat[(long)((ok - 1) * (q))] : 0)
  printf("ok=%ld err=%ld secs=%.3f rps=%.0f p50=%.0f p90=%.0f p99=%.0f max=%.0f\n", ok, err, secs,
         ok / secs, PCT(0.50), PCT(0.90), PCT(0.99), ok ? lat[ok - 1] : 0);
  return err ? 1 : 0;
}
