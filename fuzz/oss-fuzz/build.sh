#!/bin/bash -eu
# OSS-Fuzz build script for migseal: builds every cargo-fuzz target with
# the sanitizer OSS-Fuzz asks for, and ships each with its seed corpus,
# dictionary and options. Runs in $SRC/migseal (see Dockerfile); also runs
# locally: SRC=/tmp/src OUT=/tmp/out WORK=/tmp/work with $SRC/migseal a
# checkout and a nightly default toolchain.

cd "$SRC/migseal/fuzz"

# Seed corpora are generated from spec/vectors, not stored. The generator
# is a plain program, so it is built without the sanitizer and coverage
# flags OSS-Fuzz exports for the targets, in a target dir of its own.
env -u RUSTFLAGS -u RUSTDOCFLAGS -u CFLAGS -u CXXFLAGS \
    cargo run --release -q -p migseal-fuzz-harness --bin fuzz-corpus \
    --target-dir "$WORK/corpus-build" -- ../spec/vectors "$WORK/corpus"

# Release with debug assertions and overflow checks: the no-panic lints
# forbid unchecked arithmetic, and this checks the dependencies too.
cargo fuzz build -O --debug-assertions

release=target/x86_64-unknown-linux-gnu/release
for target in $(cargo fuzz list); do
    cp "$release/$target" "$OUT/"
    cp migseal.dict "$OUT/$target.dict"
    if [ -f "options/$target.options" ]; then
        cp "options/$target.options" "$OUT/$target.options"
    fi
    rm -f "$OUT/${target}_seed_corpus.zip"
    if [ -n "$(ls -A "$WORK/corpus/$target" 2>/dev/null)" ]; then
        (cd "$WORK/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
done
