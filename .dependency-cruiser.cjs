/**
 * The layers of opsdeck (README, "Architecture"): each may import its own layer and the ones
 * below it, never one above, and nothing may import in a cycle. `npm run lint` runs this.
 */
const LAYERS = [
  ['util', '^src/util/'],
  ['base', '^src/(errors[.]ts|log/|config/|metrics/)'],
  ['adapters', '^src/(aws|mysql|audit|notify|slack|http)/'],
  ['engine', '^src/runbook/'],
  ['queue', '^src/queue/'],
  ['approvals', '^src/approvals/'],
  ['features', '^src/(restore|seed|deploy|dns|feeds|replicas|temporary-instance|home)/'],
  ['jobs', '^jobs/'],
  ['command', '^src/command/'],
  ['commands', '^commands/'],
  ['front-door', '^src/front-door/'],
  ['app', '^src/app/'],
];

const layerRules = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}`,
  comment: `${name} may import only its own layer and the ones below (${
    LAYERS.slice(0, i)
      .map(([n]) => n)
      .join(', ') || 'nothing'
  })`,
  severity: 'error',
  from: { path },
  to: {
    path: LAYERS.slice(i + 1)
      .map(([, p]) => `(${p})`)
      .join('|'),
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'a cycle makes two modules one; split what they share into a lower module',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-not-harness',
      comment:
        'product code (src, commands, jobs) ships in the image: it never imports the development harness, tests or benchmarks',
      severity: 'error',
      from: { path: '^(src|commands|jobs)/' },
      to: { path: '^(devkit|test|bench|scripts)/' },
    },
    {
      name: 'every-module-in-a-layer',
      comment:
        'a new folder of src/ needs a place in LAYERS (.dependency-cruiser.cjs) and the README',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: LAYERS.map(([, p]) => `(${p})`).join('|'),
      },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|coverage|[.]local)/' },
  },
};
