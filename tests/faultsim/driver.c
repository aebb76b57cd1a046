/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.c - runs a libFuzzer harness (tests/fuzz/fuzz_*.c) over a few
 * seeds of its corpus with allocation N failing, for every N (SQLite's
 * do_faultsim_test, curl's runtests -t): a clean run counts the K
 * allocations the input makes through rampart/alloc.h (and, routed through
 * the same hook here, jansson's and OpenSSL's), then for N = 1..K a forked
 * child runs the input again with allocation N failing, once only and
 * then from N on ("persistent"). Every child must return from the
 * harness, without a sanitizer report and without a leak (LeakSanitizer
 * in the child after the run). A fork per run keeps the runs apart: a
 * library's one-time set-up that fails in one child is not seen by the
 * next (run.c).
 * usage: driver [-s SEEDS] CORPUS_DIR  (SEEDS: how many of the largest
 * files, default 3). Prints the runs per seed; exit 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultsim.h"
#include "rampart/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEEDS_MAX 64

struct seed {
	char path[4096];
	long size;
};

static int by_size(const void *a, const void *b)
{
	const struct seed *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return strcmp(x->path, y->path);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		n = ftell(f);
		rewind(f);
		if (n >= 0)
			buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n < 0 ? 0 : (size_t)n;
	}
	fclose(f);
	return buf;
}

/* The input of the run (run_input). */
struct input {
	const uint8_t *data;
	size_t len;
};

/* The harness returns or aborts: it checks its invariants itself. */
static int run_input(void *arg)
{
	const struct input *in = arg;

	LLVMFuzzerTestOneInput(in->data, in->len);
	return 0;
}

static int run_seed(const char *path, unsigned long *tried)
{
	size_t len = 0;
	uint8_t *data = read_file(path, &len);
	struct input in = {data, len};
	unsigned long before, k, n;
	int bad = 0;

	if (data == NULL) {
		fprintf(stderr, "faultsim: cannot read %s\n", path);
		return 1;
	}
	/* twice in this process: the first run does the libraries' one-time
	 * set-up (OpenSSL's tables, error strings), the second counts */
	LLVMFuzzerTestOneInput(data, len);
	before = rp_alloc_count();
	LLVMFuzzerTestOneInput(data, len);
	k = rp_alloc_count() - before;
	if (rp_faultsim_child(run_input, &in, 0, false, path) != 0) {
		free(data);
		return 1;
	}
	for (n = 1; n <= k && bad < 5; n++) {
		bad += rp_faultsim_child(run_input, &in, n, false, path);
		bad += rp_faultsim_child(run_input, &in, n, true, path);
	}
	printf("faultsim: %s: %lu allocations, %lu runs\n", path, k, 2 * k);
	*tried += 2 * k;
	free(data);
	return bad != 0;
}

int main(int argc, char **argv)
{
	struct seed *seeds;
	size_t nseeds = 0, want = 3, i;
	unsigned long tried = 0;
	int bad = 0, opt;
	DIR *d;
	struct dirent *e;

	/* before any allocation of OpenSSL's (it refuses later) */
	if (!rp_faultsim_hook_libraries()) {
		fprintf(stderr, "faultsim: cannot hook OpenSSL's allocator\n");
		return 1;
	}
	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's' || strtoul(optarg, NULL, 10) == 0) {
			fprintf(stderr, "usage: %s [-s SEEDS] CORPUS_DIR\n",
			        argv[0]);
			return 2;
		}
		want = strtoul(optarg, NULL, 10);
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: %s [-s SEEDS] CORPUS_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[optind]);
	seeds = calloc(SEEDS_MAX, sizeof *seeds);
	if (d == NULL || seeds == NULL) {
		fprintf(stderr, "faultsim: cannot read %s\n", argv[optind]);
		return 1;
	}
	while ((e = readdir(d)) != NULL && nseeds < SEEDS_MAX) {
		struct stat st;
		struct seed *s = &seeds[nseeds];

		if (e->d_name[0] == '.')
			continue;
		snprintf(s->path, sizeof s->path, "%s/%s", argv[optind],
		         e->d_name);
		if (stat(s->path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		s->size = (long)st.st_size;
		nseeds++;
	}
	closedir(d);
	if (nseeds == 0) {
		fprintf(stderr, "faultsim: no seeds in %s\n", argv[optind]);
		free(seeds);
		return 1;
	}
	qsort(seeds, nseeds, sizeof *seeds, by_size);
	for (i = 0; i < nseeds && i < want; i++)
		bad |= run_seed(seeds[i].path, &tried);
	printf("faultsim: %zu seeds, %lu runs with a failing allocation, %s\n",
	       i, tried, bad ? "FAILED" : "all clean");
	free(seeds);
	return bad;
}
