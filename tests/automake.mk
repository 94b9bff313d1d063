# Tests: one GNU autotest suite (tests/testsuite.at includes one .at file per
# area) and one unit-test binary whose tests register themselves.
noinst_PROGRAMS += tests/test-vplug
tests_test_vplug_SOURCES = \
	tests/test-vplug.c tests/test-vplug.h \
	tests/test-util.c \
	tests/test-topology.c \
	tests/test-rtnl.c \
	tests/test-probe.c \
	tests/test-daemon.c \
	tests/test-engine.c \
	tests/test-ovs.c
tests_test_vplug_LDADD = $(VPLUG_LIBS)

TESTSUITE_AT = \
	tests/testsuite.at \
	tests/vplug-macros.at \
	tests/util.at \
	tests/topology.at \
	tests/kernel.at \
	tests/probe.at \
	tests/seeds.at \
	tests/cli.at \
	tests/completion.at \
	tests/graph.at \
	tests/json.at \
	tests/progress.at \
	tests/faults.at \
	tests/ovs.at \
	tests/ovn.at \
	tests/vplugd.at \
	tests/remotes.at \
	tests/scale.at \
	tests/hostile.at
TESTSUITE = $(srcdir)/tests/testsuite
EXTRA_DIST += $(TESTSUITE_AT) $(TESTSUITE) tests/atlocal.in \
	tests/package.m4 tests/data tests/svg-check.py
DISTCLEANFILES += tests/atconfig tests/atlocal

AUTOM4TE = autom4te
AUTOTEST = $(AUTOM4TE) -l autotest
AUTOTEST_PATH = utilities:plugin:tests:$(srcdir)/tests

check-local: tests/atconfig tests/atlocal $(TESTSUITE) $(noinst_PROGRAMS) \
		$(bin_PROGRAMS) $(sbin_PROGRAMS)
	$(SHELL) '$(TESTSUITE)' -C tests AUTOTEST_PATH='$(AUTOTEST_PATH)' \
		$(TESTSUITEFLAGS)

clean-local:
	test ! -f '$(TESTSUITE)' || $(SHELL) '$(TESTSUITE)' -C tests --clean

$(TESTSUITE): tests/package.m4 $(TESTSUITE_AT)
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -I '$(srcdir)/tests' -I tests \
		-o $@.tmp $@.at && mv $@.tmp $@

tests/package.m4: $(top_srcdir)/configure.ac
	$(AM_V_GEN){ \
	  echo '# Signature of the current package.'; \
	  echo 'm4_define([AT_PACKAGE_NAME],      [$(PACKAGE_NAME)])'; \
	  echo 'm4_define([AT_PACKAGE_TARNAME],   [$(PACKAGE_TARNAME)])'; \
	  echo 'm4_define([AT_PACKAGE_VERSION],   [$(PACKAGE_VERSION)])'; \
	  echo 'm4_define([AT_PACKAGE_STRING],    [$(PACKAGE_STRING)])'; \
	  echo 'm4_define([AT_PACKAGE_BUGREPORT], [$(PACKAGE_BUGREPORT)])'; \
	} > $@.tmp && mv $@.tmp $@

# The benchmark and the long fault-injection run are not part of "make check".
.PHONY: bench soak bench-dataplane
EXTRA_DIST += tests/bench/README tests/bench/bench-lib.sh \
	tests/bench/bench-report tests/bench/run-bench tests/bench/soak \
	tests/bench/plug-bench tests/bench/bench-dataplane tests/bench/ovn-bench tests/bench/async-bench tests/bench/socket-bench tests/bench/sigterm-bench tests/ns-lib.sh \
	tests/complete.bash
bench-dataplane: all
	PATH=$(abs_builddir)/utilities:$$PATH $(SHELL) $(srcdir)/tests/bench/bench-dataplane $(BENCH_DATAPLANE_FLAGS)
# The kernel floor of "make bench": built by it, not by "make all".
EXTRA_PROGRAMS += tests/bench/kernel-floor
tests_bench_kernel_floor_SOURCES = tests/bench/kernel-floor.c
# The kernel's own headers only, not OVS's wrappers of them.
tests_bench_kernel_floor_CPPFLAGS = -D_GNU_SOURCE
bench: all tests/bench/kernel-floor
	$(SHELL) $(srcdir)/tests/bench/run-bench $(BENCHFLAGS)
soak: all
	$(SHELL) $(srcdir)/tests/bench/soak $(SOAKFLAGS)
