# plugins.mk — included by the Makefile: builds the example plugins
# (optbench/plugin.h) as shared objects and makes tests/test_plugin.c and
# tests/test_plugin_cmd.c wait for them.
# Shared objects in $(BUILD)/plugins.  optbench_kernels.so carries its own
# copy of libob: the -fPIC objects libob.so is made of (every ISA, each with
# its folder's flags), exporting only the registration function
# (plugin.map; examples/plugins/optbench_kernels.c says why this way);
# plain_adamw.so and the fixtures need nothing of optbench but its header.
PLUGIN_DIR = $(BUILD)/plugins
PLUGIN_CFLAGS = -std=c11 -O2 -g $(WARN) -ffp-contract=off -fPIC -shared -fvisibility=hidden -Iinclude
PLUGIN_BAD = no_symbol wrong_abi unknown_optimizer bad_layout bad_dtype no_step duplicate unknown_hparam \
  register_fails registers_nothing
PLUGINS = $(addprefix $(PLUGIN_DIR)/,optbench_kernels.so plain_adamw.so crashers.so lifecycle.so nudged.so not_a_plugin.so \
  $(PLUGIN_BAD:%=bad_%.so))
build-all: $(PLUGINS)
$(BUILD)/tests/test_plugin $(BUILD)/tests/test_plugin_cmd: | $(PLUGINS)
$(BUILD)/tests/test_plugin.o $(BUILD)/tests/test_plugin_cmd.o: CFLAGS += -DOB_PLUGIN_DIR='"$(CURDIR)/$(PLUGIN_DIR)"'
$(PLUGIN_DIR)/optbench_kernels.so: examples/plugins/optbench_kernels.c examples/plugins/plugin.map $(LIBOB_PIC_OBJS) \
  $(wildcard include/optbench/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -fvisibility=hidden $< $(LIBOB_PIC_OBJS) \
	  -Wl,--version-script=examples/plugins/plugin.map -o $@ $(LDFLAGS) $(LIBOB_LIBS)
$(PLUGIN_DIR)/%.so: examples/plugins/%.c include/optbench/plugin.h include/optbench/hparams.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@ -lm
$(PLUGIN_DIR)/%.so: examples/plugins/fixtures/%.c include/optbench/plugin.h include/optbench/hparams.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $< -o $@
$(PLUGIN_DIR)/bad_%.so: examples/plugins/fixtures/bad.c include/optbench/plugin.h include/optbench/hparams.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -DBAD_$* $< -o $@
$(PLUGIN_DIR)/not_a_plugin.so: examples/plugins/fixtures/not_a_plugin.txt
	@mkdir -p $(@D)
	cp $< $@

# ---- DeepSpeed's CPU Adam (examples/plugins/deepspeed_adam.cc) ---------------
# Built only when DEEPSPEED_HOME points at a DeepSpeed source tree holding
# the three files it needs (README "DeepSpeed's CPU Adam"); otherwise
# nothing is built and tests/test_deepspeed.c and `bench --peer deepspeed`
# say SKIPPED.  DeepSpeed's cpu_adam_impl.cpp is compiled from that tree
# with DeepSpeed's own flags (op_builder/builder.py, TorchCPUOpBuilder:
# -O3 -std=c++17 -g -Wno-reorder -march=native -fopenmp, the SIMD macro
# its simd_width() picks from the CPU flags, -D__DISABLE_CUDA__), plus
# -fPIC and hidden visibility, with examples/plugins/deepspeed/ first on
# the include path for the stand-in torch/extension.h.  The adapter is our
# code: our warnings, DeepSpeed's headers as system headers (their
# `#pragma unroll` is not gcc's).  DEEPSPEED_SIMD overrides the macro.
DEEPSPEED_FILES = csrc/adam/cpu_adam_impl.cpp csrc/includes/cpu_adam.h csrc/includes/simd.h
DEEPSPEED_OK = $(if $(DEEPSPEED_HOME),$(if $(strip $(foreach f,$(DEEPSPEED_FILES),\
  $(if $(wildcard $(DEEPSPEED_HOME)/$(f)),,missing))),,yes))
DEEPSPEED_SIMD = $(shell grep -qw avx512f /proc/cpuinfo && echo -D__AVX512__ || \
  { grep -qw avx2 /proc/cpuinfo && echo -D__AVX256__; } || echo -D__SCALAR__)
DEEPSPEED_CXXFLAGS = -O3 -std=c++17 -g -Wno-reorder -march=native -fopenmp $(DEEPSPEED_SIMD) -D__DISABLE_CUDA__ \
  -fPIC -fvisibility=hidden -Iexamples/plugins/deepspeed
DEEPSPEED_OBJ = $(BUILD)/plugins/deepspeed
ifeq ($(DEEPSPEED_OK),yes)
build-all: $(PLUGIN_DIR)/deepspeed_adam.so
$(BUILD)/tests/test_deepspeed: | $(PLUGIN_DIR)/deepspeed_adam.so
$(DEEPSPEED_OBJ)/cpu_adam_impl.o: $(DEEPSPEED_HOME)/csrc/adam/cpu_adam_impl.cpp \
  $(addprefix $(DEEPSPEED_HOME)/,$(DEEPSPEED_FILES)) examples/plugins/deepspeed/torch/extension.h
	@mkdir -p $(@D)
	$(CXX) $(DEEPSPEED_CXXFLAGS) -I$(DEEPSPEED_HOME)/csrc/includes -c $< -o $@
$(DEEPSPEED_OBJ)/deepspeed_adam.o: examples/plugins/deepspeed_adam.cc $(addprefix $(DEEPSPEED_HOME)/,$(DEEPSPEED_FILES)) \
  examples/plugins/deepspeed/torch/extension.h include/optbench/plugin.h include/optbench/hparams.h
	@mkdir -p $(@D)
	$(CXX) $(DEEPSPEED_CXXFLAGS) $(WARN) -Iinclude -isystem $(DEEPSPEED_HOME)/csrc/includes -c $< -o $@
$(PLUGIN_DIR)/deepspeed_adam.so: $(DEEPSPEED_OBJ)/deepspeed_adam.o $(DEEPSPEED_OBJ)/cpu_adam_impl.o
	$(CXX) -shared -fopenmp $^ -o $@
endif
$(BUILD)/tests/test_deepspeed.o: CFLAGS += -DOB_PLUGIN_DIR='"$(CURDIR)/$(PLUGIN_DIR)"'
# `bench --peer deepspeed` loads the adapter this build makes (bench_peer.c).
$(BUILD)/harness/bench/bench_peer.o: CFLAGS += -DOB_DEEPSPEED_PLUGIN='"$(CURDIR)/$(PLUGIN_DIR)/deepspeed_adam.so"'
