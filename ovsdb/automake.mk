# The OVSDB (RFC 7047) client and typed helpers for the Open_vSwitch schema.
lib_libvplug_la_SOURCES += \
	ovsdb/ovsdb-client.c ovsdb/ovsdb-client.h \
	ovsdb/vswitch.c ovsdb/vswitch.h
