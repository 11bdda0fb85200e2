#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The Prometheus alerting rules and the Grafana dashboard in contrib/: the rules pass promtool's
# check and its unit tests; both name only metrics echomap exports. (That their queries answer
# against a real Prometheus scraping watch is tests/e2e/watch.bats's.)

load lib

RULES=$ROOT/contrib/prometheus/echomap.rules.yml
DASHBOARD=$ROOT/contrib/grafana/echomap.json

# metrics_in FILE: the echomap_* names FILE uses, histogram suffixes folded, sorted.
metrics_in() {
	grep -o 'echomap_[a-z_]*' "$1" | sed 's/_\(bucket\|sum\|count\)$//' | sort -u
}

exported() {
	grep -o '"echomap_[a-z_]*' "$ROOT/user/report/metrics.c" | tr -d '"' |
		sed 's/_\(bucket\|sum\|count\)$//' | sort -u
}

@test "alerting rules: promtool check rules, and promtool test rules fires each where it should" {
	command -v promtool >/dev/null || skip "promtool not installed (make deps installs prometheus)"
	promtool check rules "$RULES"
	(cd "$ROOT/contrib/prometheus" && promtool test rules echomap.rules.test.yml)
}

@test "rules and dashboard name only metrics echomap exports" {
	local unknown
	unknown=$(comm -23 <(cat <(metrics_in "$RULES") <(metrics_in "$DASHBOARD") | sort -u) \
		<(exported))
	[ -z "$unknown" ] || { echo "not exported: $unknown" >&2; false; }
	[ "$(metrics_in "$DASHBOARD" | wc -l)" -ge 10 ]
}

@test "dashboard: JSON with unique panel ids, each query on the datasource variable" {
	jq -e '(.panels | map(.id) | length == (unique | length)) and
		all(.panels[].targets[]; .datasource.uid == "${datasource}" and (.expr | length > 0)) and
		(.templating.list | map(.name) | index("target") != null)' "$DASHBOARD" >/dev/null
}
