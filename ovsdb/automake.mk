# vplug's view of the Open_vSwitch database, on OVS's IDL (vswitch-idl).
lib_libvplug_la_SOURCES += \
	ovsdb/vswitch.c ovsdb/vswitch.h \
	ovsdb/ovn-db.c ovsdb/ovn-db.h
nodist_lib_libvplug_la_SOURCES = ovsdb/ovn-nb-idl.c ovsdb/ovn-nb-idl.h
BUILT_SOURCES += ovsdb/ovn-nb-idl.h

# The OVN Northbound IDL, generated at build time with OVS's ovsdb-idlc from
# the schema that ovn-central ships, as OVN itself does ('annotate', then
# 'c-idl-header' and 'c-idl-source').
# ovsdb-idlc and its Python modules come from the OVS tree, so a bundled
# OVS must be unpacked first ($(OVS_STAMP)).
OVSDB_IDLC = PYTHONPATH="$(OVS_SRCDIR)/python$${PYTHONPATH:+:$$PYTHONPATH}" \
	$(PYTHON3) $(OVS_SRCDIR)/ovsdb/ovsdb-idlc.in
OVN_NB_SCHEMA = $(OVN_SCHEMA_DIR)/ovn-nb.ovsschema
EXTRA_DIST += ovsdb/ovn-nb.ann
CLEANFILES += ovsdb/ovn-nb-idl.ovsidl ovsdb/ovn-nb-idl.c ovsdb/ovn-nb-idl.h

ovsdb/ovn-nb-idl.ovsidl: $(OVN_NB_SCHEMA) $(srcdir)/ovsdb/ovn-nb.ann $(OVS_STAMP)
	$(AM_V_GEN)$(MKDIR_P) ovsdb && \
	$(OVSDB_IDLC) annotate $(OVN_NB_SCHEMA) $(srcdir)/ovsdb/ovn-nb.ann \
		> $@.tmp && mv $@.tmp $@
ovsdb/ovn-nb-idl.h: ovsdb/ovn-nb-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-header $< > $@.tmp && mv $@.tmp $@
ovsdb/ovn-nb-idl.c: ovsdb/ovn-nb-idl.ovsidl ovsdb/ovn-nb-idl.h
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-source $< > $@.tmp && mv $@.tmp $@
lib_libvplug_la_SOURCES += \
	ovsdb/remote.c ovsdb/remote.h
