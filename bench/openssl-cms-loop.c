/*
 * The in-process reference for `npm run bench:archive` (a): OpenSSL's own library verifying the same messages
 * the same way, in one warm process, so smimetrust's in-process rate stands next to what the C library on this
 * machine does (`openssl cms -verify` per message, in (c), is mostly process start-up).
 *
 *   openssl-cms-loop ROOT.pem LIST PASSES MODE
 *
 * LIST: a file of message paths, one per line (read into memory first). MODE "chain": CMS_verify with the
 * trust anchor in an X509_STORE, so every message's chain is built and verified, as `openssl cms -verify`
 * does; MODE "signature": CMS_NO_SIGNER_CERT_VERIFY, the message's own signature and digest only (less than
 * smimetrust does per message, which also validates the chain, from a cache). Prints one JSON line:
 * {"messages":N,"valid":V,"median":R,"best":B}, R and B in messages per CPU-second (getrusage) over PASSES
 * passes after one warm-up pass. Built by the benchmark with the machine's C compiler and libcrypto; never part
 * of the product.
 */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double cpu_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static char *read_file(const char *name, long *len) {
  FILE *f = fopen(name, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  rewind(f);
  char *buf = malloc(*len > 0 ? *len : 1);
  if (buf && fread(buf, 1, *len, f) != (size_t)*len) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: openssl-cms-loop ROOT.pem LIST PASSES chain|signature\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  X509 *root = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
  if (f) fclose(f);
  if (!root) {
    fprintf(stderr, "%s: not a PEM certificate\n", argv[1]);
    return 2;
  }
  X509_STORE *store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  int passes = atoi(argv[3]);
  unsigned flags = strcmp(argv[4], "signature") == 0 ? CMS_NO_SIGNER_CERT_VERIFY : 0;

  long listLen;
  char *list = read_file(argv[2], &listLen);
  if (!list) {
    fprintf(stderr, "%s: cannot read\n", argv[2]);
    return 2;
  }
  int cap = 1024, n = 0;
  char **msg = malloc(cap * sizeof *msg);
  long *len = malloc(cap * sizeof *len);
  for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
    if (n == cap) {
      cap *= 2;
      msg = realloc(msg, cap * sizeof *msg);
      len = realloc(len, cap * sizeof *len);
    }
    if (!(msg[n] = read_file(line, &len[n]))) {
      fprintf(stderr, "%s: cannot read\n", line);
      return 2;
    }
    n++;
  }

  double *rates = malloc((passes > 0 ? passes : 1) * sizeof *rates);
  int valid = 0;
  for (int p = -1; p < passes; p++) {
    double c0 = cpu_seconds();
    valid = 0;
    for (int i = 0; i < n; i++) {
      BIO *in = BIO_new_mem_buf(msg[i], (int)len[i]);
      BIO *content = NULL;
      BIO *out = BIO_new(BIO_s_null());
      CMS_ContentInfo *cms = SMIME_read_CMS(in, &content);
      if (cms && CMS_verify(cms, NULL, store, content, out, flags) == 1) valid++;
      ERR_clear_error();
      CMS_ContentInfo_free(cms);
      BIO_free(content);
      BIO_free(out);
      BIO_free(in);
    }
    if (p >= 0) rates[p] = n / (cpu_seconds() - c0);
  }
  qsort(rates, passes, sizeof *rates, cmp_double);
  printf("{\"messages\":%d,\"valid\":%d,\"median\":%.0f,\"best\":%.0f}\n", n, valid, rates[passes / 2],
         rates[passes - 1]);
  return 0;
}
