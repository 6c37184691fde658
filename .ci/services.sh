# Installs (from Debian packages) and starts PostgreSQL and Redis on loopback. Idempotent.
# Sourced by .ci/run and the Makefile's bench target; exports DATABASE_URL and CELERY_BROKER_URL.
set -euo pipefail

PG_DB=${PG_DB:-party}
PG_USER=${PG_USER:-party}
PG_PASSWORD=${PG_PASSWORD:-party}
REDIS_PORT=${REDIS_PORT:-6379}

need_packages=()
command -v pg_lsclusters >/dev/null 2>&1 || need_packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_packages+=(redis-server)
if [ "${WITH_CHROMIUM:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then need_packages+=(chromium); fi
# Without a CJK font the browser walk's screenshots show every Chinese character as a box.
if [ "${WITH_CHROMIUM:-0}" = 1 ] && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then need_packages+=(fonts-noto-cjk); fi
if [ "${WITH_GETTEXT:-0}" = 1 ] && ! command -v msgfmt >/dev/null 2>&1; then need_packages+=(gettext); fi
if [ ${#need_packages[@]} -gt 0 ]; then
  echo "== installing ${need_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

# PostgreSQL: the packaged cluster, started on 127.0.0.1:5432.
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$pg_version/main"; then
  pg_createcluster "$pg_version" main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1=="'"$pg_version"'" && $2=="main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$pg_version" main start
fi
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='$PG_DB'\"" | grep -q 1 \
  || su postgres -c "createdb -O $PG_USER $PG_DB"

# Redis on loopback only.
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no >/dev/null
  for _ in $(seq 1 30); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.5
  done
fi

export DATABASE_URL="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/$PG_DB"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
echo "== PostgreSQL $pg_version and Redis are up on 127.0.0.1"
