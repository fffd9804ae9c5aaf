# calc in an empty image: one static binary, /calc, and nothing else.
#
#   docker build -t calc . && docker run --rm calc 9 % 4
#
# Where no registry answers, tools/seed-base-images builds the base image first.
# Works with the classic builder and with BuildKit: no syntax line, no RUN --mount.

# ---- build: a static musl binary, std rebuilt for size, no crates.io needed ----
# Pinned by tag: bookworm (with bookworm-updates and bookworm-security) fixes the Rust release line.
ARG BUILD_IMAGE=debian:bookworm-slim

# The manifest calc is built with: Cargo.toml cut where its test-only part
# begins, which names the harness's crates (not in the context). A stage of
# its own, so that the compile below is cached on the cut manifest alone: an
# edit to the test-only part compiles nothing again.
FROM ${BUILD_IMAGE} AS manifest
COPY Cargo.toml /Cargo.toml
RUN sed -i '/^# ---- for tests only/,$d' /Cargo.toml

FROM ${BUILD_IMAGE} AS build
# A failing command anywhere in a pipe fails the step.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Rust 1.96, std's sources (with std's vendored dependencies) and musl, all from
# Debian, so the build reaches no registry but the Debian archive; binutils for `ar`.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends cargo-web rust-web-src rustc-web musl-tools binutils \
 && rm -rf /var/lib/apt/lists/*

ENV CARGO_HOME=/cargo \
    # -Z flags on Debian's stable rustc: build-std and immediate-abort are unstable.
    RUSTC_BOOTSTRAP=1

# One-time setup, derived from the build machine so the file builds natively on arm64 too:
# - the target is <arch>-unknown-linux-musl, linked by musl-gcc;
# - crates.io is replaced by Debian's vendored copy of std's own dependencies,
#   the only crates a dependency-free binary needs when build-std compiles std;
# - an empty libunwind.a: the musl target always asks the linker for libunwind,
#   but with panic=immediate-abort nothing unwinds, so no symbol of it is used.
RUN set -eu; \
    triple="$(uname -m)-unknown-linux-musl"; \
    vendor="$(find /usr/src -maxdepth 3 -type d -path '/usr/src/rustc-*/library/vendor' | head -n 1)"; \
    test -n "$vendor"; \
    mkdir -p "$CARGO_HOME" /opt/empty-libunwind; \
    ar rcs /opt/empty-libunwind/libunwind.a; \
    printf '%s\n' \
      '[build]' "target = \"$triple\"" \
      '[source.crates-io]' 'replace-with = "debian-vendor"' \
      '[source.debian-vendor]' "directory = \"$vendor\"" \
      "[target.$triple]" 'linker = "musl-gcc"' \
      > "$CARGO_HOME/config.toml"

# What each flag is for (savings measured on 2026-11-24, x86_64, each on top of the one before):
#   -Zunstable-options -Cpanic=immediate-abort   a panic is one abort instruction: no
#                                                unwinding, no panic messages, no formatting code for them
#   -Ctarget-feature=+crt-static                 link musl's libc statically
#   -Crelocation-model=static -Clink-arg=-static a plain static executable, not static-pie: no self-relocation code
#   -Clink-self-contained=no                     use Debian's musl (musl-gcc), not rustc's bundled CRT objects
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
# The output gets a fixed mode and mtime so the /calc layer is the same in every build.
# shellcheck disable=SC2086
RUN touch src/main.rs src/lib.rs \
 && cargo build $CARGO_BUILD_FLAGS \
 && install -m 0755 target/*-unknown-linux-musl/release/calc /calc \
 && touch --date=@0 /calc

# ---- the image: /calc alone ----
FROM scratch
# COPY first: the classic builder, asked for another platform (docker build
# --platform linux/arm64), records a scratch stage's LABEL as the machine's own
# platform and then refuses to COPY an arm64 file onto it.
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
