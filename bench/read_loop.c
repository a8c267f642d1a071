/*
 * read_loop: the single-threaded open/read/close baseline for ringflow's benchmarks.
 *
 * Usage: read_loop [-x] [-b SIZE] [LIST]
 *   Reads file paths, one per line, from LIST (or stdin if LIST is absent or "-"). For each path:
 *   open(O_RDONLY), read() into one reused buffer until EOF, close. Prints "files=N bytes=N".
 *   -b SIZE  read buffer size (default 128K; suffix K, M or G = powers of 1024)
 *   -x       also XXH3-64 hash each file (libxxhash, streaming) and print one line per file in
 *            `xxhsum -H3` format ("XXH3 (path) = hex") on stdout; the summary then goes to stderr
 *   -h       help
 * Exit status: 0 if every file was read, 1 if any failed (errors on stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

static void usage(FILE* out) {
  fputs(
      "usage: read_loop [-x] [-b SIZE] [LIST]\n"
      "Reads file paths (one per line) from LIST or stdin; for each: open, read() until EOF\n"
      "into one reused buffer, close. Prints \"files=N bytes=N\".\n"
      "  -b SIZE  read buffer size (default 128K; K/M/G suffix = powers of 1024)\n"
      "  -x       XXH3-64 hash each file; print \"XXH3 (path) = hex\" per file on stdout\n"
      "           (as `xxhsum -H3`), and the summary on stderr\n"
      "  -h       this help\n",
      out);
}

static int parse_size(const char* s, size_t* out) {
  char* end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s) return -1;
  switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
  }
  if (*end == 'i' && end[1] == 'B') end += 2;
  else if (*end == 'B') end++;
  if (*end != '\0' || v == 0 || v > (1ULL << 31)) return -1;
  *out = (size_t)v;
  return 0;
}

int main(int argc, char** argv) {
  size_t bufsize = 128 << 10;
  int hash = 0;
  int opt;
  while ((opt = getopt(argc, argv, "xb:h")) != -1) {
    switch (opt) {
      case 'x': hash = 1; break;
      case 'b':
        if (parse_size(optarg, &bufsize) != 0) {
          fprintf(stderr, "read_loop: bad -b size '%s' (1 byte .. 2G)\n", optarg);
          return 2;
        }
        break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (argc - optind > 1) {
    usage(stderr);
    return 2;
  }
  FILE* list = stdin;
  if (optind < argc && strcmp(argv[optind], "-") != 0) {
    list = fopen(argv[optind], "r");
    if (list == NULL) {
      fprintf(stderr, "read_loop: %s: %s\n", argv[optind], strerror(errno));
      return 1;
    }
  }

  char* buf = NULL;
  if (posix_memalign((void**)&buf, 4096, bufsize) != 0) {
    fprintf(stderr, "read_loop: cannot allocate %zu bytes\n", bufsize);
    return 1;
  }
  XXH3_state_t* state = hash ? XXH3_createState() : NULL;
  if (hash && state == NULL) {
    fprintf(stderr, "read_loop: XXH3_createState failed\n");
    return 1;
  }

  unsigned long long files = 0, bytes = 0, errors = 0;
  char* line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, list)) != -1) {
    if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
    if (len == 0) continue;
    int fd = open(line, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fprintf(stderr, "read_loop: open %s: %s\n", line, strerror(errno));
      errors++;
      continue;
    }
    if (hash) XXH3_64bits_reset(state);
    int failed = 0;
    for (;;) {
      ssize_t n = read(fd, buf, bufsize);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "read_loop: read %s: %s\n", line, strerror(errno));
        failed = 1;
        break;
      }
      bytes += (unsigned long long)n;
      if (hash) XXH3_64bits_update(state, buf, (size_t)n);
    }
    close(fd);
    if (failed) {
      errors++;
      continue;
    }
    files++;
    if (hash) printf("XXH3 (%s) = %016llx\n", line, (unsigned long long)XXH3_64bits_digest(state));
  }
  if (ferror(list)) {
    fprintf(stderr, "read_loop: error reading the file list\n");
    errors++;
  }
  fprintf(hash ? stderr : stdout, "files=%llu bytes=%llu%s", files, bytes, errors ? "" : "\n");
  if (errors) fprintf(hash ? stderr : stdout, " errors=%llu\n", errors);
  free(line);
  free(buf);
  if (state) XXH3_freeState(state);
  if (list != stdin) fclose(list);
  if (fflush(stdout) != 0) return 1;
  return errors ? 1 : 0;
}
