import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer rules of .dependency-cruiser.cjs (docs/architecture.md, "Layers and the lint") catch a
 * wrong-way import: a small made-up tree, cruised in process with the project's own rules.
 */
const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

/** file → its source; relative imports only (the rules are about our own folders). */
const TREE: Record<string, string> = {
  'gateway/core/model.ts': 'export const x = 1;\n',
  'gateway/core/clock.ts': "import { y } from '../config/paths.js';\nexport const c = y;\n", // core → config: wrong way
  'gateway/config/paths.ts': 'export const y = 2;\n',
  'gateway/config/loader.ts': "import { s } from '../outbox/state.js';\nexport const l = s;\n", // config → a part it configures
  'gateway/devices/driver.ts': "import { x } from '../core/model.js';\nexport const d = x;\n",
  'gateway/devices/device-manager.ts': "import { m } from '../../drivers/modbus/index.js';\nexport const dm = m;\n", // core → a driver
  'gateway/daemon.ts': "import { all } from '../drivers/index.js';\nexport const g = all;\n",
  'gateway/ui/routes.ts': "import { g } from '../daemon.js';\nexport const r = g;\n", // UI → the root
  'gateway/modes/mode-manager.ts': "import { s } from '../outbox/state.js';\nexport const mm = s;\n", // state via the outbox
  'gateway/outbox/state.ts': 'export const s = 3;\n',
  'gateway/cli/main.ts': "import { sim } from '../../simulators/site.js';\nexport const cli = sim;\n", // production → simulators
  'simulators/site.ts': 'export const sim = 4;\n',
  'drivers/index.ts': "import { m } from './modbus/index.js';\nexport const all = [m];\n",
  'drivers/modbus/index.ts': "import { d } from '../../gateway/devices/driver.js';\nimport { o } from '../onvif/index.js';\nexport const m = d + o;\n", // driver → another driver
  'drivers/onvif/index.ts': "import { dm } from '../../gateway/devices/device-manager.js';\nexport const o = 5;\nexport const odm = dm;\n", // driver → beyond the SDK
  'config/schema/old.ts': 'export const old = 6;\n',
  'gateway/rules/zone.ts': "import { old } from '../../config/schema/old.js';\nimport { z2 } from './zone-b.js';\nexport const z1 = old + z2;\n", // code in config/; a cycle
  'gateway/rules/zone-b.ts': "import { z1 } from './zone.js';\nexport const z2 = 1;\nexport const again = () => z1;\n",
};

let root: string;
let result: ICruiseResult;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gg-depcruise-'));
  for (const [file, source] of Object.entries(TREE)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), source);
  }
  const { tsConfig: _tsConfig, ...options } = config.options ?? {};
  // baseDir: the rules' paths are relative to the repository root, here the made-up one.
  const out = await cruise(['gateway', 'drivers', 'config', 'simulators'], {
    ...options,
    baseDir: root,
    ruleSet: { forbidden: config.forbidden },
    validate: true,
    outputType: 'json',
  } as never);
  result = (typeof out.output === 'string' ? JSON.parse(out.output) : out.output) as ICruiseResult;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function violated(rule: string): string[] {
  return result.summary.violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);
}

describe('the layer rules', () => {
  it.each([
    ['core-depends-on-nothing', 'gateway/core/clock.ts -> gateway/config/paths.ts'],
    ['core-knows-no-concrete-driver', 'gateway/devices/device-manager.ts -> drivers/modbus/index.ts'],
    ['ui-through-the-facade', 'gateway/ui/routes.ts -> gateway/daemon.ts'],
    ['nothing-imports-the-root', 'gateway/ui/routes.ts -> gateway/daemon.ts'],
    ['state-store-in-storage', 'gateway/modes/mode-manager.ts -> gateway/outbox/state.ts'],
    ['config-below-the-parts', 'gateway/config/loader.ts -> gateway/outbox/state.ts'],
    ['no-test-code-in-production', 'gateway/cli/main.ts -> simulators/site.ts'],
    ['drivers-are-independent', 'drivers/modbus/index.ts -> drivers/onvif/index.ts'],
    ['drivers-see-only-the-sdk', 'drivers/onvif/index.ts -> gateway/devices/device-manager.ts'],
    ['config-folder-is-data', 'gateway/rules/zone.ts -> config/schema/old.ts'],
  ])('%s refuses %s', (rule, edge) => {
    expect(violated(rule)).toContain(edge);
  });

  it('no-circular finds a cycle', () => {
    expect(violated('no-circular').length).toBeGreaterThan(0);
  });

  it('allows the right-way imports: a driver to the SDK, the root to the driver list', () => {
    const all = result.summary.violations.map((v) => `${v.from} -> ${v.to}`);
    expect(all).not.toContain('drivers/modbus/index.ts -> gateway/devices/driver.ts');
    expect(all).not.toContain('gateway/daemon.ts -> drivers/index.ts');
    expect(all).not.toContain('gateway/devices/driver.ts -> gateway/core/model.ts');
  });
});
