#!/usr/bin/env bash
# Installs what `make bench` compares regauth with beyond what it builds itself: Apache httpd
# (Debian's apache2, the classic mod_ssl + mod_proxy front). The bench runs its own httpd with
# a configuration of its own; the system service the package starts on port 80 would only be
# another process on the measured cores, so a service this script caused to start is stopped
# again (one that ran before is left alone). Without root on Debian it installs nothing, and
# when apt fails it warns: either way the bench runs without the Apache lines and says in its
# log and report that Apache is missing and how to install it.
#
#   scripts/install-bench-deps.sh
set -euo pipefail

httpd=/usr/sbin/apache2
if [ -x "$httpd" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
	exit 0
fi
echo "install-bench-deps: apt-get install apache2"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends apache2 >/dev/null; }; then
	echo "install-bench-deps: installing apache2 failed, so the bench will have no Apache lines" >&2
	exit 0
fi
if command -v systemctl >/dev/null && systemctl is-active --quiet apache2 2>/dev/null; then
	systemctl stop apache2
elif [ -x /etc/init.d/apache2 ]; then
	/etc/init.d/apache2 stop >/dev/null 2>&1 || true
fi
echo "install-bench-deps: installed $("$httpd" -v | sed -n 's/^Server version: //p')"
