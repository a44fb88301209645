#!/bin/sh
# Turns the page templates and the stylesheet into C string constants
# for handlers/pages.c (escaping "?" too, so that no trigraph forms):
#   pages/embed.sh pages/style.css pages/templates/*.html > pages/pages.inc
set -e
echo "/* Generated from pages/ by pages/embed.sh; do not edit. */"
echo "static const struct page_file {"
echo "	const char	*name;"
echo "	const char	*text;"
echo "} page_files[] = {"
for f in "$@"; do
	echo "	{ \"$(basename "$f")\","
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/	"/' -e 's/$/\\n"/' "$f"
	echo "	},"
done
echo "};"
