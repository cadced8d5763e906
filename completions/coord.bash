# bash completion for coord(1); installed as
# $(PREFIX)/share/bash-completion/completions/coord.
#
# To add an option: put it in _coord_opts (with `=` when it takes a value)
# and, when its value is a fixed word list or a file, in _coord_value below.
# tests/cli/toolchain.sh checks that every long option of `coord --help` is
# listed here, and completes a few command lines.

_coord_commands='check cache'
_coord_opts='-j --jobs= --format= --color= --emit-types -I --include= --stats --watch --trace= --no-cache --cache-dir= --cache-max= --cache-verify --remote-cache= --remote-cache-readonly --remote-cache-timeout= --remote-cache-ttl= --help --version'

# Completes the value of option $1 from the word $2; returns 1 when $1 takes
# no value.
_coord_value()
{
    case $1 in
    --format) COMPREPLY=($(compgen -W 'text json sarif' -- "$2")) ;;
    --color) COMPREPLY=($(compgen -W 'auto always never' -- "$2")) ;;
    -j | --jobs) COMPREPLY=() ;;
    -I | --include) COMPREPLY=($(compgen -d -- "$2")) ;;
    --trace) COMPREPLY=($(compgen -f -- "$2")) ;;
    --cache-dir) COMPREPLY=($(compgen -d -- "$2")) ;;
    --cache-max | --remote-cache | --remote-cache-timeout | --remote-cache-ttl) COMPREPLY=() ;;
    *) return 1 ;;
    esac
    return 0
}

_coord()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local i command=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -*) ;;
        *) command=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$_coord_commands --help --version" -- "$cur"))
        return
    fi
    # --opt=value: one word, or three (--opt, =, value) when `=` is in
    # COMP_WORDBREAKS, as it is by default
    if [[ $cur == --*=* ]]; then
        if _coord_value "${cur%%=*}" "${cur#*=}"; then
            COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
            return
        fi
    elif [[ $cur == = ]]; then
        _coord_value "$prev" "" && return
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        _coord_value "${COMP_WORDS[COMP_CWORD - 2]}" "$cur" && return
    elif [[ $cur != -* ]]; then
        _coord_value "$prev" "$cur" && return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_coord_opts" -- "$cur"))
        [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    # PATH arguments: directories (source roots) and .kite files
    COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.kite' -- "$cur"))
    compopt -o filenames 2>/dev/null
}
complete -F _coord coord
