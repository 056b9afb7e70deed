# optbench — build, test and report.
#
#   make          build the libraries, the optbench command and the tests
#   make test     build, run every Criterion suite and check the layering
#   make report   build, run the default suite and write the report
#   make install  install the command, headers, libob and optbench.pc
#                 (PREFIX=/usr/local, DESTDIR; `make uninstall` undoes it)
#
# `make test` and `make report` (and test-sanitize, test-valgrind, fuzz)
# first install missing Debian packages (as root; otherwise the exact
# apt-get line is printed); `make` itself only builds.  Each instruction
# set is its own set of translation units with its own -m flags; nothing is
# built with -march=native.
#
# Libraries (each links only what it needs; `make check-layers` proves it):
#   libob.a           kernels/ (framework and every ISA) + reference/:
#                     needs only libm and OpenMP; libob.so.<version> is
#                     the same built -fPIC (objects in $(BUILD)/pic/)
#   libob_problems.a  problems/: OpenBLAS and zlib, nothing of optbench
#   libob_testkit.a   harness/testkit/: test data and agreement measures
#                     shared by tests/, fuzz/ and `optbench ci`
# The rest of harness/ is the command (main.c + an internal archive, so a
# test binary pulls in only the areas it calls).

CC = gcc
BUILD = build

# The C++ compiler compiles the Google Benchmark shim and links every
# binary; it follows CC unless CXX is given on the command line (gcc -> g++,
# gcc-12 -> g++-12, clang -> clang++, clang-14 -> clang++-14, cc -> c++):
# clang's -fopenmp objects need libomp, which only a clang link brings in.
CC_NAME := $(notdir $(CC))
CC_DIR := $(if $(findstring /,$(CC)),$(dir $(CC)))
ifneq ($(origin CXX),command line)
CXX := $(CC_DIR)$(if $(findstring clang,$(CC_NAME)),$(subst clang,clang++,$(CC_NAME)),$(if $(findstring gcc,$(CC_NAME)),$(subst gcc,g++,$(CC_NAME)),c++))
endif

# Packages that `make test` needs; the report also needs the data set.
# A clang CC adds the compiler and its OpenMP runtime, versioned like CC
# (clang-14 -> clang-14 libomp-14-dev; clang -> clang libomp-dev).
DEPS_BUILD = build-essential pkg-config libbenchmark-dev libbenchmark-tools \
  libcriterion-dev gnuplot-nox libcjson-dev libopenblas-dev zlib1g-dev \
  liblinear-tools libgsl-dev protobuf-c-compiler libprotobuf-c-dev libisal-dev \
  protobuf-compiler python3-protobuf python3-crc32c
CC_VERSION = $(patsubst clang%,%,$(CC_NAME))
DEPS_CC = $(if $(findstring clang,$(CC_NAME)),clang$(CC_VERSION) libomp$(CC_VERSION)-dev)
DEPS_REPORT = dataset-fashion-mnist
# The report's browser check (large, so only `make test-browser` installs it;
# `make report` runs the check where it is installed).
DEPS_BROWSER = chromium

# -ffp-contract=off: the compiler must never fuse a multiply and an add on
# its own; every FMA is written out, which is what keeps the ISAs
# bit-identical.
WARN = -Wall -Wextra
CFLAGS_BASE = -std=c11 -O2 -g $(WARN) -ffp-contract=off -fno-fast-math \
  -D_GNU_SOURCE -fopenmp -I. -Iinclude -I$(BUILD)/gen
CXXFLAGS_BASE = -std=c++17 -O2 -g $(WARN) -ffp-contract=off -I. -Iinclude
SANITIZE =
EXTRA_CFLAGS =
# Each object also writes its header dependencies, read at the end of this
# file; they live in BUILD/.deps/, apart from the binaries.
depfile = $(patsubst $(BUILD)/%,$(BUILD)/.deps/%.d,$(basename $(1)))
DEPFLAGS = -MMD -MP -MF $(call depfile,$@)
DEPFLAGS_TEXT = -MMD -MP

# Flags for the scalar kernels: they must stay scalar.
IS_CLANG := $(shell $(CC) --version 2>/dev/null | grep -qi clang && echo 1)
ifeq ($(IS_CLANG),1)
NOVEC = -fno-vectorize -fno-slp-vectorize
else
NOVEC = -fno-tree-vectorize
endif

AVX2_FLAGS = -mavx2 -mfma
AVX512_FLAGS = -mavx512f
# kernels/avx512bf16: VCVTNEPS2BF16 for the mixed-precision rounding; used
# only on CPUs that have AVX512_BF16 (ob_bf16_native_supported).
AVX512BF16_FLAGS = -mavx512f -mavx512bf16 -mavx512bw -mavx512vl
# F16C (VCVTPH2PS) for the fp16 gradients of the AVX2 conversions only.
F16C_FLAGS = -mf16c
# Build an ISA only if the compiler accepts its flags.
cc_accepts = $(shell echo 'int x;' | $(CC) $(1) -x c -c - -o /dev/null 2>/dev/null && echo 1)
HAVE_AVX2 := $(call cc_accepts,$(AVX2_FLAGS))
HAVE_AVX512 := $(call cc_accepts,$(AVX512_FLAGS))
HAVE_AVX512BF16 := $(if $(HAVE_AVX512),$(call cc_accepts,$(AVX512BF16_FLAGS)))

ISA_DEFS =
ifeq ($(HAVE_AVX2),1)
ISA_DEFS += -DOB_BUILD_AVX2
endif
ifeq ($(HAVE_AVX512),1)
ISA_DEFS += -DOB_BUILD_AVX512
endif
ifeq ($(HAVE_AVX512BF16),1)
ISA_DEFS += -DOB_BUILD_AVX512BF16
endif

CFLAGS = $(CFLAGS_BASE) $(ISA_DEFS) $(SANITIZE) $(EXTRA_CFLAGS)
CXXFLAGS = $(CXXFLAGS_BASE) $(SANITIZE)
# --as-needed: a binary records only the shared libraries it calls.
LDFLAGS = -fopenmp -Wl,--as-needed $(SANITIZE)
# The libraries each layer needs (OpenMP comes with -fopenmp).
LIBOB_LIBS = -lm
PROBLEMS_LIBS = -lopenblas -lz -lm
CMD_LIBS = -lcjson -lbenchmark -lgsl -lprotobuf-c -lisal -lz -lpthread
TEST_LIBS = -lcriterion

# ---- sources ---------------------------------------------------------------
# Every folder is globbed: a new file builds without a Makefile edit.
# kernels/<isa>/*.c get that folder's -m flags (rules below).
LIBOB_SRCS = $(wildcard kernels/*.c kernels/framework/*.c reference/*.c)
SCALAR_SRCS = $(wildcard kernels/scalar/*.c)
AVX2_SRCS = $(if $(HAVE_AVX2),$(wildcard kernels/avx2/*.c))
AVX512_SRCS = $(if $(HAVE_AVX512),$(wildcard kernels/avx512/*.c))
AVX512BF16_SRCS = $(if $(HAVE_AVX512BF16),$(wildcard kernels/avx512bf16/*.c))
PROBLEMS_SRCS = $(wildcard problems/*.c)
TESTKIT_SRCS = $(wildcard harness/testkit/*.c)
HARNESS_MAIN = $(wildcard harness/main.c)
CMD_SRCS = $(filter-out $(HARNESS_MAIN) $(TESTKIT_SRCS),$(wildcard harness/*.c harness/*/*.c))
# The Google Benchmark shim (harness/bench/bench_shim.cc) is the only C++ source.
CMD_CXX_SRCS = $(wildcard harness/*/*.cc)
TEST_COMMON = $(wildcard tests/common/*.c)
TEST_SRCS = $(wildcard tests/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIBOB_OBJS = $(call obj,$(LIBOB_SRCS) $(SCALAR_SRCS) $(AVX2_SRCS) $(AVX512_SRCS) $(AVX512BF16_SRCS))
PROBLEMS_OBJS = $(call obj,$(PROBLEMS_SRCS))
TESTKIT_OBJS = $(call obj,$(TESTKIT_SRCS))
# TensorBoard's event messages: C from harness/tb/tb_event.proto by
# protoc-c, generated into $(BUILD)/gen (never committed).
TB_PROTO = harness/tb/tb_event.proto
TB_GEN_C = $(BUILD)/gen/harness/tb/tb_event.pb-c.c
TB_GEN_H = $(TB_GEN_C:.c=.h)
CMD_OBJS = $(call obj,$(CMD_SRCS)) $(patsubst %.cc,$(BUILD)/%.o,$(CMD_CXX_SRCS)) $(TB_GEN_C:.c=.o)
MAIN_OBJS = $(call obj,$(HARNESS_MAIN))
TEST_COMMON_OBJS = $(call obj,$(TEST_COMMON))
TEST_OBJS = $(call obj,$(TEST_SRCS))
TEST_BINS = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

LIBOB = $(BUILD)/libob.a
LIBPROBLEMS = $(BUILD)/libob_problems.a
LIBTESTKIT = $(BUILD)/libob_testkit.a
# Internal archives (not installed): the command's areas, the tests' helpers.
LIBCMD = $(BUILD)/harness/libcmd.a
LIBTESTCOMMON = $(BUILD)/tests/common/libcommon.a
LIBS_ALL = $(LIBOB) $(LIBPROBLEMS) $(LIBTESTKIT) $(LIBCMD)
OPTBENCH = $(if $(HARNESS_MAIN),$(BUILD)/optbench)

# The archives on a link line, callers first: the command's areas call the
# test kit (ci, the engine's agreement measure), everything calls libob.a,
# and libob_problems.a and libob.a call nothing above them.
LINK_ARCHIVES = $(LIBCMD) $(LIBTESTKIT) $(LIBPROBLEMS) $(LIBOB)
LINK_LIBS = $(CMD_LIBS) $(PROBLEMS_LIBS) $(LIBOB_LIBS)

.PHONY: all build-all deps deps-report test report clean check-layers install uninstall
all: build-all

build-all: $(LIBS_ALL) $(OPTBENCH) $(TEST_BINS)

deps:
	@scripts/install-deps.sh $(DEPS_BUILD) $(DEPS_CC)

deps-report:
	@scripts/install-deps.sh $(DEPS_BUILD) $(DEPS_CC) $(DEPS_REPORT)

deps-browser:
	@scripts/install-deps.sh $(DEPS_BROWSER)

# report.html of RUN (default results/latest) in headless Chromium: every
# image loads (checked in the DOM), no console message, and a screenshot
# kept as RUN/report-screenshot.png (scripts/check-report-browser.sh).
.PHONY: deps-browser test-browser
test-browser: deps-browser
	@scripts/check-report-browser.sh $(or $(RUN),results/latest); rc=$$?; [ $$rc = 77 ] || exit $$rc

# ---- stamps ----------------------------------------------------------------
# Written while the Makefile is read, only when their text changes (and
# never by `make -n`), so that `make -n` lists real work only.  Every object
# and binary depends on the flags stamp: another compiler or other flags in
# the same BUILD folder rebuild everything.  Each archive depends on the
# list of its objects, so that a source moved or deleted leaves no stale
# member behind.  The commit is compiled into results.o (run metadata),
# which is rebuilt only when the commit changes.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
FLAGS_STAMP = $(BUILD)/flags.stamp
COMMIT_STAMP = $(BUILD)/git-commit.stamp
FLAGS_TEXT = $(CC) $(CFLAGS) | $(NOVEC) | $(AVX2_FLAGS) $(F16C_FLAGS) | $(AVX512_FLAGS) | \
  $(AVX512BF16_FLAGS) | $(CXX) $(CXXFLAGS) | $(DEPFLAGS_TEXT) | $(LDFLAGS) | $(LINK_LIBS) $(TEST_LIBS) | $(FUZZ_DEFS)
sh_quote = '$(subst ','\'',$(1))'
write_stamp = $(shell mkdir -p $(dir $(1)) && { printf '%s\n' $(call sh_quote,$(2)) | cmp -s - $(1) || \
  printf '%s\n' $(call sh_quote,$(2)) > $(1); })
DRY_RUN := $(findstring n,$(firstword -$(MAKEFLAGS)))
ifeq ($(DRY_RUN),)
ifneq ($(if $(MAKECMDGOALS),$(filter-out clean deps deps-report uninstall,$(MAKECMDGOALS)),all),)
$(call write_stamp,$(FLAGS_STAMP),$(FLAGS_TEXT))
$(call write_stamp,$(COMMIT_STAMP),$(GIT_COMMIT))
$(call write_stamp,$(LIBOB).objs,$(LIBOB_OBJS))
$(call write_stamp,$(LIBPROBLEMS).objs,$(PROBLEMS_OBJS))
$(call write_stamp,$(LIBTESTKIT).objs,$(TESTKIT_OBJS))
$(call write_stamp,$(LIBCMD).objs,$(CMD_OBJS))
$(call write_stamp,$(LIBTESTCOMMON).objs,$(TEST_COMMON_OBJS))
endif
endif

# ---- compile rules -----------------------------------------------------------
# $(call compile_rules,SRCDIR/,FLAGS): SRCDIR/x.c -> $(BUILD)/SRCDIR/x.o with
# FLAGS (an instruction set's -m flags), and the same with -fPIC into
# $(BUILD)/pic/SRCDIR/x.o for the shared libob.so (`make install`).  The
# shortest stem wins, so kernels/avx2/ takes its own rule before the plain
# one (SRCDIR empty).
define compile_rules
$(BUILD)/$(1)%.o: $(1)%.c $$(FLAGS_STAMP)
	@mkdir -p $$(@D) $$(dir $$(call depfile,$$@))
	$$(CC) $$(CFLAGS) $(2) $$(DEPFLAGS) -c $$< -o $$@

$(BUILD)/pic/$(1)%.o: $(1)%.c $$(FLAGS_STAMP)
	@mkdir -p $$(@D) $$(dir $$(call depfile,$$@))
	$$(CC) $$(CFLAGS) $(2) -fPIC $$(DEPFLAGS) -c $$< -o $$@
endef
$(eval $(call compile_rules,kernels/scalar/,$$(NOVEC)))
$(eval $(call compile_rules,kernels/avx2/,$$(AVX2_FLAGS)))
$(eval $(call compile_rules,kernels/avx512/,$$(AVX512_FLAGS)))
$(eval $(call compile_rules,kernels/avx512bf16/,$$(AVX512BF16_FLAGS)))
$(eval $(call compile_rules,,))

$(BUILD)/kernels/avx2/convert.o $(BUILD)/pic/kernels/avx2/convert.o: AVX2_FLAGS += $(F16C_FLAGS)
# AVX512-VBMI byte permutes for the q8 dequantization, used only on CPUs
# that have them (ob_q8_vbmi_supported, kernels/framework/dispatch.c).
AVX512VBMI_FLAGS = -mavx512bw -mavx512vbmi
$(BUILD)/kernels/avx512/q8_vbmi.o $(BUILD)/pic/kernels/avx512/q8_vbmi.o: AVX512_FLAGS += $(AVX512VBMI_FLAGS)
# The scalar bench probes are the portable fallback's ceilings, built with
# the baseline flags as they always were (the memory probe may use SSE2;
# the divider probe stays scalar by attribute): kernels/scalar/probe.c.
$(BUILD)/kernels/scalar/probe.o $(BUILD)/pic/kernels/scalar/probe.o: NOVEC =

$(BUILD)/%.o: %.cc $(FLAGS_STAMP)
	@mkdir -p $(@D) $(dir $(call depfile,$@))
	$(CXX) $(CXXFLAGS) $(DEPFLAGS) -c $< -o $@

# Run metadata: the commit and flags are compiled into results.o.
$(BUILD)/harness/core/results.o: $(COMMIT_STAMP)
$(BUILD)/harness/core/results.o: CFLAGS += -DOB_GIT_COMMIT='"$(GIT_COMMIT)"' -DOB_BUILD_FLAGS='"$(CFLAGS_BASE)"'
# Where `optbench bench --peer` finds its scripts (OPTBENCH_PEER_DIR overrides).
$(BUILD)/harness/bench/bench_peer.o: CFLAGS += -DOB_PEER_DIR='"$(CURDIR)/harness/bench/peers"'
$(BUILD)/harness/bench/bench_model.o: CFLAGS += -DOB_MODEL_DIR='"$(CURDIR)/harness/bench/models"'
$(TB_GEN_C): $(TB_PROTO)
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen $(TB_PROTO)
$(TB_GEN_H): $(TB_GEN_C)
$(BUILD)/harness/tb/tb.o $(TB_GEN_C:.c=.o): $(TB_GEN_H)

# ---- libraries and binaries ----------------------------------------------------
$(LIBOB): $(LIBOB_OBJS) $(LIBOB).objs
$(LIBPROBLEMS): $(PROBLEMS_OBJS) $(LIBPROBLEMS).objs
$(LIBTESTKIT): $(TESTKIT_OBJS) $(LIBTESTKIT).objs
$(LIBCMD): $(CMD_OBJS) $(LIBCMD).objs
$(LIBTESTCOMMON): $(TEST_COMMON_OBJS) $(LIBTESTCOMMON).objs
$(LIBS_ALL) $(LIBTESTCOMMON):
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(filter %.o,$^)

$(BUILD)/optbench: $(MAIN_OBJS) $(LIBS_ALL) $(FLAGS_STAMP)
	$(CXX) $(LDFLAGS) $(filter %.o,$^) $(LINK_ARCHIVES) -o $@ $(LINK_LIBS)

# A static pattern rule: extra objects (fuzz targets below) are added per test.
$(TEST_BINS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIBTESTCOMMON) $(LIBS_ALL) $(FLAGS_STAMP)
	$(CXX) $(LDFLAGS) $(filter %.o,$^) $(LIBTESTCOMMON) $(LINK_ARCHIVES) -o $@ $(TEST_LIBS) $(LINK_LIBS)

# Keep the test objects (make would delete them as intermediates).
.SECONDARY:

# ---- test --------------------------------------------------------------------
# The suites run first, then the layering check, then the install test
# (scripts/test-install.sh: `make install` into a temporary prefix and the
# README's "Test your own kernel" built against it); all must pass.
test: deps
	@$(MAKE) --no-print-directory build-all
	@rc=0; scripts/run-tests.sh $(TEST_BINS) || rc=1; \
	  scripts/test-readme-examples.sh README.md $(BUILD)/optbench || rc=1; \
	  $(MAKE) --no-print-directory check-layers || rc=1; \
	  MAKE="$(MAKE)" scripts/test-install.sh || rc=1; exit $$rc

report: deps-report
	@$(MAKE) --no-print-directory build-all
	@scripts/report.sh

clean:
	rm -rf $(BUILD)

# ---- install ---------------------------------------------------------------------
# README "Install".  `make install [PREFIX=/usr/local] [DESTDIR=]` copies the
# command, the public headers, libob (static, and shared with a soname),
# the run-time files the command finds beside its prefix (plot/ scripts,
# bench peer scripts: harness/core/ob_core.h) and optbench.pc;
# `make uninstall` removes exactly those, and the optbench folders once
# empty.  Nothing here needs root when PREFIX is writable.
PREFIX = /usr/local
DESTDIR =
BINDIR = $(PREFIX)/bin
INCLUDEDIR = $(PREFIX)/include
LIBDIR = $(PREFIX)/lib
DATADIR = $(PREFIX)/share/optbench
PKGCONFIGDIR = $(LIBDIR)/pkgconfig
INSTALL = install
OB_VERSION := $(shell sed -n 's/^\#define OB_VERSION "\(.*\)"$$/\1/p' harness/ob_cli.h)
# libob.so.<version> with the soname libob.so.<major>: a new major when
# the library's ABI changes.
SO_MAJOR = $(firstword $(subst ., ,$(OB_VERSION)))
LIBOB_SO = $(BUILD)/libob.so.$(OB_VERSION)
LIBOB_PIC_OBJS = $(patsubst $(BUILD)/%,$(BUILD)/pic/%,$(LIBOB_OBJS))
# `make` builds the shared library too, except in sanitizer builds
# (test-sanitize runs the suites only; `make install` builds it anyway).
build-all: $(if $(SANITIZE),,$(LIBOB_SO))
INSTALL_HEADERS = $(wildcard include/optbench/*.h)
INSTALL_PLOT = $(wildcard plot/*.gp)
INSTALL_PEERS = $(wildcard harness/bench/peers/*.py)
INSTALL_MODELS = $(wildcard harness/bench/models/*.shapes)
DEST = $(DESTDIR)
INSTALLED = $(DEST)$(BINDIR)/optbench $(addprefix $(DEST)$(INCLUDEDIR)/optbench/,$(notdir $(INSTALL_HEADERS))) \
  $(addprefix $(DEST)$(LIBDIR)/,libob.a libob.so libob.so.$(SO_MAJOR) libob.so.$(OB_VERSION)) \
  $(DEST)$(PKGCONFIGDIR)/optbench.pc $(addprefix $(DEST)$(DATADIR)/plot/,$(notdir $(INSTALL_PLOT))) \
  $(addprefix $(DEST)$(DATADIR)/peers/,$(notdir $(INSTALL_PEERS))) \
  $(addprefix $(DEST)$(DATADIR)/models/,$(notdir $(INSTALL_MODELS)))

$(LIBOB_SO): $(LIBOB_PIC_OBJS) $(FLAGS_STAMP)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libob.so.$(SO_MAJOR) $(LIBOB_PIC_OBJS) -o $@ $(LIBOB_LIBS)

# The pkg-config file: optbench.pc.in with the folders (relative to
# ${prefix} where they are under it) and the version filled in.
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

install: $(OPTBENCH) $(LIBOB) $(LIBOB_SO)
	$(INSTALL) -d $(DEST)$(BINDIR) $(DEST)$(INCLUDEDIR)/optbench $(DEST)$(LIBDIR) $(DEST)$(PKGCONFIGDIR) \
	  $(DEST)$(DATADIR)/plot $(DEST)$(DATADIR)/peers $(DEST)$(DATADIR)/models
	$(INSTALL) -m 755 $(OPTBENCH) $(DEST)$(BINDIR)/optbench
	$(INSTALL) -m 644 $(INSTALL_HEADERS) $(DEST)$(INCLUDEDIR)/optbench/
	$(INSTALL) -m 644 $(LIBOB) $(DEST)$(LIBDIR)/libob.a
	$(INSTALL) -m 755 $(LIBOB_SO) $(DEST)$(LIBDIR)/libob.so.$(OB_VERSION)
	ln -sf libob.so.$(OB_VERSION) $(DEST)$(LIBDIR)/libob.so.$(SO_MAJOR)
	ln -sf libob.so.$(SO_MAJOR) $(DEST)$(LIBDIR)/libob.so
	$(INSTALL) -m 644 $(INSTALL_PLOT) $(DEST)$(DATADIR)/plot/
	$(INSTALL) -m 644 $(INSTALL_PEERS) $(DEST)$(DATADIR)/peers/
	$(INSTALL) -m 644 $(INSTALL_MODELS) $(DEST)$(DATADIR)/models/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|' -e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|' \
	  -e 's|@VERSION@|$(OB_VERSION)|' optbench.pc.in > $(DEST)$(PKGCONFIGDIR)/optbench.pc
	chmod 644 $(DEST)$(PKGCONFIGDIR)/optbench.pc

uninstall:
	rm -f $(INSTALLED)
	@for d in $(DEST)$(DATADIR)/plot $(DEST)$(DATADIR)/peers $(DEST)$(DATADIR)/models $(DEST)$(DATADIR) $(DEST)$(INCLUDEDIR)/optbench; do \
	  if [ -d "$$d" ]; then rmdir "$$d" 2>/dev/null || echo "uninstall: $$d is not empty, kept"; fi; done

# ---- layering ------------------------------------------------------------------
# `make check-layers` (run by `make test`): the include rules between
# folders (scripts/check-layers.sh), then the library split proved by
# linking: a kernel user's program (tests/link/ob_step_user.c, public headers
# only) links libob.a with nothing but -lm and OpenMP and runs, and every
# object of libob.a does too (--whole-archive); every object of
# libob_problems.a links with OpenBLAS, zlib and libm alone; every object of
# libob_testkit.a needs only libob.a.  Every check runs; any failure fails.
LINK_CHECK = $(CC) -std=c11 $(WARN) -Werror -Iinclude $(SANITIZE)
whole = -Wl,--whole-archive $(1) -Wl,--no-whole-archive
# $(call link_check,NAME,COMMAND): runs COMMAND, prints ok or its output.
link_check = if $(2) >$(BUILD)/link/$(1).log 2>&1; then echo "layers: $(1): ok"; \
  else echo "layers: $(1): FAILED: $(2)"; sed 's/^/layers:     /' $(BUILD)/link/$(1).log; rc=1; fi;
check-layers: $(LIBOB) $(LIBPROBLEMS) $(LIBTESTKIT)
	@mkdir -p $(BUILD)/link; rc=0; \
	scripts/check-layers.sh || rc=1; \
	$(call link_check,libob-user,$(LINK_CHECK) -fopenmp tests/link/ob_step_user.c $(LIBOB) -o $(BUILD)/link/ob_step_user $(LIBOB_LIBS) && $(BUILD)/link/ob_step_user) \
	$(call link_check,libob-whole,$(LINK_CHECK) -fopenmp tests/link/empty_main.c $(call whole,$(LIBOB)) -o $(BUILD)/link/libob_whole $(LIBOB_LIBS)) \
	$(call link_check,problems-whole,$(LINK_CHECK) tests/link/empty_main.c $(call whole,$(LIBPROBLEMS)) -o $(BUILD)/link/problems_whole $(PROBLEMS_LIBS)) \
	$(call link_check,testkit-whole,$(LINK_CHECK) -fopenmp tests/link/empty_main.c $(call whole,$(LIBTESTKIT)) $(LIBOB) -o $(BUILD)/link/testkit_whole $(LIBOB_LIBS)) \
	exit $$rc

# ---- reliability: fuzzing, sanitizers, valgrind --------------------------------
# README "Sanitizers and fuzzing".  The fuzz targets (fuzz/fuzz_*.c) are
# plain functions: `make test` replays their corpora and regressions through
# tests/test_badinput_fuzz.c, built with the ordinary compiler.
FUZZ_SRCS = $(wildcard fuzz/*.c)
FUZZ_OBJS = $(call obj,$(FUZZ_SRCS))
FUZZ_TARGETS = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
$(BUILD)/tests/test_badinput_fuzz: $(FUZZ_OBJS)
$(BUILD)/fuzz/%.o: CFLAGS += $(FUZZ_DEFS)

# make test-sanitize: everything again with ASan + UBSan in $(SAN_BUILD);
# the runner fails a suite on any sanitizer report, leaks included, after
# proving on deliberately broken code (fuzz/selfcheck/) that it would.
SAN_BUILD = build-san
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_TESTS = $(patsubst $(BUILD)/%,$(SAN_BUILD)/%,$(TEST_BINS))
# make q8-convergence: 8-bit state against fp32 on Fashion-MNIST (logistic
# regression and the MLP; README "8-bit state"), too slow for make test.
.PHONY: q8-convergence
q8-convergence: $(BUILD)/tests/test_q8_convergence
	OPTBENCH_Q8_FULL=1 scripts/run-tests.sh $(BUILD)/tests/test_q8_convergence

# make q8-exhaustive: the q8 bucket quantizer of every ISA against the
# definition on all 2^32 fp32 bit patterns (tests/test_q8_bucket.c; ~1 min).
.PHONY: q8-exhaustive
q8-exhaustive: $(BUILD)/tests/test_q8_bucket
	OPTBENCH_Q8_EXHAUSTIVE=1 scripts/run-tests.sh $(BUILD)/tests/test_q8_bucket

.PHONY: test-sanitize test-valgrind fuzz fuzz-build
test-sanitize: deps
	@$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) SANITIZE="$(SAN_FLAGS)" build-all $(SAN_BUILD)/selfcheck/sanitizers
	@scripts/run-sanitized-tests.sh $(SAN_BUILD)/selfcheck/sanitizers $(SAN_TESTS)

$(BUILD)/selfcheck/sanitizers: fuzz/selfcheck/sanitizers.c $(FLAGS_STAMP)
	@mkdir -p $(@D) $(dir $(call depfile,$@))
	$(CC) $(CFLAGS) $(DEPFLAGS) $< -o $@ $(LDFLAGS) $(TEST_LIBS)

# make test-valgrind: the normal build under valgrind (scalar and AVX2 only:
# valgrind cannot run AVX-512 and hides it from CPU detection).  Slow; not
# part of CI.
VALGRIND_TESTS =
test-valgrind: deps
	@scripts/install-deps.sh valgrind
	@$(MAKE) --no-print-directory build-all
	@scripts/run-valgrind-tests.sh $(if $(VALGRIND_TESTS),$(addprefix $(BUILD)/tests/,$(VALGRIND_TESTS)),$(TEST_BINS))

# make fuzz FUZZ_SECONDS=N: each libFuzzer target for N seconds, built with
# clang and ASan + UBSan in $(FUZZ_BUILD) (library objects included).
FUZZ_SECONDS = 30
FUZZ_BUILD = build-fuzz
FUZZ_CC = clang-14
FUZZ_CXX = clang++-14
fuzz: deps
	@scripts/install-deps.sh clang-14 libclang-rt-14-dev libomp-14-dev
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) \
	  SANITIZE="$(SAN_FLAGS) -fsanitize=fuzzer-no-link" FUZZ_DEFS=-DOB_FUZZ_LIBFUZZER fuzz-build
	@scripts/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(patsubst %,$(BUILD)/fuzz/bin/%,$(FUZZ_TARGETS))
$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/common.o $(LIBS_ALL) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -fsanitize=fuzzer $(filter %.o,$^) $(LINK_ARCHIVES) -o $@ $(LINK_LIBS)

# Header dependencies, written by the compiler (DEPFLAGS).
-include $(wildcard $(call depfile,$(LIBOB_OBJS) $(LIBOB_PIC_OBJS) $(PROBLEMS_OBJS) $(TESTKIT_OBJS) $(CMD_OBJS) \
  $(MAIN_OBJS) $(TEST_COMMON_OBJS) $(TEST_OBJS) $(FUZZ_OBJS) $(BUILD)/selfcheck/sanitizers))

# ---- plugins: optbench/plugin.h, examples/plugins/, tests/test_plugin.c ----
include examples/plugins/plugins.mk

# ---- mutation check: scripts/test-mutants.sh, README "Tests" ------------------
# make test-mutants [MUTANTS=short]: one mutant per block of every
# kernel (Adam's and SGD's only with short, as .ci/run does), each of which
# the tests and `optbench ci` must catch.
MUTANTS = all
.PHONY: test-mutants
test-mutants: build-all
	@CC="$(CC)" CXX="$(CXX)" CFLAGS="$(CFLAGS)" NOVEC="$(NOVEC)" AVX2_FLAGS="$(AVX2_FLAGS)" AVX512_FLAGS="$(AVX512_FLAGS)" \
	  LDFLAGS="$(LDFLAGS)" LINK_LIBS="$(LINK_LIBS)" TEST_LIBS="$(TEST_LIBS)" BUILD="$(BUILD)" \
	  MUTANTS="$(MUTANTS)" scripts/test-mutants.sh

# ---- scaling out: README "Scaling out" ------------------------------------------
# make test-slurm: a sharded sweep as a Slurm job array on a single-node
# cluster started for the test (munged, slurmctld, slurmd; stopped after;
# SKIP where they cannot run), merged by a dependent job, equal bit for bit
# to the unsharded sweep.  make test-parallel: the same through GNU parallel
# on localhost, with a failed shard rerun by --resume-failed.
DEPS_SLURM = slurm-wlm munge
DEPS_PARALLEL = parallel
.PHONY: test-slurm test-parallel
test-slurm: deps $(OPTBENCH)
	@scripts/install-deps.sh $(DEPS_SLURM)
	@scripts/test-slurm.sh $(OPTBENCH)
test-parallel: deps $(OPTBENCH)
	@scripts/install-deps.sh $(DEPS_PARALLEL)
	@scripts/test-parallel.sh $(OPTBENCH)
