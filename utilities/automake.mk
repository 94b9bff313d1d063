# The vplug command, its man pages, completion and service unit.
bin_PROGRAMS += utilities/vplug
utilities_vplug_SOURCES = utilities/vplug.c \
	utilities/vplug-json.c utilities/vplug-json.h
utilities_vplug_LDADD = $(VPLUG_LIBS)

man_MANS += utilities/vplug.8 utilities/vplugd.8
EXTRA_DIST += utilities/vplug.8 utilities/vplugd.8 \
	utilities/vplugd.service utilities/vplug.bash-completion \
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
