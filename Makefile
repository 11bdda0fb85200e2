# SPDX-License-Identifier: GPL-2.0
# echomap: one top-level build. Quiet by default, V=1 shows commands; everything under .output/.

OUTPUT    := .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
PKGS      := libbpf libxdp libelf zlib libmnl libcares libpng libmicrohttpd yaml-0.1 libcurl \
	     libcrypt
ARCH_INC  := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)
VERSION   := $(shell cat VERSION)
# The commit --version names; the Debian build's copy of the tree has no .git and is given it.
EM_COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# make install: PREFIX, DESTDIR and each directory can be overridden (debian/rules does).
PREFIX         ?= /usr/local
BINDIR         ?= $(PREFIX)/bin
MANDIR         ?= $(PREFIX)/share/man
DOCDIR         ?= $(PREFIX)/share/doc/echomap
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR     ?= $(PREFIX)/share/zsh/site-functions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP -Iinclude -Iuser -I$(OUTPUT) \
	     $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
# SAN=1: user space, tests and fixtures with ASan and UBSan; any finding aborts the program.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ifeq ($(SAN),1)
CFLAGS    += $(SAN_FLAGS)
endif
BPF_CFLAGS := -target bpf -g -O2 -mcpu=v3 -Wall -Werror -MMD -MP -Iinclude -Ibpf -I$(ARCH_INC)

BPF_SRCS     := $(wildcard bpf/*.bpf.c)
FIXTURE_BPF  := $(wildcard tests/fixtures/*.bpf.c)
BPF_OBJS     := $(patsubst %.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS) $(FIXTURE_BPF))
# The flags every user-space object was built with: a change (SAN=1 on or off, CFLAGS) rewrites
# the stamp, which every object depends on, so nothing links objects of two builds.
FLAGS_STAMP  := $(OUTPUT)/flags
BUILD_FLAGS  := $(strip $(CC) $(CFLAGS) $(LDLIBS))
ifneq ($(BUILD_FLAGS),$(strip $(file <$(FLAGS_STAMP))))
$(shell mkdir -p $(OUTPUT))
$(file >$(FLAGS_STAMP),$(BUILD_FLAGS))
endif
SKELS        := $(patsubst %.bpf.c,$(OUTPUT)/%.skel.h,$(notdir $(BPF_SRCS) $(FIXTURE_BPF)))

USER_SRCS    := $(shell find user -name '*.c' | sort)
USER_OBJS    := $(patsubst %.c,$(OUTPUT)/%.o,$(USER_SRCS))
LIB_OBJS     := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))

TEST_SRCS    := $(wildcard tests/unit/test_*.c tests/integration/test_*.c tests/bpf/test_*.c)
TEST_BINS    := $(patsubst %.c,$(OUTPUT)/%,$(TEST_SRCS))
FIXTURE_SRCS := $(filter-out %.bpf.c,$(wildcard tests/fixtures/*.c))
FIXTURE_BINS := $(patsubst %.c,$(OUTPUT)/%,$(FIXTURE_SRCS))
MAN_PAGES    := $(patsubst docs/man/%.scd,$(OUTPUT)/man/%,$(wildcard docs/man/*.8.scd))

DEBIAN_PKGS := make clang llvm gcc pkg-config bpftool libbpf-dev libxdp-dev xdp-tools libelf-dev \
	       zlib1g-dev libmnl-dev libc-ares-dev libpng-dev libcmocka-dev bats iproute2 \
	       iputils-ping nftables jq bc time dnsmasq-base procps util-linux libmicrohttpd-dev \
	       curl prometheus supervisor scdoc man-db zsh build-essential debhelper lintian \
	       libclang-rt-14-dev kmod libyaml-dev libcurl4-openssl-dev libcrypt-dev openssl \
	       apache2-utils \
	       clickhouse-server clickhouse-client
# Only make bench needs these: the rivals it measures against, the capture and the chart.
BENCH_PKGS  := zmap fping tcpdump gnuplot-nox scamper

.PHONY: all clean test demo deps bench vmtest check-tools install uninstall man deb format FORCE fuzz
.DELETE_ON_ERROR:
# Skeletons and BPF objects are intermediate files: keep them, so nothing rebuilds twice.
.SECONDARY:

all: check-tools $(OUTPUT)/echomap $(FIXTURE_BINS) $(MAN_PAGES)

check-tools:
	@command -v $(CLANG) >/dev/null || { echo "missing clang: run 'make deps'" >&2; exit 1; }
	@command -v $(BPFTOOL) >/dev/null || { echo "missing bpftool: run 'make deps'" >&2; exit 1; }
	@command -v scdoc >/dev/null || { echo "missing scdoc: run 'make deps'" >&2; exit 1; }
	@v=$$($(CLANG) -dumpversion | cut -d. -f1); [ "$$v" -ge 11 ] || \
		{ echo "clang $$v too old: need >= 11 for BPF atomics" >&2; exit 1; }
	@pkg-config --exists $(PKGS) || { echo "missing libraries ($(PKGS)): run 'make deps'" >&2; exit 1; }

deps:
	@missing=$$(for p in $(DEBIAN_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
		grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  APT      $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/tests/unit $(OUTPUT)/tests/integration $(OUTPUT)/tests/bpf \
	$(OUTPUT)/tests/fixtures:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/fixtures/%.bpf.o: tests/fixtures/%.bpf.c | $(OUTPUT)/tests/fixtures
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/tests/fixtures/%.bpf.o | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/user/%.o: user/%.c $(SKELS) $(FLAGS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Rewritten only when its content changes: a new commit recompiles version.o alone.
$(OUTPUT)/build_info.h: VERSION FORCE | $(OUTPUT)
	$(Q)printf '#define %s "%s"\n' EM_VERSION '$(VERSION)' EM_COMMIT '$(EM_COMMIT)' \
		EM_LIBBPF_BUILD "$$(pkg-config --modversion libbpf)" \
		EM_LIBXDP_BUILD "$$(pkg-config --modversion libxdp)" >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; \
	else mv -f $@.tmp $@; printf '  %-8s %s\n' GEN $@; fi

$(OUTPUT)/user/cmd/version.o: $(OUTPUT)/build_info.h

$(OUTPUT)/man/%: docs/man/%.scd $(wildcard docs/man/include/*.scd) VERSION
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)awk -v v='$(VERSION)' '/^;include / { f = "docs/man/include/" $$2; \
		while ((getline l < f) > 0) print l; close(f); next } \
		{ gsub(/@VERSION@/, v); print }' $< | scdoc >$@

man: $(MAN_PAGES)

$(OUTPUT)/echomap: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) $(FLAGS_STAMP) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/integration/%: tests/integration/%.c $(LIB_OBJS) $(FLAGS_STAMP) | $(OUTPUT)/tests/integration
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/bpf/%: tests/bpf/%.c $(LIB_OBJS) $(SKELS) $(FLAGS_STAMP) | $(OUTPUT)/tests/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter -Itests/bpf $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/fixtures/%: tests/fixtures/%.c $(SKELS) $(FLAGS_STAMP) | $(OUTPUT)/tests/fixtures
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): clang, with the user-space objects built again for
# coverage under ASan and UBSan, from an archive so that each harness takes only what it needs.
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS    := $(patsubst %.c,$(OUTPUT)/fuzz/%.o,$(filter-out user/main.c,$(USER_SRCS)))
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Iuser -I$(OUTPUT) \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -fno-omit-frame-pointer \
		-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_TIME    ?= 30
FUZZ_FRAMES  ?= 10000000

$(OUTPUT)/fuzz/user/%.o: user/%.c $(SKELS)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(OUTPUT)/fuzz/user/cmd/version.o: $(OUTPUT)/build_info.h

$(OUTPUT)/fuzz/libechomap.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(OUTPUT)/fuzz/libechomap.a
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Wno-unused-function $< \
		$(OUTPUT)/fuzz/libechomap.a $(LDLIBS) -o $@

test: deps all $(TEST_BINS) $(FUZZ_BINS)
	$(Q)tests/run.sh

# The matcher fuzzer at scale, then each harness for FUZZ_TIME seconds from its seed corpus
# (tests/fuzz/corpus/NAME; what it finds goes to .output/fuzz/corpus/NAME, crashes beside it).
fuzz: deps all $(TEST_BINS) $(FUZZ_BINS)
	$(Q)FUZZ_FRAMES=$(FUZZ_FRAMES) CMOCKA_MESSAGE_OUTPUT=TAP $(OUTPUT)/tests/bpf/test_fuzz_matcher
	$(Q)FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh $(FUZZ_BINS)

demo: deps all
	$(Q)tests/demo.sh

bench: DEBIAN_PKGS += $(BENCH_PKGS)
bench: deps all
	$(Q)bench/run.sh
	$(Q)bench/chart.sh
	$(Q)bench/startup.sh
	$(Q)bench/rtt.sh
	$(Q)bench/sweep_rtt.sh
	$(Q)bench/clickhouse.sh
	$(Q)bench/engines.sh
	$(Q)bench/matcher_cost.sh
	$(Q)bench/watch.sh
	$(Q)bench/names.sh
	$(Q)bench/trace.sh
	$(Q)bench/ipv6.sh

vmtest: deps all $(TEST_BINS)
	$(Q)vmtest/run.sh $(if $(KERNEL),--kernel $(KERNEL)) $(if $(MODULES),--modules $(MODULES)) \
		$(if $(CMD),-- $(CMD))

# Installs the binary that was built, with whatever flags it was built with (make SAN=1,
# CFLAGS=... make): install never rebuilds it, and builds it only when there is none.
install: $(MAN_PAGES)
	$(Q)[ -x $(OUTPUT)/echomap ] || $(MAKE) $(OUTPUT)/echomap
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)/examples
	$(Q)install -m 0755 $(OUTPUT)/echomap $(DESTDIR)$(BINDIR)/echomap
	$(Q)install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 0644 contrib/completion/echomap.bash $(DESTDIR)$(BASHCOMPDIR)/echomap
	$(Q)install -m 0644 contrib/completion/_echomap $(DESTDIR)$(ZSHCOMPDIR)/_echomap
	$(Q)sed 's|/usr/local/bin/echomap|$(BINDIR)/echomap|' contrib/systemd/echomap.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/echomap.service
	$(Q)sed 's|/usr/local/bin/echomap|$(BINDIR)/echomap|' contrib/supervisor/echomap.conf \
		>$(DESTDIR)$(DOCDIR)/examples/supervisor-echomap.conf
	$(Q)chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/echomap.service \
		$(DESTDIR)$(DOCDIR)/examples/supervisor-echomap.conf
	$(Q)install -m 0644 README.md $(DESTDIR)$(DOCDIR)/

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(BINDIR)/echomap $(DESTDIR)$(BASHCOMPDIR)/echomap \
		$(DESTDIR)$(ZSHCOMPDIR)/_echomap $(DESTDIR)$(SYSTEMDUNITDIR)/echomap.service \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN_PAGES))) \
		$(DESTDIR)$(DOCDIR)/examples/supervisor-echomap.conf $(DESTDIR)$(DOCDIR)/README.md
	$(Q)rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# echomap_VERSION_amd64.deb in $(OUTPUT)/deb, built by dpkg-buildpackage from a copy of the tree
# (it writes its results next to the source directory).
deb:
	$(call msg,DEB,$(OUTPUT)/deb/echomap_$(VERSION)_amd64.deb)
	$(Q)rm -rf $(OUTPUT)/deb && mkdir -p $(OUTPUT)/deb/echomap-$(VERSION)
	$(Q)tar --exclude=./.output --exclude=./.git -cf - . | \
		tar -C $(OUTPUT)/deb/echomap-$(VERSION) -xf -
	$(Q)cd $(OUTPUT)/deb/echomap-$(VERSION) && EM_COMMIT=$(EM_COMMIT) dpkg-buildpackage -b -us -uc \
		$(if $(filter 1,$(V)),,>../build.log 2>&1 || { tail -40 ../build.log; exit 1; })
	$(Q)lintian --fail-on error $(OUTPUT)/deb/echomap_$(VERSION)_amd64.deb

format:
	clang-format -i $$(find bpf user include tests -name "*.[ch]")

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

-include $(shell find $(OUTPUT) -name "*.d" 2>/dev/null)
