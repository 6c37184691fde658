#!/usr/bin/env bash
# The restore drill: back up, destroy, restore, check. Run it monthly and after every PostgreSQL upgrade.
#
#   DATABASE_URL=postgres://party:party@127.0.0.1:5432/party scripts/restore_drill.sh
#
# 1. counts every table's rows in DATABASE_URL and backs it up (scripts/backup.sh);
# 2. destroys the restore target and restores the dump into it: by default a scratch database "<name>_drill" next to
#    the source (the source is never touched); with DRILL_DESTROY_SOURCE=1 the source itself is dropped and restored
#    in place (only on a throw-away cluster: scripts/faults.py does this);
# 3. checks that every table has the same number of rows and that the configured ID-number keys decrypt the restored
#    numbers (registration.identity's canaries, then a sample of 1,000);
# 4. prints the backup and restore times; exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3

: "${DATABASE_URL:?DATABASE_URL names the database to drill}"
source_url=${DATABASE_URL%%\?*}
name=$(basename "$source_url")
server=${source_url%/*}
if [ "${DRILL_DESTROY_SOURCE:-0}" = 1 ]; then target=$name; else target=${name}_drill; fi
target_url="$server/$target"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
if [ -z "${BACKUP_DIR:-}" ]; then
  BACKUP_DIR=$(mktemp -d)
  trap 'rm -rf "$BACKUP_DIR"' EXIT  # a dump made only for the drill goes with it
fi
export BACKUP_DIR

counts() {
  local url=$1
  psql -q -X -tA -d "$url" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1" |
    while read -r table; do
      echo "$table $(psql -q -X -tA -d "$url" -c "SELECT count(*) FROM \"$table\"")"
    done
}

before=$(counts "$source_url")
started=$(date +%s.%N)
dump=$(DATABASE_URL="$source_url" scripts/backup.sh)
backed_up=$(date +%s.%N)

psql -q -X -d "$server/postgres" -c "DROP DATABASE IF EXISTS \"$target\" WITH (FORCE)"
psql -q -X -d "$server/postgres" -c "CREATE DATABASE \"$target\""
restore_started=$(date +%s.%N)
pg_restore --no-owner --exit-on-error --jobs=2 --dbname="$target_url" "$dump"
restored=$(date +%s.%N)

after=$(counts "$target_url")
if [ "$before" != "$after" ]; then
  echo "DRILL FAILED: row counts differ after the restore"; diff <(echo "$before") <(echo "$after") || true; exit 1
fi

DATABASE_URL="$target_url" "$PYTHON" manage.py shell -v0 -c "
from registration.identity import decrypt_id_number, protected_models, verify_id_number_keys
verify_id_number_keys()
for model in protected_models():
    sample = list(model.objects.order_by('?').values_list('id_number_encrypted', flat=True)[:1000])
    blank = sum(1 for token in sample if not decrypt_id_number(token))
    assert not blank, f'{model._meta.label}: {blank} of {len(sample)} ID numbers do not decrypt'
    print(f'{model._meta.label}: {len(sample)} ID numbers sampled, all decrypt')
"

rows=$(awk '{s += $2} END {print s}' <<<"$after")
printf 'DRILL PASSED: %s tables, %s rows; dump %s; backup %.1f s, restore %.1f s\n' \
  "$(wc -l <<<"$after")" "$rows" "$(du -h "$dump" | cut -f1)" \
  "$(awk "BEGIN {print $backed_up - $started}")" "$(awk "BEGIN {print $restored - $restore_started}")"
[ "${DRILL_DESTROY_SOURCE:-0}" = 1 ] || psql -q -X -d "$server/postgres" -c "DROP DATABASE \"$target\" WITH (FORCE)"
