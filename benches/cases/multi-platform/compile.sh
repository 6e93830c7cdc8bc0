#!/bin/sh
# Stands for a cross-compiler: "builds" for the architecture it is given.
echo "binary for $1 compiled on $(uname -m)"
