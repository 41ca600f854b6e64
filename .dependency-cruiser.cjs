/**
 * The directions imports may take (docs/architecture.md, "Layers and the lint"). `npm run lint` runs
 * this; a wrong-way import fails CI. Paths are relative to the repository root.
 *
 * The driver SDK: what a driver may import from the gateway besides gateway/core.
 */
const DRIVER_SDK = [
  '^gateway/core/',
  '^gateway/devices/driver\\.ts$',
  '^gateway/devices/driver-module\\.ts$',
  // The configuration's building blocks a driver's device and profile schemas are made of.
  '^gateway/config/schema/(common|device|point)\\.ts$',
  // Reading a { file } / { env } secret and a shipped profile file (tools, simulators, tests).
  '^gateway/config/(secrets|profile-file|paths)\\.ts$',
];
const NOT_OURS = '^(node_modules|node:)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle ties modules so neither can be understood, tested or moved alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-depends-on-nothing',
      severity: 'error',
      comment: 'gateway/core (model, bus, clock, errors, ids, logger, units) is the bottom layer: it imports nothing else of ours.',
      from: { path: '^gateway/core/' },
      to: { path: '^(gateway|drivers|config|simulators|bench|test|scripts)/', pathNot: '^gateway/core/' },
    },
    {
      name: 'drivers-see-only-the-sdk',
      severity: 'error',
      comment: 'A driver imports gateway/core and the driver SDK (the contract, the DriverModule, schema building blocks) only.',
      from: { path: '^drivers/[^/]+/' },
      to: { path: '^(gateway|config|simulators|bench|test|scripts)/', pathNot: DRIVER_SDK },
    },
    {
      name: 'drivers-are-independent',
      severity: 'error',
      comment: 'A driver never imports another driver; shared code goes to gateway/core or the SDK.',
      from: { path: '^drivers/([^/]+)/' },
      to: { path: '^drivers/', pathNot: '^drivers/$1/' },
    },
    {
      name: 'core-knows-no-concrete-driver',
      severity: 'error',
      comment: 'The core (gateway/core, the driver contract and the device manager in gateway/devices) knows the contract, never a driver.',
      from: { path: '^gateway/(core|devices)/' },
      to: { path: '^drivers/' },
    },
    {
      name: 'only-the-driver-list-names-drivers',
      severity: 'error',
      comment: 'drivers/index.ts lists the driver modules; gateway/ reaches drivers only through it (the config union, the composition root).',
      from: { path: '^gateway/' },
      to: { path: '^drivers/', pathNot: '^drivers/index\\.ts$' },
    },
    {
      name: 'driver-list-for-config-and-root-only',
      severity: 'error',
      comment:
        'Only the configuration schema (the device union) and the composition root import the list of driver modules; the UI gets it through the facade.',
      from: { path: '^gateway/', pathNot: ['^gateway/config/schema/', '^gateway/daemon\\.ts$', '^gateway/composition/'] },
      to: { path: '^drivers/index\\.ts$' },
    },
    {
      name: 'ui-through-the-facade',
      severity: 'error',
      comment: 'gateway/ui talks to the gateway through the typed facade (gateway/facade.ts), never the daemon or a driver.',
      from: { path: '^gateway/ui/' },
      to: { path: ['^gateway/daemon\\.ts$', '^gateway/composition/', '^drivers/'] },
    },
    {
      name: 'nothing-imports-the-root',
      severity: 'error',
      comment: 'gateway/daemon.ts composes everything; only the CLI (and tests) import it. Extensions get the facade.',
      from: { path: '^(gateway|drivers)/', pathNot: '^gateway/(cli|composition)/' },
      to: { path: '^gateway/daemon\\.ts$' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      comment: 'gateway/ and drivers/ ship in the .deb; simulators, benchmarks and tests do not. The demo launcher (simulators/demo/) is outside gateway/.',
      from: { path: '^(gateway|drivers)/' },
      to: { path: '^(simulators|bench|test|scripts)/' },
    },
    {
      name: 'config-folder-is-data',
      severity: 'error',
      comment: 'Top-level config/ holds data (demo, examples, profiles, the ONVIF event registry); configuration code lives in gateway/config/.',
      from: {},
      to: { path: '^config/.+\\.(ts|js|cjs|mjs)$' },
    },
    {
      name: 'config-below-the-parts',
      severity: 'error',
      comment: 'Configuration sits just above the core: it reads the driver list for the device union, and nothing of the parts it configures.',
      from: { path: '^gateway/config/' },
      to: { path: '^gateway/', pathNot: ['^gateway/(core|config)/'] },
    },
    {
      name: 'state-store-in-storage',
      severity: 'error',
      comment: 'Modes and rules keep their small state in gateway/storage, not in the outbox.',
      from: { path: '^gateway/(modes|rules)/' },
      to: { path: '^gateway/outbox/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Node 20: the swc parser (the tsc one needs TypeScript < 6; this project has 7).
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: NOT_OURS },
    exclude: { path: ['^node_modules', '^dist/', '^ui/'] },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
