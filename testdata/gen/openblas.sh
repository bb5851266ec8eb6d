#!/usr/bin/env bash
# Usage: testdata/gen/openblas.sh DIR
#
# Unpacks Debian's OpenBLAS (package libopenblas0-pthread) into DIR without
# installing it, and prints the directory that holds its libblas.so.3, for
# LD_LIBRARY_PATH. Prints nothing and exits 1 where the package cannot be
# downloaded.
#
# Debian's PyTorch links libblas.so.3, which by default is netlib's
# reference BLAS (about 4 GFLOP/s here, against OpenBLAS's 50 or more).
# PyTorch goes through it for float64 convolutions (the live tests' exact
# references), for the classifier's matrix product, and on one thread for
# 1×1 convolutions (there ResNet-50 takes 710 ms an image on netlib's
# BLAS, 90 on OpenBLAS; on two threads oneDNN runs them either way).
# Installing OpenBLAS would switch the system's BLAS, and with it the
# bytes of fixtures generated with the default one; loading it into one
# process with LD_LIBRARY_PATH changes nothing else.
set -euo pipefail
dir=${1:?usage: openblas.sh DIR}
mkdir -p "$dir"
cd "$dir"
rm -f libopenblas0-pthread_*.deb
apt-get download -qq libopenblas0-pthread >/dev/null 2>&1 || exit 1
dpkg -x libopenblas0-pthread_*.deb root
lib=$(find "$PWD/root" -path '*openblas-pthread/libblas.so.3' | head -1)
[ -n "$lib" ] || exit 1
echo "${lib%/*}"
