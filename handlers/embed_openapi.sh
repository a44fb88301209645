#!/bin/sh
# Turns the OpenAPI document (JSON, the source of truth) into a C string
# constant for handlers/openapi.c (escaping "?" too, so that no
# trigraph forms): handlers/embed_openapi.sh FILE > handlers/openapi.inc
set -e
[ $# -eq 1 ] || { echo "usage: $0 openapi.json" >&2; exit 2; }
echo "/* Generated from $1 by handlers/embed_openapi.sh; do not edit. */"
echo "static const char openapi_doc[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/	"/' -e 's/$/\\n"/' "$1"
echo "	;"
