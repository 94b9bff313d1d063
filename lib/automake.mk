noinst_LTLIBRARIES += lib/libvplug.la
lib_libvplug_la_SOURCES = \
	lib/vplug-util.c lib/vplug-util.h \
	lib/vjson.h \
	lib/netns.c lib/netns.h \
	lib/netns-pool.c lib/netns-pool.h \
	lib/rtnl.c lib/rtnl.h \
	lib/sysctl.c lib/sysctl.h \
	lib/ethtool.c lib/ethtool.h \
	lib/probe.c lib/probe.h \
	lib/topology.c lib/topology.h \
	lib/topo-gen.c lib/topo-gen.h \
	lib/json-pos.c lib/json-pos.h
