# plugins.mk — included by the Makefile: builds the example plugins
# (optbench/plugin.h) as shared objects and makes tests/test_plugin.c and
# tests/test_plugin_cmd.c wait for them.
# Shared objects in $(BUILD)/plugins.  optbench_kernels.so carries its own
# -fPIC copy of the framework, the scalar kernels and the reference (libob.a
# is not -fPIC; examples/plugins/optbench_kernels.c says why this way);
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
$(PLUGIN_DIR)/optbench_kernels.so: examples/plugins/optbench_kernels.c \
  $(wildcard kernels/framework/*.c kernels/scalar/*.c reference/*.c) \
  $(wildcard include/optbench/*.h kernels/*.h kernels/framework/*.h kernels/scalar/*.h reference/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) $(NOVEC) -fPIC -shared -fvisibility=hidden $(filter %.c,$^) -o $@ -lm
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
