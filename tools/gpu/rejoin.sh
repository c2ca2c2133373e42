#!/bin/bash
# rejoin.sh SRC_DIR DEST_DIR: rebuild model folders from the device's split tar parts.
set -eu
SRC=$1; DEST=$2; mkdir -p $DEST
tar xzf $SRC/meta.tar.gz -C $DEST
for v in s2-l4 s2-l6 s2-l6e2; do
  ls $SRC/$v.tar.part-* >/dev/null 2>&1 || { echo "$v missing"; continue; }
  cat $SRC/$v.tar.part-* | tar xf - -C $DEST
  (cd $DEST/$v && sha256sum -c sha256.txt)
done
ls -la $DEST
