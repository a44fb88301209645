# shellcheck shell=bash
#
# tests/bats/mail_helpers.bash: reading the mail the SMTP sink received
# and looking at the spool, for the mail tests (70_mail.bats,
# 71_mail_verified.bats). Load after helpers:
#
#     load helpers
#     load mail_helpers
#
# The sink (tests/smtp_sink.py, started by start_stack with STACK_SMTP=1)
# writes each accepted message as $STACK_MAIL_DIR/<ns>-<seq>.eml, the
# .eml appearing whole. Messages are multipart/alternative with
# quoted-printable parts, so they are read with Python's email module,
# never grepped.

# sql STATEMENTS: run against the stack's database while it serves.
sql() {
	stack_sql "$@"
}

# mails ADDR [reset|verify|any]: the delivered messages to ADDR of that
# kind (by subject), one path a line, oldest first.
mails() {
	"$PY" -c '
import email, email.policy, glob, os, sys
d, addr, kind = sys.argv[1], sys.argv[2].lower(), sys.argv[3]
prefix = {"reset": "Reset your", "verify": "Confirm your", "any": ""}[kind]
for p in sorted(glob.glob(os.path.join(d, "*.eml"))):
    with open(p, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    to = [a.addr_spec.lower() for a in m["To"].addresses] if m["To"] else []
    if addr in to and str(m["Subject"]).startswith(prefix):
        print(p)
' "$STACK_MAIL_DIR" "$1" "${2:-any}"
}

# mail_count ADDR [KIND]: how many such messages were delivered.
mail_count() {
	mails "$@" | grep -c . || true
}

# all_mail_count: every message the sink accepted.
all_mail_count() {
	find "$STACK_MAIL_DIR" -maxdepth 1 -name '*.eml' | grep -c . || true
}

_mail_count_at_least() {
	(( $(mail_count "$1" "$2") >= $3 ))
}

# wait_mails ADDR KIND N [SECONDS]: until at least N such messages arrived
# (default 10 s).
wait_mails() {
	wait_until "${4:-10}" _mail_count_at_least "$1" "$2" "$3"
}

# last_mail ADDR KIND: the newest such message.
last_mail() {
	mails "$1" "$2" | tail -n 1
}

# mail_link FILE: the one link of the message, from its text part, after
# checking that the HTML part carries the same link HTML-escaped in an
# href and that the message is well-formed (From, Date, Message-ID,
# multipart/alternative).
mail_link() {
	"$PY" -c '
import email, email.policy, html, re, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
for h in ("From", "To", "Subject", "Date", "Message-ID"):
    if not m[h]:
        sys.exit("no %s header" % h)
if m.get_content_type() != "multipart/alternative":
    sys.exit("not multipart/alternative: " + m.get_content_type())
text = m.get_body(preferencelist=("plain",)).get_content()
page = m.get_body(preferencelist=("html",)).get_content()
links = re.findall(r"https?://\S+", text)
if len(links) != 1:
    sys.exit("expected one link in the text part, got %r" % links)
href = "href=\"%s\"" % html.escape(links[0], quote=True)
if href not in page:
    sys.exit("the HTML part has no %s" % href)
print(links[0])
' "$1"
}

# mail_text FILE: the decoded text part.
mail_text() {
	"$PY" -c '
import email, email.policy, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
sys.stdout.write(m.get_body(preferencelist=("plain",)).get_content())
' "$1"
}

# link_token LINK: the token query parameter of LINK.
link_token() {
	"$PY" -c '
import sys, urllib.parse
q = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)
print(q["token"][0])
' "$1"
}

# token_sha TOKEN: the hex SHA-256 under which the store keeps it.
token_sha() {
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# spool_count DIR: messages in one spool directory (new, cur, retry, failed).
spool_count() {
	find "$MAIL_SPOOL_DIR/$1" -maxdepth 1 -name '*.json' | grep -c . || true
}

# spool_has DIR N: exactly N messages in DIR (for wait_until).
spool_has() {
	(( $(spool_count "$1") == $2 ))
}

# spool_idle: nothing waiting, claimed or to be retried.
spool_idle() {
	(( $(spool_count new) == 0 && $(spool_count cur) == 0 &&
	    $(spool_count retry) == 0 ))
}

# forgot EMAIL: POST forgot-password, asserting the exact 202.
forgot() {
	api POST /api/v1/auth/forgot-password "{\"email\":\"$1\"}"
	assert_status 202 || return 1
	assert_body_json '{"message":"If the email exists, a reset link has been sent."}'
}

# reset TOKEN PASSWORD: POST reset-password.
reset() {
	api POST /api/v1/auth/reset-password \
	    "{\"token\":\"$1\",\"new_password\":\"$2\"}"
}

# reset_token_for EMAIL: ask for a reset, wait for the mail, print its
# token (N = how many reset mails that address has had before).
reset_token_for() {
	local before
	before=$(mail_count "$1" reset)
	forgot "$1" >&2 || return 1
	wait_mails "$1" reset $((before + 1)) || return 1
	link_token "$(mail_link "$(last_mail "$1" reset)")"
}
