# vplug's view of the Open_vSwitch database (vswitch-idl) and of OVN's
# databases, on OVS's IDL.
lib_libvplug_la_SOURCES += \
	ovsdb/vswitch.c ovsdb/vswitch.h \
	ovsdb/ovn-db.c ovsdb/ovn-db.h
nodist_lib_libvplug_la_SOURCES = \
	ovsdb/ovn-nb-idl.c ovsdb/ovn-nb-idl.h \
	ovsdb/ovn-sb-idl.c ovsdb/ovn-sb-idl.h
BUILT_SOURCES += ovsdb/ovn-nb-idl.h ovsdb/ovn-sb-idl.h

# The OVN Northbound and Southbound IDLs, generated at build time with OVS's
# ovsdb-idlc from the schemas that ovn-central ships, as OVN itself does
# ('annotate', then 'c-idl-header' and 'c-idl-source').
# ovsdb-idlc and its Python modules come from the OVS tree, so a bundled
# OVS must be unpacked first ($(OVS_STAMP)).
OVSDB_IDLC = PYTHONPATH="$(OVS_SRCDIR)/python$${PYTHONPATH:+:$$PYTHONPATH}" \
	$(PYTHON3) $(OVS_SRCDIR)/ovsdb/ovsdb-idlc.in
EXTRA_DIST += ovsdb/ovn-nb.ann ovsdb/ovn-sb.ann
CLEANFILES += \
	ovsdb/ovn-nb-idl.ovsidl ovsdb/ovn-nb-idl.c ovsdb/ovn-nb-idl.h \
	ovsdb/ovn-sb-idl.ovsidl ovsdb/ovn-sb-idl.c ovsdb/ovn-sb-idl.h

# Kept: the rules below chain through them.
.SECONDARY: ovsdb/ovn-nb-idl.ovsidl ovsdb/ovn-sb-idl.ovsidl
ovsdb/ovn-%-idl.ovsidl: $(OVN_SCHEMA_DIR)/ovn-%.ovsschema \
		$(srcdir)/ovsdb/ovn-%.ann $(OVS_STAMP)
	$(AM_V_GEN)$(MKDIR_P) ovsdb && \
	$(OVSDB_IDLC) annotate $(OVN_SCHEMA_DIR)/ovn-$*.ovsschema \
		$(srcdir)/ovsdb/ovn-$*.ann > $@.tmp && mv $@.tmp $@
ovsdb/ovn-%-idl.h: ovsdb/ovn-%-idl.ovsidl
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-header $< > $@.tmp && mv $@.tmp $@
ovsdb/ovn-%-idl.c: ovsdb/ovn-%-idl.ovsidl ovsdb/ovn-%-idl.h
	$(AM_V_GEN)$(OVSDB_IDLC) c-idl-source $< > $@.tmp && mv $@.tmp $@
lib_libvplug_la_SOURCES += \
	ovsdb/remote.c ovsdb/remote.h
