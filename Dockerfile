# calc's images, built with BuildKit (every Docker since 23, or the buildx
# plugin), each holding one static binary, /calc:
#
#   docker build -t calc .                   scratch: /calc alone (the last stage)
#   docker build --target nonroot -t calc:nonroot .
#                                            distroless static, as its nonroot user
#   docker build --platform linux/arm64 -t calc:arm64 .
#                                            arm64, cross-compiled by a native build stage
#
# Where no registry answers, tools/seed-base-images builds the base images
# first (and installs the buildx plugin where the CLI has none). Both images
# copy /calc from the one build stage, so std is compiled once per
# architecture for both. No syntax line: BuildKit's built-in frontend serves,
# with no frontend image to pull.

# The images the stages start from, ARGs so that a mirror can stand in (a
# FROM can only use an ARG declared before the first stage), each pinned by tag.
# bookworm (with bookworm-updates and bookworm-security) fixes the Rust release line.
ARG BUILD_IMAGE=debian:bookworm-slim
#   --build-arg BASE_IMAGE=mirror.example/distroless/static-debian12:nonroot
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

# ---- build: a static musl binary, std rebuilt for size, no crates.io needed ----
# Every build stage runs on the build machine's own platform
# (--platform=$BUILDPLATFORM) and compiles for the target's: no emulation,
# whatever the image's architecture.

# The manifest calc is built with: Cargo.toml cut where its test-only part
# begins, which names the harness's crates (not in the context). A stage of
# its own, so that the compile below is cached on the cut manifest alone: an
# edit to the test-only part compiles nothing again.
FROM --platform=$BUILDPLATFORM ${BUILD_IMAGE} AS manifest
COPY Cargo.toml /Cargo.toml
RUN sed -i '/^# ---- for tests only/,$d' /Cargo.toml

FROM --platform=$BUILDPLATFORM ${BUILD_IMAGE} AS build
# A failing command anywhere in a pipe fails the step.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The image's architecture, set by BuildKit: amd64 or arm64, Debian's names too.
ARG TARGETARCH

# Rust 1.96, std's sources (with std's vendored dependencies), and musl and a
# C compiler for the target, all from Debian, so the build reaches no
# registry but the Debian archive; binutils for `ar`. musl-dev of the
# target's architecture brings <arch>-linux-musl-gcc, the musl-gcc wrapper of
# that architecture; for another architecture than the machine's, the GNU
# cross compiler it wraps is installed beside it (multiarch).
# hadolint ignore=DL3008
RUN set -eu; \
    arch="$(dpkg --print-architecture)"; \
    gnu="$(case "$TARGETARCH" in amd64) echo x86-64 ;; arm64) echo aarch64 ;; *) echo "no recipe for $TARGETARCH" >&2; exit 1 ;; esac)"; \
    compiler=gcc; \
    if [ "$TARGETARCH" != "$arch" ]; then dpkg --add-architecture "$TARGETARCH"; compiler="gcc-$gnu-linux-gnu"; fi; \
    apt-get update; \
    apt-get install -y --no-install-recommends cargo-web rust-web-src rustc-web binutils "musl-dev:$TARGETARCH" "$compiler"; \
    rm -rf /var/lib/apt/lists/*

ENV CARGO_HOME=/cargo \
    # -Z flags on Debian's stable rustc: build-std and immediate-abort are unstable.
    RUSTC_BOOTSTRAP=1

# One-time setup, derived from TARGETARCH:
# - the target is <arch>-unknown-linux-musl, linked by <arch>-linux-musl-gcc;
# - crates.io is replaced by Debian's vendored copy of std's own dependencies,
#   the only crates a dependency-free binary needs when build-std compiles std;
# - an empty libunwind.a: the musl target always asks the linker for libunwind,
#   but with panic=immediate-abort nothing unwinds, so no symbol of it is used.
RUN set -eu; \
    gnu="$(case "$TARGETARCH" in amd64) echo x86_64 ;; arm64) echo aarch64 ;; esac)"; \
    triple="$gnu-unknown-linux-musl"; \
    vendor="$(find /usr/src -maxdepth 3 -type d -path '/usr/src/rustc-*/library/vendor' | head -n 1)"; \
    test -n "$vendor"; \
    mkdir -p "$CARGO_HOME" /opt/empty-libunwind; \
    ar rcs /opt/empty-libunwind/libunwind.a; \
    printf '%s\n' \
      '[build]' "target = \"$triple\"" \
      '[source.crates-io]' 'replace-with = "debian-vendor"' \
      '[source.debian-vendor]' "directory = \"$vendor\"" \
      "[target.$triple]" "linker = \"$gnu-linux-musl-gcc\"" \
      > "$CARGO_HOME/config.toml"

# What each flag is for (savings measured on 2026-11-24, x86_64, each on top of the one before):
#   -Zunstable-options -Cpanic=immediate-abort   a panic is one abort instruction: no
#                                                unwinding, no panic messages, no formatting code for them
#   -Ctarget-feature=+crt-static                 link musl's libc statically
#   -Crelocation-model=static -Clink-arg=-static a plain static executable, not static-pie: no self-relocation code
#   -Clink-self-contained=no                     use Debian's musl (its musl-gcc), not rustc's bundled CRT objects
#   -Clink-arg=-Wl,-z,noseparate-code            no page-sized padding around the code segment: 8 KiB of a
#                                                62 KiB binary; the price is that the ELF headers and
#                                                read-only data share the executable mapping
#   -Cforce-unwind-tables=no                     no unwind tables: with immediate-abort nothing unwinds (-4,168 B)
#   -Clink-arg=-Wl,-z,norelro                    no RELRO segment, whose page alignment made the file grow in
#                                                4 KiB steps; it protects nothing here, since a static musl
#                                                binary applies no RELRO (strace shows no mprotect)
#   -Clink-arg=-Wl,-z,common-page-size=64        segments aligned to 64 bytes in the file, not 4 KiB
#                                                (these two: -72 B, and every later saving shows to the byte)
#   -L/opt/empty-libunwind                       the empty libunwind.a above
ENV RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Ctarget-feature=+crt-static -Crelocation-model=static -Clink-arg=-static -Clink-self-contained=no -L/opt/empty-libunwind -Clink-arg=-Wl,-z,noseparate-code -Cforce-unwind-tables=no -Clink-arg=-Wl,-z,norelro -Clink-arg=-Wl,-z,common-page-size=64"
# -Z build-std recompiles std and panic_abort with the release profile (opt-level z, LTO) and the flags above.
# -Z build-std-features=optimize_for_size picks std's smaller algorithms (-4,096 B).
# -Z avoid-dev-deps leaves the test-only dependencies unresolved, so cargo never asks crates.io for them.
ENV CARGO_BUILD_FLAGS="--release -Z avoid-dev-deps -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size"

WORKDIR /src
# The manifest alone first: compiling std, most of a cold build, is cached until the cut manifest changes.
COPY --from=manifest /Cargo.toml ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && : > src/lib.rs \
 # shellcheck disable=SC2086
 && cargo build $CARGO_BUILD_FLAGS \
 && rm -rf src

# Changing this reruns the compile step below: the suite builds twice with
# different values to prove that compiling the same sources gives the same /calc
# layer. (Before the COPY: a step of its own would cost a layer on every edit.)
ARG REBUILD=0
COPY src ./src
# touch: COPY keeps the sources' old mtimes, which cargo would take for "unchanged since the placeholder".
# Then what the kernel never reads goes, as sstrip does (2026-12-01, x86_64: -1,216 B):
# the file is cut where the last loaded segment ends, which drops .comment
# (the compilers' names), the section names and the section headers, and the
# ELF header says it has none (e_shoff, e_shnum, e_shstrndx zero). A program
# is loaded by its program headers alone.
#   ELF64 offsets: e_phoff 32, e_phentsize 54, e_phnum 56; in a program header
#   p_type 0 (PT_LOAD is 1), p_offset 8, p_filesz 32; both targets little-endian.
# The output gets a fixed mode and mtime so the /calc layer is the same in every build.
# shellcheck disable=SC2086
RUN touch src/main.rs src/lib.rs \
 && cargo build $CARGO_BUILD_FLAGS \
 && install -m 0755 target/*-unknown-linux-musl/release/calc /calc \
 && field() { od -An -t "u$2" -j "$1" -N "$2" /calc | tr -d ' '; } \
 && phoff=$(field 32 8) && phentsize=$(field 54 2) && phnum=$(field 56 2) && end=0 \
 && i=0 && while [ "$i" -lt "$phnum" ]; do \
      at=$((phoff + i * phentsize)); \
      if [ "$(field "$at" 4)" = 1 ]; then last=$(( $(field $((at + 8)) 8) + $(field $((at + 32)) 8) )); end=$((last > end ? last : end)); fi; \
      i=$((i + 1)); \
    done \
 && truncate -s "$end" /calc \
 && dd if=/dev/zero of=/calc bs=1 seek=40 count=8 conv=notrunc status=none \
 && dd if=/dev/zero of=/calc bs=1 seek=60 count=4 conv=notrunc status=none \
 && touch --date=@0 /calc

# ---- the images: /calc alone on distroless (nonroot), or alone (scratch, the default) ----

# calc on Google's distroless static image, as its nonroot user (uid/gid 65532),
# for programs that need what scratch lacks: CA certificates, time zones,
# /etc/passwd, a writable /tmp. Adds only /calc to its base.
FROM ${BASE_IMAGE} AS nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="calc" \
      org.opencontainers.image.description="Integer calculator on distroless static, as nonroot" \
      org.opencontainers.image.source="https://github.com/calc-containers/calc" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /calc /calc
# The base image already runs as nonroot; saying it here keeps that true whatever the base.
USER 65532:65532
ENTRYPOINT ["/calc"]

# calc in an empty image: the last stage, so a plain `docker build` makes it.
# (Not named scratch: that is FROM's reserved word for the empty image.)
FROM scratch AS from-scratch
COPY --from=build /calc /calc
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="calc" \
      org.opencontainers.image.description="Integer calculator: a static binary alone in an empty image" \
      org.opencontainers.image.source="https://github.com/calc-containers/calc" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
# nonroot's uid and gid, as in distroless; scratch has no /etc/passwd, so numbers, not a name.
USER 65532:65532
ENTRYPOINT ["/calc"]
