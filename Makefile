# SPDX-License-Identifier: GPL-2.0
# echomap: one top-level build. Quiet by default, V=1 shows commands; everything under .output/.

OUTPUT    := .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
PKGS      := libbpf libxdp libelf zlib libmnl libcares libpng libmicrohttpd libcurl
ARCH_INC  := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

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
BPF_CFLAGS := -target bpf -g -O2 -mcpu=v3 -Wall -Werror -MMD -MP -Iinclude -Ibpf -I$(ARCH_INC)

BPF_SRCS     := $(wildcard bpf/*.bpf.c)
FIXTURE_BPF  := $(wildcard tests/fixtures/*.bpf.c)
BPF_OBJS     := $(patsubst %.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS) $(FIXTURE_BPF))
SKELS        := $(patsubst %.bpf.c,$(OUTPUT)/%.skel.h,$(notdir $(BPF_SRCS) $(FIXTURE_BPF)))

USER_SRCS    := $(shell find user -name '*.c' | sort)
USER_OBJS    := $(patsubst %.c,$(OUTPUT)/%.o,$(USER_SRCS))
LIB_OBJS     := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))

TEST_SRCS    := $(wildcard tests/unit/test_*.c tests/integration/test_*.c tests/bpf/test_*.c)
TEST_BINS    := $(patsubst %.c,$(OUTPUT)/%,$(TEST_SRCS))
FIXTURE_SRCS := $(filter-out %.bpf.c,$(wildcard tests/fixtures/*.c))
FIXTURE_BINS := $(patsubst %.c,$(OUTPUT)/%,$(FIXTURE_SRCS))

DEBIAN_PKGS := make clang llvm gcc pkg-config bpftool libbpf-dev libxdp-dev xdp-tools libelf-dev \
	       zlib1g-dev libmnl-dev libc-ares-dev libpng-dev libcmocka-dev bats iproute2 \
	       iputils-ping nftables jq bc time dnsmasq-base procps util-linux libmicrohttpd-dev \
	       curl prometheus supervisor libcurl4-openssl-dev clickhouse-server clickhouse-client
# Only make bench needs these: the rivals it measures against, the capture and the chart.
BENCH_PKGS  := zmap fping tcpdump gnuplot-nox

.PHONY: all clean test demo deps bench vmtest check-tools install format
.DELETE_ON_ERROR:
# Skeletons and BPF objects are intermediate files: keep them, so nothing rebuilds twice.
.SECONDARY:

all: check-tools $(OUTPUT)/echomap $(FIXTURE_BINS)

check-tools:
	@command -v $(CLANG) >/dev/null || { echo "missing clang: run 'make deps'" >&2; exit 1; }
	@command -v $(BPFTOOL) >/dev/null || { echo "missing bpftool: run 'make deps'" >&2; exit 1; }
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

$(OUTPUT)/user/%.o: user/%.c $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/echomap: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c $(LIB_OBJS) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/integration/%: tests/integration/%.c $(LIB_OBJS) | $(OUTPUT)/tests/integration
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/bpf/%: tests/bpf/%.c $(LIB_OBJS) $(SKELS) | $(OUTPUT)/tests/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter -Itests/bpf $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/fixtures/%: tests/fixtures/%.c $(SKELS) | $(OUTPUT)/tests/fixtures
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@

test: deps all $(TEST_BINS)
	$(Q)tests/run.sh

demo: deps all
	$(Q)tests/demo.sh

bench: DEBIAN_PKGS += $(BENCH_PKGS)
bench: deps all
	$(Q)bench/run.sh
	$(Q)bench/chart.sh
	$(Q)bench/startup.sh
	$(Q)bench/rtt.sh
	$(Q)bench/clickhouse.sh
	$(Q)bench/engines.sh
	$(Q)bench/watch.sh
	$(Q)bench/names.sh

vmtest: deps all $(TEST_BINS)
	$(Q)vmtest/run.sh $(if $(KERNEL),--kernel $(KERNEL)) $(if $(CMD),-- $(CMD))

install: all
	install -D -m 0755 $(OUTPUT)/echomap $(DESTDIR)/usr/local/bin/echomap

format:
	clang-format -i $$(find bpf user include tests -name "*.[ch]")

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

-include $(shell find $(OUTPUT) -name "*.d" 2>/dev/null)
