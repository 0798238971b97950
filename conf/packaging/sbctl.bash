# sbctl.bash: bash completion for sbctl (installed as /usr/share/bash-completion/completions/sbctl).
# Completes sbctl's options, then the command names the running daemon serves (`sbctl which`,
# over the transport the options before it choose), then that command's param names
# (`sbctl help <command>`: as name= with --json, where params go by name); without a daemon,
# from the list of built-in commands generated at build time (switchboard --print-commands),
# /usr/share/switchboard/commands (or $SBCTL_COMMANDS).

_sbctl_static() {  # _sbctl_static [command]: names from the generated list
  local list=${SBCTL_COMMANDS:-/usr/share/switchboard/commands}
  [ -r "$list" ] || return
  if [ -z "$1" ]; then cut -d' ' -f1 "$list"; else awk -v c="$1" '$1 == c { for (i = 2; i <= NF; i++) print $i }' "$list"; fi |
    grep -E '^[A-Za-z0-9_.-]+$'
}

_sbctl() {
  local cur prev words cword
  _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
  local opts="--json -t --transport --socket --udp --url --user --token -f --fifo --reply-dir --timeout -h --help --man --"
  case $prev in
    -t|--transport) COMPREPLY=($(compgen -W "fifo dgram udp http" -- "$cur")); return ;;
    -f|--fifo|--socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --reply-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --udp|--url|--user|--token|--timeout) return ;;
  esac
  # The options given so far (they choose the transport the completion asks over) and the
  # command word, when there is one before the cursor.
  local i=1 command="" json="" pre=()
  while [ $i -lt $cword ]; do
    case ${words[i]} in
      --json) json=1 ;;
      -t|--transport|--socket|--udp|--url|--user|--token|-f|--fifo|--reply-dir|--timeout)
        pre+=("${words[i]}" "${words[i+1]}"); i=$((i + 1)) ;;
      --) ;;
      -*) ;;
      *) command=${words[i]}; break ;;
    esac
    i=$((i + 1))
  done
  if [ -z "$command" ]; then
    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); return; fi
    local names
    # A module's commands are listed as module:name; the name alone calls them too. Only plain
    # names are kept: compgen -W expands $(...) in its word list, and the list comes from a daemon.
    names=$(sbctl "${pre[@]}" --timeout 2 which 2>/dev/null | sed 's/^[^:]*://' | grep -E '^[A-Za-z0-9_.-]+$')
    [ -n "$names" ] || names=$(_sbctl_static)
    COMPREPLY=($(compgen -W "$names" -- "$cur"))
    return
  fi
  local params
  params=$(sbctl "${pre[@]}" --timeout 2 help "$command" 2>/dev/null | sed -n 's/^\tname:: //p' | grep -E '^[A-Za-z0-9_.-]+$')
  [ -n "$params" ] || params=$(_sbctl_static "$command")
  if [ -n "$json" ]; then
    COMPREPLY=($(compgen -W "$(printf '%s=\n' $params)" -- "$cur"))
    compopt -o nospace 2>/dev/null
  else
    COMPREPLY=($(compgen -W "$params" -- "$cur"))
  fi
}
complete -F _sbctl sbctl
