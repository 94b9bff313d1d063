#!/bin/bash
# complete.bash 'LINE': prints what bash completion offers for LINE (the
# cursor at its end), as readline would receive it: one candidate a line,
# sorted, then "(nospace)" if no space would follow a single candidate.
# COMP_WORDS is split as bash splits it (COMP_WORDBREAKS keeps '=' and ':'
# as words of their own).
set -u
. /usr/share/bash-completion/bash_completion || exit 1
. "${abs_top_srcdir:-$(dirname "$0")/..}/utilities/vplug.bash-completion" \
    || exit 1

# compopt only works inside a completion readline started; record instead.
nospace=
compopt () {
    [[ $* == "-o nospace" ]] && nospace=yes
    return 0
}

COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
COMP_WORDS=()
read -ra blanks <<< "$COMP_LINE"
for w in "${blanks[@]}"; do
    while [[ -n $w ]]; do
        if [[ $w =~ ^([=:]+)(.*)$ || $w =~ ^([^=:]+)(.*)$ ]]; then
            COMP_WORDS+=("${BASH_REMATCH[1]}")
            w=${BASH_REMATCH[2]}
        fi
    done
done
[[ $COMP_LINE == *' ' || ${#COMP_WORDS[@]} == 0 ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_vplug vplug "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort
[[ -n $nospace ]] && echo "(nospace)"
exit 0
