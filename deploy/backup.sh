#!/bin/sh
# One backup of a cadrebot deployment (docs/deploy.md): the database and the evidence folder.
#
#   PostgreSQL: pg_dump's custom format (pg_restore reads it), one file per run;
#   SQLite:     an online copy through SQLite's backup API (the sqlite3 tool's .backup, or
#               Python's when the tool is missing), safe while the bot writes;
#   evidence:   CADREBOT_EVIDENCE_DIR mirrored into BACKUP_DIR/evidence (photos never change
#               once written, so only new ones are copied; the mirror is not pruned).
# Dumps older than BACKUP_KEEP_DAYS days are deleted. The settings come from the environment
# (systemd: EnvironmentFile=/etc/cadrebot/cadrebot.env): DATABASE_URL, CADREBOT_EVIDENCE_DIR,
# BACKUP_DIR (default /var/backups/cadrebot), BACKUP_KEEP_DAYS (default 14).
# Prints the path of the database backup it wrote.
set -eu

: "${DATABASE_URL:?DATABASE_URL is not set}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/cadrebot}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
umask 077
mkdir -p "$BACKUP_DIR"

case "$DATABASE_URL" in
postgres*)
    # libpq's URL: the async driver's name (postgresql+asyncpg://) is the bot's, not libpq's.
    url=$(printf '%s' "$DATABASE_URL" | sed -e 's#^postgres[a-z]*+asyncpg://#postgresql://#' \
        -e 's#^postgres://#postgresql://#')
    out="$BACKUP_DIR/cadrebot-$stamp.dump"
    pg_dump --format=custom --no-owner --file="$out.part" --dbname="$url"
    ;;
sqlite*)
    file=${DATABASE_URL#*:///}
    file=${file%%\?*}
    [ -f "$file" ] || { echo "no SQLite file at $file" >&2; exit 1; }
    out="$BACKUP_DIR/cadrebot-$stamp.sqlite3"
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 "$file" ".backup '$out.part'"
    else
        python3 - "$file" "$out.part" <<'PY'
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with target:
    source.backup(target)
target.close()
source.close()
PY
    fi
    ;;
*)
    echo "DATABASE_URL is neither postgresql:// nor sqlite:///" >&2
    exit 1
    ;;
esac
# Renamed only when complete: a crash never leaves a half file under the final name.
mv "$out.part" "$out"

if [ -n "${CADREBOT_EVIDENCE_DIR:-}" ] && [ -d "$CADREBOT_EVIDENCE_DIR" ]; then
    mkdir -p "$BACKUP_DIR/evidence"
    cp -R -p -u "$CADREBOT_EVIDENCE_DIR/." "$BACKUP_DIR/evidence/"
fi

find "$BACKUP_DIR" -maxdepth 1 -type f -name 'cadrebot-*' -mtime +"$BACKUP_KEEP_DAYS" -delete
echo "$out"
