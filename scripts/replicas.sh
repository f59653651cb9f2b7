#!/usr/bin/env bash
# replicas.sh: the docker-compose topology as processes on loopback, for a
# machine without a container engine.
#
#   scripts/replicas.sh            # against PAYBOT_TEST_POSTGRES (default: local trust auth)
#
# It runs TestReplicasOnPostgres: the real binary is built, two `paybot serve`
# processes start on free loopback ports against one PostgreSQL schema, a
# round-robin httputil.ReverseProxy stands in for Caddy, and a fake Slack Web
# API counts posts. Signed /payissue commands go through the proxy, a quarter
# of them redelivered straight to the other replica; the test checks every
# incident opened once with one card, and both replicas' /readyz and /metrics.
# The schema is dropped afterwards. Needs go and a reachable PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PAYBOT_TEST_POSTGRES="${PAYBOT_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
exec go test -count=1 -v -run 'TestReplicasOnPostgres|TestServeOnPostgresOps' ./cmd/paybot/
