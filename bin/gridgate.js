#!/usr/bin/env node
// The installed command: runs the TypeScript sources through tsx (a runtime dependency), so an
// install needs no build step. Production packaging (issue 7) may switch this to dist/.
import { register } from 'tsx/esm/api';

register();
await import('../gateway/cli/main.ts');
