#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Shell completion: bash's completion function driven through COMP_WORDS/COMP_CWORD, its
# option lists against each command's --help; zsh's file loaded by compinit, its option lists
# against --help too.

load lib

BASH_COMP=$ROOT/contrib/completion/echomap.bash
ZSH_COMP=$ROOT/contrib/completion/_echomap

setup() {
	require_built
}

# complete WORD...: what bash offers for the last WORD of `echomap WORD...`, one per line, sorted.
complete() {
	bash -c 'source "$1"; shift; COMP_WORDS=(echomap "$@"); COMP_CWORD=$#; _echomap
		printf "%s\n" "${COMPREPLY[@]}"' sh "$BASH_COMP" "$@" | sed '/^$/d' | sort
}

lines() { printf '%s\n' "$@" | sort; }

@test "bash: subcommands, --help and --version first" {
	same_set offered "$(complete '')" expected "$(lines sweep ping watch map trace --help --version)"
	same_set offered "$(complete w)" expected "$(lines watch)"
}

@test "bash: each subcommand's options are exactly those of its --help" {
	local cmd
	for cmd in $COMMANDS; do
		same_set "completion of echomap $cmd -" "$(complete "$cmd" -)" \
			"echomap $cmd --help" "$(help_options "$cmd")"
	done
	same_set offered "$(complete sweep --sh)" expected "$(lines --shard --shards)"
}

@test "bash: values of --engine, --xdp-mode and --format (map's are its own)" {
	same_set offered "$(complete sweep --engine '')" expected "$(lines afxdp xdp-live raw auto)"
	same_set offered "$(complete watch --engine x)" expected "$(lines xdp-live)"
	same_set offered "$(complete ping --engine=a)" expected "$(lines afxdp auto)"
	same_set offered "$(complete ping --xdp-mode '')" expected "$(lines auto native generic)"
	same_set offered "$(complete sweep -F '')" expected "$(lines text csv json)"
	same_set offered "$(complete map --format '')" expected "$(lines png svg)"
	# A value is completed after its option only, not as a target.
	[ -z "$(complete sweep --ttl '')" ]
}

@test "bash: -I offers the interfaces of /sys/class/net" {
	same_set offered "$(complete ping -I '')" interfaces "$(ls /sys/class/net | sort)"
	same_set offered "$(complete sweep --interface l)" interfaces \
		"$(ls /sys/class/net | grep '^l' | sort)"
}

@test "bash: @file and map's RESULTS complete file names" {
	local dir
	dir=$(mktemp -d)
	touch "$dir/targets.txt" "$dir/results.json"
	same_set offered "$(cd "$dir" && complete sweep @ta)" expected "$(lines @targets.txt)"
	same_set offered "$(cd "$dir" && complete map -o x.png re)" expected "$(lines results.json)"
	rm -rf "$dir"
}

@test "zsh: the completion file loads through compinit, its options match each --help" {
	command -v zsh >/dev/null || skip "zsh not installed"
	local dir cmd opts
	dir=$(mktemp -d)
	cp "$ZSH_COMP" "$dir/"
	zsh -n "$ZSH_COMP"
	[ "$(HOME=$dir zsh -fc "fpath=($dir \$fpath); autoload -Uz compinit;
		compinit -u -d $dir/.zcompdump; print -r -- \$_comps[echomap]")" = _echomap ]
	for cmd in $COMMANDS; do
		# The arrays a command's _arguments is given, their options.
		opts=$(awk -v cmd="$cmd" '
			$1 == cmd ")" { for (i = 3; i <= NF; i++) if ($i ~ /^\$/) want[substr($i, 2)] = 1 }
			/^\t[a-z]+=\($/ { arr = substr($1, 1, length($1) - 2); next }
			/^\t\)$/ { arr = ""; next }
			arr { body[arr] = body[arr] "\n" $0 }
			END { for (a in want) print body[a] }' "$ZSH_COMP" |
			grep -oE "(^|[{,'\t)])--?[A-Za-z][A-Za-z0-9.-]*[A-Za-z0-9]|(^|[{,'\t)])-[A-Za-z0-9]" | tr -d "{,'\t)" | sort -u)
		same_set "zsh's $cmd" "$opts" "echomap $cmd --help" "$(help_options "$cmd")"
	done
	rm -rf "$dir"
}
