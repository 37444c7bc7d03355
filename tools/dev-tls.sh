#!/usr/bin/env bash
# A development certificate for nginx, when no real one is configured:
#
#   tools/dev-tls.sh [DIR]        DIR defaults to .data/tls
#
# Makes, once, a development CA (ca.crt, ca.key) and a server certificate it
# signs for localhost, 127.0.0.1 and ::1 (server.crt, server.key). When DIR
# already holds server.crt and server.key, whoever made them, it changes
# nothing: a real certificate put there is used as it is, and the development
# one is reused, so that clients trusting ca.crt keep trusting it.
# Used by tools/scale-out.sh and by docker-compose.yml's tls-dev-cert service.
set -euo pipefail

DIR=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.data/tls}
# A private CA trusted by hand is not bound by the public CAs' 398-day limit.
CA_DAYS=3650
SERVER_DAYS=825

say() { printf '[tls] %s\n' "$*"; }
die() {
  printf '[tls] error: %s\n' "$*" >&2
  exit 1
}

if [[ -s $DIR/server.crt && -s $DIR/server.key ]]; then
  say "using the certificate in $DIR/server.crt"
  exit 0
fi
command -v openssl >/dev/null || die "openssl is missing: install Debian's openssl package, or put server.crt and server.key in $DIR"

say "making a development CA and a certificate for localhost, 127.0.0.1 and ::1 in $DIR"
mkdir -p "$DIR"
# Made beside DIR and moved in at the end: an interrupted run leaves nothing half-made behind.
work=$(mktemp -d "$DIR/.making.XXXXXX")
trap 'rm -rf "$work"' EXIT
(
  umask 077
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/server.key"
)
openssl req -x509 -new -key "$work/ca.key" -days "$CA_DAYS" -subj '/CN=PulseCart development CA' \
  -addext 'basicConstraints=critical,CA:TRUE,pathlen:0' \
  -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -out "$work/ca.crt" 2>/dev/null
openssl req -new -key "$work/server.key" -subj '/CN=localhost' -out "$work/server.csr" 2>/dev/null
cat >"$work/server.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
EXT
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days "$SERVER_DAYS" -extfile "$work/server.ext" -out "$work/server.crt" 2>/dev/null
chmod 644 "$work/ca.crt" "$work/server.crt"
mv -f "$work/ca.key" "$work/ca.crt" "$work/server.key" "$DIR/"
# Last: server.crt's presence is what says the set is complete.
mv -f "$work/server.crt" "$DIR/"
say "made $DIR/server.crt; clients trust $DIR/ca.crt"
