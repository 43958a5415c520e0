# av - topic to published short vertical video, as small Unix tools.
#
#   make            build every cmd/av-*.c into $(BUILD)/bin
#   make check      install missing dependencies, then run the whole suite
#                   twice: plain, and under ASan+UBSan (build-san/)
#   make demo       install missing dependencies, then render demo.mp4 offline
#   make deps       install the Debian packages needed to build and run
#   make install    PREFIX=/usr/local DESTDIR=
#   make lint       cppcheck + clang-tidy with the checked-in configurations
#   make format     clang-format -i on every source file
#   make fuzz       libFuzzer targets, each run for FUZZ_SECONDS
#   make bench      the render reference job; figures to bench/results.txt

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR    = $(PREFIX)/bin
DATADIR   = $(PREFIX)/share/av
MANDIR    = $(PREFIX)/share/man
BUILD    ?= build
SAN      ?= 0
CC       ?= cc
FUZZ_SECONDS ?= 30
V        ?= 0
ifeq ($(V),0)
Q = @
E = @echo
else
Q =
E = @true
endif

PKGS = libcurl jansson sqlite3 yaml-0.1 libcrypto libarchive \
       libavformat libavcodec libavfilter libavutil libswscale libswresample \
       espeak-ng freetype2 harfbuzz fribidi fontconfig expat

# Evaluated lazily, so a sub-make started after `make deps` sees the libraries.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
           -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
           $(CFLAGS) -Ilib $(PKG_CFLAGS) \
           -DAVK_VERSION='"$(VERSION)"' -DAVK_DATADIR='"$(DATADIR)"' -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) -Wl,--as-needed
# flite has no pkg-config file
FLITE_LIBS = -lflite_cmu_us_slt -lflite_cmu_us_rms -lflite_cmu_us_awb \
           -lflite_cmu_us_kal -lflite_usenglish -lflite_cmulex -lflite
LIBS     = $(PKG_LIBS) $(FLITE_LIBS) -lm -lpthread

ifeq ($(SAN),1)
ALL_CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC  = $(sort $(wildcard lib/*.c))
CMD_SRC  = $(sort $(wildcard cmd/av-*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
HELP_SRC = $(sort $(wildcard tests/helpers/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
BINS     = $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPERS  = $(HELP_SRC:tests/helpers/%.c=$(BUILD)/tests/%)
LIBAVK   = $(BUILD)/libavk.a

.PHONY: all build-tests check check-plain check-san test deps ensure-deps demo \
        install uninstall lint format fuzz bench completions clean

all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBAVK): $(LIB_OBJ)
	@rm -f $@
	$(E) "  AR      $@"
	$(Q)ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/cmd/%.o $(LIBAVK)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBAVK) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBAVK)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBAVK) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(LIBAVK)
	@mkdir -p $(dir $@)
	$(E) "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBAVK) $(LIBS)

build-tests: $(BINS) $(UNITS) $(HELPERS)

ensure-deps:
	@sh tools/deps.sh --ensure

# The README's test command.  Both passes must succeed.
check: ensure-deps
	@$(MAKE) --no-print-directory check-plain
	@$(MAKE) --no-print-directory check-san

check-plain:
	@$(MAKE) --no-print-directory build-tests
	@sh tools/run-tests.sh $(BUILD)

check-san:
	@$(MAKE) --no-print-directory BUILD=build-san SAN=1 build-tests
	@sh tools/run-tests.sh build-san

test: check-plain

deps:
	@sh tools/deps.sh --install

demo: ensure-deps
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh $(BUILD)/bin

completions: $(BINS)
	@sh tools/gen-completions.sh $(BUILD)/bin

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	cp -R share/templates $(DESTDIR)$(DATADIR)/
	[ ! -d share/stopwords ] || cp -R share/stopwords $(DESTDIR)$(DATADIR)/
	cp -RL share/feeds $(DESTDIR)$(DATADIR)/
	for f in man/*.[157]; do [ -f "$$f" ] || continue; \
	    s=$${f##*.}; install -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s/; done
	for f in completions/bash/*; do [ -f "$$f" ] && install -m 644 $$f \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/; done; true
	for f in completions/zsh/*; do [ -f "$$f" ] && install -m 644 $$f \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/; done; true
	for f in completions/fish/*; do [ -f "$$f" ] && install -m 644 $$f \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/; done; true

uninstall:
	rm -f $(CMD_SRC:cmd/%.c=$(DESTDIR)$(BINDIR)/%)
	rm -rf $(DESTDIR)$(DATADIR)

lint:
	@sh tools/lint.sh

format:
	clang-format -i lib/*.[ch] cmd/*.c tests/unit/*.[ch] tests/helpers/*.c tests/fuzz/*.c

fuzz:
	@sh tools/fuzz.sh $(FUZZ_SECONDS)

bench: all
	@sh tools/bench.sh $(BUILD)/bin

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(BINS:$(BUILD)/bin/%=$(BUILD)/cmd/%.d) \
         $(UNIT_SRC:%.c=$(BUILD)/%.d) $(HELP_SRC:%.c=$(BUILD)/%.d)
