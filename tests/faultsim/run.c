/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.c - one faultsim run in a forked child (faultsim.h): allocation N
 * failing, once or from N on, then LeakSanitizer in the child. What
 * driver.c (the fuzz harnesses) and store_faultsim.c share.
 */
#define _POSIX_C_SOURCE 200809L
#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faultsim.h"

enum { EXIT_CHECK = 4, EXIT_LEAK = 3 };

int rp_faultsim_child(rp_faultsim_fn fn, void *arg, unsigned long n,
                      bool persist, const char *what)
{
	const char *on = persist ? " on" : "";
	pid_t pid;
	int st, r;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("faultsim: fork");
		return 1;
	}
	if (pid == 0) {
		if (n > 0)
			rp_alloc_fail_at(n, persist);
		r = fn(arg);
		rp_alloc_fail_at(0, false);
		if (r != 0)
			_exit(EXIT_CHECK);
		_exit(__lsan_do_recoverable_leak_check() ? EXIT_LEAK : 0);
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("faultsim: waitpid");
		return 1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_LEAK)
		fprintf(stderr,
		        "faultsim: %s: allocation %lu%s failing: leak\n", what,
		        n, on);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_CHECK)
		fprintf(stderr,
		        "faultsim: %s: allocation %lu%s failing: a check "
		        "failed\n",
		        what, n, on);
	else if (WIFEXITED(st))
		fprintf(stderr,
		        "faultsim: %s: allocation %lu%s failing: exit %d\n",
		        what, n, on, WEXITSTATUS(st));
	else
		fprintf(stderr,
		        "faultsim: %s: allocation %lu%s failing: signal %d\n",
		        what, n, on, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	return 1;
}
