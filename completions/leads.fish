# fish completion for leads(1): candidates come from `leads __complete`
# with their descriptions (LEADS_COMPLETE_DESC=1: "word<TAB>description",
# which fish shows as is). fish escapes what it inserts, so a stage such as
# "Appointment Set" stays one word; "__files__" means file names.
function __leads_complete
	set -l words (commandline -opc)
	set -l cur (commandline -ct)
	set -e words[1]
	set -l out (env LEADS_COMPLETE_DESC=1 leads __complete $words "$cur" 2>/dev/null)
	if test "$out" = "__files__"
		__fish_complete_path "$cur"
	else
		printf '%s\n' $out
	end
end
complete -c leads -f -a '(__leads_complete)'
