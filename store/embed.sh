#!/bin/sh
# Turns the numbered migrations into a C array of strings, in order.
echo "/* Generated from the numbered migrations by store/embed.sh. */"
echo "static const char *const migrations[] = {"
for f in "$@"; do
	echo "	/* $f */"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$/\\n"/' "$f"
	echo "	,"
done
echo "};"
