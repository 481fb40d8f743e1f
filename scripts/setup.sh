#!/usr/bin/env bash
# Installs what beamtalk needs besides Rust: Erlang/OTP (erl, erlc, epmd), rebar3 and jiffy (JSON), and with
# --for-tests also what only the tests use (iproute2, iptables, xvfb, erlang-observer, erlang-dialyzer,
# erlang-tools; docker.io and debootstrap as root),
# from Debian packages, only when they are missing. Safe to run again.
set -euo pipefail

for_tests=false
[ "${1:-}" = "--for-tests" ] && for_tests=true
need=()
command -v erl >/dev/null 2>&1 || need+=(erlang-nox erlang-dev)
command -v erlc >/dev/null 2>&1 || need+=(erlang-dev)
command -v rebar3 >/dev/null 2>&1 || need+=(rebar3)
# iproute2 (ip): tests/netns.rs builds network namespaces; iptables: it blocks a distribution port in one.
if $for_tests; then
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
  command -v iptables >/dev/null 2>&1 || need+=(iptables)
  # tests/observer.rs opens OTP's Observer (erlang-observer pulls in erlang-wx) on a virtual display.
  command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb xauth)
  erl -noshell -eval 'case code:lib_dir(observer) of {error,_} -> halt(1); _ -> halt(0) end.' >/dev/null 2>&1 \
    || need+=(erlang-observer)
  # scripts/test.sh checks the runtime's -specs (dialyzer) and its calls (xref, in erlang-tools).
  erl -noshell -eval 'case code:lib_dir(dialyzer) of {error,_} -> halt(1); _ -> halt(0) end.' >/dev/null 2>&1 \
    || need+=(erlang-dialyzer)
  erl -noshell -eval 'case code:lib_dir(tools) of {error,_} -> halt(1); _ -> halt(0) end.' >/dev/null 2>&1 \
    || need+=(erlang-tools)
  # tests/docker.rs builds and runs the workspace image; its engine needs root.
  if [ "$(id -u)" -eq 0 ]; then
    [ -x /usr/bin/docker ] && [ -x /usr/sbin/dockerd ] || need+=(docker.io)
    [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
  fi
fi
erl -noshell -eval 'case code:lib_dir(eunit) of {error,_} -> halt(1); _ -> halt(0) end.' >/dev/null 2>&1 \
  || need+=(erlang-eunit)
# The standard library's Json class runs on jiffy (OTP 25 has no JSON module).
erl -noshell -eval 'case code:lib_dir(jiffy) of {error,_} -> halt(1); _ -> halt(0) end.' >/dev/null 2>&1 \
  || need+=(erlang-jiffy)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${need[*]} (Debian packages)" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
