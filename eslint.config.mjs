import js from '@eslint/js';
import regexp from 'eslint-plugin-regexp';
import tseslint from 'typescript-eslint';

/** Slack text goes through the rendering layer (src/slack/mrkdwn.ts). */
const MRKDWN_RULES = [
  {
    selector: "TSAsExpression > TSTypeReference[typeName.name='Mrkdwn']",
    message: 'Only src/slack/mrkdwn.ts makes a Mrkdwn: use md`…`, text() or storedMrkdwn().',
  },
  {
    selector:
      "TaggedTemplateExpression[tag.name='md'] > TemplateLiteral > TemplateElement[value.raw=/<|&(?!(amp|lt|gt);)/]",
    message:
      'An md`…` template writes no `<` and no bare `&`: mentions, date tokens and links come from mention(), date() and link(); a literal < or & is &lt; or &amp;.',
  },
];

/** Numbers typed by users are read only by src/command/decimal-number.ts. */
const COMMAND_NUMBER_RULES = [
  {
    selector: "MemberExpression[object.name='z'][property.name='coerce']",
    message:
      'A command reads numbers with decimalArgument() (src/command/decimal-number.ts): z.coerce takes 0x3c and 1e1.',
  },
  {
    selector:
      "CallExpression[callee.name=/^(Number|parseInt|parseFloat)$/], CallExpression[callee.object.name='Number'][callee.property.name=/^(parseInt|parseFloat)$/], CallExpression > Identifier.arguments[name=/^(Number|parseInt|parseFloat)$/]",
    message:
      'A command reads numbers with decimalArgument() (src/command/decimal-number.ts): Number() and parseInt take hex, exponents and spaces.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'coverage', '.local', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
      // Slack text goes through the rendering layer (src/slack/mrkdwn.ts): nothing else makes a
      // Mrkdwn, and a template never writes a mention, a token or a link around a value.
      'no-restricted-syntax': ['error', ...MRKDWN_RULES],
    },
  },
  {
    // A command's numbers are read by src/command/decimal-number.ts: Number(), parseInt and
    // z.coerce take hex, exponents, spaces and Infinity, so `--ticks 0x3c` would be 60.
    files: ['commands/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...MRKDWN_RULES, ...COMMAND_NUMBER_RULES],
    },
  },
  {
    // CommonJS config files (.dependency-cruiser.cjs) run in Node: `module` and `require` exist.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
  {
    // ReDoS: no regular expression may take super-linear time on any input, whether by
    // backtracking inside one match attempt or by retrying a failing match at every position.
    plugins: { regexp },
    rules: {
      'regexp/no-super-linear-backtracking': ['error', { report: 'potential' }],
      'regexp/no-super-linear-move': ['error', { ignorePartial: false }],
    },
  },
);
