#compdef sbctl
# sbctl.zsh: zsh completion for sbctl (installed as /usr/share/zsh/vendor-completions/_sbctl).
# The same rules as sbctl.bash: options, then the running daemon's commands (`sbctl which`),
# then the command's params (`sbctl help <command>`; name= with --json); without a daemon, the
# generated list /usr/share/switchboard/commands (or $SBCTL_COMMANDS).

_sbctl() {
  local list=${SBCTL_COMMANDS:-/usr/share/switchboard/commands}
  local -a pre names params
  local command="" json="" i=2
  while (( i < CURRENT )); do
    case ${words[i]} in
      --json) json=1 ;;
      -t|--transport|--socket|--udp|--url|--user|--token|-f|--fifo|--reply-dir|--timeout)
        pre+=(${words[i]} ${words[i+1]}); (( i++ )) ;;
      -*) ;;
      *) command=${words[i]}; break ;;
    esac
    (( i++ ))
  done
  if [[ -z $command ]]; then
    if [[ ${words[CURRENT]} == -* ]]; then
      compadd -- --json -t --transport --socket --udp --url --user --token -f --fifo --reply-dir --timeout -h --help --man
      return
    fi
    names=(${(f)"$(sbctl $pre --timeout 2 which 2>/dev/null | sed 's/^[^:]*://')"})
    (( ${#names} )) || names=(${(f)"$(cut -d' ' -f1 $list 2>/dev/null)"})
    compadd -- $names
    return
  fi
  params=(${(f)"$(sbctl $pre --timeout 2 help $command 2>/dev/null | sed -n 's/^\tname:: //p')"})
  (( ${#params} )) || params=(${(s: :)"$(awk -v c=$command '$1 == c { $1 = ""; print }' $list 2>/dev/null)"})
  if [[ -n $json ]]; then
    compadd -S '' -- ${^params}=
  else
    compadd -- $params
  fi
}

_sbctl "$@"
