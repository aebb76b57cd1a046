# SPDX-License-Identifier: Apache-2.0
# The commands people type. The build itself is CMake (CMakePresets.json);
# this file only names the steps. See docs/building.md.

FUZZ_SECONDS ?= 20
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
export FUZZ_SECONDS

.PHONY: all build deps check test demo fuzz bench format format-check \
	install clean

all: build

deps:
	@bash scripts/deps.sh

build:
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)

# deps + ASan/UBSan build + every test through ctest (its summary is last).
# The release build (gcc -O2, whose warnings differ from clang's) is built
# too, so that make demo and make bench always build.
check: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)
	@bash scripts/format-check.sh
	@ctest --preset asan

test:
	@ctest --preset asan

# make demo [FRESH=1]: the build's output goes to build/demo-build.log
# (shown in full only when it fails), one line instead; Ctrl-C ends it, exit 0.
# At a terminal Ctrl-C reaches the whole foreground process group, make
# too, which then reports "Interrupt" and dies of SIGINT whatever the demo
# did; so the demo runs as a job of a shell with job control (set -m; not
# its last command, which bash would exec): its own process group holds
# the terminal, and Ctrl-C reaches the demo alone.
demo: deps
	@printf 'demo: building (log: build/demo-build.log) ... '
	@mkdir -p build
	@{ cmake --preset default && cmake --build --preset default -j $(JOBS); } \
		>build/demo-build.log 2>&1 || { echo failed; cat build/demo-build.log; exit 2; }
	@echo done
	@FRESH=$(FRESH) bash -c 'set -m; bash scripts/demo.sh; exit $$?'

# Longer fuzzing than make check: FUZZ_SECONDS per target (default 20).
fuzz: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -L fuzz-run

bench: deps build
	@bash bench/run.sh build

format:
	@git ls-files '*.c' '*.h' | xargs -r clang-format -i

format-check:
	@bash scripts/format-check.sh

# make install [DESTDIR=/tmp/stage] [PREFIX=/usr/local]
PREFIX ?= /usr/local
install: build
	@cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-asan
