#!/usr/bin/env node
// The command of a development checkout (`npm link`): runs the TypeScript sources through tsx, a
// development dependency. Installs run the compiled program: the .deb's /usr/bin/gridgate and
// install.sh's unit call dist/gateway/cli/main.js with node.
import { register } from 'tsx/esm/api';

register();
await import('../gateway/cli/main.ts');
