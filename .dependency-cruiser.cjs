// The layer rule (see README "Layout"): contract <- engines <- libraries <- activities <- workers,
// with the CLI beside; workflows import only the contract and activity *types*; no import loops.
const libraries = '^src/(audit|validation|reports|archives|storage|intake|assess|config|schedules|temporal|cdc|split|lazy|common|manifest|metrics|doctor|preflight)/';
const above = (...folders) => `^src/(${folders.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-import-loops', severity: 'error', comment: 'Import loops make layers meaningless.', from: {}, to: { circular: true } },
    {
      name: 'contract-imports-nothing', severity: 'error',
      comment: 'src/contract is the bottom: it imports nothing of the project.',
      from: { path: '^src/contract/' }, to: { path: '^src/', pathNot: '^src/contract/' },
    },
    {
      name: 'engines-import-only-contract', severity: 'error',
      comment: 'Engines sit on the contract only.',
      from: { path: '^src/engines/' }, to: { path: '^src/', pathNot: '^src/(contract|engines)/' },
    },
    {
      name: 'libraries-never-import-activities', severity: 'error',
      comment: 'Libraries sit below activities, workflows, workers and the CLI.',
      from: { path: libraries }, to: { path: above('activities', 'workflows', 'workers', 'cli', 'demo') },
    },
    {
      name: 'activities-below-workflows-workers-cli', severity: 'error',
      from: { path: '^src/activities/' }, to: { path: above('workflows', 'workers', 'cli', 'demo') },
    },
    {
      name: 'workflows-import-contract-and-activity-types', severity: 'error',
      comment: 'Workflow code is replayed: it imports the contract, other workflow modules and activity types only.',
      from: { path: '^src/workflows/' }, to: { path: '^src/', pathNot: '^src/(contract|workflows|activities)/' },
    },
    {
      name: 'workflows-import-activities-as-types', severity: 'error',
      from: { path: '^src/workflows/' }, to: { path: '^src/activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-the-edge', severity: 'error',
      comment: 'Workers, the CLI and the demo are entry points: nothing below imports them.',
      from: { pathNot: above('workers', 'cli', 'demo') }, to: { path: above('workers', 'cli', 'demo') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
