# authd — build, run, test, install, bench.
#   make            build auth.fcgi and auth-mailer
#   make run        install missing packages, build, start the whole stack
#   make test       install missing packages, build, run every test
#   make sanitize   the same suite with ASan + UBSan
#   make fuzz       build and run the libFuzzer targets for a bounded time
#   make bench      load benchmarks through nginx (prints their figures)
#   make install    PREFIX, DESTDIR; never touches a live database

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/authd
SYSCONFDIR ?= /etc

CC	?= cc
PKGS	 = fcgi sqlite3 json-c libcrypto libargon2 libcrypt libcurl
WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
	   -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	   -Wformat=2 -Wundef -Wwrite-strings -Wvla
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
	   $(WARN) -Ilib -Istore -Ihandlers -Imail -Iserver -I.
LDFLAGS	?=
ifeq ($(SANITIZE),1)
CFLAGS	:= $(filter-out -O2 -D_FORTIFY_SOURCE=2,$(CFLAGS)) -O1 \
	   -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS	+= $(PKG_CFLAGS)
LDLIBS	 = $(PKG_LIBS)

LIB_SRCS   = $(wildcard lib/*.c)
STORE_SRCS = $(wildcard store/*.c)
HANDLER_SRCS = $(wildcard handlers/*.c)
# The master, the worker loop and the FastCGI adapter of auth.fcgi.
SERVER_SRCS = $(wildcard server/*.c)
SERVER_OBJS = $(SERVER_SRCS:.c=.o)
MAIL_SPOOL_SRCS = mail/spool.c
MAILER_SRCS = $(filter-out $(MAIL_SPOOL_SRCS),$(wildcard mail/*.c))
MIGRATIONS = $(sort $(wildcard store/migrations/*.sql))

CORE_OBJS = $(LIB_SRCS:.c=.o) $(STORE_SRCS:.c=.o) $(HANDLER_SRCS:.c=.o) \
	    $(MAIL_SPOOL_SRCS:.c=.o)
MAILER_OBJS = $(MAILER_SRCS:.c=.o) $(LIB_SRCS:.c=.o) $(MAIL_SPOOL_SRCS:.c=.o)

CTL_SRCS = $(wildcard ctl/*.c)
CTL_OBJS = $(CTL_SRCS:.c=.o) $(CORE_OBJS)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:.c=)

all: auth.fcgi auth-mailer authctl

auth.fcgi: auth.fcgi.o $(SERVER_OBJS) $(CORE_OBJS)
	$(CC) $(LDFLAGS) -o $@ auth.fcgi.o $(SERVER_OBJS) $(CORE_OBJS) $(LDLIBS)

authctl: $(CTL_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(CTL_OBJS) $(LDLIBS)

auth-mailer: $(MAILER_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(MAILER_OBJS) $(LDLIBS)

store/migrations.inc: $(MIGRATIONS) store/embed.sh
	sh store/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

store/db.o: store/migrations.inc

handlers/openapi.inc: handlers/openapi.json handlers/embed_openapi.sh
	sh handlers/embed_openapi.sh handlers/openapi.json > $@.tmp && mv $@.tmp $@

handlers/openapi.o: handlers/openapi.inc

PAGE_FILES = pages/style.css $(sort $(wildcard pages/templates/*.html))
pages/pages.inc: $(PAGE_FILES) pages/embed.sh
	sh pages/embed.sh $(PAGE_FILES) > $@.tmp && mv $@.tmp $@

handlers/pages.o handlers/pages_account.o: pages/pages.inc

mail/render.o: CFLAGS += -DMAIL_TEMPLATE_FALLBACK=\"$(SHAREDIR)/templates\"

%.o: %.c $(wildcard lib/*.h store/*.h handlers/*.h mail/*.h ctl/*.h server/*.h)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link everything but the entry points, the mailer's main and
# the process code (master, worker loop); the FastCGI adapter is in.
tests/unit/test_%: tests/unit/test_%.c tests/unit/t.h $(CORE_OBJS) \
    server/fcgi.o $(filter-out mail/mailer.o,$(MAILER_SRCS:.c=.o))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_OBJS) server/fcgi.o \
	    $(filter-out mail/mailer.o,$(MAILER_SRCS:.c=.o)) $(LDLIBS)

# authctl's shared helpers are tested without its main().
tests/unit/test_ctl: tests/unit/test_ctl.c tests/unit/t.h $(CORE_OBJS) \
    ctl/common.o
	$(CC) $(CFLAGS) -Ictl $(LDFLAGS) -o $@ $< $(CORE_OBJS) ctl/common.o \
	    $(LDLIBS)

units: $(UNIT_BINS)

deps:
	@sh spawn/deps.sh

run: deps all
	./spawn/run-local

test: deps all units
	./tests/run

sanitize: deps
	$(MAKE) clean
	$(MAKE) SANITIZE=1 all units
	SANITIZE=1 ./tests/run
	$(MAKE) clean

fuzz: deps
	./tests/fuzz/run $(FUZZ_SECONDS)

bench: deps all bench/hash_time
	./bench/run
	./bench/cookie

# One password hash timed with the configured parameters (bench/run).
bench/hash_time: bench/hash_time.c $(CORE_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_OBJS) $(LDLIBS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR) \
	    $(DESTDIR)$(SHAREDIR)/migrations $(DESTDIR)$(SHAREDIR)/templates \
	    $(DESTDIR)$(SHAREDIR)/nginx $(DESTDIR)$(SHAREDIR)/spawn
	install -m 0755 auth.fcgi auth-mailer authctl $(DESTDIR)$(BINDIR)/
	install -m 0644 schema.sql $(DESTDIR)$(SHAREDIR)/
	install -m 0644 $(MIGRATIONS) $(DESTDIR)$(SHAREDIR)/migrations/
	install -m 0644 mail/templates/* $(DESTDIR)$(SHAREDIR)/templates/
	install -m 0644 nginx/authd.conf nginx/authd-upstream.conf \
	    nginx/authd-validate.conf nginx/authd-protect.conf \
	    $(DESTDIR)$(SHAREDIR)/nginx/
	install -m 0644 spawn/supervisord.conf spawn/*.service spawn/*.socket \
	    $(DESTDIR)$(SHAREDIR)/spawn/
	install -m 0755 spawn/authd-spawn $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/auth.fcgi $(DESTDIR)$(BINDIR)/auth-mailer \
	    $(DESTDIR)$(BINDIR)/authd-spawn $(DESTDIR)$(BINDIR)/authctl
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -f auth.fcgi auth-mailer authctl *.o lib/*.o store/*.o handlers/*.o \
	    server/*.o mail/*.o ctl/*.o store/migrations.inc handlers/openapi.inc pages/pages.inc $(UNIT_BINS) \
	    bench/hash_time
	rm -rf tests/fuzz/build tests/unit/.counts

.PHONY: all units deps run test sanitize fuzz bench install uninstall clean
