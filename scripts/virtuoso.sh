#!/usr/bin/env bash
# Runs a private Virtuoso Open Source instance on loopback, its database in a working folder,
# for the external-store tests and benchmarks (Debian package `virtuoso-opensource`).
#
#   scripts/virtuoso.sh start DIR [SQL_PORT HTTP_PORT]   prints the HTTP base URL when online
#   scripts/virtuoso.sh stop DIR                          stops the instance started in DIR
#
# Defaults: SQL port 1111, HTTP port 8890. A fresh database has the user dba, password dba.
# The packaged template is rewritten so that every file lives in DIR, both ports listen on
# 127.0.0.1 only, and a SELECT may return up to a million rows (the template's 10,000 would
# cut answers short without an error).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR [SQL_PORT HTTP_PORT]" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
sql_port=${3:-1111}
http_port=${4:-8890}
pidfile="$dir/virtuoso.pid"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

write_config() {
    local template
    template=$(dpkg -L virtuoso-opensource-7 2>/dev/null | grep '/virtuoso.ini$' | head -n 1)
    [ -n "$template" ] || template=/usr/share/virtuoso-opensource-7/virtuoso.ini
    [ -f "$template" ] || { echo "virtuoso.ini template not found" >&2; exit 1; }
    awk -v dir="$dir" -v sql="$sql_port" -v http="$http_port" '
        function value(line) { sub(/^[^=]*=[ \t]*/, "", line); return line }
        function key(line) { sub(/[ \t]*=.*/, "", line); return line }
        /^\[/ { section = $0 }
        /^(DatabaseFile|ErrorLogFile|LockFile|TransactionFile|xa_persistent_file)[ \t]*=/ {
            path = value($0); n = split(path, parts, "/")
            print key($0) " = " dir "/" parts[n]; next
        }
        /^ServerPort[ \t]*=/ && section == "[Parameters]" { print "ServerPort = 127.0.0.1:" sql; next }
        /^ServerPort[ \t]*=/ && section == "[HTTPServer]" { print "ServerPort = 127.0.0.1:" http; next }
        /^DirsAllowed[ \t]*=/ { v = value($0); sub(/^\.,[ \t]*/, "", v); print "DirsAllowed = ., " dir ", " v; next }
        /^ResultSetMaxRows[ \t]*=/ { print "ResultSetMaxRows = 1000000"; next }
        { print }
    ' "$template" > "$dir/virtuoso.ini"
    # Refuse to start unless both ports are on loopback and every file is in DIR.
    [ "$(grep -c '^ServerPort = 127\.0\.0\.1:' "$dir/virtuoso.ini")" = 2 ] \
        || { echo "virtuoso.ini: ports not on loopback" >&2; exit 1; }
    if grep -E '^(DatabaseFile|ErrorLogFile|LockFile|TransactionFile|xa_persistent_file)' \
        "$dir/virtuoso.ini" | grep -v " = $dir/" >&2; then
        echo "virtuoso.ini: a database file outside $dir" >&2; exit 1
    fi
}

start() {
    command -v virtuoso-t >/dev/null || { echo "virtuoso-t not installed" >&2; exit 1; }
    if running; then echo "http://127.0.0.1:$http_port"; return; fi
    write_config
    : > "$dir/virtuoso.out"
    virtuoso-t +configfile "$dir/virtuoso.ini" +foreground > "$dir/virtuoso.out" 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 180); do
        if grep -q 'Server online' "$dir/virtuoso.out"; then
            echo "http://127.0.0.1:$http_port"; return
        fi
        running || break
        sleep 0.5
    done
    echo "Virtuoso did not come online; see $dir/virtuoso.out:" >&2
    tail -n 20 "$dir/virtuoso.out" >&2
    stop; exit 1
}

stop() {
    running || { rm -f "$pidfile"; return 0; }
    local pid; pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    rm -f "$pidfile"
}

case "$command" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
