import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      'no-restricted-syntax': [
        'error',
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
      ],
    },
  },
  {
    files: ['.dependency-cruiser.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } },
  },
);
