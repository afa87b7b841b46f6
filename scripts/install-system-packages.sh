#!/usr/bin/env bash
# Installs, from Debian's packages, what GridCare needs beyond Python 3.11, git and make, and only
# what is missing: PostgreSQL 15 (the production database and the second test pass), Chromium
# and a CJK font (the browser tests drive Debian's /usr/bin/chromium through Playwright) and
# Node.js/npm (the front-end assets come from package-lock.json). `apt-get update` runs once, and only when
# something must be installed; nothing already installed is upgraded. Runs apt through sudo when
# not root.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
packages=()
[[ -x "$PG_BIN/postgres" ]] || packages+=(postgresql-15)
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
# Chinese glyphs, so the browser tests' screenshots of the zh-Hans pages are legible and the
# letters (PDF notices) print in Noto CJK.
dpkg-query --show --showformat='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' ||
    packages+=(fonts-noto-cjk)
command -v npm >/dev/null || packages+=(nodejs npm)
# Letters (issue 4, notifications.channels.letter): WeasyPrint renders the PDF batches with Pango,
# HarfBuzz's font subsetting and fontconfig, in the Noto CJK fonts above.
for library in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1; do
    dpkg-query --show --showformat='${Status}' "$library" 2>/dev/null | grep -q 'ok installed' ||
        packages+=("$library")
done

if [[ ${#packages[@]} -eq 0 ]]; then
    echo "System packages: PostgreSQL 15, Chromium, a CJK font, npm and WeasyPrint's libraries are present."
    exit 0
fi

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}
apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade \
        -o Dpkg::Use-Pty=0 "$@" >/dev/null
}

echo "System packages: installing ${packages[*]} from Debian's packages"
as_root apt-get update -qq
if [[ " ${packages[*]} " == *" postgresql-15 "* ]]; then
    # Debian creates and starts a `main` cluster on port 5432 when the server is installed;
    # GridCare starts its own clusters (scripts/postgres-throwaway.sh), so turn that off first.
    apt_install postgresql-common
    as_root sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf
fi
apt_install "${packages[@]}"
echo "System packages: installed ${packages[*]}"
