#!/bin/sh
# Installs the p2p-dev binary from a GitHub release, checked against the release's SHA256SUMS.
#
#   curl -fsSL https://github.com/p2p-dev/p2p-dev/releases/latest/download/install.sh | sh
#   sh install.sh --version 0.1.0 --dir /usr/local/bin
#
# Options (each also as an environment variable):
#   --version V    release to install: 0.1.0, v0.1.0 or latest (P2P_DEV_VERSION; default latest)
#   --dir DIR      where the binary goes (P2P_DEV_INSTALL_DIR; default $HOME/.local/bin)
#   --base-url U   the releases page to download from, laid out as GitHub's
#                  (P2P_DEV_RELEASES; default https://github.com/p2p-dev/p2p-dev/releases):
#                  U/download/vV/NAME and U/latest/download/NAME
#   --target T     install another platform's binary, e.g. aarch64-unknown-linux-gnu (not run)
#
# It downloads into a temporary directory, verifies the checksum, and only then moves the binary
# into place, so a failure (unknown platform, missing asset, checksum mismatch) leaves nothing
# behind. POSIX sh; needs curl or wget, and sha256sum, shasum or openssl.
set -eu

version="${P2P_DEV_VERSION:-latest}"
dir="${P2P_DEV_INSTALL_DIR:-${HOME:-.}/.local/bin}"
base="${P2P_DEV_RELEASES:-https://github.com/p2p-dev/p2p-dev/releases}"
target=""

say() { printf '%s\n' "install.sh: $*" >&2; }
fail() {
  say "$*"
  exit 1
}
usage() {
  say "$1"
  say "usage: install.sh [--version V|latest] [--dir DIR] [--base-url URL] [--target TRIPLE]"
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --version | --dir | --base-url | --target)
      [ $# -ge 2 ] || usage "$1 needs a value."
      case "$1" in
        --version) version="$2" ;;
        --dir) dir="$2" ;;
        --base-url) base="$2" ;;
        --target) target="$2" ;;
      esac
      shift 2
      ;;
    --version=*) version="${1#*=}"; shift ;;
    --dir=*) dir="${1#*=}"; shift ;;
    --base-url=*) base="${1#*=}"; shift ;;
    --target=*) target="${1#*=}"; shift ;;
    -h | --help)
      sed -n '2,18p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//' >&2 || true
      exit 0
      ;;
    *) usage "unknown argument \"$1\"." ;;
  esac
done
base="${base%/}"
[ -n "$dir" ] || usage "--dir is empty."

# The release targets (scripts/compile.ts builds these five).
detect_target() {
  os="$(uname -s 2>/dev/null || echo unknown)"
  arch="$(uname -m 2>/dev/null || echo unknown)"
  case "$arch" in
    x86_64 | amd64) cpu=x86_64 ;;
    aarch64 | arm64) cpu=aarch64 ;;
    *) cpu="" ;;
  esac
  case "$os" in
    Linux) [ -n "$cpu" ] && printf '%s\n' "$cpu-unknown-linux-gnu" ;;
    Darwin)
      # A shell under Rosetta reports x86_64 on Apple silicon: prefer the native binary.
      if [ "$cpu" = x86_64 ] && [ "$(sysctl -n hw.optional.arm64 2>/dev/null || echo 0)" = 1 ]; then
        cpu=aarch64
      fi
      [ -n "$cpu" ] && printf '%s\n' "$cpu-apple-darwin"
      ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) [ "$cpu" = x86_64 ] && printf '%s\n' "x86_64-pc-windows-msvc" ;;
  esac
  return 0
}

native=""
if [ -z "$target" ]; then
  target="$(detect_target)"
  [ -n "$target" ] || fail "no p2p-dev release binary for this platform (uname -s: $(uname -s 2>/dev/null || echo unknown), uname -m: $(uname -m 2>/dev/null || echo unknown)). Releases cover x86_64 and aarch64 Linux and macOS, and x86_64 Windows; elsewhere build from source with 'deno task compile'. Nothing was installed."
  native=yes
fi
case "$target" in
  x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu | x86_64-apple-darwin | aarch64-apple-darwin) asset="p2p-dev-$target"; bin=p2p-dev ;;
  x86_64-pc-windows-msvc) asset="p2p-dev-$target.exe"; bin=p2p-dev.exe ;;
  *) fail "unknown target \"$target\": use one of x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, x86_64-apple-darwin, aarch64-apple-darwin, x86_64-pc-windows-msvc. Nothing was installed." ;;
esac

case "$version" in
  latest) where="$base/latest/download" ;;
  v[0-9]* | [0-9]*) where="$base/download/v${version#v}" ;;
  *) usage "invalid version \"$version\": use a release version such as 0.1.0, or latest." ;;
esac

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 3 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail "neither curl nor wget is installed; install one of them and run this again. Nothing was installed."
fi
if command -v sha256sum >/dev/null 2>&1; then
  digest() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  digest() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
elif command -v openssl >/dev/null 2>&1; then
  digest() { openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1; }
else
  fail "no SHA-256 tool (sha256sum, shasum or openssl) to verify the download. Nothing was installed."
fi

tmp="$(mktemp -d 2>/dev/null || mktemp -d -t p2p-dev)"
staged=""
cleanup() {
  rm -rf "$tmp"
  if [ -n "$staged" ]; then rm -f "$staged"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fetch "$where/SHA256SUMS" "$tmp/SHA256SUMS" ||
  fail "cannot download $where/SHA256SUMS: is p2p-dev $version released? Nothing was installed."
fetch "$where/$asset" "$tmp/$asset" ||
  fail "cannot download $where/$asset: the release has no asset for $target. Nothing was installed."

# SHA256SUMS lines are "<hash>  <name>" (or "<hash> *<name>" in binary mode).
expected="$(awk -v name="$asset" '$2 == name || $2 == "*" name { print tolower($1); exit }' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || fail "SHA256SUMS of $version has no line for $asset. Nothing was installed."
actual="$(digest "$tmp/$asset" | tr 'A-F' 'a-f')"
[ "$actual" = "$expected" ] ||
  fail "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual. Nothing was installed."

chmod 755 "$tmp/$asset"
if [ -n "$native" ]; then
  "$tmp/$asset" --version >/dev/null 2>&1 ||
    fail "the downloaded $asset does not run on this machine ($target). Nothing was installed."
fi

mkdir -p "$dir" || fail "cannot create $dir. Nothing was installed."
# Copy next to the destination, then rename: the old binary is replaced in one step.
staged="$dir/.$bin.install.$$"
cp "$tmp/$asset" "$staged" || fail "cannot write into $dir. Nothing was installed."
mv -f "$staged" "$dir/$bin" || fail "cannot replace $dir/$bin. Nothing was installed."
staged=""

if [ -n "$native" ]; then
  installed="$("$dir/$bin" --version 2>/dev/null || true)"
  say "installed p2p-dev ${installed:-$version} ($target) to $dir/$bin"
  case ":${PATH:-}:" in
    *":$dir:"*) ;;
    *) say "add $dir to your PATH to run it as p2p-dev" ;;
  esac
else
  say "installed p2p-dev $version ($target) to $dir/$bin"
fi
