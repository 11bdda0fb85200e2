# shellcheck shell=bash
# ClickHouse servers for the tests: each on 127.0.0.1 of the sender namespace ($NS_S, where
# echomap runs; netns_cleanup ends them with the namespace's other processes) with free ports
# and its own directory under $NET_TMP, started from a generated config (no systemd).
#
#   ch_server NAME [CLUSTER_XML]   start server NAME; its HTTP port in CH_HTTP[NAME], its TCP
#                                  port in CH_TCP[NAME], its directory $NET_TMP/ch-NAME
#   ch_stop NAME / ch_restart NAME kill -9 it / start it again on the same ports and data
#   ch_query NAME SQL              run SQL there, print the answer
#   ch_sql_file NAME FILE          run the ;-separated statements of FILE there

declare -gA CH_HTTP CH_TCP

# A free TCP port on 127.0.0.1 of the sender namespace (the kernel's pick, released at once).
ch_free_port() {
	ip netns exec "$NS_S" python3 -c \
		'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ch_write_config DIR HTTP TCP [CLUSTER_XML]: config.xml and users.xml in DIR. The user
# "default" has no password; "writer" has the password "secret" (for the credentials test).
ch_write_config() {
	local dir=$1 http=$2 tcp=$3 cluster=${4:-}

	mkdir -p "$dir/data" "$dir/tmp" "$dir/log"
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>$dir/log/server.log</log>
        <errorlog>$dir/log/error.log</errorlog><console>0</console></logger>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/data/user_files/</user_files_path>
    <format_schema_path>$dir/data/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <max_connections>64</max_connections>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mlock_executable>false</mlock_executable>
    <remote_servers>$cluster</remote_servers>
</yandex>
XML
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
    <users>
        <default><password></password><networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile><quota>default</quota></default>
        <writer><password>secret</password><networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile><quota>default</quota></writer>
    </users>
    <quotas><default></default></quotas>
</yandex>
XML
}

# ch_restart NAME: starts server NAME in the background, waits until it answers. Fails (with
# the server's last log lines) when it does not answer within 60 s.
ch_restart() {
	local dir=$NET_TMP/ch-$1 pid

	ip netns exec "$NS_S" clickhouse-server --config-file="$dir/config.xml" \
		>>"$dir/log/stdout" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	track_pid "$pid"
	for _ in $(seq 600); do
		if [ "$(ip netns exec "$NS_S" curl -s "http://127.0.0.1:${CH_HTTP[$1]}/ping")" = Ok. ]
		then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "clickhouse-server $1 did not start:" >&2
	tail -5 "$dir/log/error.log" "$dir/log/stdout" >&2
	return 1
}

ch_server() {
	CH_HTTP[$1]=$(ch_free_port)
	CH_TCP[$1]=$(ch_free_port)
	ch_write_config "$NET_TMP/ch-$1" "${CH_HTTP[$1]}" "${CH_TCP[$1]}" "${2:-}"
	ch_restart "$1"
}

# ch_stop NAME: kill -9, and wait until the process is gone.
ch_stop() {
	local pid

	pid=$(cat "$NET_TMP/ch-$1/pid" 2>/dev/null) || return 0
	kill -9 "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$NET_TMP/ch-$1/pid"
}

ch_query() {
	ip netns exec "$NS_S" curl -sS --fail-with-body "http://127.0.0.1:${CH_HTTP[$1]}/" \
		--data-binary "$2"
}

ch_sql_file() {
	local stmt

	while IFS= read -r -d ';' stmt; do
		stmt=$(sed 's/--.*//' <<<"$stmt" | tr '\n' ' ')
		[ -n "${stmt// /}" ] || continue
		ch_query "$1" "$stmt" || return 1
	done <"$2"
}
