# Starts a throw-away PostgreSQL cluster for the store tests and exports
# SMSR_TEST_POSTGRES_URL; stops and removes it when the calling shell exits.
#
#   source .ci/postgres.sh      # from .ci/run, or by hand before
#   cargo test --workspace --all-features
#   SMSR_PG_FSYNC=on source .ci/postgres.sh   # durable commits (bench figures)
#
# Installs Debian's `postgresql` package when its server binaries are
# missing (apt-get, non-interactive). The cluster lives in a temporary
# directory, runs as the unprivileged `postgres` user (created by the
# package; `smsr-pg` is created when it is absent), trusts local
# connections, listens on 127.0.0.1 on a free port and on a Unix socket in
# that directory, and is stopped and deleted by an EXIT trap.

smsr_pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    return 1
}

if ! SMSR_PG_BIN=$(smsr_pg_bindir); then
    echo "postgres.sh: installing Debian's postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    SMSR_PG_BIN=$(smsr_pg_bindir) || { echo "postgres.sh: no initdb after install" >&2; return 1 2>/dev/null || exit 1; }
fi

SMSR_PG_USER=postgres
if ! id "$SMSR_PG_USER" >/dev/null 2>&1; then
    SMSR_PG_USER=smsr-pg
    id "$SMSR_PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home "$SMSR_PG_USER"
fi

smsr_pg_as() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$SMSR_PG_USER" -- "$@"; else "$@"; fi
}

SMSR_PG_DIR=$(mktemp -d /tmp/smsr-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown "$SMSR_PG_USER" "$SMSR_PG_DIR"
# A free port: the first one in a random walk that nothing answers on.
SMSR_PG_PORT=$((20000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$SMSR_PG_PORT") 2>/dev/null; do
    SMSR_PG_PORT=$((20000 + RANDOM % 20000))
done

smsr_pg_stop() {
    if [ -n "${SMSR_PG_DIR:-}" ] && [ -d "$SMSR_PG_DIR" ]; then
        smsr_pg_as "$SMSR_PG_BIN/pg_ctl" -D "$SMSR_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$SMSR_PG_DIR"
    fi
}
trap smsr_pg_stop EXIT

smsr_pg_as "$SMSR_PG_BIN/initdb" -D "$SMSR_PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$SMSR_PG_DIR/initdb.log"
# fsync: off by default, for the tests: the cluster is thrown away at
# exit, so no data of it must survive a crash of the machine, and the
# tests measure no speed (it spares CI's shared disk some minutes).
# SMSR_PG_FSYNC=on gives a cluster that commits durably, as a production
# one does: the one `smsr-server bench` figures are taken on.
case "${SMSR_PG_FSYNC:-off}" in
    on | off) ;;
    *) echo "postgres.sh: SMSR_PG_FSYNC must be on or off, not '$SMSR_PG_FSYNC'" >&2
       return 1 2>/dev/null || exit 1 ;;
esac
# In postgresql.conf, so that a plain `pg_ctl start` (the restart test)
# brings it back as it was.
cat >>"$SMSR_PG_DIR/data/postgresql.conf" <<EOF_CONF
port = $SMSR_PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SMSR_PG_DIR'
max_connections = 300
fsync = ${SMSR_PG_FSYNC:-off}
EOF_CONF
smsr_pg_as "$SMSR_PG_BIN/pg_ctl" -D "$SMSR_PG_DIR/data" -l "$SMSR_PG_DIR/log" -w start >/dev/null

export SMSR_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$SMSR_PG_PORT/postgres"
# What the failover and restart tests need to stop and start this cluster.
export SMSR_TEST_POSTGRES_DATA="$SMSR_PG_DIR/data"
export SMSR_TEST_POSTGRES_PG_CTL="$SMSR_PG_BIN/pg_ctl"
export SMSR_TEST_POSTGRES_USER="$SMSR_PG_USER"
export SMSR_TEST_POSTGRES_LOG="$SMSR_PG_DIR/log"
echo "postgres.sh: PostgreSQL $("$SMSR_PG_BIN/postgres" --version | awk '{print $3}') at $SMSR_TEST_POSTGRES_URL (data $SMSR_PG_DIR, fsync ${SMSR_PG_FSYNC:-off})"
