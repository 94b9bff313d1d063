# libFuzzer targets, as OVS fuzzes its own parsers: "make fuzz" builds them
# with clang-15, ASan and UBSan; "make fuzz-run FUZZ_SECONDS=N" runs each
# for N seconds from its seed corpus tests/fuzz/corpus-TARGET (new inputs
# go to tests/fuzz/run-TARGET in the build tree, crashes to
# tests/fuzz/crash-TARGET-*).  Not part of "make check".
FUZZ_TARGETS = topology link plug state commands
FUZZ_SECONDS = 20
FUZZ_RUNFLAGS =
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_CPPFLAGS = $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS)
# Everything the targets link besides vplug's own code, in one place.
FUZZ_LINK = $(OVS_BUILDDIR)/lib/.libs/libopenvswitch.a $(FUZZ_OVS_DEPS) \
	$(LIBNL_ROUTE_LIBS) $(LIBNL_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) \
	-latomic -lm -lpthread
# What libopenvswitch itself links (libcap-ng when its configure found it),
# as libtool records it, with its own .la helpers as the archives in .libs.
FUZZ_OVS_DEPS = $(shell sed -n "s/^dependency_libs='\(.*\)'$$/\1/p" \
	$(OVS_BUILDDIR)/lib/libopenvswitch.la 2>/dev/null \
	| sed 's|\([^ ]*\)/\([^ /]*\)\.la|\1/.libs/\2.a|g')
FUZZ_LIB_SRCS = $(filter %.c,$(lib_libvplug_la_SOURCES))
# Generated into the build tree (the OVN Northbound IDL).
FUZZ_LIB_BUILT_SRCS = $(filter %.c,$(nodist_lib_libvplug_la_SOURCES))
FUZZ_LIB_OBJECTS = $(patsubst %.c,tests/fuzz/obj/%.o,$(FUZZ_LIB_SRCS)) \
	$(patsubst %.c,tests/fuzz/built/%.o,$(FUZZ_LIB_BUILT_SRCS))
FUZZ_LIB = tests/fuzz/libvplug-fuzz.a
FUZZ_BINS = $(patsubst %,tests/fuzz/fuzz-%,$(FUZZ_TARGETS))

EXTRA_DIST += tests/fuzz/fuzz.h \
	tests/fuzz/fuzz-topology.c tests/fuzz/corpus-topology \
	tests/fuzz/fuzz-link.c tests/fuzz/corpus-link \
	tests/fuzz/fuzz-plug.c tests/fuzz/corpus-plug \
	tests/fuzz/fuzz-state.c tests/fuzz/corpus-state \
	tests/fuzz/fuzz-commands.c tests/fuzz/corpus-commands
CLEANFILES += $(FUZZ_BINS) $(FUZZ_LIB) $(FUZZ_LIB_OBJECTS)

.PHONY: fuzz fuzz-run
if HAVE_FUZZ_CC
fuzz: $(FUZZ_BINS)

$(FUZZ_LIB_OBJECTS): $(filter %.h,$(lib_libvplug_la_SOURCES))
tests/fuzz/obj/%.o: $(srcdir)/%.c
	@mkdir -p $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_FLAGS) \
		-fsanitize=fuzzer-no-link -c $< -o $@

tests/fuzz/built/%.o: %.c
	@mkdir -p $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_FLAGS) \
		-fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJECTS)
	$(AM_V_AR)rm -f $@ && $(AR) cr $@ $(FUZZ_LIB_OBJECTS)

tests/fuzz/fuzz-%: $(srcdir)/tests/fuzz/fuzz-%.c $(srcdir)/tests/fuzz/fuzz.h \
		$(FUZZ_LIB)
	@mkdir -p $(@D)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer \
		$< $(FUZZ_LIB) $(FUZZ_LINK) -o $@

fuzz-run: fuzz
	@for t in $(FUZZ_TARGETS); do \
	    echo "== fuzz-$$t for $(FUZZ_SECONDS) s"; \
	    mkdir -p tests/fuzz/run-$$t; \
	    tests/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 -artifact_prefix=tests/fuzz/crash-$$t- \
		$(FUZZ_RUNFLAGS) tests/fuzz/run-$$t \
		$(srcdir)/tests/fuzz/corpus-$$t || exit 1; \
	done
else
fuzz fuzz-run:
	@echo "make $@ needs clang 15 with libFuzzer: apt-get install clang-15 libfuzzer-15-dev, then run configure again" >&2
	@exit 1
endif
