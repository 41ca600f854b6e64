#!/bin/sh
# gridgate(1): the installed command runs the compiled program with the system's Node.js.
exec /usr/bin/node /usr/lib/gridgate/dist/gateway/cli/main.js "$@"
