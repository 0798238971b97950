#!/usr/bin/zsh -f
# zsh_complete.zsh <fpath dir> <command line>: prints, one per line and sorted, what zsh's own
# completion system (compinit, the _<command> function found in <fpath dir>) offers at the end
# of <command line>, as a user pressing TAB there would get. It drives an interactive zsh in a
# pseudo-terminal (zsh/zpty): the completion function runs for real; only compadd is wrapped to
# also print each match it adds (after zsh's own prefix filtering: compadd -A). Used by
# sbctl_zsh_completion_test.sh; not a test itself. Exit 2/3: zpty or the shell failed.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT= RPROMPT= PS2= ; fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -d /dev/null"
zpty -w z 'compadd() {
  if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
  local -a __hits
  builtin compadd -A __hits "$@"
  local h; for h in $__hits; do print -r -- "<hit>$h</hit>"; done
  builtin compadd "$@"
}'
zpty -w z 'zstyle ":completion:*" menu no; comppostfuncs=(__done); __done() { print -r -- "<done/>"; }'
zpty -w z 'print "<ready/>"'
zpty -r z out '*<ready/>*' || exit 3
zpty -w -n z "$2"$'\t'
out=
while zpty -r z chunk; do
  out+=$chunk
  [[ $out == *'<done/>'* ]] && break
done
zpty -d z
print -r -- "$out" | tr -d '\r' | grep -o '<hit>.*</hit>' | sed 's/^<hit>//; s/<\/hit>$//' | sort -u
