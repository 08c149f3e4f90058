#!/bin/sh
# A tiny line protocol for the examples, one process per connection under socat:
#   socat TCP-LISTEN:PORT,bind=127.0.0.1,reuseaddr,fork EXEC:'sh line-server.sh'
# The server greets with "+OK ready"; "ECHO text" answers "+OK text", "COUNT" the number of commands so far,
# "QUIT" answers "+OK bye" and ends the connection; anything else is "-ERR unknown command". Lines end in
# "\r\n" both ways ("\n" alone is accepted). sh's read takes one byte at a time from a socket, so it never
# reads past a line, and printf writes each reply at once.
printf '+OK ready\r\n'
count=0
while IFS= read -r line; do
  line=${line%"$(printf '\r')"}
  count=$((count + 1))
  case "$line" in
    "ECHO "*) printf '+OK %s\r\n' "${line#ECHO }" ;;
    COUNT) printf ':%d\r\n' "$count" ;;
    QUIT) printf '+OK bye\r\n'; exit 0 ;;
    *) printf -- '-ERR unknown command\r\n' ;;
  esac
done
