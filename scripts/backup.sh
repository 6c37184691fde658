#!/usr/bin/env bash
# A logical backup of the database: pg_dump's custom format (compressed, restorable table by table with pg_restore).
# For a site of one district or a city (docs/RELIABILITY.md, "Backups": RPO 24 h with the nightly run, RTO under an
# hour); a province uses continuous WAL archiving (pgBackRest) instead.
#
#   DATABASE_URL=postgres://... BACKUP_DIR=/var/backups/party scripts/backup.sh     # prints the dump's path
#
# Keeps BACKUP_KEEP_DAYS days of dumps (default 14). The ID-number keys are NOT in the dump (they are settings, kept
# apart: docs/RELIABILITY.md, "Keys"): a dump restored without them shows every ID number blank, and the app refuses
# to start.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL names the database to back up}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/party}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
mkdir -p "$BACKUP_DIR"
chmod 700 "$BACKUP_DIR"

name=$(basename "${DATABASE_URL%%\?*}")
target="$BACKUP_DIR/$name-$(date -u +%Y%m%dT%H%M%SZ).dump"
# Written under a temporary name first: a dump cut short never looks like a good one.
pg_dump --format=custom --compress=6 --no-owner --file="$target.partial" --dbname="$DATABASE_URL"
mv "$target.partial" "$target"
find "$BACKUP_DIR" -maxdepth 1 -name "$name-*.dump" -mtime +"$BACKUP_KEEP_DAYS" -delete
echo "$target"
