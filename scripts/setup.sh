#!/usr/bin/env bash
# Installs what beamtalk needs besides Rust: Erlang/OTP (erl, erlc, epmd), rebar3 and jiffy (JSON), and with
# --for-tests also what only the tests use (iproute2, iptables, xvfb, erlang-observer, erlang-dialyzer,
# erlang-tools, neovim; docker.io and debootstrap as root),
# from Debian packages, only when they are missing, saying what each is for before installing. Safe to
# run again.
set -euo pipefail

for_tests=false
[ "${1:-}" = "--for-tests" ] && for_tests=true
need=()
why=()
# want PACKAGES... -- REASON: PACKAGES are needed, for REASON.
want() {
  local pkgs=()
  while [ "$1" != "--" ]; do pkgs+=("$1"); shift; done
  shift
  need+=("${pkgs[@]}")
  why+=("  ${pkgs[*]}: $*")
}
has_app() {
  erl -noshell -eval "case code:lib_dir($1) of {error,_} -> halt(1); _ -> halt(0) end." >/dev/null 2>&1
}

command -v erl >/dev/null 2>&1 || want erlang-nox erlang-dev -- Erlang/OTP, which runs the workspaces
command -v erlc >/dev/null 2>&1 || want erlang-dev -- erlc, which compiles the runtime
command -v rebar3 >/dev/null 2>&1 || want rebar3 -- the runtime\'s build tool
if $for_tests; then
  command -v ip >/dev/null 2>&1 || want iproute2 -- tests/netns.rs builds network namespaces
  command -v iptables >/dev/null 2>&1 || want iptables -- tests/netns.rs blocks a distribution port
  command -v xvfb-run >/dev/null 2>&1 || want xvfb xauth -- tests/observer.rs opens Observer on a virtual display
  has_app observer || want erlang-observer -- tests/observer.rs opens OTP\'s Observer
  has_app dialyzer || want erlang-dialyzer -- scripts/test.sh checks the runtime\'s -specs
  has_app tools || want erlang-tools -- scripts/test.sh checks the runtime\'s calls with xref
  command -v nvim >/dev/null 2>&1 || want neovim -- tests/neovim.rs drives beamtalk lsp from a real editor
  if [ "$(id -u)" -eq 0 ]; then
    { [ -x /usr/bin/docker ] && [ -x /usr/sbin/dockerd ]; } \
      || want docker.io -- tests/docker.rs builds and runs the workspace image \(its engine needs root\)
    [ -x /usr/sbin/debootstrap ] || want debootstrap -- tests/docker.rs builds that image\'s base
  fi
fi
has_app eunit || want erlang-eunit -- the runtime\'s EUnit tests
has_app jiffy || want erlang-jiffy -- the standard library\'s Json class \(OTP 25 has no JSON module\)
has_app inets || want erlang-inets -- the standard library\'s HTTPClient \(httpc\)
has_app ssl || want erlang-ssl -- HTTPClient\'s https
has_app mnesia || want erlang-mnesia -- the store of durable actors

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
{
  echo "setup: installing these Debian packages:"
  printf '%s\n' "${why[@]}"
} >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
$sudo apt-get update -qq
# Sorted and unique: a package two reasons name is installed once.
mapfile -t packages < <(printf '%s\n' "${need[@]}" | sort -u)
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
