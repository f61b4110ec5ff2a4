# bash completion for leads(1). The candidates come from the binary itself
# (`leads __complete WORDS...`), which knows the commands, their options,
# and the stages, statuses and team of the current config.
_leads()
{
	local cur words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -n = || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local out
	out=$(LEADS_COMPLETE_DESC= "${words[0]}" __complete "${words[@]:1:cword}" 2>/dev/null) || return
	if [[ $out == __files__ ]]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
	fi
	local IFS=$'\n'
	mapfile -t COMPREPLY < <(compgen -W "$out" -- "$cur")
	# stage names may contain spaces: quote them for the shell
	local i
	for i in "${!COMPREPLY[@]}"; do
		COMPREPLY[i]=$(printf '%q' "${COMPREPLY[i]}")
	done
}
complete -F _leads leads
