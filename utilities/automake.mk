# The vplug command, its man pages, completion and service unit.
bin_PROGRAMS += utilities/vplug
utilities_vplug_SOURCES = utilities/vplug.c \
	utilities/vplug-json.c utilities/vplug-json.h \
	utilities/vplug-progress.c utilities/vplug-progress.h
utilities_vplug_LDADD = $(VPLUG_LIBS)

man_MANS += utilities/vplug.8 utilities/vplugd.8
EXTRA_DIST += utilities/vplug.8 utilities/vplugd.8 \
	utilities/vplugd.service.in utilities/vplug.bash-completion \
	utilities/bootstrap.sh utilities/vplug-demo.sh \
	utilities/seeds utilities/doc/seed4-ovs.svg

# bash-completion loads completions/NAME for command NAME on demand.
bashcompdir = $(datadir)/bash-completion/completions
install-data-local: install-bash-completion
install-bash-completion:
	$(MKDIR_P) '$(DESTDIR)$(bashcompdir)'
	$(INSTALL_DATA) '$(srcdir)/utilities/vplug.bash-completion' \
		'$(DESTDIR)$(bashcompdir)/vplug'
uninstall-local: uninstall-bash-completion
uninstall-bash-completion:
	rm -f '$(DESTDIR)$(bashcompdir)/vplug'
.PHONY: install-bash-completion uninstall-bash-completion

# The systemd unit, with the sbindir of this build.  Installed, never
# enabled here; packagers install it into /lib/systemd/system by setting
# systemdsystemunitdir.
systemdsystemunitdir = $(prefix)/lib/systemd/system
systemdsystemunit_DATA = utilities/vplugd.service
CLEANFILES += utilities/vplugd.service
utilities/vplugd.service: utilities/vplugd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) utilities && \
	sed 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/utilities/vplugd.service.in \
		> $@.tmp && mv $@.tmp $@

# The Debian package, built by dpkg-buildpackage from this release's
# tarball with utilities/debian laid out as its debian/ directory (the
# source tree keeps its own layout).  VPLUG_DEB_CONFIGURE_FLAGS go to its
# configure.
EXTRA_DIST += utilities/debian
DEB_FILE = $(PACKAGE)_$(VERSION)_$$(dpkg-architecture -qDEB_HOST_ARCH).deb
.PHONY: deb check-deb
deb: dist
	@command -v dpkg-buildpackage >/dev/null || { \
	  echo "make deb needs dpkg-buildpackage: install the Debian packages dpkg-dev and debhelper"; \
	  exit 1; }
	rm -rf _deb && mkdir _deb
	tar -C _deb -xzf $(distdir).tar.gz
	cp -R $(srcdir)/utilities/debian _deb/$(distdir)/debian
	cd _deb/$(distdir) && \
	  DEB_BUILD_OPTIONS="nocheck parallel=$${DEB_JOBS:-2}" \
	  VPLUG_DEB_CONFIGURE_FLAGS='$(VPLUG_DEB_CONFIGURE_FLAGS)' \
	  dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || { \
	    tail -40 ../build.log; echo "dpkg-buildpackage failed; see _deb/build.log"; exit 1; }
	mv _deb/$(DEB_FILE) .
	@echo "built $(DEB_FILE)"

# Builds the package, installs it, runs the installed vplug on the seed's
# OVS scenario in private namespaces, purges it and checks nothing is left.
# Needs root.  CI runs it; "make check" does not (it takes minutes).
check-deb: deb
	$(SHELL) $(srcdir)/tests/check-deb.sh $(DEB_FILE) $(VERSION) \
		$(srcdir)/tests/ns-lib.sh
EXTRA_DIST += tests/check-deb.sh
