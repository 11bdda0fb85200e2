# bash completion for echomap(8): subcommands, each one's options, the values of --engine,
# --format and --xdp-mode, interface names for -I, files where a file is expected.
# Installed as PREFIX/share/bash-completion/completions/echomap; needs nothing of
# bash-completion itself.

_echomap_opts()
{
	local common='-I --interface -S --source --ttl --size -q --quiet -v --verbose --xdp-mode --engine -m
		--all-addresses --blocklist --allowlist --allow-reserved'
	local general='-h --help --version' output='-F --format -o --output'
	local family='-4 --ipv4 -6 --ipv6 --iid'

	case $1 in
	sweep) echo "$common $family $output --seed --threads -r --rate -n --probes -w --wait --resend --shards
		--shard --all --stream --repeats --metadata --resume --create-table --run-id --batch
		--retry --spill $general" ;;
	ping) echo "$common $family $output -c --count -p --period -t --timeout $general" ;;
	watch) echo "$common --seed -r --rate -n --probes -t --timeout --every --aggregate --buckets
		--listen --web.config.file --snapshot-dir --keep --config --vantage
		$general" ;;
	map) echo "-o --output --prefix --size -F --format --title --where -v --verbose $general" ;;
	trace) echo "-I --interface -S --source --size -q --quiet -v --verbose --xdp-mode --engine -m --all-addresses
		--blocklist --allowlist --allow-reserved $output --seed -r --rate -w --wait --resend
		--shards --shard --min-ttl --max-ttl --flows --paths --stop-early $general" ;;
	esac
}

_echomap()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd= i
	local IFS=$' \t\n'

	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		sweep | ping | watch | map | trace)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		mapfile -t COMPREPLY < <(compgen -W 'sweep ping watch map trace --help --version' -- "$cur")
		return
	fi

	# --opt=value is one word to getopt: complete the value after the '='.
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi
	case $prev in
	-I | --interface)
		mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")
		return
		;;
	--engine)
		mapfile -t COMPREPLY < <(compgen -W 'afxdp xdp-live raw auto' -- "$cur")
		return
		;;
	--xdp-mode)
		mapfile -t COMPREPLY < <(compgen -W 'auto native generic' -- "$cur")
		return
		;;
	-F | --format)
		if [[ $cmd == map ]]; then
			mapfile -t COMPREPLY < <(compgen -W 'png svg' -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W 'text csv json' -- "$cur")
		fi
		return
		;;
	-o | --output | --blocklist | --allowlist | --config | --metadata | --resume | --spill | \
		--web.config.file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--snapshot-dir)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	-S | --source | --ttl | --size | --threads | --seed | -r | --rate | -n | --probes | -w | --wait | --resend | \
		--shards | --shard | -c | --count | -p | --period | -t | --timeout | --every | \
		--aggregate | --buckets | --listen | --keep | --prefix | --title | --min-ttl | \
		--max-ttl | --flows | --run-id | --batch | --retry | --vantage | --where)
		return # a number, an address or text: nothing to offer
		;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_echomap_opts "$cmd")" -- "$cur")
	elif [[ $cur == @* ]]; then
		# @file: a target list
		mapfile -t COMPREPLY < <(compgen -f -- "${cur#@}" | sed 's/^/@/')
	elif [[ $cmd == map ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

complete -F _echomap echomap
