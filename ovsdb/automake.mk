# vplug's view of the Open_vSwitch database, on OVS's IDL (vswitch-idl).
lib_libvplug_la_SOURCES += \
	ovsdb/vswitch.c ovsdb/vswitch.h
lib_libvplug_la_SOURCES += \
	ovsdb/remote.c ovsdb/remote.h
