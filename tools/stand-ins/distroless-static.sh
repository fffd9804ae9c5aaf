# shellcheck shell=sh
# Assembles gcr.io/distroless/static-debian12:nonroot from Debian packages, as
# distroless's Bazel rules define it, and writes its root file system to
# standard output as a tar stream. Runs inside debian:bookworm-slim, started by
# tools/seed-base-images; everything but the tar goes to standard error.
# ARCH (a Debian architecture, default the container's own) names the
# image's: only base-files is built per architecture, and apt downloads
# another architecture's (multiarch), so no emulation is needed.
export DEBIAN_FRONTEND=noninteractive
root=/rootfs
arch=${ARCH:-$(dpkg --print-architecture)}
packages="base-files:$arch netbase tzdata media-types"

[ "$arch" = "$(dpkg --print-architecture)" ] || dpkg --add-architecture "$arch"
apt-get update -qq >/dev/null
# Installing ca-certificates runs update-ca-certificates, which writes the bundle.
apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null
mkdir -p /tmp/debs "$root"
chown _apt /tmp/debs # apt downloads as _apt
cd /tmp/debs || exit 1
# shellcheck disable=SC2086 # a list of package names
apt-get download $packages >/dev/null

mkdir -p "$root/var/lib/dpkg/status.d"
for deb in /tmp/debs/*.deb; do
    dpkg-deb --extract "$deb" "$root"
    # Scanners read installed packages from here, as in the upstream image.
    dpkg-deb --field "$deb" > "$root/var/lib/dpkg/status.d/$(dpkg-deb --field "$deb" Package)"
done
dpkg-query --status ca-certificates > "$root/var/lib/dpkg/status.d/ca-certificates"
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# The image has no package manager: drop what only dpkg and man would read.
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian"

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
GROUP
cat > "$root/etc/nsswitch.conf" <<'NSSWITCH'
passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
NSSWITCH
rm -f "$root/etc/os-release"
cat > "$root/etc/os-release" <<'OSRELEASE'
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
OSRELEASE

mkdir -p "$root/home/nonroot" "$root/root" "$root/tmp"
chown 65532:65532 "$root/home/nonroot"
chmod 0700 "$root/home/nonroot" "$root/root"
chmod 1777 "$root/tmp"

tar --numeric-owner -C "$root" -c .
