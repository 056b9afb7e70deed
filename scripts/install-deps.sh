#!/bin/sh
# Installs the Debian packages optbench needs, if any are missing.
# Usage: scripts/install-deps.sh PACKAGE...
# As root it runs apt-get; otherwise it prints the exact command and fails.
missing=""
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0

opts="-y --no-install-recommends -o DPkg::Lock::Timeout=300"
if [ "$(id -u)" != 0 ]; then
    echo "optbench: missing Debian packages:$missing" >&2
    echo "optbench: run this as root, then try again:" >&2
    echo "    apt-get update && apt-get install $opts$missing" >&2
    exit 1
fi
echo "optbench: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -o DPkg::Lock::Timeout=300 >&2 || exit 1
# shellcheck disable=SC2086
apt-get install $opts $missing >&2 || {
    echo "optbench: apt-get install failed for:$missing" >&2
    exit 1
}
