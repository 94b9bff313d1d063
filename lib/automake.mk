noinst_LTLIBRARIES += lib/libvplug.la
lib_libvplug_la_SOURCES = \
	lib/util.c lib/util.h \
	lib/vlog.c lib/vlog.h \
	lib/poll-loop.c lib/poll-loop.h \
	lib/netns.c lib/netns.h \
	lib/netns-pool.c lib/netns-pool.h \
	lib/rtnl.c lib/rtnl.h \
	lib/sysctl.c lib/sysctl.h \
	lib/ethtool.c lib/ethtool.h \
	lib/probe.c lib/probe.h \
	lib/topology.c lib/topology.h \
	lib/topo-gen.c lib/topo-gen.h \
	lib/json-pos.c lib/json-pos.h \
	lib/stream.c lib/stream.h \
	lib/jsonrpc.c lib/jsonrpc.h \
	lib/unixctl.c lib/unixctl.h \
	lib/daemon.c lib/daemon.h
