import { resolve } from 'node:path';
import { PACKAGE_ROOT } from '../core/package-root.js';

export { PACKAGE_ROOT };

/** Profiles shipped with gridgate. */
export const BUILTIN_PROFILE_DIR = resolve(PACKAGE_ROOT, 'config', 'profiles');

/** The demo configuration `npm start` runs. */
export const DEMO_CONFIG = resolve(PACKAGE_ROOT, 'config', 'demo.yaml');
