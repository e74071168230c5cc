// Lint, including the layering rules of docs/ARCHITECTURE.md:
// - src/shared imports no Node, DOM or Electron (DOM and Node globals are also kept out by tsconfig.shared.json);
// - only src/main/electron (and the preload) may import 'electron';
// - the renderer imports only src/shared and its own files;
// - one concern of src/main imports another only through its index.ts;
// - tests (unit, integration, e2e and their support) import a concern of src/main through its index.ts too (or a sub-concern's, such as sim/engine).
// - a concern imports only those before it in CONCERN_ORDER (so the trading core never imports ib/);
// import cycles, type imports included (which import-x/no-cycle skips), are madge's check in `npm run lint`.
import { readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_')).flatMap((m) => [m, `node:${m}`]);
const noNode = { name: 'node:*', message: 'Node built-ins are not allowed in this layer.' };
const noElectron = {
  name: 'electron',
  message: "Only src/main/electron (and the preload) may import 'electron': keep the core runnable in plain Node.",
};

const concerns = readdirSync('src/main', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

const layerZones = [
  { target: './src/shared', from: ['./src/main', './src/renderer', './src/preload'], message: 'src/shared holds contracts only and depends on nothing else.' },
  { target: './src/renderer', from: ['./src/main', './src/preload'], message: 'The renderer imports only src/shared and its own files.' },
  { target: './src/preload', from: ['./src/main', './src/renderer'], message: 'The preload bridges src/shared contracts only.' },
  { target: './src/main', from: ['./src/renderer', './src/preload'], message: 'The main process does not import UI code.' },
];
// The order of the concerns of src/main (docs/ARCHITECTURE.md, "The folders and their order"): a concern
// imports only concerns in layers before its own. One table, lowest first; the simulator stands apart.
const CONCERN_ORDER = [
  ['clock', 'ops'],
  ['store'],
  ['venue'],
  ['bus'],
  ['marketdata', 'portfolio', 'risk', 'execution', 'workspace'],
  ['transport'],
  ['share', 'server'],
  ['ib'],
  ['app'],
  ['cli', 'electron'],
];
// The simulator stands apart: it imports only these, and only the composition and the CLI start it.
const APART = { sim: { imports: ['clock', 'ops'], importedBy: ['app', 'cli'] } };
const ordered = CONCERN_ORDER.flat();
const unplaced = concerns.filter((c) => !ordered.includes(c) && !(c in APART));
if (unplaced.length > 0) throw new Error(`eslint.config.js: place ${unplaced.join(', ')} in CONCERN_ORDER (or APART)`);
const layerOf = (c) => CONCERN_ORDER.findIndex((layer) => layer.includes(c));
const mayImport = (c, d) => (c in APART ? APART[c].imports.includes(d) : d in APART ? APART[d].importedBy.includes(c) : layerOf(d) < layerOf(c));
const orderZones = concerns.flatMap((c) =>
  concerns
    .filter((d) => d !== c && !mayImport(c, d))
    .map((d) => ({
      target: `./src/main/${c}`,
      from: `./src/main/${d}`,
      message: `src/main/${c} may not import src/main/${d}: see the concern order in docs/ARCHITECTURE.md (CONCERN_ORDER in eslint.config.js).`,
    })),
);
const concernZones = concerns.map((c) => ({
  target: `./src/main/!(${c})/**/*`,
  from: `./src/main/${c}`,
  except: ['./index.ts'],
  message: `Import src/main/${c} through its index.ts.`,
}));

// Tests (test/unit, integration, e2e, support) import a concern through its index.ts too, or a sub-concern's (sim/engine, transport/kafka).
const indexesOf = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((f) => f === 'index.ts' || f.endsWith('/index.ts'))
    .map((f) => `./${f}`);
const testZones = (insides = {}) =>
  concerns.map((c) => ({
    target: ['./test/unit/**/*', './test/integration/**/*', './test/e2e/**/*', './test/support/**/*'],
    from: `./src/main/${c}`,
    except: [...indexesOf(`src/main/${c}`), ...(insides[c] ?? [])],
    message: `Tests import src/main/${c} through its index.ts: its public surface.`,
  }));
// The tests that may import a concern's insides, each for its reason.
const testInsides = [
  // src/main/electron has no index.ts (it is Electron's entry): its IPC, CSP and sender checks are tested without a window.
  { files: ['test/unit/electron/ipc.test.ts'], insides: { electron: ['./csp.ts', './ipc.ts', './sender.ts'] } },
  // The adapter's pacing and trading-hours rules, tested as pure functions without a venue.
  { files: ['test/unit/ib/pacing.test.ts', 'test/unit/ib/venue-rules.test.ts'], insides: { ib: ['./pacer.ts', './hours.ts'] } },
  // The tail command's parsers and rate window: pure helpers behind runCli.
  { files: ['test/unit/cli/tail.test.ts'], insides: { cli: ['./tail-target.ts', './tail-stats.ts'] } },
  // The simulator's wire tables (no index: nothing outside the simulator speaks them) against @stoqey/ib's own codec.
  { files: ['test/unit/sim/protocol.test.ts'], insides: { sim: ['./protocol'] } },
  // Malformed frames written raw to the simulator's socket, in its own framing.
  { files: ['test/integration/sim-connection.test.ts'], insides: { sim: ['./protocol/framing.ts'] } },
  // The paper account and the trading day beneath the matching engine.
  { files: ['test/unit/sim/engine-account.test.ts'], insides: { sim: ['./engine/account.ts', './engine/calendar.ts'] } },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      eqeqeq: ['error', 'always'],
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...orderZones, ...concernZones] }],
      'import-x/no-duplicates': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron, ...nodeBuiltins.map((name) => ({ name, message: noNode.message }))] }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage', 'process', 'Buffer', 'require', '__dirname'],
    },
  },
  {
    files: ['src/main/**'],
    ignores: ['src/main/electron/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { paths: [noElectron, ...nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a browser: no Node built-ins.' }))] }],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', '__dirname'],
    },
  },
  {
    files: ['test/**'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: testZones() }] },
  },
  ...testInsides.map(({ files, insides }) => ({ files, rules: { 'import-x/no-restricted-paths': ['error', { zones: testZones(insides) }] } })),
);
