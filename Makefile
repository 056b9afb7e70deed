# optbench — build, test and report.
#
#   make          build the library, the optbench command and the tests
#   make test     build and run every Criterion suite
#   make report   build, run the default suite and write the report
#
# Missing Debian packages are installed first (as root; otherwise the exact
# apt-get line is printed).  Each instruction set is its own set of
# translation units with its own -m flags; nothing is built with
# -march=native.

CC = gcc
CXX = g++
BUILD = build

# Packages that `make` / `make test` need; the report also needs the data set.
DEPS_BUILD = build-essential pkg-config libbenchmark-dev libbenchmark-tools \
  libcriterion-dev gnuplot-nox libcjson-dev libopenblas-dev zlib1g-dev \
  libgsl-dev liblinear-tools
DEPS_REPORT = dataset-fashion-mnist

# -ffp-contract=off: the compiler must never fuse a multiply and an add on
# its own; every FMA is written out, which is what keeps the ISAs
# bit-identical.
WARN = -Wall -Wextra
CFLAGS_BASE = -std=c11 -O2 -g $(WARN) -ffp-contract=off -fno-fast-math \
  -D_GNU_SOURCE -fopenmp -I. -Iinclude
CXXFLAGS_BASE = -std=c++17 -O2 -g $(WARN) -ffp-contract=off -I. -Iinclude
SANITIZE =
EXTRA_CFLAGS =

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
LDLIBS = -lcjson -lgsl -lopenblas -lz -lm
LDFLAGS = -fopenmp $(SANITIZE)

# ---- sources ---------------------------------------------------------------
LIB_SRCS = $(wildcard kernels/framework/*.c) $(wildcard reference/*.c) $(wildcard problems/*.c)
SCALAR_SRCS = $(wildcard kernels/scalar/*.c)
AVX2_SRCS = $(if $(HAVE_AVX2),$(wildcard kernels/avx2/*.c))
AVX512_SRCS = $(if $(HAVE_AVX512),$(wildcard kernels/avx512/*.c))
AVX512BF16_SRCS = $(if $(HAVE_AVX512BF16),$(wildcard kernels/avx512bf16/*.c))
HARNESS_SRCS = $(filter-out harness/main.c,$(wildcard harness/*.c harness/*/*.c))
HARNESS_MAIN = $(wildcard harness/main.c)
TEST_COMMON = $(wildcard tests/common/*.c)
TEST_SRCS = $(wildcard tests/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
LIB_OBJS = $(call obj,$(LIB_SRCS) $(SCALAR_SRCS) $(AVX2_SRCS) $(AVX512_SRCS) $(AVX512BF16_SRCS))
# The Google Benchmark shim (harness/bench/bench_shim.cc) is the only C++ source.
HARNESS_CXX_SRCS = $(wildcard harness/*/*.cc)
HARNESS_OBJS = $(call obj,$(HARNESS_SRCS)) $(patsubst %.cc,$(BUILD)/%.o,$(HARNESS_CXX_SRCS))
TEST_BINS = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
LIB = $(BUILD)/libob.a
OPTBENCH = $(if $(HARNESS_MAIN),$(BUILD)/optbench)

.PHONY: all deps deps-report test report clean
all: deps
	@$(MAKE) --no-print-directory build-all

.PHONY: build-all
build-all: $(LIB) $(OPTBENCH) $(TEST_BINS)

deps:
	@scripts/install-deps.sh $(DEPS_BUILD)

deps-report:
	@scripts/install-deps.sh $(DEPS_BUILD) $(DEPS_REPORT)

# ---- compile rules -----------------------------------------------------------
$(BUILD)/kernels/scalar/%.o: kernels/scalar/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(NOVEC) -c $< -o $@

$(BUILD)/kernels/avx2/%.o: kernels/avx2/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(AVX2_FLAGS) -c $< -o $@

$(BUILD)/kernels/avx512/%.o: kernels/avx512/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(AVX512_FLAGS) -c $< -o $@

$(BUILD)/kernels/avx512bf16/%.o: kernels/avx512bf16/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(AVX512BF16_FLAGS) -c $< -o $@

$(BUILD)/kernels/avx2/convert.o: AVX2_FLAGS += $(F16C_FLAGS)
# The scalar bench probes are the portable fallback's ceilings, built with
# the baseline flags as they always were (the memory probe may use SSE2;
# the divider probe stays scalar by attribute): kernels/scalar/probe.c.
$(BUILD)/kernels/scalar/probe.o: NOVEC =

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# Header dependencies: every object depends on every header (the tree is
# small; correctness of incremental builds matters more than speed).
HEADERS = $(wildcard include/optbench/*.h kernels/*.h kernels/*/*.h reference/*.h problems/*.h harness/*.h harness/*/*.h tests/common/*.h)
$(LIB_OBJS) $(HARNESS_OBJS) $(call obj,$(HARNESS_MAIN) $(TEST_COMMON) $(TEST_SRCS)): $(HEADERS) Makefile

$(BUILD)/optbench: $(call obj,$(HARNESS_MAIN)) $(HARNESS_OBJS) $(LIB)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lbenchmark -lpthread

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(call obj,$(TEST_COMMON)) $(HARNESS_OBJS) $(LIB)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcriterion -lbenchmark -lpthread

# Keep the test objects (make would delete them as intermediates).
.SECONDARY:

# Run metadata: the commit and flags are compiled into results.o; the stamp
# changes (and results.o is rebuilt) only when the commit does.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
$(BUILD)/git-commit.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(GIT_COMMIT)' | cmp -s - $@ || echo '$(GIT_COMMIT)' > $@
$(BUILD)/harness/core/results.o: $(BUILD)/git-commit.stamp
# Where `optbench bench --peer` finds its scripts (OPTBENCH_PEER_DIR overrides).
$(BUILD)/harness/bench/bench_peer.o: CFLAGS += -DOB_PEER_DIR='"$(CURDIR)/harness/bench/peers"'
$(BUILD)/harness/core/results.o: CFLAGS += -DOB_GIT_COMMIT='"$(GIT_COMMIT)"' -DOB_BUILD_FLAGS='"$(CFLAGS_BASE)"'
.PHONY: FORCE
FORCE:

# ---- test --------------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory build-all
	@scripts/run-tests.sh $(TEST_BINS)

report: deps-report
	@$(MAKE) --no-print-directory build-all
	@scripts/report.sh

clean:
	rm -rf $(BUILD)

# ---- reliability: fuzzing, sanitizers, valgrind --------------------------------
# README "Sanitizers and fuzzing".  The fuzz targets (fuzz/fuzz_*.c) are
# plain functions: `make test` replays their corpora and regressions through
# tests/test_badinput_fuzz.c, built with the ordinary compiler.
FUZZ_SRCS = $(wildcard fuzz/*.c)
FUZZ_OBJS = $(call obj,$(FUZZ_SRCS))
FUZZ_TARGETS = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
$(BUILD)/tests/test_badinput_fuzz: $(FUZZ_OBJS)
$(FUZZ_OBJS): $(HEADERS) $(wildcard fuzz/*.h) Makefile
$(BUILD)/fuzz/%.o: CFLAGS += $(FUZZ_DEFS)

# make test-sanitize: everything again with ASan + UBSan in $(SAN_BUILD);
# the runner fails a suite on any sanitizer report, leaks included, after
# proving on deliberately broken code (fuzz/selfcheck/) that it would.
SAN_BUILD = build-san
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_TESTS = $(patsubst $(BUILD)/%,$(SAN_BUILD)/%,$(TEST_BINS))
.PHONY: test-sanitize test-valgrind fuzz fuzz-build
test-sanitize: deps
	@$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) SANITIZE="$(SAN_FLAGS)" build-all $(SAN_BUILD)/selfcheck/sanitizers
	@scripts/run-sanitized-tests.sh $(SAN_BUILD)/selfcheck/sanitizers $(SAN_TESTS)

$(BUILD)/selfcheck/sanitizers: fuzz/selfcheck/sanitizers.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS) -lcriterion

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
$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/common.o $(HARNESS_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CXX) $(LDFLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS) -lbenchmark -lpthread

# ---- plugins: optbench/plugin.h, examples/plugins/, tests/test_plugin.c ----
include examples/plugins/plugins.mk
