# postern: GNU make, C11 + POSIX, libraries through pkg-config.
# `make` builds into build/, `make check` runs the whole suite twice (plain,
# then ASan+UBSan in build-asan/), `make fuzz` runs the fuzz harnesses.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
MANDIR = $(PREFIX)/share/man
SHAREDIR = $(PREFIX)/share/postern
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/vendor-completions
SYSTEMDDIR = $(PREFIX)/lib/systemd/system

O ?= build
CC ?= cc
PKGS = openssl jansson ldap libunbound libcurl libcrypt readline libarchive \
	libxml-2.0 gumbo libsrtp2
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter
ifdef CI
WARN += -Werror
endif
ifdef WERROR
WARN += -Werror
endif
SANITIZE ?=
ifeq ($(SANITIZE),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) -Ilib $(PKG_CFLAGS) -MMD -MP
# --as-needed: a program records only the shared libraries it calls, so a
# small filter does not pay at start-up for the libraries of the big daemons.
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -Wl,--as-needed

# Library layers, lowest first. A module may include headers of its own
# layer and of the layers below, never above (t0001 checks this).
LAYER1 = util
LAYER2 = conf
LAYER3 = dir net dns mail wbxml sip media html
LAYER4 = tls spam spf smtp
LAYER5 = http smime content
LAYERS = $(LAYER1) $(LAYER2) $(LAYER3) $(LAYER4) $(LAYER5)

LIB_SRCS := $(foreach m,$(LAYERS),$(wildcard lib/$(m)/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIBA = $(O)/libpostern.a

PROGS := $(notdir $(wildcard cmd/*))
PROG_BINS := $(PROGS:%=$(O)/bin/%)

SVC_SRCS := $(wildcard testsuite/svc/*.c)
TOOL_SRCS := $(wildcard testsuite/tools/*.c)
UNIT_SRCS := $(wildcard testsuite/unit/*.c)
FUZZ_SRCS := $(wildcard testsuite/fuzz/*.c)
TEST_BINS := $(O)/bin/postern-testd $(TOOL_SRCS:testsuite/tools/%.c=$(O)/tools/%) \
	$(UNIT_SRCS:testsuite/unit/%.c=$(O)/unit/%)

.PHONY: all check test test-asan demo fuzz fuzz-build bench install uninstall \
	clean deps docs lint-man
all: $(LIBA) $(PROG_BINS) $(O)/tools/conf-doc

deps:
	@sh share/deps.sh

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# A program is every .c file in cmd/<prog>/, linked with the library.
.SECONDEXPANSION:
$(O)/bin/%: $$(addprefix $(O)/,$$(addsuffix .o,$$(basename $$(wildcard cmd/$$*/*.c)))) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBA) $(PKG_LIBS)

# scl-score runs once per message, where loading a shared library costs
# more than its work: libjansson's archive (position-independent code) is
# linked in. Everything else stays shared: libldap and the iconv modules
# are loaded at run time, which a static glibc program cannot do safely.
$(O)/bin/scl-score: PKG_LIBS := -Wl,-Bstatic -ljansson -Wl,-Bdynamic \
	$(filter-out -ljansson,$(PKG_LIBS))

$(O)/bin/postern-testd: $(SVC_SRCS:%.c=$(O)/%.o) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBA) $(PKG_LIBS)

$(O)/tools/%: $(O)/testsuite/tools/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(PKG_LIBS)

$(O)/unit/%: $(O)/testsuite/unit/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(PKG_LIBS)

# The test binaries, built for a run of the suite.
testbins: all $(TEST_BINS)
.PHONY: testbins

# make check: deps, the plain run, then the ASan+UBSan run; the last line
# is "N passed, N failed" over both.
check: deps
	@$(MAKE) --no-print-directory testbins docs-check-prep
	@$(MAKE) --no-print-directory O=build-asan SANITIZE=1 CFLAGS="-O1 -g" testbins
	@$(MAKE) --no-print-directory fuzz-build
	@sh testsuite/run-tests.sh build build-asan

test: testbins
	@sh testsuite/run-tests.sh $(O)

# Fuzzing: clang with libFuzzer; each harness in testsuite/fuzz/NAME.c has a
# seed corpus in testsuite/fuzz/corpus/NAME/.
FUZZ_O = build-fuzz
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib $(PKG_CFLAGS)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_O)/%.o)
FUZZ_BINS := $(FUZZ_SRCS:testsuite/fuzz/%.c=$(FUZZ_O)/%)
FUZZ_SECONDS ?= 60
$(FUZZ_O)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS:-fsanitize=fuzzer%=-fsanitize=fuzzer-no-link%) -MMD -MP -c -o $@ $<
$(FUZZ_O)/libpostern.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_O)/%: testsuite/fuzz/%.c $(FUZZ_O)/libpostern.a
	clang $(FUZZ_CFLAGS) -MMD -MP -MF $@.d -o $@ $< $(FUZZ_O)/libpostern.a $(PKG_LIBS)
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@for f in $(FUZZ_BINS); do n=$${f##*/}; mkdir -p $(FUZZ_O)/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(FUZZ_O)/corpus/$$n \
	    testsuite/fuzz/corpus/$$n || exit 1; done

# Docs: the CONFIGURATION parts of the man pages come from the key tables.
MANPAGES := $(wildcard man/*.[1-8])
docs: all
	@sh man/gen-config.sh $(O)
	@sh completions/gen.sh $(O)
	@dot -Tsvg share/doc/perimeter.dot >share/doc/perimeter.svg
docs-check-prep: all

bench: testbins
	@sh share/deps.sh bench
	@st=0; for b in bench/*.sh; do [ -e "$$b" ] || continue; echo "== $$b"; \
	  BUILD=$(O) bash $$b || { echo "bench: $$b missed its target or failed"; st=1; }; done; exit $$st

demo: deps all $(O)/tools/eas-client
	@sh share/demo.sh $(O)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR)
	for p in $(PROGS); do install -m 755 $(O)/bin/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANPAGES); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for f in completions/bash/*; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(BASHCOMPDIR)/; done; true
	for f in completions/zsh/*; do [ -e "$$f" ] && install -m 644 $$f $(DESTDIR)$(ZSHCOMPDIR)/; done; true
	cp -R share/. $(DESTDIR)$(SHAREDIR)/
	# deps.sh and the demo belong to the source tree (make deps, make demo).
	rm -rf $(DESTDIR)$(SHAREDIR)/deps.sh $(DESTDIR)$(SHAREDIR)/demo.sh $(DESTDIR)$(SHAREDIR)/demo
	# The default voicemail greeting, synthesised by um-sipd (no WAV in the tree).
	$(O)/bin/um-sipd greeting $(DESTDIR)$(SHAREDIR)/greeting.wav
	# Units and inetd lines name /usr/local/bin in the tree; point them at BINDIR.
	install -d $(DESTDIR)$(SYSTEMDDIR)
	for u in share/systemd/*; do sed 's|/usr/local/bin/|$(BINDIR)/|g' $$u \
		>$(DESTDIR)$(SYSTEMDDIR)/$${u##*/}; chmod 644 $(DESTDIR)$(SYSTEMDDIR)/$${u##*/}; done
	for f in share/systemd/* share/inetd/*; do sed -i 's|/usr/local/bin/|$(BINDIR)/|g' \
		$(DESTDIR)$(SHAREDIR)/$${f#share/}; done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for f in completions/bash/*; do rm -f $(DESTDIR)$(BASHCOMPDIR)/$${f##*/}; done
	for f in completions/zsh/*; do rm -f $(DESTDIR)$(ZSHCOMPDIR)/$${f##*/}; done
	rm -rf $(DESTDIR)$(SHAREDIR)
	for u in share/systemd/*; do rm -f $(DESTDIR)$(SYSTEMDDIR)/$${u##*/}; done

clean:
	rm -rf build build-asan build-fuzz

# the fuzz build's too: a header changed must rebuild what includes it
-include $(shell find $(O) $(FUZZ_O) -name '*.d' 2>/dev/null)
