# The engine, the switch backends, the OVS sandbox and the daemon.
lib_libvplug_la_SOURCES += \
	plugin/backend.c plugin/backend.h \
	plugin/commands.c plugin/commands.h \
	plugin/engine.c plugin/engine.h plugin/engine-private.h \
	plugin/engine-kernel.c \
	plugin/engine-plan.c \
	plugin/engine-repair.c \
	plugin/engine-show.c \
	plugin/engine-state.c \
	plugin/engine-switch.c \
	plugin/engine-verify.c \
	plugin/graph.c plugin/graph.h plugin/graph-private.h \
	plugin/graph-dot.c \
	plugin/graph-svg.c \
	plugin/direct.c \
	plugin/bridge.c \
	plugin/ovn.c \
	plugin/ovs.c \
	plugin/sandbox.c plugin/sandbox.h plugin/sandbox-private.h \
	plugin/sandbox-ovn.c plugin/sandbox-ovn.h \
	plugin/vif.c plugin/vif.h

sbin_PROGRAMS += plugin/vplugd
plugin_vplugd_SOURCES = \
	plugin/vplugd.c plugin/vplugd.h \
	plugin/vplugd-commands.c \
	plugin/vplugd-gate.c plugin/vplugd-gate.h \
	plugin/vplugd-heal.c \
	plugin/vplugd-jobs.c \
	plugin/vplugd-status.c
plugin_vplugd_LDADD = $(VPLUG_LIBS)
