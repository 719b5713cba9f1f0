#!/bin/sh
# The German translation is compiled and used at run time: the app's own
# help text comes out in German under LANGUAGE=de.
set -u
out=$(LANG=C.UTF-8 LANGUAGE=de "$JAEGER_STUDIO" --help 2>&1)
if printf '%s\n' "$out" | grep -q 'Das Hauptfenster einmal zeichnen'; then
  echo "ok 1 - --help is translated into German"
else
  echo "not ok 1 - --help is not in German:"; printf '%s\n' "$out" | sed 's/^/# /'
  echo "1..1"; exit 1
fi
echo "1..1"
